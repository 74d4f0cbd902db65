// keepalived script lines into argv, with no shell.
import t from 'tap';
import { splitCommandLine, splitConfigCommand } from '../../src/config/keepalived/command-line.js';

t.test('blanks separate arguments; quotes group them; backslash escapes', async (t) => {
  t.strictSame(splitCommandLine('/bin/true  a\tb'), ['/bin/true', 'a', 'b']);
  t.strictSame(splitCommandLine(`/bin/sh -c 'exit 1'`), ['/bin/sh', '-c', 'exit 1']);
  t.strictSame(splitCommandLine('/bin/echo "a \\"b\\" c" d\\ e'), ['/bin/echo', 'a "b" c', 'd e']);
  t.strictSame(splitCommandLine(`x '' ""`), ['x', '', ''], 'empty quoted arguments are kept');
  t.strictSame(
    splitCommandLine('echo $HOME > /tmp/x'),
    ['echo', '$HOME', '>', '/tmp/x'],
    'nothing is expanded or redirected',
  );
});

t.test('mistakes are errors', async (t) => {
  t.throws(() => splitCommandLine(`/bin/sh -c 'exit 1`), /unbalanced '/);
  t.throws(() => splitCommandLine('   '), /empty command/);
});

t.test('a keepalived.conf command: one double-quoted word is unwrapped first', async (t) => {
  t.strictSame(splitConfigCommand(`"/bin/sh -c 'exit 1'"`), ['/bin/sh', '-c', 'exit 1']);
  t.strictSame(splitConfigCommand(`"'/path with/space' arg"`), ['/path with/space', 'arg']);
  t.strictSame(splitConfigCommand('/usr/bin/killall -0 haproxy'), ['/usr/bin/killall', '-0', 'haproxy']);
  t.strictSame(splitConfigCommand('/bin/x "a b"'), ['/bin/x', 'a b']);
});

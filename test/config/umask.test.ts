// `umask` read as keepalived 2.2.7 reads it (core/global_parser.c umask_handler); each refusal below
// was checked with `keepalived -t` (2.2.7), which reports the same mistake on the same line.
import t from 'tap';
import { globalsErrors, readGlobals } from './global-defs.js';

const load = (globals: string) => readGlobals(globals).globals.umask;
const errors = globalsErrors;

t.test('numbers in strtol base 0: octal with 0, hex with 0x, else decimal', async (t) => {
  t.equal(load('umask 022'), 0o22);
  t.equal(load('umask 0'), 0);
  t.equal(load('umask 0x3f'), 0o77);
  t.equal(load('umask 18'), 0o22, 'decimal 18 is octal 22');
  t.equal(load('umask 0777'), 0o777);
  t.equal(load(''), undefined, 'not set');
});

t.test('bit names joined by |, in one word or several', async (t) => {
  t.equal(load('umask IWGRP|IROTH|IWOTH|IXOTH'), 0o27);
  t.equal(load('umask IWGRP | IWOTH'), 0o22);
  t.equal(load('umask IRUSR|IWUSR|IXUSR|IRGRP|IWGRP|IXGRP|IROTH|IWOTH|IXOTH'), 0o777);
  t.equal(load('umask IWGRP |IWOTH'), 0o22, '| may begin the next word');
});

t.test('what keepalived refuses', async (t) => {
  t.match(errors('umask 08'), [/invalid umask value 08/]);
  t.match(errors('umask 01000'), [/invalid umask value/], 'only permission bits');
  t.match(errors('umask 022 033'), [/extra parameter/]);
  t.match(errors('umask IWGRP IWOTH'), [/invalid umask syntax/], '| needed between names');
  t.match(errors('umask IWGRP|'), [/missing bit value/]);
  t.match(errors('umask IFOO'), [/unknown umask bit IFOO/]);
  t.match(errors('umask IRWXU'), [/unknown umask bit IRWXU/], 'keepalived knows the nine single bits only');
  t.match(errors('umask 0x'), [/invalid umask value 0x/]);
  t.match(errors('umask 1e3'), [/invalid umask value 1e3/]);
  t.match(errors('umask'), [/missing value/]);
});

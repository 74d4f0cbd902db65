// quoteValue: the one printer every configuration error quotes a value with (router settings, the
// keepalived reader, OPENSHIFT_HA_* variables).
import t from 'tap';
import { QUOTED_VALUE_MAX_CHARS, quoteValue } from '../../src/model/config-error.js';

t.test('a short value is JSON: strings quoted, control characters escaped', async (t) => {
  t.equal(quoteValue('eth0'), '"eth0"');
  t.equal(quoteValue('a\u001b[2Jb\n'), '"a\\u001b[2Jb\\n"', 'no escape sequence reaches a terminal');
  t.equal(quoteValue(7), '7');
  t.equal(quoteValue({ type: 'ah' }), '{"type":"ah"}');
  t.equal(quoteValue(null), 'null');
});

t.test('a long string and a long JSON value are cut the same way, with their length', async (t) => {
  const long = 'x'.repeat(5000);
  t.equal(quoteValue(long), `"${'x'.repeat(QUOTED_VALUE_MAX_CHARS)}"... (5000 characters)`);
  t.equal(
    quoteValue('y'.repeat(QUOTED_VALUE_MAX_CHARS)),
    `"${'y'.repeat(QUOTED_VALUE_MAX_CHARS)}"`,
    'the limit is whole',
  );
  const list = Array.from({ length: 100 }, (_, i) => i);
  const json = JSON.stringify(list);
  t.equal(quoteValue(list), `${json.slice(0, QUOTED_VALUE_MAX_CHARS)}... (${json.length} characters)`);
});

t.test('never throws, whatever the value', async (t) => {
  const cycle: { self?: unknown } = {};
  cycle.self = cycle;
  const hostile: unknown[] = [
    { toString: false },
    {
      toJSON() {
        throw new Error('no');
      },
    },
    10n,
    Symbol('s'),
    undefined,
    () => 1,
    cycle,
  ];
  t.strictSame(
    hostile.map((value) => quoteValue(value)),
    [
      '{"toString":false}',
      '[object Object]',
      '[object BigInt]',
      '[object Symbol]',
      '[object Undefined]',
      '[object Function]',
      '[object Object]',
    ],
  );
});

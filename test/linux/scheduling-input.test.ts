// vrrp-engine's JSON "scheduling" object and the settings a configuration reader builds: every
// mistake is a ConfigError naming the field, before anything is applied (src/model/scheduling.ts).
import t from 'tap';
import { ConfigError } from '../../src/model/config-error.js';
import { checkInput } from '../../src/daemon/check-input.js';
import {
  checkProcessScheduling,
  isDefaultScheduling,
  readProcessScheduling,
  sameScheduling,
} from '../../src/model/scheduling.js';

t.test('readProcessScheduling: the fields, their ranges, no unknown field', async (t) => {
  t.same(readProcessScheduling({ realtimePriority: 99, realtimeLimitUs: 2, nice: -20, cpuAffinity: [0, 1023] }), {
    realtimePriority: 99,
    realtimeLimitUs: 2,
    nice: -20,
    cpuAffinity: [0, 1023],
  });
  t.same(readProcessScheduling({}), {});
  t.same(readProcessScheduling({ lockMemory: true }), { lockMemory: true }, 'lockMemory: vrrp_no_swap');
  t.same(readProcessScheduling({ lockMemory: false }), {}, 'lockMemory false is the default');
  t.ok(sameScheduling({ lockMemory: false }, undefined), 'false and unset are the same setting');
  t.notOk(sameScheduling({ lockMemory: true }, undefined), 'turning it on needs a restart');
  t.same(readProcessScheduling({ maxAutoPriority: 99, autoPriorityDelayUs: 10_000_000 }), {
    maxAutoPriority: 99,
    autoPriorityDelayUs: 10_000_000,
  });
  const bad: [unknown, RegExp][] = [
    [null, /^scheduling: must be an object/],
    [[1], /^scheduling: must be an object/],
    [{ realtimePriority: 0 }, /^scheduling\.realtimePriority: must be an integer from 1 to 99, got 0/],
    [{ realtimePriority: 50.5 }, /realtimePriority: .*got 50\.5/],
    [{ realtimePriority: '50' }, /realtimePriority: .*got "50"/],
    [{ nice: 20 }, /^scheduling\.nice: must be an integer from -20 to 19, got 20/],
    [{ lockMemory: 'yes' }, /^scheduling\.lockMemory: must be true or false, got "yes"/],
    [{ cpuAffinity: [] }, /^scheduling\.cpuAffinity: must be a non-empty list/],
    [{ cpuAffinity: [0, 1024] }, /^scheduling\.cpuAffinity\[1\]: must be a CPU number from 0 to 1023, got 1024/],
    [{ realtimeLimitUs: 1 }, /^scheduling\.realtimeLimitUs: must be an integer from 2 to 4294967295/],
    [{ realtimeLimitUs: 2 ** 32 }, /realtimeLimitUs/],
    [
      { priority: 50 },
      /^scheduling\.priority: unknown field \(expected realtimePriority, nice, cpuAffinity, realtimeLimitUs, lockMemory, maxAutoPriority, autoPriorityDelayUs\)/,
    ],
    [{ maxAutoPriority: 0 }, /^scheduling\.maxAutoPriority: must be an integer from 1 to 99, got 0/],
    [{ maxAutoPriority: 100 }, /maxAutoPriority: .*got 100/],
    [
      { autoPriorityDelayUs: 0 },
      /^scheduling\.autoPriorityDelayUs: must be an integer from 1 to 10000000 \(µs\), got 0/,
    ],
    [{ autoPriorityDelayUs: 10_000_001 }, /autoPriorityDelayUs: .*got 10000001/],
    [{ names: { nice: 'x' } }, /^scheduling\.names: unknown field/],
  ];
  for (const [value, message] of bad)
    t.throws(() => readProcessScheduling(value), { name: 'ConfigError', message }, JSON.stringify(value));
});

t.test('checkProcessScheduling: what a reader builds, with the names errors use', async (t) => {
  t.doesNotThrow(() =>
    checkProcessScheduling({ realtimePriority: 5, names: { realtimePriority: 'vrrp_rt_priority' } }),
  );
  t.throws(() => checkProcessScheduling({ nice: 5, names: { nice: 7 } }), { message: /^scheduling\.names: must map/ });
  t.throws(() => checkProcessScheduling({ nice: -40 }), ConfigError);
});

t.test('the runtime input: "scheduling" is checked with the rest, before the network is read', async (t) => {
  const routers = [{ name: 'VI_1', interface: 'eth0', vrid: 51, priority: 100, virtualAddresses: ['192.0.2.100'] }];
  t.doesNotThrow(() => checkInput({ routers, scheduling: { realtimePriority: 10 } }));
  t.throws(() => checkInput({ routers, scheduling: { realtimePriority: 100 } }), {
    name: 'ConfigError',
    field: 'scheduling.realtimePriority',
  });
});

t.test('default and comparison (a reload that changes them warns that a restart is needed)', async (t) => {
  t.ok(isDefaultScheduling(undefined));
  t.ok(isDefaultScheduling({}));
  t.notOk(isDefaultScheduling({ nice: 0 }), 'nice 0 is asked for: applied');
  t.ok(sameScheduling(undefined, {}));
  t.ok(
    sameScheduling({ realtimePriority: 5, names: { realtimePriority: 'a' } }, { realtimePriority: 5 }),
    'names aside',
  );
  t.notOk(sameScheduling({ realtimePriority: 5 }, { realtimePriority: 6 }));
  t.notOk(sameScheduling({ cpuAffinity: [0] }, undefined));
});

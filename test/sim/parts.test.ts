// The simulator's small parts: PRNG streams, the (time, sequence) queue, scenario checking.
import t from 'tap';
import { EventQueue, parseScenario, Prng, DEFAULT_SCENARIO_JSON } from '../../src/sim/index.js';

t.test('PRNG: a seed replays; seeds and streams differ; ranges hold', async (t) => {
  const draw = (seed: number, stream = 0) => {
    const rng = new Prng(seed, stream);
    return Array.from({ length: 8 }, () => rng.nextU32());
  };
  t.same(draw(1), draw(1));
  t.not(draw(1).join(), draw(2).join());
  t.not(draw(1, 0).join(), draw(1, 1).join());
  const rng = new Prng(9);
  for (let i = 0; i < 1000; i++) {
    const f = rng.float();
    const n = rng.int(3, 5);
    t.ok(f >= 0 && f < 1 && n >= 3 && n <= 5 && Number.isInteger(n)) || t.fail(`out of range: ${f} ${n}`);
  }
  t.equal(rng.chance(0), false);
});

t.test('event queue: by time, ties in scheduling order', async (t) => {
  const queue = new EventQueue<string>();
  queue.push(5, 'c');
  queue.push(1, 'a');
  queue.push(5, 'd');
  queue.push(3, 'b');
  queue.push(5, 'e');
  const out: string[] = [];
  for (let e = queue.pop(); e !== undefined; e = queue.pop()) out.push(`${queue.poppedAtMs}${e}`);
  t.same(out, ['1a', '3b', '5c', '5d', '5e']);
});

t.test('scenario: mistakes are clear errors naming the field', async (t) => {
  const base = JSON.parse(JSON.stringify(DEFAULT_SCENARIO_JSON));
  const broken = (edit: (s: any) => void) => {
    const copy = JSON.parse(JSON.stringify(base));
    edit(copy);
    return () => parseScenario(copy);
  };
  t.throws(
    broken((s) => (s.nodes[0].interfaces[0].lan = 'nowhere')),
    /nodes\[0\]\.interfaces\[0\]\.lan: no LAN named "nowhere"/,
  );
  t.throws(
    broken((s) => (s.nodes[0].routers[0].vrid = 256)),
    /nodes\[0\]\.routers\[0\]\.vrid: must be a number from 1 to 255/,
  );
  t.throws(
    broken((s) => (s.nodes[1].routers[0].version = 3)),
    /share lan0\/IPv4\/VRID 51 but speak VRRPv3 and v2/,
  );
  t.throws(
    broken((s) => (s.events[0].kind = 'explode')),
    /events\[0\]\.kind: unknown fault "explode"/,
  );
  t.throws(
    broken((s) => (s.events[0].node = 'r9')),
    /events\[0\]\.node: no node named "r9"/,
  );
  t.throws(
    broken((s) => (s.nodes[0].interfaces[0].ipv6 = '2001:db8::1')),
    /must be link-local/,
  );
  t.throws(
    broken((s) => (s.nodes[0].routers[0].vips = ['2001:db8::1'])),
    /is not IPv4/,
  );
  t.throws(
    broken((s) => s.nodes[0].routers.push({ ...s.nodes[0].routers[0], name: 'other', vips: ['192.0.2.99'] })),
    /virtual router "eth0 IPv4 VRID 51" appears twice/,
  );
});

t.test('scenario: a VRID range expands with {vrid} in names and VIPs', async (t) => {
  const scenario = parseScenario({
    name: 'range',
    lans: [{ name: 'lan0' }],
    nodes: [
      {
        name: 'r1',
        interfaces: [{ name: 'eth0', lan: 'lan0', ipv4: '192.0.2.1' }],
        routers: [{ interface: 'eth0', vrids: [1, 3], vips: ['203.0.113.{vrid}'] }],
      },
    ],
  });
  t.same(
    scenario.nodes[0]!.routers.map((r) => `${r.name} ${r.vrid} ${r.vips.join()}`),
    ['VI_1 1 203.0.113.1', 'VI_2 2 203.0.113.2', 'VI_3 3 203.0.113.3'],
  );
});

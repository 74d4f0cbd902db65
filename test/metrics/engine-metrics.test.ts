// /metrics text of a real engine (its ports are test doubles): every family in the exposition format,
// the text rendered once per maxAgeMs however many scrapes come, counters that survive clearCounters,
// label values escaped.

import t from 'tap';
import { buildRouterConfig } from '../../src/model/router-config.js';
import { Engine } from '../../src/engine/engine.js';
import { createEngineMetrics, labelValue } from '../../src/metrics/engine-metrics.js';
import { encodeAdvert } from '../../src/wire/codec.js';
import { fakePorts } from '../engine/fake-ports.js';

function twoRouters() {
  const { ports, clock, packets } = fakePorts();
  const routers = [1, 2].map((vrid) =>
    buildRouterConfig({
      name: `ipf_VIP_${vrid}`,
      interface: 'eth0',
      vrid,
      priority: 100 + vrid,
      primaryAddress: '192.0.2.2',
      virtualAddresses: [`198.51.100.${vrid}`],
    }),
  );
  const engine = new Engine(routers, ports);
  const meta = { family: 4 as const, sourceAddress: '192.0.2.9', destinationAddress: '224.0.0.18', ttl: 64 };
  /** An advert with TTL 64 for VRID 1: dropped, counted under VI_1. */
  const badTtl = () =>
    packets.onPacket?.({
      interface: 'eth0',
      payload: encodeAdvert(
        { version: 2, vrid: 1, priority: 50, advertIntervalCs: 100, addresses: ['198.51.100.1'] },
        meta,
      ),
      meta,
    });
  return { engine, clock, badTtl };
}

t.test('every family, with the engine state at render time', async (t) => {
  const { engine, clock, badTtl } = twoRouters();
  const nowMs = 0;
  const metrics = createEngineMetrics(engine, {
    nowMs: () => nowMs,
    health: { status: () => [{ name: 'check "port"', up: true }] },
  });
  engine.start();
  clock.advanceTo(4_000); // both Backups time out: Master
  badTtl();
  const text = metrics.text();
  t.match(text, /^# HELP vrrp_instances .*\n# TYPE vrrp_instances gauge\nvrrp_instances 2\n/);
  t.match(text, /\nvrrp_instance_state\{instance="ipf_VIP_1",vrid="1",state="Master"\} 1\n/);
  t.match(text, /\nvrrp_instance_state\{instance="ipf_VIP_1",vrid="1",state="Backup"\} 0\n/);
  t.match(text, /\nvrrp_instance_priority\{instance="ipf_VIP_2",kind="effective"\} 102\n/);
  t.match(text, /\n# TYPE vrrp_adverts_sent_total counter\nvrrp_adverts_sent_total\{instance="ipf_VIP_1"\} [1-9]\d*\n/);
  t.match(text, /\nvrrp_drops_total\{instance="ipf_VIP_1",interface="eth0",reason="[a-z-]+"\} 1\n/);
  t.match(text, /\nvrrp_transitions_total\{instance="ipf_VIP_2",from="Backup",to="Master"\} 1\n/);
  t.match(text, /\nvrrp_health_check_up\{check="check \\"port\\""\} 1\n/);
  for (const line of text.trimEnd().split('\n'))
    t.match(line, /^(# (HELP|TYPE) \w+ .+|\w+(\{.*\})? \d+)$/, 'an exposition line');
  metrics.close();
});

t.test('a flood of scrapes within maxAgeMs renders once', async (t) => {
  const { engine, clock } = twoRouters();
  let nowMs = 0;
  const metrics = createEngineMetrics(engine, { maxAgeMs: 1_000, nowMs: () => nowMs });
  engine.start();
  const first = metrics.text();
  t.match(first, /state="Backup"\} 1/);
  clock.advanceTo(4_000);
  let unchanged = 0;
  for (let i = 0; i < 1_000; i++) {
    nowMs += 0.5;
    if (metrics.text() === first) unchanged++;
  }
  t.equal(unchanged, 1_000, 'every scrape in the next 500 ms gets the same text');
  t.equal(metrics.renders, 1, '1000 scrapes in 500 ms: one render');
  nowMs = 1_000;
  t.match(metrics.text(), /vrid="1",state="Master"\} 1/, 'rendered again once the text is 1 s old');
  t.equal(metrics.renders, 2);
  metrics.close();
});

t.test('counters keep counting across clearCounters (STATS_CLEAR)', async (t) => {
  const { engine, clock, badTtl } = twoRouters();
  const nowMs = 0;
  const metrics = createEngineMetrics(engine, { maxAgeMs: 0, nowMs: () => nowMs });
  engine.start();
  clock.advanceTo(4_000);
  badTtl();
  badTtl();
  const drops = () => Number(/vrrp_drops_total\{instance="ipf_VIP_1"[^}]*\} (\d+)/.exec(metrics.text())?.[1]);
  t.equal(drops(), 2);
  engine.clearCounters();
  badTtl();
  t.equal(drops(), 3, 'the total goes on from 2, not back to 1');
  metrics.close();
});

t.test('label values are escaped as the exposition format requires', async (t) => {
  t.equal(labelValue('plain'), '"plain"');
  t.equal(labelValue('a"b\\c\nd'), '"a\\"b\\\\c\\nd"');
});

// keepalived-exporter's names and labels (the table in exporter-contract.ts, read from the exporter's
// source) served by createEngineMetrics for a real engine on test-double ports, with values that follow
// what the routers did; and every scrape valid exposition text.

import t from 'tap';
import { Engine } from '../../src/engine/engine.js';
import { createEngineMetrics, family } from '../../src/metrics/engine-metrics.js';
import { buildRouterConfig } from '../../src/model/router-config.js';
import { encodeAdvert } from '../../src/wire/codec.js';
import { fakePorts } from '../engine/fake-ports.js';
import { EXPORTER_STATE_VALUES, exporterProblems, parseExposition } from './exporter-contract.js';

function oneRouter() {
  const { ports, clock, packets } = fakePorts();
  const config = buildRouterConfig({
    name: 'VI_1',
    interface: 'eth0',
    vrid: 51,
    priority: 100,
    primaryAddress: '192.0.2.2',
    virtualAddresses: ['198.51.100.1', '198.51.100.2'],
    excludedAddresses: ['203.0.113.9'],
  });
  const engine = new Engine([config], ports);
  const advert = (priority: number, ttl = 255) => {
    const meta = { family: 4 as const, sourceAddress: '192.0.2.9', destinationAddress: '224.0.0.18', ttl };
    const payload = encodeAdvert(
      { version: 2, vrid: 51, priority, advertIntervalCs: 100, addresses: ['198.51.100.1', '198.51.100.2'] },
      meta,
    );
    packets.onPacket?.({ interface: 'eth0', payload, meta, receivedAtMs: clock.nowMs() });
  };
  return { engine, clock, advert };
}

const sampleOf = (text: string, name: string, labels: Record<string, string>) =>
  parseExposition(text)
    .get(name)
    ?.samples.find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;

t.test("the exporter's families, types and label names, with our values", async (t) => {
  const { engine, clock, advert } = oneRouter();
  const metrics = createEngineMetrics(engine, {
    maxAgeMs: 0,
    health: { status: () => [{ name: 'chk_haproxy', kind: 'script', up: true, runs: 3 }] },
  });
  engine.start();
  const common = { iname: 'VI_1', intf: 'eth0', vrid: '51' };
  let text = metrics.text();
  t.same(exporterProblems(parseExposition(text), { excluded: true, scripts: true }), []);
  t.equal(
    sampleOf(text, 'keepalived_vrrp_state', { ...common, ip_address: '198.51.100.2' }),
    EXPORTER_STATE_VALUES.BACKUP,
  );
  clock.advanceTo(4_000); // down timer: Master
  advert(120, 64); // TTL 64: keepalived_ip_ttl_errors_total
  advert(120); // a higher priority: back to Backup
  advert(0); // the other Master leaves: priority 0 received, Master after the skew time
  clock.advanceTo(5_000);
  text = metrics.text();
  t.same(exporterProblems(parseExposition(text), { excluded: true, scripts: true }), []);
  t.equal(sampleOf(text, 'keepalived_become_master_total', common), 2, 'became Master twice (down timer, priority 0)');
  t.equal(sampleOf(text, 'keepalived_release_master_total', common), 1);
  t.equal(sampleOf(text, 'keepalived_ip_ttl_errors_total', common), 1);
  t.equal(sampleOf(text, 'keepalived_priority_zero_received_total', common), 1);
  t.equal(sampleOf(text, 'keepalived_advertisements_received_total', common), 2);
  t.equal(
    sampleOf(text, 'keepalived_gratuitous_arp_delay_total', common),
    5,
    "keepalived's default garp_master_delay, s",
  );
  t.equal(
    sampleOf(text, 'keepalived_vrrp_state', { ...common, ip_address: '198.51.100.1' }),
    EXPORTER_STATE_VALUES.MASTER,
  );
  t.equal(sampleOf(text, 'keepalived_vrrp_excluded_state', { ...common, ip_address: '203.0.113.9' }), 2);
  t.equal(sampleOf(text, 'keepalived_script_status', { name: 'chk_haproxy' }), 1, 'GOOD is 1');
  t.equal(sampleOf(text, 'vrrp_health_check_runs_total', { check: 'chk_haproxy', kind: 'script' }), 3);
  await engine.stop();
  text = metrics.text();
  t.equal(sampleOf(text, 'keepalived_priority_zero_sent_total', common), 1, 'a Master stopping sends priority 0');
  metrics.close();
});

t.test('timing histograms: takeover overshoot, advert lateness, receive-to-decision', async (t) => {
  const { engine, clock, advert } = oneRouter();
  const metrics = createEngineMetrics(engine, { maxAgeMs: 0, eventLoopDelay: false });
  engine.start();
  advert(120);
  clock.advanceTo(10_000);
  const families = parseExposition(metrics.text());
  const count = (name: string) => families.get(name)?.samples.find((s) => s.name === `${name}_count`)?.value;
  t.equal(count('vrrp_takeover_overshoot_seconds'), 1, 'one takeover on the down timer');
  t.ok((count('vrrp_advert_lateness_seconds') ?? 0) >= 5, 'each periodic advert observed');
  t.equal(count('vrrp_receive_to_decision_seconds'), 1, 'the one advert accepted');
  t.equal(families.get('vrrp_takeover_overshoot_seconds')?.type, 'histogram');
  metrics.close();
});

t.test('another module adds its series; the text stays valid; the event loop delay is served', async (t) => {
  const { engine } = oneRouter();
  const metrics = createEngineMetrics(engine, { maxAgeMs: 0 });
  metrics.addSeries(() => family('vrrp_conflicts_total', 'counter', 'Test series', [[{ instance: 'VI_1' }, 3]]));
  engine.start();
  await new Promise((resolve) => setTimeout(resolve, 60));
  const families = parseExposition(metrics.text());
  t.equal(families.get('vrrp_conflicts_total')?.samples[0]?.value, 3);
  t.equal(families.get('vrrp_event_loop_delay_seconds')?.type, 'summary');
  metrics.close();
});

t.test('the exposition check refuses what Prometheus would', async (t) => {
  t.throws(() => parseExposition('x 1\n'), /before any HELP/);
  t.throws(() => parseExposition('# HELP a h\n# TYPE a gauge\na{b="c} 1\n'), /bad label|not a sample/);
  t.throws(() => parseExposition('# HELP a h\n# TYPE a gauge\na 1\na 2\n'), /repeated/);
  t.throws(() => parseExposition('# HELP a h\n# TYPE a gauge\nb 1\n'), /not of family/);
  t.throws(() => parseExposition('# HELP a h\n# TYPE a gauge\na one\n'), /not a number/);
  t.throws(() => parseExposition('# HELP a h\n# TYPE a gauge\na 1'), /newline/);
  t.same(parseExposition('# HELP a h\n# TYPE a gauge\na{b="x\\"y"} 1\n').get('a')?.samples[0]?.labels, { b: 'x"y' });
});

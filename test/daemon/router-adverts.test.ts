// The runtime's RouterAdvertiser on a real Engine with hand-driven ports: when a Master's first RA
// goes (once its link-local source is added), which departures from Master send a last RA with router
// lifetime 0, and what a reload's new plans do. The RAs are decoded from the frames handed to `send`.
import t from 'tap';
import { Engine } from '../../src/engine/engine.js';
import { buildRouterConfig } from '../../src/model/router-config.js';
import { planRouterAdverts, RouterAdvertiser, type RouterAdvertPlan } from '../../src/daemon/router-adverts.js';
import { encodeAdvert } from '../../src/wire/codec.js';
import { fakePorts } from '../engine/fake-ports.js';

const SILENT = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };
const MAC = Uint8Array.from([0, 0, 0x5e, 0, 2, 57]);

const config = (priority: number) =>
  buildRouterConfig({
    name: 'VI_RA',
    interface: 'eth0',
    vrid: 57,
    version: 3,
    family: 6,
    priority,
    primaryAddress: 'fe80::1',
    virtualAddresses: ['fe80::57', '2001:db8::157'],
  });

interface SentRa {
  readonly iface: string;
  readonly lifetimeS: number;
  readonly atMs: number;
}

function setUp(priority: number, options: { forwards?: boolean } = {}) {
  const { ports, clock, packets } = fakePorts();
  const engine = new Engine([config(priority)], ports);
  const sent: SentRa[] = [];
  const warnings: string[] = [];
  const advertiser = new RouterAdvertiser(
    engine,
    {
      nowMs: () => clock.nowMs(),
      random: () => 0.5,
      mac: () => MAC,
      send: (iface, frame) => {
        t.equal(frame[54], 134, 'an ICMPv6 Router Advertisement');
        sent.push({ iface, lifetimeS: (frame[60]! << 8) | frame[61]!, atMs: clock.nowMs() });
      },
      forwards: () => options.forwards ?? true,
    },
    { ...SILENT, warn: (fields: object) => warnings.push(String((fields as { event: string }).event)) },
  );
  const plan = planRouterAdverts(true, config(priority), 'routers[0]')!;
  advertiser.setPlans(new Map([['VI_RA', plan]]));
  t.teardown(() => advertiser.close());
  return { engine, clock, packets, advertiser, sent, warnings, plan };
}

/** A higher-priority advert from fe80::9, through the real codec. */
function higherAdvert() {
  const meta = { family: 6 as const, sourceAddress: 'fe80::9', destinationAddress: 'ff02::12', ttl: 255 };
  const payload = encodeAdvert(
    { version: 3, vrid: 57, priority: 250, advertIntervalCs: 100, addresses: ['fe80::57', '2001:db8::157'] },
    meta,
  );
  return { interface: 'eth0', payload, meta };
}

t.test(
  'router advertiser: the first RA waits for the source address, then a Master that stops withdraws',
  async (t) => {
    const { engine, sent, advertiser } = setUp(255);
    engine.start();
    t.equal(engine.snapshot()[0]!.state, 'Master', 'the owner is Master at once');
    t.same(sent, [], 'no RA before the link-local VIP is on the interface');
    advertiser.addressesAdded('eth0', ['2001:db8::157']);
    t.same(sent, [], 'another address: still none');
    advertiser.addressesAdded('eth0', ['fe80::57', '2001:db8::157']);
    t.same(sent, [{ iface: 'eth0', lifetimeS: 48, atMs: 0 }], 'the source is there: one RA at once, lifetime 48 s');
    advertiser.addressesAdded('eth0', ['fe80::57']);
    t.equal(sent.length, 1, 'the address added again (a VIP put back) sends nothing more');
    await engine.stop();
    t.same(sent.at(-1), { iface: 'eth0', lifetimeS: 0, atMs: 0 }, 'stopping: one last RA with router lifetime 0');
    t.equal(sent.length, 2);
  },
);

t.test('router advertiser: a Master stepping down to a higher advert sends no lifetime-0 RA', async (t) => {
  const { engine, clock, packets, advertiser, sent } = setUp(100);
  engine.start();
  clock.advanceTo(10_000);
  t.equal(engine.snapshot()[0]!.state, 'Master', 'no peer: Master after the down timer');
  advertiser.addressesAdded('eth0', ['fe80::57', '2001:db8::157']);
  t.equal(sent.length, 1, 'one RA as Master');
  packets.onPacket!(higherAdvert());
  t.equal(engine.snapshot()[0]!.state, 'Backup', 'a higher advert: Backup');
  t.equal(sent.length, 1, 'no RA on stepping down: the new Master advertises the same address');
  await engine.stop();
  t.equal(sent.length, 1, 'a Backup that stops sends none either');
});

t.test('router advertiser: a reload keeps an unchanged plan, and one turned off withdraws', async (t) => {
  const { engine, advertiser, sent, plan } = setUp(255);
  engine.start();
  advertiser.addressesAdded('eth0', ['fe80::57']);
  t.equal(sent.length, 1);
  const same: RouterAdvertPlan = JSON.parse(JSON.stringify(plan), (key, value) =>
    key === 'prefixes' ? [] : value,
  ) as RouterAdvertPlan;
  advertiser.setPlans(new Map([['VI_RA', same]]));
  t.equal(sent.length, 1, 'the same settings again (a reload): nothing sent, the schedule runs on');
  const changed = { ...plan, settings: { ...plan.settings, routerLifetimeS: 1800 } };
  advertiser.setPlans(new Map([['VI_RA', changed]]));
  t.same(sent.at(-1), { iface: 'eth0', lifetimeS: 1800, atMs: 0 }, 'new settings: advertised at once, no withdrawal');
  t.equal(sent.length, 2);
  advertiser.setPlans(new Map());
  t.same(sent.at(-1), { iface: 'eth0', lifetimeS: 0, atMs: 0 }, 'turned off: one last RA with router lifetime 0');
  await engine.stop();
  t.equal(sent.length, 3, 'nothing after it was turned off');
});

t.test('router advertiser: a warning when the interface does not forward IPv6', async (t) => {
  const { engine, advertiser, warnings, sent } = setUp(255, { forwards: false });
  engine.start();
  advertiser.addressesAdded('eth0', ['fe80::57']);
  t.equal(sent.length, 1, 'the RA still goes');
  t.same(warnings, ['router-advert-not-forwarding']);
  await engine.stop();
});

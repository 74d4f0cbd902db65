// VRID collisions and mismatches (issue 16 point 3): an advert for one of our VRIDs from a source that
// is no peer of ours, with another VIP set, version, interval or authentication, is reported once per
// source and reason (a 'vrid-collision' notice naming both sides), then only counted.
import t from 'tap';
import { InterfaceDemux, MAX_COLLISIONS } from '../../src/core/demux.js';
import type { RouterAction, VirtualRouterConfig } from '../../src/core/types.js';
import { VirtualRouter } from '../../src/core/virtual-router.js';
import { encodeAdvert, passwordToAuthData } from '../../src/wire/codec.js';
import type { PacketMeta, VrrpAdvert } from '../../src/wire/types.js';
import { startup, v2Config, v3Config } from './scenario.js';

const meta = (source: string): PacketMeta => ({
  family: 4,
  sourceAddress: source,
  destinationAddress: '224.0.0.18',
  ttl: 255,
});

function packet(source: string, fields: Partial<VrrpAdvert> = {}): Uint8Array {
  return encodeAdvert(
    { version: 3, vrid: 51, priority: 100, advertIntervalCs: 100, addresses: ['192.0.2.100'], authType: 0, ...fields },
    { family: 4, sourceAddress: source, destinationAddress: '224.0.0.18' },
  );
}

function notices(actions: readonly RouterAction[]): string[] {
  return actions.flatMap((a) => (a.kind === 'notice' && a.notice === 'vrid-collision' ? [a.detail] : []));
}

function demuxFor(config: VirtualRouterConfig): InterfaceDemux {
  const router = new VirtualRouter(config);
  router.handle(startup, 0);
  return new InterfaceDemux('eth0', [router]);
}

const cases: readonly {
  readonly title: string;
  readonly config: VirtualRouterConfig;
  readonly source: string;
  readonly packet: Uint8Array;
  readonly notice: string;
}[] = [
  {
    title: 'another cluster on our VRID: other VIPs, reported naming its source and both VIP sets',
    config: v3Config(),
    source: '192.0.2.77',
    packet: packet('192.0.2.77', { addresses: ['192.0.2.200'] }),
    notice:
      "VRID 51 collision (address-list-mismatch): 192.0.2.77 sends priority 100, v3, interval 100 cs, VIPs 192.0.2.200; ours 'VI_1': v3, interval 100 cs, VIPs 192.0.2.100",
  },
  {
    title: 'unicast: a sender that is no configured peer is a collision',
    config: v3Config({ unicastPeers: ['192.0.2.20'] }),
    source: '192.0.2.77',
    packet: packet('192.0.2.77'),
    notice:
      "VRID 51 collision (unknown-unicast-source): 192.0.2.77 sends priority 100, v3, interval 100 cs, VIPs not read; ours 'VI_1': v3, interval 100 cs, VIPs 192.0.2.100",
  },
  {
    title: 'a peer speaking VRRPv2 to our v3 is a mismatch',
    config: v3Config(),
    source: '192.0.2.20',
    packet: packet('192.0.2.20', { version: 2 }),
    notice:
      "VRID 51 mismatch (version-mismatch): 192.0.2.20 sends priority 100, v2, interval 100 cs, VIPs not read; ours 'VI_1': v3, interval 100 cs, VIPs 192.0.2.100",
  },
  {
    title: 'v3: another interval is a mismatch (the advert is still taken)',
    config: v3Config(),
    source: '192.0.2.20',
    packet: packet('192.0.2.20', { advertIntervalCs: 50 }),
    notice:
      "VRID 51 mismatch (interval-mismatch-v3): 192.0.2.20 sends priority 100, v3, interval 50 cs, VIPs 192.0.2.100; ours 'VI_1': v3, interval 100 cs, VIPs 192.0.2.100",
  },
  {
    title: 'v2: another password is a mismatch',
    config: v2Config({ auth: { type: 'pass', password: 'secret' } }),
    source: '192.0.2.20',
    packet: packet('192.0.2.20', { version: 2, authType: 1, authData: passwordToAuthData('other') }),
    notice:
      "VRID 51 mismatch (auth-data-mismatch): 192.0.2.20 sends priority 100, v2, interval 100 cs, VIPs not read; ours 'VI_1': v2, interval 100 cs, VIPs 192.0.2.100",
  },
];

for (const c of cases) {
  t.test(`vrid collision: ${c.title}`, async (t) => {
    const demux = demuxFor(c.config);
    t.same(notices(demux.receive(c.packet, meta(c.source), 1000).actions), [c.notice]);
    t.same(
      notices(demux.receive(c.packet, meta(c.source), 2000).actions),
      [],
      'the second from the same source: counted only',
    );
    t.match(demux.collisions, [{ source: c.source, count: 2, firstMs: 1000, lastMs: 2000 }]);
  });
}

t.test('vrid collision: a valid advert from a matching peer is no collision', async (t) => {
  const demux = demuxFor(v3Config());
  t.same(notices(demux.receive(packet('192.0.2.20'), meta('192.0.2.20'), 1000).actions), []);
  t.same(demux.collisions, []);
});

t.test('vrid collision: each source is reported once; the table is bounded', async (t) => {
  const demux = demuxFor(v3Config());
  let reported = 0;
  for (let i = 0; i < MAX_COLLISIONS + 10; i++) {
    const source = i < 256 ? `198.51.100.${i}` : `203.0.113.${i - 256}`;
    reported += notices(demux.receive(packet(source, { addresses: ['192.0.2.200'] }), meta(source), i).actions).length;
  }
  t.equal(reported, MAX_COLLISIONS, 'one notice per source, up to the bound');
  t.equal(demux.collisions.length, MAX_COLLISIONS);
  t.equal(demux.collisionOverflow, 10, 'the rest counted');
});

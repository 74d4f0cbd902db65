// The core side of keepalived's dont_track_primary, skip_check_adv_addr, old_unicast_checksum,
// mcast_dst_ip and unicast_ttl (issue 13): link faults, the address-list check, the checksum form
// sent and taken, the group and TTL of each advert. v2, priority 100, 1 s: Master_Down_Interval 3609.375 ms.
import t from 'tap';
import { InterfaceDemux } from '../../src/core/demux.js';
import { VirtualRouter } from '../../src/core/virtual-router.js';
import { validateAdvert } from '../../src/core/validate.js';
import { advertEncoding, encodeAdvertPackets } from '../../src/engine/advert-encoding.js';
import { decodeAdvertHeader, encodeAdvert } from '../../src/wire/codec.js';
import type { PacketMeta } from '../../src/wire/types.js';
import {
  Scenario,
  advertFor,
  advertInput,
  linkDown,
  linkUp,
  ofKind,
  startup,
  stateChange,
  timeout,
  track,
  v2Config,
  v3Config,
} from './scenario.js';

t.test('dont_track_primary: the own link going down is no fault; a weight-0 track still is', async (t) => {
  const s = new Scenario(v2Config({ dontTrackPrimary: true }));
  s.at(0, startup);
  t.strictSame(s.at(1000, linkDown), [], 'Backup stays Backup');
  t.equal(s.state, 'Backup');
  t.equal(s.nextDeadlineMs, 3609.375, 'its down timer still runs');
  t.match(s.at(3609.375, timeout), [{ kind: 'sendAdvert' }], 'and takes over with the link down');
  t.equal(s.state, 'Master');
  t.strictSame(s.at(4000, linkUp), []);
  t.match(s.at(5000, track('chk', false, 0)), [{ kind: 'sendAdvert', priority: 0 }, { kind: 'removeVips' }, {}]);
  t.equal(s.state, 'Fault');

  const plain = new Scenario(v2Config());
  plain.at(0, startup);
  t.strictSame(plain.at(1000, linkDown), [stateChange('Backup', 'Fault', 'link-down', 100)], 'without it: Fault');
});

t.test('dont_track_primary set by a reconfigure while the link is down: out of Fault', async (t) => {
  const router = new VirtualRouter(v2Config());
  router.handle(startup, 0);
  router.handle(linkDown, 100);
  t.equal(router.state, 'Fault');
  router.reconfigure(v2Config({ dontTrackPrimary: true }), 200);
  t.equal(router.state, 'Backup', 'the down link no longer counts');
});

t.test('skip_check_adv_addr: a Backup compares the list only when the sender changes', async (t) => {
  const strict = v2Config({ strictAddressList: true, skipCheckAdvertAddresses: true });
  const s = new Scenario(strict);
  s.at(0, startup);
  const other = { addresses: ['192.0.2.111'] };
  t.match(s.at(100, advertInput(advertFor(strict, { ...other, priority: 150 }))), [
    { kind: 'dropped', reason: 'address-list-mismatch' },
  ]);
  t.strictSame(s.at(200, advertInput(advertFor(strict, { priority: 150 }))), [], 'a matching list: heard');
  t.strictSame(
    s.at(300, advertInput(advertFor(strict, { ...other, priority: 150 }))),
    [],
    'the same sender with another list: not compared',
  );
  t.equal(s.nextDeadlineMs, 300 + 3000 + (256 - 100) * (1000 / 256), 'its advert reset the down timer');
  t.match(s.at(400, advertInput(advertFor(strict, { ...other, from: '192.0.2.21', priority: 150 }))), [
    { kind: 'dropped', reason: 'address-list-mismatch' },
  ]);

  const without = new Scenario(v2Config({ strictAddressList: true }));
  without.at(0, startup);
  without.at(100, advertInput(advertFor(without.config, { priority: 150 })));
  t.match(without.at(200, advertInput(advertFor(without.config, { ...other, priority: 150 }))), [
    { kind: 'dropped', reason: 'address-list-mismatch' },
  ]);
});

t.test('skip_check_adv_addr without strict mode: the mismatch notice too follows the sender', async (t) => {
  const config = v2Config({ skipCheckAdvertAddresses: true });
  const s = new Scenario(config);
  s.at(0, startup);
  s.at(100, advertInput(advertFor(config, { priority: 150 })));
  t.strictSame(s.at(200, advertInput(advertFor(config, { priority: 150, addresses: ['192.0.2.111'] }))), []);
  t.match(
    ofKind(
      s.at(300, advertInput(advertFor(config, { from: '192.0.2.21', priority: 150, addresses: ['192.0.2.111'] }))),
      'notice',
    ),
    [{ notice: 'address-list-mismatch' }],
  );
});

t.test('skip_check_adv_addr: a Master compares every advert', async (t) => {
  const config = v2Config({ strictAddressList: true, skipCheckAdvertAddresses: true });
  const s = new Scenario(config);
  s.at(0, startup);
  s.at(100, advertInput(advertFor(config, { priority: 50 })));
  s.at(3609.375, timeout);
  t.equal(s.state, 'Master');
  t.match(s.at(4000, advertInput(advertFor(config, { priority: 150, addresses: ['192.0.2.111'] }))), [
    { kind: 'dropped', reason: 'address-list-mismatch' },
  ]);
  t.equal(s.state, 'Master');
});

const UNICAST_V3 = v3Config({ primaryAddress: '192.0.2.10', unicastPeers: ['192.0.2.20'], checkUnicastTtl: false });

/** A v3 advert from the peer to us, checksummed with `pseudoHeaderDestination` (224.0.0.18: the old form). */
function unicastPacket(priority: number, pseudoHeaderDestination?: string): { bytes: Uint8Array; meta: PacketMeta } {
  const meta: PacketMeta = { family: 4, sourceAddress: '192.0.2.20', destinationAddress: '192.0.2.10', ttl: 64 };
  const bytes = encodeAdvert(
    { version: 3, vrid: 51, priority, advertIntervalCs: 100, addresses: ['192.0.2.100'] },
    {
      family: 4,
      sourceAddress: meta.sourceAddress,
      destinationAddress: meta.destinationAddress,
      ...(pseudoHeaderDestination !== undefined ? { pseudoHeaderDestination } : {}),
    },
  );
  return { bytes, meta };
}

t.test('old_unicast_checksum: the codec takes the old form only when asked', async (t) => {
  const old = unicastPacket(100, '224.0.0.18');
  t.match(decodeAdvertHeader(old.bytes, old.meta), { ok: false, reason: 'bad-checksum' });
  t.match(decodeAdvertHeader(old.bytes, old.meta, true), { ok: true, checksumForm: 'v3-old-unicast' });
  const rfc = unicastPacket(100);
  t.match(decodeAdvertHeader(rfc.bytes, rfc.meta, true), { ok: true, checksumForm: 'v3-pseudo-header' });
  // A multicast advert's own destination is the group: the old form says nothing there.
  const group: PacketMeta = { ...old.meta, destinationAddress: '224.0.0.18' };
  const multicast = encodeAdvert(
    { version: 3, vrid: 51, priority: 100, advertIntervalCs: 100, addresses: ['192.0.2.100'] },
    { family: 4, sourceAddress: '192.0.2.20', destinationAddress: '192.0.2.99', pseudoHeaderDestination: '224.0.0.18' },
  );
  t.match(decodeAdvertHeader(multicast, group, true), { ok: true, checksumForm: 'v3-pseudo-header' });
});

t.test("old_unicast_checksum 'auto' (keepalived's default): a peer heard using it switches ours", async (t) => {
  const router = new VirtualRouter(UNICAST_V3);
  const demux = new InterfaceDemux('eth0', [router]);
  router.handle(startup, 0);
  const before = router.handle(timeout, 3609.375);
  t.notOk(ofKind(before, 'sendAdvert')[0]!.oldUnicastChecksum, 'the RFC form first');
  const old = unicastPacket(50, '224.0.0.18');
  const result = demux.receive(old.bytes, old.meta, 4000);
  t.match(ofKind([...result.actions], 'notice'), [{ notice: 'old-unicast-checksum' }]);
  const after = router.handle(timeout, 4609.375);
  t.equal(ofKind(after, 'sendAdvert')[0]!.oldUnicastChecksum, true, 'the old form from now on');
  const packets = encodeAdvertPackets(advertEncoding(UNICAST_V3), ofKind(after, 'sendAdvert')[0]!);
  const meta: PacketMeta = { family: 4, sourceAddress: '192.0.2.10', destinationAddress: '192.0.2.20', ttl: 255 };
  t.match(decodeAdvertHeader(packets[0]!.payload, meta, true), { ok: true, checksumForm: 'v3-old-unicast' });
  t.match(
    decodeAdvertHeader(packets[0]!.payload, meta),
    { ok: false, reason: 'bad-checksum' },
    'which the RFC rejects',
  );
});

t.test("old_unicast_checksum 'always' sends it from the start; 'never' drops it", async (t) => {
  const always = new VirtualRouter({ ...UNICAST_V3, oldUnicastChecksum: 'always' });
  always.handle(startup, 0);
  t.equal(ofKind(always.handle(timeout, 3609.375), 'sendAdvert')[0]!.oldUnicastChecksum, true);
  t.equal(always.partingAdvert()?.oldUnicastChecksum, true, 'its priority-0 advert too');

  const never = new VirtualRouter({ ...UNICAST_V3, oldUnicastChecksum: 'never' });
  const demux = new InterfaceDemux('eth0', [never]);
  never.handle(startup, 0);
  const old = unicastPacket(150, '224.0.0.18');
  t.match(demux.receive(old.bytes, old.meta, 100).actions, [{ kind: 'dropped', reason: 'bad-checksum' }]);
  t.equal(demux.dropCounts.get('bad-checksum'), 1);

  const multicast = new VirtualRouter(v3Config({ oldUnicastChecksum: 'always' }));
  multicast.handle(startup, 0);
  t.notOk(ofKind(multicast.handle(timeout, 3609.375), 'sendAdvert')[0]!.oldUnicastChecksum, 'multicast: never');
});

t.test('mcast_dst_ip: adverts go to the group, and the group is TTL-checked as a multicast one', async (t) => {
  const config = v3Config({ multicastGroup: '224.0.0.19' });
  const encoding = advertEncoding(config);
  t.same(encoding.destinations, ['224.0.0.19']);
  const packets = encodeAdvertPackets(encoding, {
    kind: 'sendAdvert',
    vrid: 51,
    priority: 100,
    advertIntervalCs: 100,
    addresses: config.virtualAddresses,
  });
  t.equal(packets[0]!.destinationAddress, '224.0.0.19');
  t.equal(packets[0]!.ttl, undefined, 'multicast: the socket TTL 255');
  const meta: PacketMeta = { family: 4, sourceAddress: '192.0.2.10', destinationAddress: '224.0.0.19', ttl: 255 };
  t.match(decodeAdvertHeader(packets[0]!.payload, meta), { ok: true, checksumForm: 'v3-pseudo-header' });
  const unchecked = { ...config, checkUnicastTtl: false };
  t.equal(validateAdvert(advertFor(unchecked, { to: '224.0.0.19', ttl: 254 }), unchecked), 'ttl');
  t.equal(validateAdvert(advertFor(unchecked, { to: '224.0.0.19', ttl: 255 }), unchecked), undefined);
});

t.test('unicast_ttl: each unicast advert carries it; received unicast TTL per checkUnicastTtl', async (t) => {
  const config = v2Config({ unicastPeers: ['192.0.2.20', '192.0.2.21'], unicastTtl: 10, checkUnicastTtl: false });
  const packets = encodeAdvertPackets(advertEncoding(config), {
    kind: 'sendAdvert',
    vrid: 51,
    priority: 100,
    advertIntervalCs: 100,
    addresses: config.virtualAddresses,
  });
  t.same(
    packets.map((p) => [p.destinationAddress, p.ttl]),
    [
      ['192.0.2.20', 10],
      ['192.0.2.21', 10],
    ],
  );
  t.equal(validateAdvert(advertFor(config, { to: '192.0.2.10', ttl: 10 }), config), undefined);
});

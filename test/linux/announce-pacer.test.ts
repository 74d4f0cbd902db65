// The announce pacer holds keepalived 2.2.7's gaps between gratuitous ARPs / NAs on one interface
// (vrrp_arp.c, vrrp_ndisc.c, vrrp_scheduler.c): the first frame at once, the rest of a burst folded
// into one pending frame per address, pending frames one per gap in list order, one lane per
// (base interface, family) shared by every router. Real timers; gaps measured with slack.
import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { AnnouncePacer } from '../../src/linux/announce-pacer.js';

interface Sent {
  readonly iface: string;
  readonly addresses: readonly string[];
  readonly count: number;
  readonly atMs: number;
}

function recorder() {
  const sent: Sent[] = [];
  const start = performance.now();
  const send = (iface: string, addresses: readonly string[], count: number) => {
    sent.push({ iface, addresses: [...addresses], count, atMs: performance.now() - start });
  };
  return { sent, send };
}
const GAP = 60;
const gaps = (v4: number, v6 = 0) => ({ base: 'eth0', gapMs: (family: 4 | 6) => (family === 4 ? v4 : v6) });

t.test('no gap: every address, count frames, in one call', async (t) => {
  const pacer = new AnnouncePacer();
  const { sent, send } = recorder();
  pacer.announce(send, 'eth0', ['192.0.2.1', '192.0.2.2'], 5, gaps(0));
  t.same(
    sent.map(({ iface, addresses, count }) => ({ iface, addresses, count })),
    [{ iface: 'eth0', addresses: ['192.0.2.1', '192.0.2.2'], count: 5 }],
  );
  pacer.announce(send, 'eth0', ['192.0.2.1', '192.0.2.2'], 5, gaps(0), new Set(['192.0.2.1']));
  t.same(sent[1]?.addresses, ['192.0.2.2'], 'what the takeover kit sent is not sent again');
});

t.test(
  'a burst of 5 with a gap: one frame now, one a gap later, then nothing (keepalived folds the rest)',
  async (t) => {
    const pacer = new AnnouncePacer();
    const { sent, send } = recorder();
    pacer.announce(send, 'eth0', ['192.0.2.1'], 5, gaps(GAP));
    t.same(
      sent.map((s) => [s.addresses, s.count]),
      [[['192.0.2.1'], 1]],
      'the first frame at once',
    );
    t.ok(sent[0]!.atMs < GAP / 2, `first at ${sent[0]!.atMs.toFixed(1)} ms`);
    await sleep(GAP * 10);
    t.equal(sent.length, 2, 'one more, no others');
    t.ok(sent[1]!.atMs >= GAP - 1, `second at ${sent[1]!.atMs.toFixed(1)} ms, at least a gap after`);
    t.same(pacer.counters(), { deferredSent: 1, folded: 3, dropped: 0, deferredFailed: 0 });
  },
);

t.test('two addresses: the first twice, then the second, one per gap, in list order', async (t) => {
  const pacer = new AnnouncePacer();
  const { sent, send } = recorder();
  pacer.announce(send, 'eth0', ['192.0.2.1', '192.0.2.2'], 3, gaps(GAP));
  await sleep(GAP * 10);
  t.same(
    sent.map((s) => s.addresses[0]),
    ['192.0.2.1', '192.0.2.1', '192.0.2.2'],
  );
  t.ok(sent[2]!.atMs - sent[1]!.atMs >= GAP - 1, 'a gap between the pending frames');
});

t.test('the kit sent the first frame: the burst continues a gap later', async (t) => {
  const pacer = new AnnouncePacer();
  const { sent, send } = recorder();
  pacer.announce(send, 'eth0', ['2001:db8::1'], 5, gaps(0, GAP), new Set(['2001:db8::1']));
  t.equal(sent.length, 0, 'nothing now: the kit sent it');
  await sleep(GAP * 10);
  t.same(
    sent.map((s) => s.addresses),
    [['2001:db8::1']],
  );
  t.ok(sent[0]!.atMs >= GAP - 1);
});

t.test('the gap runs from when the kit sent its frame, not from the call', async (t) => {
  const pacer = new AnnouncePacer();
  const { sent, send } = recorder();
  const kitSentAt = performance.now() - GAP / 2;
  pacer.announce(send, 'eth0', ['192.0.2.1'], 5, gaps(GAP), new Set(['192.0.2.1']), kitSentAt);
  await sleep(GAP * 10);
  t.equal(sent.length, 1);
  t.ok(sent[0]!.atMs < GAP - 5, `half a gap after the call (${sent[0]!.atMs.toFixed(1)} ms)`);
});

t.test('one lane per interface and family, shared by routers; removed addresses are dropped', async (t) => {
  const pacer = new AnnouncePacer();
  const { sent, send } = recorder();
  pacer.announce(send, 'eth0', ['192.0.2.1'], 1, gaps(GAP));
  // Another router on the same interface, at once: its frame waits a gap (keepalived: per interface).
  pacer.announce(send, 'eth0', ['192.0.2.9'], 1, gaps(GAP));
  // IPv6 on the same interface and IPv4 on another have lanes of their own: sent at once.
  pacer.announce(send, 'eth0', ['2001:db8::1'], 1, gaps(GAP, GAP));
  pacer.announce(send, 'eth1', ['198.51.100.1'], 1, { base: 'eth1', gapMs: () => GAP });
  t.same(
    sent.map((s) => s.addresses[0]),
    ['192.0.2.1', '2001:db8::1', '198.51.100.1'],
  );
  pacer.announce(send, 'eth0', ['192.0.2.7'], 2, gaps(GAP));
  pacer.forget('eth0', ['192.0.2.7']);
  await sleep(GAP * 10);
  t.same(
    sent.slice(3).map((s) => s.addresses[0]),
    ['192.0.2.9'],
    'the pending frame of the other router; none for the removed address',
  );
  t.equal(pacer.counters().dropped, 1);
  pacer.clear();
});

t.test('a deferred frame that fails is counted and reported, never thrown', async (t) => {
  const pacer = new AnnouncePacer();
  const reported: string[] = [];
  pacer.onDeferredError = (iface, address, error) => reported.push(`${iface} ${address} ${(error as Error).message}`);
  let calls = 0;
  const send = () => {
    if (calls++ > 0) throw new Error('ENETDOWN');
  };
  pacer.announce(send, 'eth0', ['192.0.2.1'], 2, gaps(GAP));
  await sleep(GAP * 10);
  t.same(reported, ['eth0 192.0.2.1 ENETDOWN']);
  t.equal(pacer.counters().deferredFailed, 1);
});

t.test('the takeover kit on a paced interface: the first address of each family, once', async (t) => {
  const { announcedByKit } = await import('../../src/linux/takeover-kit.js');
  const request = (address: string, announceOnce?: true) => ({
    address,
    add: new Uint8Array(),
    remove: new Uint8Array(),
    ...(announceOnce ? { announceOnce } : {}),
  });
  t.same(announcedByKit([request('192.0.2.1'), request('192.0.2.2')], 5), [[['192.0.2.1', '192.0.2.2'], 5]], 'unpaced');
  t.same(
    announcedByKit(
      [request('192.0.2.1', true), request('192.0.2.2', true), request('2001:db8::1', true), request('2001:db8::2')],
      5,
    ),
    [
      [['2001:db8::2'], 5],
      [['192.0.2.1'], 1],
      [['2001:db8::1'], 1],
    ],
  );
});

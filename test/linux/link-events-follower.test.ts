// The link watcher's bookkeeping: snapshot, held notifications, and a fresh snapshot after an
// overflow (ENOBUFS from a read; the socket stays open). The real socket path
// is in netlink.test.ts; here the dump is a promise the test resolves, so every ordering is exact.
// Quiet periods are real timers of QUIET_MS.

import t from 'tap';
import { LinkEventsFollower, type LinkEventsMessage } from '../../src/linux/link-events-follower.js';
import type { InterfaceInfo, RtNotification } from '../../src/linux/netlink.js';

function link(name: string, up: boolean): InterfaceInfo {
  return {
    ifindex: name === 'eth0' ? 2 : 3,
    name,
    mac: '02:00:00:00:00:01',
    mtu: 1500,
    operState: up ? 'up' : 'down',
    adminUp: up,
    lowerUp: up,
    running: up,
  };
}

const linkChange = (name: string, up: boolean): RtNotification => ({ kind: 'link', info: link(name, up) });
const enobufs = Object.assign(new Error('no buffer space'), { code: 'ENOBUFS' });

/** A follower whose dumps the test answers one at a time. */
function harness() {
  const sent: LinkEventsMessage[] = [];
  const dumps: Array<(links: readonly InterfaceInfo[]) => void> = [];
  const failures: unknown[] = [];
  const follower = new LinkEventsFollower({
    readLinks: () => new Promise((resolve) => dumps.push(resolve)),
    send: (message) => sent.push(message),
    onDumpFailed: (error) => failures.push(error),
    quietMs: QUIET_MS,
  });
  const summary = () =>
    sent.map((m) =>
      m.type === 'snapshot'
        ? `snapshot ${m.links.map((l) => `${l.name}:${l.running ? 'up' : 'down'}`).join(',')}`
        : m.type === 'notification' && m.notification.kind === 'link'
          ? `link ${m.notification.info.name}:${m.notification.info.running ? 'up' : 'down'}`
          : m.type,
    );
  return { follower, sent, dumps, failures, summary };
}

const QUIET_MS = 30;
const turn = () => new Promise((resolve) => setImmediate(resolve));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

t.test('a change during the first dump is sent after the snapshot, in order', async (t) => {
  const h = harness();
  const started = h.follower.start();
  h.follower.notification(linkChange('eth0', false));
  t.same(h.summary(), [], 'nothing sent before the snapshot');
  h.dumps[0]!([link('eth0', true)]);
  await started;
  h.follower.notification(linkChange('eth0', true));
  t.same(h.summary(), ['snapshot eth0:up', 'link eth0:down', 'link eth0:up']);
});

t.test('ENOBUFS from recvmsg: reported; the state is re-read once the socket has been quiet', async (t) => {
  const h = harness();
  const started = h.follower.start();
  h.dumps[0]!([link('eth0', true)]);
  await started;
  h.follower.error(enobufs);
  t.same(h.summary(), ['snapshot eth0:up', 'error']);
  // What was queued before the overflow is still being read: each message restarts the quiet wait.
  for (let i = 0; i < 4; i++) {
    await sleep(QUIET_MS / 2);
    h.follower.notification(linkChange('eth0', true));
  }
  t.equal(h.dumps.length, 1, 'no dump while messages keep coming');
  await sleep(QUIET_MS * 2);
  t.equal(h.dumps.length, 2, 'a dump once quiet');
  h.follower.notification(linkChange('eth0', false));
  t.same(h.summary(), ['snapshot eth0:up', 'error'], 'held while the state is re-read');
  h.dumps[1]!([link('eth0', true)]);
  await turn();
  h.follower.notification(linkChange('eth0', true));
  t.same(h.summary(), ['snapshot eth0:up', 'error', 'snapshot eth0:up', 'link eth0:down', 'link eth0:up']);
  t.same(h.failures, []);
});

t.test('an overflow during a dump: that dump is discarded and the state read again after a quiet wait', async (t) => {
  const h = harness();
  const started = h.follower.start();
  h.follower.error(enobufs);
  h.dumps[0]!([link('eth0', true)]);
  await started;
  t.same(h.summary(), ['error'], 'the interrupted first dump was not sent');
  await sleep(QUIET_MS * 2);
  t.equal(h.dumps.length, 2);
  h.follower.error(enobufs);
  h.dumps[1]!([link('eth0', false)]);
  await turn();
  t.same(h.summary(), ['error', 'error'], 'nor the second');
  await sleep(QUIET_MS * 2);
  t.equal(h.dumps.length, 3);
  h.dumps[2]!([link('eth0', true)]);
  await turn();
  h.follower.notification(linkChange('eth0', false));
  t.same(h.summary(), ['error', 'error', 'snapshot eth0:up', 'link eth0:down']);
  h.follower.close();
});

t.test('other socket errors are reported without a dump; a failed dump goes to onDumpFailed', async (t) => {
  const h = harness();
  const started = h.follower.start();
  h.dumps[0]!([]);
  await started;
  h.follower.error(Object.assign(new Error('odd'), { code: 'EIO' }));
  await sleep(QUIET_MS * 2);
  t.equal(h.dumps.length, 1);
  t.same(h.summary(), ['snapshot ', 'error']);

  const failing = new LinkEventsFollower({
    readLinks: () => Promise.reject(Object.assign(new Error('dump refused'), { code: 'EPERM' })),
    send: () => {},
    onDumpFailed: (error) => h.failures.push(error),
    quietMs: QUIET_MS,
  });
  failing.error(enobufs);
  await sleep(QUIET_MS * 2);
  t.equal((h.failures[0] as Error).message, 'dump refused');
  await t.rejects(failing.start(), { message: 'dump refused' }, 'the first dump rejects to its caller');
});

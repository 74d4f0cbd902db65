// The rtnetlink notification socket, in a process of its own (forked by LinkWatcher in links.ts).
//
// Why a separate process: when the kernel overflows a notification socket (ENOBUFS: a burst of
// address changes while the reader was busy), the socket reports POLLERR, and the `netlink` package's
// poll handler then builds its error with a null syscall name, which throws inside a libuv callback
// and aborts the whole process ("terminate called after throwing an instance of 'Napi::Error'",
// reproduced in test/linux/netlink.test.ts). Here that abort ends only this helper; the watcher sees
// the exit, starts a new one and re-reads the link state, so the engine loses no link change.
//
// The same overflow can instead show up as a recvmsg() error while the helper is reading (the
// package reports it and keeps the socket open). Notifications were lost all the same, so the helper
// re-reads every link (LinkEventsFollower) and sends a fresh snapshot, which the watcher treats like
// a restart's.
//
// Protocol (IPC messages, plain data): one `snapshot` of every link once subscribed, then one
// `notification` per change; another `snapshot` after each overflow. The process exits when its
// parent disconnects.

import { LinkEventsFollower, type LinkEventsMessage } from './link-events-follower.js';
import { RtNetlinkClient, RtNetlinkSubscription, type InterfaceInfo } from './netlink.js';
import { errorCode } from '../errors.js';

export type { LinkEventsMessage } from './link-events-follower.js';

function send(message: LinkEventsMessage): void {
  if (process.connected) process.send!(message);
}

async function readLinks(): Promise<readonly InterfaceInfo[]> {
  const client = new RtNetlinkClient();
  try {
    return await client.listLinks();
  } finally {
    client.close();
  }
}

/** Reports the error, then exits (a subscribed socket would otherwise keep the process alive). */
function exitFatal(error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  const fatal: LinkEventsMessage = { type: 'fatal', code: errorCode(error) ?? 'ENETLINK', message };
  if (process.connected) process.send!(fatal, () => process.exit(1));
  else process.exit(1);
}

async function main(recvBufferSize: number | undefined): Promise<void> {
  const follower = new LinkEventsFollower({ readLinks, send, onDumpFailed: exitFatal });
  await RtNetlinkSubscription.open(
    ['LINK', 'IPV4_IFADDR', 'IPV6_IFADDR'],
    (notification) => follower.notification(notification),
    (error) => follower.error(error),
    recvBufferSize,
  );
  // Subscribed first, then dumped: a change between the two is held by the follower, not lost.
  await follower.start();
}

if (process.send) {
  process.on('disconnect', () => process.exit(0));
  const bufferArgument = Number(process.argv[2]);
  main(Number.isFinite(bufferArgument) && bufferArgument > 0 ? bufferArgument : undefined).catch(exitFatal);
}

// The rtnetlink notification socket, in a process of its own (forked by LinkWatcher in links.ts).
//
// Why a separate process: when the kernel overflows a notification socket (ENOBUFS: a burst of
// address changes while the reader was busy), the socket reports POLLERR, and the `netlink` package's
// poll handler then builds its error with a null syscall name, which throws inside a libuv callback
// and aborts the whole process ("terminate called after throwing an instance of 'Napi::Error'",
// reproduced in test/linux/netlink.test.ts). Here that abort ends only this helper; the watcher sees
// the exit, starts a new one and re-reads the link state, so the engine loses no link change.
//
// Protocol (IPC messages, plain data): one `snapshot` of every link once subscribed, then one
// `notification` per change. The process exits when its parent disconnects.

import { RtNetlinkClient, RtNetlinkSubscription, type InterfaceInfo, type RtNotification } from './netlink.js';

export type LinkEventsMessage =
  | { readonly type: 'snapshot'; readonly links: readonly InterfaceInfo[] }
  | { readonly type: 'notification'; readonly notification: RtNotification }
  | { readonly type: 'error'; readonly code: string; readonly message: string }
  | { readonly type: 'fatal'; readonly code: string; readonly message: string };

function send(message: LinkEventsMessage): void {
  if (process.connected) process.send!(message);
}

async function main(recvBufferSize: number | undefined): Promise<void> {
  const pending: RtNotification[] = [];
  let live = false;
  await RtNetlinkSubscription.open(
    ['LINK', 'IPV4_IFADDR', 'IPV6_IFADDR'],
    (notification) => (live ? send({ type: 'notification', notification }) : pending.push(notification)),
    (error) => send({ type: 'error', code: error.code, message: error.message }),
    recvBufferSize,
  );
  // Subscribed first, then dumped: a change between the two is in `pending`, not lost.
  const client = new RtNetlinkClient();
  const links = await client.listLinks();
  client.close();
  send({ type: 'snapshot', links });
  for (const notification of pending) send({ type: 'notification', notification });
  live = true;
}

if (process.send) {
  process.on('disconnect', () => process.exit(0));
  const bufferArgument = Number(process.argv[2]);
  main(Number.isFinite(bufferArgument) && bufferArgument > 0 ? bufferArgument : undefined).catch((error: unknown) => {
    const coded = error as Error & { code?: string };
    const fatal: LinkEventsMessage = { type: 'fatal', code: coded.code ?? 'ENETLINK', message: coded.message ?? String(error) };
    // Exit even though a subscribed socket would keep the event loop alive.
    if (process.connected) process.send!(fatal, () => process.exit(1));
    else process.exit(1);
  });
}

// Child process for test/linux/raw-socket.root.test.ts, run inside a network namespace with
// `ip netns exec NS node raw-socket-peer.js <role> <json>`. It talks to the test as JSON lines on stdout.
//   receive {interface}: opens IPv4 and IPv6 sockets, joins both groups, prints {event:'ready'} and then
//     one {event:'packet'} per datagram, until stdin closes; then prints {event:'counters'} and exits.
//     A stdin line 'drain' starts reading a third, unjoined IPv4 socket (the first batch synchronously,
//     with receiveNow): {event:'backlog-batch'} each.
//     Every packet carries the kernel's receive stamp: a packet says whether it had one no later than
//     its delivery, and each backlog batch how long its datagrams had waited when read.
//   send {interface, packets, probes, badSource, garp, na}: opens both sockets (joined and listening, to
//     show that our own multicast does not loop back), probes (MSG_PROBE: nothing may reach the wire),
//     sends, announces, reports {event:'done'} and exits.

import { Buffer } from 'node:buffer';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import type { OutgoingPacket } from '../../src/engine/ports.js';
import {
  sendGratuitousArp,
  sendUnsolicitedNa,
  VrrpRawSocket,
  VrrpSendError,
  type ReceivedVrrpPacket,
} from '../../src/linux/raw-socket.js';
import type { IpFamily } from '../../src/wire/types.js';

interface PacketSpec {
  readonly family: IpFamily;
  readonly sourceAddress: string;
  readonly destinationAddress: string;
  readonly payloadHex: string;
}

interface SendArgs {
  readonly interface: string;
  readonly packets: readonly PacketSpec[];
  /** Sent with `probe` first: the route is looked up, nothing is sent. */
  readonly probes: readonly PacketSpec[];
  /** Sent as [bad source, good packet] in one batch: the good one must still go out. */
  readonly badSource: { readonly bad: PacketSpec; readonly good: PacketSpec };
  readonly garp: { readonly address: string; readonly count: number };
  readonly na: { readonly address: string; readonly count: number };
  /** Sent last, all in one send() call. */
  readonly flood: readonly PacketSpec[];
}

function report(message: object): void {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

/** A receive stamp no later than the moment the packet was handed to us. */
function stampedBefore(packet: ReceivedVrrpPacket, deliveredAtMs: number): boolean {
  return typeof packet.receivedAtMs === 'number' && packet.receivedAtMs <= deliveredAtMs;
}

function toJson(packet: ReceivedVrrpPacket, deliveredAtMs: number): object {
  return {
    event: 'packet',
    interface: packet.interface,
    ifindex: packet.ifindex,
    family: packet.meta.family,
    sourceAddress: packet.meta.sourceAddress,
    destinationAddress: packet.meta.destinationAddress,
    ttl: packet.meta.ttl,
    payloadHex: Buffer.from(packet.payload).toString('hex'),
    stamped: stampedBefore(packet, deliveredAtMs),
  };
}

function openBoth(interfaceName: string): VrrpRawSocket[] {
  return ([4, 6] as const).map((family) => {
    const socket = VrrpRawSocket.open({ family, interface: interfaceName });
    socket.joinGroup();
    return socket;
  });
}

function outgoing(interfaceName: string, spec: PacketSpec): OutgoingPacket {
  return {
    interface: interfaceName,
    family: spec.family,
    sourceAddress: spec.sourceAddress,
    destinationAddress: spec.destinationAddress,
    payload: Buffer.from(spec.payloadHex, 'hex'),
  };
}

function receive(args: { interface: string }): void {
  const sockets = openBoth(args.interface);
  for (const socket of sockets) {
    socket.onPackets(
      (packets) => {
        const deliveredAtMs = performance.now();
        packets.forEach((packet) => report(toJson(packet, deliveredAtMs)));
      },
      (error) => report({ event: 'error', code: error.code, message: error.message }),
    );
  }
  // A third IPv4 socket that joins no group and reads nothing until told to 'drain': datagrams pile up
  // in its buffer, so the first readiness finds more than one wake-up may read.
  const backlog = VrrpRawSocket.open({ family: 4, interface: args.interface });
  report({ event: 'ready', ifindex: sockets[0]!.ifindex });

  const commands = createInterface({ input: process.stdin });
  commands.on('line', (line) => {
    if (line !== 'drain') return;
    let inReceiveNow = false;
    backlog.onPackets((packets) => {
      const deliveredAtMs = performance.now();
      const stamps = packets.map((packet) => packet.receivedAtMs ?? NaN);
      report({
        event: 'backlog-batch',
        size: packets.length,
        multicast: packets.filter((packet) => packet.meta.destinationAddress === '224.0.0.18').length,
        synchronous: inReceiveNow,
        stamped: packets.every((packet) => stampedBefore(packet, deliveredAtMs)),
        inArrivalOrder: stamps.every((stamp, i) => i === 0 || stamp >= stamps[i - 1]!),
        // How long the youngest datagram of the batch had waited in the socket when read.
        youngestWaitMs: deliveredAtMs - Math.max(...stamps),
      });
    });
    // The first batch is read at once by receiveNow (as the engine does before its timeouts), the
    // rest by the event loop.
    inReceiveNow = true;
    const more = backlog.receiveNow();
    inReceiveNow = false;
    report({ event: 'receive-now', more });
  });
  commands.on('close', () => {
    report({ event: 'counters', counters: sockets.map((socket) => socket.counters()) });
    // Closing is all it takes to let the process exit: no handle may stay behind.
    [...sockets, backlog].forEach((socket) => socket.close());
  });
}

async function send(args: SendArgs): Promise<void> {
  const sockets = openBoth(args.interface);
  let selfReceived = 0;
  sockets.forEach((socket) => socket.onPackets((packets) => (selfReceived += packets.length)));

  const probed: Record<string, number> = {};
  for (const socket of sockets) {
    const batch = args.probes.filter((spec) => spec.family === socket.family);
    probed[socket.family] = socket.send(
      batch.map((spec) => outgoing(args.interface, spec)),
      { probe: true },
    );
  }

  const sent: Record<string, number> = {};
  for (const socket of sockets) {
    const batch = args.packets.filter((spec) => spec.family === socket.family);
    sent[socket.family] = socket.send(batch.map((spec) => outgoing(args.interface, spec)));
  }

  let badSource: object = { thrown: false };
  const v4 = sockets[0]!;
  try {
    v4.send([outgoing(args.interface, args.badSource.bad), outgoing(args.interface, args.badSource.good)]);
  } catch (error) {
    if (!(error instanceof VrrpSendError)) throw error;
    badSource = {
      thrown: true,
      code: error.code,
      syscall: error.syscall,
      sentCount: error.sentCount,
      failedSources: error.failures.map((failure) => failure.packet.sourceAddress),
      failureCodes: error.failures.map((failure) => failure.error.code),
    };
  }

  const floodSent = v4.send(args.flood.map((spec) => outgoing(args.interface, spec)));
  const garpSent = sendGratuitousArp({ interface: args.interface, ...args.garp });
  const naSent = sendUnsolicitedNa({ interface: args.interface, ...args.na });
  await sleep(300);
  const counters = sockets.map((socket) => socket.counters());
  sockets.forEach((socket) => socket.close());
  report({
    event: 'done',
    probed,
    sent,
    badSource,
    floodSent,
    garpSent,
    naSent,
    selfReceived,
    counters,
    closedFd: v4.fd,
  });
}

const [role, json] = process.argv.slice(2);
const args = JSON.parse(json ?? '{}');
if (role === 'receive') {
  receive(args);
} else if (role === 'send') {
  await send(args);
} else {
  throw new Error(`unknown role ${role}`);
}

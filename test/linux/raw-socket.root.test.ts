// The native VRRP socket and the ARP/NA announcements on a real (virtual) wire.
//
// Two network namespaces joined by a veth pair: A (va: 192.0.2.1/24, 2001:db8::1/64) sends, B (vb:
// 192.0.2.2/24, 2001:db8::2/64) receives. Each side is a child node process (raw-socket-peer.js) run
// with `ip netns exec`. What B's sockets report is checked field by field, and a tcpdump capture on vb
// is checked independently with tshark. Needs root; everything created is removed in teardown.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { sendGratuitousArp, VrrpRawSocket } from '../../src/linux/raw-socket.js';
import type { IpFamily } from '../../src/wire/types.js';

const peerScript = fileURLToPath(new URL('./raw-socket-peer.js', import.meta.url));
const ns = { a: `vrrpraw${process.pid}a`, b: `vrrpraw${process.pid}b` };
const mac = { a: '02:00:5e:10:00:01', b: '02:00:5e:10:00:02' };
const VIP4 = '192.0.2.100';
const VIP6 = '2001:db8::100';
const STEP_TIMEOUT_MS = 8000;

function hasCommand(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function run(command: string, args: string[]): string {
  return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function inNs(name: string, command: string, ...args: string[]): string {
  return run('ip', ['netns', 'exec', name, command, ...args]);
}

/** A child whose stdout is JSON lines; `next(pred)` resolves with the first matching message. */
class Peer {
  readonly messages: Record<string, unknown>[] = [];
  readonly #waiters: {
    pred: (m: Record<string, unknown>) => boolean;
    resolve: (m: Record<string, unknown>) => void;
  }[] = [];
  stderr = '';

  constructor(readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const message = JSON.parse(line) as Record<string, unknown>;
      this.messages.push(message);
      for (const waiter of [...this.#waiters]) {
        if (waiter.pred(message)) {
          this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
          waiter.resolve(message);
        }
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
  }

  next(what: string, pred: (m: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
    const seen = this.messages.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`timed out waiting for ${what}; child stderr: ${this.stderr}`)),
        STEP_TIMEOUT_MS,
      );
      this.#waiters.push({ pred, resolve: (m) => (clearTimeout(timer), resolve(m)) });
    });
  }

  exited(): Promise<number | null> {
    if (this.child.exitCode !== null) return Promise.resolve(this.child.exitCode);
    return new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }
}

function waitForOutput(child: ChildProcess, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`timed out waiting for "${text}": ${output}`)), STEP_TIMEOUT_MS);
    child.stderr!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(text)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`exited with ${code} before "${text}": ${output}`)));
  });
}

/** The link-local address appears once both ends of the veth are up (carrier), so poll for it. */
async function linkLocalAddress(name: string, link: string): Promise<string> {
  const deadline = Date.now() + STEP_TIMEOUT_MS;
  for (;;) {
    const links = JSON.parse(run('ip', ['-n', name, '-j', '-6', 'addr', 'show', 'dev', link, 'scope', 'link'])) as {
      addr_info?: { local?: string; scope?: string }[];
    }[];
    // iproute2 prints filtered-out addresses as {} in JSON, so search rather than take the first.
    const address = links[0]?.addr_info?.find((info) => info.scope === 'link' && info.local)?.local;
    if (address) return address;
    if (Date.now() > deadline) throw new Error(`no link-local address on ${link} in ${name}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** tshark's booleans print as 1/0 (4.0) or True/False (4.2+). */
const isSet = (field: string | undefined): boolean => field === '1' || field === 'True';

function tsharkRows(pcap: string, filter: string, fields: string[]): string[][] {
  const output = run('tshark', ['-r', pcap, '-Y', filter, '-T', 'fields', ...fields.flatMap((f) => ['-e', f])]);
  return output
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => line.split('\t'));
}

if (process.getuid?.() !== 0) {
  t.plan(0, 'skipped: needs root (network namespaces, raw and packet sockets)');
} else if (!hasCommand('ip')) {
  t.plan(0, 'skipped: iproute2 `ip` is not installed');
} else {
  const children: ChildProcess[] = [];
  const workDir = mkdtempSync(join(tmpdir(), 'vrrp-raw-'));
  t.teardown(() => {
    for (const child of children) {
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
        try {
          process.kill(child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
    for (const name of [ns.a, ns.b]) {
      try {
        run('ip', ['netns', 'del', name]);
      } catch {
        // never created
      }
    }
    if (!process.env.VRRP_KEEP_PCAP) rmSync(workDir, { recursive: true, force: true });
  });

  const spawnIn = (name: string, command: string, args: string[]): ChildProcess => {
    const child = spawn('ip', ['netns', 'exec', name, command, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    children.push(child);
    return child;
  };

  t.test('VRRP over raw sockets, GARP and unsolicited NA between two namespaces', async (t) => {
    run('ip', ['netns', 'add', ns.a]);
    run('ip', ['netns', 'add', ns.b]);
    run('ip', [
      '-n',
      ns.a,
      'link',
      'add',
      'va',
      'address',
      mac.a,
      'type',
      'veth',
      'peer',
      'name',
      'vb',
      'address',
      mac.b,
      'netns',
      ns.b,
    ]);
    for (const [name, link, n] of [
      [ns.a, 'va', 1],
      [ns.b, 'vb', 2],
    ] as const) {
      // No DAD: the link-local address (IPv6 VRRP's source) must be usable the moment the link is up.
      inNs(name, 'sysctl', '-qw', `net.ipv6.conf.${link}.accept_dad=0`);
      run('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
      run('ip', ['-n', name, 'addr', 'add', `192.0.2.${n}/24`, 'dev', link]);
      run('ip', ['-n', name, '-6', 'addr', 'add', `2001:db8::${n}/64`, 'dev', link, 'nodad']);
      run('ip', ['-n', name, 'link', 'set', link, 'up']);
    }
    const linkLocalA = await linkLocalAddress(ns.a, 'va');
    const ifindexB = (JSON.parse(run('ip', ['-n', ns.b, '-j', 'link', 'show', 'vb'])) as { ifindex: number }[])[0]!
      .ifindex;

    const haveCapture = hasCommand('tcpdump') && hasCommand('tshark');
    const pcap = join(workDir, 'vb.pcap');
    let tcpdump: ChildProcess | undefined;
    if (haveCapture) {
      // -Z root: tcpdump would otherwise drop to its own user and fail to write into our private dir.
      // --immediate-mode: packets still in a ring block at SIGTERM would be lost. -s 1024: in that mode
      // the ring holds buffer/snaplen frames, only 8 at the default snaplen, and the flood overflows it.
      tcpdump = spawnIn(ns.b, 'tcpdump', [
        '-i',
        'vb',
        '-n',
        '-U',
        '--immediate-mode',
        '-s',
        '1024',
        '-Z',
        'root',
        '-w',
        pcap,
      ]);
      await waitForOutput(tcpdump, 'listening on');
    }

    const receiver = new Peer(
      spawnIn(ns.b, process.execPath, [peerScript, 'receive', JSON.stringify({ interface: 'vb' })]),
    );
    const ready = await receiver.next('receiver ready', (m) => m.event === 'ready');
    t.equal(ready.ifindex, ifindexB, 'the socket is bound to vb');

    // VRRP-shaped payloads (v3 header, odd lengths so padding would show), one per destination.
    const packets = [
      {
        family: 4,
        sourceAddress: '192.0.2.1',
        destinationAddress: '224.0.0.18',
        payloadHex: '3133640100640000c0000264ab',
      },
      {
        family: 4,
        sourceAddress: '192.0.2.1',
        destinationAddress: '192.0.2.2',
        payloadHex: '3133640100640000c0000264cd',
      },
      {
        family: 6,
        sourceAddress: linkLocalA,
        destinationAddress: 'ff02::12',
        payloadHex: `313364010064000020010db8${'00'.repeat(10)}0100ef`,
      },
      {
        family: 6,
        sourceAddress: '2001:db8::1',
        destinationAddress: '2001:db8::2',
        payloadHex: `313364010064000020010db8${'00'.repeat(10)}0100f1`,
      },
    ];
    // Probed (MSG_PROBE) before anything is sent: none of these may reach the wire or the receiver.
    const probes = [
      {
        family: 4,
        sourceAddress: '192.0.2.1',
        destinationAddress: '224.0.0.18',
        payloadHex: '31336401dead0000c0000264ab',
      },
      {
        family: 4,
        sourceAddress: '192.0.2.1',
        destinationAddress: '192.0.2.2',
        payloadHex: '31336401dead0000c0000264cd',
      },
      {
        family: 6,
        sourceAddress: linkLocalA,
        destinationAddress: 'ff02::12',
        payloadHex: `31336401dead000020010db8${'00'.repeat(10)}0100ef`,
      },
    ];
    const badSource = {
      bad: { family: 4, sourceAddress: '198.51.100.7', destinationAddress: '192.0.2.2', payloadHex: '31336401bad0' },
      good: { family: 4, sourceAddress: '192.0.2.1', destinationAddress: '192.0.2.2', payloadHex: '3133640160' },
    };
    // More than one wake-up may read (256), all queued at once on the receiver's backlog socket (whose
    // receive buffer the addon raised well above the 208 KiB default, so none is dropped).
    const flood = Array.from({ length: 300 }, (_, i) => ({
      family: 4,
      sourceAddress: '192.0.2.1',
      destinationAddress: '192.0.2.2',
      payloadHex: `31336401f100${i.toString(16).padStart(4, '0')}`,
    }));
    const sender = new Peer(
      spawnIn(ns.a, process.execPath, [
        peerScript,
        'send',
        JSON.stringify({
          interface: 'va',
          packets,
          probes,
          badSource,
          flood,
          garp: { address: VIP4, count: 2 },
          na: { address: VIP6, count: 2 },
        }),
      ]),
    );
    const done = await sender.next('sender done', (m) => m.event === 'done');
    t.equal(await sender.exited(), 0, `sender exits cleanly once its sockets are closed ${sender.stderr}`);

    t.same(done.probed, { 4: 2, 6: 1 }, 'probes: every route found (and, below, nothing on the wire)');
    t.same(done.sent, { 4: 2, 6: 2 }, 'each family sent its batch of two in one call');
    t.match(
      done.counters,
      [
        { sent: 2 + 1 + flood.length, sendErrors: 1 },
        { sent: 2, sendErrors: 0 },
      ],
      'probes (ours and those run at open) count neither as sent nor as errors',
    );
    t.match(
      done.badSource,
      { thrown: true, syscall: 'sendmmsg', sentCount: 1, failedSources: ['198.51.100.7'], code: /^E[A-Z]+$/ },
      'a packet with a foreign source is reported with its errno; the rest of the batch still goes out',
    );
    t.equal(done.floodSent, flood.length, 'a batch of 300 goes out in one send()');
    t.equal(done.garpSent, 2, 'two gratuitous ARPs sent');
    t.equal(done.naSent, 2, 'two unsolicited NAs sent');
    t.equal(done.selfReceived, 0, 'multicast loop is off: the sender never hears itself');
    t.equal(done.closedFd, -1, 'fd is -1 after close');

    const expected = [...packets, badSource.good];
    for (const spec of expected) {
      const got = await receiver.next(
        `packet ${spec.payloadHex}`,
        (m) => m.event === 'packet' && m.payloadHex === spec.payloadHex,
      );
      t.same(
        got,
        {
          event: 'packet',
          interface: 'vb',
          ifindex: ifindexB,
          family: spec.family,
          sourceAddress: spec.sourceAddress,
          destinationAddress: spec.destinationAddress,
          ttl: 255,
          payloadHex: spec.payloadHex,
          stamped: true,
        },
        `IPv${spec.family} to ${spec.destinationAddress}: source, destination, TTL 255, ifindex, exact payload, kernel receive stamp`,
      );
    }
    for (const spec of flood) {
      await receiver.next(
        `flood packet ${spec.payloadHex}`,
        (m) => m.event === 'packet' && m.payloadHex === spec.payloadHex,
      );
    }
    t.pass('all 300 flood packets received');

    // The backlog socket now holds every unicast IPv4 datagram: 2 + 300. It joined no group, so with
    // IP_MULTICAST_ALL off it must hold no multicast even though another socket on vb joined 224.0.0.18.
    receiver.child.stdin!.write('drain\n');
    const backlogTotal = flood.length + 2;
    const batches: Record<string, unknown>[] = [];
    while (batches.reduce((sum, batch) => sum + (batch.size as number), 0) < backlogTotal) {
      batches.push(await receiver.next('backlog batch', (m) => m.event === 'backlog-batch' && !batches.includes(m)));
    }
    t.same(
      batches.map((batch) => batch.size),
      [256, backlogTotal - 256],
      'a backlog is read 256 datagrams per wake-up (one callback), the rest on the next loop turn',
    );
    t.same(
      batches.map((batch) => batch.synchronous),
      [true, false],
      'receiveNow delivers the first batch before returning; the event loop reads the rest',
    );
    const receiveNow = await receiver.next('receiveNow result', (m) => m.event === 'receive-now');
    t.equal(
      receiveNow.more,
      true,
      'receiveNow says it read a whole batch: more may be queued (the engine drain reads on)',
    );
    t.ok(
      batches.every((batch) => batch.multicast === 0),
      'an unjoined socket gets no multicast (IP_MULTICAST_ALL off)',
    );
    t.ok(
      batches.every((batch) => batch.stamped === true && batch.inArrivalOrder === true),
      'backlog: every datagram stamped, in arrival order',
    );
    // The flood arrived before the sender's 300 ms pause and report; the backlog was read after both.
    t.ok(
      batches.every((batch) => (batch.youngestWaitMs as number) >= 250),
      `the stamps are the kernel's arrival times, not the read: the youngest datagram of each batch had waited ${batches.map((b) => (b.youngestWaitMs as number).toFixed(1)).join(', ')} ms`,
    );

    receiver.child.stdin!.end();
    const counters = await receiver.next('receiver counters', (m) => m.event === 'counters');
    t.match(
      counters.counters,
      [
        { truncated: 0, malformed: 0 },
        { truncated: 0, malformed: 0 },
      ],
      'nothing dropped',
    );
    t.equal(await receiver.exited(), 0, 'receiver exits once its sockets are closed');
    t.equal(
      receiver.messages.filter((m) => m.event === 'packet').length,
      expected.length + flood.length,
      'no packet other than those sent (the bad-source one and the probes never left)',
    );

    if (!tcpdump) {
      t.comment('tcpdump/tshark not installed: wire checks skipped');
      return;
    }
    process.kill(tcpdump.pid!, 'SIGTERM');
    await new Peer(tcpdump).exited();

    const vrrp4 = tsharkRows(pcap, 'ip.proto == 112', [
      'ip.src',
      'ip.dst',
      'ip.ttl',
      'ip.dsfield',
      'ip.flags.df',
      'eth.dst',
    ]);
    t.same(
      vrrp4.map((row) => row.slice(0, 5)),
      [
        ['192.0.2.1', '224.0.0.18', '255', '0xc0', '0'],
        ...Array.from({ length: 2 + flood.length }, () => ['192.0.2.1', '192.0.2.2', '255', '0xc0', '0']),
      ],
      'IPv4 on the wire: exactly what was sent (no probe), TTL 255, DSCP CS6, DF clear (as keepalived)',
    );
    t.equal(vrrp4[0]![5], '01:00:5e:00:00:12', 'IPv4 multicast to the 224.0.0.18 group MAC');

    const vrrp6 = tsharkRows(pcap, 'ipv6.nxt == 112', ['ipv6.src', 'ipv6.dst', 'ipv6.hlim', 'ipv6.tclass']);
    t.same(
      vrrp6,
      [
        [linkLocalA, 'ff02::12', '255', '0x000000c0'],
        ['2001:db8::1', '2001:db8::2', '255', '0x000000c0'],
      ],
      'IPv6 on the wire: exactly what was sent (no probe), hop limit 255, traffic class CS6',
    );

    const arp = tsharkRows(pcap, `arp.src.proto_ipv4 == ${VIP4}`, [
      'arp.opcode',
      'arp.isgratuitous',
      'arp.dst.proto_ipv4',
      'arp.src.hw_mac',
      'arp.dst.hw_mac',
      'eth.src',
      'eth.dst',
    ]);
    t.equal(arp.length, 2, 'two gratuitous ARPs on the wire');
    for (const row of arp) {
      t.same(
        row,
        ['1', row[1], VIP4, mac.a, 'ff:ff:ff:ff:ff:ff', mac.a, 'ff:ff:ff:ff:ff:ff'],
        'ARP request, sender = target = VIP, broadcast',
      );
      t.ok(isSet(row[1]), 'tshark calls it gratuitous');
    }

    const na = tsharkRows(pcap, `icmpv6.type == 136 && icmpv6.nd.na.target_address == ${VIP6}`, [
      'ipv6.src',
      'ipv6.dst',
      'ipv6.hlim',
      'icmpv6.nd.na.flag.r',
      'icmpv6.nd.na.flag.s',
      'icmpv6.nd.na.flag.o',
      'icmpv6.opt.linkaddr',
      'icmpv6.checksum.status',
      'eth.dst',
    ]);
    t.equal(na.length, 2, 'two unsolicited NAs on the wire');
    for (const row of na) {
      const [src, dst, hlim, r, s, o, linkAddress, checksumStatus, ethDst] = row;
      t.same(
        [src, dst, hlim, linkAddress, ethDst],
        [VIP6, 'ff02::1', '255', mac.a, '33:33:00:00:00:01'],
        'NA from the VIP to all-nodes, hop limit 255, TLLA = our MAC',
      );
      t.same([isSet(r), isSet(s), isSet(o)], [true, false, true], 'flags: Router and Override set, Solicited clear');
      t.equal(checksumStatus, '1', 'ICMPv6 checksum correct');
    }
  });

  // Opens sockets on the root namespace's loopback but sends nothing: only the error paths run.
  t.test('errors carry code and syscall; misuse is a TypeError', async (t) => {
    t.throws(
      () => VrrpRawSocket.open({ family: 4, interface: 'vrrp-nosuch0' }),
      {
        code: 'ENODEV',
        syscall: 'if_nametoindex',
        errno: -19,
        message: /^ENODEV: no such device, if_nametoindex vrrp-nosuch0/,
      },
      'unknown interface: ENODEV from if_nametoindex',
    );
    t.throws(
      () => VrrpRawSocket.open({ family: 5 as IpFamily, interface: 'lo' }),
      {
        name: 'TypeError',
        code: 'ERR_INVALID_ARG_VALUE',
      },
      'family other than 4 or 6',
    );
    t.throws(
      () => sendGratuitousArp({ interface: 'lo', address: '192.0.2.100' }),
      {
        code: 'ENOTSUP',
        syscall: 'ioctl',
        message: /not an Ethernet link/,
      },
      'GARP on a non-Ethernet link',
    );
    t.throws(
      () => sendGratuitousArp({ interface: 'lo', address: '192.0.2.100', mac: 'nonsense' }),
      {
        code: 'ERR_INVALID_ARG_VALUE',
      },
      'malformed MAC',
    );

    const socket = VrrpRawSocket.open({ family: 6, interface: 'lo' });
    t.ok(socket.fd >= 0, 'open gives a descriptor');
    const packet = {
      interface: 'lo',
      family: 6 as const,
      sourceAddress: '::1',
      destinationAddress: '::1',
      payload: new Uint8Array(8),
    };
    t.throws(
      () => socket.send([{ ...packet, interface: 'eth9' }]),
      { code: 'ERR_INVALID_ARG_VALUE' },
      'wrong interface',
    );
    t.throws(() => socket.send([{ ...packet, family: 4 }]), { code: 'ERR_INVALID_ARG_VALUE' }, 'wrong family');
    t.throws(
      () => socket.send([{ ...packet, destinationAddress: '192.0.2.1' }]),
      {
        code: 'ERR_INVALID_ARG_VALUE',
        message: /is not an IPv6 address/,
      },
      'IPv4 destination on an IPv6 socket',
    );
    socket.close();
    t.ok(socket.closed, 'closed');
    t.equal(socket.fd, -1, 'fd is -1 once closed');
    t.throws(() => socket.send([packet]), { code: 'EBADF', syscall: 'send' }, 'send after close');
    t.throws(() => socket.joinGroup(), { code: 'EBADF', syscall: 'joinGroup' }, 'join after close');
    t.doesNotThrow(() => socket.close(), 'close is idempotent');
  });
}

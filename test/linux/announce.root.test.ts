// Announcements through the cached AF_PACKET sockets: sendAnnouncements / announceVips send the same
// bytes as the one-address calls (compared frame for frame in a capture), the socket of an interface is
// opened once and reused, dropped when the interface goes down and reopened after. Needs root: two
// namespaces joined by a veth pair; everything created is removed in teardown.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';

const ns = { a: `vrrpann${process.pid}a`, b: `vrrpann${process.pid}b` };
const MAC_A = '02:00:5e:10:00:0a';

function run(command: string, args: string[]): string {
  return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function hasCommand(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Whole frames from a classic pcap file (tcpdump -w, Ethernet), as hex. */
function pcapFrames(file: string): string[] {
  const bytes = readFileSync(file);
  const little = bytes.readUInt32LE(0) === 0xa1b2c3d4 || bytes.readUInt32LE(0) === 0xa1b23c4d;
  const u32 = (offset: number) => (little ? bytes.readUInt32LE(offset) : bytes.readUInt32BE(offset));
  const frames: string[] = [];
  for (let offset = 24; offset + 16 <= bytes.length; ) {
    const length = u32(offset + 8);
    frames.push(bytes.subarray(offset + 16, offset + 16 + length).toString('hex'));
    offset += 16 + length;
  }
  return frames;
}

// The child, run in namespace A: every call, then one JSON line with what it saw.
const childScript = (distRoot: string) => `
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { loadNative } from ${JSON.stringify(`${distRoot}/src/linux/native.js`)};
import { announceVips } from ${JSON.stringify(`${distRoot}/src/linux/announce.js`)};
const native = loadNative();
const out = {};
const fds = () => readdirSync('/proc/self/fd').length;
const errorOf = (f) => { try { f(); return null; } catch (e) { return { code: e.code, syscall: e.syscall, message: e.message }; } };
out.single = [
  native.sendGratuitousArp({ interface: 'va', address: '192.0.2.100' }),
  native.sendUnsolicitedNa({ interface: 'va', address: '2001:db8::100', router: false }),
];
out.batch = native.sendAnnouncements({ interface: 'va', addresses: ['192.0.2.100', '2001:db8::100'], count: 3, router: false });
out.sockets = native.announceSockets();
const before = fds();
for (let i = 0; i < 50; i++) native.sendAnnouncements({ interface: 'va', addresses: [], count: 5 });
announceVips('va', Array.from({ length: 20 }, (_, i) => '203.0.113.' + (i + 1)), 2);
out.fdsGrew = fds() - before;
out.socketsAfter = native.announceSockets();
execFileSync('ip', ['link', 'set', 'va', 'down']);
out.down = native.sendAnnouncements({ interface: 'va', addresses: ['192.0.2.101', '192.0.2.102'], count: 2 });
out.down.failures = out.down.failures.map((f) => ({ index: f.index, address: f.address, code: f.error.code, syscall: f.error.syscall }));
out.socketsWhileDown = native.announceSockets();
out.announceVipsDown = errorOf(() => announceVips('va', ['192.0.2.101'], 1));
execFileSync('ip', ['link', 'set', 'va', 'up']);
out.up = native.sendAnnouncements({ interface: 'va', addresses: ['192.0.2.103'], count: 1 });
out.socketsUp = native.announceSockets();
out.noSuch = errorOf(() => native.sendAnnouncements({ interface: 'vrrp-nosuch0', addresses: ['192.0.2.1'] }));
out.notEthernet = errorOf(() => native.sendAnnouncements({ interface: 'lo', addresses: ['192.0.2.1'] }));
out.badAddress = errorOf(() => native.sendAnnouncements({ interface: 'va', addresses: ['192.0.2.1', 'nonsense'] }));
out.notArray = errorOf(() => native.sendAnnouncements({ interface: 'va', addresses: '192.0.2.1' }));
out.ifindex = JSON.parse(execFileSync('ip', ['-j', 'link', 'show', 'va'], { encoding: 'utf8' }))[0].ifindex;
console.log(JSON.stringify(out));
`;

if (process.getuid?.() !== 0) {
  t.plan(0, 'skipped: needs root (network namespaces, packet sockets)');
} else if (!hasCommand('ip') || !hasCommand('tcpdump')) {
  t.plan(0, 'skipped: needs iproute2 `ip` and tcpdump');
} else {
  const workDir = mkdtempSync(join(tmpdir(), 'vrrp-announce-'));
  let tcpdump: ChildProcess | undefined;
  t.teardown(() => {
    if (tcpdump?.pid !== undefined && tcpdump.exitCode === null && tcpdump.signalCode === null) {
      try {
        process.kill(tcpdump.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    for (const name of [ns.a, ns.b]) {
      try {
        run('ip', ['netns', 'del', name]);
      } catch {
        // never created
      }
    }
    rmSync(workDir, { recursive: true, force: true });
  });

  t.test('batched announcements: same bytes, one cached socket, evicted when the link goes down', async (t) => {
    run('ip', ['netns', 'add', ns.a]);
    run('ip', ['netns', 'add', ns.b]);
    run('ip', ['-n', ns.a, 'link', 'add', 'va', 'address', MAC_A, 'type', 'veth', 'peer', 'name', 'vb', 'netns', ns.b]);
    run('ip', ['-n', ns.a, 'link', 'set', 'va', 'up']);
    run('ip', ['-n', ns.b, 'link', 'set', 'vb', 'up']);

    const pcap = join(workDir, 'vb.pcap');
    // A 16 MiB capture buffer: the batched announcements arrive as one burst of frames, and with
    // --immediate-mode tcpdump's default 2 MiB ring dropped a few of them now and then (a capture loss,
    // not a send loss, which made this test fail about one run in three).
    tcpdump = spawn(
      'ip',
      [
        'netns',
        'exec',
        ns.b,
        'tcpdump',
        '-i',
        'vb',
        '-n',
        '-U',
        '--immediate-mode',
        '-B',
        '16384',
        '-Z',
        'root',
        '-w',
        pcap,
        'arp or icmp6',
      ],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    await new Promise<void>((resolve, reject) => {
      let output = '';
      const timer = setTimeout(() => reject(new Error(`tcpdump did not start: ${output}`)), 8000);
      tcpdump!.stderr!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('listening on')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });

    const distRoot = new URL('../..', import.meta.url).href.replace(/\/$/, '');
    const output = run('ip', [
      'netns',
      'exec',
      ns.a,
      process.execPath,
      '--input-type=module',
      '-e',
      childScript(distRoot),
    ]);
    const out = JSON.parse(output) as Record<string, any>;
    await new Promise((resolve) => setTimeout(resolve, 300));
    const stopped = new Promise((resolve) => tcpdump!.once('exit', resolve));
    tcpdump.kill('SIGTERM');
    await stopped;

    t.same(out.single, [1, 1], 'one-address calls send one frame each');
    t.same(out.batch, { sent: 6, failures: [] }, 'two addresses x 3 in one call');
    t.same(out.sockets, [out.ifindex], 'one cached socket, for va');
    t.equal(out.fdsGrew, 0, '50 more calls and announceVips of 20 addresses open no descriptor');
    t.same(out.socketsAfter, [out.ifindex], 'still the one socket');
    t.equal(out.down.sent, 0, 'nothing sent on a down link');
    t.same(
      out.down.failures.map((f: { address: string; code: string; syscall: string }) => [f.address, f.code, f.syscall]),
      [
        ['192.0.2.101', 'ENETDOWN', 'sendmmsg'],
        ['192.0.2.102', 'ENETDOWN', 'sendmmsg'],
      ],
      'every address fails with ENETDOWN',
    );
    t.same(out.socketsWhileDown, [], 'the socket of a down link is dropped');
    t.match(
      out.announceVipsDown,
      { code: 'ENETDOWN', message: /announcing on va failed for 1 address\(es\): 192\.0\.2\.101: ENETDOWN/ },
      'announceVips names the address',
    );
    t.same(out.up, { sent: 1, failures: [] }, 'sends again once the link is up');
    t.same(out.socketsUp, [out.ifindex], 'reopened');
    t.match(out.noSuch, { code: 'ENODEV', syscall: 'if_nametoindex' }, 'unknown interface');
    t.match(out.notEthernet, { code: 'ENOTSUP', syscall: 'ioctl' }, 'non-Ethernet link');
    t.match(
      out.badAddress,
      { code: 'ERR_INVALID_ARG_VALUE', message: /addresses\[1\]/ },
      'a malformed address is a TypeError naming it',
    );
    t.match(out.notArray, { code: 'ERR_INVALID_ARG_VALUE' }, 'addresses must be an array');

    const frames = pcapFrames(pcap);
    const garp100 = frames.filter(
      (f) =>
        f.startsWith('ffffffffffff') && f.slice(28).startsWith('0001080006040001') && f.slice(56, 64) === 'c0000264',
    );
    const na100 = frames.filter((f) => f.startsWith('333300000001') && f.includes('20010db8000000000000000000000100'));
    t.equal(garp100.length, 4, 'GARP for 192.0.2.100: 1 single + 3 batched');
    t.equal(new Set(garp100).size, 1, 'batched GARPs are byte for byte the single one');
    t.equal(na100.length, 4, 'NA for 2001:db8::100: 1 single + 3 batched');
    t.equal(new Set(na100).size, 1, 'batched NAs are byte for byte the single one');
    const macHex = MAC_A.replaceAll(':', '');
    t.equal(
      garp100[0],
      `ffffffffffff${macHex}0806` + `0001080006040001${macHex}c0000264ffffffffffffc0000264`,
      'the GARP bytes',
    );
    for (let i = 1; i <= 20; i++) {
      const vip = `cb0071${i.toString(16).padStart(2, '0')}`;
      t.equal(
        frames.filter((f) => f.startsWith('ffffffffffff') && f.slice(56, 64) === vip).length,
        2,
        `announceVips: 2 GARPs for 203.0.113.${i}`,
      );
    }
    t.equal(
      frames.filter((f) => f.slice(56, 64) === 'c0000267').length,
      1,
      'one GARP for 192.0.2.103 after the link came back',
    );
  });
}

// The native claim watcher (native/src/claim_watch.cc) on a veth pair between two namespaces: claims for
// watched addresses from the other end are reported with its MAC (and its address, learned from its
// other ARP traffic); this host's own announcements and unwatched addresses are not; an RFC 5227 probe
// draws the holder's answer. Needs root; everything created is removed in teardown.

import { execFileSync } from 'node:child_process';
import t from 'tap';

const ns = { a: `vrrpclaim${process.pid}a`, b: `vrrpclaim${process.pid}b` };
const MAC_A = '02:00:5e:10:01:0a';
const MAC_B = '02:00:5e:10:01:0b';

function run(command: string, args: string[]): string {
  return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

// Runs in namespace A; B's side is driven through `ip netns exec` from here, step by step.
const childScript = (distRoot: string, other: string) => `
import { execFileSync } from 'node:child_process';
import { loadNative } from ${JSON.stringify(`${distRoot}/src/linux/native.js`)};
const native = loadNative();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const inB = (...args) => execFileSync('ip', ['netns', 'exec', ${JSON.stringify(other)}, ...args], { stdio: 'ignore' });
const nodeInB = (code) => inB(process.execPath, '--input-type=module', '-e',
  "import { loadNative } from " + JSON.stringify(${JSON.stringify(`${distRoot}/src/linux/native.js`)}) + "; const n = loadNative(); " + code);
const claims = [];
const watch = new native.ClaimWatch({ interface: 'va' }, (list) => { for (const c of list) claims.push(c); });
watch.setAddresses(['192.0.2.100', '2001:db8::100']);
const out = {};
native.sendGratuitousArp({ interface: 'va', address: '192.0.2.100', count: 2 });
native.sendUnsolicitedNa({ interface: 'va', address: '2001:db8::100' });
await sleep(200);
out.own = claims.splice(0);
nodeInB("n.sendGratuitousArp({ interface: 'vb', address: '192.0.2.99' });");
inB('ping', '-c', '1', '-W', '1', '192.0.2.1');
await sleep(200);
out.unwatched = claims.splice(0);
nodeInB("n.sendGratuitousArp({ interface: 'vb', address: '192.0.2.100' }); n.sendUnsolicitedNa({ interface: 'vb', address: '2001:db8::100' });");
await sleep(300);
out.garp = claims.splice(0);
out.probed = watch.probe(['192.0.2.100', '2001:db8::100']);
await sleep(500);
out.answers = claims.splice(0);
out.counters = watch.counters();
watch.close();
watch.close();
out.afterClose = (() => { try { watch.probe(['192.0.2.100']); return null; } catch (e) { return e.code; } })();
console.log(JSON.stringify(out));
`;

if (process.getuid?.() !== 0) {
  t.plan(0, 'skipped: needs root (network namespaces, packet sockets)');
} else {
  t.teardown(() => {
    for (const name of [ns.a, ns.b]) {
      try {
        run('ip', ['netns', 'del', name]);
      } catch {
        // never created
      }
    }
  });

  t.test('claim watch: the other end claiming a watched address is reported with its MAC and address', async (t) => {
    run('ip', ['netns', 'add', ns.a]);
    run('ip', ['netns', 'add', ns.b]);
    run('ip', ['-n', ns.a, 'link', 'add', 'va', 'address', MAC_A, 'type', 'veth', 'peer', 'name', 'vb', 'netns', ns.b]);
    run('ip', ['-n', ns.b, 'link', 'set', 'vb', 'address', MAC_B]);
    run('ip', ['-n', ns.a, 'addr', 'add', '192.0.2.1/24', 'dev', 'va']);
    run('ip', ['-n', ns.b, 'addr', 'add', '192.0.2.2/24', 'dev', 'vb']);
    // B holds the VIPs too: the split brain the probe must find.
    run('ip', ['-n', ns.b, 'addr', 'add', '192.0.2.100/32', 'dev', 'vb']);
    run('ip', ['-n', ns.b, 'addr', 'add', '2001:db8::100/128', 'dev', 'vb', 'nodad']);
    run('ip', ['-n', ns.a, 'link', 'set', 'va', 'up']);
    run('ip', ['-n', ns.b, 'link', 'set', 'vb', 'up']);

    const distRoot = new URL('../..', import.meta.url).href.replace(/\/$/, '');
    const output = run('ip', [
      'netns',
      'exec',
      ns.a,
      process.execPath,
      '--input-type=module',
      '-e',
      childScript(distRoot, ns.b),
    ]);
    const out = JSON.parse(output) as Record<string, any>;

    t.same(out.own, [], "this host's own GARP and NA are not claims");
    t.same(out.unwatched, [], 'ARP for an address not watched is not a claim');
    t.same(
      out.garp,
      [
        { family: 4, reply: false, address: '192.0.2.100', mac: MAC_B, sender: '192.0.2.2' },
        { family: 6, reply: false, address: '2001:db8::100', mac: MAC_B },
      ],
      'GARP and unsolicited NA from B: its MAC, and its address from its earlier ARP',
    );
    t.equal(out.probed, 2, 'one probe per address');
    t.same(
      out.answers.map((c: { family: number; reply: boolean; address: string; mac: string }) => [
        c.family,
        c.address,
        c.mac,
      ]),
      [
        [4, '192.0.2.100', MAC_B],
        [6, '2001:db8::100', MAC_B],
      ],
      "the probes draw B's answers",
    );
    t.equal(out.answers[0].reply, true, 'the ARP answer is a reply');
    t.ok(out.counters.claims >= 4, 'claims counted');
    t.equal(out.afterClose, 'EBADF', 'a closed watch refuses to probe; close twice is fine');
  });
}

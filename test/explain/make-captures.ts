// Regenerates the golden captures of test/explain/captures (root, network namespaces, keepalived 2.2.7):
//
//   npx tsc -p . && sudo node dist/test/explain/make-captures.js [name ...]
//
// Each scenario runs on the namespace LAN of test/netns (harness.ts: tcpdump on the bridge br0), with
// keepalived and/or our runner (bin/vrrp-engine). The capture is then cut down to what vrrp-explain
// reads (VRRP, ARP, Neighbor Advertisements) with tcpdump, and the explanation the current code gives is
// written beside it (NAME.txt, NAME.json) for a human to check before committing: golden.test.ts then
// holds the code to it. Timing differs run to run, so a regenerated capture has other figures.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Harness, sleep, skipReason, type RouterKind, type RouterProcess, type RouterSpec } from '../netns/harness.js';
import { NamespaceProcess } from '../netns/process.js';
import { MARGIN_MS, masterDownMs, STARTUP_MS } from '../netns/timing.js';
import { explainCapture, formatExplanation } from '../../src/explain/index.js';

const HERE = fileURLToPath(new URL('../../../test/explain/captures/', import.meta.url));
const PCAP_HEADER = 24;
const RECORD_HEADER = 16;
const KEEP_FILTER = 'ip proto 112 or ip6 proto 112 or arp or (icmp6 and ip6[40] == 136)';

interface Run {
  readonly h: Harness;
  start(kind: RouterKind, node: string, spec: RouterSpec): RouterProcess;
}

interface Scenario {
  readonly name: string;
  readonly routers: number;
  /** Also capture on `any` in the bridge namespace (Linux cooked SLL2, each frame seen on several ports). */
  readonly anyCapture?: boolean;
  /** Also write the capture as pcapng (editcap -F pcapng). */
  readonly pcapng?: boolean;
  readonly body: (run: Run) => Promise<void>;
}

const v2 = (name: string, vrid: number, priority: number, vip: string, intervalCs = 100): RouterSpec => ({
  name,
  vrid,
  version: 2,
  priority,
  advertIntervalCs: intervalCs,
  virtualAddresses: [vip],
});
const v3 = (name: string, vrid: number, priority: number, vip: string, intervalCs = 100): RouterSpec => ({
  name,
  vrid,
  version: 3,
  priority,
  advertIntervalCs: intervalCs,
  virtualAddresses: [vip],
});
const down = (spec: RouterSpec): number =>
  masterDownMs(spec.priority, spec.advertIntervalCs ?? 100, spec.version ?? 2) + MARGIN_MS + STARTUP_MS;

const SCENARIOS: readonly Scenario[] = [
  {
    // Two keepalived, VRRPv2 1 s; kill -9 of the Master: the Backup waits out Master_Down_Interval.
    name: 'keepalived-failover',
    routers: 2,
    body: async ({ start, h }) => {
      const high = v2('VI_10', 10, 200, '192.0.2.10');
      const r1 = start('keepalived', 'r1', high);
      await r1.waitForState('VI_10', 'Master', down(high));
      const r2 = start('keepalived', 'r2', v2('VI_10', 10, 100, '192.0.2.10'));
      await r2.waitForState('VI_10', 'Backup', STARTUP_MS);
      await sleep(2500);
      await h.killHard(r1);
      await r2.waitForState('VI_10', 'Master', 10_000);
      await sleep(2000);
    },
  },
  {
    // Two of our runners, VRRPv3 IPv4 0.5 s; kill -9 of the Master. Also captured on `any` (SLL2).
    name: 'ours-failover',
    routers: 2,
    anyCapture: true,
    body: async ({ start, h }) => {
      const high = v3('VI_20', 20, 200, '192.0.2.20', 50);
      const r1 = start('ours', 'r1', high);
      await r1.waitForState('VI_20', 'Master', down(high));
      const r2 = start('ours', 'r2', v3('VI_20', 20, 100, '192.0.2.20', 50));
      await r2.waitForState('VI_20', 'Backup', STARTUP_MS);
      await sleep(1500);
      await h.killHard(r1);
      await r2.waitForState('VI_20', 'Master', 10_000);
      await sleep(1500);
    },
  },
  {
    // Ours (Master) and keepalived over IPv6, VRRPv3 1 s; SIGTERM of ours: priority 0, takeover after Skew_Time.
    name: 'priority0-ipv6',
    routers: 2,
    pcapng: true,
    body: async ({ start }) => {
      const high = v3('VI_30', 30, 200, '2001:db8::30');
      const r1 = start('ours', 'r1', high);
      await r1.waitForState('VI_30', 'Master', down(high));
      const r2 = start('keepalived', 'r2', v3('VI_30', 30, 100, '2001:db8::30'));
      await r2.waitForState('VI_30', 'Backup', STARTUP_MS);
      await sleep(2500);
      await r1.stop();
      await r2.waitForState('VI_30', 'Master', 5000);
      await sleep(2000);
    },
  },
  {
    // Ours at priority 100 is Master; keepalived at 200 starts and preempts it (VRRPv3 IPv4 1 s).
    name: 'preemption',
    routers: 2,
    body: async ({ start }) => {
      const low = v3('VI_40', 40, 100, '192.0.2.40');
      const r2 = start('ours', 'r2', low);
      await r2.waitForState('VI_40', 'Master', down(low));
      await sleep(1500);
      const since = r2.mark();
      const r1 = start('keepalived', 'r1', v3('VI_40', 40, 200, '192.0.2.40'));
      await r1.waitForState('VI_40', 'Master', down(low));
      await r2.waitForState('VI_40', 'Backup', 5000, since);
      await sleep(3000);
    },
  },
  {
    // Two keepalived, VRRPv2, advert_int 1 against 2: each drops the other's adverts, both Master.
    name: 'interval-mismatch',
    routers: 2,
    body: async ({ start }) => {
      const high = v2('VI_50', 50, 200, '192.0.2.50', 100);
      const r1 = start('keepalived', 'r1', high);
      await r1.waitForState('VI_50', 'Master', down(high));
      const low = v2('VI_50', 50, 100, '192.0.2.50', 200);
      const r2 = start('keepalived', 'r2', low);
      await r2.waitForState('VI_50', 'Master', down(low));
      await sleep(4500);
    },
  },
  {
    // keepalived (200) Master, ours (100) Backup; nftables in r2 drops VRRP from r1 while ARP flows: r2
    // takes over too (split brain); the rule removed, r2 hears r1 again and steps down.
    name: 'split-brain',
    routers: 2,
    body: async ({ start, h }) => {
      const high = v2('VI_60', 60, 200, '192.0.2.60');
      const r1 = start('keepalived', 'r1', high);
      await r1.waitForState('VI_60', 'Master', down(high));
      const r2 = start('ours', 'r2', v2('VI_60', 60, 100, '192.0.2.60'));
      await r2.waitForState('VI_60', 'Backup', STARTUP_MS);
      await sleep(1500);
      const node = h.node('r2');
      const since = r2.mark();
      const nft = (...args: string[]): string => h.lan.exec(node, 'nft', ...args);
      nft('add', 'table', 'inet', 'splitbrain');
      nft('add', 'chain', 'inet', 'splitbrain', 'input', '{ type filter hook input priority 0 ; }');
      nft(
        'add',
        'rule',
        'inet',
        'splitbrain',
        'input',
        'ip',
        'saddr',
        h.node('r1').ipv4,
        'ip',
        'protocol',
        '112',
        'drop',
      );
      await r2.waitForState('VI_60', 'Master', 10_000, since);
      // The client asks for the VIP: both Masters answer its ARP.
      await h.lan.execAsync(h.lan.client, 'ping', '-c', '3', '-i', '0.3', '-W', '1', '192.0.2.60').catch(() => '');
      await sleep(2000);
      const healed = r2.mark();
      nft('delete', 'table', 'inet', 'splitbrain');
      await r2.waitForState('VI_60', 'Backup', 5000, healed);
      await sleep(2000);
    },
  },
];

async function runScenario(scenario: Scenario): Promise<void> {
  const teardowns: (() => unknown)[] = [];
  let passing = true;
  const work = mkdtempSync(join(tmpdir(), 'vrrp-explain-captures-'));
  try {
    const h = await Harness.create(
      { teardown: (fn) => teardowns.push(fn), passing: () => passing, comment: (...m) => console.error(...m) },
      `x${scenario.name.slice(0, 2)}`,
      scenario.routers,
    );
    const anyFile = join(work, 'any.pcap');
    const any = scenario.anyCapture
      ? new NamespaceProcess('tcpdump-any', h.lan.bridgeNamespace, 'tcpdump', [
          '-i',
          'any',
          '--immediate-mode',
          '-U',
          '-s',
          '0',
          '-w',
          anyFile,
          KEEP_FILTER,
        ])
      : undefined;
    teardowns.push(() => any?.stop());
    if (any) await any.waitForLine((l) => l.text.includes('listening on'), 10_000, 'tcpdump listening');
    const start = (kind: RouterKind, node: string, spec: RouterSpec): RouterProcess => h.start(kind, node, [spec]);
    try {
      await scenario.body({ h, start });
    } catch (error) {
      passing = false;
      throw error;
    }
    const capture = await h.stopCapture();
    await any?.stop();
    keep(capture.file, join(HERE, `${scenario.name}.pcap`));
    if (any) keep(anyFile, join(HERE, `${scenario.name}-any.pcap`));
    if (scenario.pcapng)
      execFileSync('editcap', [
        '-F',
        'pcapng',
        join(HERE, `${scenario.name}.pcap`),
        join(HERE, `${scenario.name}.pcapng`),
      ]);
  } finally {
    for (const fn of teardowns.reverse()) await fn();
    rmSync(work, { recursive: true, force: true });
  }
  for (const suffix of scenario.anyCapture ? ['', '-any'] : ['']) writeExpected(`${scenario.name}${suffix}`);
}

/**
 * Cuts the capture down to what vrrp-explain reads, keeping its first frame whatever it is, so that
 * time zero stays the moment the capture began (before the first router became Master).
 */
function keep(from: string, to: string): void {
  const tmp = `${to}.tmp`;
  execFileSync('tcpdump', ['-r', from, '-w', tmp, KEEP_FILTER], { stdio: 'ignore' });
  const original = readFileSync(from);
  const kept = readFileSync(tmp);
  rmSync(tmp);
  const firstRecordEnd = PCAP_HEADER + RECORD_HEADER + original.readUInt32LE(PCAP_HEADER + 8);
  const firstRecord = original.subarray(PCAP_HEADER, firstRecordEnd);
  const keptFirst = kept.subarray(PCAP_HEADER, PCAP_HEADER + firstRecord.length);
  const parts = keptFirst.equals(firstRecord)
    ? [kept]
    : [kept.subarray(0, PCAP_HEADER), firstRecord, kept.subarray(PCAP_HEADER)];
  writeFileSync(to, Buffer.concat(parts));
}

export function writeExpected(name: string): void {
  const pcap = join(HERE, `${name}.pcap`);
  const explanation = explainCapture(readFileSync(pcap));
  writeFileSync(join(HERE, `${name}.txt`), formatExplanation(explanation, `${name}.pcap`));
  writeFileSync(join(HERE, `${name}.json`), `${JSON.stringify(explanation, null, 2)}\n`);
  console.log(`${name}: ${explanation.frames} frames, ${explanation.groups.length} VRID(s)`);
}

async function main(): Promise<void> {
  const reason = skipReason(['keepalived', 'nft']);
  if (reason !== undefined) throw new Error(`cannot make the captures here: ${reason}`);
  const wanted = process.argv.slice(2);
  if (wanted.includes('--expected-only')) {
    for (const name of wanted.filter((w) => w !== '--expected-only')) writeExpected(name);
    return;
  }
  for (const scenario of SCENARIOS.filter((s) => wanted.length === 0 || wanted.includes(s.name))) {
    console.log(`${scenario.name}: running`);
    await runScenario(scenario);
  }
}

await main();

// tcpdump on the bridge (it sees every frame of the LAN: br0 is promiscuous while captured), and
// tshark as the independent judge of what went on the wire.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NamespaceProcess } from './process.js';

const TSHARK_FIELDS = [
  'frame.number',
  'frame.time_epoch',
  'eth.src',
  'ip.src',
  'ipv6.src',
  'ip.dst',
  'ipv6.dst',
  'ip.ttl',
  'ipv6.hlim',
  'vrrp.version',
  'vrrp.type',
  'vrrp.virt_rtr_id',
  'vrrp.prio',
  'vrrp.checksum.status',
  'vrrp.adver_int',
  'vrrp.short_adver_int',
  'vrrp.auth_type',
  'vrrp.auth_string',
  'vrrp.ip_addr',
  'vrrp.ipv6_addr',
] as const;

/** Wireshark's checksum status values (proto.h: PROTO_CHECKSUM_E_GOOD = 1). */
export const CHECKSUM_GOOD = 1;

export interface VrrpFrame {
  readonly frame: number;
  readonly timeMs: number;
  readonly ethSource: string;
  readonly source: string;
  readonly destination: string;
  /** IPv4 TTL or IPv6 hop limit. */
  readonly hops: number;
  readonly version: number;
  readonly type: number;
  readonly vrid: number;
  readonly priority: number;
  readonly checksumStatus: number;
  /** v2: seconds times 100; v3: centiseconds as sent. */
  readonly intervalCs: number;
  readonly authType: number | undefined;
  readonly authString: string;
  readonly addresses: readonly string[];
}

export interface ArpFrame {
  readonly timeMs: number;
  readonly ethSource: string;
  readonly opcode: number;
  readonly senderMac: string;
  readonly senderIp: string;
  readonly targetIp: string;
}

export interface NaFrame {
  readonly timeMs: number;
  readonly ethSource: string;
  readonly target: string;
  readonly flags: { readonly router: boolean; readonly solicited: boolean; readonly override: boolean };
  readonly linkLayerAddress: string;
}

function tshark(file: string, filter: string, fields: readonly string[], prefs: readonly string[] = []): string[][] {
  const args = ['-r', file, '-Y', filter, '-T', 'fields', '-E', 'separator=|', '-E', 'aggregator=,'];
  for (const pref of prefs) args.push('-o', pref);
  for (const field of fields) args.push('-e', field);
  const out = execFileSync('tshark', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return out
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.split('|'));
}

const num = (text: string | undefined): number => (text === undefined || text === '' ? NaN : Number(text));

export class Capture {
  private readonly dir: string;
  readonly file: string;
  private readonly tcpdump: NamespaceProcess;

  private constructor(bridgeNamespace: string) {
    this.dir = mkdtempSync(join(tmpdir(), 'vrrp-capture-'));
    this.file = join(this.dir, 'lan.pcap');
    this.tcpdump = new NamespaceProcess('tcpdump', bridgeNamespace, 'tcpdump', [
      // --immediate-mode: without it frames wait in the kernel's ring-buffer blocks, and those still
      // there when tcpdump stops ("received by filter" > "captured") never reach the file.
      '-i',
      'br0',
      '--immediate-mode',
      '-U',
      '-s',
      '0',
      '-w',
      this.file,
      'ip proto 112 or ip6 proto 112 or arp or icmp6',
    ]);
  }

  /** Starts tcpdump on br0 and waits until it is listening. */
  static async start(bridgeNamespace: string): Promise<Capture> {
    const capture = new Capture(bridgeNamespace);
    await capture.tcpdump.waitForLine((l) => l.text.includes('listening on'), 10_000, 'tcpdump listening');
    return capture;
  }

  get pid(): number {
    return this.tcpdump.pid;
  }

  async stop(): Promise<void> {
    await this.tcpdump.stop();
  }

  /** tcpdump's own words (e.g. "N packets captured ... M dropped by kernel"). */
  get tcpdumpOutput(): string {
    return this.tcpdump.tail(10);
  }

  /** Deletes the capture file (after stop). */
  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  /**
   * Every VRRP frame as tshark decodes it. `v3ChecksumAsV2` sets tshark's preference for v3 over IPv4:
   * false (its default) judges the checksum with the pseudo-header, true without (RFC 9568).
   */
  vrrp(v3ChecksumAsV2 = false): VrrpFrame[] {
    const rows = tshark(this.file, 'vrrp', TSHARK_FIELDS, [
      `vrrp.v3_checksum_as_in_v2:${v3ChecksumAsV2 ? 'TRUE' : 'FALSE'}`,
    ]);
    return rows.map((r) => {
      const f = Object.fromEntries(TSHARK_FIELDS.map((name, i) => [name, r[i] ?? '']));
      const version = num(f['vrrp.version']);
      const v4 = f['ip.src'] !== '';
      const addressText = v4 ? f['vrrp.ip_addr']! : f['vrrp.ipv6_addr']!;
      return {
        frame: num(f['frame.number']),
        timeMs: num(f['frame.time_epoch']) * 1000,
        ethSource: f['eth.src']!,
        source: v4 ? f['ip.src']! : f['ipv6.src']!,
        destination: v4 ? f['ip.dst']! : f['ipv6.dst']!,
        hops: num(v4 ? f['ip.ttl'] : f['ipv6.hlim']),
        version,
        type: num(f['vrrp.type']),
        vrid: num(f['vrrp.virt_rtr_id']),
        priority: num(f['vrrp.prio']),
        checksumStatus: num(f['vrrp.checksum.status']),
        intervalCs: version === 2 ? num(f['vrrp.adver_int']) * 100 : num(f['vrrp.short_adver_int']),
        authType: f['vrrp.auth_type'] === '' ? undefined : num(f['vrrp.auth_type']),
        authString: f['vrrp.auth_string']!,
        addresses: addressText === '' ? [] : addressText.split(','),
      };
    });
  }

  /** Gratuitous ARPs: sender IP == target IP. */
  gratuitousArps(): ArpFrame[] {
    const fields = [
      'frame.time_epoch',
      'eth.src',
      'arp.opcode',
      'arp.src.hw_mac',
      'arp.src.proto_ipv4',
      'arp.dst.proto_ipv4',
    ];
    return tshark(this.file, 'arp.isgratuitous == 1 || arp.src.proto_ipv4 == arp.dst.proto_ipv4', fields).map((r) => ({
      timeMs: num(r[0]) * 1000,
      ethSource: r[1]!,
      opcode: num(r[2]),
      senderMac: r[3]!,
      senderIp: r[4]!,
      targetIp: r[5]!,
    }));
  }

  /** Neighbour advertisements that nobody solicited. */
  unsolicitedNas(): NaFrame[] {
    const fields = [
      'frame.time_epoch',
      'eth.src',
      'icmpv6.nd.na.target_address',
      'icmpv6.nd.na.flag.r',
      'icmpv6.nd.na.flag.s',
      'icmpv6.nd.na.flag.o',
      'icmpv6.opt.linkaddr',
    ];
    return tshark(this.file, 'icmpv6.type == 136 && icmpv6.nd.na.flag.s == 0', fields).map((r) => ({
      timeMs: num(r[0]) * 1000,
      ethSource: r[1]!,
      target: r[2]!,
      flags: { router: truthy(r[3]), solicited: truthy(r[4]), override: truthy(r[5]) },
      linkLayerAddress: r[6]!,
    }));
  }
}

function truthy(text: string | undefined): boolean {
  return text === '1' || text === 'True' || text === 'true';
}

export interface AdvertExpectation {
  /** Ethernet sources whose adverts are judged (the nodes that run our engine). */
  readonly macs: readonly string[];
  readonly version: number;
  readonly vrid: number;
  /** Configured priority; 0 is also accepted (the shutdown advert). */
  readonly priorities: readonly number[];
  readonly intervalCs: number;
  readonly addresses: readonly string[];
  /** For v2 PASS: the password as sent (first 8 bytes). */
  readonly authString?: string;
}

/**
 * Everything wrong with the adverts matching `e` (by source MAC and VRID), as readable lines; empty
 * when every one is valid VRRP with a good checksum, hop count 255 and the configured fields.
 */
export function judgeAdverts(
  frames: readonly VrrpFrame[],
  e: AdvertExpectation,
): { count: number; problems: string[] } {
  const ours = frames.filter((f) => e.macs.includes(f.ethSource) && f.vrid === e.vrid);
  const problems: string[] = [];
  for (const f of ours) {
    const where = `frame ${f.frame} from ${f.ethSource} (${f.source} -> ${f.destination})`;
    if (f.version !== e.version) problems.push(`${where}: version ${f.version}, expected ${e.version}`);
    if (f.type !== 1) problems.push(`${where}: type ${f.type}, expected 1 (advertisement)`);
    if (f.checksumStatus !== CHECKSUM_GOOD)
      problems.push(`${where}: checksum status ${f.checksumStatus}, expected good`);
    if (f.hops !== 255) problems.push(`${where}: TTL/hop limit ${f.hops}, expected 255`);
    if (f.priority !== 0 && !e.priorities.includes(f.priority))
      problems.push(`${where}: priority ${f.priority}, expected one of ${e.priorities.join(', ')} or 0`);
    if (f.intervalCs !== e.intervalCs) problems.push(`${where}: interval ${f.intervalCs} cs, expected ${e.intervalCs}`);
    if (f.addresses.join(',') !== e.addresses.join(','))
      problems.push(`${where}: addresses ${f.addresses.join(',')}, expected ${e.addresses.join(',')}`);
    if (e.authString !== undefined && f.authString !== e.authString)
      problems.push(`${where}: auth '${f.authString}', expected '${e.authString}'`);
  }
  return { count: ours.length, problems };
}

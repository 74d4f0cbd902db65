// The series keepalived-exporter (github.com/mehdy/keepalived-exporter, internal/collector/collector.go)
// serves from keepalived's data and stats dumps, under its names and label names, with our values: a
// dashboard or alert rule written for keepalived behind that exporter works against us unchanged.
// What keepalived counts that we cannot count the same way is left out (docs/operations.md, Metrics).

import type { DropReason, RouterState, VirtualRouterConfig } from '../core/types.js';
import type { DropCounts, RouterCounters } from '../engine/events.js';
import { header, labels, type MetricType } from './exposition.js';

/** The exporter's encoding of keepalived's states (keepalived VRRP_STATE_INIT = 0 ... FAULT = 3). */
export const KEEPALIVED_STATE_VALUE: Readonly<Record<RouterState, number>> = {
  Initialize: 0,
  Backup: 1,
  Master: 2,
  Fault: 3,
};

/** Per instance, labelled `iname`, `intf`, `vrid` as the exporter does. */
export const INSTANCE_LABELS = ['iname', 'intf', 'vrid'] as const;
/** Per virtual address: `keepalived_vrrp_state` and `keepalived_vrrp_excluded_state`. */
export const ADDRESS_LABELS = ['iname', 'intf', 'vrid', 'ip_address'] as const;

/** How each drop reason of ours shows in keepalived's stats ("Packet Errors", "Authentication Errors"). */
const DROP_FAMILY: Partial<Record<DropReason, string>> = {
  'too-short': 'keepalived_packet_length_errors_total',
  truncated: 'keepalived_packet_length_errors_total',
  'too-long': 'keepalived_packet_length_errors_total',
  ttl: 'keepalived_ip_ttl_errors_total',
  'bad-type': 'keepalived_invalid_type_received_total',
  'interval-mismatch': 'keepalived_advertisements_interval_errors_total',
  'address-list-mismatch': 'keepalived_address_list_errors_total',
  'auth-type-mismatch': 'keepalived_authentication_mismatch_total',
  'auth-data-mismatch': 'keepalived_authentication_failure_total',
};

/** Counters we keep from the engine's events (the engine's own totals have no such split). */
export interface InstanceEventCounts {
  becameMaster: number;
  releasedMaster: number;
  priorityZeroSent: number;
  priorityZeroReceived: number;
  /** Address-list differences noticed but not dropped (strict_addr_list off): keepalived counts them too. */
  addressListNotices: number;
}

export function noEventCounts(): InstanceEventCounts {
  return { becameMaster: 0, releasedMaster: 0, priorityZeroSent: 0, priorityZeroReceived: 0, addressListNotices: 0 };
}

interface CounterFamily {
  readonly name: string;
  readonly help: string;
  /** A setting, not a count: served as it is, not carried over a counter reset. */
  readonly setting?: boolean;
  value(router: RouterCounters, events: InstanceEventCounts, config: VirtualRouterConfig): number;
}

function dropsInto(name: string): (router: RouterCounters) => number {
  const reasons = Object.entries(DROP_FAMILY)
    .filter(([, family]) => family === name)
    .map(([reason]) => reason as DropReason);
  return (router) => sumOf(router.drops, reasons);
}

function sumOf(drops: DropCounts, reasons: readonly DropReason[]): number {
  let total = 0;
  for (const reason of reasons) total += drops[reason] ?? 0;
  return total;
}

const addressListDrops = dropsInto('keepalived_address_list_errors_total');

/** The exporter's per-instance counters, in its order, each with what we count for it. */
export const KEEPALIVED_COUNTERS: readonly CounterFamily[] = [
  {
    name: 'keepalived_advertisements_received_total',
    help: 'Advertisements received',
    value: (r) => r.advertsReceived,
  },
  { name: 'keepalived_advertisements_sent_total', help: 'Advertisements sent', value: (r) => r.advertsSent },
  { name: 'keepalived_become_master_total', help: 'Became master', value: (_, e) => e.becameMaster },
  { name: 'keepalived_release_master_total', help: 'Released master', value: (_, e) => e.releasedMaster },
  ...[
    ['keepalived_packet_length_errors_total', 'Packet length errors'],
    ['keepalived_advertisements_interval_errors_total', 'Advertisement interval errors'],
    ['keepalived_ip_ttl_errors_total', 'TTL errors'],
    ['keepalived_invalid_type_received_total', 'Invalid type errors'],
    ['keepalived_authentication_mismatch_total', 'Authentication mismatch'],
    ['keepalived_authentication_failure_total', 'Authentication failure'],
  ].map(([name, help]) => ({ name: name!, help: help!, value: dropsInto(name!) })),
  {
    name: 'keepalived_address_list_errors_total',
    help: 'Address list errors',
    value: (r, e) => addressListDrops(r) + e.addressListNotices,
  },
  {
    name: 'keepalived_priority_zero_received_total',
    help: 'Priority zero received',
    value: (_, e) => e.priorityZeroReceived,
  },
  { name: 'keepalived_priority_zero_sent_total', help: 'Priority zero sent', value: (_, e) => e.priorityZeroSent },
  {
    // The exporter reads keepalived's "Gratuitous ARP delay" (seconds; a setting, typed counter there).
    name: 'keepalived_gratuitous_arp_delay_total',
    help: 'Gratuitous ARP delay',
    setting: true,
    value: (_r, _e, config) => config.announce.secondBurstDelayMs / 1000,
  },
];

/** Every family this module serves, name -> type and label names (the test holds the exporter's). */
export const KEEPALIVED_FAMILIES: ReadonlyMap<string, { type: MetricType; labels: readonly string[] }> = new Map([
  ['keepalived_up', { type: 'gauge' as MetricType, labels: [] as readonly string[] }],
  ['keepalived_vrrp_state', { type: 'gauge', labels: ADDRESS_LABELS }],
  ['keepalived_vrrp_excluded_state', { type: 'gauge', labels: ADDRESS_LABELS }],
  ...KEEPALIVED_COUNTERS.map((c) => [c.name, { type: 'counter' as MetricType, labels: INSTANCE_LABELS }] as const),
  ['keepalived_script_status', { type: 'gauge', labels: ['name'] }],
]);

export interface KeepalivedInstance {
  readonly state: RouterState;
  readonly config: VirtualRouterConfig;
  readonly counters: RouterCounters;
  readonly events: InstanceEventCounts;
}

/** One instance's sample lines up to the value, built when its configuration changes, and its runs. */
interface InstanceEntry {
  readonly config: VirtualRouterConfig;
  /** Per counter family, in KEEPALIVED_COUNTERS order. */
  readonly lines: readonly string[];
  readonly addresses: readonly string[];
  readonly excluded: readonly string[];
  /** Per counter family: totals of the engine's earlier runs (before a clearCounters) and its last total. */
  readonly before: Float64Array;
  readonly last: Float64Array;
}

function entryFor(config: VirtualRouterConfig, previous: InstanceEntry | undefined): InstanceEntry {
  const vrid = String(config.vrid);
  const instance = labels({ iname: config.name, intf: config.interface, vrid });
  const address = (name: string, ip: string) =>
    `${name}${labels({ iname: config.name, intf: config.addressInterfaces?.[ip] ?? config.interface, vrid, ip_address: ip })} `;
  // As the exporter: an instance without addresses still has one state series, ip_address "".
  const vips = config.virtualAddresses.length > 0 ? config.virtualAddresses : [''];
  return {
    config,
    lines: KEEPALIVED_COUNTERS.map((family) => `${family.name}${instance} `),
    addresses: vips.map((ip) => address('keepalived_vrrp_state', ip)),
    excluded: (config.excludedAddresses ?? []).map((ip) => address('keepalived_vrrp_excluded_state', ip)),
    // A reconfigured instance keeps counting from where it was.
    before: previous?.before ?? new Float64Array(KEEPALIVED_COUNTERS.length),
    last: previous?.last ?? new Float64Array(KEEPALIVED_COUNTERS.length),
  };
}

/**
 * Renders the exporter's families. Counters only go up: an engine total lower than the last one seen
 * (clearCounters, keepalived's STATS_CLEAR) starts a new run added to the earlier ones.
 */
export class KeepalivedSeries {
  private readonly byName = new Map<string, InstanceEntry>();

  text(instances: readonly KeepalivedInstance[], scripts: readonly { name: string; up: boolean }[]): string {
    const entries = instances.map((instance) => this.entryOf(instance.config));
    let text = `${header('keepalived_up', 'gauge', 'Status')}keepalived_up 1\n`;
    text += stateText(instances, entries);
    for (let i = 0; i < KEEPALIVED_COUNTERS.length; i++) {
      const family = KEEPALIVED_COUNTERS[i]!;
      text += header(family.name, 'counter', family.help);
      for (let j = 0; j < instances.length; j++) {
        const instance = instances[j]!;
        const entry = entries[j]!;
        const total = family.value(instance.counters, instance.events, instance.config);
        if (family.setting !== true && total < entry.last[i]!) entry.before[i]! += entry.last[i]!;
        entry.last[i] = total;
        text += `${entry.lines[i]}${family.setting === true ? total : entry.before[i]! + total}\n`;
      }
    }
    if (scripts.length > 0) {
      text += header('keepalived_script_status', 'gauge', 'Tracker Script Status');
      for (const script of scripts)
        text += `keepalived_script_status${labels({ name: script.name })} ${script.up ? 1 : 0}\n`;
    }
    return text;
  }

  private entryOf(config: VirtualRouterConfig): InstanceEntry {
    const found = this.byName.get(config.name);
    if (found?.config === config) return found;
    const entry = entryFor(config, found);
    this.byName.set(config.name, entry);
    return entry;
  }
}

function stateText(instances: readonly KeepalivedInstance[], entries: readonly InstanceEntry[]): string {
  let text = header('keepalived_vrrp_state', 'gauge', 'State of vrrp');
  let excluded = '';
  for (let j = 0; j < instances.length; j++) {
    const value = KEEPALIVED_STATE_VALUE[instances[j]!.state];
    for (const line of entries[j]!.addresses) text += `${line}${value}\n`;
    for (const line of entries[j]!.excluded) excluded += `${line}${value}\n`;
  }
  if (excluded === '') return text;
  return text + header('keepalived_vrrp_excluded_state', 'gauge', 'State of vrrp with excluded VIP') + excluded;
}

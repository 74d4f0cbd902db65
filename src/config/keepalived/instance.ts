// vrrp_instance -> LinuxRouterInput (+ VipSpecs). Collects the statements first (keepalived allows any
// order: `virtual_ipaddress` may come before `interface`), then maps them with keepalived 2.2.7's
// meaning. A keyword not mapped here is warned or refused by its class in the keyword table (keywords.ts).

import type { AnnounceConfig, AuthConfig } from '../../core/types.js';
import type { LinuxRouterInput, LinuxVipSpec } from '../../model/runtime-input.js';
import type { DiagnosticList, SourcePosition } from './diagnostics.js';
import { completeAnnounce, readAdvertPolicy, readGarpGlobal, type KeepalivedGlobals } from './globals.js';
import { resolveAdvertPolicy, type InstanceAdvertPolicy } from './advert-policy.js';
import { reportUnmapped } from './keywords.js';
import { readExtraInterfaceAnnounce, type ExtraInterfaceAnnounce } from './garp.js';
import type { Statement } from './parser.js';
import { readNativeIpv6, versionWithNativeIpv6, type NativeIpv6 } from './native-ipv6.js';
import { readKernelRxBufSize } from './receive-buffers.js';
import {
  emptyPendingFeatures,
  readNotifyCommand,
  readTracking,
  type PendingInstanceFeatures,
  type TrackedNames,
} from './tracking.js';
import { INSTANCE_NOTIFY_EXTRAS, readNotifyExtra } from './notify-extras.js';
import { readPeers, readVips, type ParsedVip, type VipList } from './vip-lists.js';
import { addressVmacs, settleVmacName, settleXmitBase } from './vmac.js';
import { readWireKeywords, WIRE_KEYWORDS } from './wire-keywords.js';
import type { RouteSpec, RuleSpec } from '../../model/routes.js';
import { readRoutes, readRules } from './routes.js';
import { readVrf } from './vrf.js';
import { readAdvertInterval, readAuthentication, readState, readUseVmac } from './instance-values.js';
import { readUseIpvlan, settleIpvlan } from './ipvlan.js';
import type { IpvlanInput } from '../../model/ipvlan-input.js';
import { MAX_INTERFACE_NAME, noArgs, readAddress, readFlag, readInteger, readSeconds, singleArg } from './values.js';

/** What an instance tracks and runs on state changes (run by src/health, see health-plan.ts). */
export type { PendingInstanceFeatures } from './tracking.js';

export interface MappedInstance {
  readonly router: LinuxRouterInput;
  /** virtual_routes and virtual_rules, which follow this router's mastership. */
  readonly routes: readonly RouteSpec[];
  readonly rules: readonly RuleSpec[];
  readonly vips: readonly LinuxVipSpec[];
  readonly pending: PendingInstanceFeatures;
  /** Where each RouterConfigInput field was set, to place buildRouterConfig's errors. */
  readonly positions: ReadonlyMap<string, SourcePosition>;
  readonly at: SourcePosition;
  /** garp_extra_if as written (the mapper resolves its interfaces once every instance is read). */
  readonly extraInterfaceAnnounce?: ExtraInterfaceAnnounce;
}

const TRACKING_KEYWORDS = new Set(['track_script', 'track_interface', 'track_file', 'track_process']);
const NOTIFY_KEYWORDS = new Set(['notify', 'notify_master', 'notify_backup', 'notify_fault', 'notify_stop']);

interface RawInstance {
  readonly at: SourcePosition;
  /** The statement of each keyword; a repeated block is one block holding both contents. */
  readonly single: Map<string, Statement>;
}

/**
 * A repeated value keyword: reported, and the last one wins, as in keepalived. A repeated block
 * (two virtual_ipaddress blocks, say) adds to the first, as keepalived adds to its lists.
 */
function collect(statement: Statement, diagnostics: DiagnosticList): RawInstance {
  const raw: RawInstance = { at: statement, single: new Map() };
  // Blocks given again under one keyword are joined in place: copying the joined list at each repeat
  // made a file of thousands of `unicast_peer { }` blocks quadratic to read.
  const joined = new Map<string, Statement[]>();
  for (const child of statement.block ?? []) {
    const previous = raw.single.get(child.keyword);
    if (previous?.block && child.block) {
      let blocks = joined.get(child.keyword);
      if (blocks === undefined) {
        blocks = [...previous.block];
        joined.set(child.keyword, blocks);
        raw.single.set(child.keyword, { ...previous, block: blocks });
      }
      for (const inner of child.block) blocks.push(inner);
      continue;
    }
    if (previous)
      diagnostics.warning(child, `${child.keyword} is set again (first at line ${previous.line}); this one is used`);
    raw.single.set(child.keyword, child);
    joined.delete(child.keyword);
  }
  return raw;
}

export function mapInstance(
  statement: Statement,
  globals: KeepalivedGlobals,
  tracked: TrackedNames,
  diagnostics: DiagnosticList,
  vmacNames: Set<string> = new Set(),
): MappedInstance | undefined {
  const name = instanceName(statement, diagnostics);
  if (name === undefined || !statement.block) return undefined;
  const reader = new InstanceReader(name, statement, globals, diagnostics, vmacNames);
  const iface = reader.readInterface();
  const vrid = reader.readVrid();
  const native = readNativeIpv6(statement.block, diagnostics);
  const addresses = reader.readAddresses(iface, vrid, native);
  const { source, peers, faultNoPeer } = reader.readSourceAndPeers();
  const family = native ? 6 : (addresses.vips[0]?.family ?? source?.family);
  const election = reader.readElection(family, native);
  const ipvlan = reader.readIpvlan(vrid, family ?? 4, peers.length > 0);
  const modes = reader.readModes(election.effectiveVersion, peers);
  const xmitBase = reader.readXmitBase(addresses.useVmac !== undefined, peers.length > 0, modes.strict);
  const { announce, pending, advertPolicy, routes, rules } = reader.readOthers(statement.block, tracked);
  const policy = resolveAdvertPolicy(advertPolicy, globals.advertPolicy ?? {}, modes.strict, statement, diagnostics);
  const wire = readWireKeywords(statement.block, wireContext(name, family, peers, source, globals), diagnostics);

  if (iface === undefined || vrid === undefined) return undefined;
  const { vips, excluded, useVmac } = addresses;
  const { version, advertIntervalCs, initialState, priority, preempt, delaySeconds } = election;
  const router: LinuxRouterInput = {
    name,
    interface: iface,
    vrid,
    virtualAddresses: vips.map((vip) => vip.address),
    ...(excluded.length > 0 ? { excludedAddresses: excluded.map((vip) => vip.address) } : {}),
    ...(family !== undefined ? { family } : {}),
    ...(version !== undefined ? { version } : {}),
    ...(priority !== undefined ? { priority } : {}),
    ...(advertIntervalCs !== undefined ? { advertIntervalCs } : {}),
    ...(initialState !== undefined ? { initialState } : {}),
    preempt,
    ...(delaySeconds !== undefined ? { preemptDelayMs: Math.round(delaySeconds * 1000) } : {}),
    acceptMode: modes.acceptMode,
    ...(source !== undefined ? { primaryAddress: source.address } : {}),
    ...(modes.auth !== undefined ? { auth: modes.auth } : {}),
    unicastPeers: peers,
    ...(faultNoPeer ? { unicastFaultNoPeer: true } : {}),
    strictAddressList: modes.strict,
    announce,
    ...policy,
    ...wire,
    ...(globals.startupDelayMs ? { startupDelayMs: globals.startupDelayMs } : {}),
    ...(useVmac !== undefined ? { useVmac } : ipvlan !== undefined ? { useIpvlan: ipvlan } : {}),
    ...reader.readHostSettings(useVmac ?? ipvlan?.name, xmitBase),
  };
  const vipContext = { iface, vrid, family: family ?? 4, instanceVmac: (useVmac ?? ipvlan) !== undefined };
  const onVmacs = addressVmacs(
    [...vips, ...excluded],
    { ...vipContext, vmacAddr: reader.readVmacAddr(), prefix: globals.vmacAddrPrefix ?? globals.vmacPrefix },
    vmacNames,
    diagnostics,
  );
  const extra = reader.readExtraGarp();
  return {
    router,
    routes,
    rules,
    vips: vipSpecs([...vips, ...excluded], iface, onVmacs),
    pending,
    positions: reader.positions,
    at: statement,
    ...(extra ? { extraInterfaceAnnounce: extra } : {}),
  };
}

/** The instance's name; undefined (and an error) without one or without a { } block. */
function instanceName(statement: Statement, diagnostics: DiagnosticList): string | undefined {
  const word = singleArg(statement, diagnostics);
  if (!word) return undefined;
  if (statement.block) return word.text;
  diagnostics.error(statement, `vrrp_instance ${word.text} has no { } block`);
  return undefined;
}

/** What the wire keywords' reader needs to know of the instance (wire-keywords.ts). */
function wireContext(
  name: string,
  family: 4 | 6 | undefined,
  peers: readonly string[],
  source: { readonly address: string } | undefined,
  globals: KeepalivedGlobals,
): Parameters<typeof readWireKeywords>[1] {
  return {
    name,
    family,
    unicast: peers.length > 0,
    configuredSource: source !== undefined,
    globalSkipCheckAdvertAddresses: globals.skipCheckAdvertAddresses === true,
  };
}

/** The keywords InstanceReader reads by name; readOthers takes every other one. */
const HANDLED = new Set([
  'interface',
  'virtual_router_id',
  'use_vmac',
  'vmac_xmit_base',
  'use_vmac_addr',
  'virtual_ipaddress',
  'virtual_ipaddress_excluded',
  'unicast_src_ip',
  'mcast_src_ip',
  'unicast_peer',
  'unicast_fault_no_peer',
  'version',
  'advert_int',
  'state',
  'priority',
  'nopreempt',
  'preempt',
  'preempt_delay',
  'strict_mode',
  'accept',
  'no_accept',
  'authentication',
  'kernel_rx_buf_size',
  'promote_secondaries',
  'garp_extra_if',
  'native_ipv6',
  'use_ipvlan',
]);

interface InstanceAddresses {
  readonly vips: readonly ParsedVip[];
  readonly excluded: readonly ParsedVip[];
  readonly useVmac: boolean | string | undefined;
}

interface InstanceElection {
  readonly version: 2 | 3 | undefined;
  readonly effectiveVersion: 2 | 3;
  readonly advertIntervalCs: number | undefined;
  readonly initialState: 'Master' | 'Backup' | undefined;
  readonly priority: number | undefined;
  readonly preempt: boolean;
  readonly delaySeconds: number | undefined;
}

/** One vrrp_instance block read part by part, keeping where each router field was set. */
class InstanceReader {
  readonly positions = new Map<string, SourcePosition>();
  private readonly raw: RawInstance;

  constructor(
    private readonly name: string,
    private readonly statement: Statement,
    private readonly globals: KeepalivedGlobals,
    private readonly diagnostics: DiagnosticList,
    /** VMAC names given or generated so far in the file (a generated one avoids them). */
    private readonly vmacNames: Set<string>,
  ) {
    this.raw = collect(statement, diagnostics);
  }

  /** The statement of `keyword`, noting it as where `field` was set. */
  get(keyword: string, field?: string): Statement | undefined {
    const found = this.raw.single.get(keyword);
    if (found && field) this.positions.set(field, found);
    return found;
  }

  /** promote_secondaries, a flag; keepalived ignores it with a VMAC (always on there), with an error. */
  readPromoteSecondaries(useVmac: boolean | string | undefined): boolean {
    const statement = this.get('promote_secondaries');
    if (!statement) return false;
    if (statement.args.length > 0) this.diagnostics.warning(statement, 'promote_secondaries takes no value: ignored');
    if (!useVmac) return true;
    this.diagnostics.warning(
      statement,
      'promote_secondaries is always on for a VMAC (use_vmac): ignored, as keepalived does',
    );
    return false;
  }

  readInterface(): string | undefined {
    const ifaceStatement = this.get('interface', 'interface');
    if (!ifaceStatement) {
      this.diagnostics.error(this.statement, `vrrp_instance ${this.name}: interface is missing`);
      return undefined;
    }
    const word = singleArg(ifaceStatement, this.diagnostics);
    if (word && word.text.length > MAX_INTERFACE_NAME) {
      this.diagnostics.error(word, `interface name "${word.text}" is longer than ${MAX_INTERFACE_NAME} characters`);
      return undefined;
    }
    return word?.text;
  }

  readVrid(): number | undefined {
    const vridStatement = this.get('virtual_router_id', 'vrid');
    if (!vridStatement)
      this.diagnostics.error(this.statement, `vrrp_instance ${this.name}: virtual_router_id is missing`);
    return vridStatement ? readInteger(vridStatement, 1, 255, this.diagnostics) : undefined;
  }

  readAddresses(iface: string | undefined, vrid: number | undefined, native?: NativeIpv6): InstanceAddresses {
    const { diagnostics, positions } = this;
    // With use_ipvlan keepalived makes only the ipvlan (readIpvlan warns): no VMAC name is taken.
    const vmacStatement = this.raw.single.has('use_ipvlan') ? undefined : this.get('use_vmac', 'useVmac');
    const asWritten = readUseVmac(vmacStatement, diagnostics);
    // vmac_prefix names a generated VMAC `<prefix>.<vrid>`, as keepalived 2.2.7 does (vrrp.<vrid> without
    // it); a name an earlier instance has gets a number (vrrp1.<vrid>, IPv6 vrrp6.<vrid>).
    const useVmac = settleVmacName(
      asWritten,
      vrid,
      this.statement.block ?? [],
      this.globals.vmacPrefix,
      this.vmacNames,
    );
    const vmacName = typeof useVmac === 'string' ? useVmac : useVmac && vrid !== undefined ? `vrrp.${vrid}` : undefined;
    const readList = (list: VipList): ParsedVip[] => {
      const block = this.get(list.keyword, list.field);
      return block ? readVips(block, list, iface, vmacName, diagnostics, positions) : [];
    };
    const listed = readList({ keyword: 'virtual_ipaddress', field: 'virtualAddresses' });
    // keepalived 2.2.7 drops a VIP of the other family ("address family must match VRRP instance") and
    // `keepalived -t` fails on it: an error here too, pointing at the list that takes it.
    const family = native ? 6 : listed[0]?.family;
    const why = native ? `native_ipv6 (line ${native.at.line}) made the instance IPv6` : "the instance's first VIP is";
    const vips = listed.filter((vip, index) => {
      if (vip.family === family) return true;
      diagnostics.error(
        positions.get(`virtualAddresses[${index}]`)!,
        `${vip.address} is IPv${vip.family}, ${native ? why : `${why} IPv${family}`}: every virtual_ipaddress must be of one family (put it in virtual_ipaddress_excluded)`,
      );
      return false;
    });
    if (vips.length !== listed.length) renumberPositions(positions, 'virtualAddresses', listed, vips);
    const excluded = readList({ keyword: 'virtual_ipaddress_excluded', field: 'excludedAddresses' });
    const firstVip = vips[0];
    if (firstVip?.family === 6 && !firstVip.address.toLowerCase().startsWith('fe80:')) {
      // RFC 5798 5.2.9 puts the virtual router's link-local address first; keepalived logs the same.
      diagnostics.warning(
        positions.get('virtualAddresses[0]')!,
        `the first IPv6 VIP ${firstVip.address} should be a link-local address (RFC 5798 5.2.9)`,
      );
    }
    return { vips, excluded, useVmac };
  }

  readSourceAndPeers(): {
    source: ReturnType<typeof readAddress>;
    peers: ReturnType<typeof readPeers>;
    faultNoPeer: boolean;
  } {
    const { diagnostics, raw } = this;
    const sourceStatement = this.get('unicast_src_ip', 'primaryAddress') ?? this.get('mcast_src_ip', 'primaryAddress');
    if (raw.single.has('unicast_src_ip') && raw.single.has('mcast_src_ip')) {
      diagnostics.warning(
        raw.single.get('mcast_src_ip')!,
        'mcast_src_ip and unicast_src_ip set the same source address; unicast_src_ip is used',
      );
    }
    const sourceWord = sourceStatement ? singleArg(sourceStatement, diagnostics) : undefined;
    const source = sourceWord ? readAddress(sourceWord, sourceStatement!.keyword, diagnostics) : undefined;
    const peerBlock = this.get('unicast_peer', 'unicastPeers');
    const peers = peerBlock ? readPeers(peerBlock, source, diagnostics, this.positions) : [];
    const faultStatement = this.get('unicast_fault_no_peer', 'unicastFaultNoPeer');
    const faultNoPeer = faultStatement !== undefined && noArgs(faultStatement, diagnostics);
    if (faultNoPeer && peers.length === 0) {
      // keepalived 2.2.7 vrrp_complete_instance: unicast configured, no peer, and this flag: Fault.
      diagnostics.warning(
        faultStatement,
        `vrrp_instance ${this.name} has no unicast_peer: it stays in Fault (unicast_fault_no_peer) instead of using multicast`,
      );
    }
    return { source, peers, faultNoPeer };
  }

  readElection(family: 4 | 6 | undefined, native?: NativeIpv6): InstanceElection {
    const { diagnostics } = this;
    const versionStatement = this.get('version', 'version');
    const written = versionStatement
      ? (readInteger(versionStatement, 2, 3, diagnostics) as 2 | 3 | undefined)
      : undefined;
    // keepalived 2.2.7 vrrp_complete_instance: an IPv6 instance without a version of its own is VRRPv3
    // whatever vrrp_version says; native_ipv6 sets 3 where it is read (native-ipv6.ts).
    const version = native
      ? versionWithNativeIpv6(native, this.statement.block ?? [], written, diagnostics)
      : (written ?? (family === 6 ? undefined : this.globals.version));
    const effectiveVersion: 2 | 3 = version ?? (family === 6 ? 3 : 2);
    const advertIntervalCs = readAdvertInterval(
      this.get('advert_int', 'advertIntervalCs'),
      effectiveVersion,
      diagnostics,
    );
    const stateStatement = this.get('state', 'initialState');
    const initialState = stateStatement ? readState(stateStatement, diagnostics) : undefined;
    const priorityStatement = this.get('priority', 'priority');
    // keepalived: an instance that starts as MASTER with no priority is the address owner (255).
    const priority = priorityStatement
      ? readInteger(priorityStatement, 1, 255, diagnostics)
      : initialState === 'Master'
        ? 255
        : undefined;
    if (!priorityStatement && initialState === 'Master') {
      diagnostics.warning(
        stateStatement!,
        'state MASTER without a priority makes this router the address owner (priority 255), as in keepalived',
      );
    }
    const preempt = this.readPreempt(priority);
    const delayStatement = this.get('preempt_delay', 'preemptDelayMs');
    const delaySeconds = delayStatement ? readSeconds(delayStatement, 0, 1000, diagnostics) : undefined;
    if (initialState === 'Master' && (!preempt || (delaySeconds ?? 0) > 0)) {
      diagnostics.warning(
        stateStatement!,
        'state MASTER clears nopreempt and preempt_delay at start (keepalived 2.2.7 does the same); use state BACKUP to keep them',
      );
    }
    return { version, effectiveVersion, advertIntervalCs, initialState, priority, preempt, delaySeconds };
  }

  private readPreempt(priority: number | undefined): boolean {
    const { diagnostics } = this;
    let preempt = true;
    const nopreempt = this.get('nopreempt', 'preempt');
    if (nopreempt && noArgs(nopreempt, diagnostics)) {
      if (priority === 255)
        diagnostics.warning(
          nopreempt,
          'nopreempt is ignored at priority 255 (the address owner always preempts), as in keepalived',
        );
      else preempt = false;
    }
    const preemptKeyword = this.raw.single.get('preempt');
    if (preemptKeyword) {
      noArgs(preemptKeyword, diagnostics);
      diagnostics.warning(preemptKeyword, 'preempt is the default and may be left out');
      if (nopreempt) diagnostics.error(preemptKeyword, 'preempt and nopreempt contradict each other');
    }
    return preempt;
  }

  /** garp_extra_if as written (the mapper resolves its interfaces once every instance is read). */
  readExtraGarp(): ExtraInterfaceAnnounce | undefined {
    const statement = this.get('garp_extra_if');
    return statement ? readExtraInterfaceAnnounce(statement, 0, this.diagnostics) : undefined;
  }

  /** use_ipvlan settled (ipvlan.ts): its name given or generated as a VMAC's. */
  readIpvlan(vrid: number | undefined, family: 4 | 6, unicast: boolean): IpvlanInput | undefined {
    const statement = this.get('use_ipvlan', 'useIpvlan');
    const written = statement && readUseIpvlan(statement, this.diagnostics);
    if (!written || vrid === undefined) return undefined;
    const prefix = this.globals.vmacPrefix;
    const useVmac = this.raw.single.get('use_vmac');
    const context = { at: statement, vrid, family, unicast, useVmac, prefix };
    return settleIpvlan(written, context, this.vmacNames, this.diagnostics);
  }

  /** use_vmac_addr: every address on another interface, or of the other family, on a VMAC there. */
  readVmacAddr(): boolean {
    const statement = this.get('use_vmac_addr');
    return statement !== undefined && noArgs(statement, this.diagnostics);
  }

  /** vmac_xmit_base as keepalived settles it (on for unicast peers; off without use_vmac or in strict mode). */
  readXmitBase(useVmac: boolean, unicast: boolean, strict: boolean): boolean {
    const at = this.raw.single.get('use_vmac') ?? this.statement;
    return settleXmitBase(
      this.get('vmac_xmit_base', 'vmacXmitBase'),
      { useVmac, unicast, strict, at },
      this.diagnostics,
    );
  }

  /** Accept mode, strict mode, authentication. */
  readModes(
    effectiveVersion: 2 | 3,
    peers: readonly unknown[],
  ): { acceptMode: boolean; strict: boolean; auth: AuthConfig | undefined } {
    const { diagnostics, raw } = this;
    const strictStatement = this.get('strict_mode', 'strictAddressList');
    const strictOn = strictStatement ? readFlag(strictStatement, diagnostics) : undefined;
    const strict: SourcePosition | undefined =
      strictOn === true ? strictStatement : strictOn === false ? undefined : this.globals.strict;
    const accept = this.get('accept', 'acceptMode');
    if (accept) noArgs(accept, diagnostics);
    const noAccept = this.get('no_accept', 'acceptMode');
    // Accept mode off (no_accept, or strict mode without accept) is enforced by the runtime's nftables
    // drop set. "accept" with VRRPv2 under strict mode: keepalived resets it with a warning that makes its
    // -t fail (exit 5), so it is an error here too.
    if (strict && accept && effectiveVersion === 2) {
      diagnostics.error(
        accept,
        'strict mode turns accept mode off for VRRPv2 whatever the instance says (RFC 3768 has no accept mode; keepalived resets it and its -t fails): remove "accept" or use version 3',
      );
    }
    const authBlock = this.get('authentication', 'auth');
    const auth = authBlock ? readAuthentication(authBlock, diagnostics) : undefined;
    if (strict && authBlock)
      diagnostics.error(
        authBlock,
        'strict mode does not allow authentication (keepalived ignores it there with a warning); remove it',
      );
    const peerBlock = raw.single.get('unicast_peer');
    if (peers.length > 0 && !this.globals.checkUnicastSource && !raw.single.has('check_unicast_src')) {
      diagnostics.warning(
        peerBlock!,
        'adverts from a source that is not a unicast_peer are dropped (keepalived does so only with vrrp_check_unicast_src)',
      );
    }
    const acceptMode = !(noAccept || (strict && (!accept || effectiveVersion === 2)));
    return { acceptMode, strict: strict !== undefined, auth };
  }

  /** kernel_rx_buf_size, vmac_xmit_base (settled by readXmitBase) and promote_secondaries. */
  readHostSettings(
    useVmac: boolean | string | undefined,
    xmitBase: boolean,
  ): Pick<LinuxRouterInput, 'receiveBufferBytes' | 'vmacXmitBase' | 'promoteSecondaries'> {
    return {
      ...this.readReceiveBuffer(),
      ...(xmitBase ? { vmacXmitBase: true } : {}),
      ...(this.readPromoteSecondaries(useVmac) ? { promoteSecondaries: true } : {}),
    };
  }

  /** kernel_rx_buf_size: this instance's share of its socket's receive buffer (receive-buffers.ts). */
  readReceiveBuffer(): { receiveBufferBytes?: number } {
    const statement = this.get('kernel_rx_buf_size', 'receiveBufferBytes');
    const bytes = statement === undefined ? undefined : readKernelRxBufSize(statement, this.diagnostics);
    return bytes === undefined ? {} : { receiveBufferBytes: Math.min(bytes, 2 ** 31 - 1) };
  }

  /** Announcements, tracking, notify, everything else. */
  readOthers(
    block: readonly Statement[],
    tracked: TrackedNames,
  ): {
    announce: Partial<AnnounceConfig>;
    pending: PendingInstanceFeatures;
    advertPolicy: InstanceAdvertPolicy;
    routes: RouteSpec[];
    rules: RuleSpec[];
  } {
    const { diagnostics } = this;
    // keepalived resolves the lower-priority fallback globally: an instance's garp_master_repeat does
    // not change its garp_lower_prio_repeat (checked with keepalived -d).
    const announce: Partial<AnnounceConfig> = { ...completeAnnounce(this.globals.announce) };
    const pending = emptyPendingFeatures();
    let advertPolicy: InstanceAdvertPolicy = {};
    const routes: RouteSpec[] = [];
    const rules: RuleSpec[] = [];
    const context = (keyword: string) => ({ keyword, router: this.name });
    for (const child of block) {
      // linkbeat_use_polling: read by link-polling.ts.
      if (HANDLED.has(child.keyword) || WIRE_KEYWORDS.has(child.keyword) || child.keyword === 'linkbeat_use_polling')
        continue;
      if (child.keyword.startsWith('garp_') && readGarpGlobal(child, announce, diagnostics)) continue;
      const policy = readAdvertPolicy(child, advertPolicy, diagnostics);
      if (policy) {
        advertPolicy = { ...policy, at: { ...advertPolicy.at, [child.keyword]: child } };
        continue;
      }
      if (TRACKING_KEYWORDS.has(child.keyword)) {
        readTracking(child, tracked, pending, diagnostics);
      } else if (NOTIFY_KEYWORDS.has(child.keyword)) {
        readNotifyCommand(child, pending, diagnostics);
      } else if (child.keyword === 'virtual_routes') {
        routes.push(...readRoutes(child, context(child.keyword), diagnostics).map((entry) => entry.spec));
      } else if (child.keyword === 'virtual_rules') {
        rules.push(...readRules(child, context(child.keyword), diagnostics).map((entry) => entry.spec));
      } else if (INSTANCE_NOTIFY_EXTRAS.has(child.keyword)) {
        readNotifyExtra(child, pending, diagnostics);
      } else if (child.keyword === 'vrf') {
        readVrf(child, this.name, this.raw.single.has('interface'), diagnostics);
      } else if (child.keyword === 'check_unicast_src') {
        // What vrrp-engine always does (see the unicast_peer warning in readModes).
        noArgs(child, diagnostics);
      } else {
        reportUnmapped('vrrp_instance', child, diagnostics, ` in vrrp_instance ${this.name}`);
      }
    }
    return { announce, pending, advertPolicy, routes, rules };
  }
}

/** A VipSpec for each address with settings of its own, no_track, or living on another interface (its dev). */
function vipSpecs(
  addresses: readonly ParsedVip[],
  iface: string,
  onVmacs: ReadonlyMap<ParsedVip, string>,
): LinuxVipSpec[] {
  return addresses
    .filter(
      (vip) =>
        vip.prefixLength !== undefined ||
        vip.label !== undefined ||
        vip.preferredLifetime !== undefined ||
        vip.dev !== undefined ||
        vip.noTrack === true ||
        onVmacs.has(vip),
    )
    .map((vip) => ({
      interface: vip.dev ?? iface,
      address: vip.address,
      ...(vip.prefixLength !== undefined ? { prefixLength: vip.prefixLength } : {}),
      ...(vip.label !== undefined ? { label: vip.label } : {}),
      ...(vip.preferredLifetime !== undefined ? { preferredLifetime: vip.preferredLifetime } : {}),
      ...(vip.noTrack === true ? { noTrack: true } : {}),
      ...(onVmacs.has(vip) ? { useVmac: onVmacs.get(vip)! } : {}),
    }));
}

/** After VIPs were dropped from `listed`, the positions of those kept follow their new indices. */
function renumberPositions(
  positions: Map<string, SourcePosition>,
  field: string,
  listed: readonly ParsedVip[],
  kept: readonly ParsedVip[],
): void {
  const old = listed.map((_, index) => positions.get(`${field}[${index}]`)!);
  listed.forEach((_, index) => positions.delete(`${field}[${index}]`));
  kept.forEach((vip, index) => positions.set(`${field}[${index}]`, old[listed.indexOf(vip)]!));
}

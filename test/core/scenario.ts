// Test helpers for the core: complete configurations, adverts as the demux would hand them over, and a
// scenario driver where every step states its virtual time:
//
//   const s = new Scenario(v2Config());
//   t.strictSame(s.at(0, startup), [stateChange('Initialize', 'Backup', 'startup', 100)]);
//   t.strictSame(s.at(3609.375, timeout), becomeMasterActions(s.config, 'Backup', 'master-down-timer'));

import type {
  ReceivedAdvert,
  RouterAction,
  RouterInput,
  RouterState,
  TransitionReason,
  VirtualRouterConfig,
} from '../../src/core/types.js';
import { VirtualRouter } from '../../src/core/virtual-router.js';
import { passwordToAuthData } from '../../src/wire/codec.js';

/** A complete VRRPv2 / IPv4 configuration with keepalived's defaults; override what a test needs. */
export function v2Config(overrides: Partial<VirtualRouterConfig> = {}): VirtualRouterConfig {
  return {
    name: 'VI_1',
    interface: 'eth0',
    vrid: 51,
    version: 2,
    family: 4,
    priority: 100,
    advertIntervalCs: 100,
    initialState: 'Backup',
    preempt: true,
    preemptDelayMs: 0,
    preemptDelayMode: 'keepalived',
    acceptMode: false,
    primaryAddress: '192.0.2.10',
    virtualAddresses: ['192.0.2.100'],
    auth: { type: 'none' },
    v3Ipv4PseudoHeader: true,
    unicastPeers: [],
    checkUnicastTtl: true,
    strictAddressList: false,
    higherPrioritySendAdvert: false,
    announce: {
      repeat: 5,
      secondBurstDelayMs: 5000,
      refreshIntervalMs: 0,
      refreshRepeat: 1,
      lowerPriorityRepeat: 5,
      lowerPrioritySecondBurstDelayMs: 5000,
    },
    ...overrides,
  };
}

/** VRRPv3 over IPv4. */
export function v3Config(overrides: Partial<VirtualRouterConfig> = {}): VirtualRouterConfig {
  return v2Config({ version: 3, ...overrides });
}

/** VRRPv3 over IPv6: link-local primary address, link-local first VIP (RFC 9568). */
export function v6Config(overrides: Partial<VirtualRouterConfig> = {}): VirtualRouterConfig {
  return v2Config({
    version: 3,
    family: 6,
    primaryAddress: 'fe80::10',
    virtualAddresses: ['fe80::100', '2001:db8::100'],
    ...overrides,
  });
}

export interface AdvertOptions {
  readonly from?: string;
  readonly priority?: number;
  readonly intervalCs?: number;
  readonly addresses?: readonly string[];
  readonly version?: 2 | 3;
  readonly family?: 4 | 6;
  readonly ttl?: number;
  readonly to?: string;
  readonly authType?: number;
  readonly password?: string;
  readonly vrid?: number;
}

/** An advert that passes every receive check of `config` unless an option says otherwise. */
export function advertFor(config: VirtualRouterConfig, options: AdvertOptions = {}): ReceivedAdvert {
  const family = options.family ?? config.family;
  const version = options.version ?? config.version;
  const configPassword = config.auth.type === 'pass' ? config.auth.password : undefined;
  const password = options.password ?? configPassword;
  return {
    version,
    vrid: options.vrid ?? config.vrid,
    priority: options.priority ?? 100,
    advertIntervalCs: options.intervalCs ?? config.advertIntervalCs,
    addresses: options.addresses ?? config.virtualAddresses,
    authType: options.authType ?? (version === 2 && password !== undefined ? 1 : 0),
    authData:
      version === 2 ? (password !== undefined ? passwordToAuthData(password) : new Uint8Array(8)) : new Uint8Array(0),
    family,
    sourceAddress: options.from ?? (family === 4 ? '192.0.2.20' : 'fe80::20'),
    destinationAddress: options.to ?? (family === 4 ? '224.0.0.18' : 'ff02::12'),
    ttl: options.ttl ?? 255,
  };
}

// Inputs
export const startup: RouterInput = { kind: 'startup' };
export const shutdown: RouterInput = { kind: 'shutdown' };
export const timeout: RouterInput = { kind: 'timeout' };
export const linkDown: RouterInput = { kind: 'link', up: false };
export const linkUp: RouterInput = { kind: 'link', up: true };
export function advertInput(advert: ReceivedAdvert): RouterInput {
  return { kind: 'advert', advert };
}
export function track(name: string, up: boolean, weight: number): RouterInput {
  return { kind: 'track', name, up, weight };
}
export function setPriority(priority: number): RouterInput {
  return { kind: 'setPriority', priority };
}

// Expected actions
export function sendAdvert(config: VirtualRouterConfig, priority: number): RouterAction {
  return {
    kind: 'sendAdvert',
    vrid: config.vrid,
    priority,
    advertIntervalCs: config.advertIntervalCs,
    addresses: config.virtualAddresses,
  };
}
/** The owner's VIPs take traffic whatever Accept_Mode says (RFC 9568 6.4.3; test/core/owner-accept.test.ts). */
export function addVips(config: VirtualRouterConfig): RouterAction {
  return {
    kind: 'addVips',
    addresses: config.virtualAddresses,
    acceptMode: config.acceptMode || config.priority === 255,
  };
}
export function removeVips(config: VirtualRouterConfig): RouterAction {
  return { kind: 'removeVips', addresses: config.virtualAddresses };
}
export function announce(config: VirtualRouterConfig, count: number): RouterAction {
  return { kind: 'announceVips', addresses: config.virtualAddresses, count };
}
export function stateChange(
  from: RouterState,
  to: RouterState,
  reason: TransitionReason,
  priority: number,
): RouterAction {
  return { kind: 'stateChange', from, to, reason, priority };
}

/** The actions of becoming Master: advert, VIPs, first announce burst, then the state change. */
export function becomeMaster(
  config: VirtualRouterConfig,
  from: RouterState,
  reason: TransitionReason,
  priority = config.priority,
): RouterAction[] {
  return [
    sendAdvert(config, priority),
    addVips(config),
    announce(config, config.announce.repeat),
    stateChange(from, 'Master', reason, priority),
  ];
}

/** Drives one router through inputs at stated virtual times; times must not go backwards. */
export class Scenario {
  readonly router: VirtualRouter;
  private lastMs = -Infinity;

  constructor(readonly config: VirtualRouterConfig) {
    this.router = new VirtualRouter(config);
  }

  at(nowMs: number, input: RouterInput): RouterAction[] {
    if (nowMs < this.lastMs) throw new Error(`scenario time went backwards: ${nowMs} after ${this.lastMs}`);
    this.lastMs = nowMs;
    return this.router.handle(input, nowMs);
  }

  get state(): RouterState {
    return this.router.state;
  }

  get nextDeadlineMs(): number | undefined {
    return this.router.nextDeadlineMs();
  }
}

/** Only the actions of one kind, to assert on part of a longer list. */
export function ofKind<K extends RouterAction['kind']>(
  actions: readonly RouterAction[],
  kind: K,
): Extract<RouterAction, { kind: K }>[] {
  return actions.filter((action): action is Extract<RouterAction, { kind: K }> => action.kind === kind);
}

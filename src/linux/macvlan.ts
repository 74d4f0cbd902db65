// Creating, inspecting and deleting macvlan links over rtnetlink, for VRRP virtual MACs (vmac.ts).
//
// netlink.ts (RtNetlinkClient) only reads links; this adds the three link writes a VMAC needs:
// RTM_NEWLINK with IFLA_LINK, IFLA_ADDRESS and IFLA_LINKINFO {kind "macvlan", IFLA_MACVLAN_MODE},
// RTM_NEWLINK setting IFF_UP, and RTM_DELLINK. The `netlink` package formats every attribute; its own
// newLink/delLink helpers are not used because they drop the kernel's errno (see netlink.ts).

import netlinkPackage from 'netlink';
import type { NetlinkMessage, RtNetlinkSocket, ifla as IflaTypes, rt as RtTypes } from 'netlink';
import { NetlinkError, RTM_DELLINK, RTM_GETLINK, RTM_NEWLINK, toInterfaceInfo, type InterfaceInfo } from './netlink.js';
import { asCodedError, hasCode } from '../errors.js';

const { createRtNetlink, parseError, rt, ifla, AttrStream } = netlinkPackage;

const NLMSG_ERROR = 2;
const NLM_F_EXCL = 0x200;
const NLM_F_CREATE = 0x400;
const REQUEST_TIMEOUT_MS = 5000;

export type MacvlanMode = 'private' | 'vepa' | 'bridge' | 'passthru' | 'source';

/** A link as far as a VMAC cares: the usual info plus its kind, mode and lower link. */
export interface LinkDetails extends InterfaceInfo {
  /** IFLA_INFO_KIND ('macvlan', 'veth', 'bridge', ...); undefined for a physical link. */
  readonly kind: string | undefined;
  /** IFLA_LINK: the lower device's index (for a macvlan, its parent). */
  readonly parentIndex: number | undefined;
  /** The macvlan mode, when kind is 'macvlan'. */
  readonly macvlanMode: MacvlanMode | undefined;
}

export interface MacvlanSpec {
  readonly name: string;
  readonly parentIndex: number;
  /** Colon-separated hex. */
  readonly mac: string;
  readonly mode: MacvlanMode;
}

/** Concatenates the package's attribute stream output into one buffer (for nested attributes). */
function streamBytes(data: Parameters<InstanceType<typeof AttrStream>['emit']>[0]): Buffer {
  const stream = new AttrStream();
  stream.emit(data);
  return Buffer.concat(stream.bufs);
}

function u32(value: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32LE(value);
  return bytes;
}

export function macBytes(mac: string): Buffer {
  const parts = mac.split(':');
  if (parts.length !== 6 || !parts.every((p) => /^[0-9a-fA-F]{2}$/.test(p))) {
    throw new NetlinkError('RTM_NEWLINK', 22, `not a MAC address: ${mac}`);
  }
  return Buffer.from(parts.map((p) => parseInt(p, 16)));
}

function macvlanModeName(mode: IflaTypes.MacvlanMode): MacvlanMode | undefined {
  for (const name of ['private', 'vepa', 'bridge', 'passthru', 'source'] as const) if (mode[name]) return name;
  return undefined;
}

export function toLinkDetails(message: RtTypes.LinkMessage): LinkDetails | undefined {
  const info = toInterfaceInfo(message);
  if (!info) return undefined;
  const attrs = message.attrs as IflaTypes.LinkAttrs;
  let kind: string | undefined;
  let macvlanMode: MacvlanMode | undefined;
  if (attrs.linkinfo) {
    const linkInfo = ifla.parseInfo(attrs.linkinfo);
    kind = linkInfo.kind?.replace(/\0+$/, '');
    if (kind === 'macvlan' && linkInfo.data) {
      const mode = ifla.parseMacvlan(linkInfo.data).mode;
      if (mode !== undefined) macvlanMode = macvlanModeName(ifla.parseMacvlanMode(mode));
    }
  }
  const parentIndex = attrs.link && attrs.link.length >= 4 ? attrs.link.readUInt32LE(0) : undefined;
  return { ...info, kind, parentIndex, macvlanMode };
}

/** Link writes on one rtnetlink socket of its own. Open it in the namespace it should act on. */
export class MacvlanClient {
  private socket: RtNetlinkSocket | undefined;

  private async request(syscall: string, type: number, payload: Uint8Array[], flags: number): Promise<NetlinkMessage[]> {
    if (!this.socket) {
      try {
        this.socket = createRtNetlink();
      } catch (error) {
        throw asCodedError(error, 'ENETLINK');
      }
    }
    let messages: NetlinkMessage[];
    try {
      [messages] = await this.socket.socket.request(type, payload, { flags, checkError: false, timeout: REQUEST_TIMEOUT_MS });
    } catch (error) {
      throw asCodedError(error, error instanceof Error && /Timeout/.test(error.message) ? 'ETIMEDOUT' : 'ENETLINK');
    }
    for (const message of messages) {
      if (message.type !== NLMSG_ERROR) continue;
      const { errno } = parseError(message.data, message.flags);
      if (errno !== 0) throw new NetlinkError(syscall, errno);
    }
    return messages.filter((m) => m.type !== NLMSG_ERROR);
  }

  private static linkPayload(data: RtTypes.Link, attrs: IflaTypes.LinkAttrs): Uint8Array[] {
    const stream = new AttrStream();
    rt.formatLinkMessage({ kind: 'link', data, attrs }, stream);
    return stream.bufs;
  }

  /** One link by name, with kind and parent; undefined when there is none. */
  async find(name: string): Promise<LinkDetails | undefined> {
    try {
      const messages = await this.request('RTM_GETLINK', RTM_GETLINK, MacvlanClient.linkPayload({}, { ifname: name }), 0);
      for (const message of messages) {
        if (message.type !== RTM_NEWLINK) continue;
        const details = toLinkDetails(rt.parseLinkMessage(message.data));
        if (details) return details;
      }
      return undefined;
    } catch (error) {
      if (hasCode(error, 'ENODEV')) return undefined;
      throw error;
    }
  }

  /** Creates the macvlan, administratively down; EEXIST if the name is taken. */
  async create(spec: MacvlanSpec): Promise<void> {
    const data = streamBytes(ifla.formatMacvlan({ mode: ifla.formatMacvlanMode({ [spec.mode]: true }) }));
    const linkinfo = streamBytes(ifla.formatInfo({ kind: 'macvlan', data }));
    const payload = MacvlanClient.linkPayload(
      {},
      { ifname: spec.name, link: u32(spec.parentIndex), address: macBytes(spec.mac), linkinfo },
    );
    await this.request('RTM_NEWLINK', RTM_NEWLINK, payload, NLM_F_CREATE | NLM_F_EXCL);
  }

  async setUp(ifindex: number, up: boolean): Promise<void> {
    const payload = MacvlanClient.linkPayload({ index: ifindex, flags: up ? { up: true } : {}, change: { up: true } }, {});
    await this.request('RTM_NEWLINK', RTM_NEWLINK, payload, 0);
  }

  /** Deletes a link; one already gone is 'absent'. */
  async delete(ifindex: number): Promise<'removed' | 'absent'> {
    try {
      await this.request('RTM_DELLINK', RTM_DELLINK, MacvlanClient.linkPayload({ index: ifindex }, {}), 0);
      return 'removed';
    } catch (error) {
      if (hasCode(error, 'ENODEV')) return 'absent';
      throw error;
    }
  }

  close(): void {
    this.socket?.socket.close();
    this.socket = undefined;
  }
}

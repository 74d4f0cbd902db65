// Creating, inspecting and deleting macvlan and ipvlan links over rtnetlink, for VRRP virtual MACs
// and keepalived's use_ipvlan (vmac.ts).
//
// netlink.ts (RtNetlinkClient) only reads links; this adds the link writes a VMAC needs: RTM_NEWLINK
// with IFLA_LINK, IFLA_ADDRESS and IFLA_LINKINFO {IFLA_INFO_KIND "macvlan", IFLA_INFO_DATA
// {IFLA_MACVLAN_MODE}} (an ipvlan: IFLA_LINK, IFLA_IFNAME and IFLA_LINKINFO {"ipvlan", {u16
// IFLA_IPVLAN_MODE l2, u16 IFLA_IPVLAN_FLAGS}}, the request `ip link add link P name N type ipvlan
// mode l2 MODE` sends), RTM_NEWLINK setting IFF_UP, and RTM_DELLINK.

import { NetlinkError, toInterfaceInfo, type InterfaceInfo } from './netlink.js';
import {
  attribute,
  attributeString,
  attributeU32,
  decodeLinkBody,
  encodeLinkBody,
  IFF_UP,
  IFLA_ADDRESS,
  IFLA_IFNAME,
  IFLA_INFO_DATA,
  IFLA_INFO_KIND,
  IFLA_IPVLAN_FLAGS,
  IFLA_IPVLAN_MODE,
  IFLA_LINK,
  IFLA_LINKINFO,
  IFLA_MACVLAN_MODE,
  NLM_F_CREATE,
  NLM_F_EXCL,
  parseAttributes,
  RTM_DELLINK,
  RTM_GETLINK,
  RTM_NEWLINK,
  stringAttribute,
  u16Attribute,
  u32Attribute,
  type LinkMessage,
} from './rtnetlink-codec.js';
import { RtnlRequester } from './rtnetlink-requests.js';
import { hasCode } from '../errors.js';
import type { IpvlanMode } from '../model/ipvlan-input.js';

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

export interface IpvlanSpec {
  readonly name: string;
  readonly parentIndex: number;
  readonly mode: IpvlanMode;
}

/** IPVLAN_F_PRIVATE and IPVLAN_F_VEPA (linux/if_link.h); bridge is 0. */
const IPVLAN_FLAGS: Readonly<Record<IpvlanMode, number>> = { bridge: 0, private: 1, vepa: 2 };
/** IPVLAN_MODE_L2: the only mode keepalived makes (frames, ARP and multicast reach the ipvlan). */
const IPVLAN_MODE_L2 = 0;

/** RTM_NEWLINK's body for an l2 ipvlan, attribute for attribute as iproute2 writes it. */
export function ipvlanRequestBody(spec: IpvlanSpec): Buffer {
  const data = Buffer.concat([
    u16Attribute(IFLA_IPVLAN_MODE, IPVLAN_MODE_L2),
    u16Attribute(IFLA_IPVLAN_FLAGS, IPVLAN_FLAGS[spec.mode]),
  ]);
  const linkinfo = attribute(
    IFLA_LINKINFO,
    Buffer.concat([attribute(IFLA_INFO_KIND, Buffer.from('ipvlan')), attribute(IFLA_INFO_DATA, data)]),
  );
  return encodeLinkBody({}, [
    u32Attribute(IFLA_LINK, spec.parentIndex),
    stringAttribute(IFLA_IFNAME, spec.name),
    linkinfo,
  ]);
}

export function macBytes(mac: string): Buffer {
  const parts = mac.split(':');
  if (parts.length !== 6 || !parts.every((p) => /^[0-9a-fA-F]{2}$/.test(p))) {
    throw new NetlinkError('RTM_NEWLINK', 22, `not a MAC address: ${mac}`);
  }
  return Buffer.from(parts.map((p) => parseInt(p, 16)));
}

/** MACVLAN_MODE_* bits (linux/if_link.h). */
const MACVLAN_MODES: Readonly<Record<MacvlanMode, number>> = {
  private: 1,
  vepa: 2,
  bridge: 4,
  passthru: 8,
  source: 16,
};

function macvlanModeName(bits: number): MacvlanMode | undefined {
  return (Object.keys(MACVLAN_MODES) as MacvlanMode[]).find((name) => MACVLAN_MODES[name] === bits);
}

export function toLinkDetails(message: LinkMessage): LinkDetails | undefined {
  const info = toInterfaceInfo(message);
  if (!info) return undefined;
  let kind: string | undefined;
  let macvlanMode: MacvlanMode | undefined;
  const linkinfo = message.attrs.get(IFLA_LINKINFO);
  if (linkinfo) {
    const infoAttrs = parseAttributes(linkinfo);
    kind = attributeString(infoAttrs.get(IFLA_INFO_KIND));
    const data = infoAttrs.get(IFLA_INFO_DATA);
    if (kind === 'macvlan' && data) {
      const mode = attributeU32(parseAttributes(data).get(IFLA_MACVLAN_MODE));
      if (mode !== undefined) macvlanMode = macvlanModeName(mode);
    }
  }
  const parentIndex = attributeU32(message.attrs.get(IFLA_LINK));
  return { ...info, kind, parentIndex, macvlanMode };
}

/** Link writes on one rtnetlink socket of its own. Open it in the namespace it should act on. */
export class MacvlanClient {
  private readonly requests = new RtnlRequester();

  /** One link by name, with kind and parent; undefined when there is none. */
  async find(name: string): Promise<LinkDetails | undefined> {
    try {
      const body = encodeLinkBody({}, [stringAttribute(IFLA_IFNAME, name)]);
      const messages = await this.requests.request('RTM_GETLINK', RTM_GETLINK, body, 0);
      for (const message of messages) {
        if (message.type !== RTM_NEWLINK) continue;
        const decoded = decodeLinkBody(message.payload);
        const details = decoded && toLinkDetails(decoded);
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
    const data = u32Attribute(IFLA_MACVLAN_MODE, MACVLAN_MODES[spec.mode]);
    const linkinfo = attribute(
      IFLA_LINKINFO,
      Buffer.concat([stringAttribute(IFLA_INFO_KIND, 'macvlan'), attribute(IFLA_INFO_DATA, data)]),
    );
    const body = encodeLinkBody({}, [
      stringAttribute(IFLA_IFNAME, spec.name),
      u32Attribute(IFLA_LINK, spec.parentIndex),
      attribute(IFLA_ADDRESS, macBytes(spec.mac)),
      linkinfo,
    ]);
    await this.requests.request('RTM_NEWLINK', RTM_NEWLINK, body, NLM_F_CREATE | NLM_F_EXCL);
  }

  /** Creates the l2 ipvlan, administratively down; EEXIST if the name is taken. */
  async createIpvlan(spec: IpvlanSpec): Promise<void> {
    await this.requests.request('RTM_NEWLINK', RTM_NEWLINK, ipvlanRequestBody(spec), NLM_F_CREATE | NLM_F_EXCL);
  }

  async setUp(ifindex: number, up: boolean): Promise<void> {
    const body = encodeLinkBody({ index: ifindex, flags: up ? IFF_UP : 0, change: IFF_UP });
    await this.requests.request('RTM_NEWLINK', RTM_NEWLINK, body, 0);
  }

  /** Deletes a link; one already gone is 'absent'. */
  async delete(ifindex: number): Promise<'removed' | 'absent'> {
    try {
      await this.requests.request('RTM_DELLINK', RTM_DELLINK, encodeLinkBody({ index: ifindex }), 0);
      return 'removed';
    } catch (error) {
      if (hasCode(error, 'ENODEV')) return 'absent';
      throw error;
    }
  }

  close(): void {
    this.requests.close();
  }
}

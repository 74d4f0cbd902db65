// VMACs made for addresses (keepalived's use_vmac on an address, and use_vmac_addr, which sets it on
// every address living elsewhere): a VipSpec with `useVmac` puts its address on a macvlan made on the
// VipSpec's interface with its router's virtual MAC for the address's family, instead of on that
// interface. keepalived 2.2.7 (vrrp.c vrrp_complete_instance, read for behaviour) makes one per
// interface and family and puts every such address of that family there; no advert uses it, it is up
// in every state, and the router tracks its link like that of any interface holding its addresses.

import { isIP } from 'node:net';
import { canonicalAddress } from '../linux/addresses.js';
import { virtualMac, type VmacPlan } from '../linux/vmac.js';
import { ConfigError } from '../model/config-error.js';
import { generatedVmacName } from '../model/vmac-name.js';
import type { LinuxRouterInput, LinuxVipSpec } from '../model/runtime-input.js';
import type { IpFamily } from '../wire/types.js';

export interface AddressVmacs {
  /** Per router (same order as the input): the VMACs made for its addresses. */
  readonly plans: readonly (readonly VmacPlan[])[];
  /** Per router: address -> the VMAC it lives on. */
  readonly placements: readonly Readonly<Record<string, string>>[];
  /** The VipSpecs, those with useVmac naming their VMAC as interface. */
  readonly vips: readonly LinuxVipSpec[];
}

function owns(router: LinuxRouterInput, address: string): boolean {
  return [...router.virtualAddresses, ...(router.excludedAddresses ?? [])].some(
    (text) => typeof text === 'string' && canonicalAddress(text)?.address === address,
  );
}

/**
 * The address VMACs of a whole input. `mainNames[i]` is router i's own VMAC (undefined without
 * useVmac); generated names avoid those and each other. Throws ConfigError naming the VipSpec.
 */
export function planAddressVmacs(
  routers: readonly LinuxRouterInput[],
  vips: readonly LinuxVipSpec[],
  mainNames: readonly (string | undefined)[],
  familyOf: (router: LinuxRouterInput) => IpFamily,
): AddressVmacs {
  const plans = routers.map((): VmacPlan[] => []);
  const placements = routers.map((): Record<string, string> => ({}));
  if (!vips.some((vip) => vip.useVmac !== undefined && vip.useVmac !== false)) return { plans, placements, vips };
  const taken = new Set<string>(mainNames.filter((name): name is string => name !== undefined));
  // The kernel takes one macvlan per MAC on a parent: parent and MAC -> the VMAC that has them.
  const macs = new Map<string, string>();
  routers.forEach((router, i) => {
    const name = mainNames[i];
    if (name !== undefined && typeof router.vrid === 'number')
      macs.set(`${router.interface} ${virtualMac(router.vrid, familyOf(router))}`, name);
  });
  for (const vip of vips) if (typeof vip.useVmac === 'string') taken.add(vip.useVmac);
  const moved = vips.map((vip, index): LinuxVipSpec => {
    const field = `vips[${index}].useVmac`;
    if (vip.useVmac === undefined || vip.useVmac === false) return vip;
    if (vip.useVmac !== true && typeof vip.useVmac !== 'string')
      throw new ConfigError(field, `must be true, false or an interface name, got ${JSON.stringify(vip.useVmac)}`);
    const address = canonicalAddress(vip.address)?.address;
    if (address === undefined) return vip; // LinuxAddressPort names this one
    const holders = routers.map((_, i) => i).filter((i) => owns(routers[i]!, address));
    if (holders.length !== 1) {
      throw new ConfigError(field, `${vip.address} must be an address of exactly one router to live on its VMAC`);
    }
    const at = holders[0]!;
    const router = routers[at]!;
    if (typeof router.vrid !== 'number') return vip; // buildRouterConfig names this one
    const family = isIP(address) as IpFamily;
    if (mainNames[at] !== undefined && vip.interface === router.interface && family === familyOf(router)) {
      throw new ConfigError(field, `${vip.address} already lives on ${router.name}'s VMAC ${mainNames[at]}`);
    }
    let plan = plans[at]!.find((p) => p.parent === vip.interface && p.family === family);
    if (plan !== undefined && typeof vip.useVmac === 'string' && vip.useVmac !== plan.name) {
      throw new ConfigError(field, `${router.name}'s addresses on ${vip.interface} already use the VMAC ${plan.name}`);
    }
    if (plan === undefined) {
      const mac = virtualMac(router.vrid, family);
      const holder = macs.get(`${vip.interface} ${mac}`);
      if (holder !== undefined) {
        // keepalived would put the address on that VMAC; another router's VMAC is not this router's to use.
        throw new ConfigError(
          field,
          `${vip.address} needs a VMAC with ${mac} on ${vip.interface}, and ${holder} already is one (one per MAC and interface)`,
        );
      }
      const name = typeof vip.useVmac === 'string' ? vip.useVmac : generatedVmacName(router.vrid, family, taken);
      taken.add(name);
      plan = {
        router: router.name,
        vrid: router.vrid,
        family,
        parent: vip.interface,
        name,
        mac,
        addressesOnly: true,
      };
      macs.set(`${vip.interface} ${mac}`, name);
      plans[at]!.push(plan);
    }
    placements[at]![address] = plan.name;
    const { useVmac: _useVmac, ...rest } = vip;
    return { ...rest, interface: plan.name };
  });
  return { plans, placements, vips: moved };
}

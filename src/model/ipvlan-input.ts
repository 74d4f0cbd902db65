// keepalived's use_ipvlan as the runtime takes it (LinuxRouterInput.useIpvlan); checked and made by
// src/linux/ipvlan.ts and vmac.ts.

/** The flags of an l2 ipvlan: bridge (none, the default), private or vepa. */
export type IpvlanMode = 'bridge' | 'private' | 'vepa';

export interface IpvlanInput {
  /** The ipvlan's name; left out: named as a VMAC is (vrrp.<vrid>, ...). */
  readonly name?: string;
  /** `ADDRESS[/LEN]`, put on the ipvlan (default length /32 or /128). */
  readonly address?: string;
  readonly mode?: IpvlanMode;
}

// The name of a VMAC made without one (keepalived's use_vmac with no name), as keepalived 2.2.7 picks
// it (vrrp.c create_vmac_name, read for behaviour): `<prefix>.<vrid>`; when another router already has
// that name, `<prefix><n>.<vrid>` with n = 1, 2, ... for IPv4 and n = 6, 1, 2, 3, 4, 5, 7, ... for IPv6
// (so an IPv6 router beside an IPv4 one of the same VRID gets vrrp6.<vrid>). A prefix too long for the
// 15-byte interface name is cut so that the number and `.<vrid>` still fit. The prefix defaults to
// `vrrp` (keepalived's vmac_prefix changes it). Unlike keepalived, host interfaces that happen to hold
// the name are not skipped: the runtime refuses a name held by anything but our own leftover VMAC.

import type { IpFamily } from '../wire/types.js';

/** Linux's IFNAMSIZ less the terminating NUL. */
export const MAX_VMAC_NAME_LENGTH = 15;

export const DEFAULT_VMAC_PREFIX = 'vrrp';

/** `<prefix><number>.<vrid>`, the prefix cut so that the whole fits in 15 bytes. */
function nameWith(prefix: string, number: string, vrid: number): string {
  const tail = `${number}.${vrid}`;
  return `${prefix.slice(0, Math.max(0, MAX_VMAC_NAME_LENGTH - tail.length))}${tail}`;
}

/** The numbers tried after the plain name: IPv6 starts at 6 and skips it later. */
function* numbers(family: IpFamily): Generator<number> {
  if (family === 6) yield 6;
  for (let n = 1; ; n++) if (family === 4 || n !== 6) yield n;
}

/** The first name of the sequence that is not in `taken` (names other routers already have). */
export function generatedVmacName(
  vrid: number,
  family: IpFamily,
  taken: ReadonlySet<string>,
  prefix: string = DEFAULT_VMAC_PREFIX,
): string {
  const plain = nameWith(prefix, '', vrid);
  if (!taken.has(plain)) return plain;
  for (const n of numbers(family)) {
    const name = nameWith(prefix, String(n), vrid);
    if (!taken.has(name)) return name;
  }
  // numbers() never ends; TypeScript wants a return.
  throw new Error('unreachable');
}

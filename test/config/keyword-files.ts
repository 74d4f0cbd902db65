// One small keepalived.conf per row of the keyword table (src/config/keepalived/keywords.ts): the
// keyword, with the value of its `sample` (taken from keepalived.conf(5)'s synopsis), in a file that is
// otherwise the smallest one keepalived 2.2.7 accepts. The keyword tests read them with our reader and
// the verdict test hands them to keepalived -t too.

import { KEYWORDS, type KeywordRow } from '../../src/config/keepalived/keywords.js';

/** What every file needs around the keyword: script security (keepalived -t fails without it), objects to track. */
const GLOBALS = 'enable_script_security\nscript_user root';
const TRACKED = [
  'vrrp_script chk {\nscript "/bin/true"\n}',
  'vrrp_track_file tf {\nfile "/run/vrrp-track"\n}',
  'vrrp_track_process tp {\nprocess sshd\n}',
].join('\n');

function instance(name: string, vrid: number, extra = ''): string {
  return `vrrp_instance ${name} {\ninterface eth0\nvirtual_router_id ${vrid}\nvirtual_ipaddress {\n192.0.2.${vrid}\n}\n${extra}}\n`;
}

/** native_ipv6 after an IPv4 VIP is refused by keepalived: its file is an IPv6 instance with it first. */
function nativeIpv6Instance(row: KeywordRow): string {
  return `vrrp_instance VI_1 {\ninterface eth0\n${line(row)}virtual_router_id 51\nvirtual_ipaddress {\nfe80::51\n2001:db8::51/64\n}\n}\n`;
}

function line(row: KeywordRow): string {
  return `${row.keyword}${row.sample === '' ? '' : ` ${row.sample}`}\n`;
}

/** The whole file for one row. */
export function keywordFile(row: KeywordRow): string {
  const globals = (extra = ''): string => `global_defs {\n${GLOBALS}\n${extra}}\n`;
  switch (row.block) {
    case 'top':
      return `${globals()}${line(row)}${instance('VI_1', 51)}`;
    case 'global_defs':
      return `${globals(line(row))}${instance('VI_1', 51)}`;
    case 'vrrp_instance':
      if (row.keyword === 'native_ipv6') return `${globals()}${nativeIpv6Instance(row)}`;
      return `${globals()}${TRACKED}\n${row.keyword === 'track_bfd' ? 'bfd_instance B1 {\nneighbor_ip 192.0.2.2\n}\n' : ''}${instance('VI_1', 51, line(row))}`;
    case 'authentication':
      return `${globals()}${instance('VI_1', 51, `authentication {\nauth_type PASS\nauth_pass 1111\n${line(row)}}\n`)}`;
    case 'vrrp_sync_group':
      return `${globals()}${TRACKED}\n${row.keyword === 'track_bfd' ? 'bfd_instance B1 {\nneighbor_ip 192.0.2.2\n}\n' : ''}${instance('VI_1', 51)}${instance('VI_2', 52)}vrrp_sync_group G1 {\ngroup {\nVI_1\nVI_2\n}\n${row.keyword === 'group' ? '' : line(row)}}\n`;
    case 'vrrp_script':
      return `${globals()}vrrp_script chk {\n${row.keyword === 'script' ? '' : 'script "/bin/true"\n'}${line(row)}}\n${instance('VI_1', 51, 'track_script {\nchk\n}\n')}`;
    case 'vrrp_track_file':
      return `${globals()}vrrp_track_file tf {\n${row.keyword === 'file' ? '' : 'file "/run/vrrp-track"\n'}${line(row)}}\n${instance('VI_1', 51, 'track_file {\ntf\n}\n')}`;
    case 'vrrp_track_process':
      return `${globals()}vrrp_track_process tp {\n${row.keyword === 'process' ? '' : 'process sshd\n'}${line(row)}}\n${instance('VI_1', 51, 'track_process {\ntp\n}\n')}`;
  }
}

/** A file name that says which row it is. */
export function keywordFileName(row: KeywordRow): string {
  return `${row.block}.${row.keyword}.conf`;
}

/** Files the keyword files name (an include); written beside them. */
export const SUPPORT_FILES: Readonly<Record<string, string>> = { 'empty.inc': '# included by top.include.conf\n' };

export { KEYWORDS };

// The keepalived.conf of the interop tests that put each process alone on its VRID: a global_defs
// with the lines under test and one instance that starts as Backup (advert_int 1, priority 100,
// one VIP 192.0.2.VRID/32).

export function soloConf(
  globals: readonly string[],
  name: string,
  vrid: number,
  extra: readonly string[] = [],
): string {
  return [
    'global_defs {',
    ...globals.map((line) => `  ${line}`),
    '}',
    `vrrp_instance ${name} {`,
    '  state BACKUP',
    '  interface eth0',
    ...extra.map((line) => `  ${line}`),
    `  virtual_router_id ${vrid}`,
    '  priority 100',
    '  advert_int 1',
    '  virtual_ipaddress {',
    `    192.0.2.${vrid}/32`,
    '  }',
    '}',
    '',
  ].join('\n');
}

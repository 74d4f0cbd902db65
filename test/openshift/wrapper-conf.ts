// The keepalived.conf the shipping OpenShift wrapper (lib/config-generators.sh) generates for a set of
// OPENSHIFT_HA_* variables on one node, written from the contract (docs/openshift.md): what a node
// still on the keepalived image runs during a migration. Its defects are kept on purpose (priority 255
// for ipslot 0, `state MASTER` for master candidates, PREEMPTION pasted verbatim, the full config name
// as auth_pass, our own address among the unicast peers), because that is what our pods must meet.
// Written for the tests' IPv4 LANs; expands ranges the way the wrapper does for IPv4.

export interface WrapperNode {
  readonly interface: string;
  readonly address: string;
}

function scrub(name: string): string {
  return name.replace(/[^A-Za-z0-9_-]/g, '').replace(/-/g, '_');
}

/** `a.b.c.d-e` and single addresses, comma separated (the wrapper's expand_ip_ranges, IPv4 only). */
function expandIpv4(list: string): string[] {
  return list
    .split(',')
    .filter((e) => e.trim() !== '')
    .flatMap((entry) => {
      const [start, end] = entry.trim().split('-');
      if (end === undefined) return [start!];
      const octets = start!.split('.');
      const first = Number(octets[3]);
      const last = Number(end.split('.').pop());
      return Array.from({ length: last - first + 1 }, (_, i) => [...octets.slice(0, 3), first + i].join('.'));
    });
}

/** The VIPs of each instance: one per VIP, or VIP_GROUPS groups, the first N % G one larger. */
function groups(vips: readonly string[], count: number | undefined): string[][] {
  if (count === undefined) return vips.map((v) => [v]);
  const g = Math.min(count, vips.length);
  const result: string[][] = [];
  let next = 0;
  for (let i = 0; i < g; i++) {
    const size = Math.floor(vips.length / g) + (i < vips.length % g ? 1 : 0);
    result.push(vips.slice(next, next + size));
    next += size;
  }
  return result;
}

/**
 * The generated file. `random(c)` is the wrapper's `$RANDOM % 32` for instance c (tests pass a fixed
 * value so the backups' order is known).
 */
export function wrapperKeepalivedConf(
  env: Readonly<Record<string, string>>,
  node: WrapperNode,
  random: (c: number) => number = () => 0,
): string {
  const name = env.OPENSHIFT_HA_CONFIG_NAME ?? 'OpenShift-IPFailover';
  const base = scrub(name);
  const check = `chk_${base}`;
  const port = env.OPENSHIFT_HA_MONITOR_PORT ?? '80';
  const interval = env.OPENSHIFT_HA_CHECK_INTERVAL ?? '2';
  const preemption = env.OPENSHIFT_HA_PREEMPTION ?? 'preempt_delay 300';
  const offset = Number(env.OPENSHIFT_HA_VRRP_ID_OFFSET ?? '0');
  const replicas = Number(env.OPENSHIFT_HA_REPLICA_COUNT ?? '2');
  const peers = (env.OPENSHIFT_HA_UNICAST_PEERS ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  const script = env.OPENSHIFT_HA_CHECK_SCRIPT ?? (port === '0' ? 'true' : `</dev/tcp/${node.address}/${port}`);
  const instances = groups(
    expandIpv4(env.OPENSHIFT_HA_VIRTUAL_IPS ?? ''),
    env.OPENSHIFT_HA_VIP_GROUPS ? Number(env.OPENSHIFT_HA_VIP_GROUPS) : undefined,
  );

  const lines = [
    '! Configuration File for keepalived (as the OpenShift ipfailover wrapper writes it)',
    'global_defs {',
    '   notification_email {',
    '   }',
    '   notification_email_from ipfailover@openshift.local',
    '   smtp_server 127.0.0.1',
    '   smtp_connect_timeout 30',
    `   router_id ${base}`,
    '}',
    `vrrp_script ${check} {`,
    `   script "${script}"`,
    `   interval ${interval}`,
    '}',
  ];
  const ipslot = Number(node.address.split('.')[3]) % 128;
  const idx = (ipslot % Math.max(replicas, 1)) + 1;
  let previous = 'none';
  instances.forEach((vips, index) => {
    const c = index + 1;
    let priority = (ipslot % 64) + random(c);
    let master = false;
    if (c % idx === 0) {
      master = true;
      if (previous === 'master') {
        priority = ipslot + 1;
        previous = 'flip-flop';
      } else {
        priority = 255 - ipslot;
        previous = 'master';
      }
    }
    lines.push(`vrrp_instance ${base}_VIP_${c} {`, `   interface ${node.interface}`);
    if (master && preemption !== 'nopreempt') lines.push('   state MASTER');
    lines.push(
      `   virtual_router_id ${offset + c}`,
      `   priority ${priority}`,
      `   ${preemption}`,
      '   authentication {',
      '      auth_type PASS',
      `      auth_pass ${name}`,
      '   }',
      '   track_script {',
      `      ${check}`,
      '   }',
    );
    if (env.OPENSHIFT_HA_NOTIFY_SCRIPT) lines.push(`   notify "${env.OPENSHIFT_HA_NOTIFY_SCRIPT}"`);
    if (peers.length > 0) {
      lines.push(`   unicast_src_ip ${node.address}`, '   unicast_peer {', ...peers.map((p) => `      ${p}`), '   }');
    }
    lines.push('   virtual_ipaddress {', ...vips.map((v) => `      ${v} dev ${node.interface}`), '   }', '}');
  });
  return `${lines.join('\n')}\n`;
}

// A LAN of network namespaces: a bridge in its own namespace, N router namespaces and one client, each
// joined to the bridge by a veth pair whose namespace end is `eth0`. Fixed MACs make the link-local
// addresses (and every Ethernet header) predictable; DAD is off so every address is usable at once.
// Only 192.0.2.0/24, 2001:db8::/64 and link-local addresses are used.

import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import ipaddr from 'ipaddr.js';
import { forgetNamespace, rememberNamespace } from './cleanup.js';

const execFileAsync = promisify(execFile);

export const CLIENT_INDEX = 200;

export interface LanNode {
  /** `r1`, `r2`, ... or `client`. */
  readonly name: string;
  readonly namespace: string;
  /** The bridge-side veth in the bridge namespace (`p1`, `pc`). */
  readonly bridgePort: string;
  readonly interface: 'eth0';
  readonly mac: string;
  readonly ipv4: string;
  readonly ipv6: string;
  readonly linkLocal: string;
}

export function run(command: string, args: readonly string[]): string {
  return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Modified EUI-64 link-local address, as the kernel derives it from the MAC. */
export function linkLocalFromMac(mac: string): string {
  const b = mac.split(':').map((h) => parseInt(h, 16));
  const words = [((b[0]! ^ 0x02) << 8) | b[1]!, (b[2]! << 8) | 0xff, (0xfe << 8) | b[3]!, (b[4]! << 8) | b[5]!];
  // ipaddr.js prints the RFC 5952 form, as ip and tshark do.
  return ipaddr.parse(`fe80::${words.map((w) => w.toString(16)).join(':')}`).toString();
}

function nodeFor(prefix: string, name: string, index: number, port: string): LanNode {
  const mac = `02:00:5e:01:00:${index.toString(16).padStart(2, '0')}`;
  return {
    name,
    namespace: `${prefix}-${name}`,
    bridgePort: port,
    interface: 'eth0',
    mac,
    ipv4: `192.0.2.${index}`,
    ipv6: `2001:db8::${index.toString(16)}`,
    linkLocal: linkLocalFromMac(mac),
  };
}

export class Lan {
  readonly bridgeNamespace: string;
  readonly routers: readonly LanNode[];
  readonly client: LanNode;

  private constructor(
    readonly prefix: string,
    routerCount: number,
  ) {
    this.bridgeNamespace = `${prefix}-br`;
    this.routers = Array.from({ length: routerCount }, (_, i) => nodeFor(prefix, `r${i + 1}`, i + 1, `p${i + 1}`));
    this.client = nodeFor(prefix, 'client', CLIENT_INDEX, 'pc');
  }

  /** Builds the LAN; on any failure removes what it made and rethrows. */
  static create(tag: string, routerCount: number): Lan {
    const lan = new Lan(`vn${tag}${process.pid}`, routerCount);
    try {
      lan.build();
    } catch (error) {
      lan.destroy();
      throw error;
    }
    return lan;
  }

  get nodes(): readonly LanNode[] {
    return [...this.routers, this.client];
  }

  private build(): void {
    const br = this.bridgeNamespace;
    rememberNamespace(br);
    run('ip', ['netns', 'add', br]);
    run('ip', ['-n', br, 'link', 'add', 'br0', 'type', 'bridge']);
    // No multicast snooping: 224.0.0.18 and ff02::12 must reach every port whatever MLD/IGMP says.
    run('ip', ['-n', br, 'link', 'set', 'br0', 'type', 'bridge', 'mcast_snooping', '0']);
    run('ip', ['-n', br, 'link', 'set', 'br0', 'up']);
    for (const node of this.nodes) {
      rememberNamespace(node.namespace);
      run('ip', ['netns', 'add', node.namespace]);
      const inNs = (...args: string[]) => run('ip', ['netns', 'exec', node.namespace, ...args]);
      // DAD off before any address exists, so even the link-local address is never tentative.
      for (const conf of ['all', 'default']) inNs('sysctl', '-qw', `net.ipv6.conf.${conf}.accept_dad=0`);
      run('ip', [
        '-n',
        br,
        'link',
        'add',
        node.bridgePort,
        'type',
        'veth',
        'peer',
        'name',
        'eth0',
        'netns',
        node.namespace,
      ]);
      run('ip', ['-n', br, 'link', 'set', node.bridgePort, 'master', 'br0', 'up']);
      inNs('sysctl', '-qw', 'net.ipv6.conf.eth0.accept_dad=0');
      run('ip', ['-n', node.namespace, 'link', 'set', 'lo', 'up']);
      run('ip', ['-n', node.namespace, 'link', 'set', 'eth0', 'address', node.mac]);
      run('ip', ['-n', node.namespace, 'addr', 'add', `${node.ipv4}/24`, 'dev', 'eth0']);
      run('ip', ['-n', node.namespace, '-6', 'addr', 'add', `${node.ipv6}/64`, 'dev', 'eth0', 'nodad']);
      run('ip', ['-n', node.namespace, 'link', 'set', 'eth0', 'up']);
    }
  }

  /** The node by name (`r1`, `client`). */
  node(name: string): LanNode {
    const found = this.nodes.find((n) => n.name === name);
    if (!found) throw new Error(`no node ${name} on this LAN`);
    return found;
  }

  /** Runs a command in a node's namespace and returns its stdout. */
  exec(node: LanNode, command: string, ...args: string[]): string {
    return run('ip', ['netns', 'exec', node.namespace, command, ...args]);
  }

  async execAsync(node: LanNode, command: string, ...args: string[]): Promise<string> {
    const { stdout } = await execFileAsync('ip', ['netns', 'exec', node.namespace, command, ...args], {
      encoding: 'utf8',
    });
    return stdout;
  }

  /** Router-side link state (`ip link set eth0 up|down` in the router's namespace). */
  setLink(node: LanNode, up: boolean): void {
    run('ip', ['-n', node.namespace, 'link', 'set', 'eth0', up ? 'up' : 'down']);
  }

  /** Removes every namespace of this LAN. Processes must have been stopped first (see Harness). */
  destroy(): void {
    for (const ns of [...this.nodes.map((n) => n.namespace), this.bridgeNamespace]) {
      try {
        run('ip', ['netns', 'del', ns]);
      } catch {
        // Never created, or already gone.
      }
      forgetNamespace(ns);
    }
  }
}

// vrf with keepalived 2.2.7's meaning: no 2.2.7 instance runs in a VRF. Each case was run past
// keepalived 2.2.7 in a namespace (eth0/eth1 veths, 192.0.2.1/24 on eth0):
//   vrf after interface:  -t exit 5, "(VI_1) Cannot specify VRF interface and interface - ignoring";
//   vrf before interface: -t exit 5, "(VI_1) vrf can only be specified without interface - clearing",
//     and `keepalived -n` runs the instance on eth0 all the same (Backup, then Master, VIPs on eth0);
//   no interface (unicast_src_ip, a peer, vrf eth1): "(VI_1) Unknown interface!", and the VRRP process
//     exits "with permanent error CONFIG".
import t from 'tap';
import { parseKeepalivedConfig, KeepalivedConfigError } from '../../src/config/keepalived/index.js';

const UNICAST = 'unicast_src_ip 192.0.2.1\nunicast_peer {\n192.0.2.2\n}\nvirtual_ipaddress {\n192.0.2.51/24\n}';
const file = (body: string) => `vrrp_instance VI_1 {\n${body}\nvirtual_router_id 51\n${UNICAST}\n}\n`;

t.test('vrf in an instance with an interface: ignored, warned, the instance unchanged', async (t) => {
  const plain = parseKeepalivedConfig(file('interface eth0'), 'k.conf');
  for (const [body, line] of [
    ['interface eth0\nvrf blue', 3],
    ['vrf blue\ninterface eth0', 2],
  ] as const) {
    const loaded = parseKeepalivedConfig(file(body), 'k.conf');
    t.same(loaded.input, plain.input, `${body.replace('\n', ' + ')}: the same router as without vrf`);
    t.match(
      loaded.diagnostics.filter((d) => d.line === line),
      [
        {
          severity: 'warning',
          message:
            /^vrf blue is ignored, as keepalived 2\.2\.7 ignores it in an instance with an interface .*: vrrp_instance VI_1 runs on its interface, outside any VRF$/,
        },
      ],
      'one warning at its line',
    );
  }
});

t.test('vrf in an instance without an interface: refused, as keepalived refuses the instance', async (t) => {
  try {
    parseKeepalivedConfig(file('vrf eth1'), 'k.conf');
    t.fail('accepted');
  } catch (error) {
    if (!(error instanceof KeepalivedConfigError)) throw error;
    t.same(
      error.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.line}: ${d.message}`),
      ['1: vrrp_instance VI_1: interface is missing'],
      'the missing interface is the one error (keepalived: "Unknown interface!")',
    );
    t.same(
      error.diagnostics.filter((d) => d.message.startsWith('vrf ')),
      [],
      'no word about vrf: the instance does not run at all',
    );
  }
});

// keepalived.conf -> LinuxEngineInput, field by field, with keepalived 2.2.7's meaning; and every
// refusal and warning names its line.
import t, { type Test } from 'tap';
import { DEFAULT_ANNOUNCE, buildRouterConfig } from '../../src/model/router-config.js';
import {
  KeepalivedConfigError,
  parseKeepalivedConfig,
  type ConfigDiagnostic,
} from '../../src/config/keepalived/index.js';

/** One instance whose body lines start at line 3 of the file (line 2 is `vrrp_instance VI_1 {`). */
function conf(body: string, globals = ''): string {
  return `global_defs {${globals ? `\n${globals}` : ''}\n}\nvrrp_instance VI_1 {\n${body}\n}\n`.replace(
    /^global_defs \{\n\}\n/,
    '\n',
  );
}
const base = 'interface eth0\nvirtual_router_id 51\nvirtual_ipaddress {\n192.0.2.100\n}';

function load(body: string, globals = '') {
  return parseKeepalivedConfig(conf(body, globals), 'k.conf');
}
function router(body: string, globals = '') {
  return load(body, globals).input.routers[0]!;
}
function errorsOf(text: string): ConfigDiagnostic[] {
  try {
    parseKeepalivedConfig(text, 'k.conf');
  } catch (error) {
    if (error instanceof KeepalivedConfigError) return error.diagnostics.filter((d) => d.severity === 'error');
    throw error;
  }
  throw new Error('expected a KeepalivedConfigError');
}
/** Line (1-based) of the first line that is, or starts with the word, `needle`; else that contains it. */
function lineOf(text: string, needle: string): number {
  const lines = text.split('\n').map((l) => l.trim());
  const word = lines.findIndex((l) => l === needle || l.startsWith(`${needle} `));
  return (word === -1 ? lines.findIndex((l) => l.includes(needle)) : word) + 1;
}
function refused(t: Test, body: string, needle: string, message: RegExp, globals = ''): void {
  const text = conf(body, globals);
  const errors = errorsOf(text);
  t.ok(errors.length >= 1, `refused: ${needle}`);
  t.equal(errors[0]!.line, lineOf(text, needle), `at the line of "${needle}"`);
  t.match(errors[0]!.message, message);
}
function warned(t: Test, body: string, needle: string, message: RegExp, globals = ''): void {
  const text = conf(body, globals);
  const warning = parseKeepalivedConfig(text, 'k.conf').diagnostics.find((d) => message.test(d.message));
  t.ok(warning, `warned: ${message}`);
  t.equal(warning?.severity, 'warning');
  t.equal(warning?.line, lineOf(text, needle), `at the line of "${needle}"`);
}

t.test('a minimal instance: keepalived defaults are left to buildRouterConfig', async (t) => {
  const loaded = load(base);
  t.same(loaded.input, {
    routers: [
      {
        name: 'VI_1',
        interface: 'eth0',
        vrid: 51,
        virtualAddresses: ['192.0.2.100'],
        family: 4,
        preempt: true,
        acceptMode: true,
        unicastPeers: [],
        strictAddressList: false,
        announce: {},
      },
    ],
    // keepalived's accept-mode tables, made only if a router runs without accept mode.
    nftables: { table: 'keepalived', priority: -1, counters: false, ifindex: false },
  });
  t.same(loaded.diagnostics, []);
  const config = buildRouterConfig({ ...loaded.input.routers[0]!, primaryAddress: '192.0.2.1' });
  t.equal(config.priority, 100, 'priority default 100');
  t.equal(config.advertIntervalCs, 100, 'advert_int default 1 s');
  t.equal(config.version, 2, 'IPv4 defaults to VRRPv2');
  t.same(config.announce, DEFAULT_ANNOUNCE);
});

t.test('state, priority and preemption', async (t) => {
  t.equal(router(`${base}\nstate BACKUP`).initialState, 'Backup');
  t.equal(router(`${base}\nstate MASTER\npriority 200`).initialState, 'Master');
  t.equal(router(`${base}\npriority 1`).priority, 1);
  t.equal(router(`${base}\nstate MASTER`).priority, 255, 'keepalived: MASTER without a priority is the owner');
  warned(t, `${base}\nstate MASTER`, 'state MASTER', /address owner \(priority 255\)/);
  t.equal(router(`${base}\nnopreempt`).preempt, false);
  t.equal(router(`${base}\npriority 255\nnopreempt`).preempt, true, 'keepalived resets nopreempt at 255');
  t.equal(router(`${base}\npreempt_delay 300`).preemptDelayMs, 300_000);
  t.equal(router(`${base}\npreempt_delay 0.25`).preemptDelayMs, 250);
  warned(
    t,
    `${base}\nstate MASTER\npriority 200\npreempt_delay 300`,
    'state MASTER',
    /clears nopreempt and preempt_delay/,
  );
  refused(t, `${base}\npriority 0`, 'priority 0', /priority must be a whole number from 1 to 255/);
  refused(t, `${base}\npriority high`, 'priority high', /got "high"/);
  refused(t, `${base}\nstate EQUAL`, 'state EQUAL', /MASTER or BACKUP/);
  refused(t, `${base}\npreempt_delay 1001`, 'preempt_delay', /0 to 1000/);
  refused(t, `${base}\nnopreempt\npreempt`, 'preempt', /contradict/);
});

t.test('version and advert_int: seconds for v2, centiseconds for v3', async (t) => {
  t.equal(router(`${base}\nadvert_int 3`).advertIntervalCs, 300);
  const v3 = router(`${base}\nversion 3\nadvert_int 0.05`);
  t.same([v3.version, v3.advertIntervalCs], [3, 5]);
  t.same(router(base, 'vrrp_version 3').version, 3, 'global vrrp_version');
  t.same(router(`${base}\nversion 2`, 'vrrp_version 3').version, 2, 'the instance wins');
  refused(t, `${base}\nadvert_int 1.5`, 'advert_int', /VRRPv2 advertises whole seconds/);
  refused(t, `${base}\nversion 3\nadvert_int 41`, 'advert_int', /0\.01 to 40\.95/);
  refused(t, `${base}\nversion 4`, 'version 4', /from 2 to 3/);
  warned(t, `${base}\nversion 3\nadvert_int 0.123`, 'advert_int', /centiseconds; 0\.12 s is used/);
});

t.test('virtual_ipaddress: prefix, dev, label, preferred_lft; VipSpecs only where needed', async (t) => {
  const loaded = load(
    'interface eth0\nvirtual_router_id 51\nvirtual_ipaddress {\n192.0.2.100/24 dev eth0 label eth0:web\n192.0.2.101\n192.0.2.102/32 scope global\n}',
  );
  t.same(loaded.input.routers[0]!.virtualAddresses, ['192.0.2.100', '192.0.2.101', '192.0.2.102']);
  t.same(loaded.input.vips, [
    { interface: 'eth0', address: '192.0.2.100', prefixLength: 24, label: 'eth0:web' },
    { interface: 'eth0', address: '192.0.2.102', prefixLength: 32 },
  ]);
  const v6 = load(
    'interface eth0\nvirtual_router_id 51\nvirtual_ipaddress {\n2001:DB8::10/64 preferred_lft 0\n2001:db8::11\n}',
  );
  t.same(v6.input.routers[0]!.virtualAddresses, ['2001:db8::10', '2001:db8::11']);
  t.same(v6.input.routers[0]!.family, 6);
  t.same(v6.input.vips, [{ interface: 'eth0', address: '2001:db8::10', prefixLength: 64, preferredLifetime: 0 }]);
  t.match(v6.diagnostics, [
    { severity: 'warning', line: 6, message: /first IPv6 VIP 2001:db8::10 should be a link-local address/ },
  ]);
  t.same(load('interface eth0\nvirtual_router_id 51\nvirtual_ipaddress {\nfe80::1\n2001:db8::11\n}').diagnostics, []);
  const vip = (line: string) => `interface eth0\nvirtual_router_id 51\nvirtual_ipaddress {\n${line}\n}`;
  refused(t, vip('192.0.2.100 label web'), 'label web', /must be "eth0" or "eth0:<suffix>"/);
  refused(t, vip('192.0.2.100/33'), '192.0.2.100/33', /prefix length "33" must be 0\.\.32/);
  refused(t, vip('10.1'), '10.1', /not a dotted-quad/);
  refused(
    t,
    vip('192.0.2.100 192.0.2.101'),
    '192.0.2.100 192.0.2.101',
    /unknown virtual_ipaddress option "192\.0\.2\.101"/,
  );
  refused(
    t,
    vip('192.0.2.100\n2001:db8::1'),
    '2001:db8::1',
    /2001:db8::1 is IPv6, the instance's first VIP is IPv4: .*virtual_ipaddress_excluded/,
  );
  // keepalived 2.2.7 runs its sample keepalived.conf.vrrp, which lists a VIP twice: it adds it once.
  warned(
    t,
    vip('192.0.2.100\n192.0.2.100/32 label eth0:1'),
    '192.0.2.100/32',
    /192\.0\.2\.100 is listed twice in virtual_ipaddress \(first at line \d+\): it is added once with the first line's options/,
  );
  t.same(
    router(vip('192.0.2.100\n192.0.2.100/32 label eth0:1')).virtualAddresses,
    ['192.0.2.100'],
    'and advertised once',
  );
  refused(t, vip('192.0.2.100 preferred_lft 0'), '192.0.2.100', /IPv6 addresses only/);
  warned(t, vip('192.0.2.100/24 brd 192.0.2.255'), 'brd', /brd is not supported yet/);
  warned(t, vip('192.0.2.100 scope host'), 'scope host', /scope host is not supported yet/);
  const noTrack = load(vip('192.0.2.100 no_track'));
  t.same(
    noTrack.input.vips,
    [{ interface: 'eth0', address: '192.0.2.100', noTrack: true }],
    'no_track: a VipSpec that says so',
  );
  t.same(noTrack.diagnostics, [], 'no_track is applied, not warned');
  refused(
    t,
    'interface eth0\nvirtual_router_id 51',
    'vrrp_instance',
    /virtual_ipaddress: at least one virtual address is required/,
  );
});

t.test(
  'virtual_ipaddress_excluded: either family, moved with the VIPs, never in the advert; dev puts an address on another interface',
  async (t) => {
    const loaded = load(
      'interface eth0\nvirtual_router_id 51\nvirtual_ipaddress {\n192.0.2.100\n192.0.2.101/24 dev eth1 label eth1:web\n192.0.2.102 dev eth2 no_track\n}\n' +
        'virtual_ipaddress_excluded {\n2001:DB8::200/64\n192.0.2.200\n198.51.100.7/24 dev eth1 no_track\n}',
    );
    const router = loaded.input.routers[0]!;
    t.same(router.virtualAddresses, ['192.0.2.100', '192.0.2.101', '192.0.2.102']);
    t.same(router.excludedAddresses, ['2001:db8::200', '192.0.2.200', '198.51.100.7']);
    t.same(router.family, 4, "the family is the first VIP's; excluded addresses do not change it");
    t.same(loaded.input.vips, [
      { interface: 'eth1', address: '192.0.2.101', prefixLength: 24, label: 'eth1:web' },
      { interface: 'eth2', address: '192.0.2.102', noTrack: true },
      { interface: 'eth0', address: '2001:db8::200', prefixLength: 64 },
      { interface: 'eth1', address: '198.51.100.7', prefixLength: 24, noTrack: true },
    ]);
    t.notOk('excludedAddresses' in load(base).input.routers[0]!, 'left out when there are none');
    t.same(
      load('interface eth0\nvirtual_router_id 51\nvirtual_ipaddress {\n192.0.2.100 dev eth0\n}').input.vips ?? [],
      [],
      "dev naming the instance's interface is no VipSpec",
    );
    const vip = (line: string) => `interface eth0\nvirtual_router_id 51\nvirtual_ipaddress {\n${line}\n}`;
    refused(
      t,
      vip('192.0.2.100 dev eth1 label eth0:web'),
      'label eth0:web',
      /label "eth0:web" must be "eth1" or "eth1:<suffix>"/,
    );
    refused(
      t,
      `${base}\nvirtual_ipaddress_excluded {\n192.0.2.100/32\n}`,
      '192.0.2.100/32',
      /192\.0\.2\.100 is also a virtual address/,
    );
    refused(
      t,
      `${base}\nvirtual_ipaddress_excluded {\n192.0.2.200 bogus\n}`,
      '192.0.2.200 bogus',
      /unknown virtual_ipaddress option "bogus"/,
    );
  },
);

t.test('source address and unicast peers; our own address is left out of the peers', async (t) => {
  const unicast = router(
    `${base}\nunicast_src_ip 192.0.2.1\nunicast_peer {\n192.0.2.1\n192.0.2.2\n192.0.2.3\n}`,
    'vrrp_check_unicast_src',
  );
  t.same([unicast.primaryAddress, unicast.unicastPeers], ['192.0.2.1', ['192.0.2.2', '192.0.2.3']]);
  warned(
    t,
    `${base}\nunicast_src_ip 192.0.2.1\nunicast_peer {\n192.0.2.1\n192.0.2.2\n}`,
    '192.0.2.1',
    /own unicast_src_ip: left out/,
  );
  warned(
    t,
    `${base}\nunicast_peer {\n192.0.2.2\n}`,
    'unicast_peer',
    /keepalived does so only with vrrp_check_unicast_src/,
  );
  t.equal(router(`${base}\nmcast_src_ip 192.0.2.9`).primaryAddress, '192.0.2.9');
  t.notOk('primaryAddress' in router(base), 'left out: the runtime reads it from the interface');
  refused(t, `${base}\nunicast_peer {\n2001:db8::2\n}`, '2001:db8::2', /unicast_peer\[0\]: 2001:db8::2 is IPv6/);
  refused(
    t,
    'interface eth0\nvirtual_router_id 51\nmcast_src_ip 2001:db8::1\nvirtual_ipaddress {\n2001:db8::10\n}',
    'mcast_src_ip',
    /not link-local/,
  );
});

t.test(
  'unicast_fault_no_peer: carried to the router; without a peer it warns that the router stays in Fault',
  async (t) => {
    const lone = router(`${base}\nunicast_src_ip 192.0.2.1\nunicast_fault_no_peer`);
    t.same([lone.unicastFaultNoPeer, lone.unicastPeers], [true, []], 'flag set, no peer');
    const config = buildRouterConfig({ ...lone, primaryAddress: '192.0.2.1' });
    t.equal(config.unicastFaultNoPeer, true, 'buildRouterConfig keeps it');
    warned(
      t,
      `${base}\nunicast_src_ip 192.0.2.1\nunicast_fault_no_peer`,
      'unicast_fault_no_peer',
      /has no unicast_peer: it stays in Fault \(unicast_fault_no_peer\)/,
    );
    const withPeer = load(`${base}\nunicast_fault_no_peer\nunicast_peer {\n192.0.2.2\n}`, 'vrrp_check_unicast_src');
    t.same(withPeer.input.routers[0]!.unicastPeers, ['192.0.2.2']);
    t.notOk(
      withPeer.diagnostics.some((d) => /stays in Fault/.test(d.message)),
      'with a peer: no Fault warning',
    );
    t.notOk('unicastFaultNoPeer' in router(base), 'left out when not set');
    t.notOk('unicastFaultNoPeer' in buildRouterConfig({ ...router(base), primaryAddress: '192.0.2.1' }));
    refused(t, `${base}\nunicast_fault_no_peer yes`, 'unicast_fault_no_peer', /takes no value/);
  },
);

t.test('authentication: PASS (8 bytes), AH refused', async (t) => {
  t.same(router(`${base}\nauthentication {\nauth_type PASS\nauth_pass 1111\n}`).auth, {
    type: 'pass',
    password: '1111',
  });
  t.same(router(`${base}\nauthentication {\nauth_type PASS\nauth_pass 123456789\n}`).auth, {
    type: 'pass',
    password: '12345678',
  });
  warned(
    t,
    `${base}\nauthentication {\nauth_type PASS\nauth_pass 123456789\n}`,
    'auth_pass',
    /only the first 8 are used/,
  );
  refused(t, `${base}\nauthentication {\nauth_type AH\nauth_pass 1111\n}`, 'auth_type AH', /AH is not supported/);
  refused(t, `${base}\nauthentication {\nauth_type PASS\n}`, 'authentication', /needs an auth_pass/);
  refused(
    t,
    `${base}\nversion 3\nauthentication {\nauth_type PASS\nauth_pass x\n}`,
    'authentication',
    /VRRPv3 has no authentication/,
  );
});

t.test(
  'strict mode and accept mode: accept mode off as keepalived computes it (the runtime enforces it)',
  async (t) => {
    const strict = router(`${base}\naccept`, 'vrrp_strict\nvrrp_version 3');
    t.same([strict.strictAddressList, strict.acceptMode], [true, true]);
    const perInstance = router(`${base}\nstrict_mode on\naccept\nversion 3`);
    t.same([perInstance.strictAddressList, perInstance.acceptMode], [true, true]);
    t.equal(router(`${base}\nstrict_mode off`, 'vrrp_strict').strictAddressList, false, 'the instance may turn it off');
    t.equal(router(`${base}\naccept`).acceptMode, true);
    t.equal(router(base, 'vrrp_strict').acceptMode, false, 'strict mode without accept: accept mode off');
    refused(t, `${base}\naccept`, 'accept', /VRRPv2 whatever the instance says/, 'vrrp_strict');
    t.equal(router(`${base}\nno_accept`).acceptMode, false, 'no_accept');
    // keepalived 2.2.7 -t accepts unicast peers under vrrp_strict.
    t.same(router(`${base}\naccept\nversion 3\nunicast_peer {\n192.0.2.2\n}`, 'vrrp_strict').unicastPeers, [
      '192.0.2.2',
    ]);
  },
);

t.test('GARP settings: global defaults, instance overrides, lower-priority fallback', async (t) => {
  const r = router(
    `${base}\ngarp_master_repeat 2\ngarp_lower_prio_repeat 1`,
    'vrrp_garp_master_delay 10\nvrrp_garp_master_repeat 3\nvrrp_garp_master_refresh 60\nvrrp_garp_master_refresh_repeat 2',
  );
  t.same(r.announce, {
    secondBurstDelayMs: 10_000,
    repeat: 2,
    refreshIntervalMs: 60_000,
    refreshRepeat: 2,
    lowerPriorityRepeat: 1,
    lowerPrioritySecondBurstDelayMs: 10_000,
  });
  t.same(router(base, 'vrrp_garp_master_repeat 4').announce, { repeat: 4, lowerPriorityRepeat: 4 });
  // keepalived -d: the fallback is global; an instance's own garp_master_repeat leaves it alone.
  t.same(router(`${base}\ngarp_master_repeat 2`, 'vrrp_garp_master_repeat 3').announce, {
    repeat: 2,
    lowerPriorityRepeat: 3,
  });
  t.same(router(`${base}\ngarp_master_repeat 2`).announce, { repeat: 2 });
  t.same(router(base, 'vrrp_garp_lower_prio_delay 2\nvrrp_garp_lower_prio_repeat 0').announce, {
    lowerPrioritySecondBurstDelayMs: 2000,
    lowerPriorityRepeat: 0,
  });
  refused(t, base, 'garp_master_delay', /unknown keyword "garp_master_delay" in global_defs/, 'garp_master_delay 5');
});

t.test('use_vmac: true or the interface name; labels then name the VMAC', async (t) => {
  t.equal(router(`${base}\nuse_vmac`).useVmac, true);
  t.equal(router(`${base}\nuse_vmac vrrp-web`).useVmac, 'vrrp-web');
  const labelled = load(
    'interface eth0\nvirtual_router_id 51\nuse_vmac\nvirtual_ipaddress {\n192.0.2.100/24 label vrrp.51:a\n}',
  );
  t.same(labelled.input.vips, [{ interface: 'eth0', address: '192.0.2.100', prefixLength: 24, label: 'vrrp.51:a' }]);
  refused(t, `${base}\nuse_vmac averyveryverylongname`, 'use_vmac', /longer than 15/);
  // vmac_xmit_base, vmac_prefix and generated names: test/config/keepalived-vmac.test.ts.
  t.equal(router(`${base}\nuse_vmac\nvmac_xmit_base`).vmacXmitBase, true);
});

t.test('tracking, notify and scripts are parsed and checked for the health plan, never dropped silently', async (t) => {
  const text = `global_defs {\nenable_script_security\nscript_user nobody nogroup\nrouter_id r1\n}\nvrrp_script chk {\nscript "/usr/bin/check --fast"\ninterval 2\nweight -10 reverse\nfall 2\nrise 3\n}\nvrrp_instance VI_1 {\n${base}\ntrack_script {\nchk weight 5\n}\ntrack_interface {\neth1\n}\nnotify_master "/bin/m.sh arg"\nnotify /bin/n.sh\n}\n`;
  const loaded = parseKeepalivedConfig(text, 'k.conf');
  t.same(loaded.globals, {
    routerId: 'r1',
    scriptUser: 'nobody nogroup',
    enableScriptSecurity: true,
    naming: { usePidDir: false },
    dataUseInstance: false,
  });
  const messages = loaded.diagnostics.map((d) => `${d.line}: ${d.message}`);
  t.strictSame(messages, [], 'everything here runs (src/health): nothing to warn about');
  t.match(loaded.pending.scripts, [
    {
      name: 'chk',
      script: '"/usr/bin/check --fast"',
      command: ['/usr/bin/check', '--fast'],
      interval: 2,
      weight: -10,
      weightReverse: true,
      fall: 2,
      rise: 3,
      initFail: false,
    },
  ]);
  t.same(loaded.pending.instances.get('VI_1'), {
    trackScripts: [{ name: 'chk', weight: 5 }],
    trackInterfaces: [{ name: 'eth1' }],
    trackFiles: [],
    trackProcesses: [],
    notify: { notify_master: ['/bin/m.sh', 'arg'], notify: ['/bin/n.sh'] },
  });
  refused(t, `${base}\ntrack_script {\nnope\n}`, 'nope', /no vrrp_script of that name/);
  refused(t, `${base}\ntrack_interface {\neth1 weight 300\n}`, 'eth1', /-253 to 253/);
  const noScript = errorsOf(`vrrp_script chk {\ninterval 2\n}\nvrrp_instance VI_1 {\n${base}\n}`);
  t.match(noScript[0], { line: 1, message: /has no script/ });
  const group = parseKeepalivedConfig(
    `vrrp_sync_group G {\ngroup {\nVI_1\n}\n}\nvrrp_instance VI_1 {\n${base}\n}`,
    'k.conf',
  );
  t.match(group.diagnostics[0], { line: 1, message: /vrrp_sync_group G has only one instance \(VI_1\)/ });
  t.match(group.pending.syncGroups, [{ name: 'G', instances: ['VI_1'] }]);
  t.match(errorsOf(`vrrp_sync_group G {\ngroup {\nVI_9\n}\n}\nvrrp_instance VI_1 {\n${base}\n}`)[0], {
    line: 3,
    message: /no vrrp_instance VI_9/,
  });
});

t.test('global_defs: accepted and ignored, refused', async (t) => {
  warned(
    t,
    base,
    'notification_email',
    /notification_email is accepted and has no effect: vrrp-engine sends no mail/,
    'notification_email {\nroot@localhost\n}',
  );
  warned(t, base, 'smtp_server', /accepted and has no effect/, 'smtp_server 127.0.0.1');
  warned(
    t,
    base,
    'vrrp_iptables',
    /vrrp_iptables: keepalived 2\.2\.7 as Debian builds it has no iptables and uses nftables instead/,
    'vrrp_iptables',
  );
  refused(
    t,
    base,
    'vrrp_nftables',
    /unknown keyword "vrrp_nftables" in global_defs \(did you mean "nftables"\?\)/,
    'vrrp_nftables',
  );
  refused(
    t,
    base,
    'net_namespace',
    /unknown keyword "net_namespace" in global_defs \(it is a keyword of the top level\)/,
    'net_namespace blue',
  );
  t.same(
    load(base, 'vrrp_mcast_group4 224.0.0.18\nvrrp_mcast_group6 FF02::12').diagnostics,
    [],
    'the standard groups are fine',
  );
  refused(
    t,
    base,
    'vrrp_mcast_group4',
    /only the standard group 224\.0\.0\.18 is supported for now/,
    'vrrp_mcast_group4 224.0.0.19',
  );
  refused(t, base, 'vrrp_mcast_group6', /only the standard group ff02::12/, 'vrrp_mcast_group6 ff02::13');
  refused(t, base, 'vrrp_bogus', /unknown keyword "vrrp_bogus" in global_defs/, 'vrrp_bogus 1');
});

t.test('whole-file checks: names, VRIDs, unknown blocks, all errors in one run', async (t) => {
  const instance = (name: string, vrid: number, address = '192.0.2.1') =>
    `vrrp_instance ${name} {\ninterface eth0\nvirtual_router_id ${vrid}\nvirtual_ipaddress {\n${address}\n}\n}\n`;
  t.match(errorsOf(instance('A', 1) + instance('A', 2)), [
    { line: 8, message: /defined twice \(first at k\.conf:1\)/ },
  ]);
  t.match(errorsOf(instance('A', 1) + instance('B', 1)), [
    { line: 10, message: /virtual_router_id 1 on eth0 \(IPv4\) is already used by vrrp_instance A/ },
  ]);
  t.same(
    parseKeepalivedConfig(instance('A', 1) + instance('B', 1, '2001:db8::1'), 'k.conf').input.routers.length,
    2,
    'one VRID per family',
  );
  t.match(errorsOf('global_defs {\n}\n'), [{ line: 1, message: /no vrrp_instance/ }]);
  t.match(errorsOf(`bogus_block {\n}\n${instance('A', 1)}`), [{ line: 1, message: /unknown keyword "bogus_block"/ }]);
  const ignored = parseKeepalivedConfig(`virtual_server 192.0.2.1 80 {\nlb_algo rr\n}\n${instance('A', 1)}`, 'k.conf');
  t.match(ignored.diagnostics, [
    { severity: 'warning', line: 1, message: /virtual_server is accepted and has no effect: LVS/ },
  ]);
  const many = errorsOf(
    `vrrp_instance A {\ninterface eth0\nvirtual_router_id 300\npriorty 1\nvirtual_ipaddress {\n1.2.3\n}\n}\n`,
  );
  t.same(
    many.map((d) => d.line),
    [3, 4, 6],
    'every error, each at its line',
  );
  refused(
    t,
    `${base}\ntrack_bfd {\nB1\n}`,
    'track_bfd',
    /track_bfd is not supported: BFD is not part of vrrp-engine: track the peer with a track_script/,
  );
  refused(
    t,
    `${base}\npriorty 10`,
    'priorty',
    /unknown keyword "priorty" in vrrp_instance VI_1 \(did you mean "priority"\?\)/,
  );
  refused(t, `${base}\nwhatever 1`, 'whatever', /unknown keyword "whatever" in vrrp_instance VI_1/);
  warned(t, `${base}\npriority 10\npriority 20`, 'priority 20', /set again \(first at line \d+\)/);
  t.equal(router(`${base}\npriority 10\npriority 20`).priority, 20, 'the last one wins');
  t.same(
    router(`${base}\nvirtual_ipaddress {\n192.0.2.101\n}`).virtualAddresses,
    ['192.0.2.100', '192.0.2.101'],
    'a second block adds to the first',
  );
});

t.test(
  'VRRP process scheduling: vrrp_rt_priority, vrrp_priority, vrrp_cpu_affinity, vrrp_rlimit_rttime, vrrp_no_swap',
  async (t) => {
    t.equal(load(base).input.scheduling, undefined, 'none set: the process is left as started');
    const all = load(
      base,
      'vrrp_rt_priority 50\nvrrp_priority -10\nvrrp_cpu_affinity 1 0 1\nvrrp_rlimit_rttime 200000',
    );
    t.match(all.input.scheduling, { realtimePriority: 50, nice: -10, cpuAffinity: [1, 0], realtimeLimitUs: 200000 });
    t.equal(all.input.scheduling?.names?.realtimePriority, 'vrrp_rt_priority', 'errors at start name the keyword');
    t.notOk(
      all.diagnostics.some((d) => /vrrp_(rt_)?priority|cpu_affinity|rlimit/.test(d.message)),
      'implemented: no "ignored" warning',
    );
    const noSwap = load(base, 'vrrp_no_swap');
    t.match(noSwap.input.scheduling, { lockMemory: true }, 'vrrp_no_swap locks the advert path');
    t.equal(noSwap.input.scheduling?.names?.lockMemory, 'vrrp_no_swap', 'a refusal at start names the keyword');
    t.same(noSwap.diagnostics, [], 'vrrp_no_swap: no warning');
    t.equal(
      load(base, 'vrrp_rlimit_rttime 1').input.scheduling?.realtimeLimitUs,
      2,
      '1 µs is taken as 2, as keepalived (its soft limit is half)',
    );
    const old = load(base, 'vrrp_rlimit_rtime 30000');
    t.equal(old.input.scheduling?.realtimeLimitUs, 30000, 'the deprecated spelling still works');
    warned(t, base, 'vrrp_rlimit_rtime', /deprecated.*vrrp_rlimit_rttime/, 'vrrp_rlimit_rtime 30000');
    refused(
      t,
      base,
      'vrrp_rt_priority',
      /vrrp_rt_priority must be a whole number from 1 to 99, got "100"/,
      'vrrp_rt_priority 100',
    );
    refused(t, base, 'vrrp_rt_priority', /from 1 to 99, got "0"/, 'vrrp_rt_priority 0');
    refused(
      t,
      base,
      'vrrp_priority',
      /vrrp_priority must be a whole number from -20 to 19, got "-21"/,
      'vrrp_priority -21',
    );
    // keepalived 2.2.7 -t takes `vrrp_no_swap yes` too (exit 0): a value after it is not checked.
    warned(t, base, 'vrrp_no_swap', /vrrp_no_swap takes no value; ignored/, 'vrrp_no_swap yes');
    t.match(load(base, 'vrrp_no_swap yes').input.scheduling, { lockMemory: true }, 'and it still locks');
    refused(t, base, 'vrrp_cpu_affinity', /needs at least one CPU/, 'vrrp_cpu_affinity');
    refused(t, base, 'vrrp_cpu_affinity', /from 0 to 1023, got "x"/, 'vrrp_cpu_affinity 0 x');
    refused(t, base, 'vrrp_rlimit_rttime', /from 1 to 4294967295, got "-5"/, 'vrrp_rlimit_rttime -5');
    // max_auto_priority as keepalived 2.2.7's handler reads it (global_parser.c).
    const auto = load(base, 'max_auto_priority 7\nmin_auto_priority_delay 250000');
    t.match(auto.input.scheduling, { maxAutoPriority: 7, autoPriorityDelayUs: 250000 });
    t.equal(auto.input.scheduling?.names?.maxAutoPriority, 'max_auto_priority');
    t.equal(load(base, 'max_auto_priority').input.scheduling?.maxAutoPriority, 99, 'no value: the highest, 99');
    for (const off of ['0', '-1'])
      t.equal(
        load(base, `max_auto_priority 5\nmax_auto_priority ${off}`).input.scheduling?.maxAutoPriority,
        undefined,
        `max_auto_priority ${off}: off (the last line wins)`,
      );
    refused(t, base, 'max_auto_priority', /from -1 to 99, got "100"/, 'max_auto_priority 100');
    refused(t, base, 'min_auto_priority_delay', /from 1 to 10000000, got "0"/, 'min_auto_priority_delay 0');
    refused(t, base, 'min_auto_priority_delay', /min_auto_priority_delay/, 'min_auto_priority_delay');
    warned(
      t,
      base,
      'checker_rt_priority',
      /accepted and has no effect: tunes keepalived's checker/,
      'checker_rt_priority 50',
    );
  },
);

t.test('notify FIFOs: notify_fifo, vrrp_notify_fifo, their scripts, fifo_write_vrrp_states_on_reload', async (t) => {
  const loaded = load(
    base,
    [
      'vrrp_notify_fifo /run/vrrp.fifo',
      'vrrp_notify_fifo_script "/usr/local/bin/read-fifo --verbose" nobody',
      'notify_fifo /run/all.fifo keepalived_script users',
      'fifo_write_vrrp_states_on_reload',
    ].join('\n'),
  );
  t.same(loaded.globals.notifyFifos, [
    { path: '/run/all.fifo', owner: { user: 'keepalived_script', group: 'users' } },
    { path: '/run/vrrp.fifo', script: ['/usr/local/bin/read-fifo', '--verbose'], scriptUser: 'nobody' },
  ]);
  t.equal(loaded.globals.fifoStatesOnReload, true);
  t.same(loaded.diagnostics, [], 'implemented: no warning');
  warned(
    t,
    base,
    'notify_fifo_script',
    /notify_fifo_script is not run: there is no notify_fifo/,
    'notify_fifo_script /bin/reader',
  );
  refused(
    t,
    base,
    'vrrp_notify_fifo',
    /notify_fifo and vrrp_notify_fifo must name different FIFOs/,
    'notify_fifo /run/x.fifo\nvrrp_notify_fifo /run/x.fifo',
  );
  refused(t, base, 'notify_fifo', /the FIFO path must be absolute/, 'notify_fifo x.fifo');
});

t.test('vmac_prefix: a generated VMAC is named <prefix>.<vrid>, as keepalived 2.2.7 names it', async (t) => {
  // keepalived 2.2.7 with vmac_prefix vx and use_vmac on VRID 51 makes the link vx.51 (checked in a namespace).
  t.equal(router(`${base}\nuse_vmac`, 'vmac_prefix vx').useVmac, 'vx.51');
  t.equal(router(`${base}\nuse_vmac own0`, 'vmac_prefix vx').useVmac, 'own0', 'a name given to use_vmac wins');
  t.equal(router(`${base}\nuse_vmac`).useVmac, true, "without it: the runtime's vrrp.<vrid>");
  const labelled = load(
    'interface eth0\nvirtual_router_id 51\nuse_vmac\nvirtual_ipaddress {\n192.0.2.100/24 label vx.51:a\n}',
    'vmac_prefix vx',
  );
  t.same(
    labelled.input.vips,
    [{ interface: 'eth0', address: '192.0.2.100', prefixLength: 24, label: 'vx.51:a' }],
    'labels name the prefixed VMAC',
  );
  t.equal(
    router(`${base}\nuse_vmac`, 'vmac_prefix averyverylongone').useVmac,
    'averyverylon.51',
    'a long prefix is cut to fit 15 bytes, as keepalived 2.2.7 does',
  );
});

t.test(
  'virtual_ipaddress options keepalived 2.2.7 -t accepts and vrrp-engine does not apply yet: warned',
  async (t) => {
    // keepalived -t exits 0 on these three lines (checked by hand beside the keyword table's verdict test).
    const body =
      'interface eth0\nvirtual_router_id 51\nvirtual_ipaddress {\n192.0.2.100 peer 192.0.2.200\n192.0.2.101/24 dev eth0 use_vmac\n}\nvirtual_ipaddress_excluded {\n2001:db8::5/64 mngtmpaddr\n}';
    warned(t, body, '192.0.2.100 peer', /peer 192\.0\.2\.200 is not supported yet/);
    // use_vmac on an address is implemented (test/config/keepalived-vmac.test.ts): a VMAC on eth0 holds it.
    t.same(
      load(body).input.vips?.find((v) => v.address === '192.0.2.101'),
      { interface: 'eth0', address: '192.0.2.101', prefixLength: 24, useVmac: 'vrrp.51' },
    );
    warned(t, body, '2001:db8::5/64', /mngtmpaddr is not supported yet/);
    t.same(router(body).virtualAddresses, ['192.0.2.100', '192.0.2.101']);
  },
);

t.test('vrrp_min_garp: one message and no second burst, as keepalived -d shows it', async (t) => {
  // keepalived 2.2.7 -d with vrrp_min_garp: delay 0, repeat 1, lower priority delay 0, repeat 1 (default 5, 5, 5, 5).
  t.same(router(base, 'vrrp_min_garp').announce, {
    repeat: 1,
    secondBurstDelayMs: 0,
    lowerPriorityRepeat: 1,
    lowerPrioritySecondBurstDelayMs: 0,
  });
  t.same(router(base, 'vrrp_min_garp false').announce, {}, 'false: nothing changes');
  t.same(
    router(base, 'vrrp_min_garp\nvrrp_garp_master_repeat 3').announce,
    { repeat: 3, secondBurstDelayMs: 0, lowerPriorityRepeat: 1, lowerPrioritySecondBurstDelayMs: 0 },
    'a later vrrp_garp_* line wins',
  );
  const config = buildRouterConfig({ ...router(base, 'vrrp_min_garp'), primaryAddress: '192.0.2.1' });
  t.match(config.announce, { repeat: 1, secondBurstDelayMs: 0 }, 'buildRouterConfig takes it');
});

t.test('lower_prio_no_advert, higher_prio_send_advert, down_timer_adverts and their vrrp_ globals', async (t) => {
  t.notOk('lowerPriorityNoAdvert' in router(base), 'left out: off, as keepalived');
  t.notOk('higherPrioritySendAdvert' in router(base), "left out: buildRouterConfig's default");
  t.notOk('downTimerAdverts' in router(base), 'left out: the RFC 3');
  t.equal(router(`${base}\nlower_prio_no_advert`).lowerPriorityNoAdvert, true, 'a flag: on');
  t.notOk('lowerPriorityNoAdvert' in router(`${base}\nlower_prio_no_advert false`), 'off written');
  t.equal(router(`${base}\nhigher_prio_send_advert off`).higherPrioritySendAdvert, false);
  t.equal(router(`${base}\nhigher_prio_send_advert`).higherPrioritySendAdvert, true);
  t.equal(router(`${base}\ndown_timer_adverts 5`).downTimerAdverts, 5);
  t.notOk('downTimerAdverts' in router(`${base}\ndown_timer_adverts 3`), '3 is the default');
  refused(t, `${base}\ndown_timer_adverts 101`, 'down_timer_adverts', /from 1 to 100/);
  refused(t, `${base}\ndown_timer_adverts 0`, 'down_timer_adverts', /from 1 to 100/);
  refused(t, `${base}\nlower_prio_no_advert maybe`, 'lower_prio_no_advert', /on\/off/);

  const globals = 'vrrp_lower_prio_no_advert\nvrrp_higher_prio_send_advert false\nvrrp_down_timer_adverts 7';
  const fromGlobals = router(base, globals);
  t.equal(fromGlobals.lowerPriorityNoAdvert, true, 'the global is the default');
  t.equal(fromGlobals.higherPrioritySendAdvert, false);
  t.equal(fromGlobals.downTimerAdverts, 7);
  const own = router(`${base}\nlower_prio_no_advert off\nhigher_prio_send_advert on\ndown_timer_adverts 2`, globals);
  t.notOk('lowerPriorityNoAdvert' in own, "the instance's own value wins");
  t.equal(own.higherPrioritySendAdvert, true);
  t.equal(own.downTimerAdverts, 2);

  // keepalived 2.2.7 strict mode: no advert on a lower priority, none on a higher one, the RFC's 3 adverts.
  const strict = router(base, 'vrrp_strict');
  t.equal(strict.lowerPriorityNoAdvert, true, 'strict mode: lower_prio_no_advert on');
  t.equal(strict.higherPrioritySendAdvert, false, 'strict mode: higher_prio_send_advert off');
  refused(t, `${base}\nlower_prio_no_advert off`, 'lower_prio_no_advert', /strict mode/, 'vrrp_strict');
  refused(t, `${base}\nhigher_prio_send_advert`, 'higher_prio_send_advert', /strict mode/, 'vrrp_strict');
  warned(t, `${base}\ndown_timer_adverts 5`, 'down_timer_adverts', /strict mode: 3 is used/, 'vrrp_strict');
  t.notOk('downTimerAdverts' in router(`${base}\ndown_timer_adverts 5`, 'vrrp_strict'), 'put back to 3');
  const built = buildRouterConfig({
    ...router(`${base}\ndown_timer_adverts 5\nlower_prio_no_advert`),
    primaryAddress: '192.0.2.1',
  });
  t.equal(built.downTimerAdverts, 5, 'buildRouterConfig keeps it');
  t.equal(built.lowerPriorityNoAdvert, true);
});

t.test('vrrp_startup_delay: every instance waits, in ms; 0 and words refused as keepalived -t does', async (t) => {
  t.notOk('startupDelayMs' in router(base), 'left out: no delay');
  t.equal(router(base, 'vrrp_startup_delay 5.5').startupDelayMs, 5500);
  refused(t, base, 'vrrp_startup_delay', /vrrp_startup_delay must be a number of seconds/, 'vrrp_startup_delay 0');
  refused(t, base, 'vrrp_startup_delay', /vrrp_startup_delay must be a number of seconds/, 'vrrp_startup_delay soon');
  const built = buildRouterConfig({ ...router(base, 'vrrp_startup_delay 2'), primaryAddress: '192.0.2.1' });
  t.equal(built.startupDelayMs, 2000, 'buildRouterConfig keeps it');
});

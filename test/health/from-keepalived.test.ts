// keepalived.conf -> HealthPlan: what each keyword becomes, with keepalived's defaults and weights.
import t from 'tap';
import { parseKeepalivedConfig, type KeepalivedConfigError } from '../../src/config/keepalived/index.js';
import { healthPlanFromKeepalived } from '../../src/config/keepalived/health-plan.js';
import { checkHealthPlan } from '../../src/health/validate.js';

const instance = (name: string, vrid: number, body = '') =>
  `vrrp_instance ${name} {\ninterface eth0\nvirtual_router_id ${vrid}\npriority 100\nvirtual_ipaddress {\n192.0.2.${vrid}\n}\n${body}\n}\n`;

function planOf(text: string) {
  const loaded = parseKeepalivedConfig(text, 'k.conf');
  const plan = healthPlanFromKeepalived(loaded);
  checkHealthPlan(
    plan,
    loaded.input.routers.map((r) => r.name),
  );
  return { plan, loaded };
}

t.test('vrrp_script with its defaults; the track entry weight overrides; untracked scripts are not run', async (t) => {
  const { plan, loaded } = planOf(
    `global_defs {\nenable_script_security\nscript_user nobody nogroup\n}\n` +
      `vrrp_script chk {\nscript "/bin/sh -c 'exit 0'"\ninterval 2\nweight -10 reverse\nfall 2\nrise 3\ninit_fail\nuser daemon\n}\n` +
      `vrrp_script unused {\nscript /bin/true\n}\n` +
      instance('VI_1', 1, 'track_script {\nchk weight 5\n}') +
      instance('VI_2', 2, 'track_script {\nchk\n}'),
  );
  t.strictSame(loaded.diagnostics, []);
  t.strictSame(plan.checks, [
    {
      kind: 'script',
      name: 'chk',
      command: ['/bin/sh', '-c', 'exit 0'],
      intervalMs: 2000,
      timeoutMs: 2000,
      rise: 3,
      fall: 2,
      initFail: true,
      user: 'daemon',
    },
  ]);
  t.strictSame(plan.tracks, [
    { router: 'VI_1', check: 'chk', weight: 5 },
    { router: 'VI_2', check: 'chk', weight: -10, reverse: true },
  ]);
  t.strictSame(plan.scriptSecurity, { enabled: true, defaultUser: 'nobody', defaultGroup: 'nogroup' });
});

t.test('track_interface (default weight 0), vrrp_track_file and vrrp_track_process', async (t) => {
  const { plan, loaded } = planOf(
    `vrrp_track_file tf {\nfile /run/prio\nweight -2 reverse\ninit_file 7 overwrite\n}\n` +
      `vrrp_track_process tp {\nprocess /usr/sbin/haproxy -f /etc/h.cfg\nparam_match initial\nquorum 2\nquorum_max 4\ndelay 1.5\nweight 30\n}\n` +
      instance(
        'VI_1',
        1,
        'track_interface {\neth1\neth2 weight -20\n}\ntrack_file {\ntf\n}\ntrack_process {\ntp weight 10 reverse\n}',
      ),
  );
  t.strictSame(loaded.diagnostics, []);
  t.strictSame(plan.checks, [
    { kind: 'interface', name: 'interface:eth1', interface: 'eth1' },
    { kind: 'interface', name: 'interface:eth2', interface: 'eth2' },
    { kind: 'file', name: 'track_file:tf', path: '/run/prio', initValue: 7, initOverwrite: true },
    {
      kind: 'process',
      name: 'track_process:tp',
      process: '/usr/sbin/haproxy',
      parameters: ['-f', '/etc/h.cfg'],
      paramMatch: 'initial',
      quorum: 2,
      quorumMax: 4,
      delayMs: 1500,
      forkDelayMs: 1500,
    },
  ]);
  t.strictSame(plan.tracks, [
    { router: 'VI_1', check: 'interface:eth1', weight: 0 },
    { router: 'VI_1', check: 'interface:eth2', weight: -20 },
    { router: 'VI_1', check: 'track_file:tf', weight: -2, reverse: true },
    { router: 'VI_1', check: 'track_process:tp', weight: 10, reverse: true },
  ]);
});

t.test('vrrp_track_process: fork_delay alone, terminate_delay alone, and delay for both', async (t) => {
  const processCheck = (lines: string) =>
    planOf(`vrrp_track_process tp {\nprocess app\n${lines}\n}\n${instance('VI_1', 1, 'track_process {\ntp\n}')}`).plan
      .checks[0];
  t.match(processCheck('fork_delay 0.25'), { forkDelayMs: 250 });
  t.notOk('delayMs' in processCheck('fork_delay 0.25')!, 'fork_delay leaves terminate_delay alone');
  t.match(processCheck('terminate_delay 2'), { delayMs: 2000 });
  t.notOk('forkDelayMs' in processCheck('terminate_delay 2')!, 'and the other way round');
  t.match(processCheck('delay 3\nfork_delay 0.000001'), { delayMs: 3000, forkDelayMs: 1 }, 'a later line wins');
  t.throws(
    () => planOf(`vrrp_track_process tp {\nprocess app\nfork_delay 0\n}\n${instance('VI_1', 1)}`),
    { message: /fork_delay must be a number of seconds from 0\.000001 to 3600, got "0"/ },
    'keepalived: 0.000001 to 3600 s',
  );
});

t.test('notify commands are argument vectors; a user after a quoted command is warned about', async (t) => {
  const { plan, loaded } = planOf(
    instance(
      'VI_1',
      1,
      `notify_master "/bin/m.sh 'a b'"\nnotify_backup "/bin/b.sh" root\nnotify /bin/n.sh x\nnotify_priority_changes`,
    ),
  );
  t.strictSame(plan.notify, [
    {
      router: 'VI_1',
      master: ['/bin/m.sh', 'a b'],
      backup: ['/bin/b.sh'],
      notify: ['/bin/n.sh', 'x'],
      priorityChanges: true,
    },
  ]);
  t.match(
    loaded.diagnostics.map((d) => d.message),
    [/notify_backup: a user after the command is not supported/],
  );
});

t.test('vrrp_sync_group: members, notify, and tracking that faults the whole group unless weighted', async (t) => {
  const base =
    `vrrp_script chk {\nscript /bin/true\nweight 20\n}\n` +
    instance('VI_1', 1, 'track_script {\nchk weight 5\n}') +
    instance('VI_2', 2);
  const { plan } = planOf(
    `${base}vrrp_sync_group G {\ngroup {\nVI_1\nVI_2\n}\nnotify_master /bin/g.sh\ntrack_script {\nchk\n}\n}\n`,
  );
  t.strictSame(plan.syncGroups, [{ name: 'G', routers: ['VI_1', 'VI_2'], notify: { master: ['/bin/g.sh'] } }]);
  t.strictSame(
    plan.tracks,
    [
      { router: 'VI_1', check: 'chk', weight: 0 },
      { router: 'VI_2', check: 'chk', weight: 0 },
    ],
    'in a sync group every tracked object only faults (keepalived ignores the weights)',
  );
  const weighted = planOf(
    `${base}vrrp_sync_group G {\ngroup {\nVI_1\nVI_2\n}\nsync_group_tracking_weight\ntrack_script {\nchk\n}\n}\n`,
  ).plan;
  t.strictSame(
    weighted.tracks,
    [
      { router: 'VI_1', check: 'chk', weight: 5 },
      { router: 'VI_2', check: 'chk', weight: 20 },
    ],
    "sync_group_tracking_weight: weights apply; the instance's own entry wins",
  );
  // keepalived 2.2.7's handler for the deprecated global_tracking sets sgroup_tracking_weight and says so.
  const deprecated = planOf(
    `${base}vrrp_sync_group G {\ngroup {\nVI_1\nVI_2\n}\nglobal_tracking\ntrack_script {\nchk\n}\n}\n`,
  );
  t.strictSame(deprecated.plan.tracks, weighted.tracks, 'global_tracking: the same as sync_group_tracking_weight');
  t.match(
    deprecated.loaded.diagnostics.filter((d) => d.line === 30).map((d) => `${d.severity}: ${d.message}`),
    [/^warning: \(G\) global_tracking is deprecated .*track_interface\/script\/file on the sync group/],
  );
});

t.test(
  "an address owner's tracked objects only fault; script_user defaults to keepalived_script when it exists",
  async (t) => {
    const loaded = parseKeepalivedConfig(
      `vrrp_script chk {\nscript /bin/true\nweight -20\n}\n` +
        instance('VI_1', 1, 'track_script {\nchk\n}').replace('priority 100', 'priority 255'),
      'k.conf',
    );
    const dir = await (await import('node:fs/promises')).mkdtemp('/tmp/vrrp-passwd-');
    t.teardown(() => import('node:fs/promises').then((fs) => fs.rm(dir, { recursive: true })));
    const passwd = `${dir}/passwd`;
    await (await import('node:fs/promises')).writeFile(
      passwd,
      'root:x:0:0::/root:/bin/sh\nkeepalived_script:x:998:998::/:/bin/false\n',
    );
    const plan = healthPlanFromKeepalived(loaded, { passwd });
    t.strictSame(plan.tracks, [{ router: 'VI_1', check: 'chk', weight: 0 }]);
    t.strictSame(plan.scriptSecurity, { enabled: false, defaultUser: 'keepalived_script' });
    t.strictSame(healthPlanFromKeepalived(loaded, { passwd: `${dir}/none` }).scriptSecurity, { enabled: false });
  },
);

t.test('mistakes come out with file and line', async (t) => {
  const errorsOf = (text: string) => {
    try {
      parseKeepalivedConfig(text, 'k.conf');
    } catch (error) {
      return (error as KeepalivedConfigError).diagnostics.filter((d) => d.severity === 'error');
    }
    return [];
  };
  t.match(errorsOf(`vrrp_script c {\nscript "/bin/sh -c 'x"\n}\n${instance('VI_1', 1)}`), [
    { line: 2, message: /unbalanced '/ },
  ]);
  t.match(errorsOf(instance('VI_1', 1, 'track_file {\nnope\n}')), [
    { line: 9, message: /no vrrp_track_file of that name/ },
  ]);
  t.match(errorsOf(`vrrp_track_process p {\nquorum 2\n}\n${instance('VI_1', 1)}`), [
    { line: 1, message: /has no process/ },
  ]);
  t.match(errorsOf(`vrrp_track_file f {\nfile /x\nweight 300\n}\n${instance('VI_1', 1)}`), [
    { line: 3, message: /-254 to 254/ },
  ]);
});

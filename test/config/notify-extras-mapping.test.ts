// keepalived.conf -> HealthPlan for startup_script / shutdown_script (+ timeouts),
// notify_master_rx_lower_pri, notify_deleted, notify_priority_changes (instance, sync group) and
// vrrp_notify_priority_changes, with keepalived 2.2.7's defaults and errors; and the same settings in
// bin/vrrp-engine's JSON health section, checked field by field.
import t from 'tap';
import { KeepalivedConfigError, parseKeepalivedConfig } from '../../src/config/keepalived/index.js';
import { healthPlanFromKeepalived } from '../../src/config/keepalived/health-plan.js';
import { readHealthPlan } from '../../src/health/validate.js';
import { ConfigError } from '../../src/model/config-error.js';

const instance = (name: string, vrid: number, body = '') =>
  `vrrp_instance ${name} {\ninterface eth0\nvirtual_router_id ${vrid}\npriority 100\nvirtual_ipaddress {\n192.0.2.${vrid}\n}\n${body}\n}\n`;
const globals = (body: string) => `global_defs {\nenable_script_security\nscript_user root\n${body}\n}\n`;

function planOf(text: string) {
  const loaded = parseKeepalivedConfig(text, 'k.conf');
  return { plan: healthPlanFromKeepalived(loaded), loaded };
}

/** The error messages a file gets (it must be refused). */
function errorsOf(text: string): string[] {
  try {
    parseKeepalivedConfig(text, 'k.conf');
  } catch (error) {
    if (error instanceof KeepalivedConfigError) return error.diagnostics.map((d) => d.message);
    throw error;
  }
  return [];
}

t.test('startup_script / shutdown_script: COMMAND [USER [GROUP]], 10 s unless a timeout is given', async (t) => {
  const { plan, loaded } = planOf(
    globals(
      'startup_script "/usr/local/bin/up.sh \'a b\' c"\nshutdown_script /usr/local/bin/down.sh nobody nogroup\nshutdown_script_timeout 30',
    ) + instance('VI_1', 1),
  );
  t.strictSame(loaded.diagnostics, []);
  t.strictSame(plan.startupScript, { command: ['/usr/local/bin/up.sh', 'a b', 'c'], timeoutMs: 10_000 });
  t.strictSame(plan.shutdownScript, {
    command: ['/usr/local/bin/down.sh'],
    user: 'nobody',
    group: 'nogroup',
    timeoutMs: 30_000,
  });
  const unguarded = planOf(`global_defs {\nshutdown_script /bin/true\n}\n${instance('VI_1', 1)}`).loaded;
  t.match(
    unguarded.diagnostics.map((d) => `${d.severity}: ${d.message}`),
    [/^warning: startup_script \/ shutdown_script without enable_script_security/],
    'without enable_script_security: warned, as keepalived reports it',
  );
  const none = planOf(globals('') + instance('VI_1', 1)).plan;
  t.equal(none.startupScript, undefined);
  t.equal(none.shutdownScript, undefined);
});

t.test('start/stop scripts: what keepalived -t refuses is refused', async (t) => {
  const cases: Record<string, RegExp> = {
    startup_script: /startup script missing/,
    'startup_script /bin/true\nstartup_script /bin/false': /startup script already specified/,
    'shutdown_script_timeout 0': /shutdown_script_timeout/,
    'startup_script_timeout 1001': /startup_script_timeout/,
    'startup_script_timeout abc': /startup_script_timeout/,
    'shutdown_script /bin/a u g extra': /takes a command, then optionally a user and a group/,
    'vrrp_notify_priority_changes maybe': /vrrp_notify_priority_changes/,
  };
  for (const [body, expected] of Object.entries(cases))
    t.match(errorsOf(globals(body) + instance('VI_1', 1)), [expected], body.replace('\n', ' / '));
});

t.test('notify_master_rx_lower_pri and notify_deleted: commands as argument vectors', async (t) => {
  const { plan, loaded } = planOf(
    globals('') +
      instance('VI_1', 1, 'notify_master_rx_lower_pri "/bin/lower.sh x"\nnotify_deleted "/bin/gone.sh y"') +
      instance('VI_2', 2, 'notify_deleted\nnotify /bin/n.sh') +
      instance('VI_3', 3),
  );
  t.strictSame(loaded.diagnostics, []);
  t.strictSame(plan.notify, [
    { router: 'VI_1', masterRxLowerPri: ['/bin/lower.sh', 'x'], notifyDeleted: true, deleted: ['/bin/gone.sh', 'y'] },
    { router: 'VI_2', notify: ['/bin/n.sh'], notifyDeleted: true },
  ]);
  t.ok(
    errorsOf(instance('VI_1', 1, 'notify_deleted\nnotify_deleted')).includes('notify_deleted already specified'),
    'a second notify_deleted is an error, as keepalived -t says',
  );
  t.match(errorsOf(instance('VI_1', 1, 'notify_master_rx_lower_pri')), [/needs a command/]);
});

t.test('notify_priority_changes: the instance, else its sync group, else vrrp_notify_priority_changes', async (t) => {
  const group = (body: string) => `vrrp_sync_group G1 {\ngroup {\nVI_2\nVI_3\n}\n${body}\n}\n`;
  const changes = (text: string) =>
    Object.fromEntries(planOf(text).plan.notify.map((spec) => [spec.router, spec.priorityChanges ?? false]));
  const three = (one: string, two: string) => instance('VI_1', 1, one) + instance('VI_2', 2, two) + instance('VI_3', 3);
  t.strictSame(changes(globals('') + three('notify_priority_changes', '')), { VI_1: true }, 'the instance alone');
  t.strictSame(
    changes(globals('') + three('', '') + group('notify_priority_changes')),
    { VI_2: true, VI_3: true },
    "the group's members",
  );
  t.strictSame(
    changes(globals('vrrp_notify_priority_changes') + three('', 'notify_priority_changes false') + group('')),
    { VI_1: true, VI_3: true },
    'the global default; an instance says false',
  );
  t.strictSame(
    changes(
      globals('vrrp_notify_priority_changes on') +
        three('', 'notify_priority_changes') +
        group('notify_priority_changes no'),
    ),
    { VI_1: true, VI_2: true },
    "the instance's own beats its group's, the group's beats the global one",
  );
  t.match(errorsOf(instance('VI_1', 1, 'notify_priority_changes sometimes')), [
    /notify_priority_changes takes on\/off/,
  ]);
});

t.test('the JSON health section: the same settings, each field checked', async (t) => {
  const plan = readHealthPlan(
    {
      notify: [
        {
          router: 'VI_1',
          masterRxLowerPri: ['/bin/lower.sh'],
          notifyDeleted: true,
          deleted: ['/bin/gone.sh'],
          priorityChanges: true,
        },
      ],
      startupScript: { command: ['/bin/up.sh', 'x'] },
      shutdownScript: { command: ['/bin/down.sh'], timeoutMs: 30_000, user: 'nobody', group: 'nogroup' },
    },
    ['VI_1'],
  );
  t.strictSame(plan.notify[0], {
    router: 'VI_1',
    masterRxLowerPri: ['/bin/lower.sh'],
    notifyDeleted: true,
    deleted: ['/bin/gone.sh'],
    priorityChanges: true,
  });
  t.strictSame(plan.startupScript, { command: ['/bin/up.sh', 'x'], timeoutMs: 10_000 });
  t.strictSame(plan.shutdownScript, { command: ['/bin/down.sh'], timeoutMs: 30_000, user: 'nobody', group: 'nogroup' });
  const refused: [unknown, RegExp][] = [
    [
      { notify: [{ router: 'VI_1', deleted: ['/bin/x'] }] },
      /health\.notify\[0\]\.deleted: runs only with notifyDeleted/,
    ],
    [{ notify: [{ router: 'VI_1', priorityChanges: 'yes' }] }, /priorityChanges: must be true or false/],
    [{ notify: [{ router: 'VI_1', masterRxLowerPri: [] }] }, /masterRxLowerPri: must hold the program/],
    [
      { startupScript: { command: ['/bin/x'], timeoutMs: 500 } },
      /startupScript\.timeoutMs: must be a whole number from 1000/,
    ],
    [{ shutdownScript: { command: ['/bin/x'], group: 'g' } }, /shutdownScript\.group: needs a user/],
    [{ shutdownScript: { command: ['/bin/x'], shell: true } }, /shutdownScript\.shell/],
  ];
  for (const [health, expected] of refused) {
    t.throws(() => readHealthPlan(health, ['VI_1']), expected, JSON.stringify(health));
    t.throws(() => readHealthPlan(health, ['VI_1']), ConfigError);
  }
});

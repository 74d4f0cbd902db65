// bin/ipfailover: the main process of OpenShift's IP failover pod, in place of keepalived and its bash
// wrapper. Reads OPENSHIFT_HA_* (env.ts), logs the effective configuration, runs the routers
// (startLinuxEngine), the check and notify script (startHealth), the firewall rule and the status
// listener. A bad variable: one line on stderr naming it, exit 2, nothing on the host changed.
// SIGTERM / SIGINT: priority-0 adverts from Masters, VIPs removed, STOP notifies run, firewall rule
// removed, exit 0. The process title starts with "keepalived" so the image's liveness probe
// (`pgrep keepalived`) keeps working.

import { accessSync, constants, statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError, quoteValue } from '../model/config-error.js';
import { startHealth, type HealthHandle } from '../health/index.js';
import { errorFields, type RuntimeLogger } from '../model/logger.js';
import { RtNetlinkClient } from '../linux/netlink.js';
import { startLinuxEngine, type LinuxEngineHandle } from '../daemon/runtime.js';
import { checkInput } from '../daemon/check-input.js';
import { startOrphanReaper } from '../linux/orphan-reaper.js';
import { checkHealthPlan } from '../health/validate.js';
import { createLogger, isLogLevel, LOG_LEVELS, type LogLevel } from './logger.js';
import { capabilityProblem } from './capabilities.js';
import { Program } from './program.js';
import { StopSignals } from './stop-signals.js';
import { describePlan, planSummary } from '../openshift/describe.js';
import { exitOnEarlyStopSignals } from '../openshift/early-stop.js';
import { readOpenShiftEnv, type OpenShiftPlan } from '../openshift/env.js';
import { addVrrpRule, checkFirewallOptions, type FirewallOptions, type FirewallRules } from '../openshift/firewall.js';
import { createEngineMetrics, type EngineMetrics } from '../metrics/engine-metrics.js';
import { readNodeNetwork } from '../openshift/node-network.js';
import { RANDOM_PRIORITY_SPAN } from '../openshift/priority.js';
import { DEFAULT_STATUS_LIMITS, startStatusServer, type StatusServer } from '../openshift/status-http.js';
import { errorCode } from '../errors.js';

/** /proc/PID/comm keeps the first 15 bytes: "keepalived ipfa", which `pgrep keepalived` matches. */
export const PROCESS_TITLE = 'keepalived ipfailover (vrrp-engine)';

const HELP = `usage: ipfailover [--dry-run] [--log-level ${LOG_LEVELS.join('|')}]

The OpenShift IP failover pod's main process (replaces keepalived and its wrapper), configured only by
OPENSHIFT_HA_* environment variables; see docs/openshift.md for every one of them.

  --dry-run       check the variables as a start would and print the effective configuration
                  (each instance: router id, VIPs, priority, preemption, peers, checks, real-time
                  priority, warnings such as a misspelt OPENSHIFT_HA_* name) and exit 0, or the
                  first error and exit 2; reads the node's interfaces, changes nothing
  --log-level L   ${LOG_LEVELS.join(', ')} (default info, or OPENSHIFT_HA_LOG_LEVEL)
  --version       the version
  --help          this text

exit status: 0 stopped by SIGTERM / SIGINT (or --dry-run passed), 1 could not run (no CAP_NET_RAW /
CAP_NET_ADMIN, ...), 2 bad variable or usage`;

const program: Program = new Program('ipfailover', HELP);

function fail(code: 1 | 2, message: string): never {
  program.say(message);
  return process.exit(code);
}

interface Options {
  readonly dryRun: boolean;
  readonly logLevel: LogLevel;
}

function parseCommandLine(argv: readonly string[]): Options {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        'dry-run': { type: 'boolean' },
        'log-level': { type: 'string' },
        version: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    program.usage((error as Error).message);
  }
  if (values.help === true) program.printHelp();
  if (values.version === true) program.printVersion();
  const level = values['log-level'] ?? process.env.OPENSHIFT_HA_LOG_LEVEL ?? 'info';
  if (!isLogLevel(level)) fail(2, `log level must be one of ${LOG_LEVELS.join(', ')}, got ${quoteValue(level)}`);
  return { dryRun: values['dry-run'] === true, logLevel: level };
}

/** Why a check or notify script cannot run, read from the file system (not the network). */
export function scriptProblem(path: string): string | undefined {
  try {
    if (!statSync(path).isFile()) return 'is not a file';
    accessSync(path, constants.X_OK);
    return undefined;
  } catch (error) {
    const code = errorCode(error);
    return code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'is not executable' : `cannot be read (${code})`;
  }
}

async function readPlan(): Promise<OpenShiftPlan> {
  const client = new RtNetlinkClient();
  let node;
  try {
    node = await readNodeNetwork(client);
  } catch (error) {
    fail(1, `cannot read the node's interfaces: ${(error as Error).message}`);
  } finally {
    client.close();
  }
  try {
    return readOpenShiftEnv(process.env, {
      node,
      random: () => Math.floor(Math.random() * RANDOM_PRIORITY_SPAN),
      scriptProblem,
    });
  } catch (error) {
    if (error instanceof ConfigError) fail(2, error.message);
    throw error;
  }
}

/** The firewall rule's values from the plan, each with the variable it came from (for the error that refuses one). */
function firewallValues(plan: OpenShiftPlan, chain: string): Omit<FirewallOptions, 'logger'> {
  return {
    chain,
    families: new Set(plan.instances.map((i) => i.family)),
    ...(plan.firewallBackend ? { backend: plan.firewallBackend } : {}),
    comment: `ipfailover ${plan.configName}`,
    sources: { chain: 'OPENSHIFT_HA_IPTABLES_CHAIN', comment: 'OPENSHIFT_HA_CONFIG_NAME' },
  };
}

/**
 * What startLinuxEngine and startHealth check before they touch the host, run here too so that a
 * --dry-run that passes means the start will not refuse the plan.
 */
function checkAsAStartWould(plan: OpenShiftPlan): void {
  try {
    checkInput({ routers: plan.routers, ...(plan.scheduling ? { scheduling: plan.scheduling } : {}) });
    checkHealthPlan(
      plan.health,
      plan.routers.map((router) => router.name),
    );
  } catch (error) {
    if (error instanceof ConfigError) fail(2, `configuration error: ${error.message}`);
    throw error;
  }
}

interface Running {
  engine?: LinuxEngineHandle;
  health?: HealthHandle;
  firewall?: FirewallRules;
  metrics?: EngineMetrics;
  status?: StatusServer;
}

async function main(): Promise<void> {
  process.title = PROCESS_TITLE;
  const releaseEarlyStop = exitOnEarlyStopSignals();
  const options = parseCommandLine(process.argv.slice(2));
  const plan = await readPlan();
  checkFirewallValues(plan);
  checkAsAStartWould(plan);
  if (options.dryRun) {
    process.stdout.write(describePlan(plan));
    process.exit(0);
  }
  // Before the firewall rule, the sockets and the first VIP clean-up: without them nothing starts.
  const missing = capabilityProblem();
  if (missing !== undefined) fail(1, `cannot start: ${missing}`);
  const logger = createLogger(options.logLevel, { name: 'ipfailover' });
  logger.info(
    { event: 'configuration', ...planSummary(plan) },
    `OpenShift IP failover "${plan.configName}": ${plan.instances.length} instance(s) on ${plan.interface}`,
  );
  for (const warning of plan.warnings) logger.warn({ event: 'configWarning' }, warning);
  // As a container's PID 1 the orphans of check and notify scripts are ours to reap.
  startOrphanReaper({ logger });

  const running: Running = {};
  const signals = new StopSignals({
    logger,
    stop: async (code) => {
      const clean = await stopAll(running, logger);
      process.exit(clean ? code : 1);
    },
    exitNow: (code) => process.exit(code),
  });
  releaseEarlyStop();
  const engine = await startEngine(plan, running, logger);
  await startStatus(plan, running, logger);
  signals.started();
  if (signals.isStopping) return;
  // From here a stop follows its signal at once: its priority-0 adverts may leave from the signal.
  engine.armStopAdverts(true);
  const health = running.health;
  process.on('SIGUSR2', () => {
    logger.info(
      { event: 'status', routers: engine.snapshot(), counters: engine.counters(), checks: health?.status() ?? [] },
      'status',
    );
  });
}

/** A value the firewall cannot take is a bad variable: exit 2 before anything on the host changes. */
function checkFirewallValues(plan: OpenShiftPlan): void {
  if (plan.iptablesChain === undefined) return;
  try {
    checkFirewallOptions(firewallValues(plan, plan.iptablesChain));
  } catch (error) {
    if (error instanceof ConfigError) fail(2, error.message);
    throw error;
  }
}

/** Stops what runs, in order; false if a step failed (each failure is logged and the rest still run). */
async function stopAll(running: Running, logger: RuntimeLogger): Promise<boolean> {
  let clean = true;
  const step = async (operation: string, action: (() => Promise<void>) | undefined) => {
    if (!action) return;
    try {
      await action();
    } catch (error) {
      clean = false;
      logger.error(
        { event: 'error', operation, error: errorFields(error) },
        `${operation} failed: ${(error as Error).message}`,
      );
    }
  };
  const { status, engine, health, firewall } = running;
  // The engine first: priority-0 adverts and VIPs removed; its stateChange to Initialize queues the
  // STOP notifies, which health.stop() waits for.
  await step('stopEngine', engine && (() => engine.stop()));
  await step('stopStatus', status && (() => status.close()));
  await step('stopHealth', health && (() => health.stop()));
  running.metrics?.close();
  await step('removeFirewallRule', firewall && (() => firewall.remove()));
  return clean;
}

/** The start failed for a reason other than the configuration: logged, then said on stderr by fail(1). */
function startFailed(error: unknown, logger: RuntimeLogger): string {
  const message = `cannot start: ${(error as Error).message}`;
  logger.error({ event: 'error', operation: 'start', error: errorFields(error) }, message);
  return message;
}

async function startEngine(plan: OpenShiftPlan, running: Running, logger: RuntimeLogger): Promise<LinuxEngineHandle> {
  try {
    running.engine = await startLinuxEngine(
      { routers: plan.routers, logger, ...(plan.scheduling ? { scheduling: plan.scheduling } : {}) },
      {
        // Before the engine starts: the notify script hears the state each instance starts in (BACKUP,
        // as keepalived runs it), and the firewall lets the peers' adverts in before we listen for them.
        beforeStart: async (started) => {
          running.health = startHealth(plan.health, { engine: started.engine, links: started.links, logger });
          running.metrics = createEngineMetrics(started.engine, { health: running.health, conflicts: started });
          if (plan.iptablesChain !== undefined) {
            running.firewall = await addVrrpRule({ ...firewallValues(plan, plan.iptablesChain), logger });
          }
        },
      },
    );
    return running.engine;
  } catch (error) {
    // The set-up is undone by startLinuxEngine; what beforeStart began (checks, a rule) is undone here.
    await stopAll(running, logger);
    if (error instanceof ConfigError) fail(2, `configuration error: ${error.message}`);
    return fail(1, startFailed(error, logger));
  }
}

async function startStatus(plan: OpenShiftPlan, running: Running, logger: RuntimeLogger): Promise<void> {
  if (plan.status === undefined) return;
  const engine = running.engine!.engine; // startEngine resolved
  const metrics = running.metrics!; // set by beforeStart, which ran if startLinuxEngine resolved
  try {
    running.status = await startStatusServer(
      { snapshot: () => engine.snapshot(), metrics: () => metrics.bytes() },
      {
        port: plan.status.port,
        address: plan.status.address,
        onError: (error) =>
          logger.error(
            { event: 'error', operation: 'statusServer', error: errorFields(error) },
            `status listener: ${error.message}`,
          ),
        onRefused: (count) =>
          logger.warn(
            { event: 'statusListener', action: 'refused', count },
            `status listener: ${count} connection(s) refused over the limit of ${DEFAULT_STATUS_LIMITS.maxConnections}`,
          ),
      },
    );
  } catch (error) {
    // Undo what did start (VIPs, firewall rule) before giving up.
    const message = startFailed(error, logger);
    await stopAll(running, logger);
    fail(1, message);
  }
  logger.info(
    { event: 'statusListener', address: plan.status.address, port: running.status!.port },
    `status on http://${plan.status.address}:${running.status!.port}/ (healthz, readyz, metrics)`,
  );
}

program.run(main);

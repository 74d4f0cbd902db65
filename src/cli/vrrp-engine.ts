// vrrp-engine: runs VRRP routers on this Linux host from a JSON configuration (the input of
// startLinuxEngine). Logs one JSON object per line on stdout; a configuration mistake is one line on
// stderr and exit status 2, before anything on the host is touched; --check stops there.

import { parseArgs } from 'node:util';
import { ConfigError } from '../model/config-error.js';
import { startHealth, type HealthHandle } from '../health/index.js';
import { errorFields } from '../model/logger.js';
import { startLinuxEngine, type LinuxEngineHandle } from '../daemon/runtime.js';
import { capabilityProblem } from './capabilities.js';
import { readJsonConfig, type JsonConfig } from './json-config.js';
import { type ListenAddress, METRICS_LISTEN_ENV, metricsListenFrom, startMetricsListener } from './metrics-listener.js';
import { createLogger, isLogLevel, LOG_LEVELS, type LogLevel } from './logger.js';
import { EXIT_STATUS, Program } from './program.js';
import { StopSignals } from './stop-signals.js';
import { StartStopScripts } from '../health/start-stop-script.js';

const HELP = `usage: vrrp-engine --config FILE.json [--check] [--log-level ${LOG_LEVELS.join('|')}]

Runs VRRP (v2 / v3, IPv4 / IPv6) virtual routers on this host: raw sockets for the adverts, netlink
for the virtual addresses, gratuitous ARP / unsolicited NA when taking over. Needs CAP_NET_RAW and
CAP_NET_ADMIN (or root).

FILE.json:
  {"routers": [{"name": "VI_1", "interface": "eth0", "vrid": 51, "priority": 150,
                "virtualAddresses": ["192.0.2.100"], ...}],
   "vips": [{"interface": "eth0", "address": "192.0.2.100", "prefixLength": 24, "label": "eth0:vip"}],
   "health": {"checks": [{"kind": "tcp", "name": "web", "host": "127.0.0.1", "port": 80, "intervalMs": 2000}],
              "tracks": [{"router": "VI_1", "check": "web", "weight": -50}]}}
  Router fields are those of the library's RouterConfigInput (docs/embedding.md); primaryAddress may be
  left out: the interface's primary IPv4 address, or its IPv6 link-local address, is used.
  "health" (optional) is a HealthPlan: checks, tracks, notify commands, sync groups (docs/health.md).
  "scheduling" (optional): the main thread's scheduling, applied before the routers start
  (docs/operations.md, Real-time scheduling): {"realtimePriority": 1..99 (SCHED_RR, needs CAP_SYS_NICE),
  "realtimeLimitUs": RLIMIT_RTTIME µs (default 200000), "nice": -20..19 (below 0 needs CAP_SYS_NICE),
  "cpuAffinity": [0, 1], "lockMemory": true (vrrp_no_swap for the advert path, needs CAP_IPC_LOCK),
  "maxAutoPriority": 1..99 (raise to SCHED_RR one step per late timer, up to this; needs CAP_SYS_NICE),
  "autoPriorityDelayUs": how late, µs (default 1000000)}; a refusal at start is a configuration error (exit 2).
  "announceSpacing" (optional): least gap between gratuitous ARPs / NAs on an interface, shared by
  every router there (keepalived vrrp_garp_interval, vrrp_gna_interval, garp_group; docs/operations.md):
  {"arpIntervalMs": 50, "naIntervalMs": 50, "groups": [{"interfaces": ["eth1"], "arpIntervalMs": 10}]}.
  "disableLocalIgmp" (optional): true sets net.ipv4.igmp_link_local_mcast_reports to 0 while running
  (keepalived disable_local_igmp).
  "linkDelays" (optional): per interface, how long a link change must hold before its routers move
  (keepalived interface_up_down_delays; docs/operations.md): {"eth0": {"downMs": 500, "upMs": 0}}.
  "polledLinks" (optional): interfaces whose link state is read once a second instead of followed by
  rtnetlink, each with how (keepalived linkbeat; docs/operations.md): {"eth0": "auto"} ("mii",
  "ethtool", "ioctl" or "auto").

options:
  --config FILE     the configuration (required)
  --check           check the configuration as a start would (every check that needs no network:
                    unknown keys, each router, the VRIDs and VIPs, scheduling, health), print
                    "FILE: configuration is usable" and exit 0, or the first error and exit 2;
                    changes nothing
  --log-level L     ${LOG_LEVELS.join(', ')} (default info; trace adds every advert sent and received)
  --metrics ADDR:PORT  serve /metrics (Prometheus; keepalived-exporter's names and ours) on ADDR:PORT
                    (":2112", "127.0.0.1:2112", "[::1]:2112", "2112"; ${METRICS_LISTEN_ENV} says the same);
                    off unless asked
  --version         the version
  --help            this text

Logs: JSON lines on stdout, each with an "event" field (started, stateChange, vipsAdded, vipsRemoved,
vipsAnnounced, dropped, notice, error, stopped, ...). SIGTERM / SIGINT: graceful stop (priority-0
advert from a Master, VIPs removed), exit 0; a second signal during the stop exits at once with 1.
SIGUSR2: one "status" line with every router's state and the packet counters.

exit status: 0 stopped by a signal (or --check passed), 1 could not run (no CAP_NET_RAW /
CAP_NET_ADMIN, ...), 2 bad usage or configuration`;

const program: Program = new Program('vrrp-engine', HELP);

interface CliOptions {
  readonly configPath: string;
  readonly check: boolean;
  readonly logLevel: LogLevel;
  readonly metrics: ListenAddress | undefined;
}

function parseCommandLine(argv: readonly string[]): CliOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        config: { type: 'string' },
        check: { type: 'boolean' },
        'log-level': { type: 'string' },
        metrics: { type: 'string' },
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
  if (values.config === undefined) program.usage('--config FILE.json is required');
  const level = values['log-level'] ?? 'info';
  if (!isLogLevel(level))
    program.usage(`--log-level must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(level)}`);
  const metrics = metricsListenFrom(values.metrics, process.env);
  if (typeof metrics === 'string') program.usage(`--metrics / ${METRICS_LISTEN_ENV}: ${metrics}`);
  return { configPath: values.config, check: values.check === true, logLevel: level, metrics };
}

async function main(): Promise<void> {
  process.title = 'vrrp-engine';
  const options = parseCommandLine(process.argv.slice(2));
  let config: JsonConfig;
  try {
    config = readJsonConfig(options.configPath);
  } catch (error) {
    if (error instanceof ConfigError) program.configError(error.message);
    throw error;
  }
  if (options.check) {
    process.stdout.write(`${options.configPath}: configuration is usable\n`);
    process.exit(EXIT_STATUS.ok);
  }
  const { engine: engineInput, health: plan } = config;
  const missing = capabilityProblem();
  if (missing !== undefined) program.cannotStart(missing);
  const logger = createLogger(options.logLevel);

  let handle: LinuxEngineHandle | undefined;
  let health: HealthHandle | undefined;
  const startStop = new StartStopScripts();
  const signals = new StopSignals({
    logger,
    stop: async (code) => {
      try {
        await handle?.stop();
        // After the engine's stop: its STOP state changes run notify_stop, which this waits for.
        await health?.stop();
        await startStop.shutdown(logger);
      } catch (error) {
        logger.error({ event: 'error', operation: 'stop', error: errorFields(error) }, 'stop failed');
        code = 1;
      }
      process.exit(code);
    },
    exitNow: (code) => process.exit(code),
  });

  // health.startupScript: the routers start once it has ended (or was killed at its timeout).
  startStop.configure(plan);
  await startStop.startup(logger);
  try {
    // Health starts before the engine, so notify scripts see the startup transitions and a check failing
    // from the start (init_fail) is what its router starts with.
    handle = await startLinuxEngine(
      { ...engineInput, logger },
      {
        beforeStart: (started) => {
          if (plan !== undefined) health = startHealth(plan, { engine: started.engine, links: started.links, logger });
        },
      },
    );
  } catch (error) {
    if (error instanceof ConfigError) program.configError(error.message);
    logger.error(
      { event: 'error', operation: 'start', error: errorFields(error) },
      `cannot start: ${(error as Error).message}`,
    );
    program.cannotStart((error as Error).message);
  }
  signals.started();
  if (signals.isStopping) return;
  // From here a stop follows its signal at once: its priority-0 adverts may leave from the signal.
  handle.armStopAdverts(true);
  // keepalived dumps its state and statistics on SIGUSR1 / SIGUSR2; Node reserves SIGUSR1 for its
  // inspector, so SIGUSR2 it is: the state and counters become one log line.
  const running = handle;
  if (options.metrics !== undefined) await serveMetrics(running, options.metrics, logger, health);
  process.on('SIGUSR2', () => {
    logger.info(
      { event: 'status', routers: running.snapshot(), counters: running.counters(), checks: health?.status() ?? [] },
      'status',
    );
  });
}

/** A listener that cannot start (port taken) is logged; the routers run on (they matter more). */
async function serveMetrics(
  running: LinuxEngineHandle,
  listen: ListenAddress,
  logger: ReturnType<typeof createLogger>,
  health: HealthHandle | undefined,
): Promise<void> {
  try {
    await startMetricsListener(running.engine, listen, { logger, conflicts: running, ...(health ? { health } : {}) });
  } catch (error) {
    logger.error(
      { event: 'error', operation: 'metricsListener', error: errorFields(error) },
      `no metrics: ${(error as Error).message}`,
    );
  }
}

program.run(main);

// vrrpd: keepalived's VRRP daemon as a drop-in — its command line, signals, pid files and dump files —
// running vrrp-engine's routers from a keepalived.conf. Never forks (-n is accepted); the process
// title starts with "keepalived" so liveness probes written for keepalived (`pgrep keepalived`) work.
// See docs/vrrpd.md.

import { ConfigError } from '../model/config-error.js';
import { capabilityProblem } from './capabilities.js';
import { errorFields, type RuntimeLogger } from '../model/logger.js';
import { sameScheduling } from '../model/scheduling.js';
import { ConfigLoadError, formatDiagnostic, loadConfig, type Diagnostic, type LoadedConfig } from './config-source.js';
import { keepalivedRealtimeSignals, watchSignal } from '../linux/rt-signals.js';
import { dataDump, DATA_FILE, JSON_FILE, statsDump, STATS_FILE, writeDump, type DumpContext } from './dumps.js';
import { parseCommand, SIGNUMS, type DaemonOptions } from './flags.js';
import { InstanceSet } from './instances.js';
import { METRICS_LISTEN_ENV, metricsListenFrom, startMetricsListener } from './metrics-listener.js';
import { createLogger } from './logger.js';
import { KEEPALIVED_EXIT_STATUS, packageVersion, Program } from './program.js';
import { readOwnFile, removeOwnFile, writePrivateFile } from './private-files.js';
import { oneAtATime, readConfigOffThread } from './reload-read.js';
import { StopSignals } from './stop-signals.js';
import { formatStatusTable, query, StatusServer, type StatusReply } from './status-socket.js';
import { codedError, hasCode } from '../errors.js';

/** keepalived's exit statuses (program.ts), so scripts that test keepalived's keep working. */
export const EXIT = KEEPALIVED_EXIT_STATUS;

const HELP = `usage: vrrpd [OPTION...]           run the VRRP daemon (keepalived's command line)
       vrrpd status [--json] [--socket PATH]   show a running daemon's instances

  -f, --use-file=FILE        configuration file (default /etc/keepalived/keepalived.conf;
                             a name ending in .json is vrrp-engine's JSON configuration)
  -t, --config-test[=FILE]   check the configuration as a start would (every check that needs no
                             network), print problems with file:line (to FILE if given), exit 0
                             if it is usable, 5 if not
  -i, --config-id=ID         which @ID lines of the configuration apply (default: the host name
                             up to its first dot, as keepalived)
  -n, --dont-fork            accepted: vrrpd never forks
  -l, --log-console          readable log lines (the default on a terminal; JSON lines otherwise)
  -D, --log-detail           debug-level logging
  -d, --dump-conf            log the configuration as read, at start
  -p, --pid=FILE             pid file (default /run/keepalived.pid, mode 0644), removed at exit
  -r, --vrrp_pid=FILE        VRRP pid file (default /run/keepalived_vrrp.pid), removed at exit
  -V, --dont-release-vrrp    at stop, keep the VIPs and send no priority-0 advert
  -u, --umask=MASK           the process umask (vrrpd sets its own files' modes whatever it is)
      --signum=SIGFUNC       print the signal number for STOP, RELOAD, DATA, STATS, STATS_CLEAR, JSON
  -v, --version              version
  -h, --help                 this text
  Accepted and ignored (reported once): -P -C -B --all -S -G -X -I -R -c -b -a -x -A -m -M -e
  Refused: -s/--namespace (use ip netns exec), -T/--genhash.

vrrpd's own:
      --socket=PATH          status socket (default /run/vrrpd.sock, mode 0600; "none": no socket)
      --dump-dir=DIR         where the signals write keepalived.data / .stats / .json, mode 0600
                             (default /run/vrrpd, created 0700; keepalived's /tmp is not the default)
      --log-level=LEVEL      trace, debug, info, warn, error (overrides -D)
      --log-format=FORMAT    json or pretty (overrides -l and the terminal check)
      --process-title=TITLE  default "keepalived (vrrp-engine)" (pgrep keepalived matches it;
                             use "keepalived" for pidof / pgrep -x)
      --metrics[=ADDR:PORT]  serve /metrics (keepalived-exporter's names and ours); alone: every
                             address, port 2112 (the exporter's); VRRP_METRICS_LISTEN says the same

signals: TERM / INT stop (priority-0 adverts, VIPs removed, exit 0); HUP reloads the configuration
(a bad one is refused and the running one kept; instances keep their state, changes are applied in
place where the interface, VRID, family and version stay); USR1 writes
keepalived.data, USR2 keepalived.stats (JSON); SIGRTMIN+2 (--signum=JSON) writes keepalived.json;
SIGRTMAX-1 (--signum=STATS_CLEAR) writes keepalived.stats, then clears the statistics.
exit status: 0 stopped; 1 bad usage or could not start (no CAP_NET_RAW / CAP_NET_ADMIN, ...);
2 configuration error; 5 -t found problems (keepalived's statuses)`;

const program: Program = new Program('vrrpd', HELP, EXIT);

async function status(json: boolean, socket: string): Promise<never> {
  let reply: unknown;
  try {
    reply = await query(socket, 'status');
  } catch (error) {
    program.say(`status: cannot reach the daemon on ${socket}: ${(error as Error).message}`);
    process.exit(EXIT.failed);
  }
  if (json) process.stdout.write(`${JSON.stringify(reply, null, 2)}\n`);
  else process.stdout.write(formatStatusTable(reply as StatusReply));
  process.exit(EXIT.ok);
}

/** `-t`: every diagnostic with its file and line, then keepalived's exit code. */
async function configTest(options: DaemonOptions): Promise<never> {
  let diagnostics: readonly Diagnostic[];
  try {
    diagnostics = loadConfig(options.configFile, options.configId).diagnostics;
  } catch (error) {
    diagnostics =
      error instanceof ConfigLoadError
        ? error.diagnostics
        : [{ severity: 'error', file: options.configFile, line: 0, message: (error as Error).message }];
  }
  const failed = diagnostics.some((d) => d.severity === 'error');
  const report =
    diagnostics.map((d) => `${formatDiagnostic(d)}\n`).join('') +
    `${options.configFile}: configuration ${failed ? 'has errors' : 'is usable'}\n`;
  if (options.configTestLog === undefined) process.stderr.write(report);
  else {
    try {
      writePrivateFile(options.configTestLog, report);
    } catch (error) {
      program.say(`cannot write the report to ${options.configTestLog}: ${(error as Error).message}`);
      process.stderr.write(report);
    }
  }
  process.exit(failed ? EXIT.configTest : EXIT.ok);
}

const PID_LINE = `${process.pid}\n`;
/** Readable by all, as keepalived's: a PID is no secret (ps shows it) and monitoring reads it unprivileged. */
const PID_FILE_MODE = 0o644;

/**
 * A pid file naming a live process means a daemon is running with this configuration. Written through
 * private-files.ts: a link or another user's file at the path is refused, not written through.
 */
function writePidFile(path: string): void {
  const pid = Number.parseInt(readOwnFile(path) ?? '', 10);
  if (Number.isInteger(pid) && pid > 0 && pid !== process.pid) {
    try {
      process.kill(pid, 0);
      throw codedError(
        'EEXIST',
        `${path} names process ${pid}, which is running: is vrrpd (or keepalived) already running?`,
      );
    } catch (error) {
      if (!hasCode(error, 'ESRCH')) throw error;
    }
  }
  writePrivateFile(path, PID_LINE, PID_FILE_MODE);
}

// biome-ignore lint/complexity/noExcessiveLinesPerFunction: written before the 60-line rule; to split (issue 11)
async function run(options: DaemonOptions): Promise<void> {
  process.title = options.processTitle;
  if (options.umask !== undefined) process.umask(options.umask);
  if (options.configTest) await configTest(options);

  const format = options.logFormat ?? (options.logConsole || process.stdout.isTTY ? 'pretty' : 'json');
  const logger = createLogger(options.logLevel ?? (options.logDetail ? 'debug' : 'info'), { name: 'vrrpd', format });
  const version = packageVersion();
  const startedAt = new Date().toISOString();
  const instances = new InstanceSet(logger);
  const pidFiles: string[] = [];
  let server: StatusServer | undefined;
  let lastReload: StatusReply['lastReload'] = null;

  const finish = (code: number): never => {
    server?.close();
    // Only while it still holds our pid: another daemon may have started with the same file since.
    for (const file of pidFiles) removeOwnFile(file, PID_LINE);
    process.exit(code);
  };
  const logDiagnostics = (diagnostics: readonly Diagnostic[]) => {
    for (const d of diagnostics) {
      logger[d.severity === 'error' ? 'error' : 'warn'](
        { event: 'config', severity: d.severity, file: d.file, line: d.line },
        formatDiagnostic(d),
      );
    }
  };

  const signals = new StopSignals({
    logger,
    stop: async (code) => {
      try {
        await instances.stop(!options.dontRelease);
      } catch (error) {
        logger.error({ event: 'error', operation: 'stop', error: errorFields(error) }, 'stop failed');
        code = EXIT.failed;
      }
      logger.info(
        { event: 'exiting', code, released: !options.dontRelease },
        options.dontRelease ? 'exiting; VIPs left in place (-V)' : 'exiting',
      );
      finish(code);
    },
    exitNow: finish,
  });
  // Installed now, not once running: the default action of SIGHUP, SIGUSR1 and SIGUSR2 is to end the
  // process, which would skip the graceful stop. Until the instances run they are logged and ignored.
  const notYet = (signal: string) => () =>
    logger.warn({ event: 'notice', notice: 'signal', signal }, `${signal} while starting: ignored`);
  let onHangup = notYet('SIGHUP');
  let onUsr1 = notYet('SIGUSR1');
  let onUsr2 = notYet('SIGUSR2');
  process.on('SIGHUP', () => onHangup());
  process.on('SIGUSR1', () => onUsr1());
  process.on('SIGUSR2', () => onUsr2());
  // keepalived's real-time signals, which process.on() refuses: the addon watches them. Their default
  // action ends the process, so they too are watched from the start.
  let onJson = notYet('JSON signal');
  let onStatsClear = notYet('STATS_CLEAR signal');
  try {
    const realtime = keepalivedRealtimeSignals();
    watchSignal(realtime.JSON, () => onJson());
    watchSignal(realtime.STATS_CLEAR, () => onStatsClear());
  } catch (error) {
    logger.error(
      { event: 'error', operation: 'signals', error: errorFields(error) },
      `cannot watch the JSON and STATS_CLEAR signals: ${(error as Error).message}`,
    );
  }

  logger.info(
    { event: 'starting', version, configFile: options.configFile, pid: process.pid },
    `vrrpd ${version} starting (keepalived command line)`,
  );
  for (const line of options.ignored)
    logger.warn({ event: 'notice', notice: 'option-ignored', detail: line }, `ignored option ${line}`);

  let loaded: LoadedConfig;
  try {
    loaded = loadConfig(options.configFile, options.configId);
  } catch (error) {
    if (!(error instanceof ConfigLoadError)) throw error;
    logDiagnostics(error.diagnostics);
    process.stderr.write(error.diagnostics.map((d) => `vrrpd: ${formatDiagnostic(d)}\n`).join(''));
    return finish(EXIT.config);
  }
  logDiagnostics(loaded.diagnostics);
  if (options.dumpConf)
    logger.info({ event: 'config', config: loaded.input, files: loaded.files }, 'configuration as read');
  // Before the pid files, the sockets and the first stale-VIP clean-up: without them nothing starts.
  const missing = capabilityProblem();
  if (missing !== undefined) {
    logger.error({ event: 'error', operation: 'start', reason: 'capabilities' }, `cannot start: ${missing}`);
    program.say(`cannot start: ${missing}`);
    return finish(EXIT.failed);
  }

  const context: DumpContext = { instances, configFile: options.configFile, startedAt, version };
  try {
    for (const file of [options.pidFile, options.vrrpPidFile]) {
      writePidFile(file);
      pidFiles.push(file);
    }
    if (options.socket !== undefined) {
      server = await StatusServer.listen(options.socket, (command) => {
        if (command === 'stats') return statsDump(context);
        if (command === 'data' || command === 'json') return dataDump(context);
        return {
          pid: process.pid,
          version,
          configFile: options.configFile,
          startedAt,
          lastReload,
          instances: instances.status(),
        } satisfies StatusReply;
      });
    }
  } catch (error) {
    logger.error(
      { event: 'error', operation: 'start', error: errorFields(error) },
      `cannot start: ${(error as Error).message}`,
    );
    program.say(`cannot start: ${(error as Error).message}`);
    return finish(EXIT.failed);
  }

  const reload = async (): Promise<void> => {
    logger.info(
      { event: 'reload', phase: 'requested', configFile: options.configFile },
      'SIGHUP: reloading the configuration',
    );
    let next: LoadedConfig;
    try {
      // In a worker with a time and memory limit: the instances keep advertising while it reads.
      next = await readConfigOffThread(options.configFile, options.configId);
    } catch (error) {
      const diagnostics =
        error instanceof ConfigLoadError
          ? error.diagnostics
          : [{ severity: 'error' as const, file: options.configFile, line: 0, message: (error as Error).message }];
      logDiagnostics(diagnostics);
      lastReload = {
        at: new Date().toISOString(),
        result: 'refused (configuration errors); previous configuration kept',
      };
      logger.error(
        { event: 'reload', phase: 'refused', errors: diagnostics.filter((d) => d.severity === 'error').length },
        'reload refused: the new configuration has errors; the running one is kept',
      );
      return;
    }
    logDiagnostics(next.diagnostics);
    if (signals.isStopping) return;
    if (!sameScheduling(loaded.input.scheduling, next.input.scheduling)) {
      // Applied once at start (keepalived re-applies them on reload; we do not, yet).
      logger.warn(
        { event: 'notice', notice: 'scheduling-needs-restart' },
        'vrrp_rt_priority / vrrp_priority / vrrp_cpu_affinity / vrrp_rlimit_rttime changed: they take effect at the next restart',
      );
    }
    let result;
    try {
      result = await instances.reload(next.instances, next.health);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      // A mistake only the runtime could see (nothing was changed): refused like a parse error.
      lastReload = { at: new Date().toISOString(), result: `refused (${error.message}); previous configuration kept` };
      logger.error(
        { event: 'reload', phase: 'refused', error: errorFields(error) },
        `reload refused: ${error.message}; the running configuration is kept`,
      );
      return;
    }
    const summary = `${result.unchanged.length} unchanged, ${result.reconfigured.length} reconfigured in place, ${result.replaced.length} replaced, ${result.added.length} added, ${result.removed.length} removed${result.failed.length > 0 ? `, ${result.failed.length} failed` : ''}`;
    lastReload = { at: new Date().toISOString(), result: summary };
    logger.info({ event: 'reload', phase: 'done', ...result }, `reloaded: ${summary}`);
  };

  const dump = (name: string, document: () => unknown) => {
    try {
      const path = writeDump(options.dumpDir, name, document());
      logger.info({ event: 'dump', file: path }, `wrote ${path}`);
    } catch (error) {
      logger.error(
        { event: 'error', operation: 'dump', error: errorFields(error) },
        `cannot write ${name}: ${(error as Error).message}`,
      );
    }
  };

  try {
    await instances.startAll(loaded.instances, loaded.health, loaded.input.scheduling);
  } catch (error) {
    const config = error instanceof ConfigError;
    logger.error(
      { event: 'error', operation: 'start', error: errorFields(error) },
      `cannot start: ${(error as Error).message}`,
    );
    program.say(`${config ? 'configuration error' : 'cannot start'}: ${(error as Error).message}`);
    return finish(config ? EXIT.config : EXIT.failed);
  }
  const reloadOnce = oneAtATime(reload);
  onHangup = () => {
    if (!signals.isStopping) reloadOnce().catch((error: unknown) => signals.onFatal(error));
  };
  // Node starts its inspector on SIGUSR1 only while nothing listens for it: the listener keeps it off.
  onUsr1 = () => dump(DATA_FILE, () => dataDump(context));
  onUsr2 = () => dump(STATS_FILE, () => statsDump(context));
  onJson = () => dump(JSON_FILE, () => dataDump(context));
  // keepalived writes the statistics, then clears them.
  onStatsClear = () => {
    dump(STATS_FILE, () => statsDump(context));
    instances.clearStats();
    logger.info({ event: 'stats-cleared' }, 'statistics cleared (STATS_CLEAR)');
  };
  await serveMetrics(instances, options, logger);
  logger.info({ event: 'running', instances: instances.names() }, `running ${instances.names().length} instance(s)`);
  signals.started();
  // From here a stop follows its signal at once; -V stops without priority-0 adverts.
  if (!signals.isStopping && !options.dontRelease) instances.armStopAdverts(true);
}

/** --metrics or VRRP_METRICS_LISTEN: /metrics beside the routers; a listener that fails is logged, the routers run on. */
async function serveMetrics(instances: InstanceSet, options: DaemonOptions, logger: RuntimeLogger): Promise<void> {
  const listen = metricsListenFrom(options.metrics, process.env);
  const engine = instances.runningEngine();
  if (listen === undefined || engine === undefined) return;
  try {
    if (typeof listen === 'string') throw new Error(`--metrics / ${METRICS_LISTEN_ENV}: ${listen}`);
    await startMetricsListener(engine, listen, { logger, health: { status: () => instances.healthStatus() } });
  } catch (error) {
    logger.error(
      { event: 'error', operation: 'metricsListener', error: errorFields(error) },
      `no metrics: ${(error as Error).message}`,
    );
  }
}

async function main(): Promise<void> {
  const command = parseCommand(process.argv.slice(2));
  switch (command.kind) {
    case 'help':
      return program.printHelp();
    case 'version':
      return program.printVersion();
    case 'signum': {
      const numbers: Readonly<Record<string, number>> = { ...SIGNUMS, ...keepalivedRealtimeSignals() };
      const number = numbers[command.name];
      if (number === undefined) {
        // keepalived says "Unknown sigfunc" and exits 1; the list of known names helps more.
        program.say(`no signal for ${command.name}: known are ${Object.keys(numbers).join(', ')}`);
        return process.exit(EXIT.usage);
      }
      process.stdout.write(`${number}\n`);
      return process.exit(EXIT.ok);
    }
    case 'usage':
      return program.usage(command.message);
    case 'status':
      return status(command.json, command.socket);
    case 'run':
      return run(command.options);
  }
}

program.run(main);

// vrrpd: keepalived's VRRP daemon as a drop-in — its command line, signals, pid files and dump files —
// running vrrp-engine's routers from a keepalived.conf. Never forks (-n is accepted); the process
// title starts with "keepalived" so liveness probes written for keepalived (`pgrep keepalived`) work.
// See docs/vrrpd.md.

import { ConfigError } from '../model/config-error.js';
import { capabilityProblem } from './capabilities.js';
import { errorFields, type RuntimeLogger } from '../model/logger.js';
import { restartNotices } from './restart-notices.js';
import { nftablesReloadChange } from '../model/nftables.js';
import { ConfigLoadError, formatDiagnostic, loadConfig, type Diagnostic, type LoadedConfig } from './config-source.js';
import { keepalivedRealtimeSignals, watchSignal } from '../linux/rt-signals.js';
import {
  dataDump,
  DATA_FILE,
  JSON_FILE,
  RECORDING_FILE,
  recordingDump,
  statsDump,
  STATS_FILE,
  writeDump,
  type DumpContext,
} from './dumps.js';
import { parseCommand, SIGNUMS, type DaemonOptions } from './flags.js';
import { InstanceSet, runtimeSettings, type ReloadResult } from './instances.js';
import { NO_CONFLICTS } from '../daemon/vip-conflicts.js';
import { METRICS_LISTEN_ENV, metricsListenFrom, startMetricsListener } from './metrics-listener.js';
import { createLogger } from './logger.js';
import { KEEPALIVED_EXIT_STATUS, packageVersion, Program } from './program.js';
import { readOwnFile, removeOwnFile, writePrivateFile } from './private-files.js';
import { oneAtATime, readConfigOffThread } from './reload-read.js';
import { configReport, ReloadFiles } from './reload-files.js';
import { ReloadSchedule } from './reload-schedule.js';
import type { ReloadSettings } from '../config/keepalived/index.js';
import { StopSignals } from './stop-signals.js';
import { StartStopScripts } from '../health/start-stop-script.js';
import { formatStatusTable, query, StatusServer, type StatusReply } from './status-socket.js';
import { codedError, hasCode } from '../errors.js';

/** keepalived's exit statuses (program.ts), so scripts that test keepalived's keep working. */
export const EXIT = KEEPALIVED_EXIT_STATUS;

const HELP = `usage: vrrpd [OPTION...]           run the VRRP daemon (keepalived's command line)
       vrrpd status [--json] [--socket PATH]   show a running daemon's instances
       vrrpd record [--json] [--socket PATH]   have it write its flight recording; print the file

  -f, --use-file=FILE        configuration file (default /etc/keepalived/keepalived.conf;
                             a name ending in .json is vrrp-engine's JSON configuration)
  -t, --config-test[=FILE]   check the configuration as a start would (every check that needs no
                             network), print problems with file:line (to FILE if given), exit 0
                             if it is usable, 5 if not
  -i, --config-id=ID         which @ID lines of the configuration apply (default: the host name
                             up to its first dot, as keepalived)
  -e, --all-config           every include problem is an error (as include_check with no option)
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
  Accepted and ignored (reported once): -P -C -B --all -S -G -X -I -R -c -b -a -x -A -m -M
  Refused: -s/--namespace (use ip netns exec), -T/--genhash.

vrrpd's own:
      --socket=PATH          status socket (default /run/vrrpd.sock, mode 0600; "none": no socket)
      --dump-dir=DIR         where the signals write keepalived.data / .stats / .json, mode 0600
                             (default /run/vrrpd, created 0700; keepalived's /tmp is not the default);
                             SIGUSR1 and the status socket's "record" command also write the
                             flight recording vrrpd.recording.json (vrrp-sim --replay FILE)
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

/** `vrrpd status` and `vrrpd record`: one status-socket command, its reply printed. */
async function status(command: 'status' | 'record', json: boolean, socket: string): Promise<never> {
  let reply: unknown;
  try {
    reply = await query(socket, command);
  } catch (error) {
    program.say(`${command}: cannot reach the daemon on ${socket}: ${(error as Error).message}`);
    process.exit(EXIT.failed);
  }
  const { file, error } = reply as { file?: string; error?: string };
  if (json) process.stdout.write(`${JSON.stringify(reply, null, 2)}\n`);
  else if (command === 'status') process.stdout.write(formatStatusTable(reply as StatusReply));
  else if (file !== undefined) process.stdout.write(`${file}\n`);
  else program.say(`record: ${error ?? 'no file in the reply'}`);
  process.exit(command === 'record' && file === undefined ? EXIT.failed : EXIT.ok);
}

/** `-t`: every diagnostic with its file and line, then keepalived's exit code. */
async function configTest(options: DaemonOptions): Promise<never> {
  let diagnostics: readonly Diagnostic[];
  try {
    diagnostics = loadConfig(options.configFile, options.configId, {
      allIncludeChecks: options.allIncludeChecks,
    }).diagnostics;
  } catch (error) {
    diagnostics =
      error instanceof ConfigLoadError
        ? error.diagnostics
        : [{ severity: 'error', file: options.configFile, line: 0, message: (error as Error).message }];
  }
  const failed = diagnostics.some((d) => d.severity === 'error');
  const report = configReport(options.configFile, diagnostics);
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

/** The signals besides TERM / INT, by the name their log lines give. */
type DaemonSignal = 'SIGHUP' | 'SIGUSR1' | 'SIGUSR2' | 'JSON signal' | 'STATS_CLEAR signal';
type SignalHandlers = Record<DaemonSignal, () => void>;

/**
 * Installed at once, not once running: the default action of SIGHUP, SIGUSR1, SIGUSR2 and keepalived's
 * real-time signals is to end the process, which would skip the graceful stop. Until the instances run
 * they are logged and ignored; then run() puts the real handlers in the table returned.
 */
function watchDaemonSignals(logger: RuntimeLogger): SignalHandlers {
  const notYet = (signal: string) => () =>
    logger.warn({ event: 'notice', notice: 'signal', signal }, `${signal} while starting: ignored`);
  const handlers: SignalHandlers = {
    SIGHUP: notYet('SIGHUP'),
    SIGUSR1: notYet('SIGUSR1'),
    SIGUSR2: notYet('SIGUSR2'),
    'JSON signal': notYet('JSON signal'),
    'STATS_CLEAR signal': notYet('STATS_CLEAR signal'),
  };
  for (const signal of ['SIGHUP', 'SIGUSR1', 'SIGUSR2'] as const) process.on(signal, () => handlers[signal]());
  // keepalived's real-time signals, which process.on() refuses: the addon watches them.
  try {
    const realtime = keepalivedRealtimeSignals();
    watchSignal(realtime.JSON, () => handlers['JSON signal']());
    watchSignal(realtime.STATS_CLEAR, () => handlers['STATS_CLEAR signal']());
  } catch (error) {
    logger.error(
      { event: 'error', operation: 'signals', error: errorFields(error) },
      `cannot watch the JSON and STATS_CLEAR signals: ${(error as Error).message}`,
    );
  }
  return handlers;
}

/** The configuration's diagnostics as log lines: errors as errors, the rest as warnings. */
function logDiagnostics(logger: RuntimeLogger, diagnostics: readonly Diagnostic[]): void {
  for (const d of diagnostics) {
    logger[d.severity === 'error' ? 'error' : 'warn'](
      { event: 'config', severity: d.severity, file: d.file, line: d.line },
      formatDiagnostic(d),
    );
  }
}

/** A reload's summary for the log and `vrrpd status`. */
function reloadSummary(result: ReloadResult): string {
  const failed = result.failed.length > 0 ? `, ${result.failed.length} failed` : '';
  return `${result.unchanged.length} unchanged, ${result.reconfigured.length} reconfigured in place, ${result.replaced.length} replaced, ${result.added.length} added, ${result.removed.length} removed${failed}`;
}

/** One running daemon: its instances, pid files, status socket, and what the signals do. */
class Vrrpd {
  readonly logger: RuntimeLogger;
  readonly instances: InstanceSet;
  private readonly version = packageVersion();
  private readonly startedAt = new Date().toISOString();
  private readonly pidFiles: string[] = [];
  private server: StatusServer | undefined;
  private lastReload: StatusReply['lastReload'] = null;
  private readonly context: DumpContext;
  /** reload_file and reload_check_config's log, by the running configuration's settings. */
  private readonly reloadFiles: ReloadFiles;
  /** reload_time_file's schedule, remade after every reload; `scheduledReload` is what it calls. */
  private schedule: ReloadSchedule | undefined;
  private reloadSettings: ReloadSettings | undefined;
  scheduledReload: () => void = () => undefined;
  private readonly startStop = new StartStopScripts();

  constructor(private readonly options: DaemonOptions) {
    const format = options.logFormat ?? (options.logConsole || process.stdout.isTTY ? 'pretty' : 'json');
    this.logger = createLogger(options.logLevel ?? (options.logDetail ? 'debug' : 'info'), { name: 'vrrpd', format });
    this.instances = new InstanceSet(this.logger);
    this.reloadFiles = new ReloadFiles(this.logger);
    const { instances, version, startedAt } = this;
    this.context = { instances, configFile: options.configFile, startedAt, version };
  }

  finish(code: number): never {
    this.schedule?.stop();
    this.server?.close();
    // Only while it still holds our pid: another daemon may have started with the same file since.
    for (const file of this.pidFiles) removeOwnFile(file, PID_LINE);
    process.exit(code);
  }

  async stop(code: number): Promise<never> {
    const { dontRelease } = this.options;
    try {
      await this.instances.stop(!dontRelease);
    } catch (error) {
      this.logger.error({ event: 'error', operation: 'stop', error: errorFields(error) }, 'stop failed');
      code = EXIT.failed;
    }
    // keepalived's shutdown_script, of the configuration in force: after every instance has stopped.
    await this.startStop.shutdown(this.logger);
    this.logger.info(
      { event: 'exiting', code, released: !dontRelease },
      dontRelease ? 'exiting; VIPs left in place (-V)' : 'exiting',
    );
    return this.finish(code);
  }

  /** The configuration as read at start; exits with keepalived's status if it has errors. */
  load(): LoadedConfig {
    const { logger, options } = this;
    logger.info(
      { event: 'starting', version: this.version, configFile: options.configFile, pid: process.pid },
      `vrrpd ${this.version} starting (keepalived command line)`,
    );
    for (const line of options.ignored)
      logger.warn({ event: 'notice', notice: 'option-ignored', detail: line }, `ignored option ${line}`);
    let loaded: LoadedConfig;
    try {
      loaded = loadConfig(options.configFile, options.configId, { allIncludeChecks: options.allIncludeChecks });
    } catch (error) {
      if (!(error instanceof ConfigLoadError)) throw error;
      logDiagnostics(logger, error.diagnostics);
      process.stderr.write(error.diagnostics.map((d) => `vrrpd: ${formatDiagnostic(d)}\n`).join(''));
      return this.finish(EXIT.config);
    }
    logDiagnostics(logger, loaded.diagnostics);
    this.useReloadSettings(loaded.reload);
    this.reloadFiles.removeStale();
    if (options.dumpConf)
      logger.info({ event: 'config', config: loaded.input, files: loaded.files }, 'configuration as read');
    return loaded;
  }

  /** The pid files and the status socket; exits 1 if one cannot be had. */
  async claim(): Promise<void> {
    const { options, context } = this;
    try {
      for (const file of [options.pidFile, options.vrrpPidFile]) {
        writePidFile(file);
        this.pidFiles.push(file);
      }
      if (options.socket === undefined) return;
      this.server = await StatusServer.listen(options.socket, (command) => {
        if (command === 'stats') return statsDump(context);
        if (command === 'data' || command === 'json') return dataDump(context);
        if (command === 'record') return { file: this.writeDumpFile(RECORDING_FILE, recordingDump) };
        return {
          pid: process.pid,
          version: this.version,
          configFile: options.configFile,
          startedAt: this.startedAt,
          lastReload: this.lastReload,
          instances: this.instances.status(),
        } satisfies StatusReply;
      });
    } catch (error) {
      this.startFailed(error, 'cannot start');
      this.finish(EXIT.failed);
    }
  }

  /** Starts the instances; exits 2 for a configuration mistake only the runtime could see, 1 otherwise. */
  async start(loaded: LoadedConfig): Promise<void> {
    // keepalived's startup_script: the instances start once it has ended (or was killed at its timeout).
    this.startStop.configure(loaded.health);
    await this.startStop.startup(this.logger);
    try {
      await this.instances.startAll(loaded.instances, loaded.health, runtimeSettings(loaded.input));
    } catch (error) {
      const config = error instanceof ConfigError;
      this.startFailed(error, config ? 'configuration error' : 'cannot start');
      this.finish(config ? EXIT.config : EXIT.failed);
    }
  }

  private startFailed(error: unknown, what: string): void {
    const message = (error as Error).message;
    this.logger.error({ event: 'error', operation: 'start', error: errorFields(error) }, `cannot start: ${message}`);
    program.say(`${what}: ${message}`);
  }

  /**
   * SIGHUP: read the file again off-thread; apply it, or refuse it and keep the running one. `started`
   * is the configuration read at start, whose scheduling (applied once) is the one in force.
   */
  async reload(started: LoadedConfig, isStopping: () => boolean): Promise<void> {
    try {
      await this.readAndApply(started, isStopping);
    } finally {
      // keepalived stops watching the time file for a reload and watches it again after.
      if (!isStopping()) this.restartSchedule();
    }
  }

  /** The reload_* settings of the configuration now running: they govern the next reload. */
  private useReloadSettings(settings: ReloadSettings | undefined): void {
    this.reloadSettings = settings;
    this.reloadFiles.use(settings);
  }

  /** reload_time_file: watched from start, and again after every reload with the settings then. */
  restartSchedule(): void {
    this.schedule?.stop();
    this.schedule = undefined;
    const timeFile = this.reloadSettings?.timeFile;
    if (timeFile === undefined) return;
    const repeat = this.reloadSettings?.repeat ?? false;
    this.schedule = new ReloadSchedule({ timeFile, repeat, logger: this.logger, reload: () => this.scheduledReload() });
    this.schedule.start();
  }

  private async readAndApply(started: LoadedConfig, isStopping: () => boolean): Promise<void> {
    const { logger, options } = this;
    logger.info(
      { event: 'reload', phase: 'requested', configFile: options.configFile },
      'SIGHUP: reloading the configuration',
    );
    let next: LoadedConfig;
    this.reloadFiles.reading();
    try {
      // In a worker with a time and memory limit: the instances keep advertising while it reads.
      next = await readConfigOffThread(options.configFile, options.configId, {
        allIncludeChecks: options.allIncludeChecks,
      });
    } catch (error) {
      const diagnostics =
        error instanceof ConfigLoadError
          ? error.diagnostics
          : [{ severity: 'error' as const, file: options.configFile, line: 0, message: (error as Error).message }];
      this.reloadFiles.read(options.configFile, diagnostics);
      logDiagnostics(logger, diagnostics);
      const log = this.reloadFiles.checkLog;
      this.refused(
        'refused (configuration errors); previous configuration kept',
        { errors: diagnostics.filter((d) => d.severity === 'error').length, ...(log ? { checkLog: log } : {}) },
        `reload refused: the new configuration has errors; the running one is kept${log ? ` (see ${log})` : ''}`,
      );
      return;
    }
    this.reloadFiles.read(options.configFile, next.diagnostics);
    logDiagnostics(logger, next.diagnostics);
    if (isStopping()) return;
    for (const { notice, message } of restartNotices(started.input, next.input))
      logger.warn({ event: 'notice', notice }, message);
    if (!this.firewallReloadable(started, next)) return;
    await this.apply(next);
  }

  /**
   * keepalived refuses a reload that renames the accept-mode tables and keeps running on the old
   * configuration; the tables' other settings shape tables already made, so they wait for a restart.
   */
  private firewallReloadable(started: LoadedConfig, next: LoadedConfig): boolean {
    const change = nftablesReloadChange(started.input.nftables, next.input.nftables);
    if (change === 'table') {
      this.refused(
        'refused (the nftables table name changed); previous configuration kept',
        { notice: 'nftables-table-changed' },
        'reload refused: cannot change the nftables table name at a reload (restart vrrpd); the running configuration is kept',
      );
      return false;
    }
    if (change === 'settings') {
      this.logger.warn(
        { event: 'notice', notice: 'nftables-needs-restart' },
        'nftables_priority / nftables_counters / nftables_ifindex changed: they take effect at the next restart',
      );
    }
    return true;
  }

  /** The reload's apply, or its refusal if the runtime finds a mistake (nothing changed). */
  private async apply(next: LoadedConfig): Promise<void> {
    let result: ReloadResult;
    try {
      result = await this.instances.reload(next.instances, next.health, runtimeSettings(next.input));
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      // A mistake only the runtime could see (nothing was changed): refused like a parse error.
      this.refused(
        `refused (${error.message}); previous configuration kept`,
        { error: errorFields(error) },
        `reload refused: ${error.message}; the running configuration is kept`,
      );
      return;
    }
    this.useReloadSettings(next.reload);
    // The new shutdown_script is the one run at stop; a startup_script only ever runs at start.
    this.startStop.configure(next.health);
    const summary = reloadSummary(result);
    this.lastReload = { at: new Date().toISOString(), result: summary };
    this.logger.info({ event: 'reload', phase: 'done', ...result }, `reloaded: ${summary}`);
  }

  /** Writes one dump file and logs it; returns its path, throws when it cannot be written. */
  private writeDumpFile(name: string, document: (context: DumpContext) => unknown): string {
    const path = writeDump(this.options.dumpDir, name, document(this.context));
    this.logger.info({ event: 'dump', file: path }, `wrote ${path}`);
    return path;
  }

  private refused(result: string, fields: Record<string, unknown>, message: string): void {
    this.lastReload = { at: new Date().toISOString(), result };
    this.logger.error({ event: 'reload', phase: 'refused', ...fields }, message);
  }

  /** Writes one dump file (USR1, USR2, the real-time signals); a failure is logged. */
  dump(name: string, document: (context: DumpContext) => unknown): void {
    try {
      this.writeDumpFile(name, document);
    } catch (error) {
      this.logger.error(
        { event: 'error', operation: 'dump', error: errorFields(error) },
        `cannot write ${name}: ${(error as Error).message}`,
      );
    }
  }
}

async function run(options: DaemonOptions): Promise<void> {
  process.title = options.processTitle;
  if (options.umask !== undefined) process.umask(options.umask);
  if (options.configTest) await configTest(options);
  const daemon = new Vrrpd(options);
  const { logger, instances } = daemon;
  const signals = new StopSignals({
    logger,
    stop: (code) => daemon.stop(code),
    exitNow: (code) => daemon.finish(code),
  });
  const handlers = watchDaemonSignals(logger);
  const loaded = daemon.load();
  // Before the pid files, the sockets and the first stale-VIP clean-up: without them nothing starts.
  const missing = capabilityProblem();
  if (missing !== undefined) {
    logger.error({ event: 'error', operation: 'start', reason: 'capabilities' }, `cannot start: ${missing}`);
    program.say(`cannot start: ${missing}`);
    return daemon.finish(EXIT.failed);
  }
  await daemon.claim();
  await daemon.start(loaded);
  const reloadOnce = oneAtATime(() => daemon.reload(loaded, () => signals.isStopping));
  handlers.SIGHUP = () => {
    if (!signals.isStopping) reloadOnce().catch((error: unknown) => signals.onFatal(error));
  };
  // reload_time_file: at its time, the reload SIGHUP makes.
  daemon.scheduledReload = () => handlers.SIGHUP();
  daemon.restartSchedule();
  // Node starts its inspector on SIGUSR1 only while nothing listens for it: the listener keeps it off.
  handlers.SIGUSR1 = () => {
    daemon.dump(DATA_FILE, dataDump);
    daemon.dump(RECORDING_FILE, recordingDump);
  };
  handlers.SIGUSR2 = () => daemon.dump(STATS_FILE, statsDump);
  handlers['JSON signal'] = () => daemon.dump(JSON_FILE, dataDump);
  // keepalived writes the statistics, then clears them.
  handlers['STATS_CLEAR signal'] = () => {
    daemon.dump(STATS_FILE, statsDump);
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
    await startMetricsListener(engine, listen, {
      logger,
      health: { status: () => instances.healthStatus() },
      conflicts: { conflicts: () => instances.conflicts() ?? NO_CONFLICTS },
    });
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
    case 'record':
      return status(command.kind, command.json, command.socket);
    case 'run':
      return run(command.options);
  }
}

program.run(main);

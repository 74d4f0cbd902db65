// vrrpd: keepalived's VRRP daemon as a drop-in — its command line, signals, pid files and dump files —
// running vrrp-engine's routers from a keepalived.conf. Never forks (-n is accepted); the process
// title starts with "keepalived" so liveness probes written for keepalived (`pgrep keepalived`) work.
// See docs/vrrpd.md.

import { ConfigError } from '../model/config-error.js';
import { capabilityProblem } from './capabilities.js';
import { errorFields, type RuntimeLogger } from '../model/logger.js';
import { restartNotices } from './restart-notices.js';
import { nftablesReloadChange } from '../model/nftables.js';
import {
  ConfigLoadError,
  formatDiagnostic,
  type DaemonNaming,
  type Diagnostic,
  type LoadedConfig,
} from './config-source.js';
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
import { FileModes } from './file-modes.js';
import { parseCommand, SIGNUMS, type DaemonOptions } from './flags.js';
import { InstanceSet, runtimeSettings, type ReloadResult } from './instances.js';
import { NO_CONFLICTS } from '../daemon/vip-conflicts.js';
import { METRICS_LISTEN_ENV, metricsListenFrom, startMetricsListener } from './metrics-listener.js';
import { createLogger } from './logger.js';
import { KEEPALIVED_EXIT_STATUS, packageVersion, Program } from './program.js';
import {
  daemonFiles,
  dataFileName,
  makePidDirectory,
  PID_DIR,
  removeDirectoryIfEmpty,
  removePidFile,
  writePidFile,
} from './daemon-files.js';
import { enterAndExec, leaveRunMount, takeEnteredNamespace, type EnteredNamespace } from './net-namespace.js';
import { oneAtATime, readConfigOffThread } from './reload-read.js';
import { ReloadFiles } from './reload-files.js';
import { ReloadSchedule } from './reload-schedule.js';
import type { ReloadSettings } from '../config/keepalived/index.js';
import { StopSignals } from './stop-signals.js';
import { StartStopScripts } from '../health/start-stop-script.js';
import { StatusServer, type StatusReply } from './status-socket.js';
import { HELP } from './vrrpd-help.js';
import { configTest, readConfig, status, withNamespaceFlag } from './vrrpd-commands.js';

/** The flight recording's mode, whatever the umask (writeDumpFile). */
const PRIVATE_MODE = 0o600;

/** keepalived's exit statuses (program.ts), so scripts that test keepalived's keep working. */
export const EXIT = KEEPALIVED_EXIT_STATUS;

const program: Program = new Program('vrrpd', HELP, EXIT);

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
  /** The namespace this process was started again in (net_namespace), and whether it made the run mount. */
  private entered: EnteredNamespace | undefined;
  private pidDirectory = false;
  /** data_use_instance follows reloads; the names themselves cannot change (firewallReloadable). */
  private naming: DaemonNaming | undefined;
  private server: StatusServer | undefined;
  private lastReload: StatusReply['lastReload'] = null;
  private readonly context: DumpContext;
  /** reload_file and reload_check_config's log, by the running configuration's settings. */
  private readonly reloadFiles: ReloadFiles;
  /** reload_time_file's schedule, remade after every reload; `scheduledReload` is what it calls. */
  private schedule: ReloadSchedule | undefined;
  private reloadSettings: ReloadSettings | undefined;
  /** keepalived's umask: the process umask, and the modes of the files written (file-modes.ts). */
  private readonly fileModes: FileModes;
  scheduledReload: () => void = () => undefined;
  private readonly startStop = new StartStopScripts();

  constructor(
    private readonly options: DaemonOptions,
    naming: DaemonNaming | undefined,
  ) {
    const format = options.logFormat ?? (options.logConsole || process.stdout.isTTY ? 'pretty' : 'json');
    // keepalived's syslog ident takes the namespace and instance names (Keepalived_vrrp_NS_INSTANCE).
    const name = ['vrrpd', naming?.netNamespace, naming?.instance].filter((part) => part !== undefined).join('_');
    this.logger = createLogger(options.logLevel ?? (options.logDetail ? 'debug' : 'info'), { name, format });
    this.instances = new InstanceSet(this.logger);
    this.fileModes = new FileModes(options.umask);
    this.reloadFiles = new ReloadFiles(this.logger, this.fileModes);
    const { instances, version, startedAt } = this;
    this.context = { instances, configFile: options.configFile, startedAt, version };
  }

  finish(code: number): never {
    this.schedule?.stop();
    this.server?.close();
    for (const file of this.pidFiles) removePidFile(file);
    if (this.entered) leaveRunMount(this.entered);
    if (this.pidDirectory) removeDirectoryIfEmpty(PID_DIR);
    process.exit(code);
  }

  /**
   * net_namespace: started again inside the namespace (net-namespace.ts) unless this process already
   * was; exits 1 when the namespace cannot be entered (keepalived logs it and exits).
   */
  enterNamespace(naming: DaemonNaming | undefined): void {
    const name = naming?.netNamespace;
    const entered = takeEnteredNamespace();
    if (name === undefined) return;
    if (entered?.name === name) {
      this.entered = entered;
      if (entered.runMountProblem !== undefined)
        this.logger.warn(
          { event: 'notice', notice: 'run-mount', detail: entered.runMountProblem },
          `network namespace ${name}: ${PID_DIR} is not the namespace's own directory: ${entered.runMountProblem}`,
        );
      return;
    }
    try {
      enterAndExec(name);
    } catch (error) {
      this.startFailed(error, `cannot enter network namespace ${name}`);
      this.finish(EXIT.failed);
    }
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

  /** The configuration as read at start (`first`); exits with keepalived's status if it has errors. */
  load(first: LoadedConfig | ConfigLoadError): LoadedConfig {
    const { logger, options } = this;
    logger.info(
      {
        event: 'starting',
        version: this.version,
        configFile: options.configFile,
        pid: process.pid,
        ...(this.entered ? { netNamespace: this.entered.name } : {}),
      },
      `vrrpd ${this.version} starting (keepalived command line)${this.entered ? ` in network namespace ${this.entered.name}` : ''}`,
    );
    for (const line of options.ignored)
      logger.warn({ event: 'notice', notice: 'option-ignored', detail: line }, `ignored option ${line}`);
    if (first instanceof ConfigLoadError) {
      logDiagnostics(logger, first.diagnostics);
      process.stderr.write(first.diagnostics.map((d) => `vrrpd: ${formatDiagnostic(d)}\n`).join(''));
      return this.finish(EXIT.config);
    }
    const loaded = first;
    this.naming = loaded.naming;
    logDiagnostics(logger, loaded.diagnostics);
    this.useReloadSettings(loaded.reload);
    this.fileModes.useFile(loaded.umask, logger);
    this.reloadFiles.removeStale();
    if (options.dumpConf)
      logger.info({ event: 'config', config: loaded.input, files: loaded.files }, 'configuration as read');
    return loaded;
  }

  /** The pid files and the status socket, named as keepalived names them; exits 1 if one cannot be had. */
  async claim(naming: DaemonNaming): Promise<void> {
    const { options, context } = this;
    const files = daemonFiles(options, naming);
    try {
      if (naming.usePidDir) {
        makePidDirectory();
        this.pidDirectory = true;
      }
      for (const file of [files.pidFile, files.vrrpPidFile]) {
        writePidFile(file);
        this.pidFiles.push(file);
      }
      if (files.socket === undefined) return;
      this.server = await StatusServer.listen(files.socket, (command) => {
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
      await this.instances.startAll(
        loaded.instances,
        this.fileModes.forFifos(loaded.health, loaded.umask),
        runtimeSettings(loaded.input),
      );
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
      next = withNamespaceFlag(
        await readConfigOffThread(options.configFile, options.configId, { allIncludeChecks: options.allIncludeChecks }),
        options,
      );
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
    // keepalived refuses a reload that changes net_namespace or instance the same way.
    const naming = (n: DaemonNaming) => JSON.stringify([n.netNamespace ?? null, n.instance ?? null]);
    if (naming(started.naming) !== naming(next.naming)) {
      this.refused(
        'refused (net_namespace or instance changed); previous configuration kept',
        { notice: 'naming-changed' },
        'reload refused: cannot change net_namespace or instance at a reload (restart vrrpd); the running configuration is kept',
      );
      return false;
    }
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
    // The new umask first: scripts the reload itself starts (checks, notify) run under it, as keepalived's.
    const maskBefore = this.fileModes.mask;
    this.fileModes.useFile(next.umask, this.logger);
    try {
      result = await this.instances.reload(
        next.instances,
        this.fileModes.forFifos(next.health, next.umask),
        runtimeSettings(next.input),
      );
    } catch (error) {
      this.fileModes.restore(maskBefore);
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
    this.naming = next.naming;
    // The new shutdown_script is the one run at stop; a startup_script only ever runs at start.
    this.startStop.configure(next.health);
    const summary = reloadSummary(result);
    this.lastReload = { at: new Date().toISOString(), result: summary };
    this.logger.info({ event: 'reload', phase: 'done', ...result }, `reloaded: ${summary}`);
  }

  /** Writes one dump file and logs it; returns its path, throws when it cannot be written. */
  private writeDumpFile(name: string, document: (context: DumpContext) => unknown): string {
    const file = name === DATA_FILE && this.naming ? dataFileName(name, this.naming) : name;
    // The recording holds every router's configuration, passwords included, and keepalived has no such
    // file whose mode to follow: 0600 whatever the umask, like keepalived.conf itself.
    const mode = name === RECORDING_FILE ? PRIVATE_MODE : this.fileModes.modes.dump;
    const path = writeDump(this.options.dumpDir, file, document(this.context), mode);
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
  if (options.configTest) await configTest(program, options);
  // Read once before anything else: net_namespace starts this process again inside the namespace.
  const first = readConfig(options);
  const daemon = new Vrrpd(options, first instanceof ConfigLoadError ? undefined : first.naming);
  daemon.enterNamespace(first instanceof ConfigLoadError ? undefined : first.naming);
  const { logger, instances } = daemon;
  const signals = new StopSignals({
    logger,
    stop: (code) => daemon.stop(code),
    exitNow: (code) => daemon.finish(code),
  });
  const handlers = watchDaemonSignals(logger);
  const loaded = daemon.load(first);
  // Before the pid files, the sockets and the first stale-VIP clean-up: without them nothing starts.
  const missing = capabilityProblem();
  if (missing !== undefined) {
    logger.error({ event: 'error', operation: 'start', reason: 'capabilities' }, `cannot start: ${missing}`);
    program.say(`cannot start: ${missing}`);
    return daemon.finish(EXIT.failed);
  }
  await daemon.claim(loaded.naming);
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
      return status(program, command.kind, command.json, command.socket);
    case 'run':
      return run(command.options);
  }
}

program.run(main);

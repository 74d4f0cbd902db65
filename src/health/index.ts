// startHealth: runs a HealthPlan beside an Engine. Checks report verdicts; each verdict becomes the
// core's `track` input for every router that tracks the check (keepalived's weights, see tracks.ts);
// state changes run the notify commands; sync groups move their routers together (sync-groups.ts).
// Nothing here blocks the event loop: scripts and notify commands are started by the addon off the JS
// thread (command-runner.ts), sockets and /proc reads are asynchronous.

import type { Engine, StateChangeEvent } from '../engine/engine.js';
import type { RuntimeLogger } from '../model/logger.js';
import type { CheckStatus, CheckVerdict, RunningCheck } from './check.js';
import { FileCheck, parseTrackFileValue, readTrackFileSync } from './checks/file.js';
import { PingSessions } from './checks/icmp.js';
import { InterfaceCheck, type LinkSource } from './checks/interface.js';
import { ProcessCheck } from './checks/process.js';
import { probeScript } from './checks/script.js';
import { probeTcp } from './checks/tcp.js';
import { CommandPreparation } from './command-prep.js';
import { CommandRunner } from './command-runner.js';
import {
  DEFAULT_NOTIFY_TIMEOUT_MS,
  NotifyQueues,
  notifyCommandsFor,
  notifyStateOf,
  type NotifyState,
} from './notify.js';
import { NotifyFifos, notifyFifoLine } from './notify-fifo.js';
import { NotifyEvents } from './notify-events.js';
import type { CheckSpec, HealthPlan, NotifySpec, ScriptCheckSpec, TrackSpec } from '../model/health-plan.js';
import { PolledCheck } from './polled-check.js';
import { leaveSyncGroup, SyncGroups } from './sync-groups.js';
import { trackInput } from './tracks.js';
import { checkHealthPlan } from './validate.js';

export type { CheckStatus } from './check.js';
export type { LinkSource, LinkChange } from './checks/interface.js';
export * from '../model/health-plan.js';

export interface HealthDeps {
  readonly engine: Engine;
  /** The runtime's link watcher; needed by interface checks only. */
  readonly links?: LinkSource;
  readonly logger: RuntimeLogger;
}

export interface HealthHandle {
  /** Stops every check, waits for queued notify commands (notify_stop among them), ends the runner. */
  stop(): Promise<void>;
  status(): CheckStatus[];
  /** Notify commands waiting or running (tests and status). */
  readonly pendingNotifications: number;
  /** State changes whose notify was replaced by a newer one of the same subject before it ran. */
  readonly notificationsSuperseded: number;
  /**
   * The routers a reload is about to remove: their release notifies FAULT or DELETED as keepalived's
   * reload does, not STOP (notify-events.ts). Called with [] once the reload is over.
   */
  markDeleting(routers: readonly string[]): void;
}

interface Context {
  readonly runner: CommandRunner;
  readonly pings: PingSessions;
  readonly links: LinkSource | undefined;
  readonly preparation: CommandPreparation;
  readonly logger: RuntimeLogger;
}

/** A running check per spec, in order; polled ones start spread over their interval. */
function createChecks(specs: readonly CheckSpec[], context: Context): RunningCheck[] {
  const polled = specs.filter((spec) => spec.kind === 'script' || spec.kind === 'tcp' || spec.kind === 'icmp').length;
  let polledIndex = 0;
  // Polled checks start spread over their interval (the i-th of n after i/n of it), not all at once.
  return specs.map((spec) => createCheck(spec, context, () => polledIndex++ / Math.max(1, polled)));
}

/** What hands a check's verdict to every router that tracks it (engine.input), by check name. */
function trackFeeder(
  tracks: readonly TrackSpec[],
  engine: Engine,
  logger: RuntimeLogger,
): (check: RunningCheck, verdict: CheckVerdict) => void {
  const tracksByCheck = new Map<string, TrackSpec[]>();
  for (const track of tracks) {
    const list = tracksByCheck.get(track.check);
    if (list === undefined) tracksByCheck.set(track.check, [track]);
    else list.push(track);
  }
  return (check: RunningCheck, verdict: CheckVerdict): void => {
    for (const track of tracksByCheck.get(check.name) ?? []) {
      try {
        engine.input(track.router, trackInput(track, verdict));
      } catch (error) {
        // The router was removed from a running engine (a reload) before this plan was replaced.
        logger.warn(
          { event: 'healthCheck', check: check.name, router: track.router },
          `check ${check.name}: ${(error as Error).message}`,
        );
      }
    }
  };
}

/** Each check's first verdict to its routers, then the checks run and report each new verdict. */
function startChecks(
  checks: readonly RunningCheck[],
  feed: (check: RunningCheck, verdict: CheckVerdict) => void,
  logger: RuntimeLogger,
): void {
  for (const check of checks) feed(check, check.verdict());
  for (const check of checks) {
    check.start((verdict) => {
      logVerdict(logger, check, verdict);
      feed(check, verdict);
    });
  }
}

/** The line for a check's new verdict. */
function logVerdict(logger: RuntimeLogger, check: RunningCheck, verdict: CheckVerdict): void {
  const status = check.status();
  logger.info(
    {
      event: 'healthCheck',
      check: check.name,
      kind: check.kind,
      up: verdict.up,
      ...(verdict.value !== undefined ? { value: verdict.value } : {}),
      result: status.lastResult,
    },
    `check ${check.name} ${verdict.value !== undefined ? `reads ${verdict.value}` : verdict.up ? 'up' : 'down'} (${status.lastResult})`,
  );
}

/**
 * Starts the plan's checks and feeds the engine. Call it before `engine.start()` when possible: the
 * initial verdicts (a script with init_fail, a file's number, an interface that is down) then shape
 * the routers' startup, as in keepalived. Throws a ConfigError for a plan that names unknown routers
 * or checks, or an Error for an interface check without a link source.
 */
export function startHealth(
  plan: HealthPlan,
  deps: HealthDeps,
  options: { readonly notifyCurrentStates?: boolean; readonly notifyAfter?: Promise<void> } = {},
): HealthHandle {
  const { engine, logger } = deps;
  checkHealthPlan(plan, engine.routerNames());
  const runner = new CommandRunner();
  const preparation = new CommandPreparation(plan.scriptSecurity);
  const context: Context = { runner, pings: new PingSessions(), links: deps.links, preparation, logger };
  const checks = createChecks(plan.checks, context);
  const feed = trackFeeder(plan.tracks, engine, logger);

  const queues = new NotifyQueues(
    runner,
    logger,
    plan.notifyTimeoutMs ?? DEFAULT_NOTIFY_TIMEOUT_MS,
    preparation,
    options.notifyAfter,
  );
  const fifos = new NotifyFifos(plan.notifyFifos ?? [], logger, preparation);
  const notifyByRouter = new Map<string, NotifySpec>(plan.notify.map((spec) => [spec.router, spec]));
  const events = new NotifyEvents(engine, notifyByRouter, fifos, queues);
  let syncGroups: SyncGroups | undefined;
  const onStateChange = (event: StateChangeEvent): void => {
    if (event.from === 'Initialize') syncGroups?.memberStarting(event.router, event.to);
    const state = events.notifyStateFor(event, notifyStateOf(event.to));
    if (state === undefined) return;
    // The FIFO line first and at once, as keepalived writes it before it forks the scripts.
    fifos.write(notifyFifoLine('INSTANCE', event.router, state, event.priority));
    const spec = notifyByRouter.get(event.router);
    if (spec === undefined) return;
    queues.enqueue(
      `INSTANCE ${event.router}`,
      notifyCommandsFor(spec, 'INSTANCE', event.router, state, event.priority),
    );
  };
  // Ours first: a member's line is written before the group's line it leads to, as keepalived's.
  engine.on('stateChange', onStateChange);
  // keepalived gives a group's `notify` a priority argument too; it means nothing for a group: 0.
  syncGroups = new SyncGroups(plan.syncGroups, engine, logger, (group: string, state: NotifyState) => {
    fifos.write(notifyFifoLine('GROUP', group, state, 0));
    const spec = plan.syncGroups.find((candidate) => candidate.name === group);
    if (spec?.notify !== undefined)
      queues.enqueue(`GROUP ${group}`, notifyCommandsFor(spec.notify, 'GROUP', group, state, 0));
  });
  if (options.notifyCurrentStates !== false && engine.running) replayCurrentStates(engine, onStateChange);
  else if (plan.fifoStatesOnReload === true && engine.running) {
    // fifo_write_vrrp_states_on_reload: the FIFOs (not the scripts) hear every state again.
    replayCurrentStates(engine, (event) =>
      fifos.write(notifyFifoLine('INSTANCE', event.router, notifyStateOf(event.to), event.priority)),
    );
  }

  startChecks(checks, feed, logger);

  let stopping: Promise<void> | undefined;
  return {
    status: () => checks.map((check) => check.status()),
    get pendingNotifications() {
      return queues.pending;
    },
    get notificationsSuperseded() {
      return queues.superseded;
    },
    markDeleting: (routers) => events.markDeleting(routers),
    stop() {
      stopping ??= (async () => {
        for (const check of checks) check.stop();
        syncGroups.close();
        // Stop the engine first: its STOP state changes are queued by then, and run before this resolves.
        engine.off('stateChange', onStateChange);
        events.close();
        fifos.close();
        await queues.drain();
        runner.close();
        context.pings.close();
      })();
      return stopping;
    },
  };
}

/**
 * A new plan for a running engine (a reload): the old plan's checks stop (its queued notify commands
 * still run), tracks the new plan no longer has are neutralised (the router forgets their weight and
 * any Fault they held), and the new plan starts.
 */
export function replaceHealth(
  previous: { readonly handle: HealthHandle; readonly plan: HealthPlan } | undefined,
  plan: HealthPlan,
  deps: HealthDeps,
): HealthHandle {
  let previousStopped: Promise<void> | undefined;
  if (previous !== undefined) {
    previousStopped = previous.handle
      .stop()
      .catch((error: Error) =>
        deps.logger.error({ event: 'health-error' }, `stopping the previous health checks: ${error.message}`),
      );
    const routers = new Set(deps.engine.routerNames());
    const kept = new Set(plan.tracks.map((track) => `${track.router}\0${track.check}`));
    for (const track of previous.plan.tracks) {
      if (!routers.has(track.router) || kept.has(`${track.router}\0${track.check}`)) continue;
      deps.engine.input(track.router, { kind: 'track', name: track.check, up: true, weight: 0 });
    }
    // Members of a group the new plan no longer has would wait for that group forever.
    const grouped = new Set(plan.syncGroups.flatMap((group) => group.routers));
    for (const router of previous.plan.syncGroups.flatMap((group) => group.routers)) {
      if (routers.has(router) && !grouped.has(router)) leaveSyncGroup(deps.engine, router);
    }
  }
  // The routers' states were notified by the previous plan: only changes from now on run commands,
  // and only after the previous plan's queued ones (order per instance holds across a reload).
  return startHealth(plan, deps, {
    notifyCurrentStates: previous === undefined,
    ...(previousStopped ? { notifyAfter: previousStopped } : {}),
  });
}

/**
 * Started beside an engine that already runs (the Linux runtime starts it): its routers' first state
 * changes happened without us, and keepalived runs notify for the state an instance starts in.
 */
function replayCurrentStates(engine: Engine, onStateChange: (event: StateChangeEvent) => void): void {
  for (const snapshot of engine.snapshot()) {
    const config = engine.routerConfig(snapshot.name);
    if (snapshot.state === 'Initialize' || config === undefined) continue;
    onStateChange({
      router: snapshot.name,
      interface: config.interface,
      vrid: snapshot.vrid,
      from: 'Initialize',
      to: snapshot.state,
      reason: snapshot.lastTransition?.reason ?? 'startup',
      priority: snapshot.effectivePriority,
      atMs: snapshot.lastTransition?.atMs ?? 0,
    });
  }
}

function createCheck(spec: CheckSpec, context: Context, phase: () => number): RunningCheck {
  switch (spec.kind) {
    case 'script':
      return new PolledCheck(spec.name, 'script', spec, !spec.initFail, scriptProbe(spec, context), phase());
    case 'tcp':
      return new PolledCheck(
        spec.name,
        'tcp',
        spec,
        true,
        () => probeTcp(spec.host, spec.port, spec.timeoutMs),
        phase(),
      );
    case 'icmp':
      return new PolledCheck(
        spec.name,
        'icmp',
        spec,
        true,
        () => context.pings.probe(spec.host, spec.timeoutMs),
        phase(),
      );
    case 'file':
      return new FileCheck({ ...spec, ...initialFileValue(spec.path, spec.initValue) });
    case 'process':
      return new ProcessCheck(spec);
    case 'interface':
      if (context.links === undefined)
        throw new Error(`check ${spec.name}: interface checks need the runtime's link watcher`);
      return new InterfaceCheck(spec, context.links);
  }
}

/**
 * The file's number now, once, at start (a few bytes, before the routers start), so a router starts
 * with the right priority as keepalived's does; afterwards the file is only read asynchronously.
 */
function initialFileValue(path: string, initValue: number | undefined): { initValue?: number } {
  try {
    return { initValue: parseTrackFileValue(readTrackFileSync(path)) ?? 0 };
  } catch {
    return initValue !== undefined ? { initValue } : {};
  }
}

/** A script's probe; a refused script never runs and stays failed (logged once). */
function scriptProbe(spec: ScriptCheckSpec, context: Context): () => Promise<{ ok: boolean; detail: string }> {
  const prepared = context.preparation.prepare(spec.command[0]!, spec.user, spec.group);
  void prepared.then(({ refused }) => {
    if (refused !== undefined)
      context.logger.error(
        { event: 'healthCheck', check: spec.name, refused },
        `script ${spec.name} is not run: ${refused}`,
      );
  });
  return async () => {
    const { runAs, refused } = await prepared;
    if (refused !== undefined) return { ok: false, detail: `not run: ${refused}` };
    return probeScript(context.runner, spec.command, spec.timeoutMs, runAs);
  };
}

// keepalived's notify FIFOs (global notify_fifo and vrrp_notify_fifo): each state change is one line,
// `INSTANCE "VI_1" MASTER 100` or `GROUP "G1" BACKUP 0`, written at once, in order, to every FIFO
// (byte for byte as keepalived 2.2.7 writes them: checked beside keepalived in
// test/health/notify-fifo.root.test.ts). As keepalived: a FIFO that does not exist is made (mode 0600,
// or the spec's: bin/vrrpd gives keepalived's 0644 less the umask; removed at stop); it is opened read-write and non-blocking, so no reader is needed and a slow one
// never holds the engine up (a line that does not fit is dropped, counted and logged); the
// `*_fifo_script` is started with the FIFO's name as its last argument and ended with SIGTERM at stop.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, closeSync, constants, lstatSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { hasCode } from '../errors.js';
import type { RuntimeLogger } from '../model/logger.js';
import type { CommandPreparation } from './command-prep.js';
import type { NotifyState, NotifySubject } from './notify.js';
import type { NotifyFifoSpec } from '../model/health-plan.js';
import { resolveRunAs } from './users.js';

/** The third word of a FIFO line: a state, or one of the events of notify-events.ts. */
export type NotifyFifoWord = NotifyState | 'MASTER_RX_LOWER_PRI' | 'MASTER_PRIORITY' | 'BACKUP_PRIORITY';

/** keepalived's line: the last four arguments its `notify` script gets, the name in double quotes. */
export function notifyFifoLine(subject: NotifySubject, name: string, state: NotifyFifoWord, priority: number): string {
  return `${subject} "${name}" ${state} ${priority}\n`;
}

interface OpenFifo {
  readonly spec: NotifyFifoSpec;
  readonly fd: number;
  /** Made by us: removed at close, as keepalived removes the FIFOs it made. */
  readonly created: boolean;
  script?: ChildProcess | undefined;
}

/** The FIFOs of one health plan; `close` ends their scripts and closes (and removes) them. */
export class NotifyFifos {
  private readonly open: OpenFifo[] = [];
  /** Lines not written because a FIFO was full (its reader too slow or gone). */
  dropped = 0;
  private readonly logger: RuntimeLogger;

  constructor(specs: readonly NotifyFifoSpec[], logger: RuntimeLogger, preparation: CommandPreparation) {
    this.logger = logger;
    for (const spec of specs) {
      try {
        const fifo = openFifo(spec);
        this.open.push(fifo);
        if (fifo.created && spec.owner !== undefined) {
          chownFifo(spec.path, spec.owner.user, spec.owner.group).catch((error: Error) =>
            logger.error(
              { event: 'notify-fifo', fifo: spec.path },
              `notify FIFO ${spec.path}: cannot give it to ${spec.owner?.user}: ${error.message}`,
            ),
          );
        }
        if (spec.script !== undefined) void this.startScript(fifo, spec.script, preparation);
      } catch (error) {
        logger.error(
          { event: 'notify-fifo', fifo: spec.path },
          `notify FIFO ${spec.path}: ${(error as Error).message}`,
        );
      }
    }
  }

  get size(): number {
    return this.open.length;
  }

  write(line: string): void {
    const bytes = Buffer.from(line);
    for (const fifo of this.open) {
      try {
        writeSync(fifo.fd, bytes);
      } catch (error) {
        this.dropped++;
        this.logger.warn(
          { event: 'notify-fifo', fifo: fifo.spec.path, dropped: this.dropped },
          `notify FIFO ${fifo.spec.path}: line not written (${(error as Error).message})`,
        );
      }
    }
  }

  close(): void {
    for (const fifo of this.open.splice(0)) {
      fifo.script?.kill('SIGTERM');
      closeSync(fifo.fd);
      if (fifo.created) {
        try {
          unlinkSync(fifo.spec.path);
        } catch {
          // Removed by someone else already.
        }
      }
    }
  }

  private async startScript(fifo: OpenFifo, argv: readonly string[], preparation: CommandPreparation): Promise<void> {
    const { runAs, refused } = await preparation.prepare(argv[0]!, fifo.spec.scriptUser, fifo.spec.scriptGroup);
    if (refused !== undefined) {
      this.logger.error(
        { event: 'notify-fifo', fifo: fifo.spec.path, command: argv, refused },
        `notify FIFO script ${argv[0]} is not run: ${refused}`,
      );
      return;
    }
    if (!this.open.includes(fifo)) return; // closed while the user was looked up
    const child = spawn(argv[0]!, [...argv.slice(1), fifo.spec.path], { stdio: 'ignore', ...(runAs ?? {}) });
    fifo.script = child;
    child.on('error', (error) =>
      this.logger.error(
        { event: 'notify-fifo', fifo: fifo.spec.path, command: argv },
        `notify FIFO script ${argv[0]}: ${error.message}`,
      ),
    );
    child.on('exit', (code, signal) => {
      if (fifo.script === child) fifo.script = undefined;
      this.logger.info(
        { event: 'notify-fifo', fifo: fifo.spec.path, command: argv, code, signal },
        `notify FIFO script ${argv[0]} ended (${signal ?? `exit ${code}`})`,
      );
    });
  }
}

function openFifo(spec: NotifyFifoSpec): OpenFifo {
  let created = false;
  let exists = true;
  try {
    if (!lstatSync(spec.path).isFIFO()) throw new Error('exists and is not a FIFO');
  } catch (error) {
    if (!hasCode(error, 'ENOENT')) throw error;
    exists = false;
  }
  if (!exists) {
    // Node has no mkfifo(3); coreutils' mkfifo makes it once, at start or reload.
    const mode = (spec.mode ?? 0o600).toString(8);
    const made = spawnSync('mkfifo', ['-m', mode, spec.path], { encoding: 'utf8' });
    if (made.status !== 0) throw new Error(`cannot be made: ${made.error?.message ?? made.stderr.trim()}`);
    created = true;
  }
  // Read-write: open does not wait for a reader and writes do not fail when none is there.
  const fd = openSync(spec.path, constants.O_RDWR | constants.O_NONBLOCK | constants.O_NOFOLLOW);
  return { spec, fd, created };
}

async function chownFifo(path: string, user: string, group: string | undefined): Promise<void> {
  const { uid, gid } = await resolveRunAs(user, group);
  chownSync(path, uid, gid);
}

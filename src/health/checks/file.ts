// vrrp_track_file: the file holds a number, and each tracking router's priority moves by that number
// times its weight (tracks.ts does the arithmetic). Read when the file changes (fs.watch on its
// directory, as keepalived uses inotify) and on a timer besides, in case a change notification is
// missed (some filesystems give none). A missing, unreadable or non-numeric file reads as 0, as in
// keepalived, and says so in its status. The path is often in a directory others can write to (/tmp in
// keepalived's examples): a FIFO, a link to /dev/zero or a link planted for init_file to write through
// must not stall, exhaust or aim the daemon, so reads are non-blocking, bounded and of regular files
// only, and the initial value is never written through a link.

import { closeSync, constants, fstatSync, openSync, readSync, watch, type FSWatcher } from 'node:fs';
import { access, open, writeFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { FileCheckSpec } from '../../model/health-plan.js';
import type { CheckStatus, CheckVerdict, RunningCheck } from '../check.js';
import { errorCode } from '../../errors.js';

const DEFAULT_INTERVAL_MS = 1000;

/** A track file holds one number: nothing beyond this many bytes is read. */
const MAX_READ_BYTES = 4096;
// O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer.
const READ_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK;
const INIT_WRITE_FLAGS =
  constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW | constants.O_NONBLOCK;

function notRegular(path: string): Error {
  return new Error(`${path} is not a regular file`);
}

/** The head of the track file, read at once (the start's first value); throws when it is not a regular file. */
export function readTrackFileSync(path: string): string {
  const fd = openSync(path, READ_FLAGS);
  try {
    if (!fstatSync(fd).isFile()) throw notRegular(path);
    const buffer = Buffer.alloc(MAX_READ_BYTES);
    return buffer.subarray(0, readSync(fd, buffer, 0, MAX_READ_BYTES, 0)).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

async function readTrackFile(path: string): Promise<string> {
  const handle = await open(path, READ_FLAGS);
  try {
    if (!(await handle.stat()).isFile()) throw notRegular(path);
    const buffer = Buffer.alloc(MAX_READ_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, MAX_READ_BYTES, 0);
    return buffer.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
}

export function parseTrackFileValue(text: string): number | undefined {
  const match = /^\s*([+-]?\d+)/.exec(text);
  return match ? Number(match[1]) : undefined;
}

export class FileCheck implements RunningCheck {
  readonly name: string;
  readonly kind = 'file' as const;
  private readonly spec: FileCheckSpec;
  private value = 0;
  private lastResult = 'not read yet';
  private runs = 0;
  private timer: NodeJS.Timeout | undefined;
  private watcher: FSWatcher | undefined;
  private stopped = false;
  private reading = false;
  private readAgain = false;
  private onChange: ((verdict: CheckVerdict) => void) | undefined;

  constructor(spec: FileCheckSpec) {
    this.name = spec.name;
    this.spec = spec;
    if (spec.initValue !== undefined) this.value = spec.initValue;
  }

  verdict(): CheckVerdict {
    return { up: true, value: this.value };
  }

  status(): CheckStatus {
    return {
      name: this.name,
      kind: this.kind,
      up: true,
      value: this.value,
      lastResult: this.lastResult,
      failures: 0,
      successes: 0,
      runs: this.runs,
    };
  }

  start(onChange: (verdict: CheckVerdict) => void): void {
    this.onChange = onChange;
    void this.initialise().then(() => {
      if (this.stopped) return;
      try {
        this.watcher = watch(dirname(this.spec.path), (_event, file) => {
          if (file === null || file === basename(this.spec.path)) void this.read();
        });
        this.watcher.on('error', () => undefined); // the timer keeps reading
      } catch {
        // The directory may not exist yet: the timer reads the file when it appears.
      }
      this.tick();
    });
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.watcher?.close();
  }

  private tick(): void {
    void this.read();
    if (!this.stopped) this.timer = setTimeout(() => this.tick(), this.spec.intervalMs ?? DEFAULT_INTERVAL_MS);
  }

  /** keepalived init_file: writes the initial value when the file is missing (or always, with overwrite). */
  private async initialise(): Promise<void> {
    if (this.spec.initValue === undefined) return;
    const exists = await access(this.spec.path).then(
      () => true,
      () => false,
    );
    if (exists && !this.spec.initOverwrite) return;
    await writeFile(this.spec.path, `${this.spec.initValue}\n`, { flag: INIT_WRITE_FLAGS }).catch((error: Error) => {
      this.lastResult = `cannot write the initial value: ${error.message}`;
    });
  }

  private async read(): Promise<void> {
    if (this.reading) {
      this.readAgain = true;
      return;
    }
    this.reading = true;
    do {
      this.readAgain = false;
      let next: number;
      try {
        const parsed = parseTrackFileValue(await readTrackFile(this.spec.path));
        next = parsed ?? 0;
        this.lastResult = parsed === undefined ? 'no number in the file: 0' : `value ${parsed}`;
      } catch (error) {
        next = 0;
        this.lastResult = `${errorCode(error) ?? (error instanceof Error ? error.message : String(error))}: 0`;
      }
      this.runs++;
      if (this.stopped) break;
      if (next !== this.value) {
        this.value = next;
        this.onChange?.(this.verdict());
      }
    } while (this.readAgain);
    this.reading = false;
  }
}

// Where log lines go: a file descriptor written without ever waiting for its reader, through a
// bounded queue. A line is written at once when the descriptor takes it; when the reader is slow
// (EAGAIN) lines wait in the queue, retried from a timer, and a line that would take the queue past
// its bound is dropped and counted. At exit, flushSync writes what waits, for a bounded time.
//
// Why not sonic-boom (pino.destination): with sync: true it sleeps on EAGAIN, stalling the process;
// with sync: false its writes run on libuv's thread pool, so a write can still be in flight when the
// process exits, and its flushSync retries any error other than EAGAIN (EPIPE from a dead reader)
// forever, which pino's own exit hook calls. Non-blocking writes from this thread have neither problem.

import { fstatSync, writeSync } from 'node:fs';
import { errorCode } from '../errors.js';

/** How often a full descriptor is tried again. */
const RETRY_MS = 20;
/** The exit flush's pause between tries at a full descriptor. */
const EXIT_RETRY_MS = 10;

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function isEagain(error: unknown): boolean {
  const code = errorCode(error);
  return code === 'EAGAIN' || code === 'EWOULDBLOCK';
}

/**
 * A pipe or socket on stdout gets O_NONBLOCK (Node's process.stdout opens it so), so a full one
 * answers EAGAIN instead of parking the write. Files take writes at disk speed; a terminal is left
 * as it is.
 */
function makeNonBlocking(fd: number): void {
  if (fd !== 1) return;
  try {
    const stat = fstatSync(fd);
    if (stat.isFIFO() || stat.isSocket()) void process.stdout;
  } catch {
    // A closed stdout: writes fail and are ignored.
  }
}

export class BoundedLogOutput {
  /** Lines dropped since start because the queue was full or the reader gone. */
  droppedLines = 0;
  private unreported = 0;
  private readonly queue: Buffer[] = [];
  private queuedBytes = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  /** EPIPE or another hard error: the reader is gone for good. */
  private closed = false;

  /** `onDrain` runs when a queue that had to wait is empty again. */
  constructor(
    private readonly fd: number,
    private readonly maxQueuedBytes: number,
    private readonly onDrain: () => void,
  ) {
    makeNonBlocking(fd);
  }

  write(line: string): void {
    if (this.closed) {
      this.drop();
      return;
    }
    const bytes = Buffer.from(line);
    if (this.queue.length > 0) {
      this.enqueue(bytes);
      return;
    }
    const rest = this.writeNow(bytes);
    if (rest !== undefined && rest.length > 0) {
      // A partly written line is never dropped: its other half must follow.
      this.queue.push(rest);
      this.queuedBytes += rest.length;
      this.armRetry();
    }
  }

  /** Lines dropped since the last call. */
  takeUnreported(): number {
    const count = this.unreported;
    this.unreported = 0;
    return count;
  }

  /** Writes what waits, trying a full descriptor again until `withinMs` has passed. For 'exit'. */
  flushSync(withinMs: number): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const deadlineMs = Date.now() + withinMs;
    while (this.queue.length > 0 && !this.closed) {
      if (this.writeHead()) continue;
      if (this.closed || Date.now() >= deadlineMs) return;
      sleepMs(EXIT_RETRY_MS);
    }
  }

  private enqueue(bytes: Buffer): void {
    if (this.queuedBytes + bytes.length > this.maxQueuedBytes) {
      this.drop();
      return;
    }
    this.queue.push(bytes);
    this.queuedBytes += bytes.length;
  }

  private drop(): void {
    this.droppedLines++;
    this.unreported++;
  }

  /** What is left of `bytes` after one non-blocking write; undefined if the reader is gone. */
  private writeNow(bytes: Buffer): Buffer | undefined {
    try {
      const written = writeSync(this.fd, bytes);
      return bytes.subarray(written);
    } catch (error) {
      if (isEagain(error)) return bytes;
      this.close();
      return undefined;
    }
  }

  /** Writes (some of) the queue's first line; false when the descriptor took nothing. */
  private writeHead(): boolean {
    const head = this.queue[0]!;
    const rest = this.writeNow(head);
    if (rest === undefined || rest.length === head.length) return false;
    this.queuedBytes -= head.length - rest.length;
    if (rest.length === 0) this.queue.shift();
    else this.queue[0] = rest;
    return true;
  }

  private armRetry(): void {
    if (this.retryTimer !== undefined) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      while (this.queue.length > 0 && this.writeHead());
      if (this.queue.length > 0) {
        if (!this.closed) this.armRetry();
      } else {
        this.onDrain();
      }
    }, RETRY_MS);
    // Logs alone do not keep the process alive; the exit flush writes what still waits.
    this.retryTimer.unref();
  }

  private close(): void {
    this.closed = true;
    this.droppedLines += this.queue.length;
    this.queue.length = 0;
    this.queuedBytes = 0;
  }
}

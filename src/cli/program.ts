// What the four programs (vrrpd, vrrp-engine, ipfailover, vrrp-sim) share on their command line:
// --help and --version, one error line style (`NAME: message`, usage errors pointing at --help), the
// exit statuses, and a reader that went away (`vrrp-sim | head`) ending the output quietly.

import { readFileSync } from 'node:fs';
import { hasCode } from '../errors.js';

/**
 * The exit statuses every program uses: 0 done (stopped by a signal, or the check passed), 1 could not
 * run (no capability, a socket refused, an internal error; for vrrp-sim: an invariant was violated),
 * 2 bad usage or configuration. vrrpd keeps keepalived's own instead (keepaliveExitStatus).
 */
export const EXIT_STATUS = { ok: 0, failed: 1, usage: 2, config: 2 } as const;

/**
 * keepalived 2.2.7's exit statuses as observed, so scripts that test them keep working: 1 for bad
 * usage or a failed start, 2 when it stops on a configuration error, 5 when -t finds errors.
 */
export const KEEPALIVED_EXIT_STATUS = { ok: 0, failed: 1, usage: 1, config: 2, configTest: 5 } as const;

export interface ExitStatus {
  readonly ok: number;
  readonly failed: number;
  readonly usage: number;
  readonly config: number;
}

/** The version in package.json (dist/src/cli/ -> the package root), or "unknown". */
export function packageVersion(): string {
  try {
    const text = readFileSync(new URL('../../../package.json', import.meta.url), 'utf8');
    return String((JSON.parse(text) as { version?: unknown }).version ?? 'unknown');
  } catch {
    return 'unknown';
  }
}

export class Program {
  constructor(
    readonly name: string,
    private readonly help: string,
    readonly exit: ExitStatus = EXIT_STATUS,
  ) {}

  /** The line --version prints. */
  versionLine(): string {
    return `${this.name} (vrrp-engine) ${packageVersion()}`;
  }

  printHelp(): never {
    process.stdout.write(`${this.help}\n`);
    return process.exit(this.exit.ok);
  }

  printVersion(): never {
    process.stdout.write(`${this.versionLine()}\n`);
    return process.exit(this.exit.ok);
  }

  /** One line on stderr, `NAME: message`. */
  say(message: string): void {
    process.stderr.write(`${this.name}: ${message}\n`);
  }

  /** A usage error's two lines: what is wrong, and where the usage is. */
  usageLines(message: string): string {
    return `${this.name}: ${message}\n(${this.name} --help for usage)\n`;
  }

  usage(message: string): never {
    process.stderr.write(this.usageLines(message));
    return process.exit(this.exit.usage);
  }

  configError(message: string): never {
    this.say(`configuration error: ${message}`);
    return process.exit(this.exit.config);
  }

  /** Could not run: `NAME: cannot start: why`, exit 1. */
  cannotStart(message: string): never {
    this.say(`cannot start: ${message}`);
    return process.exit(this.exit.failed);
  }

  /**
   * Runs `main`; what it throws by mistake is one line naming the program and exit 1, not a bare stack
   * trace (the stack follows, for a bug report).
   */
  run(main: () => Promise<void> | void): void {
    const internal = (error: unknown): void => {
      this.say(`internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      process.exit(this.exit.failed);
    };
    try {
      Promise.resolve(main()).catch(internal);
    } catch (error) {
      internal(error);
    }
  }
}

/**
 * A reader that closes its end early (`vrrp-sim | head`) makes the next write fail with EPIPE (Node
 * ignores SIGPIPE): the output ends there, quietly, with the exit status already decided. For the
 * programs that print a result; a daemon's log output handles its reader itself (log-output.ts).
 */
export function endQuietlyOnClosedOutput(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: unknown) => {
      if (!hasCode(error, 'EPIPE')) throw error;
      process.exit(typeof process.exitCode === 'number' ? process.exitCode : EXIT_STATUS.ok);
    });
  }
}

// Diagnostics of the keepalived.conf reader: every finding names the file and line it came from, so an
// operator can go straight to it. Errors are collected (not thrown one by one) so a single run lists
// every mistake in the file, as `keepalived -t` does.

import { ConfigurationError } from '../../errors.js';
import { READER_LIMITS } from './limits.js';

export interface ConfigDiagnostic {
  readonly severity: 'error' | 'warning';
  readonly file: string;
  readonly line: number;
  readonly message: string;
}

/** Where a word or statement came from. */
export interface SourcePosition {
  readonly file: string;
  readonly line: number;
}

export function formatDiagnostic(d: ConfigDiagnostic): string {
  return `${d.file}:${d.line}: ${d.severity}: ${d.message}`;
}

/**
 * The configuration cannot be run; `diagnostics` holds every error found (and the warnings), `file`
 * and `line` say where the first error is.
 */
export class KeepalivedConfigError extends ConfigurationError {
  readonly diagnostics: readonly ConfigDiagnostic[];

  constructor(diagnostics: readonly ConfigDiagnostic[]) {
    const errors = diagnostics.filter((d) => d.severity === 'error');
    const first = errors[0];
    super(`${errors.length} error(s) in keepalived configuration:\n${errors.map(formatDiagnostic).join('\n')}`, {
      file: first?.file,
      line: first?.line,
    });
    this.name = 'KeepalivedConfigError';
    this.diagnostics = diagnostics;
  }
}

/**
 * Collects diagnostics in the order they are found, at most READER_LIMITS.diagnostics of them: the
 * rest are counted, and `items` ends with one error saying how many were left out (at the first of them).
 */
export class DiagnosticList {
  private readonly kept: ConfigDiagnostic[] = [];
  private errors = 0;
  private left = 0;
  private firstLeftOut: SourcePosition | undefined;

  error(at: SourcePosition, message: string): void {
    this.errors++;
    this.add({ severity: 'error', file: at.file, line: at.line, message });
  }

  /** An error that ends the read (a limit crossed): kept even when the list is full, as it says why reading stopped. */
  fatal(at: SourcePosition, message: string): void {
    this.errors++;
    this.kept.push({ severity: 'error', file: at.file, line: at.line, message });
  }

  warning(at: SourcePosition, message: string): void {
    this.add({ severity: 'warning', file: at.file, line: at.line, message });
  }

  private add(d: ConfigDiagnostic): void {
    if (this.kept.length < READER_LIMITS.diagnostics) {
      this.kept.push(d);
      return;
    }
    this.left++;
    this.firstLeftOut ??= d;
  }

  get items(): readonly ConfigDiagnostic[] {
    if (this.left === 0 || this.firstLeftOut === undefined) return this.kept;
    const { file, line } = this.firstLeftOut;
    return [
      ...this.kept,
      {
        severity: 'error',
        file,
        line,
        message: `${this.left} more error(s) and warning(s) not shown (limit diagnostics: ${READER_LIMITS.diagnostics})`,
      },
    ];
  }

  get hasErrors(): boolean {
    return this.errors > 0;
  }

  /** Every error reported, those left out of `items` included. */
  get errorCount(): number {
    return this.errors;
  }
}

// Diagnostics of the keepalived.conf reader: every finding names the file and line it came from, so an
// operator can go straight to it. Errors are collected (not thrown one by one) so a single run lists
// every mistake in the file, as `keepalived -t` does.

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

/** The configuration cannot be run; `diagnostics` holds every error found (and the warnings). */
export class KeepalivedConfigError extends Error {
  readonly diagnostics: readonly ConfigDiagnostic[];

  constructor(diagnostics: readonly ConfigDiagnostic[]) {
    const errors = diagnostics.filter((d) => d.severity === 'error');
    super(`${errors.length} error(s) in keepalived configuration:\n${errors.map(formatDiagnostic).join('\n')}`);
    this.name = 'KeepalivedConfigError';
    this.diagnostics = diagnostics;
  }
}

/** Collects diagnostics in the order they are found. */
export class DiagnosticList {
  readonly items: ConfigDiagnostic[] = [];

  error(at: SourcePosition, message: string): void {
    this.items.push({ severity: 'error', file: at.file, line: at.line, message });
  }

  warning(at: SourcePosition, message: string): void {
    this.items.push({ severity: 'warning', file: at.file, line: at.line, message });
  }

  get hasErrors(): boolean {
    return this.items.some((d) => d.severity === 'error');
  }
}

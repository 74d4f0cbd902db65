// Limits of the keepalived.conf reader. A configuration file is input like any other: a few lines of
// it (braces nested 5,000 deep, `{a,b}` 24 times in an include, a definition that uses itself, an
// include that names every file of its own directory) could otherwise overflow the stack or hold the
// process for minutes. Each limit is far above anything a real keepalived.conf needs (a file of 255
// instances, each with authentication, two VIPs and a tracked interface, is about 5,000 lines, 15,000
// words and 100 KiB) and ends the read with an error naming the file and line where it was crossed. See docs/keepalived-conf.md, "Limits".

export const READER_LIMITS = {
  /** `{ }` blocks inside blocks. keepalived's deepest real nesting is 4 (virtual_server / real_server / HTTP_GET / url). */
  blockDepth: 64,
  /** Files included from included files. */
  includeDepth: 32,
  /** Files read in all, the main one included; a file named twice is read twice (as keepalived does). */
  filesRead: 1024,
  /** Bytes of one file. */
  fileBytes: 4 * 1024 * 1024,
  /** Lines read in all: every line of every file read, every line a multi-line definition or a ~SEQ/~LST block produces. */
  lines: 100_000,
  /**
   * Bytes of those lines after definitions are replaced, counting every intermediate text a
   * replacement builds (a definition's value is scanned again), so the work is bounded, not only the result.
   */
  expandedBytes: 8 * 1024 * 1024,
  /** Words and braces handed to the parser. */
  tokens: 200_000,
  /** Bytes of one line, as written and after its definitions are replaced. */
  lineBytes: 64 * 1024,
  /** Definitions replaced in one line (a definition's value is scanned again, so they can chain). */
  replacementsPerLine: 256,
  /** Length of an include pattern (PATH_MAX). */
  patternBytes: 4096,
  /** `{a,b}` groups inside one another in an include pattern. */
  braceDepth: 32,
  /** Errors and warnings kept for the report (the rest are counted): one per line of a 100,000-line file would flood the log. */
  diagnostics: 1000,
  /** Patterns one include's `{a,b}` groups expand to. */
  braceAlternatives: 1024,
  /**
   * Paths include patterns look at in all: each directory entry a wildcard is tried on, each path
   * named without one. Files that match count again as files read; this bounds the work of patterns
   * that match nothing, or only directories (every directory of /usr/lib, named on 100,000 lines).
   */
  globPaths: 16_384,
} as const;

export type ReaderLimit = keyof typeof READER_LIMITS;

/**
 * A limit was crossed: reading stops at once (whatever follows could only cost more), and the reader
 * turns this into one error at `file:line`. Never leaves the reader.
 */
export class ReaderLimitExceeded extends Error {
  constructor(
    readonly limit: ReaderLimit,
    readonly file: string,
    readonly line: number,
    readonly detail: string,
  ) {
    super(`${detail} (limit ${limit}: ${READER_LIMITS[limit]}); the configuration is not read further`);
    this.name = 'ReaderLimitExceeded';
  }
}

/** The limits that are totals over one whole read (the others are checked where they apply). */
export type ReaderTotal = 'filesRead' | 'lines' | 'expandedBytes' | 'tokens' | 'globPaths';

/** What one read has spent; `spend` throws ReaderLimitExceeded once a total is crossed. */
export class ReaderBudget {
  private readonly spent: Record<ReaderTotal, number> = {
    filesRead: 0,
    lines: 0,
    expandedBytes: 0,
    tokens: 0,
    globPaths: 0,
  };

  spend(limit: ReaderTotal, amount: number, at: { readonly file: string; readonly line: number }, what: string): void {
    this.spent[limit] += amount;
    if (this.spent[limit] > READER_LIMITS[limit])
      throw new ReaderLimitExceeded(limit, at.file, at.line, `more than ${READER_LIMITS[limit]} ${what}`);
  }
}

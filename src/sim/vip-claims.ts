// The split-brain detection, modelled: per VIP, the episodes in which two or more live nodes held it at
// once, and whether a holder saw another node's gratuitous ARP / unsolicited NA for it meanwhile (what
// issue 16's conflict detection looks for: another link-layer address claiming our VIP). An episode no
// holder could see (the claims were cut, or nobody announced during it) is a missed split brain.

export interface VipConflict {
  readonly vip: string;
  /** Nodes that held the VIP at once (in node order), the first two that overlapped and any that joined. */
  readonly holders: readonly string[];
  readonly fromMs: number;
  /** Undefined: still open when the run ended. */
  readonly toMs: number | undefined;
  /** When a holder first heard another holder's claim; undefined = missed. */
  readonly foundAtMs: number | undefined;
  /** `holder heard claimant`. */
  readonly foundBy: string | undefined;
}

interface OpenEpisode {
  readonly vip: string;
  readonly holders: string[];
  readonly fromMs: number;
  foundAtMs: number | undefined;
  foundBy: string | undefined;
}

export class VipClaims {
  private readonly open = new Map<string, OpenEpisode>();
  private readonly closed: VipConflict[] = [];

  constructor(private readonly log: (text: string) => void) {}

  /** The VIP's current holders changed (in node order). */
  holdersChanged(atMs: number, vip: string, holders: readonly string[]): void {
    const episode = this.open.get(vip);
    if (holders.length >= 2) {
      if (episode === undefined) {
        this.open.set(vip, { vip, holders: [...holders], fromMs: atMs, foundAtMs: undefined, foundBy: undefined });
        this.log(`${vip} held by ${holders.join(' and ')} at once`);
      } else {
        for (const h of holders) if (!episode.holders.includes(h)) episode.holders.push(h);
      }
      return;
    }
    if (episode === undefined) return;
    this.open.delete(vip);
    this.closed.push(this.finish(episode, atMs));
    const lasted = `${(atMs - episode.fromMs).toFixed(1)} ms`;
    this.log(
      episode.foundAtMs === undefined
        ? `${vip}: two holders for ${lasted}, MISSED (no holder heard another's claim)`
        : `${vip}: two holders for ${lasted}, found after ${(episode.foundAtMs - episode.fromMs).toFixed(1)} ms`,
    );
  }

  /** `holder`, which holds `vip`, heard `claimant` announce it. */
  claimHeard(atMs: number, vip: string, holder: string, claimant: string): void {
    const episode = this.open.get(vip);
    if (episode === undefined || episode.foundAtMs !== undefined) return;
    episode.foundAtMs = atMs;
    episode.foundBy = `${holder} heard ${claimant}`;
    this.log(`${vip}: conflict found: ${holder} heard ${claimant} claim it`);
  }

  /** Closed episodes, then those still open at `endMs` (toMs undefined). */
  report(): VipConflict[] {
    return [...this.closed, ...[...this.open.values()].map((e) => ({ ...this.finish(e, 0), toMs: undefined }))];
  }

  private finish(episode: OpenEpisode, toMs: number): VipConflict {
    return {
      vip: episode.vip,
      holders: episode.holders,
      fromMs: episode.fromMs,
      toMs,
      foundAtMs: episode.foundAtMs,
      foundBy: episode.foundBy,
    };
  }
}

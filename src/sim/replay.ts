// Replays a flight recording (src/engine/flight-recorder.ts) through the same core the engine runs:
// one VirtualRouter per recorded router, one InterfaceDemux per interface, each input handed over at
// its recorded engine time. Packets go through the demux (the codec and the receive checks) as they
// did live. What comes out is the list of transitions, in the recording's own format, to be compared
// with the transitions the engine recorded.

import { InterfaceDemux } from '../core/demux.js';
import type { RouterAction, VirtualRouterConfig } from '../core/types.js';
import { VirtualRouter } from '../core/virtual-router.js';
import {
  RECORDING_FORMAT,
  RECORDING_VERSION,
  type RecordedEntry,
  type RecordedTransition,
  type Recording,
} from '../engine/flight-recorder.js';

export interface ReplayResult {
  readonly transitions: readonly RecordedTransition[];
  /** Inputs that could not be replayed (a packet longer than the recorder kept, an unknown router), with why. */
  readonly skipped: readonly string[];
}

/** Checks the document's format and version; throws with what is wrong. */
export function parseRecording(text: string): Recording {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new Error(`not a flight recording: not JSON (${(error as Error).message})`);
  }
  const candidate = document as Partial<Recording> | null;
  if (candidate === null || typeof candidate !== 'object' || candidate.format !== RECORDING_FORMAT)
    throw new Error(`not a flight recording: "format" is not ${JSON.stringify(RECORDING_FORMAT)}`);
  if (candidate.version !== RECORDING_VERSION)
    throw new Error(
      `flight recording version ${JSON.stringify(candidate.version)}: this program reads version ${RECORDING_VERSION}`,
    );
  if (!Array.isArray(candidate.routers) || !Array.isArray(candidate.inputs) || !Array.isArray(candidate.transitions))
    throw new Error('not a flight recording: "routers", "inputs" and "transitions" must be arrays');
  return candidate as Recording;
}

class ReplayCore {
  private readonly routers = new Map<string, VirtualRouter>();
  private readonly demuxes = new Map<string, InterfaceDemux>();
  readonly transitions: RecordedTransition[] = [];
  readonly skipped: string[] = [];

  add(config: VirtualRouterConfig): void {
    const router = new VirtualRouter(config);
    let demux = this.demuxes.get(config.interface);
    if (demux === undefined) {
      demux = new InterfaceDemux(config.interface, []);
      this.demuxes.set(config.interface, demux);
    }
    demux.add(router);
    this.routers.set(config.name, router);
  }

  take(entry: RecordedEntry): void {
    switch (entry.kind) {
      case 'add':
        return this.add(entry.config);
      case 'reconfigure':
        return this.withRouter(entry.config.name, entry, (router) => router.reconfigure(entry.config, entry.atMs));
      case 'remove':
        return this.withRouter(entry.router, entry, (router) => {
          this.demuxes.get(router.config.interface)?.remove(router);
          this.routers.delete(entry.router);
          return [];
        });
      case 'input':
        return this.withRouter(entry.router, entry, (router) => router.handle(entry.input, entry.atMs));
      case 'packet':
        return this.packet(entry);
    }
  }

  private packet(entry: Extract<RecordedEntry, { kind: 'packet' }>): void {
    const demux = this.demuxes.get(entry.interface);
    if (entry.payload === undefined || demux === undefined) {
      const why = entry.payload === undefined ? `longer (${entry.length} bytes) than the recorder kept` : 'no router';
      this.skipped.push(`${entry.atMs} ms: packet on ${entry.interface}: ${why}`);
      return;
    }
    const result = demux.receive(Buffer.from(entry.payload, 'hex'), entry.meta, entry.atMs);
    if (result.router !== undefined) this.note(result.router.config.name, result.actions, entry.atMs);
  }

  private withRouter(name: string, entry: RecordedEntry, take: (router: VirtualRouter) => RouterAction[]): void {
    const router = this.routers.get(name);
    if (router === undefined) {
      this.skipped.push(`${entry.atMs} ms: ${entry.kind} for ${JSON.stringify(name)}, which the recording never added`);
      return;
    }
    this.note(name, take(router), entry.atMs);
  }

  private note(router: string, actions: readonly RouterAction[], atMs: number): void {
    for (const action of actions) {
      if (action.kind !== 'stateChange') continue;
      const { from, to, reason, priority } = action;
      this.transitions.push({ atMs, router, from, to, reason, priority });
    }
  }
}

/**
 * Feeds the recording's inputs, in order and at their times, to fresh routers built from its
 * configurations (as at its oldest input), and returns the transitions they make.
 */
export function replayRecording(recording: Recording): ReplayResult {
  const core = new ReplayCore();
  for (const config of recording.routers) core.add(config);
  for (const entry of recording.inputs) core.take(entry);
  return { transitions: core.transitions, skipped: core.skipped };
}

/** One line per transition, the same for the recording's own list and a replay's. */
export function formatTransition(t: RecordedTransition): string {
  return `${t.atMs.toFixed(3).padStart(14)} ms  ${t.router}: ${t.from} -> ${t.to} (${t.reason}, priority ${t.priority})`;
}

/** The report `vrrp-sim --replay` prints; `matches` is false when the replay's transitions differ from the recorded ones. */
export function replayReport(recording: Recording): { readonly text: string; readonly matches: boolean } {
  const result = replayRecording(recording);
  const replayed = result.transitions.map(formatTransition);
  const recorded = recording.transitions.map(formatTransition);
  const matches = replayed.length === recorded.length && replayed.every((line, i) => line === recorded[i]);
  const lines = [
    `flight recording: ${recording.inputs.length} inputs, ${recording.routers.length} router(s) at the start` +
      (recording.complete
        ? ', complete since the routers were added'
        : `; the ring wrapped (${recording.evicted} older inputs dropped): the routers start afresh at the oldest input, so the first transitions may differ`),
    'replayed transitions:',
    ...replayed.map((line) => `  ${line}`),
    ...result.skipped.map((line) => `skipped: ${line}`),
  ];
  if (matches) lines.push(`same as the ${recorded.length} recorded transitions`);
  else lines.push('DIFFERENT from the recorded transitions:', ...recorded.map((line) => `  ${line}`));
  return { text: lines.join('\n'), matches };
}

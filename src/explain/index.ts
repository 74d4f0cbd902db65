// vrrp-explain's engine: a capture file in, an explanation of its VRRP LAN out (text, JSON, picture).
// Reading and decoding are ours (capture-file.ts, packets.ts with the real codec); every protocol
// judgement is the real core's (shadow.ts).

import { readCaptureFile } from './capture-file.js';
import { lanPackets } from './packets.js';
import { explainPackets } from './analyse.js';
import type { Explanation } from './types.js';

export { readCaptureFile, CaptureFormatError } from './capture-file.js';
export type { CaptureFile, CaptureFrame } from './capture-file.js';
export { lanPackets, linkPayload } from './packets.js';
export type { AddressClaim, LanPacket, ObservedAdvert, RefusedAdvert } from './packets.js';
export { explainPackets, LATE_SHARE } from './analyse.js';
export type * from './types.js';
export { formatExplanation } from './report.js';
export { explanationPicture } from './picture.js';

/** Explains the capture in `bytes`. Throws CaptureFormatError when the file is no capture at all. */
export function explainCapture(bytes: Uint8Array): Explanation {
  const file = readCaptureFile(bytes);
  const { packets, tally } = lanPackets(file.frames);
  const first = file.frames[0];
  const last = file.frames.at(-1);
  const durationMs =
    first === undefined || last === undefined ? 0 : Math.max(0, packets.at(-1)?.atMs ?? 0, spanMs(first, last));
  return {
    format: file.format,
    linkTypes: file.linkTypes,
    frames: file.frames.length,
    startedAt: first === undefined ? undefined : isoTime(first.seconds, first.nanoseconds),
    durationMs,
    tally,
    readError: file.error,
    groups: explainPackets(packets, durationMs),
  };
}

function spanMs(
  first: { seconds: number; nanoseconds: number },
  last: { seconds: number; nanoseconds: number },
): number {
  return (
    Math.round(((last.seconds - first.seconds) * 1000 + (last.nanoseconds - first.nanoseconds) / 1e6) * 1000) / 1000
  );
}

function isoTime(seconds: number, nanoseconds: number): string {
  const date = new Date(seconds * 1000);
  if (Number.isNaN(date.getTime())) return `${seconds}s`;
  // Microseconds: what tcpdump records, and what an operator lines up with a log.
  return `${date.toISOString().slice(0, 19)}.${String(Math.floor(nanoseconds / 1000)).padStart(6, '0')}Z`;
}

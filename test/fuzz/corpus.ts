// Seeds for the packet fuzzers: every IP packet of the keepalived 2.2.7 captures in test/golden, and
// the edits that mutate one (bit flips, overwritten bytes, cuts, insertions, trailing bytes).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { readPcap } from '../helpers/pcap.js';

export interface GoldenPacket {
  /** `<capture>#<frame>`, to name the seed in a failure. */
  readonly name: string;
  /** The IP packet, header first. */
  readonly ip: Uint8Array;
}

/** Every IP packet of every capture in test/golden, in file and frame order. */
export function goldenPackets(): GoldenPacket[] {
  // Compiled to dist/test/fuzz/; the captures stay in the source tree.
  const dir = join(fileURLToPath(import.meta.url), '../../../../test/golden');
  const packets: GoldenPacket[] = [];
  for (const file of readdirSync(dir)
    .filter((name) => name.endsWith('.pcap'))
    .sort()) {
    const capture = readPcap(readFileSync(join(dir, file)));
    if (capture.error !== undefined) throw new Error(`${file}: ${capture.error}`);
    for (const packet of capture.packets) packets.push({ name: `${file}#${packet.frameNumber}`, ip: packet.ip });
  }
  return packets;
}

export type Edit =
  | { readonly kind: 'flip'; readonly at: number; readonly bit: number }
  | { readonly kind: 'set'; readonly at: number; readonly value: number }
  | { readonly kind: 'cut'; readonly at: number }
  | { readonly kind: 'insert'; readonly at: number; readonly value: number }
  | { readonly kind: 'append'; readonly bytes: readonly number[] };

const byte = fc.integer({ min: 0, max: 255 });
/** A position as a fraction of the packet's length, so one edit fits packets of any size. */
const at = fc.integer({ min: 0, max: 0xffff });

export const editArbitrary: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at, bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('set' as const), at, value: fc.oneof(byte, fc.constantFrom(0, 0xff, 0x7f, 0x80)) }),
  fc.record({ kind: fc.constant('cut' as const), at }),
  fc.record({ kind: fc.constant('insert' as const), at, value: byte }),
  fc.record({ kind: fc.constant('append' as const), bytes: fc.array(byte, { minLength: 1, maxLength: 40 }) }),
);

/** A fresh copy of `bytes` with the edits applied in order. */
export function applyEdits(bytes: Uint8Array, edits: readonly Edit[]): Uint8Array {
  let out = Array.from(bytes);
  for (const edit of edits) {
    const position = (size: number) => (size === 0 ? 0 : ('at' in edit ? edit.at : 0) % size);
    switch (edit.kind) {
      case 'flip':
        if (out.length > 0) out[position(out.length)]! ^= 1 << edit.bit;
        break;
      case 'set':
        if (out.length > 0) out[position(out.length)] = edit.value;
        break;
      case 'cut':
        out = out.slice(0, position(out.length + 1));
        break;
      case 'insert':
        out.splice(position(out.length + 1), 0, edit.value);
        break;
      case 'append':
        out = out.concat(edit.bytes);
        break;
    }
  }
  return Uint8Array.from(out);
}

// A reader for the capture files tcpdump, dumpcap and Wireshark write: classic pcap (both byte orders,
// microsecond and nanosecond) and pcapng (sections of either byte order, several interfaces, each with
// its own link type and timestamp resolution). Untrusted input: every length is checked against the
// bytes that are there before it is read, every loop advances by at least one record header, and a
// damaged file never throws. The reader returns the frames it could read and names what went wrong.

export interface CaptureFrame {
  /** 1-based position in the file, as tshark numbers frames. */
  readonly number: number;
  /** Capture time: whole seconds since the epoch and the nanoseconds within that second. */
  readonly seconds: number;
  readonly nanoseconds: number;
  readonly linkType: number;
  /** The frame as captured (possibly shorter than on the wire, see snaplen). */
  readonly data: Uint8Array;
}

export interface CaptureFile {
  readonly format: 'pcap' | 'pcapng';
  readonly frames: readonly CaptureFrame[];
  /** Link types of the file's interfaces, in order of appearance. */
  readonly linkTypes: readonly number[];
  /** Set when the file ends early or is damaged; `frames` holds what was read before. */
  readonly error?: string;
}

/** A file that is not a capture at all (no frame can be read): a clear message for the operator. */
export class CaptureFormatError extends Error {}

const PCAP_HEADER_BYTES = 24;
const PCAP_RECORD_BYTES = 16;
const PCAP_MAGIC_MICRO = 0xa1b2c3d4;
const PCAP_MAGIC_NANO = 0xa1b23c4d;
const PCAPNG_SECTION_HEADER = 0x0a0d0d0a;
const PCAPNG_BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const PCAPNG_INTERFACE_DESCRIPTION = 1;
const PCAPNG_OBSOLETE_PACKET = 2;
const PCAPNG_ENHANCED_PACKET = 6;
const PCAPNG_OPTION_TSRESOL = 9;
const PCAPNG_OPTION_END = 0;
const PCAPNG_MIN_BLOCK_BYTES = 12;
/** No frame is longer than this; a bigger captured length is damage, not a jumbo frame. */
const MAX_FRAME_BYTES = 262_144;

/** Reads a capture file held in memory. Throws CaptureFormatError only when the file is no capture at all. */
export function readCaptureFile(file: Uint8Array): CaptureFile {
  if (file.length < 4) throw new CaptureFormatError(`${file.length} bytes: too short for a capture file`);
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  if (view.getUint32(0, false) === PCAPNG_SECTION_HEADER) return readPcapng(file, view);
  const big = view.getUint32(0, false);
  const little = view.getUint32(0, true);
  if (big === PCAP_MAGIC_MICRO || big === PCAP_MAGIC_NANO) return readPcap(file, view, false, big === PCAP_MAGIC_NANO);
  if (little === PCAP_MAGIC_MICRO || little === PCAP_MAGIC_NANO)
    return readPcap(file, view, true, little === PCAP_MAGIC_NANO);
  throw new CaptureFormatError(`not a pcap or pcapng file (starts with 0x${big.toString(16).padStart(8, '0')})`);
}

function readPcap(file: Uint8Array, view: DataView, littleEndian: boolean, nano: boolean): CaptureFile {
  if (file.length < PCAP_HEADER_BYTES)
    throw new CaptureFormatError(`pcap header cut short: ${file.length} of 24 bytes`);
  // The low 16 bits are the link type; the upper bits may carry FCS information.
  const linkType = view.getUint32(20, littleEndian) & 0xffff;
  const frames: CaptureFrame[] = [];
  const result = (error?: string): CaptureFile =>
    error === undefined
      ? { format: 'pcap', frames, linkTypes: [linkType] }
      : { format: 'pcap', frames, linkTypes: [linkType], error };
  let offset = PCAP_HEADER_BYTES;
  while (offset < file.length) {
    const number = frames.length + 1;
    if (file.length - offset < PCAP_RECORD_BYTES)
      return result(`frame ${number}: record header cut short at byte ${offset}`);
    const seconds = view.getUint32(offset, littleEndian);
    const fraction = view.getUint32(offset + 4, littleEndian);
    const captured = view.getUint32(offset + 8, littleEndian);
    offset += PCAP_RECORD_BYTES;
    if (captured > MAX_FRAME_BYTES)
      return result(`frame ${number}: captured length ${captured} is not plausible (damaged file)`);
    if (file.length - offset < captured)
      return result(`frame ${number}: ${captured} bytes announced, ${file.length - offset} left`);
    const nanoseconds = nano ? fraction : fraction * 1000;
    if (nanoseconds >= 1e9)
      return result(`frame ${number}: timestamp fraction ${fraction} out of range (damaged file)`);
    frames.push({ number, seconds, nanoseconds, linkType, data: file.subarray(offset, offset + captured) });
    offset += captured;
  }
  return result();
}

interface PcapngInterface {
  readonly linkType: number;
  /** Timestamp units per second (if_tsresol; 10^6 when absent). */
  readonly unitsPerSecond: bigint;
}

function readPcapng(file: Uint8Array, view: DataView): CaptureFile {
  const frames: CaptureFrame[] = [];
  const linkTypes: number[] = [];
  let interfaces: PcapngInterface[] = [];
  let littleEndian = true;
  let offset = 0;
  const result = (error?: string): CaptureFile =>
    error === undefined ? { format: 'pcapng', frames, linkTypes } : { format: 'pcapng', frames, linkTypes, error };
  while (offset < file.length) {
    const left = file.length - offset;
    if (left < PCAPNG_MIN_BLOCK_BYTES) return result(`block at byte ${offset} cut short: ${left} bytes`);
    const type = view.getUint32(offset, littleEndian);
    if (type === PCAPNG_SECTION_HEADER) {
      // A new section may change the byte order; its interfaces start afresh.
      const magic = view.getUint32(offset + 8, true);
      if (magic === PCAPNG_BYTE_ORDER_MAGIC) littleEndian = true;
      else if (view.getUint32(offset + 8, false) === PCAPNG_BYTE_ORDER_MAGIC) littleEndian = false;
      else return firstBlockError(offset, `section header at byte ${offset} has no byte-order magic`, result);
      interfaces = [];
    }
    const length = view.getUint32(offset + 4, littleEndian);
    if (length < PCAPNG_MIN_BLOCK_BYTES || length % 4 !== 0) {
      return firstBlockError(offset, `block at byte ${offset}: length ${length} is not a block length`, result);
    }
    if (length > left) return result(`block at byte ${offset}: ${length} bytes announced, ${left} left`);
    if (view.getUint32(offset + length - 4, littleEndian) !== length) {
      return result(`block at byte ${offset}: trailing length does not match ${length}`);
    }
    const body = file.subarray(offset + 8, offset + length - 4);
    const bodyView = new DataView(body.buffer, body.byteOffset, body.byteLength);
    if (type === PCAPNG_INTERFACE_DESCRIPTION) {
      if (body.length < 8) return result(`interface block at byte ${offset} cut short`);
      const linkType = bodyView.getUint16(0, littleEndian);
      interfaces.push({ linkType, unitsPerSecond: timestampUnits(body.subarray(8), littleEndian) });
      linkTypes.push(linkType);
    } else if (type === PCAPNG_ENHANCED_PACKET || type === PCAPNG_OBSOLETE_PACKET) {
      const error = packetBlock(type, bodyView, body, littleEndian, interfaces, frames);
      if (error !== undefined) return result(`block at byte ${offset}: ${error}`);
    }
    // Other blocks (name resolution, statistics, simple packets without a timestamp, custom) say
    // nothing about VRRP timing and are skipped whole.
    offset += length;
  }
  return result();
}

/** A damaged first block means this is not a pcapng file at all. */
function firstBlockError(offset: number, message: string, result: (error?: string) => CaptureFile): CaptureFile {
  if (offset === 0) throw new CaptureFormatError(`not a pcapng file: ${message}`);
  return result(message);
}

function packetBlock(
  type: number,
  view: DataView,
  body: Uint8Array,
  littleEndian: boolean,
  interfaces: readonly PcapngInterface[],
  frames: CaptureFrame[],
): string | undefined {
  if (body.length < 20) return 'packet block cut short';
  const interfaceId =
    type === PCAPNG_ENHANCED_PACKET ? view.getUint32(0, littleEndian) : view.getUint16(0, littleEndian);
  const high = view.getUint32(4, littleEndian);
  const low = view.getUint32(8, littleEndian);
  const captured = view.getUint32(12, littleEndian);
  const iface = interfaces[interfaceId];
  if (iface === undefined) return `packet on interface ${interfaceId}, which no interface block described`;
  if (captured > body.length - 20) return `${captured} bytes announced, ${body.length - 20} in the block`;
  const units = (BigInt(high) << 32n) | BigInt(low);
  const seconds = units / iface.unitsPerSecond;
  const nanoseconds = ((units % iface.unitsPerSecond) * 1_000_000_000n) / iface.unitsPerSecond;
  if (seconds > BigInt(Number.MAX_SAFE_INTEGER)) return 'timestamp out of range';
  frames.push({
    number: frames.length + 1,
    seconds: Number(seconds),
    nanoseconds: Number(nanoseconds),
    linkType: iface.linkType,
    data: body.subarray(20, 20 + captured),
  });
  return undefined;
}

/** if_tsresol from an interface block's options: 10^-n, or 2^-n when the top bit is set. */
function timestampUnits(options: Uint8Array, littleEndian: boolean): bigint {
  const view = new DataView(options.buffer, options.byteOffset, options.byteLength);
  let offset = 0;
  while (offset + 4 <= options.length) {
    const code = view.getUint16(offset, littleEndian);
    const length = view.getUint16(offset + 2, littleEndian);
    if (code === PCAPNG_OPTION_END) break;
    if (code === PCAPNG_OPTION_TSRESOL && length >= 1 && offset + 4 < options.length) {
      const value = options[offset + 4]!;
      const exponent = BigInt(value & 0x7f);
      // Anything finer than a nanosecond per unit (or absurd) is clamped: timestamps stay exact to the ns.
      if (exponent > 30n) return 1_000_000_000n;
      return (value & 0x80) !== 0 ? 1n << exponent : 10n ** exponent;
    }
    offset += 4 + Math.ceil(length / 4) * 4;
  }
  return 1_000_000n;
}

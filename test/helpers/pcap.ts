// A small reader for classic pcap files (not pcapng), enough to replay captured VRRP packets in tests.
// Handles both byte orders, microsecond and nanosecond timestamps, and the link types tcpdump writes on
// Linux: Ethernet (1), Linux cooked SLL (113) and SLL2 (276), plus raw IP (101). A truncated or damaged
// file never throws: the reader returns the packets it could read and says what went wrong.

export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_LINUX_SLL2 = 276;

const GLOBAL_HEADER_BYTES = 24;
const RECORD_HEADER_BYTES = 16;
const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const ETHERTYPE_VLAN = 0x8100;
const ETHERTYPE_QINQ = 0x88a8;

export interface PcapPacket {
  /** 1-based position of the frame in the file, as tshark numbers frames. */
  readonly frameNumber: number;
  readonly timeSeconds: number;
  /** Fraction of the second in nanoseconds (microsecond files are scaled). */
  readonly timeFractionNs: number;
  /** The IP packet: first byte is the IPv4 or IPv6 header. */
  readonly ip: Uint8Array;
  /** Ethernet frames: source and destination MAC as aa:bb:cc:dd:ee:ff. */
  readonly sourceMac?: string;
  readonly destinationMac?: string;
}

export interface PcapReadResult {
  readonly linkType: number | undefined;
  /** IP packets only; frames carrying anything else are counted in `skippedFrames`. */
  readonly packets: readonly PcapPacket[];
  readonly skippedFrames: number;
  /** Set when the file ended early or was not a classic pcap; `packets` holds what was read before. */
  readonly error?: string;
}

function macText(bytes: Uint8Array, offset: number): string {
  return Array.from(bytes.subarray(offset, offset + 6), (b) => b.toString(16).padStart(2, '0')).join(':');
}

interface LinkPayload {
  readonly ip: Uint8Array;
  readonly sourceMac?: string;
  readonly destinationMac?: string;
}

function isIpEtherType(etherType: number): boolean {
  return etherType === ETHERTYPE_IPV4 || etherType === ETHERTYPE_IPV6;
}

/** The IP packet inside one link-layer frame, or undefined when the frame carries something else. */
function ipFromFrame(linkType: number, frame: Uint8Array): LinkPayload | undefined {
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  switch (linkType) {
    case LINKTYPE_ETHERNET: {
      let offset = 12;
      if (frame.length < offset + 2) return undefined;
      let etherType = view.getUint16(offset);
      // Step over 802.1Q / 802.1ad tags.
      while ((etherType === ETHERTYPE_VLAN || etherType === ETHERTYPE_QINQ) && frame.length >= offset + 6) {
        offset += 4;
        etherType = view.getUint16(offset);
      }
      if (!isIpEtherType(etherType)) return undefined;
      return { ip: frame.subarray(offset + 2), destinationMac: macText(frame, 0), sourceMac: macText(frame, 6) };
    }
    case LINKTYPE_LINUX_SLL:
      if (frame.length < 16 || !isIpEtherType(view.getUint16(14))) return undefined;
      return { ip: frame.subarray(16) };
    case LINKTYPE_LINUX_SLL2:
      if (frame.length < 20 || !isIpEtherType(view.getUint16(0))) return undefined;
      return { ip: frame.subarray(20) };
    case LINKTYPE_RAW: {
      const version = frame.length > 0 ? frame[0]! >> 4 : 0;
      return version === 4 || version === 6 ? { ip: frame } : undefined;
    }
    default:
      return undefined;
  }
}

/** Reads a classic pcap file held in memory. */
export function readPcap(file: Uint8Array): PcapReadResult {
  const packets: PcapPacket[] = [];
  let skippedFrames = 0;
  if (file.length < GLOBAL_HEADER_BYTES) {
    return {
      linkType: undefined,
      packets,
      skippedFrames,
      error: `file has ${file.length} bytes, pcap header needs 24`,
    };
  }
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const magicBigEndian = view.getUint32(0, false);
  const magicLittleEndian = view.getUint32(0, true);
  let littleEndian: boolean;
  let nanosecond: boolean;
  if (magicLittleEndian === 0xa1b2c3d4 || magicLittleEndian === 0xa1b23c4d) {
    littleEndian = true;
    nanosecond = magicLittleEndian === 0xa1b23c4d;
  } else if (magicBigEndian === 0xa1b2c3d4 || magicBigEndian === 0xa1b23c4d) {
    littleEndian = false;
    nanosecond = magicBigEndian === 0xa1b23c4d;
  } else {
    const hex = magicBigEndian.toString(16).padStart(8, '0');
    return { linkType: undefined, packets, skippedFrames, error: `not a classic pcap file (magic 0x${hex})` };
  }
  // The low 16 bits hold the link type; the upper bits may carry FCS information.
  const linkType = view.getUint32(20, littleEndian) & 0xffff;
  const supported = [LINKTYPE_ETHERNET, LINKTYPE_RAW, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2];
  if (!supported.includes(linkType)) {
    return { linkType, packets, skippedFrames, error: `unsupported link type ${linkType}` };
  }

  let offset = GLOBAL_HEADER_BYTES;
  let frameNumber = 0;
  while (offset < file.length) {
    frameNumber += 1;
    if (file.length - offset < RECORD_HEADER_BYTES) {
      return {
        linkType,
        packets,
        skippedFrames,
        error: `frame ${frameNumber}: record header cut short at byte ${offset}`,
      };
    }
    const timeSeconds = view.getUint32(offset, littleEndian);
    const fraction = view.getUint32(offset + 4, littleEndian);
    const capturedBytes = view.getUint32(offset + 8, littleEndian);
    offset += RECORD_HEADER_BYTES;
    if (file.length - offset < capturedBytes) {
      return {
        linkType,
        packets,
        skippedFrames,
        error: `frame ${frameNumber}: ${capturedBytes} bytes announced, ${file.length - offset} left`,
      };
    }
    const frame = file.subarray(offset, offset + capturedBytes);
    offset += capturedBytes;
    const inner = ipFromFrame(linkType, frame);
    if (inner === undefined) {
      skippedFrames += 1;
      continue;
    }
    packets.push({ frameNumber, timeSeconds, timeFractionNs: nanosecond ? fraction : fraction * 1000, ...inner });
  }
  return { linkType, packets, skippedFrames };
}

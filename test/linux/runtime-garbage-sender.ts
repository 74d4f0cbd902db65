// Helper for test/linux/runtime.test.ts, run inside a namespace with `ip netns exec`: sends bursts of
// malformed VRRP messages to 224.0.0.18 from the given interface and source, then exits.
//   node runtime-garbage-sender.js <interface> <sourceAddress> <copiesPerKind>
// Kinds: 'too-short' (2 bytes) and 'bad-checksum' (a well-formed v3 advert, VRID 51, with a zero
// checksum). Prints one JSON line {sent} on success.

import { VrrpRawSocket } from '../../src/linux/raw-socket.js';

const [iface, sourceAddress, copiesText] = process.argv.slice(2);
if (!iface || !sourceAddress || !copiesText) {
  process.stderr.write('usage: runtime-garbage-sender.js <interface> <sourceAddress> <copiesPerKind>\n');
  process.exit(2);
}
const copies = Number(copiesText);
const tooShort = Uint8Array.from([0x31, 0x33]);
// version 3, type 1 | VRID 51 | priority 200 | count 1 | interval 10 cs | checksum 0 (wrong) | 192.0.2.100
const badChecksum = Uint8Array.from([0x31, 51, 200, 1, 0x00, 0x0a, 0x00, 0x00, 192, 0, 2, 100]);

const socket = VrrpRawSocket.open({ family: 4, interface: iface });
const packets = [];
for (let i = 0; i < copies; i++) {
  for (const payload of [tooShort, badChecksum]) {
    packets.push({ interface: iface, family: 4 as const, sourceAddress, destinationAddress: '224.0.0.18', payload });
  }
}
const sent = socket.send(packets);
socket.close();
process.stdout.write(`${JSON.stringify({ sent })}\n`);

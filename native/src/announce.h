// Announcing virtual addresses after becoming Master, on the wire exactly as keepalived 2.2.7 does:
// gratuitous ARP requests for IPv4 VIPs and unsolicited Neighbor Advertisements for IPv6 VIPs, written
// as whole Ethernet frames on an AF_PACKET socket so that neither ARP nor ND state in the kernel (a VIP
// still tentative, a neighbour entry missing) can delay or alter them.
//
// One send-only AF_PACKET socket per interface index is opened on first use and kept: closing a packet
// socket waits for an RCU grace period (synchronize_net), which at hundreds of announcements a second
// blocked the event loop. It is closed when a send says the interface is gone (ENXIO, ENODEV,
// ENETDOWN; reopened on the next call) and when the environment ends.
#pragma once

#include <napi.h>
#include <netinet/in.h>

#include <cstddef>
#include <cstdint>

#include <string>
#include <utility>
#include <vector>

namespace vrrp {

// RFC 1071 sum over the IPv6 pseudo-header (RFC 8200 s8.1) and an ICMPv6 message (shared with claim_watch.cc).
uint16_t Icmpv6Checksum(const in6_addr& source, const in6_addr& destination, const uint8_t* message, size_t length);

// sendGratuitousArp({interface, address, mac?, count?}) -> frames sent
Napi::Value SendGratuitousArp(const Napi::CallbackInfo& info);
// sendUnsolicitedNa({interface, address, mac?, sourceAddress?, router?, count?}) -> frames sent
Napi::Value SendUnsolicitedNa(const Napi::CallbackInfo& info);
// sendAnnouncements({interface, addresses: string[], mac?, router?, count?}) -> {sent, failures}
// GARP for each IPv4 address, NA for each IPv6 one, `count` each, all in as few sendmmsg calls as fit.
Napi::Value SendAnnouncements(const Napi::CallbackInfo& info);
// sendAllNodesFrame({interface, frame: Uint8Array, count?}) -> frames sent: a whole Ethernet frame to
// 33:33:00:00:00:01 with EtherType IPv6 (a Router Advertisement), as built by the caller.
Napi::Value SendAllNodesFrame(const Napi::CallbackInfo& info);
// One interface's announcements built ahead, for the takeover kit (takeover_kit.h): the frames carry
// the interface's MAC and the NA Router flag of the moment they were built.
struct PreparedAnnouncements {
  std::string interfaceName;
  unsigned ifindex = 0;
  uint32_t count = 0;
  std::vector<std::string> addresses;
  std::vector<std::vector<uint8_t>> frames;
  std::vector<bool> ipv6;
};
// Reads the options of sendAnnouncements and builds the frames; throws on bad input or no such link.
PreparedAnnouncements PrepareAnnouncements(Napi::Env env, const Napi::Object& options);
// Sends `count` copies of each frame whose `include` is set; never throws. Returns frames sent;
// `failures` gets (address index, errno) for each address that failed.
uint32_t SendPreparedAnnouncements(Napi::Env env, const PreparedAnnouncements& prepared,
                                   const std::vector<bool>& include, std::vector<std::pair<size_t, int>>& failures);
// announceSockets() -> ifindexes of the cached packet sockets (for tests and diagnostics)
Napi::Value AnnounceSockets(const Napi::CallbackInfo& info);

}  // namespace vrrp

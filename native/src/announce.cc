#include "announce.h"

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <vector>

#include "errors.h"
#include "net_util.h"

namespace vrrp {
namespace {

constexpr uint32_t kMaxCount = 1000;  // a sanity bound; keepalived sends 5 (+5 after 5 s)
constexpr size_t kEthernetHeader = 14;
constexpr MacAddress kBroadcastMac = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
constexpr MacAddress kAllNodesMac = {0x33, 0x33, 0x00, 0x00, 0x00, 0x01};  // ff02::1 (RFC 2464 s7)

// Interface, hardware address and a send-only packet socket for one announcement call.
struct Link {
  UniqueFd fd;
  unsigned ifindex;
  MacAddress mac;
};

Link OpenLink(Napi::Env env, const Napi::Object& options) {
  std::string interfaceName = RequireString(options, "interface");
  unsigned ifindex = InterfaceIndex(env, interfaceName);
  // Protocol 0: the socket only sends, so the kernel queues no received frames on it.
  UniqueFd fd(socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) ThrowErrno(env, errno, "socket", "AF_PACKET SOCK_RAW");
  std::optional<std::string> macText = OptionalString(options, "mac");
  MacAddress mac = macText ? ParseMac(env, *macText, "mac") : InterfaceMac(env, fd.get(), interfaceName);
  return Link{UniqueFd(fd.release()), ifindex, mac};
}

void PutEthernetHeader(uint8_t* frame, const MacAddress& destination, const MacAddress& source, uint16_t type) {
  std::memcpy(frame, destination.data(), 6);
  std::memcpy(frame + 6, source.data(), 6);
  frame[12] = static_cast<uint8_t>(type >> 8);
  frame[13] = static_cast<uint8_t>(type);
}

// Sends `frame` `count` times; on failure the error carries how many went out before it.
uint32_t SendFrames(Napi::Env env, const Link& link, const std::vector<uint8_t>& frame, uint16_t protocol,
                    const MacAddress& destination, uint32_t count, const char* what) {
  sockaddr_ll address{};
  address.sll_family = AF_PACKET;
  address.sll_protocol = htons(protocol);
  address.sll_ifindex = static_cast<int>(link.ifindex);
  address.sll_halen = ETH_ALEN;
  std::memcpy(address.sll_addr, destination.data(), ETH_ALEN);
  for (uint32_t sent = 0; sent < count; sent++) {
    ssize_t result;
    do {
      result = sendto(link.fd.get(), frame.data(), frame.size(), 0, reinterpret_cast<sockaddr*>(&address),
                      sizeof address);
    } while (result < 0 && errno == EINTR);
    if (result < 0) {
      Napi::Error error = ErrnoError(env, errno, "sendto", what);
      error.Set("sent", Napi::Number::New(env, sent));
      throw error;
    }
  }
  return count;
}

// RFC 1071 sum over the IPv6 pseudo-header (RFC 8200 s8.1) and the ICMPv6 message.
uint16_t Icmpv6Checksum(const in6_addr& source, const in6_addr& destination, const uint8_t* message, size_t length) {
  uint32_t sum = 0;
  auto add = [&sum](const uint8_t* bytes, size_t n) {
    for (size_t i = 0; i + 1 < n; i += 2) sum += static_cast<uint32_t>(bytes[i] << 8 | bytes[i + 1]);
    if (n % 2 != 0) sum += static_cast<uint32_t>(bytes[n - 1] << 8);
  };
  add(source.s6_addr, 16);
  add(destination.s6_addr, 16);
  sum += static_cast<uint32_t>(length >> 16) + static_cast<uint32_t>(length & 0xffff);
  sum += IPPROTO_ICMPV6;
  add(message, length);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

}  // namespace

// An ARP request with sender and target protocol address both the VIP (RFC 5227 s3 "ARP
// Announcement"), to the broadcast MAC, target hardware address all ones as keepalived sends it.
Napi::Value SendGratuitousArp(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object options = RequireObject(env, info[0], "options");
  in_addr vip = ParseIpv4(env, RequireString(options, "address"), "address");
  uint32_t count = OptionalCount(options, "count", 1, kMaxCount);
  Link link = OpenLink(env, options);

  std::vector<uint8_t> frame(kEthernetHeader + 28);
  PutEthernetHeader(frame.data(), kBroadcastMac, link.mac, ETH_P_ARP);
  uint8_t* arp = frame.data() + kEthernetHeader;
  const uint8_t fixed[8] = {0x00, 0x01,   // hardware type Ethernet
                            0x08, 0x00,   // protocol type IPv4
                            6,    4,      // address lengths
                            0x00, 0x01};  // opcode request
  std::memcpy(arp, fixed, sizeof fixed);
  std::memcpy(arp + 8, link.mac.data(), 6);      // sender hardware address
  std::memcpy(arp + 14, &vip, 4);                // sender protocol address
  std::memcpy(arp + 18, kBroadcastMac.data(), 6);  // target hardware address
  std::memcpy(arp + 24, &vip, 4);                // target protocol address

  return Napi::Number::New(env, SendFrames(env, link, frame, ETH_P_ARP, kBroadcastMac, count, "gratuitous ARP"));
}

// An unsolicited Neighbor Advertisement (RFC 4861 s7.2.6) to all-nodes ff02::1: Solicited clear,
// Override set, Router set unless `router: false`, Target = VIP, Target Link-Layer Address option, hop
// limit 255. The IPv6 source is the VIP itself, as keepalived sends it, unless `sourceAddress` is given.
Napi::Value SendUnsolicitedNa(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object options = RequireObject(env, info[0], "options");
  in6_addr target = ParseIpv6(env, RequireString(options, "address"), "address");
  std::optional<std::string> sourceText = OptionalString(options, "sourceAddress");
  in6_addr source = sourceText ? ParseIpv6(env, *sourceText, "sourceAddress") : target;
  Napi::Value routerValue = options.Get("router");
  if (!routerValue.IsUndefined() && !routerValue.IsBoolean()) ThrowInvalidArg(env, "router must be a boolean when given");
  bool router = routerValue.IsUndefined() || routerValue.As<Napi::Boolean>().Value();
  uint32_t count = OptionalCount(options, "count", 1, kMaxCount);
  Link link = OpenLink(env, options);

  in6_addr allNodes{};
  inet_pton(AF_INET6, "ff02::1", &allNodes);
  constexpr size_t kIpv6Header = 40;
  constexpr size_t kAdvertLength = 24 + 8;  // NA header and target, then one 8-byte option

  std::vector<uint8_t> frame(kEthernetHeader + kIpv6Header + kAdvertLength);
  PutEthernetHeader(frame.data(), kAllNodesMac, link.mac, ETH_P_IPV6);

  uint8_t* ip = frame.data() + kEthernetHeader;
  ip[0] = 0x60;  // version 6, traffic class and flow label 0
  ip[4] = 0;
  ip[5] = static_cast<uint8_t>(kAdvertLength);
  ip[6] = IPPROTO_ICMPV6;
  ip[7] = 255;  // RFC 4861: receivers drop ND messages whose hop limit is not 255
  std::memcpy(ip + 8, source.s6_addr, 16);
  std::memcpy(ip + 24, allNodes.s6_addr, 16);

  uint8_t* advert = ip + kIpv6Header;
  advert[0] = 136;                                   // Neighbor Advertisement
  advert[1] = 0;                                     // code
  advert[4] = static_cast<uint8_t>((router ? 0x80 : 0) | 0x20);  // R, S clear, O
  std::memcpy(advert + 8, target.s6_addr, 16);
  advert[24] = 2;  // option: Target Link-Layer Address
  advert[25] = 1;  // length in units of 8 bytes
  std::memcpy(advert + 26, link.mac.data(), 6);
  uint16_t checksum = Icmpv6Checksum(source, allNodes, advert, kAdvertLength);
  advert[2] = static_cast<uint8_t>(checksum >> 8);
  advert[3] = static_cast<uint8_t>(checksum);

  return Napi::Number::New(env,
                           SendFrames(env, link, frame, ETH_P_IPV6, kAllNodesMac, count, "unsolicited NA"));
}

}  // namespace vrrp

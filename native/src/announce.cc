#include "announce.h"

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "errors.h"
#include "net_util.h"

namespace vrrp {

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

namespace {

constexpr uint32_t kMaxCount = 1000;       // a sanity bound; keepalived sends 5 (+5 after 5 s)
constexpr unsigned kMaxSendBatch = 1024;   // UIO_MAXIOV: the most sendmmsg accepts per call
constexpr size_t kEthernetHeader = 14;
constexpr size_t kIpv6Header = 40;
constexpr size_t kAdvertLength = 24 + 8;  // NA header and target, then one 8-byte option
constexpr MacAddress kBroadcastMac = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
constexpr MacAddress kAllNodesMac = {0x33, 0x33, 0x00, 0x00, 0x00, 0x01};  // ff02::1 (RFC 2464 s7)

// ---- The per-environment cache of packet sockets ------------------------------------------------
//
// Keyed by ifindex. The sockets are not bound (each frame names its interface in its sockaddr_ll), so
// one per interface is a choice, not a need: it keeps one link's full transmit queue (a blocking send
// waiting for send-buffer space) from holding up announcements on another, and gives a natural unit
// to throw away when an interface disappears. Used only on the environment's own JS thread; the map
// from environment to cache is shared between threads (Workers) and locked.

struct PacketSockets {
  std::map<unsigned, int> fds;
};

std::mutex cachesMutex;
std::unordered_map<napi_env, PacketSockets*> caches;

void CloseAll(void* data) {
  auto* cache = static_cast<PacketSockets*>(data);
  for (const auto& entry : cache->fds) close(entry.second);
  {
    std::lock_guard<std::mutex> lock(cachesMutex);
    for (auto it = caches.begin(); it != caches.end(); ++it) {
      if (it->second == cache) {
        caches.erase(it);
        break;
      }
    }
  }
  delete cache;
}

PacketSockets& CacheFor(Napi::Env env) {
  std::lock_guard<std::mutex> lock(cachesMutex);
  auto found = caches.find(env);
  if (found != caches.end()) return *found->second;
  auto* cache = new PacketSockets();
  // Process exit or Worker termination: close every cached socket.
  if (napi_add_env_cleanup_hook(env, CloseAll, cache) != napi_ok) {
    delete cache;
    throw Napi::Error::New(env, "napi_add_env_cleanup_hook failed");
  }
  caches.emplace(env, cache);
  return *cache;
}

void Evict(PacketSockets& cache, unsigned ifindex) {
  auto found = cache.fds.find(ifindex);
  if (found == cache.fds.end()) return;
  close(found->second);
  cache.fds.erase(found);
}

// Interface gone, or down: the cached socket is dropped and a fresh one opened next time.
bool MeansInterfaceGone(int errnum) { return errnum == ENXIO || errnum == ENODEV || errnum == ENETDOWN; }

int SocketFor(Napi::Env env, PacketSockets& cache, unsigned ifindex) {
  auto found = cache.fds.find(ifindex);
  if (found != cache.fds.end()) return found->second;
  // A miss is rare (first use, or after an eviction): forget sockets of interfaces that no longer
  // exist, so that interfaces coming and going (new ifindex each time) do not pile up descriptors.
  for (auto it = cache.fds.begin(); it != cache.fds.end();) {
    char name[IF_NAMESIZE];
    if (if_indextoname(it->first, name) == nullptr && errno == ENXIO) {
      close(it->second);
      it = cache.fds.erase(it);
    } else {
      ++it;
    }
  }
  // Protocol 0: the socket only sends, so the kernel queues no received frames on it.
  int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
  if (fd < 0) ThrowErrno(env, errno, "socket", "AF_PACKET SOCK_RAW");
  cache.fds.emplace(ifindex, fd);
  return fd;
}

// ---- Frames --------------------------------------------------------------------------------------

struct Link {
  std::string name;
  unsigned ifindex;
  int fd;
  MacAddress mac;
};

Link OpenLink(Napi::Env env, const Napi::Object& options) {
  std::string interfaceName = RequireString(options, "interface");
  unsigned ifindex = InterfaceIndex(env, interfaceName);
  std::optional<std::string> macText = OptionalString(options, "mac");
  MacAddress mac{};
  if (macText) mac = ParseMac(env, *macText, "mac");
  int fd = SocketFor(env, CacheFor(env), ifindex);
  if (!macText) mac = InterfaceMac(env, fd, interfaceName);
  return Link{interfaceName, ifindex, fd, mac};
}

void PutEthernetHeader(uint8_t* frame, const MacAddress& destination, const MacAddress& source, uint16_t type) {
  std::memcpy(frame, destination.data(), 6);
  std::memcpy(frame + 6, source.data(), 6);
  frame[12] = static_cast<uint8_t>(type >> 8);
  frame[13] = static_cast<uint8_t>(type);
}

// An ARP request with sender and target protocol address both the VIP (RFC 5227 s3 "ARP
// Announcement"), to the broadcast MAC, target hardware address all ones as keepalived sends it.
std::vector<uint8_t> GratuitousArpFrame(const in_addr& vip, const MacAddress& mac) {
  std::vector<uint8_t> frame(kEthernetHeader + 28);
  PutEthernetHeader(frame.data(), kBroadcastMac, mac, ETH_P_ARP);
  uint8_t* arp = frame.data() + kEthernetHeader;
  const uint8_t fixed[8] = {0x00, 0x01,   // hardware type Ethernet
                            0x08, 0x00,   // protocol type IPv4
                            6,    4,      // address lengths
                            0x00, 0x01};  // opcode request
  std::memcpy(arp, fixed, sizeof fixed);
  std::memcpy(arp + 8, mac.data(), 6);             // sender hardware address
  std::memcpy(arp + 14, &vip, 4);                  // sender protocol address
  std::memcpy(arp + 18, kBroadcastMac.data(), 6);  // target hardware address
  std::memcpy(arp + 24, &vip, 4);                  // target protocol address
  return frame;
}

// An unsolicited Neighbor Advertisement (RFC 4861 s7.2.6) to all-nodes ff02::1: Solicited clear,
// Override set, Router as given, Target = VIP, Target Link-Layer Address option, hop limit 255.
std::vector<uint8_t> UnsolicitedNaFrame(const in6_addr& source, const in6_addr& target, const MacAddress& mac,
                                        bool router) {
  in6_addr allNodes{};
  inet_pton(AF_INET6, "ff02::1", &allNodes);

  std::vector<uint8_t> frame(kEthernetHeader + kIpv6Header + kAdvertLength);
  PutEthernetHeader(frame.data(), kAllNodesMac, mac, ETH_P_IPV6);

  uint8_t* ip = frame.data() + kEthernetHeader;
  ip[0] = 0x60;  // version 6, traffic class and flow label 0
  ip[4] = 0;
  ip[5] = static_cast<uint8_t>(kAdvertLength);
  ip[6] = IPPROTO_ICMPV6;
  ip[7] = 255;  // RFC 4861: receivers drop ND messages whose hop limit is not 255
  std::memcpy(ip + 8, source.s6_addr, 16);
  std::memcpy(ip + 24, allNodes.s6_addr, 16);

  uint8_t* advert = ip + kIpv6Header;
  advert[0] = 136;                                                // Neighbor Advertisement
  advert[1] = 0;                                                  // code
  advert[4] = static_cast<uint8_t>((router ? 0x80 : 0) | 0x20);  // R, S clear, O
  std::memcpy(advert + 8, target.s6_addr, 16);
  advert[24] = 2;  // option: Target Link-Layer Address
  advert[25] = 1;  // length in units of 8 bytes
  std::memcpy(advert + 26, mac.data(), 6);
  uint16_t checksum = Icmpv6Checksum(source, allNodes, advert, kAdvertLength);
  advert[2] = static_cast<uint8_t>(checksum >> 8);
  advert[3] = static_cast<uint8_t>(checksum);
  return frame;
}

struct Announcement {
  std::vector<uint8_t> frame;
  bool ipv6;
  std::string address;  // as given, for error messages
  const char* kind = nullptr;  // what the frame is, for error messages (default: GARP or NA)
};

struct Failure {
  size_t index;  // into the announcements
  int errnum;
};

struct BatchResult {
  uint32_t sent = 0;
  std::vector<Failure> failures;
};

// Sends every announcement `count` times (announcement by announcement, as before: all copies of the
// first, then of the second...) in sendmmsg calls of up to 1024 frames. A frame the kernel refuses
// fails its announcement: its remaining copies are skipped and the next announcement goes on. An
// error meaning the interface is gone fails every announcement left and evicts the socket.
BatchResult SendBatch(Napi::Env env, const Link& link, const std::vector<Announcement>& items, uint32_t count) {
  BatchResult result;
  size_t total = items.size() * count;
  if (total == 0) return result;

  sockaddr_ll arpAddress{};
  arpAddress.sll_family = AF_PACKET;
  arpAddress.sll_protocol = htons(ETH_P_ARP);
  arpAddress.sll_ifindex = static_cast<int>(link.ifindex);
  arpAddress.sll_halen = ETH_ALEN;
  std::memcpy(arpAddress.sll_addr, kBroadcastMac.data(), ETH_ALEN);
  sockaddr_ll ndAddress = arpAddress;
  ndAddress.sll_protocol = htons(ETH_P_IPV6);
  std::memcpy(ndAddress.sll_addr, kAllNodesMac.data(), ETH_ALEN);

  std::vector<iovec> iovs(items.size());
  std::vector<mmsghdr> headers(total);
  std::vector<size_t> owner(total);
  for (size_t i = 0; i < items.size(); i++) {
    iovs[i].iov_base = const_cast<uint8_t*>(items[i].frame.data());
    iovs[i].iov_len = items[i].frame.size();
    for (uint32_t c = 0; c < count; c++) {
      size_t k = i * count + c;
      owner[k] = i;
      msghdr& header = headers[k].msg_hdr;
      header.msg_name = items[i].ipv6 ? &ndAddress : &arpAddress;
      header.msg_namelen = sizeof(sockaddr_ll);
      header.msg_iov = &iovs[i];
      header.msg_iovlen = 1;
    }
  }

  size_t next = 0;
  while (next < total) {
    unsigned batch = static_cast<unsigned>(std::min<size_t>(total - next, kMaxSendBatch));
    int sent = sendmmsg(link.fd, &headers[next], batch, 0);
    if (sent < 0 && errno == EINTR) continue;
    if (sent > 0) {
      result.sent += static_cast<uint32_t>(sent);
      next += static_cast<size_t>(sent);
      if (static_cast<unsigned>(sent) < batch) {
        // A partial send may leave the failing frame's error in SO_ERROR, where the next send would
        // report it instead of its own: clear it; the retry of that frame reports it here.
        int pending = 0;
        socklen_t length = sizeof pending;
        getsockopt(link.fd, SOL_SOCKET, SO_ERROR, &pending, &length);
      }
      continue;
    }
    int errnum = sent < 0 ? errno : EAGAIN;
    size_t failed = owner[next];
    result.failures.push_back({failed, errnum});
    if (MeansInterfaceGone(errnum)) {
      Evict(CacheFor(env), link.ifindex);
      for (size_t i = failed + 1; i < items.size(); i++) result.failures.push_back({i, errnum});
      break;
    }
    next = (failed + 1) * count;  // the next announcement's first copy
  }
  return result;
}

// The NA Router flag: true unless `router: false`.
bool RouterFlag(Napi::Env env, const Napi::Object& options) {
  Napi::Value routerValue = options.Get("router");
  if (!routerValue.IsUndefined() && !routerValue.IsBoolean()) ThrowInvalidArg(env, "router must be a boolean when given");
  return routerValue.IsUndefined() || routerValue.As<Napi::Boolean>().Value();
}

std::string Detail(const Announcement& item, const Link& link) {
  const char* kind = item.kind != nullptr ? item.kind : item.ipv6 ? "unsolicited NA " : "gratuitous ARP ";
  return std::string(kind) + item.address + " on " + link.name;
}

// One announcement `count` times; throws the first failure, carrying how many frames went out.
Napi::Value SendOne(Napi::Env env, const Link& link, Announcement item, uint32_t count) {
  std::vector<Announcement> items;
  items.push_back(std::move(item));
  BatchResult result = SendBatch(env, link, items, count);
  if (!result.failures.empty()) {
    Napi::Error error = ErrnoError(env, result.failures[0].errnum, "sendmmsg", Detail(items[0], link));
    error.Set("sent", Napi::Number::New(env, result.sent));
    throw error;
  }
  return Napi::Number::New(env, result.sent);
}

}  // namespace

Napi::Value SendGratuitousArp(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object options = RequireObject(env, info[0], "options");
  std::string address = RequireString(options, "address");
  in_addr vip = ParseIpv4(env, address, "address");
  uint32_t count = OptionalCount(options, "count", 1, kMaxCount);
  Link link = OpenLink(env, options);
  return SendOne(env, link, Announcement{GratuitousArpFrame(vip, link.mac), false, address}, count);
}

// The IPv6 source is the VIP itself, as keepalived sends it, unless `sourceAddress` is given.
Napi::Value SendUnsolicitedNa(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object options = RequireObject(env, info[0], "options");
  std::string address = RequireString(options, "address");
  in6_addr target = ParseIpv6(env, address, "address");
  std::optional<std::string> sourceText = OptionalString(options, "sourceAddress");
  in6_addr source = sourceText ? ParseIpv6(env, *sourceText, "sourceAddress") : target;
  bool router = RouterFlag(env, options);
  uint32_t count = OptionalCount(options, "count", 1, kMaxCount);
  Link link = OpenLink(env, options);
  return SendOne(env, link, Announcement{UnsolicitedNaFrame(source, target, link.mac, router), true, address}, count);
}

PreparedAnnouncements PrepareAnnouncements(Napi::Env env, const Napi::Object& options) {
  Napi::Value list = options.Get("addresses");
  if (!list.IsArray()) ThrowInvalidArg(env, "addresses must be an array of IPv4 or IPv6 address strings");
  Napi::Array addresses = list.As<Napi::Array>();
  bool router = RouterFlag(env, options);
  uint32_t count = OptionalCount(options, "count", 1, kMaxCount);

  // Every address is checked before anything is sent or opened.
  std::vector<std::pair<std::string, int>> parsed;
  for (uint32_t i = 0; i < addresses.Length(); i++) {
    Napi::Value value = addresses.Get(i);
    if (!value.IsString()) ThrowInvalidArg(env, "addresses[" + std::to_string(i) + "] must be a string");
    std::string text = value.As<Napi::String>().Utf8Value();
    in6_addr probe{};
    int family = inet_pton(AF_INET, text.c_str(), &probe) == 1    ? AF_INET
                 : inet_pton(AF_INET6, text.c_str(), &probe) == 1 ? AF_INET6
                                                                   : 0;
    if (family == 0) ThrowInvalidArg(env, "addresses[" + std::to_string(i) + "] '" + text + "' is not an IP address");
    parsed.emplace_back(std::move(text), family);
  }
  Link link = OpenLink(env, options);

  PreparedAnnouncements prepared;
  prepared.interfaceName = link.name;
  prepared.ifindex = link.ifindex;
  prepared.count = count;
  for (const auto& [text, family] : parsed) {
    prepared.addresses.push_back(text);
    prepared.ipv6.push_back(family == AF_INET6);
    if (family == AF_INET) {
      prepared.frames.push_back(GratuitousArpFrame(ParseIpv4(env, text, "address"), link.mac));
    } else {
      in6_addr vip = ParseIpv6(env, text, "address");
      prepared.frames.push_back(UnsolicitedNaFrame(vip, vip, link.mac, router));
    }
  }
  return prepared;
}

uint32_t SendPreparedAnnouncements(Napi::Env env, const PreparedAnnouncements& prepared,
                                   const std::vector<bool>& include, std::vector<std::pair<size_t, int>>& failures) {
  std::vector<Announcement> items;
  std::vector<size_t> indexOf;
  for (size_t i = 0; i < prepared.frames.size(); i++) {
    if (i >= include.size() || !include[i]) continue;
    items.push_back({prepared.frames[i], prepared.ipv6[i], prepared.addresses[i]});
    indexOf.push_back(i);
  }
  if (items.empty()) return 0;
  BatchResult result;
  try {
    Link link{prepared.interfaceName, prepared.ifindex, SocketFor(env, CacheFor(env), prepared.ifindex), {}};
    result = SendBatch(env, link, items, prepared.count);
  } catch (const Napi::Error&) {
    // No packet socket (EMFILE, say): nothing went out; every address is reported failed.
    for (size_t i : indexOf) failures.emplace_back(i, EIO);
    return 0;
  }
  for (const Failure& failure : result.failures) failures.emplace_back(indexOf[failure.index], failure.errnum);
  return result.sent;
}

Napi::Value SendAnnouncements(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object options = RequireObject(env, info[0], "options");
  PreparedAnnouncements prepared = PrepareAnnouncements(env, options);
  std::vector<Announcement> items;
  for (size_t i = 0; i < prepared.frames.size(); i++) {
    items.push_back({std::move(prepared.frames[i]), prepared.ipv6[i], prepared.addresses[i]});
  }
  Link link{prepared.interfaceName, prepared.ifindex, SocketFor(env, CacheFor(env), prepared.ifindex), {}};
  BatchResult result = SendBatch(env, link, items, prepared.count);

  Napi::Object out = Napi::Object::New(env);
  out.Set("sent", Napi::Number::New(env, result.sent));
  Napi::Array failures = Napi::Array::New(env, result.failures.size());
  for (size_t i = 0; i < result.failures.size(); i++) {
    const Failure& failure = result.failures[i];
    Napi::Object entry = Napi::Object::New(env);
    entry.Set("index", Napi::Number::New(env, static_cast<double>(failure.index)));
    entry.Set("address", Napi::String::New(env, items[failure.index].address));
    entry.Set("error", ErrnoError(env, failure.errnum, "sendmmsg", Detail(items[failure.index], link)).Value());
    failures.Set(static_cast<uint32_t>(i), entry);
  }
  out.Set("failures", failures);
  return out;
}

// A whole IPv6 frame built by the caller (a Router Advertisement, src/wire/router-advert.ts), sent on
// the same cached socket as the NAs. Only frames to the all-nodes MAC with EtherType IPv6 are taken:
// the addon does not become a general raw-frame sender.
Napi::Value SendAllNodesFrame(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object options = RequireObject(env, info[0], "options");
  Napi::Value value = options.Get("frame");
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    ThrowInvalidArg(env, "frame must be a Uint8Array");
  }
  Napi::Uint8Array bytes = value.As<Napi::Uint8Array>();
  const uint8_t* data = bytes.Data();
  size_t length = bytes.ElementLength();
  if (length < kEthernetHeader + kIpv6Header || length > kEthernetHeader + 1500) {
    ThrowInvalidArg(env, "frame must hold an Ethernet header and an IPv6 packet of at most 1500 bytes");
  }
  if (std::memcmp(data, kAllNodesMac.data(), 6) != 0 || data[12] != 0x86 || data[13] != 0xdd) {
    ThrowInvalidArg(env, "frame must be IPv6 (EtherType 0x86dd) to the all-nodes MAC 33:33:00:00:00:01");
  }
  uint32_t count = OptionalCount(options, "count", 1, kMaxCount);
  Link link = OpenLink(env, options);
  Announcement item{std::vector<uint8_t>(data, data + length), true, "to ff02::1", "IPv6 frame "};
  return SendOne(env, link, std::move(item), count);
}

Napi::Value AnnounceSockets(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const PacketSockets& cache = CacheFor(env);
  Napi::Array list = Napi::Array::New(env, cache.fds.size());
  uint32_t i = 0;
  for (const auto& entry : cache.fds) list.Set(i++, Napi::Number::New(env, entry.first));
  return list;
}

}  // namespace vrrp

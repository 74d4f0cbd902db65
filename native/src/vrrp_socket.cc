#include "vrrp_socket.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <array>
#include <cerrno>
#include <cmath>
#include <ctime>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "errors.h"
#include "net_util.h"
#include "periodic_adverts.h"
#include "polled_fd.h"

#ifndef IPV6_MULTICAST_ALL
#define IPV6_MULTICAST_ALL 29  // Linux 4.20; older glibc headers lack the name
#endif

namespace vrrp {
namespace {

constexpr int kVrrpProtocol = 112;
constexpr int kVrrpHopLimit = 255;
// keepalived marks VRRP as network control (DSCP CS6) and so do we, so QoS treats both alike.
constexpr int kNetworkControlTos = IPTOS_PREC_INTERNETCONTROL;
constexpr int kControlSkbPriority = 7;  // TC_PRIO_CONTROL
constexpr const char* kGroupV4 = "224.0.0.18";
constexpr const char* kGroupV6 = "ff02::12";

// Receive sizing. The largest VRRP message (255 IPv6 addresses) plus an IPv4 header with options is
// under 4.2 KB, so 8 KB per datagram never truncates a valid one (the kernel writes only what it
// received, so the untouched rest of a slot costs no resident memory). Datagrams are read in batches
// of kBatch with recvmmsg, at most kMaxPerWakeup per readiness, and handed to JS in one callback:
// libuv polls level-triggered, so whatever is left is read on the next loop iteration, after timers
// and other sockets had their turn. 255 VRIDs at 10 ms are 25,500 adverts/s: a wake-up then finds
// tens of them, and the per-callback cost is paid once for all.
constexpr size_t kDatagramBytes = 8192;
constexpr size_t kBatch = 64;
constexpr size_t kMaxPerWakeup = 256;
// What each delivered datagram takes in the metadata array handed to JS (uint32 each): payload
// offset and length in the batch buffer, source and destination name ids, TTL / hop limit, ifindex.
constexpr size_t kMetaFields = 6;
// Addresses cross to JS as ids into an array of canonical strings that grows as new ones are seen:
// sources and destinations repeat, so a string is made once, not per packet. A flood of random
// sources is bounded: a wake-up that finds kMaxNames or more starts the table afresh before reading
// (ids of one batch all refer to one array), so it never exceeds kMaxNames + 2 * kMaxPerWakeup; JS,
// seeing a new array, drops what it cached.
constexpr uint32_t kMaxNames = 1024;
// The socket's receive buffer: the default (rmem_default, often 208 KiB) holds only a couple of
// hundred small datagrams, about 8 ms of 25,500 adverts/s, less than one garbage collection.
// SO_RCVBUFFORCE (CAP_NET_ADMIN) may exceed rmem_max; SO_RCVBUF is capped at it. Never lowered.
constexpr int kReceiveBufferBytes = 4 << 20;
constexpr unsigned kMaxSendBatch = 1024;
// The kernel's MSG_PROBE (linux/socket.h: route lookup only, nothing sent); glibc calls the bit MSG_PROXY.
constexpr int kMsgProbe = 0x10;  // UIO_MAXIOV: the most sendmmsg accepts per call

}  // namespace

// An address as the kernel gave it (4 or 16 bytes; the family is the socket's), a key for its name.
struct AddressKey {
  std::array<uint8_t, 16> bytes{};
  bool operator==(const AddressKey& other) const { return bytes == other.bytes; }
};

struct AddressKeyHash {
  size_t operator()(const AddressKey& key) const {
    uint64_t a, b;
    std::memcpy(&a, key.bytes.data(), 8);
    std::memcpy(&b, key.bytes.data() + 8, 8);
    return std::hash<uint64_t>()(a * 0x9e3779b97f4a7c15ULL ^ b);
  }
};

struct ReceiveSlot {
  std::array<uint8_t, kDatagramBytes> data;
  sockaddr_storage from;
  alignas(cmsghdr) std::array<uint8_t, 256> control;
  iovec iov;
};

// One outgoing datagram's addressing, kept alive until sendmmsg has run.
struct SendSlot {
  union {
    sockaddr_in v4;
    sockaddr_in6 v6;
  } destination;
  // The pktinfo, then (keepalived unicast_ttl) the packet's own TTL / hop limit.
  alignas(cmsghdr) std::array<uint8_t, CMSG_SPACE(sizeof(in6_pktinfo)) + CMSG_SPACE(sizeof(int))> control;
  iovec iov;
};

// An advert kept ready to go out before any JavaScript runs: a priority-0 advert the moment SIGTERM /
// SIGINT arrives (setParting), or a Backup's first advert as Master the moment its Master_Down_Timer
// expires (setTakeover). Its own copy of the payload and a prepared message, so those paths only
// call sendmmsg.
struct ReadyAdvert {
  // Armed: waiting. Sent: on the wire; the engine's own send of the same bytes to the same destination
  // is skipped, once (then Superseded): a Backup hearing a second priority-0 advert would restart its
  // Skew_Time and take over later, and a second takeover advert would be a duplicate on the wire.
  enum class State { Armed, Sent, Superseded };
  std::vector<uint8_t> payload;
  SendSlot slot;
  msghdr message;
  State state = State::Armed;
};

void ForgetCore(SocketCore* core);

// What libuv and the environment teardown can reach (see polled_fd.h): it outlives the JS wrapper
// when it must.
struct SocketCore final : PolledFd {
  int family = AF_INET;
  unsigned ifindex = 0;
  std::string interfaceName;
  VrrpSocket* owner = nullptr;
  std::vector<ReceiveSlot> slots;  // allocated on the first startReceiving
  std::array<mmsghdr, kBatch> headers;
  // One wake-up's payloads, back to back, copied into one JS Buffer for the callback.
  std::vector<uint8_t> staging;
  // Name id per address seen (see kMaxNames); the strings live in the JS array VrrpSocket keeps.
  std::unordered_map<AddressKey, uint32_t, AddressKeyHash> nameIds;
  double received = 0, truncated = 0, malformed = 0, sent = 0, sendErrors = 0;
  std::vector<std::unique_ptr<ReadyAdvert>> parting;
  // The takeover adverts (setTakeover) and the id of the PreciseTimer whose expiry sends them.
  std::vector<std::unique_ptr<ReadyAdvert>> takeover;
  uint32_t takeoverTimer = 0;
  // Started receiving: its queue is checked before a takeover advert leaves.
  bool receiving = false;

  ~SocketCore() override { ForgetCore(this); }
  void Readable(int status) override {
    if (owner != nullptr) owner->OnReadable(status);
  }
  void ForgetOwner() override {
    periodic::ForgetOwner(this);  // before BeginClose closes the descriptor
    if (owner != nullptr) owner->Detach();
    owner = nullptr;
  }
};

namespace {

void ApplyIpv4Options(Napi::Env env, int fd, unsigned ifindex) {
  SetIntOption(env, fd, IPPROTO_IP, IP_PKTINFO, 1, "IP_PKTINFO");
  SetIntOption(env, fd, IPPROTO_IP, IP_RECVTTL, 1, "IP_RECVTTL");
  SetIntOption(env, fd, IPPROTO_IP, IP_MULTICAST_LOOP, 0, "IP_MULTICAST_LOOP");
  SetIntOption(env, fd, IPPROTO_IP, IP_MULTICAST_TTL, kVrrpHopLimit, "IP_MULTICAST_TTL");
  SetIntOption(env, fd, IPPROTO_IP, IP_TTL, kVrrpHopLimit, "IP_TTL");
  // Only groups joined on this socket: by default Linux delivers every group any socket joined.
  SetIntOption(env, fd, IPPROTO_IP, IP_MULTICAST_ALL, 0, "IP_MULTICAST_ALL");
  SetIntOption(env, fd, IPPROTO_IP, IP_TOS, kNetworkControlTos, "IP_TOS");
  // DF clear and the kernel picks the IP ID, as in keepalived's adverts.
  SetIntOption(env, fd, IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DONT, "IP_MTU_DISCOVER");
  ip_mreqn multicastInterface{};
  multicastInterface.imr_ifindex = static_cast<int>(ifindex);
  if (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &multicastInterface, sizeof multicastInterface) < 0) {
    ThrowErrno(env, errno, "setsockopt", "IP_MULTICAST_IF");
  }
}

void ApplyIpv6Options(Napi::Env env, int fd, unsigned ifindex) {
  // IPV6_CHECKSUM stays off (the default for protocols other than ICMPv6): VRRP carries its own.
  SetIntOption(env, fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1, "IPV6_RECVPKTINFO");
  SetIntOption(env, fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1, "IPV6_RECVHOPLIMIT");
  SetIntOption(env, fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, 0, "IPV6_MULTICAST_LOOP");
  SetIntOption(env, fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, kVrrpHopLimit, "IPV6_MULTICAST_HOPS");
  SetIntOption(env, fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, kVrrpHopLimit, "IPV6_UNICAST_HOPS");
  SetIntOption(env, fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, static_cast<int>(ifindex), "IPV6_MULTICAST_IF");
  SetIntOption(env, fd, IPPROTO_IPV6, IPV6_TCLASS, kNetworkControlTos, "IPV6_TCLASS");
  // Kernels before 4.20 lack the option; there every joined group is delivered, which is harmless
  // apart from extra adverts the engine drops by VRID.
  int off = 0;
  if (setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_ALL, &off, sizeof off) < 0 && errno != ENOPROTOOPT) {
    ThrowErrno(env, errno, "setsockopt", "IPV6_MULTICAST_ALL");
  }
}

// Best effort: a host that refuses both options still works, with the drops it had before.
void RaiseReceiveBuffer(int fd) {
  int current = 0;
  socklen_t length = sizeof current;
  // The kernel reports twice the size asked for (the doubling covers its bookkeeping).
  if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &current, &length) == 0 && current >= 2 * kReceiveBufferBytes) return;
  int size = kReceiveBufferBytes;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) == 0) return;
  if (current < 2 * size) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
}

int OpenRawVrrpSocket(Napi::Env env, int family, const std::string& interfaceName, unsigned ifindex) {
  UniqueFd fd(socket(family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, kVrrpProtocol));
  if (fd.get() < 0) {
    ThrowErrno(env, errno, "socket", family == AF_INET ? "AF_INET SOCK_RAW 112" : "AF_INET6 SOCK_RAW 112");
  }
  if (setsockopt(fd.get(), SOL_SOCKET, SO_BINDTODEVICE, interfaceName.c_str(),
                 static_cast<socklen_t>(interfaceName.size() + 1)) < 0) {
    ThrowErrno(env, errno, "setsockopt", "SO_BINDTODEVICE " + interfaceName);
  }
  if (family == AF_INET) {
    ApplyIpv4Options(env, fd.get(), ifindex);
  } else {
    ApplyIpv6Options(env, fd.get(), ifindex);
  }
  // Raising the skb priority to TC_PRIO_CONTROL (as keepalived does) needs CAP_NET_ADMIN; without it
  // the DSCP marking above still applies, so a refusal is not fatal.
  int priority = kControlSkbPriority;
  if (setsockopt(fd.get(), SOL_SOCKET, SO_PRIORITY, &priority, sizeof priority) < 0 && errno != EPERM) {
    ThrowErrno(env, errno, "setsockopt", "SO_PRIORITY");
  }
  RaiseReceiveBuffer(fd.get());
  // The kernel's receive time of each datagram (SCM_TIMESTAMPNS, CLOCK_REALTIME): a Backup's down
  // timer must run from when the Master's advert arrived, not from when JavaScript got to it.
  SetIntOption(env, fd.get(), SOL_SOCKET, SO_TIMESTAMPNS, 1, "SO_TIMESTAMPNS");
  return fd.release();
}

// One parsed datagram; `payload` points into the receive slot.
struct Datagram {
  const uint8_t* payload;
  size_t payloadLength;
  AddressKey source;
  AddressKey destination;
  int ttl;
  unsigned ifindex;
  // Kernel receive time (CLOCK_REALTIME), or tv_sec -1 when the datagram came without one.
  timespec receivedAt;
};

// SCM_TIMESTAMPNS is the one SOL_SOCKET message we ask for; any protocol's parser may meet it.
bool ReadReceiveTime(const cmsghdr* c, timespec& out) {
  if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_TIMESTAMPNS) return false;
  std::memcpy(&out, CMSG_DATA(c), sizeof out);
  return true;
}

// IPv4 raw sockets deliver the IP header: TTL and (as a fallback) the destination come from it, the
// payload starts after IHL*4 bytes. IP_PKTINFO gives the destination the kernel routed on and the
// arrival interface.
bool ParseIpv4Datagram(const SocketCore& core, const mmsghdr& header, const ReceiveSlot& slot, Datagram& out) {
  size_t length = header.msg_len;
  const uint8_t* bytes = slot.data.data();
  if (length < 20 || (bytes[0] >> 4) != 4) return false;
  size_t headerLength = (bytes[0] & 0x0fu) * 4u;
  if (headerLength < 20 || headerLength > length) return false;

  in_addr destination;
  std::memcpy(&destination, bytes + 16, sizeof destination);
  out.ttl = bytes[8];
  out.ifindex = core.ifindex;
  out.receivedAt.tv_sec = -1;
  for (cmsghdr* c = CMSG_FIRSTHDR(&header.msg_hdr); c != nullptr;
       c = CMSG_NXTHDR(const_cast<msghdr*>(&header.msg_hdr), c)) {
    if (ReadReceiveTime(c, out.receivedAt) || c->cmsg_level != IPPROTO_IP) continue;
    if (c->cmsg_type == IP_PKTINFO) {
      in_pktinfo info;
      std::memcpy(&info, CMSG_DATA(c), sizeof info);
      destination = info.ipi_addr;
      out.ifindex = static_cast<unsigned>(info.ipi_ifindex);
    } else if (c->cmsg_type == IP_TTL) {
      std::memcpy(&out.ttl, CMSG_DATA(c), sizeof out.ttl);
    }
  }
  std::memcpy(out.source.bytes.data(), &reinterpret_cast<const sockaddr_in*>(&slot.from)->sin_addr, 4);
  std::memcpy(out.destination.bytes.data(), &destination, 4);
  out.payload = bytes + headerLength;
  out.payloadLength = length - headerLength;
  return true;
}

// IPv6 raw sockets deliver the payload only; hop limit and destination exist only as ancillary data,
// so a datagram without them cannot be checked and is dropped.
bool ParseIpv6Datagram(const mmsghdr& header, const ReceiveSlot& slot, Datagram& out) {
  bool havePacketInfo = false;
  bool haveHopLimit = false;
  out.receivedAt.tv_sec = -1;
  for (cmsghdr* c = CMSG_FIRSTHDR(&header.msg_hdr); c != nullptr;
       c = CMSG_NXTHDR(const_cast<msghdr*>(&header.msg_hdr), c)) {
    if (ReadReceiveTime(c, out.receivedAt) || c->cmsg_level != IPPROTO_IPV6) continue;
    if (c->cmsg_type == IPV6_PKTINFO) {
      in6_pktinfo info;
      std::memcpy(&info, CMSG_DATA(c), sizeof info);
      std::memcpy(out.destination.bytes.data(), &info.ipi6_addr, 16);
      out.ifindex = info.ipi6_ifindex;
      havePacketInfo = true;
    } else if (c->cmsg_type == IPV6_HOPLIMIT) {
      std::memcpy(&out.ttl, CMSG_DATA(c), sizeof out.ttl);
      haveHopLimit = true;
    }
  }
  if (!havePacketInfo || !haveHopLimit) return false;
  std::memcpy(out.source.bytes.data(), &reinterpret_cast<const sockaddr_in6*>(&slot.from)->sin6_addr, 16);
  out.payload = slot.data.data();
  out.payloadLength = header.msg_len;
  return true;
}

double TimespecMs(const timespec& t) { return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) / 1e6; }

// CLOCK_REALTIME minus CLOCK_MONOTONIC now, in ms: turns the kernel's receive stamps (realtime) into
// the monotonic clock the engine runs on (performance.now() is CLOCK_MONOTONIC less a constant).
// Read on every wake-up, so a step of the wall clock moves only the stamps of packets queued across it.
double RealtimeToMonotonicMs() {
  timespec before{}, real{}, after{};
  clock_gettime(CLOCK_MONOTONIC, &before);
  clock_gettime(CLOCK_REALTIME, &real);
  clock_gettime(CLOCK_MONOTONIC, &after);
  return TimespecMs(real) - (TimespecMs(before) + TimespecMs(after)) / 2;
}

std::string FormatAddress(int family, const AddressKey& key) {
  if (family == AF_INET) {
    in_addr address;
    std::memcpy(&address, key.bytes.data(), 4);
    return FormatIpv4(address);
  }
  in6_addr address;
  std::memcpy(&address, key.bytes.data(), 16);
  return FormatIpv6(address);
}

// Aims the first `count` recvmmsg headers at their slots again (the kernel overwrites lengths and flags).
void PrepareReceive(SocketCore& core, size_t count) {
  for (size_t i = 0; i < count; i++) {
    ReceiveSlot& slot = core.slots[i];
    slot.iov = {slot.data.data(), slot.data.size()};
    msghdr& message = core.headers[i].msg_hdr;
    message = {};
    message.msg_name = &slot.from;
    message.msg_namelen = sizeof slot.from;
    message.msg_iov = &slot.iov;
    message.msg_iovlen = 1;
    message.msg_control = slot.control.data();
    message.msg_controllen = slot.control.size();
    core.headers[i].msg_len = 0;
  }
}

bool NeedsScope(const in6_addr& address) {
  return IN6_IS_ADDR_LINKLOCAL(&address) || IN6_IS_ADDR_MC_LINKLOCAL(&address);
}

// A packet's own TTL / hop limit, 1..255, if it names one.
std::optional<int> OptionalTtl(Napi::Env env, const Napi::Object& packet) {
  Napi::Value value = packet.Get("ttl");
  if (value.IsUndefined()) return std::nullopt;
  if (!value.IsNumber()) ThrowInvalidArg(env, "ttl must be a number");
  double ttl = value.As<Napi::Number>().DoubleValue();
  if (!(ttl >= 1 && ttl <= 255) || ttl != static_cast<int>(ttl)) ThrowInvalidArg(env, "ttl must be a whole number 1..255");
  return static_cast<int>(ttl);
}

// Fills `slot` and `message` for one packet object {sourceAddress?, destinationAddress, payload}.
// The source goes in IP_PKTINFO / IPV6_PKTINFO together with the interface, so each packet can carry
// its own (the primary address, a link-local one, or a unicast-mode source).
void PrepareSend(Napi::Env env, const SocketCore& core, const Napi::Object& packet, SendSlot& slot,
                 msghdr& message) {
  Napi::Value payload = packet.Get("payload");
  if (!payload.IsTypedArray() || payload.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    ThrowInvalidArg(env, "payload must be a Uint8Array or Buffer");
  }
  auto bytes = payload.As<Napi::Uint8Array>();
  std::string destination = RequireString(packet, "destinationAddress");
  std::optional<std::string> source = OptionalString(packet, "sourceAddress");

  slot.iov = {bytes.Data(), bytes.ByteLength()};
  message = {};
  message.msg_iov = &slot.iov;
  message.msg_iovlen = 1;
  message.msg_control = slot.control.data();
  slot.control.fill(0);
  cmsghdr* c = reinterpret_cast<cmsghdr*>(slot.control.data());

  if (core.family == AF_INET) {
    slot.destination.v4 = {};
    slot.destination.v4.sin_family = AF_INET;
    slot.destination.v4.sin_addr = ParseIpv4(env, destination, "destinationAddress");
    message.msg_name = &slot.destination.v4;
    message.msg_namelen = sizeof slot.destination.v4;
    in_pktinfo info{};
    info.ipi_ifindex = static_cast<int>(core.ifindex);
    if (source) info.ipi_spec_dst = ParseIpv4(env, *source, "sourceAddress");
    message.msg_controllen = CMSG_SPACE(sizeof info);
    c->cmsg_level = IPPROTO_IP;
    c->cmsg_type = IP_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof info);
    std::memcpy(CMSG_DATA(c), &info, sizeof info);
  } else {
    slot.destination.v6 = {};
    slot.destination.v6.sin6_family = AF_INET6;
    slot.destination.v6.sin6_addr = ParseIpv6(env, destination, "destinationAddress");
    if (NeedsScope(slot.destination.v6.sin6_addr)) slot.destination.v6.sin6_scope_id = core.ifindex;
    message.msg_name = &slot.destination.v6;
    message.msg_namelen = sizeof slot.destination.v6;
    in6_pktinfo info{};
    info.ipi6_ifindex = core.ifindex;
    if (source) info.ipi6_addr = ParseIpv6(env, *source, "sourceAddress");
    message.msg_controllen = CMSG_SPACE(sizeof info);
    c->cmsg_level = IPPROTO_IPV6;
    c->cmsg_type = IPV6_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof info);
    std::memcpy(CMSG_DATA(c), &info, sizeof info);
  }
  std::optional<int> ttl = OptionalTtl(env, packet);
  if (ttl) {
    cmsghdr* t = reinterpret_cast<cmsghdr*>(slot.control.data() + message.msg_controllen);
    t->cmsg_level = core.family == AF_INET ? IPPROTO_IP : IPPROTO_IPV6;
    t->cmsg_type = core.family == AF_INET ? IP_TTL : IPV6_HOPLIMIT;
    t->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(t), &*ttl, sizeof(int));
    message.msg_controllen += CMSG_SPACE(sizeof(int));
  }
}

}  // namespace

// Every open socket, per event loop: a signal on that loop sends the parting adverts armed on them, a
// precise timer's expiry the takeover adverts armed for it. Worker threads have loops of their own.
namespace {
std::mutex registryMutex;
std::unordered_map<uv_loop_t*, std::unordered_set<SocketCore*>> coresByLoop;

void RegisterCore(SocketCore* core) {
  std::lock_guard<std::mutex> lock(registryMutex);
  coresByLoop[core->poll.loop].insert(core);
}

std::vector<SocketCore*> CoresOf(uv_loop_t* loop) {
  std::lock_guard<std::mutex> lock(registryMutex);
  auto found = coresByLoop.find(loop);
  if (found == coresByLoop.end()) return {};
  return {found->second.begin(), found->second.end()};
}

bool Usable(const SocketCore& core) { return !core.closing && core.fd >= 0; }

// Sends the Armed ones among `adverts` with sendmmsg, marking those that left Sent; returns how many
// left. One the kernel refuses stays Armed: the engine's own send of it then goes ahead (and reports
// the error), as without these paths.
size_t SendReady(SocketCore& core, const std::vector<std::unique_ptr<ReadyAdvert>>& adverts) {
  if (!Usable(core)) return 0;
  std::vector<mmsghdr> headers;
  std::vector<ReadyAdvert*> armed;
  for (auto& advert : adverts) {
    if (advert->state != ReadyAdvert::State::Armed) continue;
    mmsghdr header{};
    header.msg_hdr = advert->message;
    headers.push_back(header);
    armed.push_back(advert.get());
  }
  size_t next = 0, sent = 0;
  while (next < headers.size()) {
    int result = sendmmsg(core.fd, &headers[next], static_cast<unsigned>(headers.size() - next), 0);
    if (result < 0) {
      if (errno == EINTR) continue;
      next++;  // this one stays armed; try the rest
      continue;
    }
    if (result == 0) break;
    if (static_cast<size_t>(result) < headers.size() - next) {
      int pending = 0;  // see Send: a partial send parks the next datagram's error in SO_ERROR
      socklen_t length = sizeof pending;
      getsockopt(core.fd, SOL_SOCKET, SO_ERROR, &pending, &length);
    }
    for (int i = 0; i < result; i++) armed[next + i]->state = ReadyAdvert::State::Sent;
    next += static_cast<size_t>(result);
    sent += static_cast<size_t>(result);
  }
  core.sent += static_cast<double>(sent);
  return sent;
}

// Same bytes, to the same destination, from the same source and interface (the pktinfo control data).
bool SameDatagram(const ReadyAdvert& advert, const SendSlot& slot) {
  return advert.payload.size() == slot.iov.iov_len &&
         std::memcmp(advert.payload.data(), slot.iov.iov_base, slot.iov.iov_len) == 0 &&
         std::memcmp(&advert.slot.destination, &slot.destination, sizeof slot.destination) == 0 &&
         advert.slot.control == slot.control;
}

// The advert of `adverts` already sent ahead that `slot` (a packet the engine is sending) repeats, or
// nullptr. The caller marks it Superseded once the whole batch is prepared.
ReadyAdvert* SentAhead(const std::vector<std::unique_ptr<ReadyAdvert>>& adverts, const SendSlot& slot) {
  for (auto& advert : adverts) {
    if (advert->state == ReadyAdvert::State::Sent && SameDatagram(*advert, slot)) return advert.get();
  }
  return nullptr;
}

// Removes the adverts still Armed (those sent ahead stay, for the engine's repeat to be skipped), or,
// with `armed` false, those sent ahead.
void DropByState(std::vector<std::unique_ptr<ReadyAdvert>>& adverts, bool armed) {
  adverts.erase(std::remove_if(adverts.begin(), adverts.end(),
                               [armed](const auto& advert) { return (advert->state == ReadyAdvert::State::Armed) == armed; }),
                adverts.end());
}

// Whether any receiving socket among `cores` has a datagram (or an error) waiting. A poll() failure
// counts as yes: the engine, which reads first, then decides.
bool AnyWaiting(const std::vector<SocketCore*>& cores) {
  std::vector<pollfd> fds;
  for (SocketCore* core : cores) {
    if (core->receiving && Usable(*core)) fds.push_back({core->fd, POLLIN, 0});
  }
  if (fds.empty()) return false;
  int ready;
  do {
    ready = poll(fds.data(), fds.size(), 0);
  } while (ready < 0 && errno == EINTR);
  return ready != 0;
}

// Copies the JS packets into ready adverts; one sent ahead whose repeat the engine has not sent yet is
// kept (still skipped once, never sent twice), whatever the new list: see SetParting. `old` is left
// untouched until every packet is prepared; if one is bad (only a bug in the caller), the armed ones
// of `old` are dropped (no stale advert can go out) and the error is thrown.
std::vector<std::unique_ptr<ReadyAdvert>> Rearm(Napi::Env env, const SocketCore& core, const Napi::Array& packets,
                                                std::vector<std::unique_ptr<ReadyAdvert>>& old) {
  std::vector<std::unique_ptr<ReadyAdvert>> adverts;
  adverts.reserve(packets.Length());
  try {
    for (uint32_t i = 0; i < packets.Length(); i++) {
      auto advert = std::make_unique<ReadyAdvert>();
      PrepareSend(env, core, RequireObject(env, packets.Get(i), "each packet"), advert->slot, advert->message);
      const auto* bytes = static_cast<const uint8_t*>(advert->slot.iov.iov_base);
      advert->payload.assign(bytes, bytes + advert->slot.iov.iov_len);
      advert->slot.iov = {advert->payload.data(), advert->payload.size()};
      adverts.push_back(std::move(advert));
    }
  } catch (...) {
    DropByState(old, true);
    throw;
  }
  // From here nothing throws.
  for (auto& previous : old) {
    if (previous->state == ReadyAdvert::State::Armed) continue;
    auto same = std::find_if(adverts.begin(), adverts.end(), [&](const auto& advert) {
      return advert->state == ReadyAdvert::State::Armed && SameDatagram(*previous, advert->slot);
    });
    if (same != adverts.end()) {
      (*same)->state = previous->state;
    } else if (previous->state == ReadyAdvert::State::Sent) {
      adverts.push_back(std::move(previous));
    }
  }
  return adverts;
}

}  // namespace

void ForgetCore(SocketCore* core) {
  std::lock_guard<std::mutex> lock(registryMutex);
  auto found = coresByLoop.find(core->poll.loop);
  if (found == coresByLoop.end()) return;
  found->second.erase(core);
  if (found->second.empty()) coresByLoop.erase(found);
}

size_t SendPartingAdverts(uv_loop_t* loop) {
  size_t sent = 0;
  // The sender thread's periodic adverts stop first: none may follow a priority-0 advert.
  for (SocketCore* core : CoresOf(loop)) periodic::HaltOwner(core);
  for (SocketCore* core : CoresOf(loop)) sent += SendReady(*core, core->parting);
  return sent;
}

size_t SendTakeoverAdverts(uv_loop_t* loop, uint32_t timerId) {
  std::vector<SocketCore*> cores = CoresOf(loop);
  std::vector<SocketCore*> holders;
  for (SocketCore* core : cores) {
    if (core->takeoverTimer == timerId && !core->takeover.empty() && Usable(*core)) holders.push_back(core);
  }
  // An advert already queued may be the Master's: reading it is the engine's job, and so is the decision.
  if (holders.empty() || AnyWaiting(cores)) return 0;
  size_t sent = 0;
  for (SocketCore* core : holders) sent += SendReady(*core, core->takeover);
  return sent;
}

void EndTakeoverWindow(uv_loop_t* loop) {
  for (SocketCore* core : CoresOf(loop)) DropByState(core->takeover, false);
}

Napi::Function VrrpSocket::Define(Napi::Env env) {
  return DefineClass(env, "VrrpSocket",
                     {
                         InstanceAccessor<&VrrpSocket::Fd>("fd"),
                         InstanceAccessor<&VrrpSocket::Ifindex>("ifindex"),
                         InstanceAccessor<&VrrpSocket::Family>("family"),
                         InstanceMethod<&VrrpSocket::JoinGroup>("joinGroup"),
                         InstanceMethod<&VrrpSocket::LeaveGroup>("leaveGroup"),
                         InstanceMethod<&VrrpSocket::SetReceiveBuffer>("setReceiveBuffer"),
                         InstanceMethod<&VrrpSocket::Send>("send"),
                         InstanceMethod<&VrrpSocket::SetParting>("setParting"),
                         InstanceMethod<&VrrpSocket::SetTakeover>("setTakeover"),
                         InstanceMethod<&VrrpSocket::SetPeriodic>("setPeriodic"),
                         InstanceMethod<&VrrpSocket::StartReceiving>("startReceiving"),
                         InstanceMethod<&VrrpSocket::StopReceiving>("stopReceiving"),
                         InstanceMethod<&VrrpSocket::ReceiveNow>("receiveNow"),
                         InstanceMethod<&VrrpSocket::RefLoop>("ref"),
                         InstanceMethod<&VrrpSocket::UnrefLoop>("unref"),
                         InstanceMethod<&VrrpSocket::Counters>("counters"),
                         InstanceMethod<&VrrpSocket::Close>("close"),
                     });
}

VrrpSocket::VrrpSocket(const Napi::CallbackInfo& info) : Napi::ObjectWrap<VrrpSocket>(info) {
  Napi::Env env = info.Env();
  // First, while nothing is open yet: a throw below must leave nothing behind that points at us.
  asyncContext_ = std::make_unique<Napi::AsyncContext>(env, "VrrpRawSocket", info.This().As<Napi::Object>());
  Napi::Object options = RequireObject(env, info[0], "options");
  int family = RequireFamily(options);
  std::string interfaceName = RequireString(options, "interface");
  unsigned ifindex = InterfaceIndex(env, interfaceName);

  int fd = OpenRawVrrpSocket(env, family, interfaceName, ifindex);

  auto* core = new SocketCore();
  core->family = family;
  core->ifindex = ifindex;
  core->interfaceName = interfaceName;
  AttachPolledFd(env, core, fd, true);  // from here the core is freed only through BeginClose
  RegisterCore(core);
  core->owner = this;
  core_ = core;
}

VrrpSocket::~VrrpSocket() {
  if (core_ != nullptr) {
    core_->owner = nullptr;
    BeginClose(core_);
  }
}

SocketCore& VrrpSocket::OpenCore(Napi::Env env, const char* operation) {
  if (core_ == nullptr) ThrowErrno(env, EBADF, operation, "(socket is closed)");
  return *core_;
}

Napi::Value VrrpSocket::Fd(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), core_ != nullptr ? core_->fd : -1);
}

Napi::Value VrrpSocket::Ifindex(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), core_ != nullptr ? core_->ifindex : 0);
}

Napi::Value VrrpSocket::Family(const Napi::CallbackInfo& info) {
  if (core_ == nullptr) return info.Env().Undefined();
  return Napi::Number::New(info.Env(), core_->family == AF_INET ? 4 : 6);
}

void VrrpSocket::ChangeMembership(Napi::Env env, bool join, const std::string& group) {
  SocketCore& core = OpenCore(env, join ? "joinGroup" : "leaveGroup");
  // Idempotent per group: the engine may re-join after a link flap.
  if (joined_.count(group) == (join ? 1u : 0u)) return;
  if (core.family == AF_INET) {
    ip_mreqn request{};
    request.imr_multiaddr = ParseIpv4(env, group, "group");
    request.imr_ifindex = static_cast<int>(core.ifindex);
    int option = join ? IP_ADD_MEMBERSHIP : IP_DROP_MEMBERSHIP;
    if (setsockopt(core.fd, IPPROTO_IP, option, &request, sizeof request) < 0) {
      ThrowErrno(env, errno, "setsockopt", std::string(join ? "IP_ADD_MEMBERSHIP " : "IP_DROP_MEMBERSHIP ") + group);
    }
  } else {
    ipv6_mreq request{};
    request.ipv6mr_multiaddr = ParseIpv6(env, group, "group");
    request.ipv6mr_interface = core.ifindex;
    int option = join ? IPV6_JOIN_GROUP : IPV6_LEAVE_GROUP;
    if (setsockopt(core.fd, IPPROTO_IPV6, option, &request, sizeof request) < 0) {
      ThrowErrno(env, errno, "setsockopt", std::string(join ? "IPV6_JOIN_GROUP " : "IPV6_LEAVE_GROUP ") + group);
    }
  }
  if (join) joined_.insert(group);
  else joined_.erase(group);
}

// joinGroup(group?) / leaveGroup(group?): the family's VRRP group unless another is named.
std::string VrrpSocket::GroupArgument(const Napi::CallbackInfo& info) {
  if (info.Length() > 0 && !info[0].IsUndefined()) {
    if (!info[0].IsString()) ThrowInvalidArg(info.Env(), "group must be a string");
    return info[0].As<Napi::String>().Utf8Value();
  }
  SocketCore& core = OpenCore(info.Env(), "joinGroup");
  return core.family == AF_INET ? kGroupV4 : kGroupV6;
}

void VrrpSocket::JoinGroup(const Napi::CallbackInfo& info) { ChangeMembership(info.Env(), true, GroupArgument(info)); }
void VrrpSocket::LeaveGroup(const Napi::CallbackInfo& info) { ChangeMembership(info.Env(), false, GroupArgument(info)); }

// setReceiveBuffer(bytes) -> the size the kernel reports after it (getsockopt: twice what it took,
// capped by net.core.rmem_max). SO_RCVBUF as keepalived's vrrp_rx_bufs_policy sets it: not FORCE, so
// a configuration cannot take more kernel memory than the administrator's rmem_max allows.
Napi::Value VrrpSocket::SetReceiveBuffer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  SocketCore& core = OpenCore(env, "setReceiveBuffer");
  if (!info[0].IsNumber()) ThrowInvalidArg(env, "setReceiveBuffer(bytes)");
  const double wanted = info[0].As<Napi::Number>().DoubleValue();
  if (!(wanted >= 1 && wanted <= INT_MAX)) ThrowInvalidArg(env, "bytes must be from 1 to 2147483647");
  int bytes = static_cast<int>(wanted);
  if (setsockopt(core.fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes) != 0) ThrowErrno(env, errno, "setsockopt", "SO_RCVBUF");
  int now = 0;
  socklen_t length = sizeof now;
  if (getsockopt(core.fd, SOL_SOCKET, SO_RCVBUF, &now, &length) != 0) ThrowErrno(env, errno, "getsockopt", "SO_RCVBUF");
  return Napi::Number::New(env, now);
}

// send([{sourceAddress?, destinationAddress, payload}, ...], probe?) -> {sent, failures: [{index, error}]}
// All packets go out with one sendmmsg when possible. A packet the kernel refuses is reported with
// its index and the remaining packets are still sent: one bad unicast peer must not silence the rest.
// probe = true: the same path with MSG_PROBE, which makes the kernel look up the route and stop
// before building a datagram, so nothing reaches the wire and no counter moves. A Backup uses it to
// run its send path (JavaScript, N-API, route lookup) once before its first real advert, which
// otherwise pays for that first run at the moment of a takeover.
Napi::Value VrrpSocket::Send(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  SocketCore& core = OpenCore(env, "send");
  if (!info[0].IsArray()) ThrowInvalidArg(env, "packets must be an array");
  const bool probe = info.Length() > 1 && info[1].ToBoolean().Value();
  const int flags = probe ? kMsgProbe : 0;
  auto packets = info[0].As<Napi::Array>();
  size_t count = packets.Length();

  std::vector<SendSlot> slots(count);
  std::vector<mmsghdr> headers(count);
  // Packet index of each header: a parting advert the signal path already sent is left out (and
  // counted as sent), so indexes of failures must still name the caller's packets.
  std::vector<size_t> indexOf(count);
  std::vector<ReadyAdvert*> repeated;
  size_t queued = 0;
  for (size_t i = 0; i < count; i++) {
    Napi::Object packet = RequireObject(env, packets.Get(static_cast<uint32_t>(i)), "each packet");
    PrepareSend(env, core, packet, slots[i], headers[queued].msg_hdr);
    // A Master's periodic advert that the sender thread already sent this interval (periodic_adverts.h).
    if (!probe && packet.Get("periodic").ToBoolean().Value() && periodic::TakeJsSend(&core, headers[queued].msg_hdr)) continue;
    ReadyAdvert* sent = nullptr;
    if (!probe && !core.parting.empty()) sent = SentAhead(core.parting, slots[i]);
    if (!probe && sent == nullptr && !core.takeover.empty()) sent = SentAhead(core.takeover, slots[i]);
    if (sent != nullptr && std::find(repeated.begin(), repeated.end(), sent) == repeated.end()) {
      repeated.push_back(sent);
      continue;
    }
    indexOf[queued++] = i;
  }
  // Only now, with every packet prepared (a bad one throws above): those skips are used up.
  for (ReadyAdvert* advert : repeated) advert->state = ReadyAdvert::State::Superseded;

  std::vector<std::pair<size_t, int>> failures;
  size_t next = 0;
  while (next < queued) {
    unsigned batch = static_cast<unsigned>(std::min<size_t>(queued - next, kMaxSendBatch));
    int result = sendmmsg(core.fd, &headers[next], batch, flags);
    if (result < 0) {
      if (errno == EINTR) continue;
      failures.emplace_back(indexOf[next], errno);  // sendmmsg reports the first datagram's own error
      next++;
      continue;
    }
    if (static_cast<unsigned>(result) < batch) {
      // After a partial send the kernel parks the failing datagram's error in SO_ERROR, where the
      // next recvmsg would report it as a receive error; clear it, the retry below reports it here.
      int pending = 0;
      socklen_t length = sizeof pending;
      getsockopt(core.fd, SOL_SOCKET, SO_ERROR, &pending, &length);
    }
    next += result > 0 ? static_cast<size_t>(result) : 0;
    if (result == 0) failures.emplace_back(indexOf[next++], EAGAIN);
  }

  if (!probe) {
    core.sent += static_cast<double>(queued - failures.size());
    core.sendErrors += static_cast<double>(failures.size());
  }
  Napi::Array failureList = Napi::Array::New(env, failures.size());
  for (size_t i = 0; i < failures.size(); i++) {
    Napi::Object failure = Napi::Object::New(env);
    failure.Set("index", Napi::Number::New(env, static_cast<double>(failures[i].first)));
    std::string detail = core.family == AF_INET ? "AF_INET" : "AF_INET6";
    detail += " on " + core.interfaceName;
    failure.Set("error", ErrnoError(env, failures[i].second, "sendmmsg", detail).Value());
    failureList.Set(static_cast<uint32_t>(i), failure);
  }
  Napi::Object result = Napi::Object::New(env);
  result.Set("sent", Napi::Number::New(env, static_cast<double>(count - failures.size())));
  result.Set("failures", failureList);
  return result;
}

// startReceiving(callback(error | null, count, data, meta, names)): `count` datagrams, datagram i
// described by meta[6i .. 6i+5] = payload offset and length in `data` (a Buffer), source and
// destination as indices into `names` (canonical address strings), TTL / hop limit, ifindex. `meta`
// is the same array at every call and only valid during it; `names` is the same array until the
// table is reset (then a new one comes). Calling it again replaces the callback.
// setParting([{sourceAddress?, destinationAddress, payload}, ...]): the adverts to send the moment a
// SIGTERM / SIGINT watcher made with sendPartingFirst fires (SendPartingAdverts), before any JS runs.
// Each call replaces the list; [] disarms. Payloads are copied: the caller may reuse its buffers.
void VrrpSocket::SetParting(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  SocketCore& core = OpenCore(env, "setParting");
  if (!info[0].IsArray()) ThrowInvalidArg(env, "packets must be an array");
  // Re-armed after a signal already sent one (an apply, a Master set change): still sent, still
  // skipped once, never sent twice; and kept when the runner disarms (setParting([])) between the
  // signal and the stop's own send.
  core.parting = Rearm(env, core, info[0].As<Napi::Array>(), core.parting);
}

// setTakeover([{sourceAddress?, destinationAddress, payload}, ...], timerId): the adverts the engine
// will send as its first ones as Master if the PreciseTimer `timerId` (its `id`) expires with nothing
// received: that expiry sends them before any JS runs (SendTakeoverAdverts), unless a receiving VRRP
// socket of the loop has a datagram waiting. The engine's own send of the same bytes in that timer's
// callback is then skipped, once. Each call replaces the list; [] disarms.
void VrrpSocket::SetTakeover(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  SocketCore& core = OpenCore(env, "setTakeover");
  double timer = info[1].IsNumber() ? info[1].As<Napi::Number>().DoubleValue() : -1;
  const bool validTimer = timer >= 0 && timer <= 0xffffffff && timer == static_cast<uint32_t>(timer);
  if (!info[0].IsArray() || !validTimer) {
    // Whatever was armed no longer matches what the caller holds: it must not go out.
    DropByState(core.takeover, true);
    ThrowInvalidArg(env, !validTimer ? "timerId must be a PreciseTimer's id" : "packets must be an array");
  }
  core.takeover = Rearm(env, core, info[0].As<Napi::Array>(), core.takeover);
  core.takeoverTimer = static_cast<uint32_t>(timer);
}

// setPeriodic(key, [{sourceAddress?, destinationAddress, payload}, ...], intervalNs, firstAtNs, watchdogNs):
// arms the sender thread's schedule `key` with these adverts (copied), every intervalNs from firstAtNs
// (CLOCK_MONOTONIC; a key already armed keeps its own timing), sending nothing once watchdogNs pass
// without a checkIn. [] disarms. See periodic_adverts.h.
void VrrpSocket::SetPeriodic(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  SocketCore& core = OpenCore(env, "setPeriodic");
  if (!info[0].IsNumber() || !info[1].IsArray() || !info[2].IsNumber() || !info[3].IsNumber() || !info[4].IsNumber()) {
    ThrowInvalidArg(env, "setPeriodic(key, packets, intervalNs, firstAtNs, watchdogNs)");
  }
  periodic::Schedule schedule;
  schedule.intervalNs = static_cast<int64_t>(info[2].As<Napi::Number>().DoubleValue());
  schedule.firstAtNs = static_cast<int64_t>(info[3].As<Napi::Number>().DoubleValue());
  schedule.watchdogNs = static_cast<int64_t>(info[4].As<Napi::Number>().DoubleValue());
  if (schedule.intervalNs < 1000000 || schedule.watchdogNs < schedule.intervalNs) {
    ThrowInvalidArg(env, "intervalNs must be at least 1 ms and watchdogNs at least intervalNs");
  }
  auto packets = info[1].As<Napi::Array>();
  std::vector<periodic::Datagram> datagrams;
  for (uint32_t i = 0; i < packets.Length(); i++) {
    SendSlot slot;
    msghdr message;
    PrepareSend(env, core, RequireObject(env, packets.Get(i), "each packet"), slot, message);
    datagrams.push_back(periodic::FromMessage(message));
  }
  int error = periodic::Arm(&core, core.fd, info[0].As<Napi::Number>().Uint32Value(), std::move(datagrams), schedule);
  if (error != 0) ThrowErrno(env, error, "setPeriodic", "fcntl F_DUPFD_CLOEXEC or pthread_create");
}

void VrrpSocket::StartReceiving(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  SocketCore& core = OpenCore(env, "startReceiving");
  if (!info[0].IsFunction()) ThrowInvalidArg(env, "callback must be a function");
  if (core.slots.empty()) {
    core.slots.resize(kBatch);
    core.staging.reserve(kMaxPerWakeup * 64);
  }
  if (meta_.IsEmpty()) {
    Napi::ArrayBuffer buffer = Napi::ArrayBuffer::New(env, kMaxPerWakeup * kMetaFields * sizeof(uint32_t));
    Napi::Uint32Array meta = Napi::Uint32Array::New(env, kMaxPerWakeup * kMetaFields, buffer, 0);
    metaData_ = static_cast<uint32_t*>(buffer.Data());
    meta_ = Napi::Persistent(meta);
    Napi::ArrayBuffer timeBuffer = Napi::ArrayBuffer::New(env, kMaxPerWakeup * sizeof(double));
    Napi::Float64Array times = Napi::Float64Array::New(env, kMaxPerWakeup, timeBuffer, 0);
    timesData_ = static_cast<double*>(timeBuffer.Data());
    times_ = Napi::Persistent(times);
  }
  if (names_.IsEmpty()) {
    core.nameIds.clear();
    names_ = Napi::Persistent(Napi::Array::New(env));
  }
  int status = StartPolling(core);
  if (status < 0) ThrowErrno(env, -status, "uv_poll_start");
  core.receiving = true;
  onPackets_ = Napi::Persistent(info[0].As<Napi::Function>());
  if (!holdsStrongRef_) {
    Napi::ObjectWrap<VrrpSocket>::Ref();
    holdsStrongRef_ = true;
  }
}

uint32_t VrrpSocket::NameId(Napi::Env env, SocketCore& core, const AddressKey& key) {
  auto found = core.nameIds.find(key);
  if (found != core.nameIds.end()) return found->second;
  uint32_t id = static_cast<uint32_t>(core.nameIds.size());
  core.nameIds.emplace(key, id);
  names_.Value().Set(id, Napi::String::New(env, FormatAddress(core.family, key)));
  return id;
}

void VrrpSocket::ReleaseReceiver() {
  if (core_ != nullptr) core_->receiving = false;
  onPackets_.Reset();
  if (holdsStrongRef_) {
    Napi::ObjectWrap<VrrpSocket>::Unref();
    holdsStrongRef_ = false;
  }
}

void VrrpSocket::StopReceiving(const Napi::CallbackInfo&) {
  if (core_ != nullptr) StopPolling(*core_);
  ReleaseReceiver();
}

void VrrpSocket::RefLoop(const Napi::CallbackInfo&) {
  if (core_ != nullptr) SetLoopRef(*core_, true);
}

void VrrpSocket::UnrefLoop(const Napi::CallbackInfo&) {
  if (core_ != nullptr) SetLoopRef(*core_, false);
}

Napi::Value VrrpSocket::Counters(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object counters = Napi::Object::New(env);
  const SocketCore* core = core_;
  counters.Set("received", Napi::Number::New(env, core ? core->received : 0));
  counters.Set("truncated", Napi::Number::New(env, core ? core->truncated : 0));
  counters.Set("malformed", Napi::Number::New(env, core ? core->malformed : 0));
  counters.Set("sent", Napi::Number::New(env, core ? core->sent : 0));
  counters.Set("sendErrors", Napi::Number::New(env, core ? core->sendErrors : 0));
  return counters;
}

void VrrpSocket::Close(const Napi::CallbackInfo&) {
  ReleaseReceiver();
  if (core_ != nullptr) BeginClose(core_);  // BeginClose calls Detach, which clears core_
}

void VrrpSocket::OnReadable(int status) { ReadAndDeliver(status, false); }

// receiveNow(): reads what the socket holds now and delivers it to the startReceiving callback before
// returning (nothing when not receiving or nothing is queued). The engine calls it before acting on
// timer expiries: libuv runs timers before polling, so after the process was descheduled for longer
// than a Master_Down_Interval, adverts that arrived in time would otherwise be read only after the
// Backup had taken over. A throw from the callback propagates to the caller.
Napi::Value VrrpSocket::ReceiveNow(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (core_ == nullptr || onPackets_.IsEmpty() || core_->slots.empty() || delivering_) return Napi::Boolean::New(env, false);
  // True when it read a whole wake-up's worth: more may be queued behind.
  return Napi::Boolean::New(env, ReadAndDeliver(0, true) >= kMaxPerWakeup);
}

size_t VrrpSocket::ReadAndDeliver(int status, bool fromJs) {
  Napi::Env env = Env();
  Napi::HandleScope scope(env);
  SocketCore& core = *core_;

  Napi::Value error = env.Null();
  uint32_t delivered = 0;
  size_t read = 0;
  core.staging.clear();
  if (core.nameIds.size() >= kMaxNames) {
    core.nameIds.clear();
    names_ = Napi::Persistent(Napi::Array::New(env));
  }

  // libuv reports a socket error parked on the descriptor (POLLERR: an ICMP error, say) as UV_EBADF
  // and stops polling. A descriptor that is still open is polled again and read, and the read
  // reports the parked error (as rtnetlink.cc does); anything else ends polling, reported once.
  if (status < 0) {
    const bool stillOpen = status == UV_EBADF && fcntl(core.fd, F_GETFD) >= 0;
    const int restarted = stillOpen ? StartPolling(core) : status;
    if (restarted < 0) {
      error = ErrnoError(env, -restarted, "uv_poll").Value();
      StopPolling(core);
    }
  }
  if (error.IsNull()) {
    const double realtimeToMonotonicMs = RealtimeToMonotonicMs();
    while (read < kMaxPerWakeup) {
      size_t want = std::min(kBatch, kMaxPerWakeup - read);
      PrepareReceive(core, want);
      int count = recvmmsg(core.fd, core.headers.data(), static_cast<unsigned>(want), MSG_DONTWAIT, nullptr);
      if (count < 0) {
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) error = ErrnoError(env, errno, "recvmmsg").Value();
        break;
      }
      read += static_cast<size_t>(count);
      for (int i = 0; i < count; i++) {
        const mmsghdr& header = core.headers[static_cast<size_t>(i)];
        const ReceiveSlot& slot = core.slots[static_cast<size_t>(i)];
        if (header.msg_hdr.msg_flags & MSG_TRUNC) {
          core.truncated++;
          continue;
        }
        Datagram datagram{};
        bool ok = core.family == AF_INET ? ParseIpv4Datagram(core, header, slot, datagram)
                                         : ParseIpv6Datagram(header, slot, datagram);
        if (!ok) {
          core.malformed++;
          continue;
        }
        core.received++;
        uint32_t* fields = metaData_ + static_cast<size_t>(delivered) * kMetaFields;
        fields[0] = static_cast<uint32_t>(core.staging.size());
        fields[1] = static_cast<uint32_t>(datagram.payloadLength);
        fields[2] = NameId(env, core, datagram.source);
        fields[3] = NameId(env, core, datagram.destination);
        fields[4] = static_cast<uint32_t>(datagram.ttl);
        fields[5] = datagram.ifindex;
        timesData_[delivered] =
            datagram.receivedAt.tv_sec < 0 ? NAN : TimespecMs(datagram.receivedAt) - realtimeToMonotonicMs;
        core.staging.insert(core.staging.end(), datagram.payload, datagram.payload + datagram.payloadLength);
        delivered++;
      }
      if (static_cast<size_t>(count) < want) break;  // the queue is empty
    }
  }

  if (delivered == 0 && error.IsNull()) return read;
  // One copy for the whole batch; JS hands out views of it (a Buffer of length 0 is fine too).
  Napi::Value data = Napi::Buffer<uint8_t>::Copy(env, core.staging.data(), core.staging.size());
  struct Delivering {
    bool& flag;
    explicit Delivering(bool& f) : flag(f) { flag = true; }
    ~Delivering() { flag = false; }
  } delivering(delivering_);
  if (fromJs) {
    onPackets_.Call(Value(), {error, Napi::Number::New(env, delivered), data, meta_.Value(), names_.Value(), times_.Value()});
    return read;
  }
  try {
    onPackets_.MakeCallback(Value(),
                            {error, Napi::Number::New(env, delivered), data, meta_.Value(), names_.Value(), times_.Value()},
                            *asyncContext_);
  } catch (const Napi::Error& thrown) {
    // An exception from the callback has nowhere to go up a libuv callback: report it as uncaught,
    // exactly as Node does for its own sockets' event handlers.
    napi_fatal_exception(env, thrown.Value());
  }
  return read;
}

}  // namespace vrrp

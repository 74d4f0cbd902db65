#include "claim_watch.h"

#include <fcntl.h>

#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "announce.h"
#include "errors.h"
#include "net_util.h"
#include "polled_fd.h"

namespace vrrp {

using Ipv6Bytes = std::array<uint8_t, 16>;

struct ClaimCore final : PolledFd {
  ClaimWatch* owner = nullptr;
  unsigned ifindex = 0;
  MacAddress ownMac{};
  std::set<uint32_t> watched4;  // network byte order
  std::set<Ipv6Bytes> watched6;
  // The last ARP sender address (not a watched one) seen from each MAC: "the other node's address".
  std::map<MacAddress, uint32_t> senders;
  double frames = 0;
  double claims = 0;
  // Socket errors the poll reported (a link going down parks ENETDOWN on the socket), and whether
  // polling had to stop for good (the descriptor is gone).
  double socketErrors = 0;
  bool stopped = false;

  void Readable(int status) override {
    if (owner != nullptr) owner->OnReadable(status);
  }
  void ForgetOwner() override {
    if (owner != nullptr) owner->Detach();
    owner = nullptr;
  }
};

namespace {

constexpr size_t kEth = 14;
constexpr size_t kSnap = 128;            // an ARP frame is 42 bytes, an NA with its option 86
constexpr int kFramesPerWake = 256;      // then back to the loop; the rest wakes it again
constexpr size_t kMaxSenders = 1024;     // bounded: a flood of ARP senders cannot grow it further
constexpr MacAddress kBroadcast = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

// Kernel filter: drop what this host sent; pass ARP, and IPv6 ICMPv6 type 136 without extension headers.
// The classic BPF jump offsets count instructions after the jumping one.
const sock_filter kFilter[] = {
    BPF_STMT(BPF_LD | BPF_B | BPF_ABS, static_cast<__u32>(SKF_AD_OFF + SKF_AD_PKTTYPE)),  // 0
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PACKET_OUTGOING, 7, 0),       // 1 -> drop
    BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),                           // 2 ethertype
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_ARP, 6, 0),             // 3 -> accept
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IPV6, 0, 4),            // 4 else drop
    BPF_STMT(BPF_LD | BPF_B | BPF_ABS, kEth + 6),                     // 5 next header
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_ICMPV6, 0, 2),        // 6 else drop
    BPF_STMT(BPF_LD | BPF_B | BPF_ABS, kEth + 40),                    // 7 ICMPv6 type
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 136, 1, 0),                   // 8 NA -> accept
    BPF_STMT(BPF_RET | BPF_K, 0),                                     // 9 drop
    BPF_STMT(BPF_RET | BPF_K, kSnap),                                 // 10 accept
};

struct Claim {
  bool ipv6;
  bool reply;  // ARP reply, or a solicited NA
  std::string address;
  MacAddress mac;
  std::string sender;  // empty when unknown
};

std::string FormatMac(const MacAddress& mac) {
  char text[18];
  snprintf(text, sizeof text, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
  return text;
}

void ReadArp(ClaimCore& core, const uint8_t* frame, size_t length, std::vector<Claim>& out) {
  const uint8_t* arp = frame + kEth;
  if (length < kEth + 28 || arp[0] != 0 || arp[1] != 1 || arp[2] != 8 || arp[3] != 0 || arp[4] != 6 || arp[5] != 4) {
    return;
  }
  uint16_t op = static_cast<uint16_t>(arp[6] << 8 | arp[7]);
  if (op != 1 && op != 2) return;
  MacAddress mac;
  std::memcpy(mac.data(), arp + 8, 6);
  uint32_t sender;
  std::memcpy(&sender, arp + 14, 4);
  if (sender == 0 || mac == core.ownMac) return;
  if (core.watched4.count(sender) == 0) {
    if (core.senders.size() < kMaxSenders || core.senders.count(mac) != 0) core.senders[mac] = sender;
    return;
  }
  auto known = core.senders.find(mac);
  in_addr address{sender};
  std::string other = known == core.senders.end() ? "" : FormatIpv4(in_addr{known->second});
  out.push_back({false, op == 2, FormatIpv4(address), mac, other});
}

void ReadNa(ClaimCore& core, const uint8_t* frame, size_t length, std::vector<Claim>& out) {
  const uint8_t* ip = frame + kEth;
  const uint8_t* na = ip + 40;
  if (length < kEth + 40 + 24 || (ip[0] >> 4) != 6 || ip[7] != 255) return;
  bool override = (na[4] & 0x20) != 0;
  if (!override) return;
  Ipv6Bytes target;
  std::memcpy(target.data(), na + 8, 16);
  if (core.watched6.count(target) == 0) return;
  MacAddress mac;
  std::memcpy(mac.data(), frame + 6, 6);  // the Ethernet source, unless the option names another
  if (length >= kEth + 40 + 32 && na[24] == 2 && na[25] == 1) std::memcpy(mac.data(), na + 26, 6);
  if (mac == core.ownMac) return;
  in6_addr source;
  std::memcpy(source.s6_addr, ip + 8, 16);
  in6_addr targetAddress;
  std::memcpy(targetAddress.s6_addr, target.data(), 16);
  std::string other = std::memcmp(source.s6_addr, target.data(), 16) == 0 ? "" : FormatIpv6(source);
  out.push_back({true, (na[4] & 0x40) != 0, FormatIpv6(targetAddress), mac, other});
}

Napi::Object ClaimObject(Napi::Env env, const Claim& claim) {
  Napi::Object object = Napi::Object::New(env);
  object.Set("family", Napi::Number::New(env, claim.ipv6 ? 6 : 4));
  object.Set("reply", Napi::Boolean::New(env, claim.reply));
  object.Set("address", Napi::String::New(env, claim.address));
  object.Set("mac", Napi::String::New(env, FormatMac(claim.mac)));
  if (!claim.sender.empty()) object.Set("sender", Napi::String::New(env, claim.sender));
  return object;
}

// RFC 5227 s2.1.1 probe: ARP request, sender hardware ours, sender protocol 0.0.0.0, target the address.
std::vector<uint8_t> ArpProbe(const MacAddress& mac, const in_addr& target) {
  std::vector<uint8_t> frame(kEth + 28, 0);
  std::memcpy(frame.data(), kBroadcast.data(), 6);
  std::memcpy(frame.data() + 6, mac.data(), 6);
  frame[12] = 0x08;
  frame[13] = 0x06;
  const uint8_t fixed[8] = {0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01};
  std::memcpy(frame.data() + kEth, fixed, sizeof fixed);
  std::memcpy(frame.data() + kEth + 8, mac.data(), 6);
  std::memcpy(frame.data() + kEth + 24, &target, 4);
  return frame;
}

// RFC 4862 s5.4.2 DAD probe: NS from :: to the target's solicited-node group, no source link-layer option.
std::vector<uint8_t> NsProbe(const MacAddress& mac, const in6_addr& target) {
  in6_addr group{};
  inet_pton(AF_INET6, "ff02::1:ff00:0", &group);
  std::memcpy(group.s6_addr + 13, target.s6_addr + 13, 3);
  std::vector<uint8_t> frame(kEth + 40 + 24, 0);
  const MacAddress groupMac = {0x33, 0x33, 0xff, target.s6_addr[13], target.s6_addr[14], target.s6_addr[15]};
  std::memcpy(frame.data(), groupMac.data(), 6);
  std::memcpy(frame.data() + 6, mac.data(), 6);
  frame[12] = 0x86;
  frame[13] = 0xdd;
  uint8_t* ip = frame.data() + kEth;
  ip[0] = 0x60;
  ip[5] = 24;
  ip[6] = IPPROTO_ICMPV6;
  ip[7] = 255;
  std::memcpy(ip + 24, group.s6_addr, 16);  // source :: (already zero)
  uint8_t* ns = ip + 40;
  ns[0] = 135;
  std::memcpy(ns + 8, target.s6_addr, 16);
  uint16_t checksum = Icmpv6Checksum(in6addr_any, group, ns, 24);
  ns[2] = static_cast<uint8_t>(checksum >> 8);
  ns[3] = static_cast<uint8_t>(checksum);
  return frame;
}

std::vector<std::string> StringList(Napi::Env env, const Napi::Value& value, const char* what) {
  if (!value.IsArray()) ThrowInvalidArg(env, std::string(what) + " must be an array of address strings");
  Napi::Array array = value.As<Napi::Array>();
  std::vector<std::string> out;
  for (uint32_t i = 0; i < array.Length(); i++) {
    Napi::Value item = array.Get(i);
    if (!item.IsString()) ThrowInvalidArg(env, std::string(what) + "[" + std::to_string(i) + "] must be a string");
    out.push_back(item.As<Napi::String>().Utf8Value());
  }
  return out;
}

bool IsIpv6(const std::string& text) { return text.find(':') != std::string::npos; }

}  // namespace

Napi::Function ClaimWatch::Define(Napi::Env env) {
  return DefineClass(env, "ClaimWatch",
                     {
                         InstanceMethod<&ClaimWatch::SetAddresses>("setAddresses"),
                         InstanceMethod<&ClaimWatch::Probe>("probe"),
                         InstanceMethod<&ClaimWatch::Counters>("counters"),
                         InstanceMethod<&ClaimWatch::UnrefLoop>("unref"),
                         InstanceMethod<&ClaimWatch::Close>("close"),
                     });
}

ClaimWatch::ClaimWatch(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ClaimWatch>(info) {
  Napi::Env env = info.Env();
  Napi::Object options = RequireObject(env, info[0], "options");
  std::string name = RequireString(options, "interface");
  if (!info[1].IsFunction()) ThrowInvalidArg(env, "callback must be a function");
  callback_ = Napi::Persistent(info[1].As<Napi::Function>());
  unsigned ifindex = InterfaceIndex(env, name);

  // Protocol 0 until the filter is in place: nothing is queued unfiltered.
  UniqueFd fd(socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) ThrowErrno(env, errno, "socket", "AF_PACKET SOCK_RAW");
  MacAddress mac = InterfaceMac(env, fd.get(), name);
  sock_fprog program{static_cast<unsigned short>(sizeof kFilter / sizeof kFilter[0]), const_cast<sock_filter*>(kFilter)};
  if (setsockopt(fd.get(), SOL_SOCKET, SO_ATTACH_FILTER, &program, sizeof program) < 0) {
    ThrowErrno(env, errno, "setsockopt", "SO_ATTACH_FILTER");
  }
  sockaddr_ll bound{};
  bound.sll_family = AF_PACKET;
  bound.sll_protocol = htons(ETH_P_ALL);
  bound.sll_ifindex = static_cast<int>(ifindex);
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&bound), sizeof bound) < 0) ThrowErrno(env, errno, "bind", name);

  auto* core = new ClaimCore();
  core->ifindex = ifindex;
  core->ownMac = mac;
  AttachPolledFd(env, core, fd.release(), true);
  core->owner = this;
  core_ = core;
  int status = StartPolling(*core);
  if (status < 0) {
    BeginClose(core);
    ThrowErrno(env, -status, "uv_poll_start", "claim watch");
  }
  Ref();  // watching: the wrapper lives until close()
  holdsStrongRef_ = true;
}

ClaimWatch::~ClaimWatch() {
  if (core_ != nullptr) {
    core_->owner = nullptr;
    BeginClose(core_);
  }
}

void ClaimWatch::Detach() { core_ = nullptr; }

// setAddresses(list): the addresses whose claims are reported from now on (replaces the last list).
void ClaimWatch::SetAddresses(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<std::string> list = StringList(env, info[0], "addresses");
  std::set<uint32_t> four;
  std::set<Ipv6Bytes> six;
  for (const std::string& text : list) {
    if (IsIpv6(text)) {
      in6_addr address = ParseIpv6(env, text, "addresses");
      Ipv6Bytes bytes;
      std::memcpy(bytes.data(), address.s6_addr, 16);
      six.insert(bytes);
    } else {
      four.insert(ParseIpv4(env, text, "addresses").s_addr);
    }
  }
  if (core_ == nullptr) return;
  core_->watched4 = std::move(four);
  core_->watched6 = std::move(six);
}

// probe(list) -> frames sent: one RFC 5227 ARP probe or DAD NS per address.
Napi::Value ClaimWatch::Probe(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<std::string> list = StringList(env, info[0], "addresses");
  if (core_ == nullptr) ThrowErrno(env, EBADF, "probe", "claim watch is closed");
  double sent = 0;
  for (const std::string& text : list) {
    bool six = IsIpv6(text);
    std::vector<uint8_t> frame =
        six ? NsProbe(core_->ownMac, ParseIpv6(env, text, "addresses")) : ArpProbe(core_->ownMac, ParseIpv4(env, text, "addresses"));
    sockaddr_ll to{};
    to.sll_family = AF_PACKET;
    to.sll_protocol = htons(six ? ETH_P_IPV6 : ETH_P_ARP);
    to.sll_ifindex = static_cast<int>(core_->ifindex);
    to.sll_halen = ETH_ALEN;
    std::memcpy(to.sll_addr, frame.data(), ETH_ALEN);
    ssize_t n = sendto(core_->fd, frame.data(), frame.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
    if (n < 0) ThrowErrno(env, errno, "sendto", (six ? "DAD probe " : "ARP probe ") + text);
    sent++;
  }
  return Napi::Number::New(env, sent);
}

Napi::Value ClaimWatch::Counters(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  out.Set("frames", Napi::Number::New(env, core_ == nullptr ? 0 : core_->frames));
  out.Set("socketErrors", Napi::Number::New(env, core_ == nullptr ? 0 : core_->socketErrors));
  out.Set("stopped", Napi::Boolean::New(env, core_ != nullptr && core_->stopped));
  out.Set("claims", Napi::Number::New(env, core_ == nullptr ? 0 : core_->claims));
  return out;
}

void ClaimWatch::UnrefLoop(const Napi::CallbackInfo&) {
  if (core_ != nullptr) SetLoopRef(*core_, false);
}

void ClaimWatch::Close(const Napi::CallbackInfo&) {
  if (core_ != nullptr) BeginClose(core_);
  if (holdsStrongRef_) {
    Unref();
    holdsStrongRef_ = false;
  }
}

void ClaimWatch::OnReadable(int status) {
  Napi::Env env = Env();
  Napi::HandleScope scope(env);
  if (core_ == nullptr) return;
  if (status < 0) {
    // libuv reports a socket error (POLLERR) as UV_EBADF and stops polling: a link that goes down
    // parks ENETDOWN on an AF_PACKET socket. Never fatal (the watch is a diagnostic; the routers
    // matter more): a descriptor still open is polled again and read, and the read consumes the
    // parked error; anything else stops the watch, counted in counters().
    core_->socketErrors++;
    bool stillOpen = status == UV_EBADF && fcntl(core_->fd, F_GETFD) >= 0;
    if (!stillOpen || StartPolling(*core_) < 0) {
      StopPolling(*core_);
      core_->stopped = true;
      return;
    }
  }
  std::vector<Claim> claims;
  uint8_t frame[kSnap];
  for (int i = 0; i < kFramesPerWake && core_ != nullptr; i++) {
    ssize_t n = recv(core_->fd, frame, sizeof frame, MSG_DONTWAIT | MSG_TRUNC);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;  // EAGAIN: drained
    core_->frames++;
    size_t length = static_cast<size_t>(n) < sizeof frame ? static_cast<size_t>(n) : sizeof frame;
    uint16_t type = static_cast<uint16_t>(frame[12] << 8 | frame[13]);
    if (type == ETH_P_ARP) {
      ReadArp(*core_, frame, length, claims);
    } else {
      ReadNa(*core_, frame, length, claims);
    }
  }
  if (claims.empty() || core_ == nullptr) return;
  core_->claims += static_cast<double>(claims.size());
  Napi::Array list = Napi::Array::New(env, claims.size());
  for (size_t i = 0; i < claims.size(); i++) list.Set(static_cast<uint32_t>(i), ClaimObject(env, claims[i]));
  Napi::Object self = Value();
  try {
    callback_.MakeCallback(self, {list});
  } catch (const Napi::Error& thrown) {
    napi_fatal_exception(env, thrown.Value());
  }
}

}  // namespace vrrp

#include "takeover_kit.h"

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "announce.h"
#include "errors.h"
#include "net_util.h"

namespace vrrp {
namespace {

// How long a firing waits for acks the kernel has not queued yet. rtnetlink requests are handled
// inside the send, so they are all there at once; this only bounds a kernel that behaves otherwise.
constexpr int kAckWaitMs = 20;
constexpr size_t kAckBufferBytes = 16 * 1024;
constexpr size_t kIfindexOffset = sizeof(nlmsghdr) + 4;  // ifaddrmsg: family, prefixlen, flags, scope, index

struct KitRequest {
  std::vector<uint8_t> add;
  std::vector<uint8_t> remove;
  std::string interfaceName;
  unsigned ifindex = 0;
};

struct KitAnnouncement {
  PreparedAnnouncements prepared;
  // Per address: the request whose success it waits for (-1: none, never announced by the kit).
  std::vector<int32_t> requestOf;
};

struct Report {
  std::vector<int> results;
  std::vector<uint32_t> sent;
  std::vector<std::vector<std::pair<size_t, int>>> failures;
};

struct Kit {
  napi_env env = nullptr;
  uv_loop_t* loop = nullptr;
  int fd = -1;  // the kit's own rtnetlink socket: its acks are read here, nothing else arrives
  uint32_t seq = 0;
  uint32_t armedTimer = 0;
  std::vector<KitRequest> requests;
  std::vector<KitAnnouncement> announcements;
  std::optional<Report> report;
  double fired = 0;
  double skipped = 0;
};

std::mutex kitsMutex;
std::unordered_map<uv_loop_t*, Kit*> kits;

Kit* KitOf(uv_loop_t* loop) {
  std::lock_guard<std::mutex> lock(kitsMutex);
  auto found = kits.find(loop);
  return found == kits.end() ? nullptr : found->second;
}

void DropKit(void* data) {
  auto* kit = static_cast<Kit*>(data);
  {
    std::lock_guard<std::mutex> lock(kitsMutex);
    kits.erase(kit->loop);
  }
  if (kit->fd >= 0) close(kit->fd);
  delete kit;
}

Kit& KitFor(Napi::Env env) {
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) throw Napi::Error::New(env, "no libuv loop for this environment");
  if (Kit* kit = KitOf(loop)) return *kit;
  UniqueFd fd(socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE));
  if (fd.get() < 0) ThrowErrno(env, errno, "socket", "AF_NETLINK NETLINK_ROUTE (takeover kit)");
  int on = 1;
  setsockopt(fd.get(), SOL_NETLINK, NETLINK_CAP_ACK, &on, sizeof on);  // acks without the request echoed
  auto* kit = new Kit();
  kit->env = env;
  kit->loop = loop;
  kit->fd = fd.release();
  if (napi_add_env_cleanup_hook(env, DropKit, kit) != napi_ok) {
    close(kit->fd);
    delete kit;
    throw Napi::Error::New(env, "napi_add_env_cleanup_hook failed");
  }
  std::lock_guard<std::mutex> lock(kitsMutex);
  kits.emplace(loop, kit);
  return *kit;
}

// Writes `messages` in one datagram, each with a fresh sequence number, and reads their acks. Per
// message: 0, the kernel's errno, or -1 when no answer came (the send failed, or the wait ran out).
std::vector<int> Exchange(Kit& kit, const std::vector<const std::vector<uint8_t>*>& messages) {
  std::vector<int> results(messages.size(), -1);
  if (messages.empty()) return results;
  std::vector<uint8_t> datagram;
  const uint32_t first = kit.seq + 1;
  for (const auto* message : messages) {
    size_t at = datagram.size();
    datagram.insert(datagram.end(), message->begin(), message->end());
    reinterpret_cast<nlmsghdr*>(datagram.data() + at)->nlmsg_seq = ++kit.seq;
  }
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  ssize_t written;
  do {
    written = sendto(kit.fd, datagram.data(), datagram.size(), 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel);
  } while (written < 0 && errno == EINTR);
  if (written < 0) return results;
  size_t waiting = messages.size();
  alignas(nlmsghdr) static thread_local uint8_t buffer[kAckBufferBytes];
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kAckWaitMs);
  while (waiting > 0) {
    ssize_t got = recv(kit.fd, buffer, sizeof buffer, MSG_DONTWAIT);
    if (got < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) break;
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      pollfd pfd{kit.fd, POLLIN, 0};
      if (left.count() <= 0 || poll(&pfd, 1, static_cast<int>(left.count())) <= 0) break;
      continue;
    }
    int length = static_cast<int>(got);
    for (auto* header = reinterpret_cast<nlmsghdr*>(buffer); NLMSG_OK(header, length); header = NLMSG_NEXT(header, length)) {
      if (header->nlmsg_type != NLMSG_ERROR || header->nlmsg_len < NLMSG_LENGTH(sizeof(int))) continue;
      uint32_t index = header->nlmsg_seq - first;  // acks of an earlier exchange that timed out fall outside
      if (index >= messages.size() || results[index] != -1) continue;
      int error = 0;
      std::memcpy(&error, NLMSG_DATA(header), sizeof error);
      results[index] = -error;
      waiting--;
    }
  }
  return results;
}

// The interfaces named at prepare time still have the indexes the requests carry (one recreated
// meanwhile would take the add to the wrong link, or none).
bool InterfacesUnchanged(const Kit& kit) {
  std::unordered_map<std::string, unsigned> seen;
  auto same = [&](const std::string& name, unsigned ifindex) {
    auto found = seen.find(name);
    if (found != seen.end()) return found->second == ifindex;
    ifreq request{};
    std::strncpy(request.ifr_name, name.c_str(), IFNAMSIZ - 1);
    unsigned now = ioctl(kit.fd, SIOCGIFINDEX, &request) == 0 ? static_cast<unsigned>(request.ifr_ifindex) : 0;
    seen.emplace(name, now);
    return now == ifindex;
  };
  for (const KitRequest& request : kit.requests) {
    if (!same(request.interfaceName, request.ifindex)) return false;
  }
  for (const KitAnnouncement& announcement : kit.announcements) {
    if (!same(announcement.prepared.interfaceName, announcement.prepared.ifindex)) return false;
  }
  return true;
}

std::vector<uint8_t> RequireMessage(Napi::Env env, const Napi::Object& request, const char* key, uint16_t type) {
  Napi::Value value = request.Get(key);
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    ThrowInvalidArg(env, std::string(key) + " must be a Uint8Array holding one netlink message");
  }
  auto bytes = value.As<Napi::Uint8Array>();
  nlmsghdr header{};
  if (bytes.ByteLength() >= sizeof header) std::memcpy(&header, bytes.Data(), sizeof header);
  if (bytes.ByteLength() < kIfindexOffset + 4 || header.nlmsg_len != bytes.ByteLength() || header.nlmsg_type != type) {
    ThrowInvalidArg(env, std::string(key) + " must be one whole " + (type == RTM_NEWADDR ? "RTM_NEWADDR" : "RTM_DELADDR") + " message");
  }
  return {bytes.Data(), bytes.Data() + bytes.ByteLength()};
}

KitRequest ReadRequest(Napi::Env env, const Napi::Value& value) {
  Napi::Object object = RequireObject(env, value, "each request");
  KitRequest request;
  request.add = RequireMessage(env, object, "add", RTM_NEWADDR);
  request.remove = RequireMessage(env, object, "remove", RTM_DELADDR);
  request.interfaceName = RequireString(object, "interface");
  std::memcpy(&request.ifindex, request.add.data() + kIfindexOffset, sizeof request.ifindex);
  return request;
}

KitAnnouncement ReadAnnouncement(Napi::Env env, const Napi::Value& value, size_t requestCount) {
  Napi::Object object = RequireObject(env, value, "each announcement");
  KitAnnouncement announcement;
  announcement.prepared = PrepareAnnouncements(env, object);
  Napi::Value list = object.Get("requests");
  if (!list.IsArray() || list.As<Napi::Array>().Length() != announcement.prepared.addresses.size()) {
    ThrowInvalidArg(env, "requests must give, per address, the index of its request or -1");
  }
  Napi::Array indexes = list.As<Napi::Array>();
  for (uint32_t i = 0; i < indexes.Length(); i++) {
    Napi::Value item = indexes.Get(i);
    double index = item.IsNumber() ? item.As<Napi::Number>().DoubleValue() : -2;
    if (!(index >= -1 && index < static_cast<double>(requestCount)) || index != static_cast<int32_t>(index)) {
      ThrowInvalidArg(env, "requests[" + std::to_string(i) + "] must be a request index or -1");
    }
    announcement.requestOf.push_back(static_cast<int32_t>(index));
  }
  return announcement;
}

Napi::Array NumberArray(Napi::Env env, const std::vector<int>& values) {
  Napi::Array array = Napi::Array::New(env, values.size());
  for (size_t i = 0; i < values.size(); i++) array.Set(static_cast<uint32_t>(i), Napi::Number::New(env, values[i]));
  return array;
}

}  // namespace

Napi::Value TakeoverKitPrepare(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Kit& kit = KitFor(env);
  // Whatever was prepared no longer matches what the caller holds: it must not fire, even if this throws.
  kit.armedTimer = 0;
  kit.requests.clear();
  kit.announcements.clear();
  Napi::Object spec = RequireObject(env, info[0], "kit");
  Napi::Value requests = spec.Get("requests");
  Napi::Value announcements = spec.Get("announcements");
  if (!requests.IsArray() || !announcements.IsArray()) ThrowInvalidArg(env, "requests and announcements must be arrays");
  std::vector<KitRequest> readRequests;
  for (uint32_t i = 0; i < requests.As<Napi::Array>().Length(); i++) {
    readRequests.push_back(ReadRequest(env, requests.As<Napi::Array>().Get(i)));
  }
  std::vector<KitAnnouncement> readAnnouncements;
  for (uint32_t i = 0; i < announcements.As<Napi::Array>().Length(); i++) {
    readAnnouncements.push_back(ReadAnnouncement(env, announcements.As<Napi::Array>().Get(i), readRequests.size()));
  }
  kit.requests = std::move(readRequests);
  kit.announcements = std::move(readAnnouncements);
  return env.Undefined();
}

Napi::Value TakeoverKitArm(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Kit& kit = KitFor(env);
  double timer = info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : -1;
  if (!(timer >= 0 && timer <= 0xffffffff) || timer != static_cast<uint32_t>(timer)) {
    kit.armedTimer = 0;
    ThrowInvalidArg(env, "timerId must be a PreciseTimer's id, or 0 to disarm");
  }
  kit.armedTimer = static_cast<uint32_t>(timer);
  return env.Undefined();
}

Napi::Value TakeoverKitReport(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Kit& kit = KitFor(env);
  if (!kit.report) return env.Undefined();
  Report report = std::move(*kit.report);
  kit.report.reset();
  Napi::Object out = Napi::Object::New(env);
  out.Set("results", NumberArray(env, report.results));
  Napi::Array sent = Napi::Array::New(env, report.sent.size());
  Napi::Array failures = Napi::Array::New(env);
  uint32_t failureCount = 0;
  for (size_t j = 0; j < report.sent.size(); j++) {
    sent.Set(static_cast<uint32_t>(j), Napi::Number::New(env, report.sent[j]));
    for (const auto& [address, errnum] : report.failures[j]) {
      Napi::Object failure = Napi::Object::New(env);
      failure.Set("announcement", Napi::Number::New(env, static_cast<double>(j)));
      failure.Set("address", Napi::Number::New(env, static_cast<double>(address)));
      failure.Set("errno", Napi::Number::New(env, errnum));
      failures.Set(failureCount++, failure);
    }
  }
  out.Set("sent", sent);
  out.Set("failures", failures);
  return out;
}

Napi::Value TakeoverKitRollback(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Kit& kit = KitFor(env);
  if (!info[0].IsArray()) ThrowInvalidArg(env, "indexes must be an array of request indexes");
  Napi::Array indexes = info[0].As<Napi::Array>();
  std::vector<const std::vector<uint8_t>*> removes;
  for (uint32_t i = 0; i < indexes.Length(); i++) {
    Napi::Value item = indexes.Get(i);
    double index = item.IsNumber() ? item.As<Napi::Number>().DoubleValue() : -1;
    if (!(index >= 0 && index < static_cast<double>(kit.requests.size())) || index != static_cast<uint32_t>(index)) {
      ThrowInvalidArg(env, "indexes[" + std::to_string(i) + "] is not a prepared request");
    }
    removes.push_back(&kit.requests[static_cast<size_t>(index)].remove);
  }
  return NumberArray(env, Exchange(kit, removes));
}

Napi::Value TakeoverKitCounters(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Kit& kit = KitFor(env);
  Napi::Object counters = Napi::Object::New(env);
  counters.Set("fired", Napi::Number::New(env, kit.fired));
  counters.Set("skipped", Napi::Number::New(env, kit.skipped));
  return counters;
}

// takeoverKitReceiveBuffer(bytes, force): the kit's socket is a command socket like the RtnlSocket
// request sockets, so vrrp_netlink_cmd_rcv_bufs sizes it too (SO_RCVBUFFORCE only with `force`).
Napi::Value TakeoverKitReceiveBuffer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  double bytes = info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : 0;
  if (!(bytes >= 1 && bytes <= (1 << 30)) || bytes != static_cast<int>(bytes)) {
    ThrowInvalidArg(env, "bytes must be a whole number from 1 to 2^30");
  }
  if (!info[1].IsBoolean()) ThrowInvalidArg(env, "force must be a boolean");
  int size = static_cast<int>(bytes);
  Kit& kit = KitFor(env);
  if (info[1].As<Napi::Boolean>().Value() &&
      setsockopt(kit.fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) == 0) {
    return env.Undefined();
  }
  if (setsockopt(kit.fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size) < 0) ThrowErrno(env, errno, "setsockopt", "SO_RCVBUF");
  return env.Undefined();
}

void RegisterTakeoverKit(Napi::Env env, Napi::Object exports) {
  exports.Set("takeoverKitReceiveBuffer",
              Napi::Function::New<TakeoverKitReceiveBuffer>(env, "takeoverKitReceiveBuffer"));
  exports.Set("takeoverKitPrepare", Napi::Function::New<TakeoverKitPrepare>(env, "takeoverKitPrepare"));
  exports.Set("takeoverKitArm", Napi::Function::New<TakeoverKitArm>(env, "takeoverKitArm"));
  exports.Set("takeoverKitReport", Napi::Function::New<TakeoverKitReport>(env, "takeoverKitReport"));
  exports.Set("takeoverKitRollback", Napi::Function::New<TakeoverKitRollback>(env, "takeoverKitRollback"));
  exports.Set("takeoverKitCounters", Napi::Function::New<TakeoverKitCounters>(env, "takeoverKitCounters"));
}

void FireTakeoverKit(uv_loop_t* loop, uint32_t timerId) {
  Kit* kit = KitOf(loop);
  if (kit == nullptr || timerId == 0 || kit->armedTimer != timerId) return;
  kit->armedTimer = 0;  // once: JS arms it again for the next takeover
  kit->report.reset();
  if (!InterfacesUnchanged(*kit)) {
    kit->skipped++;  // JavaScript adds and announces as without the kit
    return;
  }
  Report report;
  std::vector<const std::vector<uint8_t>*> adds;
  for (const KitRequest& request : kit->requests) adds.push_back(&request.add);
  report.results = Exchange(*kit, adds);
  for (const KitAnnouncement& announcement : kit->announcements) {
    std::vector<bool> include;
    for (int32_t request : announcement.requestOf) {
      const int result = request < 0 ? -1 : report.results[static_cast<size_t>(request)];
      include.push_back(result == 0 || result == EEXIST);
    }
    std::vector<std::pair<size_t, int>> failures;
    report.sent.push_back(SendPreparedAnnouncements(kit->env, announcement.prepared, include, failures));
    report.failures.push_back(std::move(failures));
  }
  kit->report = std::move(report);
  kit->fired++;
}

}  // namespace vrrp

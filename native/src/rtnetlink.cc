#include "rtnetlink.h"

#include <fcntl.h>
#include <linux/netlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <vector>

#include "errors.h"
#include "net_util.h"
#include "polled_fd.h"

namespace vrrp {

// What libuv and environment teardown can reach (see polled_fd.h); it may outlive the JS wrapper.
struct RtnlCore final : PolledFd {
  RtnlSocket* owner = nullptr;
  uint32_t portId = 0;
  // One datagram; a dump part is at most ~32 KiB, a notification far less.
  std::vector<uint8_t> datagram;
  // What one wake-up read, handed to JS in one copy.
  std::vector<uint8_t> staging;
  double received = 0;
  double overflows = 0;
  double truncated = 0;

  void Readable(int status) override {
    if (owner != nullptr) owner->OnReadable(status);
  }
  void ForgetOwner() override {
    if (owner != nullptr) owner->Detach();
    owner = nullptr;
  }
};

namespace {

constexpr size_t kDatagramBytes = 64 * 1024;
// Level-triggered polling reads the rest on the next loop turn: a storm cannot starve timers.
constexpr int kMaxDatagramsPerWakeup = 64;
constexpr uint32_t kMaxGroup = 64;
constexpr double kMaxReceiveBuffer = 1 << 30;

// The groups to join: an array of RTNLGRP_* numbers (1..64).
std::vector<uint32_t> ReadGroups(Napi::Env env, const Napi::Object& options) {
  std::vector<uint32_t> groups;
  Napi::Value value = options.Get("groups");
  if (value.IsUndefined()) return groups;
  if (!value.IsArray()) ThrowInvalidArg(env, "groups must be an array of RTNLGRP_* numbers");
  Napi::Array list = value.As<Napi::Array>();
  for (uint32_t i = 0; i < list.Length(); i++) {
    Napi::Value item = list.Get(i);
    double group = item.IsNumber() ? item.As<Napi::Number>().DoubleValue() : 0;
    if (!(group >= 1 && group <= kMaxGroup) || group != static_cast<uint32_t>(group)) {
      ThrowInvalidArg(env, "groups[" + std::to_string(i) + "] must be an integer from 1 to 64");
    }
    groups.push_back(static_cast<uint32_t>(group));
  }
  return groups;
}

// SO_RCVBUFFORCE passes net.core.rmem_max (with CAP_NET_ADMIN); without it, or when `force` is
// false, SO_RCVBUF, capped there.
void SetReceiveBuffer(Napi::Env env, int fd, int bytes, bool force) {
  if (force && setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes) == 0) return;
  SetIntOption(env, fd, SOL_SOCKET, SO_RCVBUF, bytes, "SO_RCVBUF");
}

// Opens, binds (the kernel picks the port id) and joins `groups`; throws an errno error.
int OpenRtnl(Napi::Env env, const std::vector<uint32_t>& groups, int receiveBuffer, bool force, uint32_t& portId) {
  UniqueFd fd(socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE));
  if (fd.get() < 0) ThrowErrno(env, errno, "socket", "AF_NETLINK NETLINK_ROUTE");
  if (receiveBuffer > 0) SetReceiveBuffer(env, fd.get(), receiveBuffer, force);
  // Error replies without the request echoed back: an ack costs 36 bytes of buffer, not the request's size.
  int on = 1;
  setsockopt(fd.get(), SOL_NETLINK, NETLINK_CAP_ACK, &on, sizeof on);
  sockaddr_nl local{};
  local.nl_family = AF_NETLINK;
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&local), sizeof local) < 0) ThrowErrno(env, errno, "bind", "AF_NETLINK");
  socklen_t length = sizeof local;
  if (getsockname(fd.get(), reinterpret_cast<sockaddr*>(&local), &length) < 0) ThrowErrno(env, errno, "getsockname");
  portId = local.nl_pid;
  for (uint32_t group : groups) {
    if (setsockopt(fd.get(), SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group, sizeof group) < 0) {
      ThrowErrno(env, errno, "setsockopt", "NETLINK_ADD_MEMBERSHIP " + std::to_string(group));
    }
  }
  return fd.release();
}

}  // namespace

Napi::Function RtnlSocket::Define(Napi::Env env) {
  return DefineClass(env, "RtnlSocket",
                     {
                         InstanceMethod<&RtnlSocket::Send>("send"),
                         InstanceMethod<&RtnlSocket::RefLoop>("ref"),
                         InstanceMethod<&RtnlSocket::UnrefLoop>("unref"),
                         InstanceMethod<&RtnlSocket::Counters>("counters"),
                         InstanceMethod<&RtnlSocket::Close>("close"),
                         InstanceAccessor<&RtnlSocket::Fd>("fd"),
                         InstanceAccessor<&RtnlSocket::PortId>("portId"),
                     });
}

// new RtnlSocket({ groups?: number[], receiveBufferBytes?: number, receiveBufferForce?: boolean },
//                callback(error, data)); receiveBufferForce (default true) tries SO_RCVBUFFORCE first.
RtnlSocket::RtnlSocket(const Napi::CallbackInfo& info) : Napi::ObjectWrap<RtnlSocket>(info) {
  Napi::Env env = info.Env();
  asyncContext_ = std::make_unique<Napi::AsyncContext>(env, "RtnlSocket", info.This().As<Napi::Object>());
  Napi::Object options = RequireObject(env, info[0], "options");
  if (!info[1].IsFunction()) ThrowInvalidArg(env, "callback must be a function");
  std::vector<uint32_t> groups = ReadGroups(env, options);
  Napi::Value bufferValue = options.Get("receiveBufferBytes");
  double receiveBuffer = 0;
  if (!bufferValue.IsUndefined()) {
    receiveBuffer = bufferValue.IsNumber() ? bufferValue.As<Napi::Number>().DoubleValue() : -1;
    if (!(receiveBuffer >= 1 && receiveBuffer <= kMaxReceiveBuffer)) {
      ThrowInvalidArg(env, "receiveBufferBytes must be a number from 1 to 2^30");
    }
  }
  Napi::Value forceValue = options.Get("receiveBufferForce");
  if (!forceValue.IsUndefined() && !forceValue.IsBoolean()) ThrowInvalidArg(env, "receiveBufferForce must be a boolean");
  bool force = forceValue.IsUndefined() || forceValue.As<Napi::Boolean>().Value();
  callback_ = Napi::Persistent(info[1].As<Napi::Function>());

  uint32_t portId = 0;
  int fd = OpenRtnl(env, groups, static_cast<int>(receiveBuffer), force, portId);
  auto* core = new RtnlCore();
  AttachPolledFd(env, core, fd, true);  // from here the core is freed only through BeginClose
  core->owner = this;
  core->portId = portId;
  core_ = core;
  int status = StartPolling(*core);
  if (status < 0) {
    BeginClose(core);
    ThrowErrno(env, -status, "uv_poll_start", "rtnetlink");
  }
  Napi::ObjectWrap<RtnlSocket>::Ref();
  holdsStrongRef_ = true;
}

RtnlSocket::~RtnlSocket() {
  if (core_ != nullptr) {
    core_->owner = nullptr;
    BeginClose(core_);
  }
}

Napi::Value RtnlSocket::Fd(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), core_ != nullptr ? core_->fd : -1);
}

Napi::Value RtnlSocket::PortId(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), core_ != nullptr ? core_->portId : 0);
}

// send(message): one or more complete netlink messages, to the kernel. Throws an errno error.
void RtnlSocket::Send(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (core_ == nullptr) ThrowErrno(env, EBADF, "send", "(rtnetlink socket is closed)");
  if (!info[0].IsTypedArray()) ThrowInvalidArg(env, "message must be a Uint8Array");
  Napi::Uint8Array message = info[0].As<Napi::Uint8Array>();
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  ssize_t sent;
  do {
    sent = sendto(core_->fd, message.Data(), message.ByteLength(), 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel);
  } while (sent < 0 && errno == EINTR);
  if (sent < 0) ThrowErrno(env, errno, "sendto", "rtnetlink");
}

void RtnlSocket::RefLoop(const Napi::CallbackInfo&) {
  if (core_ != nullptr) SetLoopRef(*core_, true);
}

void RtnlSocket::UnrefLoop(const Napi::CallbackInfo&) {
  if (core_ != nullptr) SetLoopRef(*core_, false);
}

Napi::Value RtnlSocket::Counters(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object counters = Napi::Object::New(env);
  const RtnlCore* core = core_;
  counters.Set("received", Napi::Number::New(env, core ? core->received : 0));
  counters.Set("overflows", Napi::Number::New(env, core ? core->overflows : 0));
  counters.Set("truncated", Napi::Number::New(env, core ? core->truncated : 0));
  return counters;
}

void RtnlSocket::Release() {
  callback_.Reset();
  if (holdsStrongRef_) {
    Napi::ObjectWrap<RtnlSocket>::Unref();
    holdsStrongRef_ = false;
  }
}

void RtnlSocket::Close(const Napi::CallbackInfo&) {
  if (core_ != nullptr) BeginClose(core_);  // BeginClose calls Detach, which clears core_
  Release();
}

bool RtnlSocket::Deliver(Napi::Value error, Napi::Value data) {
  if (callback_.IsEmpty()) return false;
  try {
    callback_.MakeCallback(Value(), {error, data}, *asyncContext_);
  } catch (const Napi::Error& thrown) {
    // Nowhere to go up a libuv callback: uncaught, as Node reports its own sockets' handler errors.
    napi_fatal_exception(Env(), thrown.Value());
  }
  return core_ != nullptr;
}

void RtnlSocket::OnReadable(int status) {
  Napi::Env env = Env();
  Napi::HandleScope scope(env);
  [[maybe_unused]] Napi::Object self = Value();  // held in this scope while the callback may drop its last reference
  RtnlCore* core = core_;
  if (status < 0) {
    // libuv reports a socket error (POLLERR) as UV_EBADF and stops polling. An overflow is exactly
    // that: the kernel parks ENOBUFS on the socket. A descriptor that is still open is polled again
    // and read, and the read reports the parked error; anything else ends polling, reported once.
    bool stillOpen = status == UV_EBADF && fcntl(core->fd, F_GETFD) >= 0;
    int restarted = stillOpen ? StartPolling(*core) : status;
    if (restarted < 0) {
      StopPolling(*core);
      Deliver(ErrnoError(env, -restarted, "uv_poll", "rtnetlink").Value(), env.Null());
      return;
    }
  }
  if (core->datagram.empty()) core->datagram.resize(kDatagramBytes);
  core->staging.clear();
  auto flush = [&]() -> bool {
    if (core->staging.empty()) return true;
    Napi::Value data = Napi::Buffer<uint8_t>::Copy(env, core->staging.data(), core->staging.size());
    core->staging.clear();
    return Deliver(env.Null(), data);
  };
  for (int i = 0; i < kMaxDatagramsPerWakeup; i++) {
    ssize_t got = recv(core->fd, core->datagram.data(), core->datagram.size(), MSG_DONTWAIT | MSG_TRUNC);
    if (got < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      int failure = errno;
      if (failure == ENOBUFS) core->overflows++;
      // What came before the error first; then the error. The socket stays open either way.
      if (!flush()) return;
      if (!Deliver(ErrnoError(env, failure, "recv", "rtnetlink").Value(), env.Null())) return;
      if (failure != ENOBUFS) break;
      continue;
    }
    if (static_cast<size_t>(got) > core->datagram.size()) {
      // Larger than any reply or notification we ask for: lost like an overflow, and reported so.
      core->truncated++;
      if (!flush()) return;
      if (!Deliver(ErrnoError(env, EMSGSIZE, "recv", "rtnetlink datagram truncated").Value(), env.Null())) return;
      continue;
    }
    core->received++;
    core->staging.insert(core->staging.end(), core->datagram.begin(), core->datagram.begin() + got);
  }
  flush();
}

}  // namespace vrrp

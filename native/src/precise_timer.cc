#include "precise_timer.h"

#include <sys/timerfd.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <ctime>

#include "errors.h"
#include "polled_fd.h"
#include "takeover_kit.h"
#include "vrrp_socket.h"

namespace vrrp {

// What libuv and environment teardown can reach (see polled_fd.h); it may outlive the JS wrapper.
struct TimerCore final : PolledFd {
  PreciseTimer* owner = nullptr;

  void Readable(int status) override {
    if (owner != nullptr) owner->OnReadable(status);
  }
  void ForgetOwner() override {
    if (owner != nullptr) owner->Detach();
    owner = nullptr;
  }
};

namespace {

// Longest accepted delay: about 31.7 years, far beyond any VRRP timer, and well inside time_t.
constexpr double kMaxDelayNs = 1e18;

// Timer ids name a timer to the sockets' takeover adverts (VrrpSocket setTakeover); 0 is never used.
std::atomic<uint32_t> lastTimerId{0};

}  // namespace

Napi::Function PreciseTimer::Define(Napi::Env env) {
  return DefineClass(env, "PreciseTimer",
                     {
                         InstanceMethod<&PreciseTimer::Arm>("arm"),
                         InstanceMethod<&PreciseTimer::Disarm>("disarm"),
                         InstanceMethod<&PreciseTimer::RefLoop>("ref"),
                         InstanceMethod<&PreciseTimer::UnrefLoop>("unref"),
                         InstanceMethod<&PreciseTimer::Close>("close"),
                         InstanceAccessor<&PreciseTimer::Armed>("armed"),
                         InstanceAccessor<&PreciseTimer::Fd>("fd"),
                         InstanceAccessor<&PreciseTimer::Id>("id"),
                     });
}

PreciseTimer::PreciseTimer(const Napi::CallbackInfo& info) : Napi::ObjectWrap<PreciseTimer>(info) {
  Napi::Env env = info.Env();
  asyncContext_ = std::make_unique<Napi::AsyncContext>(env, "PreciseTimer", info.This().As<Napi::Object>());
  if (!info[0].IsFunction()) ThrowInvalidArg(env, "callback must be a function");
  callback_ = Napi::Persistent(info[0].As<Napi::Function>());
  id_ = ++lastTimerId;

  int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (fd < 0) ThrowErrno(env, errno, "timerfd_create", "CLOCK_MONOTONIC");

  auto* core = new TimerCore();
  AttachPolledFd(env, core, fd, false);  // from here the core is freed only through BeginClose
  core->owner = this;
  core_ = core;
}

PreciseTimer::~PreciseTimer() {
  if (core_ != nullptr) {
    core_->owner = nullptr;
    BeginClose(core_);
  }
}

void PreciseTimer::Detach() {
  core_ = nullptr;
  armed_ = false;
  polling_ = false;
}

TimerCore& PreciseTimer::OpenCore(Napi::Env env, const char* operation) {
  if (core_ == nullptr) ThrowErrno(env, EBADF, operation, "timer is closed");
  return *core_;
}

// Polling stops whenever the timer is not armed, so an idle timer never keeps the loop alive.
void PreciseTimer::StopPolling() {
  armed_ = false;
  if (core_ != nullptr && polling_) vrrp::StopPolling(*core_);
  polling_ = false;
  if (holdsStrongRef_) {
    Napi::ObjectWrap<PreciseTimer>::Unref();
    holdsStrongRef_ = false;
  }
}

// arm(delayNs): one expiry `delayNs` nanoseconds from now (relative, CLOCK_MONOTONIC), replacing any
// earlier arming. 0 (or less than 1 ns) expires at once: a zero it_value would disarm the timerfd.
void PreciseTimer::Arm(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  TimerCore& core = OpenCore(env, "arm");
  double delay = info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : NAN;
  if (!(delay >= 0 && delay <= kMaxDelayNs)) ThrowInvalidArg(env, "delayNs must be a number from 0 to 1e18");
  auto nanoseconds = static_cast<int64_t>(std::ceil(delay));
  if (nanoseconds < 1) nanoseconds = 1;
  itimerspec spec{};
  spec.it_value.tv_sec = static_cast<time_t>(nanoseconds / 1000000000);
  spec.it_value.tv_nsec = static_cast<long>(nanoseconds % 1000000000);
  if (timerfd_settime(core.fd, 0, &spec, nullptr) < 0) ThrowErrno(env, errno, "timerfd_settime");
  // Already polled when re-armed from its own callback (the engine's usual case): libuv's stop and
  // start would each cost an epoll_ctl between a deadline and the next.
  if (!polling_) {
    int status = vrrp::StartPolling(core);
    if (status < 0) {
      itimerspec off{};
      timerfd_settime(core.fd, 0, &off, nullptr);
      ThrowErrno(env, -status, "uv_poll_start", "timerfd");
    }
    polling_ = true;
  }
  armed_ = true;
  if (!holdsStrongRef_) {
    Napi::ObjectWrap<PreciseTimer>::Ref();
    holdsStrongRef_ = true;
  }
}

void PreciseTimer::Disarm(const Napi::CallbackInfo& info) {
  if (core_ == nullptr) return;  // disarming a closed timer is a no-op, like clearTimeout
  itimerspec off{};
  if (timerfd_settime(core_->fd, 0, &off, nullptr) < 0) ThrowErrno(info.Env(), errno, "timerfd_settime");
  StopPolling();
}

void PreciseTimer::RefLoop(const Napi::CallbackInfo&) {
  if (core_ != nullptr) SetLoopRef(*core_, true);
}

void PreciseTimer::UnrefLoop(const Napi::CallbackInfo&) {
  if (core_ != nullptr) SetLoopRef(*core_, false);
}

void PreciseTimer::Close(const Napi::CallbackInfo&) {
  StopPolling();
  if (core_ != nullptr) BeginClose(core_);  // BeginClose calls Detach, which clears core_
}

Napi::Value PreciseTimer::Armed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), armed_); }

Napi::Value PreciseTimer::Id(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), id_); }

Napi::Value PreciseTimer::Fd(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), core_ != nullptr ? core_->fd : -1);
}

void PreciseTimer::OnReadable(int status) {
  Napi::Env env = Env();
  Napi::HandleScope scope(env);
  if (status < 0) {
    // libuv cannot poll the descriptor: nothing will ever fire. Report it as an uncaught error.
    StopPolling();
    napi_fatal_exception(env, ErrnoError(env, -status, "uv_poll", "timerfd").Value());
    return;
  }
  uint64_t expirations = 0;
  ssize_t got;
  do {
    got = read(core_->fd, &expirations, sizeof expirations);
  } while (got < 0 && errno == EINTR);
  // EAGAIN: re-armed or disarmed after it became readable in this loop turn; that arming is not due.
  if (got != static_cast<ssize_t>(sizeof expirations) || expirations == 0) return;
  Napi::Object self = Value();  // held in this scope while the callback may drop its last reference
  armed_ = false;
  uv_loop_t* loop = core_->poll.loop;  // the callback may close the timer
  // A Backup's first advert as Master, if the engine armed one for this expiry: it leaves now, and
  // the engine's repeat of it in the callback is skipped.
  const size_t takeoverSent = SendTakeoverAdverts(loop, id_);
  // Then its VIPs and their first announcements, if a takeover kit is armed for this timer.
  if (takeoverSent > 0) FireTakeoverKit(loop, id_);
  try {
    // callback(takeoverSent): the engine then acts on the deadline without reading its sockets again:
    // they were found empty when the adverts left, and what arrived since comes after that decision.
    callback_.MakeCallback(self, {Napi::Boolean::New(env, takeoverSent > 0)}, *asyncContext_);
  } catch (const Napi::Error& thrown) {
    napi_fatal_exception(env, thrown.Value());
  }
  // Only this expiry's send can have left adverts waiting for the engine's repeat.
  if (takeoverSent > 0) EndTakeoverWindow(loop);
  // Not re-armed by the callback (nor closed by it): stop polling, so an idle timer holds nothing.
  if (!armed_) StopPolling();
}

}  // namespace vrrp

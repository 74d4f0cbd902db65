#include "precise_timer.h"

#include <sys/timerfd.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <ctime>

#include "errors.h"

namespace vrrp {

// What libuv and environment teardown can reach; freed in the uv_close callback, once libuv no longer
// refers to the handle (it may outlive the JS wrapper).
struct TimerCore {
  uv_poll_t poll;
  int fd = -1;
  bool closing = false;
  PreciseTimer* owner = nullptr;
  napi_async_cleanup_hook_handle teardownHook = nullptr;
};

namespace {

// Longest accepted delay: about 31.7 years, far beyond any VRRP timer, and well inside time_t.
constexpr double kMaxDelayNs = 1e18;

void OnPollClosed(uv_handle_t* handle) {
  auto* core = static_cast<TimerCore*>(handle->data);
  napi_remove_async_cleanup_hook(core->teardownHook);
  delete core;
}

void BeginClose(TimerCore* core) {
  if (core->closing) return;
  core->closing = true;
  if (core->owner != nullptr) core->owner->Detach();
  core->owner = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(&core->poll), OnPollClosed);
  close(core->fd);
  core->fd = -1;
}

void OnEnvTeardown(napi_async_cleanup_hook_handle, void* data) { BeginClose(static_cast<TimerCore*>(data)); }

void OnPollEvent(uv_poll_t* handle, int status, int) {
  auto* core = static_cast<TimerCore*>(handle->data);
  if (core->closing || core->owner == nullptr) return;
  core->owner->OnReadable(status);
}

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
                     });
}

PreciseTimer::PreciseTimer(const Napi::CallbackInfo& info) : Napi::ObjectWrap<PreciseTimer>(info) {
  Napi::Env env = info.Env();
  asyncContext_ = std::make_unique<Napi::AsyncContext>(env, "PreciseTimer", info.This().As<Napi::Object>());
  if (!info[0].IsFunction()) ThrowInvalidArg(env, "callback must be a function");
  callback_ = Napi::Persistent(info[0].As<Napi::Function>());

  int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (fd < 0) ThrowErrno(env, errno, "timerfd_create", "CLOCK_MONOTONIC");

  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) {
    close(fd);
    throw Napi::Error::New(env, "no libuv loop for this environment");
  }
  auto* core = new TimerCore();
  int status = uv_poll_init(loop, &core->poll, fd);
  if (status < 0) {
    close(fd);
    delete core;
    ThrowErrno(env, -status, "uv_poll_init", "timerfd");
  }
  core->poll.data = core;
  core->fd = fd;
  core->owner = this;
  if (napi_add_async_cleanup_hook(env, OnEnvTeardown, core, &core->teardownHook) != napi_ok) {
    core->owner = nullptr;
    core->closing = true;
    close(core->fd);
    uv_close(reinterpret_cast<uv_handle_t*>(&core->poll), [](uv_handle_t* h) { delete static_cast<TimerCore*>(h->data); });
    throw Napi::Error::New(env, "napi_add_async_cleanup_hook failed");
  }
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
}

TimerCore& PreciseTimer::OpenCore(Napi::Env env, const char* operation) {
  if (core_ == nullptr) ThrowErrno(env, EBADF, operation, "timer is closed");
  return *core_;
}

// Polling stops whenever the timer is not armed, so an idle timer never keeps the loop alive.
void PreciseTimer::StopPolling() {
  armed_ = false;
  if (core_ != nullptr) uv_poll_stop(&core_->poll);
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
  int status = uv_poll_start(&core.poll, UV_READABLE, OnPollEvent);
  if (status < 0) {
    itimerspec off{};
    timerfd_settime(core.fd, 0, &off, nullptr);
    ThrowErrno(env, -status, "uv_poll_start", "timerfd");
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
  if (core_ != nullptr) uv_ref(reinterpret_cast<uv_handle_t*>(&core_->poll));
}

void PreciseTimer::UnrefLoop(const Napi::CallbackInfo&) {
  if (core_ != nullptr) uv_unref(reinterpret_cast<uv_handle_t*>(&core_->poll));
}

void PreciseTimer::Close(const Napi::CallbackInfo&) {
  StopPolling();
  if (core_ != nullptr) BeginClose(core_);  // BeginClose calls Detach, which clears core_
}

Napi::Value PreciseTimer::Armed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), armed_); }

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
  Napi::Object self = Value();  // held in this scope before the strong reference goes
  StopPolling();
  try {
    callback_.MakeCallback(self, {}, *asyncContext_);
  } catch (const Napi::Error& thrown) {
    napi_fatal_exception(env, thrown.Value());
  }
}

}  // namespace vrrp

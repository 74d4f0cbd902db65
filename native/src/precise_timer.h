// A sub-millisecond one-shot timer for the JS thread: a timerfd (CLOCK_MONOTONIC, the clock behind
// performance.now() and uv_hrtime) polled by libuv. Node's own timers run on the loop's millisecond
// clock and round, which costs up to ~2 ms per deadline; a timerfd makes epoll return at the
// nanosecond deadline (hrtimer, no slack) and the callback runs on that loop iteration.
//
// JS sees `new PreciseTimer(callback)` with arm(delayNs) / disarm() / ref() / unref() / close() and
// the `armed` and `fd` getters. The callback is called with no arguments, once per expiry of an arming.
//
// Keeping the process alive: while armed the timer keeps the event loop alive, as a pending setTimeout
// does (the poll handle is active only while armed); disarmed or fired, it does not. unref() makes even
// an armed timer not count, for programs whose timers must never hold the process open.
#pragma once

#include <napi.h>
#include <uv.h>

#include <memory>

namespace vrrp {

struct TimerCore;

class PreciseTimer : public Napi::ObjectWrap<PreciseTimer> {
 public:
  static Napi::Function Define(Napi::Env env);

  explicit PreciseTimer(const Napi::CallbackInfo& info);
  ~PreciseTimer() override;

  // From the uv_poll callback: the timerfd is readable (or polling failed).
  void OnReadable(int status);
  // The core is closing (close(), or environment teardown): forget it, touch no JS.
  void Detach();

 private:
  void Arm(const Napi::CallbackInfo& info);
  void Disarm(const Napi::CallbackInfo& info);
  void RefLoop(const Napi::CallbackInfo& info);
  void UnrefLoop(const Napi::CallbackInfo& info);
  void Close(const Napi::CallbackInfo& info);
  Napi::Value Armed(const Napi::CallbackInfo& info);
  Napi::Value Fd(const Napi::CallbackInfo& info);
  Napi::Value Id(const Napi::CallbackInfo& info);

  TimerCore& OpenCore(Napi::Env env, const char* operation);
  void StopPolling();

  TimerCore* core_ = nullptr;
  Napi::FunctionReference callback_;
  std::unique_ptr<Napi::AsyncContext> asyncContext_;
  // While armed, the JS object is held strongly: an armed timer whose wrapper was dropped must still fire.
  bool holdsStrongRef_ = false;
  bool armed_ = false;
  uint32_t id_ = 0;
  // The poll handle is started: from the first arm until the timer is disarmed, or fires and its
  // callback does not arm it again.
  bool polling_ = false;
};

}  // namespace vrrp

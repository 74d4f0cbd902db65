// A watcher for any catchable signal, real-time ones included (SIGRTMIN+n): Node's process.on() refuses
// those, keepalived uses two (the JSON dump, STATS_CLEAR). libuv's uv_signal_t on the environment's
// loop: libuv's own handler writes to a pipe the loop polls, so there is no extra thread and no busy
// loop, and the callback runs on the JS thread like any I/O callback.
//
// JS sees `new SignalWatcher(signum, callback, options?)`, started at once; `close()`, `signal`,
// `active`. options.sendPartingFirst: before the callback, send the parting adverts armed on this
// loop's VRRP sockets (vrrp_socket.h SendPartingAdverts), so a stop's priority-0 adverts do not wait
// for JavaScript.
// The callback gets the signal number. The handle is unref'd: a watcher never keeps the process alive
// (as for process.on('SIGHUP')). While active the JS object is held strongly, so a dropped wrapper
// still calls back; close() (or environment teardown) stops the handle, and libuv then restores the
// signal's default action once no watcher of that signal is left.
#pragma once

#include <napi.h>
#include <uv.h>

#include <memory>

namespace vrrp {

struct SignalCore;

class SignalWatcher : public Napi::ObjectWrap<SignalWatcher> {
 public:
  static Napi::Function Define(Napi::Env env);

  explicit SignalWatcher(const Napi::CallbackInfo& info);
  ~SignalWatcher() override;

  // From the uv_signal callback, on the JS thread.
  void OnSignal(int signum);
  // The core is closing (close(), or environment teardown): forget it, touch no JS.
  void Detach();

 private:
  void Close(const Napi::CallbackInfo& info);
  Napi::Value Signal(const Napi::CallbackInfo& info);
  Napi::Value Active(const Napi::CallbackInfo& info);
  void ReleaseSelf();

  SignalCore* core_ = nullptr;
  int signum_ = 0;
  Napi::FunctionReference callback_;
  std::unique_ptr<Napi::AsyncContext> asyncContext_;
  bool holdsStrongRef_ = false;
};

// realtimeSignals() -> { min: SIGRTMIN, max: SIGRTMAX } as this C library defines them at run time
// (glibc keeps the first two or three for its threads, so SIGRTMIN is 34 there, not 32).
Napi::Value RealtimeSignals(const Napi::CallbackInfo& info);

}  // namespace vrrp

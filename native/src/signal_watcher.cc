#include "signal_watcher.h"

#include <csignal>
#include <string>

#include "errors.h"
#include "vrrp_socket.h"

namespace vrrp {

// What libuv and environment teardown can reach; freed in uv_close's callback, so it may outlive the
// JS wrapper (a handle must stay valid until libuv is done with it).
struct SignalCore {
  uv_signal_t handle;
  SignalWatcher* owner = nullptr;
  bool closing = false;
  // Send the armed parting adverts (SendPartingAdverts) before calling into JS.
  bool sendPartingFirst = false;
  napi_async_cleanup_hook_handle teardownHook = nullptr;
};

namespace {

void OnHandleClosed(uv_handle_t* handle) {
  auto* core = static_cast<SignalCore*>(handle->data);
  // Tells Node this handle's teardown is complete (a Worker would otherwise wait for it).
  if (core->teardownHook != nullptr) napi_remove_async_cleanup_hook(core->teardownHook);
  delete core;
}

// Stops the handle and closes it asynchronously; the owner forgets the core. Safe to call twice.
void BeginClose(SignalCore* core) {
  if (core->closing) return;
  core->closing = true;
  if (core->owner != nullptr) core->owner->Detach();
  core->owner = nullptr;
  uv_signal_stop(&core->handle);
  uv_close(reinterpret_cast<uv_handle_t*>(&core->handle), OnHandleClosed);
}

void OnEnvTeardown(napi_async_cleanup_hook_handle, void* data) { BeginClose(static_cast<SignalCore*>(data)); }

void OnSignalEvent(uv_signal_t* handle, int signum) {
  auto* core = static_cast<SignalCore*>(handle->data);
  if (core->closing || core->owner == nullptr) return;
  if (core->sendPartingFirst) SendPartingAdverts(handle->loop);
  core->owner->OnSignal(signum);
}

}  // namespace

Napi::Function SignalWatcher::Define(Napi::Env env) {
  return DefineClass(env, "SignalWatcher",
                     {
                         InstanceMethod<&SignalWatcher::Close>("close"),
                         InstanceAccessor<&SignalWatcher::Signal>("signal"),
                         InstanceAccessor<&SignalWatcher::Active>("active"),
                     });
}

SignalWatcher::SignalWatcher(const Napi::CallbackInfo& info) : Napi::ObjectWrap<SignalWatcher>(info) {
  Napi::Env env = info.Env();
  if (!info[0].IsNumber()) ThrowInvalidArg(env, "signal must be a number");
  double number = info[0].As<Napi::Number>().DoubleValue();
  if (!(number >= 1 && number < NSIG) || number != static_cast<int>(number)) {
    ThrowInvalidArg(env, "signal must be an integer from 1 to " + std::to_string(NSIG - 1));
  }
  if (!info[1].IsFunction()) ThrowInvalidArg(env, "callback must be a function");
  bool sendPartingFirst = false;
  if (info.Length() > 2 && !info[2].IsUndefined()) {
    if (!info[2].IsObject()) ThrowInvalidArg(env, "options must be an object");
    sendPartingFirst = info[2].As<Napi::Object>().Get("sendPartingFirst").ToBoolean().Value();
  }
  signum_ = static_cast<int>(number);
  callback_ = Napi::Persistent(info[1].As<Napi::Function>());
  asyncContext_ = std::make_unique<Napi::AsyncContext>(env, "SignalWatcher", info.This().As<Napi::Object>());

  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) throw Napi::Error::New(env, "no libuv loop for this environment");
  auto* core = new SignalCore();
  int status = uv_signal_init(loop, &core->handle);
  if (status < 0) {
    delete core;  // uv_signal_init fails before the handle joins the loop
    ThrowErrno(env, -status, "uv_signal_init");
  }
  core->handle.data = core;
  core->sendPartingFirst = sendPartingFirst;
  // From here the core is freed only through BeginClose (uv_close).
  uv_unref(reinterpret_cast<uv_handle_t*>(&core->handle));
  if (napi_add_async_cleanup_hook(env, OnEnvTeardown, core, &core->teardownHook) != napi_ok) {
    core->teardownHook = nullptr;
    BeginClose(core);
    throw Napi::Error::New(env, "napi_add_async_cleanup_hook failed");
  }
  // SIGKILL and SIGSTOP cannot be caught: sigaction says EINVAL, and libuv passes it on.
  status = uv_signal_start(&core->handle, OnSignalEvent, signum_);
  if (status < 0) {
    BeginClose(core);
    ThrowErrno(env, -status, "uv_signal_start", "signal " + std::to_string(signum_));
  }
  core->owner = this;
  core_ = core;
  Napi::ObjectWrap<SignalWatcher>::Ref();
  holdsStrongRef_ = true;
}

SignalWatcher::~SignalWatcher() {
  if (core_ != nullptr) {
    core_->owner = nullptr;
    BeginClose(core_);
  }
}

// Touches no JS: at environment teardown the strong reference simply goes with the environment.
void SignalWatcher::Detach() { core_ = nullptr; }

void SignalWatcher::ReleaseSelf() {
  if (!holdsStrongRef_) return;
  holdsStrongRef_ = false;
  Napi::ObjectWrap<SignalWatcher>::Unref();
}

void SignalWatcher::Close(const Napi::CallbackInfo&) {
  if (core_ != nullptr) BeginClose(core_);  // BeginClose calls Detach, which clears core_
  ReleaseSelf();
}

Napi::Value SignalWatcher::Signal(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), signum_); }

Napi::Value SignalWatcher::Active(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), core_ != nullptr); }

void SignalWatcher::OnSignal(int signum) {
  Napi::Env env = Env();
  Napi::HandleScope scope(env);
  Napi::Object self = Value();  // held in this scope while the callback may close the watcher
  try {
    callback_.MakeCallback(self, {Napi::Number::New(env, signum)}, *asyncContext_);
  } catch (const Napi::Error& thrown) {
    napi_fatal_exception(env, thrown.Value());
  }
}

Napi::Value RealtimeSignals(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object range = Napi::Object::New(env);
  range.Set("min", Napi::Number::New(env, SIGRTMIN));
  range.Set("max", Napi::Number::New(env, SIGRTMAX));
  return range;
}

}  // namespace vrrp

// A descriptor polled by libuv on the JS thread, with the lifecycle the VRRP socket and the precise
// timer share: registered with the loop and with the environment's teardown (process exit, Worker
// termination); closed at once on close(), the poll handle asynchronously; the core freed only in
// uv_close's callback, once libuv no longer refers to the handle, so it may outlive its JS wrapper.
#pragma once

#include <napi.h>
#include <uv.h>

namespace vrrp {

struct PolledFd {
  uv_poll_t poll;
  int fd = -1;
  bool closing = false;
  napi_async_cleanup_hook_handle teardownHook = nullptr;

  virtual ~PolledFd() = default;
  // The descriptor is readable (or polling failed, status < 0); never called once closing.
  virtual void Readable(int status) = 0;
  // Closing has begun: the JS wrapper must forget this core and touch it no more.
  virtual void ForgetOwner() = 0;
};

// Takes `core` and `fd` (a socket when `isSocket`): on success the core holds the descriptor and is
// freed by BeginClose's path; on failure both are released and a JS error is thrown.
void AttachPolledFd(Napi::Env env, PolledFd* core, int fd, bool isSocket);

// uv_poll_start for readability with the shared dispatcher; a libuv status (negative on failure).
int StartPolling(PolledFd& core);
void StopPolling(PolledFd& core);
// Whether an active poll keeps the event loop alive.
void SetLoopRef(PolledFd& core, bool ref);

// Closes the descriptor now and the poll handle asynchronously. Safe to call more than once.
void BeginClose(PolledFd* core);

}  // namespace vrrp

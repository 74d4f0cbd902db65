#include "polled_fd.h"

#include <unistd.h>

#include "errors.h"

namespace vrrp {
namespace {

uv_handle_t* Handle(PolledFd& core) { return reinterpret_cast<uv_handle_t*>(&core.poll); }

void OnPollClosed(uv_handle_t* handle) {
  auto* core = static_cast<PolledFd*>(handle->data);
  // Tells Node this descriptor's teardown is complete (a Worker would otherwise wait for it).
  if (core->teardownHook != nullptr) napi_remove_async_cleanup_hook(core->teardownHook);
  delete core;
}

void OnEnvTeardown(napi_async_cleanup_hook_handle, void* data) { BeginClose(static_cast<PolledFd*>(data)); }

void OnPollEvent(uv_poll_t* handle, int status, int) {
  auto* core = static_cast<PolledFd*>(handle->data);
  if (!core->closing) core->Readable(status);
}

}  // namespace

void AttachPolledFd(Napi::Env env, PolledFd* core, int fd, bool isSocket) {
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) {
    close(fd);
    delete core;
    throw Napi::Error::New(env, "no libuv loop for this environment");
  }
  int status = isSocket ? uv_poll_init_socket(loop, &core->poll, fd) : uv_poll_init(loop, &core->poll, fd);
  if (status < 0) {
    close(fd);
    delete core;
    ThrowErrno(env, -status, isSocket ? "uv_poll_init_socket" : "uv_poll_init");
  }
  core->poll.data = core;
  core->fd = fd;
  if (napi_add_async_cleanup_hook(env, OnEnvTeardown, core, &core->teardownHook) != napi_ok) {
    core->teardownHook = nullptr;
    BeginClose(core);  // no owner yet: closes the fd and frees the core once libuv lets go
    throw Napi::Error::New(env, "napi_add_async_cleanup_hook failed");
  }
}

int StartPolling(PolledFd& core) { return uv_poll_start(&core.poll, UV_READABLE, OnPollEvent); }

void StopPolling(PolledFd& core) { uv_poll_stop(&core.poll); }

void SetLoopRef(PolledFd& core, bool ref) {
  if (ref) {
    uv_ref(Handle(core));
  } else {
    uv_unref(Handle(core));
  }
}

void BeginClose(PolledFd* core) {
  if (core->closing) return;
  core->closing = true;
  core->ForgetOwner();
  // uv_close removes the fd from epoll synchronously, so closing the fd right after is safe.
  uv_close(Handle(*core), OnPollClosed);
  close(core->fd);
  core->fd = -1;
}

}  // namespace vrrp

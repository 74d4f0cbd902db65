// Entering a network namespace the way keepalived's net_namespace does (core/namespaces.c), for a
// process that has threads: setns(CLONE_NEWNET) and unshare(CLONE_NEWNS) move only the calling
// thread, so bin/vrrpd calls these on its main thread and then execve()s itself, which leaves one
// thread, in the namespaces that thread was in, before any socket exists (src/linux/netns.ts).
#pragma once

#include <napi.h>

namespace vrrp {

// enterNetNamespace(path) -> undefined: open(path), setns(fd, CLONE_NEWNET), close.
Napi::Value EnterNetNamespace(const Napi::CallbackInfo& info);

// privateRunMount(source, target) -> undefined: unshare(CLONE_NEWNS), every mount made a slave of
// the old namespace's (systemd makes them shared), then `source` bind-mounted on `target`.
Napi::Value PrivateRunMount(const Napi::CallbackInfo& info);

// unmount(target) -> undefined: umount(target).
Napi::Value Unmount(const Napi::CallbackInfo& info);

// execProcess(file, argv, env) -> never returns; throws the errno error when execve fails.
Napi::Value ExecProcess(const Napi::CallbackInfo& info);

}  // namespace vrrp

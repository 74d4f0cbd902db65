// Reaping adopted orphans when this process is PID 1 of a container (or a child subreaper), without
// taking an exit status that belongs to libuv. The typed wrapper and the reasoning are
// src/linux/orphan-reaper.ts.
#pragma once

#include <napi.h>

namespace vrrp {

// childSubreaper() -> boolean: prctl(PR_GET_CHILD_SUBREAPER). childSubreaper(true|false) sets it.
Napi::Value ChildSubreaper(const Napi::CallbackInfo& info);

// reapOrphans() -> [{ pid, code, signal }]: reaps exited children that no libuv process handle of
// this thread's loop watches; stops at the first exited child that one does (libuv reaps it).
Napi::Value ReapOrphans(const Napi::CallbackInfo& info);

// Adds the two functions above to `exports` (one registration line in addon.cc).
void RegisterOrphanReaper(Napi::Env env, Napi::Object exports);

}  // namespace vrrp

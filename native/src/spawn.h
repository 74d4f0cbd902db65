// Starting check scripts and notify commands from the daemon's own process without stalling it.
//
// child_process.spawn forks: the kernel copies the page tables of the whole process (tens of MiB of
// heap), and the calling thread waits for it. spawnCommand uses clone(CLONE_VM | CLONE_VFORK), as
// posix_spawn does: nothing is copied, and the caller waits only until the child has called execve
// (tens of microseconds, whatever the daemon's size). The child runs in a process group of its own
// (so a timeout can kill everything it started), with stdio on /dev/null, default signal
// dispositions and an empty signal mask, optionally under another gid / uid (raw system calls: glibc's
// setuid would try to change every thread of the shared address space).
//
// Its exit is watched through a pidfd polled by libuv on the JS thread (no SIGCHLD handler, so libuv's
// own children are not disturbed), then reaped with waitid(P_PIDFD).
//
// The clone runs on a libuv threadpool thread (Napi::AsyncWorker), so even those microseconds are not
// the JS thread's. JS: spawnCommand({ argv, uid?, gid? }, onStarted(error | null, pid | null),
// onExit(code | null, signal | null)). An exec that fails (ENOENT, EACCES) is onStarted's error.
#pragma once

#include <napi.h>
#include <sys/types.h>

namespace vrrp {

void SpawnCommand(const Napi::CallbackInfo& info);

// Whether `pid` is a child spawnCommand started and has not reaped yet (its status is the pidfd
// watch's to take). kBusy while a spawn is between clone and registration: ask again later.
// PID 1's orphan reaper (orphan_reaper.cc) asks this before it reaps anything.
enum class SpawnedChild { kYes, kNo, kBusy };
SpawnedChild IsSpawnedChild(pid_t pid);

}  // namespace vrrp

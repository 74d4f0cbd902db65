// vrrp_no_swap for a Node process. keepalived calls mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT);
// a Node process cannot: V8 hands heap pages back with madvise(MADV_DONTNEED), the kernel refuses that
// on locked memory (EINVAL), and V8 aborts (measured: 15 GC-heavy runs of 15 under such a lock died).
// So this locks what the native advert path runs from, with keepalived's MLOCK_ONFAULT (a page is
// locked when it is first touched; nothing is read in ahead):
//   - every mapping of a regular file: the code and data of node, libc, libstdc++ and this addon;
//   - the main thread's stack, and the malloc heap ([heap]), followed as it grows (ExtendHeapLock);
//   - the periodic advert sender's stack (LockThreadStack).
// V8's heap and other threads' anonymous memory stay swappable: JavaScript's decisions can still wait
// for a page-in, the periodic adverts and their watchdog cannot. The typed wrapper is src/linux/scheduling.ts.
#pragma once

#include <napi.h>
#include <pthread.h>

namespace vrrp::memlock {

// True once lockMemory() succeeded.
bool Enabled();

// The malloc heap grew since the last lock (the advert path's state lives there): lock the new part.
// Cheap when nothing grew (one sbrk(0)); failures are counted, not thrown. Any thread.
void ExtendHeapLock();

// Locks `thread`'s stack (MLOCK_ONFAULT); false if the kernel refused.
bool LockThreadStack(pthread_t thread);

// lockMemory() -> { lockedBytes, mappings }: the locks above, for the process's current mappings.
// Throws (errno code) if the kernel refuses one, after unlocking everything again.
Napi::Value LockMemory(const Napi::CallbackInfo& info);

// memoryLockStatus() -> { enabled, heapExtensions, heapExtensionFailures, threadStacks }.
Napi::Value MemoryLockStatus(const Napi::CallbackInfo& info);

}  // namespace vrrp::memlock

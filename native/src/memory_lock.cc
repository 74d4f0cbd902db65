#include "memory_lock.h"

#include <errno.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>

#include "errors.h"
#include "periodic_adverts.h"

#ifndef MLOCK_ONFAULT
#define MLOCK_ONFAULT 0x01
#endif

namespace vrrp::memlock {
namespace {

std::atomic<bool> enabled{false};
std::mutex heapMutex;
uintptr_t heapLockedEnd = 0;  // under heapMutex: where the locked part of [heap] ends
std::atomic<uint32_t> heapExtensions{0};
std::atomic<uint32_t> heapExtensionFailures{0};
std::atomic<uint32_t> threadStacks{0};

int LockRange(uintptr_t start, uintptr_t end) {
  if (end <= start) return 0;
  // glibc's mlock2() wrapper is recent; the system call is the same everywhere (Linux 4.4+).
  if (syscall(SYS_mlock2, reinterpret_cast<void*>(start), end - start, MLOCK_ONFAULT) != 0) return errno;
  return 0;
}

// One line of /proc/self/maps: "start-end perms offset dev inode path".
struct Mapping {
  uintptr_t start = 0;
  uintptr_t end = 0;
  char perms[5] = {};
  unsigned long inode = 0;
  std::string path;
};

bool ParseMapping(const char* line, Mapping& mapping) {
  unsigned long start, end, offset, inode;
  char perms[5], device[16];
  int pathAt = 0;
  if (sscanf(line, "%lx-%lx %4s %lx %15s %lu %n", &start, &end, perms, &offset, device, &inode, &pathAt) < 6) {
    return false;
  }
  mapping.start = start;
  mapping.end = end;
  std::memcpy(mapping.perms, perms, sizeof mapping.perms);
  mapping.inode = inode;
  mapping.path = pathAt > 0 ? std::string(line + pathAt) : std::string();
  while (!mapping.path.empty() && (mapping.path.back() == '\n' || mapping.path.back() == ' ')) mapping.path.pop_back();
  return true;
}

bool EndsWith(const std::string& text, const char* suffix) {
  size_t length = std::strlen(suffix);
  return text.size() >= length && text.compare(text.size() - length, length, suffix) == 0;
}

// A mapping of a regular file on disk (code, read-only data, a library's .data), not memfd or a device,
// which V8 or a driver may discard; or the main stack or the malloc heap. Inaccessible gaps are left.
bool WantsLock(const Mapping& mapping) {
  if (std::strcmp(mapping.perms, "---p") == 0 || std::strcmp(mapping.perms, "---s") == 0) return false;
  if (mapping.path == "[heap]" || mapping.path == "[stack]") return true;
  if (mapping.inode == 0 || mapping.path.empty() || mapping.path[0] != '/') return false;
  if (mapping.path.rfind("/memfd:", 0) == 0 || mapping.path.rfind("/dev/", 0) == 0) return false;
  return !EndsWith(mapping.path, " (deleted)");
}

bool StillMapped(const Mapping& mapping) {
  return madvise(reinterpret_cast<void*>(mapping.start), mapping.end - mapping.start, MADV_NORMAL) == 0;
}

// Only the malloc heap ([heap], brk) is followed as it grows: a block glibc places with mmap (past its
// mmap threshold, 128 KiB and up) is not locked. The advert path's blocks are far smaller: a schedule
// holds one datagram per destination.
struct LockResult {
  int error = 0;
  std::string what;
  double lockedBytes = 0;
  uint32_t mappings = 0;
};

LockResult LockMappings() {
  LockResult result;
  FILE* maps = fopen("/proc/self/maps", "re");
  if (maps == nullptr) {
    result.error = errno;
    result.what = "/proc/self/maps";
    return result;
  }
  char* line = nullptr;
  size_t capacity = 0;
  while (getline(&line, &capacity, maps) > 0) {
    Mapping mapping;
    if (!ParseMapping(line, mapping) || !WantsLock(mapping)) continue;
    if (int error = LockRange(mapping.start, mapping.end); error != 0) {
      // Another thread may have unmapped it since the maps were read (ENOMEM too, like a too-low
      // RLIMIT_MEMLOCK): a range that is gone is skipped; MADV_NORMAL fails with ENOMEM only then.
      if (error == ENOMEM && !StillMapped(mapping)) continue;
      result.error = error;
      result.what = mapping.path;
      break;
    }
    if (mapping.path == "[heap]") heapLockedEnd = mapping.end;
    result.lockedBytes += static_cast<double>(mapping.end - mapping.start);
    result.mappings++;
  }
  free(line);
  fclose(maps);
  return result;
}

}  // namespace

bool Enabled() { return enabled.load(std::memory_order_acquire); }

void ExtendHeapLock() {
  if (!Enabled()) return;
  std::lock_guard<std::mutex> lock(heapMutex);
  const auto top = reinterpret_cast<uintptr_t>(sbrk(0));
  if (heapLockedEnd == 0 || top == heapLockedEnd) return;
  if (top < heapLockedEnd) {
    heapLockedEnd = top;  // malloc trimmed the heap: what grows back from here is new, unlocked memory
    return;
  }
  if (LockRange(heapLockedEnd, top) != 0) {
    heapExtensionFailures.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  heapLockedEnd = top;
  heapExtensions.fetch_add(1, std::memory_order_relaxed);
}

bool LockThreadStack(pthread_t thread) {
  pthread_attr_t attributes;
  if (pthread_getattr_np(thread, &attributes) != 0) return false;
  void* base = nullptr;
  size_t size = 0;
  const bool found = pthread_attr_getstack(&attributes, &base, &size) == 0;
  pthread_attr_destroy(&attributes);
  if (!found) return false;
  const auto start = reinterpret_cast<uintptr_t>(base);
  if (LockRange(start, start + size) != 0) return false;
  threadStacks.fetch_add(1, std::memory_order_relaxed);
  return true;
}

Napi::Value LockMemory(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  LockResult result;
  {
    std::lock_guard<std::mutex> lock(heapMutex);
    result = LockMappings();
    if (result.error != 0) {
      munlockall();  // all or nothing: a half-locked process would read as locked
      heapLockedEnd = 0;
    }
  }
  if (result.error != 0) ThrowErrno(env, result.error, "mlock2", result.what);
  enabled.store(true, std::memory_order_release);
  // The sender may already run (an embedding program armed adverts first); it locks its own otherwise.
  periodic::LockSenderStack();
  Napi::Object out = Napi::Object::New(env);
  out.Set("lockedBytes", Napi::Number::New(env, result.lockedBytes));
  out.Set("mappings", Napi::Number::New(env, result.mappings));
  return out;
}

Napi::Value MemoryLockStatus(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  out.Set("enabled", Napi::Boolean::New(env, Enabled()));
  out.Set("heapExtensions", Napi::Number::New(env, heapExtensions.load()));
  out.Set("heapExtensionFailures", Napi::Number::New(env, heapExtensionFailures.load()));
  out.Set("threadStacks", Napi::Number::New(env, threadStacks.load()));
  return out;
}

}  // namespace vrrp::memlock

#include "periodic_adverts.h"
#include "scheduling.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <limits>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_set>

#include "errors.h"
#include "memory_lock.h"

namespace vrrp::periodic {
namespace {

// How late this thread may be, at most, before the engine's twin of its advert goes out instead.
constexpr int64_t kLateGraceNs = 2000000;

int64_t NowNs() {
  timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<int64_t>(now.tv_sec) * 1000000000 + now.tv_nsec;
}

struct Entry {
  const void* owner = nullptr;
  // The VRID its adverts carry (VRRP header byte 1): with the owner, what names it to TakeJsSend.
  uint8_t vrid = 0;
  int fd = -1;
  std::vector<Datagram> datagrams;
  // When each datagram last left, from this thread or from the engine.
  std::vector<int64_t> lastSentNs;
  int64_t intervalNs = 0;
  int64_t watchdogNs = 0;
  int64_t nextAtNs = 0;
  bool tripped = false;
};

struct Counts {
  double sent = 0;
  double trips = 0;
  double skipped = 0;
};

// Heap-allocated and never freed: the thread may still run while the process exits, and nothing it
// touches may be destroyed under it by static destructors.
struct Scheduler {
  std::mutex mutex;
  std::condition_variable wake;
  std::map<uint32_t, Entry> entries;
  // Key by (socket, VRID): every router of a socket shares its destination and source, so TakeJsSend
  // finds the one a packet belongs to by its VRID, without scanning them all per packet.
  std::map<std::pair<const void*, uint8_t>, uint32_t> keyByVrid;
  std::map<uint32_t, Counts> counts;
  std::unordered_set<const void*> halted;
  std::atomic<int64_t> checkInNs{0};
  bool started = false;
  pthread_t thread{};
  int realtimePriority = 0;
};

Scheduler& State() {
  static Scheduler* scheduler = new Scheduler();
  return *scheduler;
}

uint8_t VridOf(const std::vector<uint8_t>& payload) { return payload.size() > 1 ? payload[1] : 0; }

// Closes its descriptor and erases it (and its index entry).
std::map<uint32_t, Entry>::iterator Erase(Scheduler& s, std::map<uint32_t, Entry>::iterator it) {
  Entry& entry = it->second;
  if (entry.fd >= 0) close(entry.fd);
  auto indexed = s.keyByVrid.find({entry.owner, entry.vrid});
  if (indexed != s.keyByVrid.end() && indexed->second == it->first) s.keyByVrid.erase(indexed);
  return s.entries.erase(it);
}

bool SameDestination(const Datagram& datagram, const msghdr& message) {
  return datagram.destinationLength == message.msg_namelen &&
         std::memcmp(&datagram.destination, message.msg_name, message.msg_namelen) == 0 &&
         datagram.control.size() == message.msg_controllen &&
         std::memcmp(datagram.control.data(), message.msg_control, message.msg_controllen) == 0;
}

bool SamePayload(const Datagram& datagram, const msghdr& message) {
  const iovec& iov = message.msg_iov[0];
  return datagram.payload.size() == iov.iov_len && std::memcmp(datagram.payload.data(), iov.iov_base, iov.iov_len) == 0;
}

// Sends every datagram of `entry`, kBatch per sendmmsg; the number that left. A refused one is
// skipped (the next interval tries again); the engine's own send reports such errors. The headers
// live on this thread's stack, so a send allocates nothing (and touches no unlocked memory).
constexpr size_t kBatch = 64;

size_t SendAll(Entry& entry) {
  iovec iovs[kBatch];
  mmsghdr headers[kBatch];
  size_t sent = 0;
  for (size_t first = 0; first < entry.datagrams.size(); first += kBatch) {
    const size_t count = std::min(kBatch, entry.datagrams.size() - first);
    for (size_t i = 0; i < count; i++) {
      Datagram& datagram = entry.datagrams[first + i];
      iovs[i] = {datagram.payload.data(), datagram.payload.size()};
      msghdr& message = headers[i].msg_hdr;
      message = {};
      message.msg_name = &datagram.destination;
      message.msg_namelen = datagram.destinationLength;
      message.msg_iov = &iovs[i];
      message.msg_iovlen = 1;
      message.msg_control = datagram.control.data();
      message.msg_controllen = datagram.control.size();
    }
    size_t next = 0;
    while (next < count) {
      int result = sendmmsg(entry.fd, &headers[next], static_cast<unsigned>(count - next), MSG_DONTWAIT);
      if (result < 0 && errno == EINTR) continue;
      if (result <= 0) {
        next++;
        continue;
      }
      if (static_cast<size_t>(result) < count - next) {
        int pending = 0;  // a partial send parks the next datagram's error in SO_ERROR (see VrrpSocket send)
        socklen_t length = sizeof pending;
        getsockopt(entry.fd, SOL_SOCKET, SO_ERROR, &pending, &length);
      }
      next += static_cast<size_t>(result);
      sent += static_cast<size_t>(result);
    }
  }
  return sent;
}

// An entry is due: send it, or, if the engine has been silent past the bound, trip and send nothing.
void Fire(Scheduler& s, uint32_t key, Entry& entry, int64_t now) {
  const int64_t due = entry.nextAtNs;
  if (now - s.checkInNs.load(std::memory_order_relaxed) > entry.watchdogNs) {
    if (!entry.tripped) s.counts[key].trips++;
    entry.tripped = true;
    entry.nextAtNs = now + entry.intervalNs;  // looks again an interval later
    return;
  }
  entry.tripped = false;
  s.counts[key].sent += static_cast<double>(SendAll(entry));
  std::fill(entry.lastSentNs.begin(), entry.lastSentNs.end(), now);
  // On time (within half an interval): keep the grid, so wake-up latency does not add up. Late: the
  // next one an interval after this one, never two back to back.
  entry.nextAtNs = (now - due < entry.intervalNs / 2 ? due : now) + entry.intervalNs;
}

void ApplyRealtime(pthread_t thread, int priority) {
  sched_param param{};
  param.sched_priority = priority;
  pthread_setschedparam(thread, priority > 0 ? SCHED_RR : SCHED_OTHER, &param);
}

void* Run(void*) {
  Scheduler& s = State();
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);  // wake at the deadline, not up to 50 µs after it
  RegisterRealtimeThread(static_cast<pid_t>(syscall(SYS_gettid)));  // SIGXCPU demotes it too
  if (memlock::Enabled()) memlock::LockThreadStack(pthread_self());  // vrrp_no_swap
  std::unique_lock<std::mutex> lock(s.mutex);
  for (;;) {
    int64_t next = std::numeric_limits<int64_t>::max();
    for (auto& [key, entry] : s.entries) {
      if (!s.halted.count(entry.owner)) next = std::min(next, entry.nextAtNs);
    }
    if (next == std::numeric_limits<int64_t>::max()) {
      s.wake.wait(lock);
      continue;
    }
    int64_t now = NowNs();
    if (now < next) {
      // steady_clock is CLOCK_MONOTONIC; the wait is re-evaluated whenever an arm wakes us.
      s.wake.wait_until(lock, std::chrono::steady_clock::time_point(std::chrono::nanoseconds(next)));
      continue;
    }
    for (auto& [key, entry] : s.entries) {
      if (entry.nextAtNs <= now && !s.halted.count(entry.owner)) Fire(s, key, entry, now);
    }
  }
  return nullptr;
}

// Under the mutex. The thread starts with the first schedule and runs until the process ends.
// Returns 0, or pthread_create's error.
int EnsureStarted(Scheduler& s) {
  if (s.started) return 0;
  // Blocks every signal in the new thread (it inherits this mask), so signals stay with the JS thread.
  sigset_t all, previous;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &previous);
  int result = pthread_create(&s.thread, nullptr, Run, nullptr);
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  if (result != 0) return result;
  pthread_detach(s.thread);
  s.started = true;
  if (s.realtimePriority > 0) ApplyRealtime(s.thread, s.realtimePriority);
  return 0;
}

}  // namespace

Datagram FromMessage(const msghdr& message) {
  Datagram datagram;
  const auto* bytes = static_cast<const uint8_t*>(message.msg_iov[0].iov_base);
  datagram.payload.assign(bytes, bytes + message.msg_iov[0].iov_len);
  std::memcpy(&datagram.destination, message.msg_name, message.msg_namelen);
  datagram.destinationLength = message.msg_namelen;
  const auto* control = static_cast<const uint8_t*>(message.msg_control);
  datagram.control.assign(control, control + message.msg_controllen);
  return datagram;
}

int Arm(const void* owner, int socketFd, uint32_t key, std::vector<Datagram> datagrams, const Schedule& schedule) {
  Scheduler& s = State();
  std::lock_guard<std::mutex> lock(s.mutex);
  auto found = s.entries.find(key);
  if (datagrams.empty()) {
    if (found != s.entries.end()) Erase(s, found);
    return 0;
  }
  const uint8_t vrid = VridOf(datagrams[0].payload);
  if (found != s.entries.end() && (found->second.owner != owner || found->second.vrid != vrid)) {
    Erase(s, found);
    found = s.entries.end();
  }
  if (found == s.entries.end()) {
    int fd = fcntl(socketFd, F_DUPFD_CLOEXEC, 0);
    if (fd < 0) return errno;
    Entry& entry = s.entries[key];
    entry.vrid = vrid;
    s.keyByVrid[{owner, vrid}] = key;
    entry.owner = owner;
    entry.fd = fd;
    entry.nextAtNs = schedule.firstAtNs;
    entry.lastSentNs.assign(datagrams.size(), schedule.firstAtNs - schedule.intervalNs);
  } else if (found->second.datagrams.size() != datagrams.size()) {
    found->second.lastSentNs.assign(datagrams.size(), found->second.nextAtNs - found->second.intervalNs);
  }
  Entry& entry = s.entries[key];
  entry.datagrams = std::move(datagrams);
  if (entry.intervalNs != schedule.intervalNs && entry.intervalNs != 0) {
    // A new interval counts from the last advert, as the engine's own timer does after a reload.
    entry.nextAtNs = *std::max_element(entry.lastSentNs.begin(), entry.lastSentNs.end()) + schedule.intervalNs;
  }
  entry.intervalNs = schedule.intervalNs;
  entry.watchdogNs = schedule.watchdogNs;
  s.counts[key];
  s.checkInNs.store(NowNs(), std::memory_order_relaxed);  // the engine is evidently running
  if (int error = EnsureStarted(s); error != 0) {
    // No thread, no schedule: nothing may make send() skip the engine's own adverts.
    Erase(s, s.entries.find(key));
    return error;
  }
  memlock::ExtendHeapLock();  // vrrp_no_swap: the entry just allocated stays resident
  s.wake.notify_one();
  return 0;
}

void LockSenderStack() {
  Scheduler& s = State();
  std::lock_guard<std::mutex> lock(s.mutex);
  if (s.started) memlock::LockThreadStack(s.thread);
}

void ForgetOwner(const void* owner) {
  Scheduler& s = State();
  std::lock_guard<std::mutex> lock(s.mutex);
  for (auto it = s.entries.begin(); it != s.entries.end();) {
    it = it->second.owner == owner ? Erase(s, it) : std::next(it);
  }
  s.halted.erase(owner);
}

void HaltOwner(const void* owner) {
  Scheduler& s = State();
  std::lock_guard<std::mutex> lock(s.mutex);
  s.halted.insert(owner);
}

bool TakeJsSend(const void* owner, const msghdr& message) {
  Scheduler& s = State();
  std::lock_guard<std::mutex> lock(s.mutex);
  const iovec& iov = message.msg_iov[0];
  if (iov.iov_len < 2) return false;
  auto indexed = s.keyByVrid.find({owner, static_cast<const uint8_t*>(iov.iov_base)[1]});
  if (indexed == s.keyByVrid.end()) return false;
  const uint32_t key = indexed->second;
  Entry& entry = s.entries.at(key);
  const int64_t now = NowNs();
  for (size_t i = 0; i < entry.datagrams.size(); i++) {
    Datagram& datagram = entry.datagrams[i];
    if (!SameDestination(datagram, message)) continue;
    const bool live = !entry.tripped && !s.halted.count(owner);
    // Skipped while this thread keeps to its interval; once it is late by more than a little (a
    // loaded machine, SCHED_OTHER), the engine's own send goes first and the thread restarts from it.
    const int64_t grace = std::min<int64_t>(entry.intervalNs / 4, kLateGraceNs);
    if (live && SamePayload(datagram, message) && now - entry.lastSentNs[i] < entry.intervalNs + grace) {
      s.counts[key].skipped++;
      return true;
    }
    entry.lastSentNs[i] = now;
    entry.nextAtNs = now + entry.intervalNs;
    return false;
  }
  return false;
}

Napi::Value CheckIn(const Napi::CallbackInfo& info) {
  State().checkInNs.store(NowNs(), std::memory_order_relaxed);
  return info.Env().Undefined();
}

Napi::Value Counters(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Scheduler& s = State();
  std::lock_guard<std::mutex> lock(s.mutex);
  Napi::Array out = Napi::Array::New(env, s.counts.size() * 4);
  uint32_t i = 0;
  for (const auto& [key, counts] : s.counts) {
    out.Set(i++, Napi::Number::New(env, key));
    out.Set(i++, Napi::Number::New(env, counts.sent));
    out.Set(i++, Napi::Number::New(env, counts.trips));
    out.Set(i++, Napi::Number::New(env, counts.skipped));
  }
  return out;
}

Napi::Value Forget(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsNumber()) ThrowInvalidArg(env, "key must be a number");
  uint32_t key = info[0].As<Napi::Number>().Uint32Value();
  Scheduler& s = State();
  std::lock_guard<std::mutex> lock(s.mutex);
  auto found = s.entries.find(key);
  if (found != s.entries.end()) Erase(s, found);
  s.counts.erase(key);
  return env.Undefined();
}

Napi::Value SetRealtime(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsNumber()) ThrowInvalidArg(env, "priority must be a number");
  int priority = info[0].As<Napi::Number>().Int32Value();
  if (priority != 0 && (priority < sched_get_priority_min(SCHED_RR) || priority > sched_get_priority_max(SCHED_RR))) {
    ThrowInvalidArg(env, "priority must be 0 or a SCHED_RR priority");
  }
  Scheduler& s = State();
  std::lock_guard<std::mutex> lock(s.mutex);
  s.realtimePriority = priority;
  if (s.started) {
    sched_param param{};
    param.sched_priority = priority;
    int result = pthread_setschedparam(s.thread, priority > 0 ? SCHED_RR : SCHED_OTHER, &param);
    if (result != 0) ThrowErrno(env, result, "pthread_setschedparam", "advert sender thread SCHED_RR " + std::to_string(priority));
  }
  return env.Undefined();
}

}  // namespace vrrp::periodic

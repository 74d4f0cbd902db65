#include "scheduling.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <string>

#include "errors.h"

#ifndef SCHED_RESET_ON_FORK
#define SCHED_RESET_ON_FORK 0x40000000
#endif

namespace vrrp {

namespace {

int IntegerArg(const Napi::CallbackInfo& info, size_t index, int min, int max, const char* what) {
  if (!info[index].IsNumber()) ThrowInvalidArg(info.Env(), std::string(what) + " must be a number");
  double value = info[index].As<Napi::Number>().DoubleValue();
  if (value != static_cast<double>(static_cast<long long>(value)) || value < min || value > max) {
    ThrowInvalidArg(info.Env(), std::string(what) + " must be an integer from " + std::to_string(min) + " to " +
                                    std::to_string(max));
  }
  return static_cast<int>(value);
}

// The threads SIGXCPU demotes: the main thread (SetRealtime) and the periodic advert sender
// (periodic_adverts.cc). Slots are written once each, before the limit is armed, and read by the handler.
constexpr int kRealtimeSlots = 4;
std::atomic<pid_t> realtimeThreads[kRealtimeSlots];
std::atomic<uint32_t> demotions{0};
struct sigaction previousXcpu {};
bool demoteHandlerInstalled = false;

// SIGXCPU: a SCHED_RR thread reached the RLIMIT_RTTIME soft limit. The kernel sends SIGKILL at the hard
// one, and a killed daemon leaves its VIPs on the interface of a node that no longer advertises. So,
// unlike keepalived (which only logs), every SCHED_RR thread of ours goes back to SCHED_OTHER here, on
// the spot: a thread that holds the CPU that long (a full GC on a CPU whose helper threads it starves)
// then shares it. JavaScript restores SCHED_RR later (src/linux/scheduling.ts). Async-signal-safe:
// sched_setscheduler is a plain system call; the previous handler (libuv's) then wakes JavaScript.
void DemoteOnXcpu(int signal, siginfo_t* info, void* context) {
  int savedErrno = errno;
  sched_param other{};
  for (auto& slot : realtimeThreads) {
    pid_t tid = slot.load(std::memory_order_relaxed);
    if (tid > 0) sched_setscheduler(tid, SCHED_OTHER | SCHED_RESET_ON_FORK, &other);
  }
  demotions.fetch_add(1, std::memory_order_relaxed);
  if (previousXcpu.sa_flags & SA_SIGINFO) {
    if (previousXcpu.sa_sigaction != nullptr) previousXcpu.sa_sigaction(signal, info, context);
  } else if (previousXcpu.sa_handler != SIG_DFL && previousXcpu.sa_handler != SIG_IGN) {
    previousXcpu.sa_handler(signal);
  }
  errno = savedErrno;
}

void InstallDemoteHandler(Napi::Env env) {
  if (demoteHandlerInstalled) return;
  struct sigaction action {};
  action.sa_sigaction = DemoteOnXcpu;
  action.sa_flags = SA_SIGINFO | SA_RESTART | SA_ONSTACK;
  sigemptyset(&action.sa_mask);
  if (sigaction(SIGXCPU, &action, &previousXcpu) != 0) ThrowErrno(env, errno, "sigaction", "SIGXCPU");
  demoteHandlerInstalled = true;
}

}  // namespace

void RegisterRealtimeThread(pid_t tid) {
  for (auto& slot : realtimeThreads) {
    pid_t expected = 0;
    if (slot.load() == tid) return;
    if (slot.compare_exchange_strong(expected, tid)) return;
  }
}

Napi::Value RealtimeDemotions(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), demotions.load(std::memory_order_relaxed));
}

Napi::Value SetRealtime(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int min = sched_get_priority_min(SCHED_RR);
  int max = sched_get_priority_max(SCHED_RR);
  sched_param param{};
  param.sched_priority = IntegerArg(info, 0, min, max, "real-time priority");
  // pid 0 is the calling thread (Linux schedules threads, not processes). Reset-on-fork keeps the
  // libuv pool threads started later, and every script we spawn, out of SCHED_RR.
  if (sched_setscheduler(0, SCHED_RR | SCHED_RESET_ON_FORK, &param) != 0) {
    ThrowErrno(env, errno, "sched_setscheduler", "SCHED_RR " + std::to_string(param.sched_priority));
  }
  RegisterRealtimeThread(static_cast<pid_t>(syscall(SYS_gettid)));
  return env.Undefined();
}

Napi::Value SetNice(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int nice = IntegerArg(info, 0, -20, 19, "nice");
  if (setpriority(PRIO_PROCESS, 0, nice) != 0) ThrowErrno(env, errno, "setpriority", std::to_string(nice));
  return env.Undefined();
}

Napi::Value SetCpuAffinity(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsArray()) ThrowInvalidArg(env, "CPU list must be an array");
  Napi::Array cpus = info[0].As<Napi::Array>();
  if (cpus.Length() == 0) ThrowInvalidArg(env, "CPU list must not be empty");
  cpu_set_t set;
  CPU_ZERO(&set);
  std::string listed;
  for (uint32_t i = 0; i < cpus.Length(); i++) {
    Napi::Value item = cpus.Get(i);
    if (!item.IsNumber()) ThrowInvalidArg(env, "CPU numbers must be numbers");
    double cpu = item.As<Napi::Number>().DoubleValue();
    if (cpu != static_cast<double>(static_cast<long long>(cpu)) || cpu < 0 || cpu >= CPU_SETSIZE) {
      ThrowInvalidArg(env, "CPU numbers must be integers from 0 to " + std::to_string(CPU_SETSIZE - 1));
    }
    CPU_SET(static_cast<int>(cpu), &set);
    listed += (listed.empty() ? "" : ",") + std::to_string(static_cast<int>(cpu));
  }
  if (sched_setaffinity(0, sizeof set, &set) != 0) ThrowErrno(env, errno, "sched_setaffinity", listed);
  return env.Undefined();
}

Napi::Value SetRealtimeLimit(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsNumber() || !info[1].IsNumber()) ThrowInvalidArg(env, "RLIMIT_RTTIME limits must be numbers");
  double soft = info[0].As<Napi::Number>().DoubleValue();
  double hard = info[1].As<Napi::Number>().DoubleValue();
  if (!(soft >= 1 && hard >= soft && hard <= 4294967295.0) || soft != static_cast<double>(static_cast<rlim_t>(soft)) ||
      hard != static_cast<double>(static_cast<rlim_t>(hard))) {
    ThrowInvalidArg(env, "RLIMIT_RTTIME limits must be integers with 1 <= soft <= hard <= 4294967295");
  }
  // The demoting handler goes in first, chained to whatever handles SIGXCPU now (libuv's, for JS).
  InstallDemoteHandler(env);
  rlimit limit{static_cast<rlim_t>(soft), static_cast<rlim_t>(hard)};
  if (setrlimit(RLIMIT_RTTIME, &limit) != 0) {
    ThrowErrno(env, errno, "setrlimit", "RLIMIT_RTTIME " + std::to_string(limit.rlim_cur) + "/" + std::to_string(limit.rlim_max));
  }
  return env.Undefined();
}

}  // namespace vrrp

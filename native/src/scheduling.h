// Real-time scheduling, nice, CPU affinity and RLIMIT_RTTIME for the calling thread
// (the main thread: the one that runs the event loop, the timers and sends the adverts). The typed
// wrapper and the reasons for each choice are src/linux/scheduling.ts.
#pragma once

#include <napi.h>
#include <sys/types.h>

namespace vrrp {

// setRealtime(priority) -> undefined: SCHED_RR | SCHED_RESET_ON_FORK at `priority` (1..99) for the
// calling thread only; threads and children created later start as SCHED_OTHER again.
Napi::Value SetRealtime(const Napi::CallbackInfo& info);

// setNice(nice) -> undefined: setpriority(PRIO_PROCESS, 0, nice); on Linux that is the calling thread.
Napi::Value SetNice(const Napi::CallbackInfo& info);

// setCpuAffinity([cpu, ...]) -> undefined: sched_setaffinity(0, ...) for the calling thread.
Napi::Value SetCpuAffinity(const Napi::CallbackInfo& info);

// setRealtimeLimit(softUs, hardUs) -> undefined: setrlimit(RLIMIT_RTTIME), after installing (once) a
// SIGXCPU handler that puts every registered thread back to SCHED_OTHER at the soft limit, so the hard
// limit's SIGKILL never comes; the handler found before it is still called.
Napi::Value SetRealtimeLimit(const Napi::CallbackInfo& info);

// realtimeDemotions() -> number: how many times SIGXCPU demoted the SCHED_RR threads.
Napi::Value RealtimeDemotions(const Napi::CallbackInfo& info);

// A thread (by kernel tid) that SIGXCPU demotes to SCHED_OTHER: the main thread registers in
// setRealtime, the periodic advert sender when it starts. At most 4; async-signal-safe to read.
void RegisterRealtimeThread(pid_t tid);

}  // namespace vrrp

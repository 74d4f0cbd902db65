// Real-time scheduling, nice, CPU affinity and RLIMIT_RTTIME for the calling thread
// (the main thread: the one that runs the event loop, the timers and sends the adverts). The typed
// wrapper and the reasons for each choice are src/linux/scheduling.ts.
#pragma once

#include <napi.h>

namespace vrrp {

// setRealtime(priority) -> undefined: SCHED_RR | SCHED_RESET_ON_FORK at `priority` (1..99) for the
// calling thread only; threads and children created later start as SCHED_OTHER again.
Napi::Value SetRealtime(const Napi::CallbackInfo& info);

// setNice(nice) -> undefined: setpriority(PRIO_PROCESS, 0, nice); on Linux that is the calling thread.
Napi::Value SetNice(const Napi::CallbackInfo& info);

// setCpuAffinity([cpu, ...]) -> undefined: sched_setaffinity(0, ...) for the calling thread.
Napi::Value SetCpuAffinity(const Napi::CallbackInfo& info);

// setRealtimeLimit(softUs, hardUs) -> undefined: setrlimit(RLIMIT_RTTIME).
Napi::Value SetRealtimeLimit(const Napi::CallbackInfo& info);

}  // namespace vrrp

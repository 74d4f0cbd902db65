// vrrp_native: raw VRRP sockets (protocol 112, IPv4 and IPv6), AF_PACKET address announcements and a
// timerfd-based precise timer, a libuv watcher for signals Node cannot catch (real-time ones), the
// main thread's scheduling (SCHED_RR, nice, affinity, RLIMIT_RTTIME), rtnetlink sockets and command
// starts that never fork the process, and entering a network namespace (setns, then execve).
// The typed API over this module is src/linux/raw-socket.ts; native/README.md documents both.
#include <napi.h>

#include "announce.h"
#include "claim_watch.h"
#include "errors.h"
#include "linkbeat.h"
#include "memory_lock.h"
#include "net_util.h"
#include "netns.h"
#include "orphan_reaper.h"
#include "periodic_adverts.h"
#include "precise_timer.h"
#include "rtnetlink.h"
#include "scheduling.h"
#include "signal_watcher.h"
#include "spawn.h"
#include "takeover_kit.h"
#include "vrrp_socket.h"

namespace {

// interfaceIndex(name) -> ifindex, synchronously (if_nametoindex); ENODEV when there is no such link.
// Lets a VIP add go straight to its RTM_NEWADDR instead of first waiting for a netlink RTM_GETLINK.
Napi::Value InterfaceIndexOf(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsString()) vrrp::ThrowInvalidArg(env, "interface name must be a string");
  return Napi::Number::New(env, vrrp::InterfaceIndex(env, info[0].As<Napi::String>().Utf8Value()));
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("VrrpSocket", vrrp::VrrpSocket::Define(env));
  exports.Set("sendGratuitousArp", Napi::Function::New<vrrp::SendGratuitousArp>(env, "sendGratuitousArp"));
  exports.Set("sendUnsolicitedNa", Napi::Function::New<vrrp::SendUnsolicitedNa>(env, "sendUnsolicitedNa"));
  exports.Set("sendAnnouncements", Napi::Function::New<vrrp::SendAnnouncements>(env, "sendAnnouncements"));
  exports.Set("sendAllNodesFrame", Napi::Function::New<vrrp::SendAllNodesFrame>(env, "sendAllNodesFrame"));
  exports.Set("announceSockets", Napi::Function::New<vrrp::AnnounceSockets>(env, "announceSockets"));
  exports.Set("ClaimWatch", vrrp::ClaimWatch::Define(env));
  exports.Set("PreciseTimer", vrrp::PreciseTimer::Define(env));
  exports.Set("SignalWatcher", vrrp::SignalWatcher::Define(env));
  exports.Set("realtimeSignals", Napi::Function::New<vrrp::RealtimeSignals>(env, "realtimeSignals"));
  exports.Set("setRealtime", Napi::Function::New<vrrp::SetRealtime>(env, "setRealtime"));
  exports.Set("setNice", Napi::Function::New<vrrp::SetNice>(env, "setNice"));
  exports.Set("setCpuAffinity", Napi::Function::New<vrrp::SetCpuAffinity>(env, "setCpuAffinity"));
  exports.Set("setRealtimeLimit", Napi::Function::New<vrrp::SetRealtimeLimit>(env, "setRealtimeLimit"));
  exports.Set("lockMemory", Napi::Function::New<vrrp::memlock::LockMemory>(env, "lockMemory"));
  exports.Set("memoryLockStatus", Napi::Function::New<vrrp::memlock::MemoryLockStatus>(env, "memoryLockStatus"));
  exports.Set("realtimeDemotions", Napi::Function::New<vrrp::RealtimeDemotions>(env, "realtimeDemotions"));
  exports.Set("RtnlSocket", vrrp::RtnlSocket::Define(env));
  exports.Set("spawnCommand", Napi::Function::New<vrrp::SpawnCommand>(env, "spawnCommand"));
  exports.Set("enterNetNamespace", Napi::Function::New<vrrp::EnterNetNamespace>(env, "enterNetNamespace"));
  exports.Set("privateRunMount", Napi::Function::New<vrrp::PrivateRunMount>(env, "privateRunMount"));
  exports.Set("unmount", Napi::Function::New<vrrp::Unmount>(env, "unmount"));
  exports.Set("execProcess", Napi::Function::New<vrrp::ExecProcess>(env, "execProcess"));
  exports.Set("interfaceIndex", Napi::Function::New<InterfaceIndexOf>(env, "interfaceIndex"));
  exports.Set("linkbeatProbe", Napi::Function::New<vrrp::LinkbeatProbe>(env, "linkbeatProbe"));
  vrrp::RegisterOrphanReaper(env, exports);
  vrrp::RegisterTakeoverKit(env, exports);
  exports.Set("periodicCheckIn", Napi::Function::New<vrrp::periodic::CheckIn>(env, "periodicCheckIn"));
  exports.Set("periodicCounters", Napi::Function::New<vrrp::periodic::Counters>(env, "periodicCounters"));
  exports.Set("periodicForget", Napi::Function::New<vrrp::periodic::Forget>(env, "periodicForget"));
  exports.Set("setPeriodicRealtime", Napi::Function::New<vrrp::periodic::SetRealtime>(env, "setPeriodicRealtime"));
  return exports;
}

}  // namespace

NODE_API_MODULE(vrrp_native, Init)

// A Master's periodic adverts sent from a thread of their own, so that nothing on the JS thread (a GC
// pause, a synchronous call in an embedding program, a slow log destination) can delay them.
//
// JavaScript arms one schedule per Master (VrrpSocket setPeriodic: the prepared datagrams, the
// interval, the first due time, the watchdog bound) and re-arms it when the advert's content changes;
// it disarms it when the router leaves Master. The thread sends each schedule's datagrams every
// interval. Its schedule and the engine's own periodic sends are one sequence, never two:
//   - the engine still decides every advert; its periodic ones reach VrrpSocket send marked
//     `periodic`, and one whose identical datagram this thread sent less than an interval and a
//     grace (a quarter interval, at most 2 ms) ago is skipped (TakeJsSend), so the wire sees one
//     advert per interval;
//   - when the engine sends one itself (the thread was late, tripped or halted), the schedule
//     restarts from that send, so the thread does not follow it with a second one;
//   - every change happens under one mutex, the same the thread holds while it sends: once a
//     disarm returns, no advert of that schedule can leave (a stop's priority-0 advert is last).
// Watchdog: the engine checks in (checkIn) on every timer expiry it handles. A schedule whose
// bound has passed since the last check-in sends nothing (one trip counted per silence) until the
// engine checks in again: a wedged process gives up mastership instead of holding it blindly.
//
// Fork safety: the thread lives in the parent only; its descriptors (dup'd, close-on-exec) never
// reach a spawned program, and Node never forks without exec.
#pragma once

#include <napi.h>
#include <sys/socket.h>

#include <cstdint>
#include <vector>

namespace vrrp::periodic {

// One datagram as VrrpSocket prepared it: payload, destination and pktinfo control data, copied.
struct Datagram {
  std::vector<uint8_t> payload;
  sockaddr_storage destination{};
  socklen_t destinationLength = 0;
  std::vector<uint8_t> control;
};

// Copies what `message` describes (one iovec) into a Datagram.
Datagram FromMessage(const msghdr& message);

struct Schedule {
  int64_t intervalNs = 0;
  // CLOCK_MONOTONIC ns of the first advert, for a key not armed yet; a re-armed key keeps its own.
  int64_t firstAtNs = 0;
  int64_t watchdogNs = 0;
};

// Arms (or re-arms, replacing content, interval and bound) schedule `key` on `socketFd` of `owner`
// (a socket's identity, for ForgetOwner and HaltOwner); the descriptor is dup'd. No datagrams:
// disarms. Returns 0, or an errno from dup.
int Arm(const void* owner, int socketFd, uint32_t key, std::vector<Datagram> datagrams, const Schedule& schedule);
// vrrp_no_swap was set after the sender thread started: lock its stack now (memory_lock.h).
void LockSenderStack();
// The owner's socket is closing: its schedules are dropped (and their descriptors closed) now.
void ForgetOwner(const void* owner);
// A stop signal sent the owner's parting adverts: its schedules send nothing more, re-armed or not.
void HaltOwner(const void* owner);
// For VrrpSocket send, on the JS thread: `message` is a periodic advert the engine is about to send
// on `owner`'s socket. True: this thread already sent its identical datagram this interval (skip it).
// False: it goes out from the engine, and the schedule restarts from now.
bool TakeJsSend(const void* owner, const msghdr& message);

// checkIn(): the engine is alive (the watchdog's clock restarts).
Napi::Value CheckIn(const Napi::CallbackInfo& info);
// counters() -> [key, sent, watchdogTrips, skipped, ...] for every key ever armed and not forgotten.
Napi::Value Counters(const Napi::CallbackInfo& info);
// forget(key): disarms `key` and drops its counters (the router is gone).
Napi::Value Forget(const Napi::CallbackInfo& info);
// setRealtime(priority): SCHED_RR at `priority` for the sender thread (now, or when it starts); 0: normal.
Napi::Value SetRealtime(const Napi::CallbackInfo& info);

}  // namespace vrrp::periodic

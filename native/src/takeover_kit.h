// The takeover kit: what a Backup does on becoming Master after its takeover advert, prepared by
// JavaScript and carried out at the expiry of the engine's precise timer with no JavaScript in
// between (src/linux/takeover-kit.ts is its JS side). At that expiry, right after the takeover adverts
// left (vrrp_socket.h SendTakeoverAdverts), the kit writes the VIPs' RTM_NEWADDR requests on a private
// rtnetlink socket, reads their acks (the kernel handles rtnetlink requests inside the send, so they
// are queued by the time it returns), and sends the first gratuitous ARPs / unsolicited NAs for the
// addresses whose add succeeded (RFC 9568 8.1.2: no announcement before the address is configured).
// JavaScript then takes the report (takeoverKitReport) and keeps its bookkeeping exact; adds nobody
// claims are withdrawn with the prepared RTM_DELADDR requests (takeoverKitRollback).
//
// JS sees:
//   takeoverKitPrepare({requests: [{add, remove, interface}], announcements: [{interface, addresses,
//     count?, router?, mac?, requests: number[]}]}): replaces the prepared content (does not arm).
//     add / remove: one netlink message each (its sequence number is the kit's to set); `requests`
//     names, per address of an announcement, the index of the request whose success it waits for.
//   takeoverKitArm(timerId): the expiry of PreciseTimer `timerId` fires the kit; 0 disarms.
//   takeoverKitReport() -> undefined | {results: number[], sent: number[], failures: [{request, errno}]}
//     the last firing's outcome, once: results[i] is request i's errno (0 added, -1 no answer, or
//     the kernel's positive errno), sent[j] the frames announcement j sent, failures its refused frames.
//   takeoverKitRollback(indexes) -> errno per index: sends those requests' `remove` and reads the acks.
//   takeoverKitCounters() -> {fired, skipped}
#pragma once

#include <napi.h>
#include <uv.h>

#include <cstdint>

namespace vrrp {

Napi::Value TakeoverKitPrepare(const Napi::CallbackInfo& info);
Napi::Value TakeoverKitArm(const Napi::CallbackInfo& info);
Napi::Value TakeoverKitReport(const Napi::CallbackInfo& info);
Napi::Value TakeoverKitRollback(const Napi::CallbackInfo& info);
Napi::Value TakeoverKitCounters(const Napi::CallbackInfo& info);

// Registers the functions above on `exports`.
void RegisterTakeoverKit(Napi::Env env, Napi::Object exports);

// From a PreciseTimer's expiry that sent takeover adverts: fires the kit armed for `timerId` on this
// loop, if any. Never throws.
void FireTakeoverKit(uv_loop_t* loop, uint32_t timerId);

}  // namespace vrrp

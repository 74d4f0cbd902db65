// A raw IP socket for VRRP (protocol 112) on one interface, IPv4 or IPv6, polled by libuv.
//
// JS sees `new VrrpSocket({family, interface})` with joinGroup/leaveGroup/send/startReceiving/
// stopReceiving/ref/unref/counters/close. Received datagrams are read on the JS thread from a uv_poll_t
// callback, so there is no thread per socket and no busy loop. Each readiness hands JS one batch: a
// Buffer with the payloads back to back, a Uint32Array of per-datagram fields and an array of
// address strings the fields refer to by index (made once per address, not per packet).
#pragma once

#include <napi.h>
#include <uv.h>

#include <cstdint>
#include <memory>
#include <set>
#include <string>

namespace vrrp {

struct SocketCore;
struct AddressKey;

class VrrpSocket : public Napi::ObjectWrap<VrrpSocket> {
 public:
  static Napi::Function Define(Napi::Env env);

  explicit VrrpSocket(const Napi::CallbackInfo& info);
  ~VrrpSocket() override;

  // From the uv_poll callback: drain the socket and hand the batch to the JS callback.
  void OnReadable(int status);
  // The core is closing (close(), or the environment is being torn down): forget it, touch no JS.
  void Detach() { core_ = nullptr; }

 private:
  Napi::Value Fd(const Napi::CallbackInfo& info);
  Napi::Value Ifindex(const Napi::CallbackInfo& info);
  Napi::Value Family(const Napi::CallbackInfo& info);
  void JoinGroup(const Napi::CallbackInfo& info);
  Napi::Value SetReceiveBuffer(const Napi::CallbackInfo& info);
  void LeaveGroup(const Napi::CallbackInfo& info);
  Napi::Value Send(const Napi::CallbackInfo& info);
  void SetParting(const Napi::CallbackInfo& info);
  void SetTakeover(const Napi::CallbackInfo& info);
  void SetPeriodic(const Napi::CallbackInfo& info);
  void StartReceiving(const Napi::CallbackInfo& info);
  void StopReceiving(const Napi::CallbackInfo& info);
  Napi::Value ReceiveNow(const Napi::CallbackInfo& info);
  void RefLoop(const Napi::CallbackInfo& info);
  void UnrefLoop(const Napi::CallbackInfo& info);
  Napi::Value Counters(const Napi::CallbackInfo& info);
  void Close(const Napi::CallbackInfo& info);

  SocketCore& OpenCore(Napi::Env env, const char* operation);
  void ChangeMembership(Napi::Env env, bool join, const std::string& group);
  std::string GroupArgument(const Napi::CallbackInfo& info);
  void ReleaseReceiver();
  // Reads up to one wake-up's worth and calls the JS callback if there was anything (or an error).
  // `fromJs`: called from JS (receiveNow), so a throw from the callback goes to that caller.
  // Returns how many datagrams it read (delivered or counted as dropped).
  size_t ReadAndDeliver(int status, bool fromJs);
  // The index of `key`'s canonical string in names_, adding it (or starting afresh when full).
  uint32_t NameId(Napi::Env env, SocketCore& core, const AddressKey& key);

  SocketCore* core_ = nullptr;
  Napi::FunctionReference onPackets_;
  // Canonical address strings by id (SocketCore::nameIds); replaced by a new array when reset.
  Napi::Reference<Napi::Array> names_;
  // Per-datagram fields of the batch being delivered; reused, its memory written through metaData_.
  Napi::Reference<Napi::Uint32Array> meta_;
  uint32_t* metaData_ = nullptr;
  // Each delivered datagram's kernel receive time, ms on CLOCK_MONOTONIC (NaN: none); reused like meta_.
  Napi::Reference<Napi::Float64Array> times_;
  double* timesData_ = nullptr;
  // Gives the callback an async context so nextTick and promise jobs queued by it run right after.
  std::unique_ptr<Napi::AsyncContext> asyncContext_;
  // While receiving, the JS object is kept alive by a strong reference: an unreachable socket that
  // still delivers packets would otherwise be collected mid-stream.
  bool holdsStrongRef_ = false;
  // The groups joined, as given (the family's VRRP group, or keepalived's mcast_dst_ip).
  std::set<std::string> joined_;
  // Set while the JS callback runs: a receiveNow() from inside it must not reuse the batch buffers.
  bool delivering_ = false;
};

// Sends every parting advert armed (VrrpSocket setParting) on the sockets of `loop`, once each; the
// number sent. For the SIGTERM / SIGINT watcher (signal_watcher.cc): a stopping Master's priority-0
// adverts leave before any JavaScript runs, as fast as keepalived's.
size_t SendPartingAdverts(uv_loop_t* loop);

// For a PreciseTimer's expiry (precise_timer.cc): sends the takeover adverts armed for timer `timerId`
// (VrrpSocket setTakeover) on the sockets of `loop`, unless a receiving socket of the loop has a
// datagram waiting; the number sent. A Backup's first advert as Master then leaves at its
// Master_Down_Timer's expiry instead of after two wake-ups into JavaScript.
size_t SendTakeoverAdverts(uv_loop_t* loop, uint32_t timerId);
// After that timer's callback returned: adverts sent ahead whose repeat the engine did not send are
// forgotten, so a later advert with the same bytes (the next interval's) is never skipped.
void EndTakeoverWindow(uv_loop_t* loop);

}  // namespace vrrp

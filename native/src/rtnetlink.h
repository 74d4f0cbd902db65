// An rtnetlink (NETLINK_ROUTE) socket polled by libuv on the JS thread: requests written with send(),
// replies and multicast notifications read in the poll callback and handed to JS as raw netlink
// messages (src/linux/rtnetlink-codec.ts parses them). No thread, no busy loop.
//
// JS sees `new RtnlSocket({ groups?, receiveBufferBytes? }, callback)` with send/ref/unref/counters/
// close and the `fd` and `portId` getters. callback(error | null, data | null): `data` is every
// datagram of one wake-up back to back (netlink messages are self-delimiting and 4-byte aligned).
//
// Overflow: when the receive buffer fills, the kernel drops notifications and the next read fails
// with ENOBUFS. That is counted and delivered as an error (after the data read before it, so the
// order holds), and reading goes on: the socket stays open and never aborts the process; the reader
// re-reads the state it follows (src/linux/link-events-follower.ts). libuv reports the parked error as
// a poll error (UV_EBADF) and stops polling; the addon polls the still-open descriptor again.
#pragma once

#include <napi.h>

#include <memory>

namespace vrrp {

struct RtnlCore;

class RtnlSocket : public Napi::ObjectWrap<RtnlSocket> {
 public:
  static Napi::Function Define(Napi::Env env);

  explicit RtnlSocket(const Napi::CallbackInfo& info);
  ~RtnlSocket() override;

  // From the uv_poll callback: read up to one wake-up's worth and hand it to the JS callback.
  void OnReadable(int status);
  // The core is closing (close(), or environment teardown): forget it, touch no JS.
  void Detach() { core_ = nullptr; }

 private:
  Napi::Value Fd(const Napi::CallbackInfo& info);
  Napi::Value PortId(const Napi::CallbackInfo& info);
  void Send(const Napi::CallbackInfo& info);
  void RefLoop(const Napi::CallbackInfo& info);
  void UnrefLoop(const Napi::CallbackInfo& info);
  Napi::Value Counters(const Napi::CallbackInfo& info);
  void Close(const Napi::CallbackInfo& info);

  void Release();
  // Calls the JS callback; false when the callback closed the socket.
  bool Deliver(Napi::Value error, Napi::Value data);

  RtnlCore* core_ = nullptr;
  Napi::FunctionReference callback_;
  std::unique_ptr<Napi::AsyncContext> asyncContext_;
  // While open, the JS object is held strongly: notifications keep arriving for a dropped wrapper.
  bool holdsStrongRef_ = false;
};

}  // namespace vrrp

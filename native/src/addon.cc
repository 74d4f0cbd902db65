// vrrp_native: raw VRRP sockets (protocol 112, IPv4 and IPv6) and AF_PACKET address announcements.
// The typed API over this module is src/linux/raw-socket.ts; native/README.md documents both.
#include <napi.h>

#include "announce.h"
#include "vrrp_socket.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("VrrpSocket", vrrp::VrrpSocket::Define(env));
  exports.Set("sendGratuitousArp", Napi::Function::New<vrrp::SendGratuitousArp>(env, "sendGratuitousArp"));
  exports.Set("sendUnsolicitedNa", Napi::Function::New<vrrp::SendUnsolicitedNa>(env, "sendUnsolicitedNa"));
  return exports;
}

}  // namespace

NODE_API_MODULE(vrrp_native, Init)

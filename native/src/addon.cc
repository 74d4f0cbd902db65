// vrrp_native: raw VRRP sockets (protocol 112, IPv4 and IPv6), AF_PACKET address announcements and a
// timerfd-based precise timer.
// The typed API over this module is src/linux/raw-socket.ts; native/README.md documents both.
#include <napi.h>

#include "announce.h"
#include "precise_timer.h"
#include "vrrp_socket.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("VrrpSocket", vrrp::VrrpSocket::Define(env));
  exports.Set("sendGratuitousArp", Napi::Function::New<vrrp::SendGratuitousArp>(env, "sendGratuitousArp"));
  exports.Set("sendUnsolicitedNa", Napi::Function::New<vrrp::SendUnsolicitedNa>(env, "sendUnsolicitedNa"));
  exports.Set("sendAnnouncements", Napi::Function::New<vrrp::SendAnnouncements>(env, "sendAnnouncements"));
  exports.Set("announceSockets", Napi::Function::New<vrrp::AnnounceSockets>(env, "announceSockets"));
  exports.Set("PreciseTimer", vrrp::PreciseTimer::Define(env));
  return exports;
}

}  // namespace

NODE_API_MODULE(vrrp_native, Init)

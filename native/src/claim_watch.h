// Watching who claims our virtual addresses on a link (issue 16, split brain): an AF_PACKET socket
// bound to one interface whose classic BPF filter passes only ARP frames and ICMPv6 Neighbor
// Advertisements that did not leave this host, so the adverts and all other traffic cost no
// JavaScript and no copy. Of what passes, only a frame that claims a watched address reaches JS:
//   - ARP (request or reply) whose sender protocol address is a watched IPv4 address;
//   - an NA with the Override flag whose target is a watched IPv6 address.
// A claim carries the claimant's link-layer address and, when known, another address of that node:
// the last non-watched ARP sender address seen from the same MAC, or the NA's IPv6 source.
//
// probe(addresses) sends RFC 5227 probes (ARP request from 0.0.0.0) and their IPv6 twin (a DAD
// Neighbor Solicitation from ::) for the given addresses: a node holding one answers, and its answer
// is a claim. JS sees `new ClaimWatch({interface}, callback)` with setAddresses(list), probe(list),
// counters(), unref() and close(); callback(claims) gets one readiness' claims as an array.
#pragma once

#include <napi.h>

namespace vrrp {

struct ClaimCore;

class ClaimWatch : public Napi::ObjectWrap<ClaimWatch> {
 public:
  static Napi::Function Define(Napi::Env env);

  explicit ClaimWatch(const Napi::CallbackInfo& info);
  ~ClaimWatch() override;

  void OnReadable(int status);
  void Detach();

 private:
  void SetAddresses(const Napi::CallbackInfo& info);
  Napi::Value Probe(const Napi::CallbackInfo& info);
  Napi::Value Counters(const Napi::CallbackInfo& info);
  void UnrefLoop(const Napi::CallbackInfo& info);
  void Close(const Napi::CallbackInfo& info);

  ClaimCore* core_ = nullptr;
  Napi::FunctionReference callback_;
  bool holdsStrongRef_ = false;
};

}  // namespace vrrp

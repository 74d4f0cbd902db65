// Announcing virtual addresses after becoming Master, on the wire exactly as keepalived 2.2.7 does:
// gratuitous ARP requests for IPv4 VIPs and unsolicited Neighbor Advertisements for IPv6 VIPs, written
// as whole Ethernet frames on an AF_PACKET socket so that neither ARP nor ND state in the kernel (a VIP
// still tentative, a neighbour entry missing) can delay or alter them.
#pragma once

#include <napi.h>

namespace vrrp {

// sendGratuitousArp({interface, address, mac?, count?}) -> frames sent
Napi::Value SendGratuitousArp(const Napi::CallbackInfo& info);
// sendUnsolicitedNa({interface, address, mac?, sourceAddress?, router?, count?}) -> frames sent
Napi::Value SendUnsolicitedNa(const Napi::CallbackInfo& info);

}  // namespace vrrp

// keepalived's linkbeat probes (linkbeat_interfaces): an interface's link read by ioctl, the way a
// driver that sends no rtnetlink news on a carrier change can still be asked.
#pragma once

#include <napi.h>

namespace vrrp {

// linkbeatProbe(name, kind) -> 1 (link up), 0 (down) or -1 (the driver does not answer that probe).
//  'mii':     SIOCGMIIPHY, then the PHY's BMCR and BMSR (read twice: its link bit latches low);
//  'ethtool': SIOCETHTOOL ETHTOOL_GLINK;
//  'flags':   SIOCGIFFLAGS, IFF_UP and IFF_RUNNING (-1 for ENODEV: no such interface; 1 for any
//             other failure, as keepalived).
Napi::Value LinkbeatProbe(const Napi::CallbackInfo& info);

}  // namespace vrrp

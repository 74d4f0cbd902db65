#include "linkbeat.h"

#include <linux/ethtool.h>
#include <linux/mii.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "errors.h"
#include "net_util.h"

namespace vrrp {

namespace {

ifreq RequestFor(const std::string& name) {
  ifreq request{};
  std::memcpy(request.ifr_name, name.c_str(), name.size());
  return request;
}

// The MII data lies over ifreq's union (the kernel's if_mii()); copied in and out, not aliased.
mii_ioctl_data MiiData(const ifreq& request) {
  mii_ioctl_data data{};
  std::memcpy(&data, &request.ifr_ifru, sizeof data);
  return data;
}

// One MII register of the PHY, or -1 when the read fails.
int MiiRead(int fd, const std::string& name, uint16_t phy, uint16_t reg) {
  ifreq request = RequestFor(name);
  mii_ioctl_data data{};
  data.phy_id = phy;
  data.reg_num = reg;
  std::memcpy(&request.ifr_ifru, &data, sizeof data);
  if (ioctl(fd, SIOCGMIIREG, &request) < 0) return -1;
  return MiiData(request).val_out;
}

int MiiProbe(int fd, const std::string& name) {
  ifreq request = RequestFor(name);
  if (ioctl(fd, SIOCGMIIPHY, &request) < 0) return -1;
  const uint16_t phy = MiiData(request).phy_id;
  // No transceiver: BMCR unreadable, or BMSR all zero.
  int bmsr = MiiRead(fd, name, phy, MII_BMSR);
  if (bmsr < 0 || MiiRead(fd, name, phy, MII_BMCR) < 0 || bmsr == 0) return -1;
  int again = MiiRead(fd, name, phy, MII_BMSR);
  return ((bmsr & BMSR_LSTATUS) || (again > 0 && (again & BMSR_LSTATUS))) ? 1 : 0;
}

int EthtoolProbe(int fd, const std::string& name) {
  ifreq request = RequestFor(name);
  ethtool_value value{};
  value.cmd = ETHTOOL_GLINK;
  request.ifr_data = reinterpret_cast<char*>(&value);
  if (ioctl(fd, SIOCETHTOOL, &request) < 0) return -1;
  return value.data ? 1 : 0;
}

int FlagsProbe(int fd, const std::string& name) {
  ifreq request = RequestFor(name);
  if (ioctl(fd, SIOCGIFFLAGS, &request) < 0) return errno == ENODEV ? -1 : 1;
  return (request.ifr_flags & IFF_UP) && (request.ifr_flags & IFF_RUNNING) ? 1 : 0;
}

}  // namespace

Napi::Value LinkbeatProbe(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsString() || !info[1].IsString()) ThrowInvalidArg(env, "linkbeatProbe(name, kind): two strings");
  const std::string name = info[0].As<Napi::String>().Utf8Value();
  const std::string kind = info[1].As<Napi::String>().Utf8Value();
  if (name.empty() || name.size() >= IFNAMSIZ || name.find('\0') != std::string::npos) {
    ThrowInvalidArg(env, "interface name '" + name + "' is not a valid Linux interface name");
  }
  UniqueFd fd(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) ThrowErrno(env, errno, "socket", "AF_INET SOCK_DGRAM");
  int result;
  if (kind == "mii") {
    result = MiiProbe(fd.get(), name);
  } else if (kind == "ethtool") {
    result = EthtoolProbe(fd.get(), name);
  } else if (kind == "flags") {
    result = FlagsProbe(fd.get(), name);
  } else {
    ThrowInvalidArg(env, "kind must be 'mii', 'ethtool' or 'flags'");
  }
  return Napi::Number::New(env, result);
}

}  // namespace vrrp

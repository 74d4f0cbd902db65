#include "net_util.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "errors.h"

namespace vrrp {

UniqueFd::~UniqueFd() {
  if (fd_ >= 0) close(fd_);
}

Napi::Object RequireObject(Napi::Env env, const Napi::Value& value, const char* what) {
  if (!value.IsObject()) ThrowInvalidArg(env, std::string(what) + " must be an object");
  return value.As<Napi::Object>();
}

std::string RequireString(const Napi::Object& options, const char* key) {
  Napi::Value value = options.Get(key);
  if (!value.IsString()) ThrowInvalidArg(options.Env(), std::string(key) + " must be a string");
  return value.As<Napi::String>().Utf8Value();
}

std::optional<std::string> OptionalString(const Napi::Object& options, const char* key) {
  Napi::Value value = options.Get(key);
  if (value.IsUndefined()) return std::nullopt;
  if (!value.IsString()) ThrowInvalidArg(options.Env(), std::string(key) + " must be a string when given");
  return value.As<Napi::String>().Utf8Value();
}

int RequireFamily(const Napi::Object& options) {
  Napi::Value value = options.Get("family");
  if (value.IsNumber()) {
    double family = value.As<Napi::Number>().DoubleValue();
    if (family == 4) return AF_INET;
    if (family == 6) return AF_INET6;
  }
  ThrowInvalidArg(options.Env(), "family must be 4 or 6");
}

uint32_t OptionalCount(const Napi::Object& options, const char* key, uint32_t fallback, uint32_t max) {
  Napi::Value value = options.Get(key);
  if (value.IsUndefined()) return fallback;
  double number = value.IsNumber() ? value.As<Napi::Number>().DoubleValue() : -1;
  if (!(number >= 0 && number <= max) || number != static_cast<double>(static_cast<uint32_t>(number))) {
    ThrowInvalidArg(options.Env(), std::string(key) + " must be an integer from 0 to " + std::to_string(max));
  }
  return static_cast<uint32_t>(number);
}

unsigned InterfaceIndex(Napi::Env env, const std::string& name) {
  if (name.empty() || name.size() >= IFNAMSIZ || name.find('\0') != std::string::npos) {
    ThrowInvalidArg(env, "interface name '" + name + "' is not a valid Linux interface name");
  }
  unsigned index = if_nametoindex(name.c_str());
  if (index == 0) ThrowErrno(env, errno, "if_nametoindex", name);
  return index;
}

MacAddress InterfaceMac(Napi::Env env, int anySocket, const std::string& name) {
  ifreq request{};
  std::memcpy(request.ifr_name, name.c_str(), std::min(name.size(), sizeof request.ifr_name - 1));
  if (ioctl(anySocket, SIOCGIFHWADDR, &request) < 0) ThrowErrno(env, errno, "ioctl", "SIOCGIFHWADDR " + name);
  if (request.ifr_hwaddr.sa_family != ARPHRD_ETHER) {
    ThrowErrno(env, EOPNOTSUPP, "ioctl",
               "SIOCGIFHWADDR " + name + ": not an Ethernet link (type " +
                   std::to_string(request.ifr_hwaddr.sa_family) + ")");
  }
  MacAddress mac;
  std::memcpy(mac.data(), request.ifr_hwaddr.sa_data, mac.size());
  return mac;
}

in_addr ParseIpv4(Napi::Env env, const std::string& text, const char* what) {
  in_addr address{};
  if (inet_pton(AF_INET, text.c_str(), &address) != 1) {
    ThrowInvalidArg(env, std::string(what) + " '" + text + "' is not an IPv4 address");
  }
  return address;
}

in6_addr ParseIpv6(Napi::Env env, const std::string& text, const char* what) {
  in6_addr address{};
  if (inet_pton(AF_INET6, text.c_str(), &address) != 1) {
    ThrowInvalidArg(env, std::string(what) + " '" + text + "' is not an IPv6 address");
  }
  return address;
}

MacAddress ParseMac(Napi::Env env, const std::string& text, const char* what) {
  MacAddress mac{};
  unsigned parts[6];
  char trailing;
  if (std::sscanf(text.c_str(), "%2x:%2x:%2x:%2x:%2x:%2x%c", &parts[0], &parts[1], &parts[2], &parts[3],
                  &parts[4], &parts[5], &trailing) != 6) {
    ThrowInvalidArg(env, std::string(what) + " '" + text + "' is not a MAC address like 00:00:5e:00:01:33");
  }
  for (size_t i = 0; i < mac.size(); i++) mac[i] = static_cast<uint8_t>(parts[i]);
  return mac;
}

std::string FormatIpv4(const in_addr& address) {
  char text[INET_ADDRSTRLEN];
  return inet_ntop(AF_INET, &address, text, sizeof text) ? text : "";
}

std::string FormatIpv6(const in6_addr& address) {
  char text[INET6_ADDRSTRLEN];
  return inet_ntop(AF_INET6, &address, text, sizeof text) ? text : "";
}

void SetIntOption(Napi::Env env, int fd, int level, int name, int value, const char* optionName) {
  if (setsockopt(fd, level, name, &value, sizeof value) < 0) ThrowErrno(env, errno, "setsockopt", optionName);
}

}  // namespace vrrp

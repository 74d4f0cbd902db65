// Small helpers shared by the VRRP socket and the ARP/NA sender: argument reading, address text
// conversion, interface lookups and a file descriptor that closes itself when an error unwinds.
#pragma once

#include <napi.h>
#include <netinet/in.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>

namespace vrrp {

using MacAddress = std::array<uint8_t, 6>;

// Closes the descriptor on scope exit unless released; keeps error paths in constructors leak-free.
class UniqueFd {
 public:
  explicit UniqueFd(int fd = -1) : fd_(fd) {}
  ~UniqueFd();
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  int get() const { return fd_; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_;
};

// Reading option objects coming from JS. Each throws a TypeError naming the offending property.
Napi::Object RequireObject(Napi::Env env, const Napi::Value& value, const char* what);
std::string RequireString(const Napi::Object& options, const char* key);
std::optional<std::string> OptionalString(const Napi::Object& options, const char* key);
// `family` must be the number 4 or 6; returns AF_INET or AF_INET6.
int RequireFamily(const Napi::Object& options);
// A non-negative integer no larger than `max`, or `fallback` when the property is absent.
uint32_t OptionalCount(const Napi::Object& options, const char* key, uint32_t fallback, uint32_t max);

// Interface name to index; ENODEV (as an errno error) when there is no such interface.
unsigned InterfaceIndex(Napi::Env env, const std::string& name);
// The interface's Ethernet address (SIOCGIFHWADDR); EOPNOTSUPP when the link is not Ethernet.
MacAddress InterfaceMac(Napi::Env env, int anySocket, const std::string& name);

// Text to binary address of the given family; TypeError (naming `what`) when it does not parse.
in_addr ParseIpv4(Napi::Env env, const std::string& text, const char* what);
in6_addr ParseIpv6(Napi::Env env, const std::string& text, const char* what);
MacAddress ParseMac(Napi::Env env, const std::string& text, const char* what);

// Binary address to canonical text (inet_ntop: dotted quad, RFC 5952 for IPv6).
std::string FormatIpv4(const in_addr& address);
std::string FormatIpv6(const in6_addr& address);

// setsockopt for an int-valued option, throwing an errno error that names the option.
void SetIntOption(Napi::Env env, int fd, int level, int name, int value, const char* optionName);

}  // namespace vrrp

// JS errors for failed system calls, shaped like Node's own: `code` ('EPERM'), `errno` (negative, as
// libuv reports it), `syscall` ('setsockopt') and a message "EPERM: operation not permitted, setsockopt
// SO_BINDTODEVICE". Callers can then switch on `err.code` exactly as they do for fs or net errors.
#pragma once

#include <napi.h>

#include <string>

namespace vrrp {

// Builds (does not throw) the error for `errnum` (a positive errno value).
Napi::Error ErrnoError(Napi::Env env, int errnum, const char* syscall, const std::string& detail = "");

// Throws ErrnoError as a C++ exception; node-addon-api turns it into a JS exception at the boundary.
[[noreturn]] void ThrowErrno(Napi::Env env, int errnum, const char* syscall, const std::string& detail = "");

// Argument mistakes: TypeError with Node's code for them.
[[noreturn]] void ThrowInvalidArg(Napi::Env env, const std::string& message);

}  // namespace vrrp

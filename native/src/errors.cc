#include "errors.h"

#include <uv.h>

namespace vrrp {

Napi::Error ErrnoError(Napi::Env env, int errnum, const char* syscall, const std::string& detail) {
  // On Unix a libuv error is the negated errno, so libuv's tables give the same names Node uses.
  // The _r variants write into our buffers: the plain ones leak for unknown codes.
  char code[64];
  char description[256];
  uv_err_name_r(-errnum, code, sizeof code);
  uv_strerror_r(-errnum, description, sizeof description);

  std::string message = std::string(code) + ": " + description + ", " + syscall;
  if (!detail.empty()) message += " " + detail;

  Napi::Error error = Napi::Error::New(env, message);
  error.Set("code", Napi::String::New(env, code));
  error.Set("errno", Napi::Number::New(env, -errnum));
  error.Set("syscall", Napi::String::New(env, syscall));
  return error;
}

void ThrowErrno(Napi::Env env, int errnum, const char* syscall, const std::string& detail) {
  throw ErrnoError(env, errnum, syscall, detail);
}

void ThrowInvalidArg(Napi::Env env, const std::string& message) {
  Napi::TypeError error = Napi::TypeError::New(env, message);
  error.Set("code", Napi::String::New(env, "ERR_INVALID_ARG_VALUE"));
  throw error;
}

}  // namespace vrrp

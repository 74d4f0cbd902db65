#include "netns.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "errors.h"

namespace vrrp {

namespace {

std::string StringArg(const Napi::CallbackInfo& info, size_t index, const char* what) {
  if (!info[index].IsString()) ThrowInvalidArg(info.Env(), std::string(what) + " must be a string");
  std::string value = info[index].As<Napi::String>().Utf8Value();
  if (value.empty() || value.find('\0') != std::string::npos)
    ThrowInvalidArg(info.Env(), std::string(what) + " must be a non-empty string without NUL");
  return value;
}

std::vector<std::string> StringsArg(const Napi::CallbackInfo& info, size_t index, const char* what) {
  if (!info[index].IsArray()) ThrowInvalidArg(info.Env(), std::string(what) + " must be an array of strings");
  Napi::Array array = info[index].As<Napi::Array>();
  std::vector<std::string> values;
  for (uint32_t i = 0; i < array.Length(); i++) {
    Napi::Value item = array.Get(i);
    if (!item.IsString()) ThrowInvalidArg(info.Env(), std::string(what) + " must be an array of strings");
    values.push_back(item.As<Napi::String>().Utf8Value());
  }
  return values;
}

std::vector<char*> Pointers(std::vector<std::string>& values) {
  std::vector<char*> pointers;
  for (auto& value : values) pointers.push_back(value.data());
  pointers.push_back(nullptr);
  return pointers;
}

}  // namespace

Napi::Value EnterNetNamespace(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = StringArg(info, 0, "path");
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) ThrowErrno(env, errno, "open", path);
  if (setns(fd, CLONE_NEWNET) != 0) {
    int saved = errno;
    close(fd);
    ThrowErrno(env, saved, "setns", path);
  }
  close(fd);
  return env.Undefined();
}

Napi::Value PrivateRunMount(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string source = StringArg(info, 0, "source");
  std::string target = StringArg(info, 1, "target");
  if (unshare(CLONE_NEWNS) != 0) ThrowErrno(env, errno, "unshare", "CLONE_NEWNS");
  if (mount("", "/", nullptr, MS_REC | MS_SLAVE, nullptr) != 0) ThrowErrno(env, errno, "mount", "/ MS_SLAVE");
  if (mount(source.c_str(), target.c_str(), nullptr, MS_BIND, nullptr) != 0)
    ThrowErrno(env, errno, "mount", source + " on " + target);
  return env.Undefined();
}

Napi::Value Unmount(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string target = StringArg(info, 0, "target");
  if (umount(target.c_str()) != 0) ThrowErrno(env, errno, "umount", target);
  return env.Undefined();
}

Napi::Value ExecProcess(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string file = StringArg(info, 0, "file");
  std::vector<std::string> argv = StringsArg(info, 1, "argv");
  std::vector<std::string> environment = StringsArg(info, 2, "env");
  std::vector<char*> argvPointers = Pointers(argv);
  std::vector<char*> envPointers = Pointers(environment);
  // Node marks its standard descriptors close-on-exec: without this the program would start again
  // with /dev/null for its output. No other descriptor passes.
  for (int fd = 0; fd <= 2; fd++) {
    int flags = fcntl(fd, F_GETFD);
    if (flags >= 0 && (flags & FD_CLOEXEC) != 0) fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC);
  }
  // The new program starts with no signal blocked, as from a shell.
  sigset_t none;
  sigemptyset(&none);
  pthread_sigmask(SIG_SETMASK, &none, nullptr);
  execve(file.c_str(), argvPointers.data(), envPointers.data());
  ThrowErrno(env, errno, "execve", file);
}

}  // namespace vrrp

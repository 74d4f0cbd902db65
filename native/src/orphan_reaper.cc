#include "orphan_reaper.h"

#include <errno.h>
#include <node_api.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <uv.h>

#include <unordered_set>

#include "errors.h"
#include "spawn.h"

namespace vrrp {

namespace {

// Every pid a uv_process_t handle of `loop` was spawned with. libuv adds the handle inside uv_spawn,
// on this thread, before the child can be waited for, and reaps that child only with waitpid(pid),
// so this set is exactly the children whose exit status is libuv's to take.
std::unordered_set<int> LibuvChildren(uv_loop_t* loop) {
  std::unordered_set<int> pids;
  uv_walk(
      loop,
      [](uv_handle_t* handle, void* arg) {
        if (uv_handle_get_type(handle) != UV_PROCESS) return;
        static_cast<std::unordered_set<int>*>(arg)->insert(
            uv_process_get_pid(reinterpret_cast<uv_process_t*>(handle)));
      },
      &pids);
  return pids;
}

}  // namespace

Napi::Value ChildSubreaper(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() > 0) {
    if (!info[0].IsBoolean()) ThrowInvalidArg(env, "childSubreaper takes a boolean");
    unsigned long on = info[0].As<Napi::Boolean>().Value() ? 1 : 0;
    if (prctl(PR_SET_CHILD_SUBREAPER, on, 0, 0, 0) != 0) ThrowErrno(env, errno, "prctl", "PR_SET_CHILD_SUBREAPER");
  }
  int current = 0;
  if (prctl(PR_GET_CHILD_SUBREAPER, &current, 0, 0, 0) != 0) ThrowErrno(env, errno, "prctl", "PR_GET_CHILD_SUBREAPER");
  return Napi::Boolean::New(env, current != 0);
}

Napi::Value ReapOrphans(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) {
    Napi::Error::New(env, "no libuv loop for this environment").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const std::unordered_set<int> owned = LibuvChildren(loop);
  Napi::Array reaped = Napi::Array::New(env);
  for (;;) {
    // Peek (WNOWAIT) at one exited child without consuming its status.
    siginfo_t peek{};
    if (waitid(P_ALL, 0, &peek, WEXITED | WNOHANG | WNOWAIT) != 0) {
      if (errno == EINTR) continue;
      if (errno == ECHILD) break;  // no children at all
      ThrowErrno(env, errno, "waitid", "P_ALL WNOWAIT");
    }
    const pid_t pid = peek.si_pid;
    if (pid == 0) break;                         // children, none exited
    if (owned.count(pid) != 0) break;            // libuv's: it reaps it, we look again later
    if (IsSpawnedChild(pid) != SpawnedChild::kNo) break;  // spawnCommand's pidfd watch takes it
    int status = 0;
    pid_t got;
    do got = waitpid(pid, &status, WNOHANG);
    while (got < 0 && errno == EINTR);
    if (got != pid) break;  // cannot happen while only this thread reaps non-libuv children
    Napi::Object entry = Napi::Object::New(env);
    entry.Set("pid", Napi::Number::New(env, pid));
    entry.Set("code", WIFEXITED(status) ? Napi::Number::New(env, WEXITSTATUS(status)) : env.Null());
    entry.Set("signal", WIFSIGNALED(status) ? Napi::Number::New(env, WTERMSIG(status)) : env.Null());
    reaped.Set(reaped.Length(), entry);
  }
  return reaped;
}

void RegisterOrphanReaper(Napi::Env env, Napi::Object exports) {
  exports.Set("childSubreaper", Napi::Function::New<ChildSubreaper>(env, "childSubreaper"));
  exports.Set("reapOrphans", Napi::Function::New<ReapOrphans>(env, "reapOrphans"));
}

}  // namespace vrrp

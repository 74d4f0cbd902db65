#include "spawn.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/prctl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <atomic>
#include <mutex>
#include <unordered_set>
#include <optional>
#include <string>
#include <vector>

#include "errors.h"
#include "net_util.h"
#include "polled_fd.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

extern char** environ;

namespace vrrp {
namespace {

constexpr size_t kChildStackBytes = 64 * 1024;

// The children spawnCommand started and has not reaped. A spawn counts itself in flight from before
// the clone until its pid is in the set, so a reaper that sees no spawn in flight sees every child;
// the mutex is held only for set operations, never across the clone.
std::mutex spawnedMutex;
std::unordered_set<pid_t> spawnedPids;
std::atomic<int> spawnsInFlight{0};

void ForgetSpawned(pid_t pid) {
  std::lock_guard<std::mutex> lock(spawnedMutex);
  spawnedPids.erase(pid);
}

// What the child needs; written by the child only on failure (the parent reads it after the vfork).
struct ChildPlan {
  char* const* argv = nullptr;
  int devNull = -1;
  bool setGid = false;
  bool setUid = false;
  gid_t gid = 0;
  uid_t uid = 0;
  // The spawning process, for the child's check that it is still there once PR_SET_PDEATHSIG is set.
  pid_t parent = 0;
  int error = 0;
  const char* failedStep = nullptr;
};

// Runs in the child, on its own stack, sharing the parent's memory until execve: system calls only.
int ChildMain(void* argument) {
  auto* plan = static_cast<ChildPlan*>(argument);
  struct sigaction defaults {};
  defaults.sa_handler = SIG_DFL;
  for (int signal = 1; signal < NSIG; signal++) {
    if (signal != SIGKILL && signal != SIGSTOP) sigaction(signal, &defaults, nullptr);  // glibc's own refuse: fine
  }
  sigset_t none;
  sigemptyset(&none);
  auto fail = [plan](const char* step) {
    plan->error = errno;
    plan->failedStep = step;
    _exit(127);
  };
  if (setpgid(0, 0) < 0) fail("setpgid");
  for (int fd = 0; fd <= 2; fd++) {
    if (dup2(plan->devNull, fd) < 0) fail("dup2");
  }
  if (plan->setGid || plan->setUid) syscall(SYS_setgroups, 0, nullptr);  // as libuv: best effort
  if (plan->setGid && syscall(SYS_setgid, plan->gid) < 0) fail("setgid");
  if (plan->setUid && syscall(SYS_setuid, plan->uid) < 0) fail("setuid");
  // The daemon killed (SIGKILL included) takes its commands with it. After setuid / setgid, which
  // clear the setting. The kernel sends it when the thread that cloned us ends, a libuv threadpool
  // thread: those live as long as the process. A parent already gone before this line is caught by
  // the getppid check (we were re-parented).
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) fail("prctl");
  if (getppid() != plan->parent) {
    errno = ESRCH;
    fail("getppid");
  }
  // Unblocked only now: no handler of the parent's can run on this shared memory before.
  sigprocmask(SIG_SETMASK, &none, nullptr);
  execvp(plan->argv[0], plan->argv);
  fail("execvp");
  return 127;
}

// The child's exit, polled on the JS thread; the core frees itself once the callback has run.
struct ExitWatch final : PolledFd {
  napi_env env = nullptr;
  pid_t pid = 0;
  Napi::FunctionReference callback;
  std::unique_ptr<Napi::AsyncContext> context;

  void Readable(int) override {
    siginfo_t info{};
    if (waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(fd), &info, WEXITED | WNOHANG) < 0) {
      if (errno == EINTR || errno == EAGAIN) return;
      info.si_pid = pid;  // ECHILD: reaped elsewhere; report it as ended, status unknown
      info.si_code = 0;
    }
    if (info.si_pid == 0) return;  // not yet
    ForgetSpawned(pid);
    Napi::Env jsEnv(env);
    Napi::HandleScope scope(jsEnv);
    Napi::Value code = info.si_code == CLD_EXITED ? Napi::Number::New(jsEnv, info.si_status) : jsEnv.Null();
    Napi::Value signal = info.si_code == CLD_KILLED || info.si_code == CLD_DUMPED ? Napi::Number::New(jsEnv, info.si_status) : jsEnv.Null();
    Napi::FunctionReference call = std::move(callback);
    auto callContext = std::move(context);
    BeginClose(this);  // freed once libuv lets go of the handle, after this call returns
    try {
      call.MakeCallback(jsEnv.Global(), {code, signal}, *callContext);
    } catch (const Napi::Error& thrown) {
      napi_fatal_exception(jsEnv, thrown.Value());
    }
  }
  void ForgetOwner() override {}
};

std::optional<uint32_t> OptionalId(const Napi::Object& options, const char* key) {
  Napi::Value value = options.Get(key);
  if (value.IsUndefined()) return std::nullopt;
  double number = value.IsNumber() ? value.As<Napi::Number>().DoubleValue() : -1;
  if (!(number >= 0 && number < 4294967295.0) || number != static_cast<double>(static_cast<uint32_t>(number))) {
    ThrowInvalidArg(options.Env(), std::string(key) + " must be an integer from 0 to 2^32 - 2");
  }
  return static_cast<uint32_t>(number);
}

// Clones and execs on a libuv threadpool thread: with CLONE_VFORK only that thread waits for the
// child's execve, never the JS thread. The exit watch is set up back on the JS thread (OnOK).
class SpawnWork final : public Napi::AsyncWorker {
 public:
  SpawnWork(Napi::Function onStarted, Napi::Function onExit, std::vector<std::string> args, ChildPlan plan)
      : Napi::AsyncWorker(onStarted, "spawnCommand"), args_(std::move(args)), plan_(plan) {
    onExit_ = Napi::Persistent(onExit);
  }

  void Execute() override {
    std::vector<char*> argv;
    for (std::string& arg : args_) argv.push_back(arg.data());
    argv.push_back(nullptr);
    plan_.argv = argv.data();
    UniqueFd devNull(open("/dev/null", O_RDWR | O_CLOEXEC));
    if (devNull.get() < 0) return Fail(errno, "open");
    plan_.devNull = devNull.get();
    plan_.parent = getpid();
    void* stack = mmap(nullptr, kChildStackBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stack == MAP_FAILED) return Fail(errno, "mmap");
    // Every signal blocked across the clone (this thread only): none may run a handler in the child.
    sigset_t all, previous;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &previous);
    spawnsInFlight.fetch_add(1);
    pid_ = clone(ChildMain, static_cast<char*>(stack) + kChildStackBytes, CLONE_VM | CLONE_VFORK | SIGCHLD, &plan_);
    if (pid_ > 0) {
      std::lock_guard<std::mutex> lock(spawnedMutex);
      spawnedPids.insert(pid_);
    }
    spawnsInFlight.fetch_sub(1);
    int cloneError = errno;
    pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    munmap(stack, kChildStackBytes);
    if (pid_ < 0) return Fail(cloneError, "clone");
    if (plan_.error != 0) {
      Reap();  // the child has exited (CLONE_VFORK returned): reap it, report why
      return Fail(plan_.error, plan_.failedStep);
    }
    pidfd_ = static_cast<int>(syscall(SYS_pidfd_open, pid_, 0));
    if (pidfd_ < 0) {
      int failure = errno;
      kill(-pid_, SIGKILL);
      Reap();
      return Fail(failure, "pidfd_open");
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    if (errno_ != 0) {
      Callback().Call({ErrnoError(env, errno_, step_, args_[0]).Value(), env.Null()});
      return;
    }
    auto* watch = new ExitWatch();
    AttachPolledFd(env, watch, pidfd_, false);  // from here the watch is freed only through BeginClose
    watch->env = env;
    watch->pid = pid_;
    watch->callback = std::move(onExit_);
    watch->context = std::make_unique<Napi::AsyncContext>(env, "spawnCommand");
    int status = StartPolling(*watch);
    if (status < 0) {
      BeginClose(watch);
      kill(-pid_, SIGKILL);
      Callback().Call({ErrnoError(env, -status, "uv_poll_start", "pidfd").Value(), env.Null()});
      return;
    }
    Callback().Call({env.Null(), Napi::Number::New(env, pid_)});
  }

 private:
  void Fail(int errnum, const char* step) {
    errno_ = errnum;
    step_ = step;
  }
  void Reap() {
    int status;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    ForgetSpawned(pid_);
  }

  std::vector<std::string> args_;
  ChildPlan plan_;
  Napi::FunctionReference onExit_;
  pid_t pid_ = -1;
  int pidfd_ = -1;
  int errno_ = 0;
  const char* step_ = "";
};

}  // namespace

SpawnedChild IsSpawnedChild(pid_t pid) {
  if (spawnsInFlight.load() != 0) return SpawnedChild::kBusy;  // its pid may not be in the set yet
  std::lock_guard<std::mutex> lock(spawnedMutex);
  return spawnedPids.count(pid) != 0 ? SpawnedChild::kYes : SpawnedChild::kNo;
}

// spawnCommand({ argv, uid?, gid? }, onStarted(error | null, pid | null), onExit(code | null, signal | null))
void SpawnCommand(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object options = RequireObject(env, info[0], "options");
  if (!info[1].IsFunction() || !info[2].IsFunction()) ThrowInvalidArg(env, "onStarted and onExit must be functions");
  Napi::Value argvValue = options.Get("argv");
  if (!argvValue.IsArray() || argvValue.As<Napi::Array>().Length() == 0) ThrowInvalidArg(env, "argv must be a non-empty array of strings");
  Napi::Array argvArray = argvValue.As<Napi::Array>();
  std::vector<std::string> args;
  for (uint32_t i = 0; i < argvArray.Length(); i++) {
    Napi::Value item = argvArray.Get(i);
    if (!item.IsString()) ThrowInvalidArg(env, "argv[" + std::to_string(i) + "] must be a string");
    args.push_back(item.As<Napi::String>().Utf8Value());
    if (args.back().find('\0') != std::string::npos) ThrowInvalidArg(env, "argv[" + std::to_string(i) + "] contains a NUL");
  }
  ChildPlan plan;
  if (auto gid = OptionalId(options, "gid")) {
    plan.setGid = true;
    plan.gid = *gid;
  }
  if (auto uid = OptionalId(options, "uid")) {
    plan.setUid = true;
    plan.uid = *uid;
  }
  auto* work = new SpawnWork(info[1].As<Napi::Function>(), info[2].As<Napi::Function>(), std::move(args), plan);
  work->Queue();  // deletes itself after OnOK
}

}  // namespace vrrp

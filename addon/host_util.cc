// Small host-side calls that Node lacks and the lifecycle commands need: flock for the state
// directory, mkfifo for exec.fifo, a waitpid that does not block the event loop (so `run` can
// forward signals while it waits), and open_tree for bind sources opened before the clone. None of this runs in the container's child.
#include <errno.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/ioctl.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <string>
#include "registry.h"

#ifndef __NR_pidfd_send_signal
#define __NR_pidfd_send_signal 424
#endif
#ifndef __NR_pidfd_open
#define __NR_pidfd_open 434
#endif

namespace {

// flock(fd, exclusive, wait) -> 0, or the errno (EWOULDBLOCK when !wait and held elsewhere).
Napi::Value Flock(const Napi::CallbackInfo& info) {
  int fd = info[0].As<Napi::Number>().Int32Value();
  int op = (info[1].ToBoolean() ? LOCK_EX : LOCK_SH) | (info[2].ToBoolean() ? 0 : LOCK_NB);
  int rc;
  do rc = flock(fd, op);
  while (rc < 0 && errno == EINTR);
  return Napi::Number::New(info.Env(), rc < 0 ? errno : 0);
}

// funlock(fd) -> 0 or errno. Closing is not enough: the init holds a copy of the fd until its
// execve, and flock locks belong to the open file description that the copies share.
Napi::Value Funlock(const Napi::CallbackInfo& info) {
  int fd = info[0].As<Napi::Number>().Int32Value();
  return Napi::Number::New(info.Env(), flock(fd, LOCK_UN) < 0 ? errno : 0);
}

// mkfifo(path, mode) -> 0 or errno.
Napi::Value Mkfifo(const Napi::CallbackInfo& info) {
  std::string path = info[0].As<Napi::String>().Utf8Value();
  int mode = info[1].As<Napi::Number>().Int32Value();
  return Napi::Number::New(info.Env(), mkfifo(path.c_str(), mode) < 0 ? errno : 0);
}

// Waits for a child on a libuv pool thread; resolves { code } or { signal }.
class WaitWorker : public Napi::AsyncWorker {
 public:
  WaitWorker(Napi::Env env, pid_t pid) : Napi::AsyncWorker(env), pid_(pid), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }
  void Execute() override {
    int rc;
    do rc = waitpid(pid_, &status_, __WALL);
    while (rc < 0 && errno == EINTR);
    err_ = rc < 0 ? errno : 0;
  }
  void OnOK() override {
    Napi::Env env = Env();
    Napi::Object r = Napi::Object::New(env);
    if (err_) r.Set("errno", err_);
    else if (WIFSIGNALED(status_)) r.Set("signal", WTERMSIG(status_));
    else r.Set("code", WEXITSTATUS(status_));
    deferred_.Resolve(r);
  }

 private:
  pid_t pid_;
  int status_ = 0;
  int err_ = 0;
  Napi::Promise::Deferred deferred_;
};

Napi::Value WaitPidAsync(const Napi::CallbackInfo& info) {
  auto* w = new WaitWorker(info.Env(), info[0].As<Napi::Number>().Int32Value());
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

// `run` waits for its init even when spawning went through an intermediate process.
Napi::Value SetChildSubreaper(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0 ? errno : 0);
}

// setWinsize(fd, rows, cols) -> 0 or errno: TIOCSWINSZ on a pty master (the relay follows the
// size of ocirt's own terminal; the kernel sends SIGWINCH to the pty's foreground group).
Napi::Value SetWinsize(const Napi::CallbackInfo& info) {
  int fd = info[0].As<Napi::Number>().Int32Value();
  struct winsize ws = {};
  ws.ws_row = static_cast<unsigned short>(info[1].As<Napi::Number>().Uint32Value());
  ws.ws_col = static_cast<unsigned short>(info[2].As<Napi::Number>().Uint32Value());
  return Napi::Number::New(info.Env(), ioctl(fd, TIOCSWINSZ, &ws) < 0 ? errno : 0);
}

// openTree(path, recursive) -> an O_CLOEXEC fd of a detached copy of the mount at path
// (open_tree OPEN_TREE_CLONE), or -errno. Made by ocirt with its own rights, before the clone,
// for a bind source that the container's root, in its user namespace, could not reach.
Napi::Value OpenTree(const Napi::CallbackInfo& info) {
  std::string path = info[0].As<Napi::String>().Utf8Value();
  unsigned flags = 1 /* OPEN_TREE_CLONE */ | O_CLOEXEC | (info[1].ToBoolean() ? 0x8000 /* AT_RECURSIVE */ : 0);
  long fd = syscall(SYS_open_tree, AT_FDCWD, path.c_str(), flags);
  return Napi::Number::New(info.Env(), fd < 0 ? -errno : fd);
}

ocirt::Export e11("openTree", OpenTree);

// pidfdOpen(pid) -> an fd (close-on-exec), or -errno. delete holds the init by its pidfd, so a
// signal can never reach a process that took over a recycled pid.
Napi::Value PidfdOpen(const Napi::CallbackInfo& info) {
  long r = syscall(__NR_pidfd_open, info[0].As<Napi::Number>().Int32Value(), 0);
  return Napi::Number::New(info.Env(), r < 0 ? -errno : r);
}

// pidfdSendSignal(fd, sig) -> 0 or errno.
Napi::Value PidfdSendSignal(const Napi::CallbackInfo& info) {
  long r = syscall(__NR_pidfd_send_signal, info[0].As<Napi::Number>().Int32Value(), info[1].As<Napi::Number>().Int32Value(), nullptr, 0);
  return Napi::Number::New(info.Env(), r < 0 ? errno : 0);
}

// pidfdWait(fd, ms) -> whether the process has exited (a pidfd polls readable then), waiting up
// to ms; works for a process that is not our child.
Napi::Value PidfdWait(const Napi::CallbackInfo& info) {
  struct pollfd p = {info[0].As<Napi::Number>().Int32Value(), POLLIN, 0};
  int ms = info[1].As<Napi::Number>().Int32Value();
  int rc;
  do rc = poll(&p, 1, ms);
  while (rc < 0 && errno == EINTR);
  return Napi::Boolean::New(info.Env(), rc > 0);
}

ocirt::Export e8("pidfdOpen", PidfdOpen);
ocirt::Export e9("pidfdSendSignal", PidfdSendSignal);
ocirt::Export e10("pidfdWait", PidfdWait);
ocirt::Export e7("setWinsize", SetWinsize);
ocirt::Export e4("setChildSubreaper", SetChildSubreaper);
ocirt::Export e1("flock", Flock);
ocirt::Export e5("funlock", Funlock);
ocirt::Export e2("mkfifo", Mkfifo);
ocirt::Export e3("waitPidAsync", WaitPidAsync);

}  // namespace

// nsExec({ pid, path, args, env, stdin, timeoutMs, cwd }) -> { code?, signal?, timedOut?, output }
//
// Runs one program inside the namespaces of process `pid` (a createContainer hook, while the
// init waits before its pivot): the binary is opened here, in the runtime's mount namespace, then
// a forked child joins /proc/<pid>/ns/{user,ipc,uts,net,pid,cgroup,time_for_children,mnt} (those
// that differ from ours; user first, mnt last), forks once more so that the pid namespace applies,
// and execveat's the opened fd with args/env and `stdin` on fd 0, in `cwd` as resolved in the
// container's mount namespace (createContainer hooks run in <bundle>/rootfs, as runc runs them;
// joining a mount namespace leaves the cwd at its root, which before the pivot is the host's /).
// stdout and stderr come back in `output` (first 64 KiB). A timeout kills it. Like spawn, all
// allocation happens before fork.
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "child_internal.h"
#include "errors.h"
#include "registry.h"

namespace ocirt {
namespace {

struct NsFd {
  int fd;
  int type;
};

long NowMs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

[[noreturn]] void ExecChild(const std::vector<NsFd>& ns, bool pidns, int in_r, int in_w, int out_r, int out_w, int exec_fd, const char* cwd, char* const* argv,
                            char* const* envp) {
  // The parent's ends: the hook must see EOF on stdin once the parent is done writing.
  sys::Close(in_w);
  sys::Close(out_r);
  sys::ResetSignals();
  sys::Prctl(PR_SET_PDEATHSIG, SIGKILL);
  for (const NsFd& n : ns) {
    long r = sys::Setns(n.fd, n.type);
    if (r < 0) {
      static const char msg[] = "ocirt: setns into the container failed\n";
      WriteAll(out_w, msg, sizeof(msg) - 1);
      sys::ExitGroup(126);
    }
  }
  if (cwd[0]) {
    long r = sys::Raw(__NR_chdir, sys::P(cwd));
    if (r < 0) {
      char msg[4200];
      StrBuf b(msg, sizeof(msg));
      b.Add("ocirt: chdir to ").Add(cwd).Add(": ").Add(ErrnoText(static_cast<int>(-r))).Add("\n");
      WriteAll(out_w, msg, b.n);
      sys::ExitGroup(126);
    }
  }
  if (pidns) {
    long pid = sys::Raw(__NR_clone, SIGCHLD, 0, 0, 0, 0);
    if (pid < 0) sys::ExitGroup(126);
    if (pid > 0) {
      sys::CloseRange(0, ~0U, 0);  // hold no pipe end: EOFs belong to the hook
      int st = 0;
      sys::Wait4(static_cast<int>(pid), &st, 0);
      if (WIFSIGNALED(st)) {
        // The hook's end as it was: a signal stays a signal ("signal: killed", as runc reports
        // it), not exit status 128+N. Not dumpable, so a SIGSEGV here leaves no core of this one.
        sys::Prctl(PR_SET_DUMPABLE, 0);
        sys::Raw(__NR_kill, sys::Raw(__NR_getpid), WTERMSIG(st));
        sys::ExitGroup(128 + WTERMSIG(st));
      }
      sys::ExitGroup(WEXITSTATUS(st));
    }
    sys::Prctl(PR_SET_PDEATHSIG, SIGKILL);
  }
  sys::Dup3(in_r, 0, 0);
  sys::Dup3(out_w, 1, 0);
  sys::Dup3(out_w, 2, 0);
  if (exec_fd != 3) sys::Dup3(exec_fd, 3, 0);
  else sys::Fcntl(3, F_SETFD, 0);
  sys::CloseRange(4, ~0U, 0);
  // fd 3 stays open across exec: a script's interpreter reads it as /dev/fd/3.
  long e = sys::Execveat(3, "", argv, envp, AT_EMPTY_PATH);
  char msg[128];
  StrBuf b(msg, sizeof(msg));
  b.Add("ocirt: exec: ").Add(ErrnoText(static_cast<int>(-e))).Add("\n");
  WriteAll(2, msg, b.n);
  sys::ExitGroup(-e == ENOENT ? 127 : 126);
}

// Kills a hook past its timeout. In a pid namespace the hook is the child of `child`, and dies
// first: `child` then reaps it and ends. Killed the other way round, the hook would be orphaned
// to the nearest subreaper, `ocirt run` itself, which is waiting for the container's init, which
// as the init of the hook's pid namespace cannot exit before the hook is reaped.
void KillHook(pid_t child, bool pidns) {
  bool killed = false;
  std::string p = "/proc/" + std::to_string(child) + "/task/" + std::to_string(child) + "/children";
  int fd = pidns ? open(p.c_str(), O_RDONLY | O_CLOEXEC) : -1;
  if (fd >= 0) {
    char buf[64];
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    buf[n > 0 ? n : 0] = 0;
    for (char* s = buf; *s;) {
      char* end;
      long v = strtol(s, &end, 10);
      if (end == s) break;
      if (v > 0) killed = kill(static_cast<pid_t>(v), SIGKILL) == 0 || killed;
      s = end;
    }
  }
  if (!killed) kill(child, SIGKILL);  // no pid namespace, or not forked yet
}

Napi::Value NsExec(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = info[0].As<Napi::Object>();
  int pid = o.Get("pid").As<Napi::Number>().Int32Value();
  std::string path = o.Get("path").As<Napi::String>().Utf8Value();
  std::vector<std::string> args, envs;
  Napi::Array a = o.Get("args").As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); i++) args.push_back(a.Get(i).ToString().Utf8Value());
  if (o.Has("env") && o.Get("env").IsArray()) {
    Napi::Array e = o.Get("env").As<Napi::Array>();
    for (uint32_t i = 0; i < e.Length(); i++) envs.push_back(e.Get(i).ToString().Utf8Value());
  }
  std::string input = o.Has("stdin") && o.Get("stdin").IsString() ? o.Get("stdin").As<Napi::String>().Utf8Value() : "";
  std::string cwd = o.Has("cwd") && o.Get("cwd").IsString() ? o.Get("cwd").As<Napi::String>().Utf8Value() : "";
  long timeout_ms = o.Has("timeoutMs") && o.Get("timeoutMs").IsNumber() ? o.Get("timeoutMs").As<Napi::Number>().Int64Value() : 0;
  if (args.empty()) args.push_back(path);
  std::vector<char*> argv, envp;
  for (auto& s : args) argv.push_back(const_cast<char*>(s.c_str()));
  argv.push_back(nullptr);
  for (auto& s : envs) envp.push_back(const_cast<char*>(s.c_str()));
  envp.push_back(nullptr);

  auto fail = [&](const std::string& what, int err) { return ThrowErrno(env, what, err); };

  // The namespaces to join, user first and mnt last; those we are in already are skipped
  // (joining one's own user namespace is EINVAL).
  static const struct {
    const char* theirs;
    const char* ours;
    int type;
  } kinds[] = {
      {"user", "user", CLONE_NEWUSER}, {"ipc", "ipc", CLONE_NEWIPC},       {"uts", "uts", CLONE_NEWUTS},
      {"net", "net", CLONE_NEWNET},    {"pid", "pid", CLONE_NEWPID},       {"cgroup", "cgroup", CLONE_NEWCGROUP},
      {"time_for_children", "time", 0x80 /* CLONE_NEWTIME */},         {"mnt", "mnt", CLONE_NEWNS},
  };
  std::vector<NsFd> ns;
  bool pidns = false;
  auto close_all = [&]() {
    for (auto& n : ns) close(n.fd);
  };
  for (const auto& k : kinds) {
    std::string p = "/proc/" + std::to_string(pid) + "/ns/" + k.theirs;
    int fd = open(p.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT && strcmp(k.theirs, "time_for_children") == 0) continue;  // no time namespaces here
      int e = errno;
      close_all();
      return fail("open " + p, e);
    }
    struct stat a_st, b_st;
    std::string q = std::string("/proc/self/ns/") + k.ours;
    if (fstat(fd, &a_st) == 0 && stat(q.c_str(), &b_st) == 0 && a_st.st_ino == b_st.st_ino && a_st.st_dev == b_st.st_dev) {
      close(fd);
      continue;
    }
    if (k.type == CLONE_NEWPID) pidns = true;
    ns.push_back({fd, k.type});
  }
  // The binary, resolved in the runtime's mount namespace. Not O_CLOEXEC: see ExecChild.
  int exec_fd = open(path.c_str(), O_PATH);
  if (exec_fd < 0) {
    int e = errno;
    close_all();
    return fail(path, e);
  }
  int in[2], out[2];
  if (pipe2(in, O_CLOEXEC) < 0) {
    int e = errno;
    close_all();
    close(exec_fd);
    return fail("pipe2", e);
  }
  if (pipe2(out, O_CLOEXEC) < 0) {
    int e = errno;
    close_all();
    close(exec_fd);
    close(in[0]);
    close(in[1]);
    return fail("pipe2", e);
  }
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  long child = syscall(__NR_clone, SIGCHLD, 0, 0, 0, 0);
  if (child == 0) ExecChild(ns, pidns, in[0], in[1], out[0], out[1], exec_fd, cwd.c_str(), argv.data(), envp.data());
  int clone_err = errno;
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  close_all();
  close(exec_fd);
  close(in[0]);
  close(out[1]);
  if (child < 0) {
    close(in[1]);
    close(out[0]);
    return fail("fork", clone_err);
  }
  fcntl(in[1], F_SETFL, O_NONBLOCK);
  fcntl(out[0], F_SETFL, O_NONBLOCK);
  std::string output;
  size_t written = 0;
  bool timed_out = false, exited = false;
  int status = 0;
  long deadline = timeout_ms > 0 ? NowMs() + timeout_ms : 0;
  int wfd = in[1];
  if (input.empty()) {
    close(wfd);
    wfd = -1;
  }
  int rfd = out[0];
  while (!exited) {
    struct pollfd p[2] = {{wfd, POLLOUT, 0}, {rfd, POLLIN, 0}};
    long wait_ms = 50;  // also checks for the exit of a child whose output another process holds
    if (deadline) {
      long left = deadline - NowMs();
      if (left <= 0) {
        KillHook(static_cast<pid_t>(child), pidns);
        timed_out = true;
        break;
      }
      if (left < wait_ms) wait_ms = left;
    }
    int n = poll(p, 2, rfd < 0 && wfd < 0 ? static_cast<int>(wait_ms) : static_cast<int>(wait_ms));
    if (n < 0 && errno != EINTR) break;
    if (wfd >= 0 && (p[0].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t k = write(wfd, input.data() + written, input.size() - written);
      if (k > 0) written += static_cast<size_t>(k);
      if (k < 0 && errno != EAGAIN) written = input.size();  // EPIPE: it does not read stdin
      if (written >= input.size()) {
        close(wfd);
        wfd = -1;
      }
    }
    if (rfd >= 0 && (p[1].revents & (POLLIN | POLLERR | POLLHUP))) {
      char tmp[4096];
      ssize_t k = read(rfd, tmp, sizeof(tmp));
      if (k > 0 && output.size() < 65536) output.append(tmp, static_cast<size_t>(k));
      if (k == 0 || (k < 0 && errno != EAGAIN)) {
        close(rfd);
        rfd = -1;
      }
    }
    pid_t w = waitpid(static_cast<pid_t>(child), &status, WNOHANG | __WALL);
    if (w == child) exited = true;
  }
  if (!exited) {
    while (waitpid(static_cast<pid_t>(child), &status, __WALL) < 0 && errno == EINTR) {
    }
  }
  if (rfd >= 0) {
    char tmp[4096];
    ssize_t k;
    while ((k = read(rfd, tmp, sizeof(tmp))) > 0 && output.size() < 65536) output.append(tmp, static_cast<size_t>(k));
    close(rfd);
  }
  if (wfd >= 0) close(wfd);
  Napi::Object r = Napi::Object::New(env);
  r.Set("output", Napi::String::New(env, output));
  if (timed_out) r.Set("timedOut", Napi::Boolean::New(env, true));
  if (WIFSIGNALED(status)) r.Set("signal", Napi::Number::New(env, WTERMSIG(status)));
  else r.Set("code", Napi::Number::New(env, WEXITSTATUS(status)));
  return r;
}

Export e1("nsExec", NsExec);

}  // namespace
}  // namespace ocirt

// childDryRun(plan, script?) -> { calls, exit, error? }
//
// Runs the child's interpreter IN this process with the syscall seam (syscalls.h) pointed at a
// recorder: nothing reaches the kernel. Each call is logged by name with its arguments (and the
// path, for calls that take one); results are made up (0, fresh fd numbers, an Ack for every
// sync read) unless the script makes a call fail: { fail: [{ call: "setresuid", errno: 22, nth: 1 }] }.
// Root filesystem ops (kinds >= 100) are logged as "rootfs <kind>" and skipped. The run ends at
// exit_group (exit: code) or execve (exit: "exec"), through longjmp (the child's code has no
// destructors to skip). So the order of the process ops' syscalls and the mapping of a failing
// call to an op index, a step and an errno are testable without root (test/unit/plan.dryrun).
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <string>
#include <vector>

#include "child_internal.h"
#include "registry.h"

namespace ocirt {

extern bool g_dry_run;
void ChildResetState();

namespace {

struct Call {
  long nr;
  long a[6];
  std::string path;
};
struct Fail {
  std::string call;
  int err;
  int nth;
  int seen;
};

struct DryState {
  std::vector<Call> calls;
  std::vector<Fail> fails;
  jmp_buf jmp;
  int exit_code = 0;
  bool execed = false;
  int next_fd = 100;
  int fifo_reads = 0;
  SyncRecord error;
  bool have_error = false;
  std::vector<uint32_t> syncs;
};
DryState* g_dry = nullptr;

// Names of the calls the process side makes; anything else shows as "nr<N>".
const struct {
  long nr;
  const char* name;
} kNames[] = {
    {__NR_rt_sigaction, "rt_sigaction"}, {__NR_rt_sigprocmask, "rt_sigprocmask"}, {__NR_prctl, "prctl"},
    {__NR_setsid, "setsid"}, {__NR_close_range, "close_range"}, {__NR_close, "close"}, {__NR_openat, "openat"},
    {__NR_openat2, "openat2"}, {__NR_setns, "setns"}, {__NR_unshare, "unshare"}, {__NR_clone, "clone"},
    {__NR_sendmsg, "sendmsg"}, {__NR_read, "read"}, {__NR_write, "write"}, {__NR_setgroups, "setgroups"},
    {__NR_setresgid, "setresgid"}, {__NR_setresuid, "setresuid"}, {__NR_capset, "capset"}, {__NR_umask, "umask"},
    {__NR_personality, "personality"}, {__NR_sched_setattr, "sched_setattr"}, {__NR_ioprio_set, "ioprio_set"},
    {__NR_seccomp, "seccomp"}, {__NR_mkdirat, "mkdirat"}, {__NR_fchdir, "fchdir"}, {__NR_dup, "dup"},
    {__NR_newfstatat, "newfstatat"}, {__NR_faccessat2, "faccessat2"}, {__NR_execve, "execve"},
    {__NR_exit_group, "exit_group"}, {__NR_fcntl, "fcntl"}, {__NR_getuid, "getuid"}, {__NR_pipe2, "pipe2"},
    {__NR_wait4, "wait4"}, {__NR_pidfd_open, "pidfd_open"}, {__NR_ppoll, "ppoll"}, {__NR_kill, "kill"},
    {__NR_dup3, "dup3"}, {__NR_ioctl, "ioctl"}, {__NR_sched_setaffinity, "sched_setaffinity"},
    {__NR_fstatfs, "fstatfs"}, {__NR_fstat, "fstat"}, {__NR_open_tree, "open_tree"}, {__NR_move_mount, "move_mount"},
    {__NR_clock_gettime, "clock_gettime"}, {__NR_mount, "mount"}, {__NR_setns, "setns"},
    {__NR_faccessat, "faccessat"}, {__NR_chdir, "chdir"}, {__NR_getcwd, "getcwd"}, {__NR_prlimit64, "prlimit64"},
    {__NR_set_mempolicy, "set_mempolicy"},
};
constexpr long kRootfsNr = 100000;

std::string NameOf(long nr) {
  if (nr >= kRootfsNr) return "rootfs " + std::to_string(nr - kRootfsNr);
  for (const auto& n : kNames)
    if (n.nr == nr) return n.name;
  return "nr" + std::to_string(nr);
}

const char* PathArg(long nr, const long* a) {
  switch (nr) {
    case __NR_openat:
    case __NR_openat2:
    case __NR_newfstatat:
    case __NR_faccessat2:
    case __NR_faccessat:
    case __NR_mkdirat:
      return reinterpret_cast<const char*>(a[1]);
    case __NR_chdir:
    case __NR_execve:
      return reinterpret_cast<const char*>(a[0]);
    default:
      return nullptr;
  }
}

// Logs the call; returns the scripted errno (or 0). No local with a destructor survives it,
// since the recorder may longjmp right after.
int LogAndScript(DryState& d, long nr, const long* a) {
  // Signal and fd housekeeping at the start is the same for every plan: not logged.
  bool quiet = nr == __NR_rt_sigaction || nr == __NR_rt_sigprocmask || (nr == __NR_close_range && a[0] > 2 && d.calls.empty());
  if (!quiet) {
    d.calls.push_back(Call{nr, {a[0], a[1], a[2], a[3], a[4], a[5]}, ""});
    if (const char* p = PathArg(nr, a)) d.calls.back().path = p;
  }
  std::string name = NameOf(nr);
  for (Fail& f : d.fails)
    if (f.call == name && (f.nth == 0 || ++f.seen == f.nth)) return f.err;  // nth 0: every time
  return 0;
}

long Recorder(long nr, long a0, long a1, long a2, long a3, long a4, long a5) {
  DryState& d = *g_dry;
  long a[6] = {a0, a1, a2, a3, a4, a5};
  if (int err = LogAndScript(d, nr, a)) return -err;
  switch (nr) {
    case __NR_exit_group:
      d.exit_code = static_cast<int>(a0);
      longjmp(d.jmp, 1);
    case __NR_execve:
      d.execed = true;
      longjmp(d.jmp, 1);
    case __NR_openat:
    case __NR_openat2:
    case __NR_pidfd_open:
    case __NR_dup:
    case __NR_open_tree:
      return d.next_fd++;
    case __NR_seccomp:
      return a1 & 8 /* NEW_LISTENER */ ? d.next_fd++ : 0;
    case __NR_prctl:
      if (a0 == PR_CAPBSET_READ) return a1 <= 40 ? 1 : -EINVAL;
      return 0;
    case __NR_clone:
      // ForkInit (CLONE_PARENT): play the init. A hook's fork: play the parent.
      return (a0 & CLONE_PARENT) ? 0 : 4242;
    case __NR_wait4:
      if (a1) *reinterpret_cast<int*>(a1) = 0;
      return a0;
    case __NR_ppoll: {
      struct pollfd* p = reinterpret_cast<struct pollfd*>(a0);
      p[0].revents = POLLIN;
      return 1;
    }
    case __NR_sendmsg: {
      const struct msghdr* m = reinterpret_cast<const struct msghdr*>(a1);
      const SyncRecord* r = static_cast<const SyncRecord*>(m->msg_iov[0].iov_base);
      d.syncs.push_back(r->type);
      if (r->type == kSyncError) {
        d.error = *r;
        d.have_error = true;
      }
      return static_cast<long>(m->msg_iov[0].iov_len);
    }
    case __NR_read: {
      if (a0 == 1000) {  // the sync socket: every wait is answered with an Ack
        SyncRecord* r = reinterpret_cast<SyncRecord*>(a1);
        memset(r, 0, sizeof(*r));
        r->type = kSyncAck;
        return sizeof(*r);
      }
      if (a0 == 1001) return d.fifo_reads++ == 0 ? (memcpy(reinterpret_cast<void*>(a1), "{}", 2), 2) : 0;
      return 0;  // /etc/passwd and friends: empty
    }
    case __NR_write:
      return a2;
    case __NR_newfstatat: {
      struct stat* st = reinterpret_cast<struct stat*>(a2);
      memset(st, 0, sizeof(*st));
      st->st_mode = S_IFREG | 0755;
      return 0;
    }
    case __NR_fcntl:
      return 0;
    case __NR_getuid:
      return 0;
    case __NR_getcwd:  // inside the root, as a real chdir into the container's tree answers
      memcpy(reinterpret_cast<void*>(a0), "/", 2);
      return 2;
    default:
      return 0;
  }
}

Napi::Value ChildDryRun(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto buf = info[0].As<Napi::Buffer<uint8_t>>();
  Plan plan;
  const char* why = nullptr;
  if (!DecodePlan(buf.Data(), buf.Length(), &plan, &why, malloc)) {
    Napi::Error::New(env, why).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  DryState d;
  if (info.Length() > 1 && info[1].IsObject()) {
    Napi::Object s = info[1].As<Napi::Object>();
    if (s.Has("fail") && s.Get("fail").IsArray()) {
      Napi::Array f = s.Get("fail").As<Napi::Array>();
      for (uint32_t i = 0; i < f.Length(); i++) {
        Napi::Object o = f.Get(i).As<Napi::Object>();
        int nth = o.Has("nth") ? o.Get("nth").As<Napi::Number>().Int32Value() : 1;
        d.fails.push_back({o.Get("call").ToString().Utf8Value(), o.Get("errno").As<Napi::Number>().Int32Value(), nth, 0});
      }
    }
  }
  d.calls.reserve(4096);
  d.syncs.reserve(64);
  g_dry = &d;
  ChildResetState();
  g_dry_run = true;
  sys::RawFn saved = sys::g_raw;
  sys::g_raw = Recorder;
  ChildStart st = {&plan, 1000, 1001, 1002, 3};
  if (setjmp(d.jmp) == 0) ChildMain(st);
  sys::g_raw = saved;
  g_dry_run = false;
  g_dry = nullptr;

  Napi::Array calls = Napi::Array::New(env, d.calls.size());
  for (size_t i = 0; i < d.calls.size(); i++) {
    const Call& c = d.calls[i];
    Napi::Object o = Napi::Object::New(env);
    o.Set("call", NameOf(c.nr));
    Napi::Array args = Napi::Array::New(env, 6);
    for (uint32_t k = 0; k < 6; k++) args.Set(k, Napi::Number::New(env, static_cast<double>(c.a[k])));
    o.Set("args", args);
    if (!c.path.empty()) o.Set("path", c.path);
    calls.Set(static_cast<uint32_t>(i), o);
  }
  Napi::Object r = Napi::Object::New(env);
  r.Set("calls", calls);
  Napi::Array syncs = Napi::Array::New(env, d.syncs.size());
  for (size_t i = 0; i < d.syncs.size(); i++) syncs.Set(static_cast<uint32_t>(i), Napi::Number::New(env, d.syncs[i]));
  r.Set("syncs", syncs);
  if (d.execed) r.Set("exit", "exec");
  else r.Set("exit", Napi::Number::New(env, d.exit_code));
  if (d.have_error) {
    Napi::Object e = Napi::Object::New(env);
    d.error.detail[sizeof(d.error.detail) - 1] = 0;
    e.Set("opIndex", Napi::Number::New(env, d.error.op_index));
    e.Set("errno", Napi::Number::New(env, d.error.err));
    e.Set("detail", std::string(d.error.detail));
    e.Set("fullMessage", Napi::Boolean::New(env, (d.error.arg & kErrFullMessage) != 0));
    r.Set("error", e);
  }
  free(const_cast<Op*>(plan.ops));
  return r;
}

Export e1("childDryRun", ChildDryRun);

}  // namespace
}  // namespace ocirt

// spawn(planBuffer, options, onEvent) -> init pid, and sendFd(socketPath, fd, message?).
//
// The parent side of create: decode the plan (all allocation happens here, before clone), put
// its bytes in a sealed memfd, open exec.fifo for the child, make the sync socketpair, block
// every signal in this thread, clone (clone3 with CLONE_INTO_CGROUP when given a cgroup2 dir fd),
// restore the mask, and then serve the child's records one at a time, synchronously.
//
// The clone runs only the few raw syscalls of ExecInit (below): its v1 cgroup placement, the
// maps of a user namespace it was born in (so that it is root there and keeps its capabilities
// across the exec), then execveat of ocirt-init (init_main.cc) from a sealed memfd copy. Every
// op of the plan after that runs in the init, never in a copy of node (CVE-2019-5736).
//
// Records:
//   kSyncUsernsReady  write /proc/<pid>/{setgroups,uid_map,gid_map} from the UserNamespace op
//   kSyncTimeOffsets  write /proc/<pid>/timens_offsets from the TimeNamespace op
//   kSyncInitPid      (slow path) the init is the intermediate's child: reap the intermediate
//   kSyncNsReady      prlimit the Rlimit ops (or the caller's NOFILE), oom_score_adj, then
//                     onEvent({type:'namespaces-ready', pid})
//   kSyncHooks        onEvent({type:'create-container-hooks', pid})
//   kSyncFd           onEvent({type:'fd', pid, purpose:'console'|'seccomp-listener', fd})
//   kSyncReady        return the pid: the init is parked on exec.fifo
//   kSyncExec         (a plan without Ready: exec into a running container) not answered; the
//                     EOF that follows means execve succeeded: return the pid
//   kSyncError        kill and reap, throw an Error carrying opIndex/errno/errnoText/detail
// Each served record is answered kSyncAck; if onEvent throws, kSyncAbort, kill, reap, rethrow.
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <dlfcn.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "child_internal.h"
#include "registry.h"
#include "rootfs_ops.h"

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif
#ifndef F_SEAL_SEAL
#define F_SEAL_SEAL 0x0001
#define F_SEAL_SHRINK 0x0002
#define F_SEAL_GROW 0x0004
#define F_SEAL_WRITE 0x0008
#define F_ADD_SEALS 1033
#endif

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

namespace ocirt {
namespace {

std::string ErrText(int err) {
  const char* t = ErrnoText(err);
  std::string s = t ? t : strerror(err);
  if (!s.empty() && s[0] >= 'A' && s[0] <= 'Z') s[0] = static_cast<char>(s[0] - 'A' + 'a');
  return s;
}

struct ChildError {
  bool set = false;
  int err = 0;
  int op_index = -1;
  std::string detail;
  bool full = false;
};

Napi::Value ThrowChildError(Napi::Env env, const ChildError& ce) {
  std::string msg;
  if (ce.full) msg = ce.detail;
  else {
    msg = "op " + std::to_string(ce.op_index) + ": ";
    if (!ce.detail.empty()) msg += ce.detail + ": ";
    msg += ErrText(ce.err);
  }
  Napi::Error e = Napi::Error::New(env, msg);
  e.Set("opIndex", Napi::Number::New(env, ce.op_index));
  e.Set("errno", Napi::Number::New(env, ce.err));
  e.Set("errnoText", Napi::String::New(env, ErrText(ce.err)));
  e.Set("detail", Napi::String::New(env, ce.detail));
  e.Set("fullMessage", Napi::Boolean::New(env, ce.full));
  e.Set("childError", Napi::Boolean::New(env, true));
  e.ThrowAsJavaScriptException();
  return env.Undefined();
}

Napi::Value ThrowErrno(Napi::Env env, const std::string& what, int err) {
  Napi::Error e = Napi::Error::New(env, what + ": " + ErrText(err));
  e.Set("errno", Napi::Number::New(env, err));
  e.ThrowAsJavaScriptException();
  return env.Undefined();
}

int WriteFile(const std::string& path, const std::string& text) {
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  const char* p = text.data();
  size_t left = text.size();
  while (left > 0) {
    ssize_t n = write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int e = n < 0 ? errno : EIO;
      close(fd);
      return e;
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  close(fd);
  return 0;
}

// The processes of one spawn: the cloned child and, on the slow path, the init it forks.
struct Procs {
  pid_t clone_pid = -1;
  pid_t init_pid = -1;
  bool clone_reaped = false;
  int status = 0;

  // The one that speaks now (maps and offsets go to the process that unshared).
  pid_t Current() const { return init_pid > 0 ? init_pid : clone_pid; }

  void KillAll() {
    if (init_pid > 0) kill(init_pid, SIGKILL);
    if (!clone_reaped && clone_pid > 0) kill(clone_pid, SIGKILL);
  }
  void ReapAll() {
    int st;
    if (!clone_reaped && clone_pid > 0) {
      while (waitpid(clone_pid, &st, __WALL) < 0 && errno == EINTR) {
      }
      status = st;
      clone_reaped = true;
    }
    if (init_pid > 0 && init_pid != clone_pid) {
      while (waitpid(init_pid, &st, __WALL) < 0 && errno == EINTR) {
      }
      status = st;
    }
  }
};

std::string DescribeStatus(int st) {
  if (WIFSIGNALED(st)) return "killed by signal " + std::to_string(WTERMSIG(st));
  if (WIFEXITED(st)) return "exit status " + std::to_string(WEXITSTATUS(st));
  return "status " + std::to_string(st);
}

bool SendAnswer(int fd, uint32_t type) {
  SyncRecord r;
  memset(&r, 0, sizeof(r));
  r.type = type;
  return send(fd, &r, sizeof(r), MSG_NOSIGNAL) == static_cast<ssize_t>(sizeof(r));
}

// Reads one record (and an fd riding on it). 0 on EOF, -errno on error, else sizeof(record).
ssize_t RecvRecord(int fd, SyncRecord* r, int* passed) {
  *passed = -1;
  struct iovec iov = {r, sizeof(*r)};
  alignas(struct cmsghdr) char cbuf[CMSG_SPACE(sizeof(int) * 4)];
  struct msghdr msg;
  memset(&msg, 0, sizeof(msg));
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = cbuf;
  msg.msg_controllen = sizeof(cbuf);
  ssize_t n;
  do n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n < 0) return -errno;
  for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
      size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      int* fds = reinterpret_cast<int*>(CMSG_DATA(c));
      for (size_t i = 0; i < count; i++) {
        if (*passed < 0) *passed = fds[i];
        else close(fds[i]);
      }
    }
  }
  return n;
}

bool ParseNofile(const std::string& s, struct rlimit* out) {
  size_t colon = s.find(':');
  if (colon == std::string::npos) return false;
  auto one = [](const std::string& v, rlim_t* o) {
    if (v == "unlimited") {
      *o = RLIM_INFINITY;
      return true;
    }
    if (v.empty()) return false;
    char* end = nullptr;
    unsigned long long x = strtoull(v.c_str(), &end, 10);
    if (*end) return false;
    *o = static_cast<rlim_t>(x);
    return true;
  };
  return one(s.substr(0, colon), &out->rlim_cur) && one(s.substr(colon + 1), &out->rlim_max);
}

// What the parent applies at kSyncNsReady. Returns false with *ce set on failure.
bool ApplyParentOps(const Plan& plan, pid_t pid, bool have_nofile, const struct rlimit& nofile, uint32_t ready_index, ChildError* ce) {
  bool nofile_in_plan = false;
  for (uint32_t i = 0; i < plan.nops; i++) {
    const Op& op = plan.ops[i];
    if (op.kind == kOpRlimit) {
      int res = static_cast<int>(OpInt(op, 0));
      if (res == RLIMIT_NOFILE) nofile_in_plan = true;
      struct rlimit rl;
      int64_t soft = OpInt(op, 1), hard = OpInt(op, 2);
      rl.rlim_cur = soft < 0 ? RLIM_INFINITY : static_cast<rlim_t>(soft);
      rl.rlim_max = hard < 0 ? RLIM_INFINITY : static_cast<rlim_t>(hard);
      if (prlimit(pid, static_cast<__rlimit_resource>(res), &rl, nullptr) < 0) {
        *ce = {true, errno, static_cast<int>(i), "prlimit", false};
        return false;
      }
    } else if (op.kind == kOpOomScoreAdj) {
      int e = WriteFile("/proc/" + std::to_string(pid) + "/oom_score_adj", std::to_string(OpInt(op, 0)));
      if (e) {
        *ce = {true, e, static_cast<int>(i), "write /proc/" + std::to_string(pid) + "/oom_score_adj", false};
        return false;
      }
    }
  }
  // Node raised its soft NOFILE to the hard limit; without a config value the container gets
  // what the caller of ocirt had.
  if (!nofile_in_plan && have_nofile && prlimit(pid, RLIMIT_NOFILE, &nofile, nullptr) < 0) {
    *ce = {true, errno, static_cast<int>(ready_index), "prlimit RLIMIT_NOFILE (the caller's)", false};
    return false;
  }
  return true;
}

bool WriteIdMaps(const Plan& plan, uint32_t index, pid_t pid, ChildError* ce) {
  if (index >= plan.nops || plan.ops[index].kind != kOpUserNamespace) {
    *ce = {true, EPROTO, static_cast<int>(index), "user namespace record for another op", false};
    return false;
  }
  const Op& op = plan.ops[index];
  std::string base = "/proc/" + std::to_string(pid) + "/";
  int e = 0;
  std::string which;
  if (OpInt(op, 0) && (e = WriteFile(base + "setgroups", "deny"))) which = "setgroups";
  else if ((e = WriteFile(base + "uid_map", OpStr(op, 0)))) which = "uid_map";
  else if ((e = WriteFile(base + "gid_map", OpStr(op, 1)))) which = "gid_map";
  if (e) {
    *ce = {true, e, static_cast<int>(index), "write " + base + which, false};
    return false;
  }
  return true;
}

constexpr int kSeals = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;

// A memfd holding `n` bytes of `src` (or of file `src_fd`), sealed read-only. -errno on failure.
int SealedMemfd(const char* name, bool exec, const uint8_t* src, size_t n, int src_fd) {
  unsigned flags = MFD_CLOEXEC | MFD_ALLOW_SEALING;
  int fd = memfd_create(name, flags | (exec ? MFD_EXEC : 0));
  if (fd < 0 && exec && errno == EINVAL) fd = memfd_create(name, flags);  // a kernel before MFD_EXEC
  if (fd < 0) return -errno;
  size_t done = 0;
  while (done < n) {
    ssize_t k = src_fd >= 0 ? sendfile(fd, src_fd, nullptr, n - done) : write(fd, src + done, n - done);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) {
      int e = k < 0 ? errno : EIO;
      close(fd);
      return -e;
    }
    done += static_cast<size_t>(k);
  }
  if (fcntl(fd, F_ADD_SEALS, kSeals) < 0) {
    int e = errno;
    close(fd);
    return -e;
  }
  return fd;
}

// The sealed copy of ocirt-init (next to this addon), made once per runtime process.
int InitMemfd(std::string* why) {
  static int fd = -1;
  if (fd >= 0) return fd;
  Dl_info info;
  if (!dladdr(reinterpret_cast<void*>(&SealedMemfd), &info) || !info.dli_fname) {
    *why = "find ocirt-init: dladdr failed";
    return -1;
  }
  std::string path = info.dli_fname;
  size_t slash = path.rfind('/');
  path = (slash == std::string::npos ? std::string(".") : path.substr(0, slash)) + "/ocirt-init";
  int src = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (src < 0 || fstat(src, &st) < 0) {
    *why = "open " + path + ": " + ErrText(errno);
    if (src >= 0) close(src);
    return -1;
  }
  int m = SealedMemfd("ocirt-init", true, nullptr, static_cast<size_t>(st.st_size), src);
  close(src);
  if (m < 0) {
    *why = "copy " + path + " into a sealed memfd: " + ErrText(-m);
    return -1;
  }
  fd = m;
  return fd;
}

// What the clone needs to reach ocirt-init; built before clone (the clone may not allocate).
struct InitExec {
  int init_fd;
  int sync_fd;
  const Plan* plan;
  uint32_t userns_op;  // the UserNamespace op to finish before the exec, or ~0u
  const int* task_fds;
  int ntask_fds;
  const int* keep_fds;  // fds the init needs: their close-on-exec flag is cleared
  int nkeep;
  int keep_below;      // and 0 .. keep_below-1 (stdio, the preserved fds)
  char* const* argv;
  char* const* envp;
};

// In the clone: nothing but raw syscalls. Failures go to the parent as a kSyncError.
[[noreturn]] void ExecInit(const InitExec& x) {
  auto fail = [&](uint32_t op, int err, const char* detail) {
    SyncRecord r;
    char* z = reinterpret_cast<char*>(&r);
    for (size_t i = 0; i < sizeof(r); i++) z[i] = 0;
    r.type = kSyncError;
    r.err = err;
    r.op_index = op;
    StrBuf b(r.detail, sizeof(r.detail));
    b.Add(detail);
    sys::Write(x.sync_fd, &r, sizeof(r));
    sys::ExitGroup(1);
  };
  // Into the v1 cgroups before anything else, so all that follows (and the intermediate process
  // of a joined pid namespace) is inside them. A task that moves itself (0 into `tasks`) skips
  // the global threadgroup lock that moving another pid takes, and with it the RCU grace period
  // that lock waits for: 10-25 ms of every create on a v1 host.
  for (int i = 0; i < x.ntask_fds; i++) {
    long r = sys::Write(x.task_fds[i], "0", 1);
    if (r < 0) fail(kOpIndexCgroupPlacement, static_cast<int>(-r), "write 0 to tasks");
  }
  sys::Prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (x.userns_op != ~0u) {
    // Born in a new user namespace: an exec before our maps exist would drop every capability.
    const Op& op = x.plan->ops[x.userns_op];
    SyncRecord r;
    char* z = reinterpret_cast<char*>(&r);
    for (size_t i = 0; i < sizeof(r); i++) z[i] = 0;
    r.type = kSyncUsernsReady;
    r.op_index = x.userns_op;
    if (sys::Write(x.sync_fd, &r, sizeof(r)) != static_cast<long>(sizeof(r))) sys::ExitGroup(1);
    if (sys::Read(x.sync_fd, &r, sizeof(r)) != static_cast<long>(sizeof(r)) || r.type != kSyncAck) sys::ExitGroup(1);
    long e = 0;
    if (!OpInt(op, 0) && (e = sys::Raw(__NR_setgroups, 0, 0)) < 0) fail(x.userns_op, static_cast<int>(-e), "setgroups");
    if ((e = sys::Raw(__NR_setresgid, 0, 0, 0)) < 0) fail(x.userns_op, static_cast<int>(-e), "setresgid 0 in the user namespace");
    if ((e = sys::Raw(__NR_setresuid, 0, 0, 0)) < 0) fail(x.userns_op, static_cast<int>(-e), "setresuid 0 in the user namespace");
    sys::Prctl(PR_SET_PDEATHSIG, SIGKILL);  // a credential change cleared it
  }
  for (int i = 0; i < x.nkeep; i++)
    if (x.keep_fds[i] >= 0) sys::Fcntl(x.keep_fds[i], F_SETFD, 0);
  for (int fd = 0; fd < x.keep_below; fd++) {
    long fl = sys::Fcntl(fd, F_GETFD);
    if (fl > 0 && (fl & FD_CLOEXEC)) sys::Fcntl(fd, F_SETFD, fl & ~FD_CLOEXEC);
  }
  long e = sys::Execveat(x.init_fd, "", x.argv, x.envp, AT_EMPTY_PATH);
  fail(0, static_cast<int>(-e), "execveat ocirt-init");
  sys::ExitGroup(1);
}

Napi::Object Event(Napi::Env env, const char* type, pid_t pid) {
  Napi::Object ev = Napi::Object::New(env);
  ev.Set("type", type);
  ev.Set("pid", Napi::Number::New(env, pid));
  return ev;
}

// spawn(plan: Buffer, options: { execFifo?: string (none for exec), cgroupDirFd?: number, cgroupTaskFds?: number[],
//                                callerNofile?: string },
//       onEvent: (ev) => void): number
Napi::Value Spawn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsBuffer() || !info[1].IsObject() || !info[2].IsFunction()) {
    Napi::TypeError::New(env, "spawn(plan: Buffer, options: object, onEvent: function)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  auto buf = info[0].As<Napi::Buffer<uint8_t>>();
  Napi::Object opts = info[1].As<Napi::Object>();
  Napi::Function onEvent = info[2].As<Napi::Function>();

  Plan plan;
  const char* why = nullptr;
  if (!DecodePlan(buf.Data(), buf.Length(), &plan, &why, malloc)) {
    Napi::Error::New(env, why).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  struct PlanGuard {
    Plan* p;
    ~PlanGuard() { free(const_cast<Op*>(p->ops)); }
  } plan_guard{&plan};
  if (plan.nops == 0 || plan.ops[0].kind != kOpNamespaces) {
    Napi::Error::New(env, "plan: op 0 must be Namespaces").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  uint64_t clone_flags = static_cast<uint64_t>(OpInt(plan.ops[0], 0));
  bool via_clone = OpInt(plan.ops[0], 1) != 0;
  uint32_t ns_ready_index = 0;
  int preserved = 0;
  for (uint32_t i = 0; i < plan.nops; i++) {
    if (plan.ops[i].kind == kOpNsReady) ns_ready_index = i;
    if (plan.ops[i].kind == kOpExec) preserved = static_cast<int>(OpInt(plan.ops[i], 0));
  }

  int cgroup_fd = -1;
  if (opts.Has("cgroupDirFd") && opts.Get("cgroupDirFd").IsNumber()) cgroup_fd = opts.Get("cgroupDirFd").As<Napi::Number>().Int32Value();
  constexpr uint32_t kMaxTaskFds = 32;
  int task_fds[kMaxTaskFds];
  int ntask_fds = 0;
  if (opts.Has("cgroupTaskFds") && opts.Get("cgroupTaskFds").IsArray()) {
    Napi::Array a = opts.Get("cgroupTaskFds").As<Napi::Array>();
    if (a.Length() > kMaxTaskFds) {
      Napi::RangeError::New(env, "spawn: more than 32 cgroupTaskFds").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    for (uint32_t i = 0; i < a.Length(); i++) task_fds[ntask_fds++] = a.Get(i).As<Napi::Number>().Int32Value();
  }
  struct rlimit nofile = {0, 0};
  bool have_nofile = false;
  if (opts.Has("callerNofile") && opts.Get("callerNofile").IsString())
    have_nofile = ParseNofile(opts.Get("callerNofile").As<Napi::String>().Utf8Value(), &nofile);

  int fifo_r = -1, fifo_w = -1;
  if (opts.Has("execFifo") && opts.Get("execFifo").IsString()) {
    std::string fifo = opts.Get("execFifo").As<Napi::String>().Utf8Value();
    // A reader and a writer of our own: start's O_WRONLY|O_NONBLOCK open succeeds while the init
    // holds the reader, and the init's read blocks (no EOF) until start writes.
    fifo_r = open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fifo_r < 0) return ThrowErrno(env, "open " + fifo, errno);
    fifo_w = open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (fifo_w < 0) {
      int e = errno;
      close(fifo_r);
      return ThrowErrno(env, "open " + fifo, e);
    }
  }
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
    int e = errno;
    if (fifo_r >= 0) close(fifo_r);
    if (fifo_w >= 0) close(fifo_w);
    return ThrowErrno(env, "socketpair", e);
  }
  std::string init_why;
  int init_fd = InitMemfd(&init_why);
  int plan_fd = init_fd < 0 ? -1 : SealedMemfd("ocirt-plan", false, buf.Data(), buf.Length(), -1);
  if (init_fd < 0 || plan_fd < 0) {
    close(sv[0]);
    close(sv[1]);
    if (fifo_r >= 0) close(fifo_r);
    if (fifo_w >= 0) close(fifo_w);
    if (init_fd < 0) {
      Napi::Error::New(env, init_why).ThrowAsJavaScriptException();
      return env.Undefined();
    }
    return ThrowErrno(env, "memfd of the plan", -plan_fd);
  }
  // The init's arguments (init_main.cc) and the fds it needs, the user namespace fds of
  // idmapped mounts and the bind sources ocirt opened (named in the plan's Mount ops) among them.
  uint32_t userns_op = ~0u;
  if (via_clone && (clone_flags & CLONE_NEWUSER))
    for (uint32_t i = 1; i < plan.nops && userns_op == ~0u; i++)
      if (plan.ops[i].kind == kOpUserNamespace) userns_op = i;
  std::vector<int> keep = {sv[1], fifo_r, fifo_w, plan_fd};
  for (uint32_t i = 0; i < plan.nops; i++) {
    const Op& op = plan.ops[i];
    if (op.kind == kOpMount && (OpInt(op, 4) & (kMountIdmap | kMountSourceFd)) && OpInt(op, 5, -1) >= 0) keep.push_back(static_cast<int>(OpInt(op, 5)));
  }
  std::vector<std::string> args = {"ocirt-init", std::to_string(plan_fd), std::to_string(sv[1]), std::to_string(fifo_r),
                                   std::to_string(fifo_w), std::to_string(3 + preserved),
                                   std::to_string(userns_op == ~0u ? 0 : userns_op + 1)};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  char* envp[] = {nullptr};
  InitExec start = {init_fd, sv[1], &plan, userns_op, task_fds, ntask_fds, keep.data(), static_cast<int>(keep.size()), 3 + preserved, argv.data(), envp};

  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  long pid = -1;
  // Whether the child was born in cgroup_fd's cgroup; otherwise the caller places it at NsReady.
  bool into_cgroup = false;
  if (cgroup_fd >= 0) {
    struct clone_args args;
    memset(&args, 0, sizeof(args));
    args.flags = (via_clone ? clone_flags : 0) | CLONE_INTO_CGROUP;
    args.exit_signal = SIGCHLD;
    args.cgroup = static_cast<uint64_t>(cgroup_fd);
    pid = syscall(__NR_clone3, &args, sizeof(args));
    into_cgroup = pid >= 0;
    // Any refusal (an old kernel, a hierarchy clone3 will not take) leaves it to the caller's
    // write of the pid, which reports a real problem with the cgroup in its own words.
  }
  if (pid < 0) pid = syscall(__NR_clone, (via_clone ? clone_flags : 0) | SIGCHLD, 0, 0, 0, 0);
  if (pid == 0) {
    sys::Close(sv[0]);
    ExecInit(start);
  }
  int clone_errno = errno;
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  close(sv[1]);
  close(plan_fd);
  if (fifo_r >= 0) close(fifo_r);
  if (fifo_w >= 0) close(fifo_w);
  if (pid < 0) {
    close(sv[0]);
    return ThrowErrno(env, "clone", clone_errno);
  }

  Procs procs;
  procs.clone_pid = static_cast<pid_t>(pid);
  if (via_clone) procs.init_pid = static_cast<pid_t>(pid);
  int sock = sv[0];
  ChildError ce;
  auto fail_child = [&](const ChildError& e) -> Napi::Value {
    SendAnswer(sock, kSyncAbort);
    close(sock);
    procs.KillAll();
    procs.ReapAll();
    return ThrowChildError(env, e);
  };
  // Calls onEvent; on a throw: abort, kill, reap, and let the exception propagate.
  auto call = [&](Napi::Object ev) -> bool {
    onEvent.Call({ev});
    if (env.IsExceptionPending()) {
      Napi::Error err = env.GetAndClearPendingException();
      SendAnswer(sock, kSyncAbort);
      close(sock);
      procs.KillAll();
      procs.ReapAll();
      err.ThrowAsJavaScriptException();
      return false;
    }
    return true;
  };

  bool execing = false;
  for (;;) {
    SyncRecord r;
    int passed = -1;
    ssize_t n = RecvRecord(sock, &r, &passed);
    if (n == 0 && execing) {
      // The last copy of the child's end closed on execve (close-on-exec): the process runs.
      close(sock);
      return Napi::Number::New(env, procs.init_pid);
    }
    if (n <= 0 || n != static_cast<ssize_t>(sizeof(r))) {
      int e = n < 0 ? static_cast<int>(-n) : 0;
      if (passed >= 0) close(passed);
      close(sock);
      procs.KillAll();
      procs.ReapAll();
      std::string what = "the container's init exited before it was ready (" + DescribeStatus(procs.status) + ")";
      if (e) what = "read from the container's init: " + ErrText(e);
      Napi::Error::New(env, what).ThrowAsJavaScriptException();
      return env.Undefined();
    }
    switch (r.type) {
      case kSyncError: {
        r.detail[sizeof(r.detail) - 1] = 0;
        close(sock);
        procs.KillAll();  // it exits after sending anyway
        procs.ReapAll();
        ChildError e{true, r.err, static_cast<int>(r.op_index), r.detail, (r.arg & kErrFullMessage) != 0};
        return ThrowChildError(env, e);
      }
      case kSyncUsernsReady:
        if (!WriteIdMaps(plan, r.op_index, procs.Current(), &ce)) return fail_child(ce);
        break;
      case kSyncTimeOffsets: {
        const Op& op = plan.ops[r.op_index < plan.nops ? r.op_index : 0];
        std::string file = "/proc/" + std::to_string(procs.Current()) + "/timens_offsets";
        int e = op.kind == kOpTimeNamespace ? WriteFile(file, OpStr(op, 0)) : EPROTO;
        if (e) return fail_child({true, e, static_cast<int>(r.op_index), "write " + file, false});
        break;
      }
      case kSyncInitPid: {
        procs.init_pid = static_cast<pid_t>(r.arg);
        int st = 0;
        while (waitpid(procs.clone_pid, &st, __WALL) < 0 && errno == EINTR) {
        }
        procs.clone_reaped = true;
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
          return fail_child({true, ECHILD, static_cast<int>(r.op_index), "the intermediate process failed (" + DescribeStatus(st) + ")", false});
        break;
      }
      case kSyncNsReady:
        if (!ApplyParentOps(plan, procs.init_pid, have_nofile, nofile, ns_ready_index, &ce)) return fail_child(ce);
        {
          Napi::Object ev = Event(env, kEventNamespacesReady, procs.init_pid);
          ev.Set("intoCgroup", Napi::Boolean::New(env, into_cgroup));
          if (!call(ev)) return env.Undefined();
        }
        break;
      case kSyncHooks:
        if (!call(Event(env, kEventCreateContainerHooks, procs.init_pid))) return env.Undefined();
        break;
      case kSyncFd: {
        if (passed < 0) return fail_child({true, EPROTO, static_cast<int>(r.op_index), "an fd record without its fd", false});
        Napi::Object ev = Event(env, kEventFd, procs.init_pid);
        ev.Set("purpose", r.arg == kFdConsole ? kFdPurposeNameConsole : r.arg == kFdSeccompListener ? kFdPurposeNameSeccompListener : "unknown");
        ev.Set("fd", Napi::Number::New(env, passed));
        if (!call(ev)) return env.Undefined();
        break;
      }
      case kSyncReady:
        close(sock);
        return Napi::Number::New(env, procs.init_pid);
      case kSyncExec:
        if (passed >= 0) close(passed);
        execing = true;
        continue;  // not answered: EOF or a kSyncError comes next
      default:
        return fail_child({true, EPROTO, static_cast<int>(r.op_index), "unknown sync record " + std::to_string(r.type), false});
    }
    if (passed >= 0 && r.type != kSyncFd) close(passed);
    if (!SendAnswer(sock, kSyncAck)) {
      int e = errno;
      close(sock);
      procs.KillAll();
      procs.ReapAll();
      return ThrowErrno(env, "write to the container's init", e);
    }
  }
}

// sendFd(socketPath, fd, message?): connects to an AF_UNIX stream socket and sends `fd` with
// SCM_RIGHTS in one message whose data is `message` (default "/dev/ptmx", the name runc sends
// with a console). Throws on failure.
Napi::Value SendFd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = info[0].As<Napi::String>().Utf8Value();
  int fd = info[1].As<Napi::Number>().Int32Value();
  std::string message = info.Length() > 2 && info[2].IsString() ? info[2].As<Napi::String>().Utf8Value() : "/dev/ptmx";
  if (message.empty()) message = " ";
  struct sockaddr_un addr;
  memset(&addr, 0, sizeof(addr));
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path)) return ThrowErrno(env, "connect " + path, ENAMETOOLONG);
  memcpy(addr.sun_path, path.data(), path.size());
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) return ThrowErrno(env, "socket", errno);
  int rc;
  do rc = connect(s, reinterpret_cast<struct sockaddr*>(&addr), sizeof(addr));
  while (rc < 0 && errno == EINTR);
  if (rc < 0) {
    int e = errno;
    close(s);
    return ThrowErrno(env, "connect " + path, e);
  }
  struct iovec iov = {const_cast<char*>(message.data()), message.size()};
  alignas(struct cmsghdr) char cbuf[CMSG_SPACE(sizeof(int))];
  memset(cbuf, 0, sizeof(cbuf));
  struct msghdr msg;
  memset(&msg, 0, sizeof(msg));
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = cbuf;
  msg.msg_controllen = sizeof(cbuf);
  struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &fd, sizeof(int));
  ssize_t n;
  do n = sendmsg(s, &msg, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  if (n < 0) {
    int e = errno;
    close(s);
    return ThrowErrno(env, "sendmsg " + path, e);
  }
  // The rest of a long message (the seccomp agent's state JSON) without the fd.
  size_t sent = static_cast<size_t>(n);
  while (sent < message.size()) {
    ssize_t k = send(s, message.data() + sent, message.size() - sent, MSG_NOSIGNAL);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) {
      int e = k < 0 ? errno : EIO;
      close(s);
      return ThrowErrno(env, "send " + path, e);
    }
    sent += static_cast<size_t>(k);
  }
  close(s);
  return env.Undefined();
}

Export e1("spawn", Spawn);
Export e2("sendFd", SendFd);

}  // namespace
}  // namespace ocirt

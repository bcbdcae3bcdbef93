// spawn(planBuffer, options, onEvent) -> init pid, and sendFd(socketPath, fd, message?).
//
// The runtime's side of create and exec. Spawn reads as its steps (class Spawner): take the
// arguments and decode the plan (all allocation happens here, before clone), open exec.fifo for
// the init, make the sync socketpair, seal the plan and ocirt-init into memfds, clone (clone3
// with CLONE_INTO_CGROUP when given a cgroup2 dir fd, every signal blocked around it), then
// serve the init's records one at a time, synchronously, until it is parked on exec.fifo. The
// records, their order and their answers are drawn once, in child.h ("The sync protocol").
// Whatever fails, one path cleans up: Spawner::Stop (abort, kill and reap), then one throw.
//
// The clone runs only the few raw syscalls of ExecInit (below): its v1 cgroup placement, the
// maps of a user namespace it was born in (so that it is root there and keeps its capabilities
// across the exec), then execveat of ocirt-init (init_main.cc) from a sealed memfd copy. Every
// op of the plan after that runs in the init, never in a copy of node (CVE-2019-5736).
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
#include "errors.h"
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

// An fd closed when it goes out of scope (or at Close).
struct Fd {
  int fd = -1;
  Fd() = default;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { Close(); }
  void Close() {
    if (fd >= 0) close(fd);
    fd = -1;
  }
  int Release() {
    int f = fd;
    fd = -1;
    return f;
  }
};

// A failure the init reported, or one the runtime met serving its record: thrown with the op's
// index so that TypeScript words it with the op's description and pointer (runtime/spawn.ts).
struct ChildError {
  int err;
  int op_index;
  std::string detail;
  bool full;  // `detail` is the whole message (kErrFullMessage)
};

Napi::Value ThrowChildError(Napi::Env env, const ChildError& ce) {
  std::string what = ce.full ? ce.detail : "op " + std::to_string(ce.op_index) + (ce.detail.empty() ? "" : ": " + ce.detail);
  return ThrowErrno(env, what, ce.err,
                    {{"opIndex", Napi::Number::New(env, ce.op_index)},
                     {"errnoText", Napi::String::New(env, ErrnoText(ce.err))},
                     {"detail", Napi::String::New(env, ce.detail)},
                     {"fullMessage", Napi::Boolean::New(env, ce.full)},
                     {"childError", Napi::Boolean::New(env, true)}});
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

  // The intermediate of the slow path, once it said who the init is. Its exit status.
  int ReapClone() {
    int st = 0;
    while (waitpid(clone_pid, &st, __WALL) < 0 && errno == EINTR) {
    }
    clone_reaped = true;
    return st;
  }
  void KillAndReap() {
    if (init_pid > 0) kill(init_pid, SIGKILL);
    if (!clone_reaped && clone_pid > 0) {
      kill(clone_pid, SIGKILL);
      status = ReapClone();
    }
    if (init_pid > 0 && init_pid != clone_pid) {
      while (waitpid(init_pid, &status, __WALL) < 0 && errno == EINTR) {
      }
    }
    clone_pid = init_pid = -1;
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
  return sys::SendWithFd(fd, &r, sizeof(r), -1) == static_cast<long>(sizeof(r));
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
        *ce = {errno, static_cast<int>(i), "prlimit", false};
        return false;
      }
    } else if (op.kind == kOpOomScoreAdj) {
      int e = WriteFile("/proc/" + std::to_string(pid) + "/oom_score_adj", std::to_string(OpInt(op, 0)));
      if (e) {
        *ce = {e, static_cast<int>(i), "write /proc/" + std::to_string(pid) + "/oom_score_adj", false};
        return false;
      }
    }
  }
  // Node raised its soft NOFILE to the hard limit; without a config value the container gets
  // what the caller of ocirt had.
  if (!nofile_in_plan && have_nofile && prlimit(pid, RLIMIT_NOFILE, &nofile, nullptr) < 0) {
    *ce = {errno, static_cast<int>(ready_index), "prlimit RLIMIT_NOFILE (the caller's)", false};
    return false;
  }
  return true;
}

bool WriteIdMaps(const Plan& plan, uint32_t index, pid_t pid, ChildError* ce) {
  if (index >= plan.nops || plan.ops[index].kind != kOpUserNamespace) {
    *ce = {EPROTO, static_cast<int>(index), "user namespace record for another op", false};
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
    *ce = {e, static_cast<int>(index), "write " + base + which, false};
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

// The sealed copy of ocirt-init (next to this addon), made once per runtime process. -1 with
// *what and *err (0: no errno) on failure.
int InitMemfd(std::string* what, int* err) {
  static int fd = -1;
  if (fd >= 0) return fd;
  Dl_info info;
  if (!dladdr(reinterpret_cast<void*>(&SealedMemfd), &info) || !info.dli_fname) {
    *what = "find ocirt-init: dladdr failed";
    *err = 0;
    return -1;
  }
  std::string path = info.dli_fname;
  size_t slash = path.rfind('/');
  path = (slash == std::string::npos ? std::string(".") : path.substr(0, slash)) + "/ocirt-init";
  int src = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (src < 0 || fstat(src, &st) < 0) {
    *what = "open " + path;
    *err = errno;
    if (src >= 0) close(src);
    return -1;
  }
  int m = SealedMemfd("ocirt-init", true, nullptr, static_cast<size_t>(st.st_size), src);
  close(src);
  if (m < 0) {
    *what = "copy " + path + " into a sealed memfd";
    *err = -m;
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

// A record zeroed without memset (the clone calls no libc).
void Zero(SyncRecord* r) {
  char* z = reinterpret_cast<char*>(r);
  for (size_t i = 0; i < sizeof(*r); i++) z[i] = 0;
}

// In the clone: nothing but raw syscalls. Failures go to the parent as a kSyncError.
[[noreturn]] void ExecInit(const InitExec& x) {
  auto fail = [&](uint32_t op, int err, const char* detail) {
    SyncRecord r;
    Zero(&r);
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
    Zero(&r);
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

// One call of spawn. Each step returns false with a JavaScript exception pending; the
// destructor (through Stop) releases whatever the steps made, so no step cleans up by hand.
class Spawner {
 public:
  explicit Spawner(Napi::Env env) : env_(env) {}
  ~Spawner() {
    Stop();
    free(const_cast<Op*>(plan_.ops));
  }

  bool ReadArguments(const Napi::CallbackInfo& info);
  bool OpenExecFifo();
  bool MakeSocketpair();
  bool SealPlanAndInit();
  bool Clone();
  // Serves the init's records until it is parked (or, for an exec, has execve'd): its pid.
  Napi::Value Serve();

 private:
  enum class Next { kAck, kNoAnswer, kDone, kFailed };
  Next Handle(const SyncRecord& r, Fd& passed);
  bool CallEvent(Napi::Object ev);
  // The one cleanup path: abort, kill and reap the child, close the socket. Idempotent.
  void Stop();
  Next FailChild(const ChildError& ce) {
    Stop();
    ThrowChildError(env_, ce);
    return Next::kFailed;
  }
  Napi::Value Fail(const std::string& what, int err) {
    Stop();
    return ThrowErrno(env_, what, err);
  }

  Napi::Env env_;
  Napi::Function on_event_;
  // From the arguments.
  Plan plan_{};
  const uint8_t* plan_bytes_ = nullptr;
  size_t plan_len_ = 0;
  uint64_t clone_flags_ = 0;
  bool via_clone_ = false;  // op 0's namespaces are made by the clone itself
  uint32_t ns_ready_index_ = 0;
  int preserved_ = 0;
  uint32_t userns_op_ = ~0u;  // a UserNamespace op the clone finishes before its exec
  int cgroup_fd_ = -1;
  static constexpr uint32_t kMaxTaskFds = 32;
  int task_fds_[kMaxTaskFds];
  int ntask_fds_ = 0;
  bool have_nofile_ = false;
  struct rlimit nofile_ = {0, 0};
  bool has_fifo_ = false;
  std::string fifo_;
  // Made by the steps.
  Fd fifo_r_, fifo_w_, sock_, child_end_, plan_fd_;
  int init_fd_ = -1;  // InitMemfd's, kept for the next spawn
  Procs procs_;
  bool into_cgroup_ = false;  // born in cgroup_fd_'s cgroup; otherwise the caller places it
  bool execing_ = false;
};

bool Spawner::ReadArguments(const Napi::CallbackInfo& info) {
  if (info.Length() < 3 || !info[0].IsBuffer() || !info[1].IsObject() || !info[2].IsFunction()) {
    Napi::TypeError::New(env_, "spawn(plan: Buffer, options: object, onEvent: function)").ThrowAsJavaScriptException();
    return false;
  }
  auto buf = info[0].As<Napi::Buffer<uint8_t>>();
  plan_bytes_ = buf.Data();
  plan_len_ = buf.Length();
  const char* why = nullptr;
  if (!DecodePlan(plan_bytes_, plan_len_, &plan_, &why, malloc)) {
    ThrowErrno(env_, why, 0);
    return false;
  }
  if (plan_.nops == 0 || plan_.ops[0].kind != kOpNamespaces) {
    ThrowErrno(env_, "plan: op 0 must be Namespaces", 0);
    return false;
  }
  clone_flags_ = static_cast<uint64_t>(OpInt(plan_.ops[0], 0));
  via_clone_ = OpInt(plan_.ops[0], 1) != 0;
  for (uint32_t i = 0; i < plan_.nops; i++) {
    if (plan_.ops[i].kind == kOpNsReady) ns_ready_index_ = i;
    if (plan_.ops[i].kind == kOpExec) preserved_ = static_cast<int>(OpInt(plan_.ops[i], 0));
  }
  if (via_clone_ && (clone_flags_ & CLONE_NEWUSER))
    for (uint32_t i = 1; i < plan_.nops && userns_op_ == ~0u; i++)
      if (plan_.ops[i].kind == kOpUserNamespace) userns_op_ = i;

  Napi::Object opts = info[1].As<Napi::Object>();
  if (opts.Has("cgroupDirFd") && opts.Get("cgroupDirFd").IsNumber()) cgroup_fd_ = opts.Get("cgroupDirFd").As<Napi::Number>().Int32Value();
  if (opts.Has("cgroupTaskFds") && opts.Get("cgroupTaskFds").IsArray()) {
    Napi::Array a = opts.Get("cgroupTaskFds").As<Napi::Array>();
    if (a.Length() > kMaxTaskFds) {
      Napi::RangeError::New(env_, "spawn: more than 32 cgroupTaskFds").ThrowAsJavaScriptException();
      return false;
    }
    for (uint32_t i = 0; i < a.Length(); i++) task_fds_[ntask_fds_++] = a.Get(i).As<Napi::Number>().Int32Value();
  }
  if (opts.Has("callerNofile") && opts.Get("callerNofile").IsString())
    have_nofile_ = ParseNofile(opts.Get("callerNofile").As<Napi::String>().Utf8Value(), &nofile_);
  has_fifo_ = opts.Has("execFifo") && opts.Get("execFifo").IsString();
  if (has_fifo_) fifo_ = opts.Get("execFifo").As<Napi::String>().Utf8Value();
  on_event_ = info[2].As<Napi::Function>();
  return true;
}

// A reader and a writer of our own: start's O_WRONLY|O_NONBLOCK open succeeds while the init
// holds the reader, and the init's read blocks (no EOF) until start writes. None for an exec.
bool Spawner::OpenExecFifo() {
  if (!has_fifo_) return true;
  fifo_r_.fd = open(fifo_.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fifo_r_.fd >= 0) fifo_w_.fd = open(fifo_.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  if (fifo_w_.fd < 0) {
    ThrowErrno(env_, "open " + fifo_, errno);
    return false;
  }
  return true;
}

bool Spawner::MakeSocketpair() {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
    ThrowErrno(env_, "socketpair", errno);
    return false;
  }
  sock_.fd = sv[0];
  child_end_.fd = sv[1];
  return true;
}

bool Spawner::SealPlanAndInit() {
  std::string what;
  int err = 0;
  init_fd_ = InitMemfd(&what, &err);
  if (init_fd_ < 0) {
    ThrowErrno(env_, what, err);
    return false;
  }
  int m = SealedMemfd("ocirt-plan", false, plan_bytes_, plan_len_, -1);
  if (m < 0) {
    ThrowErrno(env_, "memfd of the plan", -m);
    return false;
  }
  plan_fd_.fd = m;
  return true;
}

bool Spawner::Clone() {
  // The init's arguments (init_main.cc) and the fds it needs, the user namespace fds of
  // idmapped mounts and the bind sources ocirt opened (named in the plan's Mount ops) among them.
  std::vector<int> keep = {child_end_.fd, fifo_r_.fd, fifo_w_.fd, plan_fd_.fd};
  for (uint32_t i = 0; i < plan_.nops; i++) {
    const Op& op = plan_.ops[i];
    if (op.kind == kOpMount && (OpInt(op, 4) & (kMountIdmap | kMountSourceFd)) && OpInt(op, 5, -1) >= 0) keep.push_back(static_cast<int>(OpInt(op, 5)));
  }
  std::vector<std::string> args = {"ocirt-init", std::to_string(plan_fd_.fd), std::to_string(child_end_.fd), std::to_string(fifo_r_.fd),
                                   std::to_string(fifo_w_.fd), std::to_string(3 + preserved_),
                                   std::to_string(userns_op_ == ~0u ? 0 : userns_op_ + 1)};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  char* envp[] = {nullptr};
  InitExec start = {init_fd_, child_end_.fd, &plan_, userns_op_, task_fds_, ntask_fds_, keep.data(), static_cast<int>(keep.size()), 3 + preserved_, argv.data(), envp};

  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  long pid = -1;
  if (cgroup_fd_ >= 0) {
    struct clone_args ca;
    memset(&ca, 0, sizeof(ca));
    ca.flags = (via_clone_ ? clone_flags_ : 0) | CLONE_INTO_CGROUP;
    ca.exit_signal = SIGCHLD;
    ca.cgroup = static_cast<uint64_t>(cgroup_fd_);
    pid = syscall(__NR_clone3, &ca, sizeof(ca));
    into_cgroup_ = pid >= 0;
    // Any refusal (an old kernel, a hierarchy clone3 will not take) leaves it to the caller's
    // write of the pid, which reports a real problem with the cgroup in its own words.
  }
  if (pid < 0) pid = syscall(__NR_clone, (via_clone_ ? clone_flags_ : 0) | SIGCHLD, 0, 0, 0, 0);
  if (pid == 0) {
    sys::Close(sock_.fd);
    ExecInit(start);
  }
  int clone_errno = errno;
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  // The child's ends: once it has exited (or execve'd, for an exec), the socket reads EOF.
  child_end_.Close();
  plan_fd_.Close();
  fifo_r_.Close();
  fifo_w_.Close();
  if (pid < 0) {
    ThrowErrno(env_, "clone", clone_errno);
    return false;
  }
  procs_.clone_pid = static_cast<pid_t>(pid);
  if (via_clone_) procs_.init_pid = static_cast<pid_t>(pid);
  return true;
}

void Spawner::Stop() {
  if (sock_.fd >= 0 && procs_.clone_pid > 0) SendAnswer(sock_.fd, kSyncAbort);
  sock_.Close();
  procs_.KillAndReap();
}

// Calls onEvent; when it throws, the child is stopped and the exception goes on to the caller.
bool Spawner::CallEvent(Napi::Object ev) {
  on_event_.Call({ev});
  if (!env_.IsExceptionPending()) return true;
  Napi::Error err = env_.GetAndClearPendingException();
  Stop();
  err.ThrowAsJavaScriptException();
  return false;
}

Spawner::Next Spawner::Handle(const SyncRecord& r, Fd& passed) {
  int op = static_cast<int>(r.op_index);
  switch (r.type) {
    case kSyncError: {
      char detail[sizeof(r.detail) + 1];
      memcpy(detail, r.detail, sizeof(r.detail));
      detail[sizeof(r.detail)] = 0;
      return FailChild({r.err, op, detail, (r.arg & kErrFullMessage) != 0});
    }
    case kSyncUsernsReady: {
      ChildError ce;
      if (!WriteIdMaps(plan_, r.op_index, procs_.Current(), &ce)) return FailChild(ce);
      return Next::kAck;
    }
    case kSyncTimeOffsets: {
      const Op& o = plan_.ops[r.op_index < plan_.nops ? r.op_index : 0];
      std::string file = "/proc/" + std::to_string(procs_.Current()) + "/timens_offsets";
      int e = o.kind == kOpTimeNamespace ? WriteFile(file, OpStr(o, 0)) : EPROTO;
      if (e) return FailChild({e, op, "write " + file, false});
      return Next::kAck;
    }
    case kSyncInitPid: {
      procs_.init_pid = static_cast<pid_t>(r.arg);
      int st = procs_.ReapClone();
      if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        return FailChild({ECHILD, op, "the intermediate process failed (" + DescribeStatus(st) + ")", false});
      return Next::kAck;
    }
    case kSyncNsReady: {
      ChildError ce;
      if (!ApplyParentOps(plan_, procs_.init_pid, have_nofile_, nofile_, ns_ready_index_, &ce)) return FailChild(ce);
      Napi::Object ev = Event(env_, kEventNamespacesReady, procs_.init_pid);
      ev.Set("intoCgroup", Napi::Boolean::New(env_, into_cgroup_));
      return CallEvent(ev) ? Next::kAck : Next::kFailed;
    }
    case kSyncHooks:
      return CallEvent(Event(env_, kEventCreateContainerHooks, procs_.init_pid)) ? Next::kAck : Next::kFailed;
    case kSyncFd: {
      if (passed.fd < 0) return FailChild({EPROTO, op, "an fd record without its fd", false});
      Napi::Object ev = Event(env_, kEventFd, procs_.init_pid);
      ev.Set("purpose", r.arg == kFdConsole ? kFdPurposeNameConsole : r.arg == kFdSeccompListener ? kFdPurposeNameSeccompListener : "unknown");
      ev.Set("fd", Napi::Number::New(env_, passed.Release()));  // onEvent's now (runtime/spawn.ts closes it)
      return CallEvent(ev) ? Next::kAck : Next::kFailed;
    }
    case kSyncReady:
      return Next::kDone;
    case kSyncExec:
      execing_ = true;
      return Next::kNoAnswer;
    default:
      return FailChild({EPROTO, op, "unknown sync record " + std::to_string(r.type), false});
  }
}

Napi::Value Spawner::Serve() {
  for (;;) {
    SyncRecord r;
    Fd passed;
    long n = sys::RecvWithFd(sock_.fd, &r, sizeof(r), &passed.fd);
    if (n == 0 && execing_) break;  // the socket closed on execve (close-on-exec): it runs
    if (n != static_cast<long>(sizeof(r))) {
      if (n < 0) return Fail("read from the container's init", static_cast<int>(-n));
      Stop();
      return ThrowErrno(env_, "the container's init exited before it was ready (" + DescribeStatus(procs_.status) + ")", 0);
    }
    Next next = Handle(r, passed);
    if (next == Next::kFailed) return env_.Undefined();
    if (next == Next::kDone) break;
    if (next == Next::kAck && !SendAnswer(sock_.fd, kSyncAck)) return Fail("write to the container's init", errno);
  }
  // Handed over: the init lives on (parked, or running the exec'd process).
  pid_t pid = procs_.init_pid;
  sock_.Close();
  procs_.clone_pid = procs_.init_pid = -1;
  return Napi::Number::New(env_, pid);
}

// spawn(plan: Buffer, options: { execFifo?: string (none for exec), cgroupDirFd?: number, cgroupTaskFds?: number[],
//                                callerNofile?: string },
//       onEvent: (ev) => void): number
Napi::Value Spawn(const Napi::CallbackInfo& info) {
  Spawner s(info.Env());
  if (!s.ReadArguments(info) || !s.OpenExecFifo() || !s.MakeSocketpair() || !s.SealPlanAndInit() || !s.Clone()) return info.Env().Undefined();
  return s.Serve();
}

// sendFd(socketPath, fd, message?): connects to an AF_UNIX stream socket and sends `fd` with
// SCM_RIGHTS in one message whose data is `message` (default "/dev/ptmx", the name runc sends
// with a console). Throws the addon's Error (errors.h).
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
  Fd s;
  s.fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s.fd < 0) return ThrowErrno(env, "socket", errno);
  int rc;
  do rc = connect(s.fd, reinterpret_cast<struct sockaddr*>(&addr), sizeof(addr));
  while (rc < 0 && errno == EINTR);
  if (rc < 0) return ThrowErrno(env, "connect " + path, errno);
  // The fd rides on the first part; the rest of a long message (the seccomp agent's state
  // JSON) follows without it.
  size_t sent = 0;
  while (sent < message.size()) {
    long k = sys::SendWithFd(s.fd, message.data() + sent, message.size() - sent, sent == 0 ? fd : -1);
    if (k < 0) return ThrowErrno(env, (sent == 0 ? "sendmsg " : "send ") + path, static_cast<int>(-k));
    if (k == 0) return ThrowErrno(env, "send " + path, EIO);
    sent += static_cast<size_t>(k);
  }
  return env.Undefined();
}

Export e1("spawn", Spawn);
Export e2("sendFd", SendFd);

}  // namespace
}  // namespace ocirt

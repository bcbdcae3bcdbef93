// Process and namespace ops of the child (kinds 1..99; layouts in src/plan/ops.ts): joins and new
// namespaces, the fork into a joined pid namespace, ids, capabilities, no_new_privs, seccomp,
// cwd, LSM labels, scheduler. Exec-related ops are in child_exec.cc, the console in
// child_console.cc. Raw syscalls only (addon/syscalls.h).
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>

#include "child_internal.h"

#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_RAISE 2
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x80
#endif
#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif

namespace ocirt {
namespace {

constexpr long kProcSuperMagic = 0x9fa0;

// ---- namespaces ----

// fds of the Join ops, by op index, opened all at once before the first setns: paths resolve in
// the runtime's namespaces (after joining a user namespace we may no longer open another's files).
constexpr int kMaxJoins = 16;
int g_join_op[kMaxJoins];
int g_join_fd[kMaxJoins];
int g_njoins = -1;

void OpenJoins(ChildCtx* ctx) {
  g_njoins = 0;
  uint32_t self = ctx->op_index;
  for (uint32_t i = self; i < ctx->plan->nops; i++) {
    const Op& op = ctx->plan->ops[i];
    if (op.kind != kOpJoinNamespace) continue;
    if (g_njoins == kMaxJoins) break;
    ctx->op_index = i;
    long fd = sys::OpenAt(AT_FDCWD, OpStr(op, 0), O_RDONLY | O_CLOEXEC);
    if (fd < 0) ChildFail(ctx, static_cast<int>(-fd), "open");
    g_join_op[g_njoins] = static_cast<int>(i);
    g_join_fd[g_njoins] = static_cast<int>(fd);
    g_njoins++;
  }
  ctx->op_index = self;
}

int JoinNamespace(ChildCtx* ctx, const Op& op) {
  if (g_njoins < 0) OpenJoins(ctx);
  int fd = -1;
  for (int i = 0; i < g_njoins; i++)
    if (g_join_op[i] == static_cast<int>(ctx->op_index)) fd = g_join_fd[i];
  if (fd < 0) ChildFail(ctx, EBADF, "open");
  long r = sys::Setns(fd, static_cast<int>(OpInt(op, 0)));
  // EINVAL: the file is a namespace of another type (or not a namespace at all).
  if (r < 0) ChildFail(ctx, static_cast<int>(-r), "setns");
  sys::Close(fd);
  return 0;
}

int BecomeRootInUserns(ChildCtx* ctx, bool setgroups_allowed) {
  long r;
  if (setgroups_allowed) {
    r = sys::Raw(__NR_setgroups, 0, 0);
    if (r < 0) ChildFail(ctx, static_cast<int>(-r), "setgroups");
  }
  r = sys::Raw(__NR_setresgid, 0, 0, 0);
  if (r < 0) ChildFail(ctx, static_cast<int>(-r), "setresgid 0 in the user namespace");
  r = sys::Raw(__NR_setresuid, 0, 0, 0);
  if (r < 0) ChildFail(ctx, static_cast<int>(-r), "setresuid 0 in the user namespace");
  // A credential change clears the parent-death signal.
  sys::Prctl(PR_SET_PDEATHSIG, SIGKILL);
  return 0;
}

int UserNamespace(ChildCtx* ctx, const Op& op) {
  if (OpInt(op, 1)) {
    long r = sys::Unshare(CLONE_NEWUSER);
    if (r < 0) ChildFail(ctx, static_cast<int>(-r), "unshare");
  }
  // The parent writes our maps. Non-dumpable, /proc/<us>/* belongs to the real root, which a
  // rootless parent is not: dumpable for that moment only, before any container code runs.
  bool rootless = OpInt(op, 0) != 0;
  if (rootless) sys::Prctl(PR_SET_DUMPABLE, 1);
  ChildSync(ctx, kSyncUsernsReady);
  if (rootless) sys::Prctl(PR_SET_DUMPABLE, 0);
  return BecomeRootInUserns(ctx, !rootless);
}

int TimeNamespace(ChildCtx* ctx, const Op& op) {
  long r = sys::Unshare(CLONE_NEWTIME);
  if (r < 0) ChildFail(ctx, static_cast<int>(-r), "unshare");
  // Our children (and we, at execve) enter it; the offsets must be in place before that.
  if (OpInt(op, 0)) ChildSync(ctx, kSyncTimeOffsets);
  return 0;
}

int ForkInit(ChildCtx* ctx) {
  long pid = sys::Raw(__NR_clone, CLONE_PARENT | SIGCHLD, 0, 0, 0, 0);
  if (pid < 0) ChildFail(ctx, static_cast<int>(-pid), "clone");
  if (pid > 0) {
    // The intermediate: tell the parent who the init is, and go.
    ChildSync(ctx, kSyncInitPid, static_cast<uint32_t>(pid));
    sys::ExitGroup(0);
  }
  // The init. Our parent is the runtime now (CLONE_PARENT); these do not survive fork.
  sys::Prctl(PR_SET_PDEATHSIG, SIGKILL);
  sys::Prctl(PR_SET_DUMPABLE, 0);
  sys::Raw(__NR_setsid);
  // Speak only once the parent knows our pid (the intermediate's record comes first).
  ChildAwaitAck(ctx);
  return 0;
}

// ---- LSM labels, written through procfs ----

int OpenProcAttr(ChildCtx* ctx, const char* rel) {
  char path[128];
  StrBuf b(path, sizeof(path));
  int dirfd = ctx->proc_fd;
  if (dirfd < 0) {
    b.Add("/proc/");
    dirfd = AT_FDCWD;
  }
  b.Add("thread-self/attr/").Add(rel);
  long fd = sys::OpenAt(dirfd, path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return static_cast<int>(fd);
  struct statfs sf;
  long r = sys::Raw(__NR_fstatfs, fd, sys::P(&sf));
  if (r < 0 || sf.f_type != kProcSuperMagic) {
    sys::Close(static_cast<int>(fd));
    return r < 0 ? static_cast<int>(r) : -EXDEV;
  }
  return static_cast<int>(fd);
}

int WriteAttr(ChildCtx* ctx, const char* rel, const char* alt, const char* text, size_t len) {
  int fd = OpenProcAttr(ctx, rel);
  if (fd == -ENOENT && alt) fd = OpenProcAttr(ctx, alt);
  if (fd < 0) ChildFail(ctx, -fd, "open /proc/thread-self/attr");
  long r = WriteAll(fd, text, len);
  sys::Close(fd);
  if (r < 0) ChildFail(ctx, static_cast<int>(-r), "write /proc/thread-self/attr");
  return 0;
}

int Apparmor(ChildCtx* ctx, const Op& op) {
  static char buf[4200];
  StrBuf b(buf, sizeof(buf));
  b.Add("exec ").Add(OpStr(op, 0));
  if (b.cut) ChildFail(ctx, ENAMETOOLONG, "apparmor profile");
  return WriteAttr(ctx, "apparmor/exec", "exec", buf, b.n);
}

int SelinuxLabel(ChildCtx* ctx, const Op& op) {
  return WriteAttr(ctx, "exec", nullptr, OpStr(op, 0), OpLen(op, 0));
}

// ---- scheduling ----

int Scheduler(ChildCtx* ctx, const Op& op) {
  struct {
    uint32_t size;
    uint32_t sched_policy;
    uint64_t sched_flags;
    int32_t sched_nice;
    uint32_t sched_priority;
    uint64_t sched_runtime;
    uint64_t sched_deadline;
    uint64_t sched_period;
  } attr;
  attr.size = sizeof(attr);
  attr.sched_policy = static_cast<uint32_t>(OpInt(op, 0));
  attr.sched_flags = static_cast<uint64_t>(OpInt(op, 1));
  attr.sched_nice = static_cast<int32_t>(OpInt(op, 2));
  attr.sched_priority = static_cast<uint32_t>(OpInt(op, 3));
  attr.sched_runtime = static_cast<uint64_t>(OpInt(op, 4));
  attr.sched_deadline = static_cast<uint64_t>(OpInt(op, 5));
  attr.sched_period = static_cast<uint64_t>(OpInt(op, 6));
  long r = sys::Raw(__NR_sched_setattr, 0, sys::P(&attr), 0);
  if (r < 0) ChildFail(ctx, static_cast<int>(-r), "sched_setattr");
  return 0;
}

// ---- seccomp ----

int Seccomp(ChildCtx* ctx, const Op& op) {
  struct sock_fprog prog;
  prog.len = static_cast<unsigned short>(OpLen(op, 0) / sizeof(struct sock_filter));
  prog.filter = reinterpret_cast<struct sock_filter*>(const_cast<char*>(OpStr(op, 0)));
  long r = sys::Raw(__NR_seccomp, SECCOMP_SET_MODE_FILTER, OpInt(op, 0), sys::P(&prog));
  if (r < 0) ChildFail(ctx, static_cast<int>(-r), "seccomp");
  if (OpInt(op, 1)) {
    ChildSendFd(ctx, static_cast<int>(r), kFdSeccompListener);
    sys::Close(static_cast<int>(r));
  }
  return 0;
}

// ---- cwd (CVE-2024-21626: resolved inside the root, no magic links, no inherited fd) ----

long OpenInRoot(int root, const char* path, uint64_t flags) {
  struct open_how how;
  how.flags = flags | O_PATH | O_CLOEXEC;
  how.mode = 0;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  return sys::RawNoIntr(__NR_openat2, root, sys::P(path), sys::P(&how), sizeof(how));
}

[[noreturn]] void CwdFail(ChildCtx* ctx, const char* cwd, int err) {
  static char msg[4200];
  StrBuf b(msg, sizeof(msg));
  b.Add("chdir to cwd (\"").Add(cwd).Add("\") set in config.json failed: ").Add(ErrnoText(err));
  ChildFailMsg(ctx, err, msg);
}

// Without openat2 (a kernel before 5.6, or a seccomp filter or LSM that refuses it): a plain
// chdir, as runc does, and then the check runc added for CVE-2024-21626: getcwd fails (or
// answers "(unreachable)...") when the directory is outside the process's root, which is how
// a magic link to an inherited host fd shows. The plain path creates nothing: a missing cwd
// is only made where openat2 keeps each step inside the root.
int CwdPlain(ChildCtx* ctx, const char* cwd) {
  long r = sys::Raw(__NR_chdir, sys::P(cwd));
  if (r == -EACCES || r == -EPERM) {
    long fd = sys::OpenAt(AT_FDCWD, cwd, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
      g_cwd_retry_fd = static_cast<int>(fd);
      return 0;
    }
  }
  if (r < 0) CwdFail(ctx, cwd, static_cast<int>(-r));
  static char buf[4200];
  r = sys::Raw(__NR_getcwd, sys::P(buf), sizeof(buf));
  if (r < 0 || buf[0] != '/') {
    static char msg[4300];
    StrBuf b(msg, sizeof(msg));
    b.Add("chdir to cwd (\"").Add(cwd).Add("\") set in config.json failed: the directory is outside the container's root");
    ChildFailMsg(ctx, EPERM, msg);
  }
  return 0;
}

}  // namespace

int g_cwd_retry_fd = -1;

namespace {

int Cwd(ChildCtx* ctx, const Op& op) {
  const char* cwd = OpStr(op, 0);
  g_cwd_path = cwd;
  long root = sys::OpenAt(AT_FDCWD, "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0) ChildFail(ctx, static_cast<int>(-root), "open /");
  long fd = OpenInRoot(static_cast<int>(root), cwd, O_DIRECTORY);
  if (fd == -ENOSYS || fd == -EPERM) {
    sys::Close(static_cast<int>(root));
    return CwdPlain(ctx, cwd);
  }
  if (fd == -ENOENT && !OpInt(op, 0)) {
    // mkdir -p, each prefix resolved from the root again (a symlink cannot lead out).
    static char prefix[4096];
    size_t len = OpLen(op, 0);
    if (len >= sizeof(prefix)) ChildFail(ctx, ENAMETOOLONG, "mkdir");
    long parent = sys::Raw(__NR_dup, root);
    size_t i = 0;
    while (i < len) {
      while (i < len && cwd[i] == '/') i++;
      size_t start = i;
      while (i < len && cwd[i] != '/') i++;
      if (i == start) break;
      for (size_t k = 0; k < i; k++) prefix[k] = cwd[k];
      prefix[i] = 0;
      long next = OpenInRoot(static_cast<int>(root), prefix, O_DIRECTORY);
      if (next == -ENOENT) {
        static char name[256];
        size_t n = i - start < 255 ? i - start : 255;
        for (size_t k = 0; k < n; k++) name[k] = cwd[start + k];
        name[n] = 0;
        long m = sys::MkdirAt(static_cast<int>(parent), name, 0755);
        if (m < 0 && m != -EEXIST) {
          static char msg[4200];
          StrBuf b(msg, sizeof(msg));
          b.Add("mkdir ").Add(cwd).Add(": ").Add(ErrnoText(static_cast<int>(-m)));
          ChildFailMsg(ctx, static_cast<int>(-m), msg);
        }
        next = OpenInRoot(static_cast<int>(root), prefix, O_DIRECTORY);
      }
      if (next < 0) break;
      sys::Close(static_cast<int>(parent));
      parent = next;
    }
    sys::Close(static_cast<int>(parent));
    fd = OpenInRoot(static_cast<int>(root), cwd, O_DIRECTORY);
  }
  sys::Close(static_cast<int>(root));
  if (fd < 0) CwdFail(ctx, cwd, static_cast<int>(-fd));
  long r = sys::Fchdir(static_cast<int>(fd));
  if (r == -EACCES || r == -EPERM) {
    // The runtime's root may not search it but the container's user may (a volume chowned to
    // it): runc tries again once the ids changed. ResolveExec does.
    g_cwd_retry_fd = static_cast<int>(fd);
    return 0;
  }
  sys::Close(static_cast<int>(fd));
  if (r < 0) ChildFail(ctx, static_cast<int>(-r), "fchdir");
  return 0;
}

// ---- ids and capabilities ----

int g_last_cap = -1;

int LastCap() {
  if (g_last_cap < 0) {
    int c = 0;
    while (c < 64 && sys::Prctl(PR_CAPBSET_READ, static_cast<unsigned long>(c)) >= 0) c++;
    g_last_cap = c - 1;
  }
  return g_last_cap;
}

uint64_t Supported() {
  int last = LastCap();
  return last >= 63 ? ~0ULL : ((1ULL << (last + 1)) - 1);
}

int Bounding(ChildCtx* ctx, const Op& op) {
  uint64_t keep = static_cast<uint64_t>(OpInt(op, 0));
  int last = LastCap();
  for (int c = 0; c <= last; c++) {
    if (keep & (1ULL << c)) continue;
    long r = sys::Prctl(PR_CAPBSET_DROP, static_cast<unsigned long>(c));
    if (r < 0) ChildFail(ctx, static_cast<int>(-r), "prctl PR_CAPBSET_DROP");
  }
  return 0;
}

uint32_t g_groups[65536];

// runc's fixStdioPermissions: stdio made outside (a pty slave, pipes) goes to the process's uid
// before the switch, so that a non-root process can use its own terminal; the group stays (the
// pty's is devpts' gid=5). Null devices are left alone. A refusal (an id this user namespace
// does not map, an owner it cannot change, a read-only /dev) leaves that fd as it is.
void FixStdioOwner(long uid) {
  for (int fd = 0; fd < 3; fd++) {
    struct stat st;
    if (sys::Raw(__NR_fstat, fd, sys::P(&st)) < 0) continue;
    if (static_cast<long>(st.st_uid) == uid || (S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3))) continue;
    sys::Raw(__NR_fchown, fd, uid, static_cast<long>(st.st_gid));
  }
}

int Identity(ChildCtx* ctx, const Op& op) {
  long uid = OpInt(op, 0), gid = OpInt(op, 1);
  bool keep = OpInt(op, 2) != 0;
  bool setgroups = OpInt(op, 3) != 0;
  FixStdioOwner(uid);
  unsigned n = op.nint > 4 ? op.nint - 4u : 0u;
  if (n > 65536) n = 65536;
  for (unsigned i = 0; i < n; i++) g_groups[i] = static_cast<uint32_t>(OpInt(op, 4 + i));
  long r;
  if (setgroups) {
    r = sys::Raw(__NR_setgroups, n, sys::P(g_groups));
    if (r < 0) ChildFail(ctx, static_cast<int>(-r), "setgroups");
  } else if (n) {
    ChildFail(ctx, EPERM, "setgroups (denied in this user namespace)");
  }
  if (keep) sys::Prctl(PR_SET_KEEPCAPS, 1);
  r = sys::Raw(__NR_setresgid, gid, gid, gid);
  if (r < 0) ChildFail(ctx, static_cast<int>(-r), "setresgid");
  r = sys::Raw(__NR_setresuid, uid, uid, uid);
  if (r < 0) ChildFail(ctx, static_cast<int>(-r), "setresuid");
  if (keep) sys::Prctl(PR_SET_KEEPCAPS, 0);
  // Changing credentials cleared the parent-death signal; arm it again until Ready.
  sys::Prctl(PR_SET_PDEATHSIG, SIGKILL);
  return 0;
}

int Capabilities(ChildCtx* ctx, const Op& op) {
  uint64_t mask = Supported();
  uint64_t eff = static_cast<uint64_t>(OpInt(op, 0)) & mask;
  uint64_t prm = static_cast<uint64_t>(OpInt(op, 1)) & mask;
  uint64_t inh = static_cast<uint64_t>(OpInt(op, 2)) & mask;
  uint64_t amb = static_cast<uint64_t>(OpInt(op, 3)) & mask;
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2];
  data[0].effective = static_cast<uint32_t>(eff);
  data[1].effective = static_cast<uint32_t>(eff >> 32);
  data[0].permitted = static_cast<uint32_t>(prm);
  data[1].permitted = static_cast<uint32_t>(prm >> 32);
  data[0].inheritable = static_cast<uint32_t>(inh);
  data[1].inheritable = static_cast<uint32_t>(inh >> 32);
  long r = sys::Raw(__NR_capset, sys::P(&hdr), sys::P(data));
  if (r < 0) ChildFail(ctx, static_cast<int>(-r), "capset");
  r = sys::Prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
  if (r < 0 && r != -EINVAL) ChildFail(ctx, static_cast<int>(-r), "prctl PR_CAP_AMBIENT_CLEAR_ALL");
  for (int c = 0; c < 64; c++) {
    if (!(amb & (1ULL << c))) continue;
    r = sys::Prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, static_cast<unsigned long>(c), 0, 0);
    // EPERM: the capability is not in both the permitted and the inheritable set (`runc spec`
    // and buildah write ambient without inheritable). runc and crun go on without it; the
    // plan's debug record names each such capability.
    if (r < 0 && r != -EPERM) ChildFail(ctx, static_cast<int>(-r), "prctl PR_CAP_AMBIENT_RAISE");
  }
  return 0;
}

}  // namespace

void ChildProcessReset() {
  g_njoins = -1;
  g_last_cap = -1;
  g_cwd_retry_fd = -1;
}

int RunProcessOp(ChildCtx* ctx, const Op& op) {
  long r;
  switch (op.kind) {
    case kOpNamespaces:  // taken by the parent at clone
    case kOpRlimit:      // applied by the parent at kSyncNsReady
    case kOpOomScoreAdj:
      return 0;
    case kOpJoinNamespace:
      return JoinNamespace(ctx, op);
    case kOpUserNamespace:
      return UserNamespace(ctx, op);
    case kOpUnshare:
      r = sys::Unshare(static_cast<int>(OpInt(op, 0)));
      if (r < 0) ChildFail(ctx, static_cast<int>(-r), "unshare");
      return 0;
    case kOpTimeNamespace:
      return TimeNamespace(ctx, op);
    case kOpForkInit:
      return ForkInit(ctx);
    case kOpNsReady:
      return ChildSync(ctx, kSyncNsReady);
    case kOpCgroupNamespace:
      r = sys::Unshare(CLONE_NEWCGROUP);
      if (r < 0) ChildFail(ctx, static_cast<int>(-r), "unshare");
      return 0;
    case kOpCreateContainerHooks:
      return ChildSync(ctx, kSyncHooks);
    case kOpConsole:
      return RunConsoleOp(ctx, op);
    case kOpApparmor:
      return Apparmor(ctx, op);
    case kOpSelinuxLabel:
      return SelinuxLabel(ctx, op);
    case kOpPersonality:
      r = sys::Raw(__NR_personality, OpInt(op, 0));
      if (r < 0) ChildFail(ctx, static_cast<int>(-r), "personality");
      return 0;
    case kOpScheduler:
      return Scheduler(ctx, op);
    case kOpIoPriority:
      r = sys::Raw(__NR_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, 0, OpInt(op, 0));
      if (r < 0) ChildFail(ctx, static_cast<int>(-r), "ioprio_set");
      return 0;
    case kOpMemoryPolicy:
      // set_mempolicy(mode | flags, nodemask, maxnode): the kernel reads maxnode - 1 bits.
      r = sys::Raw(__NR_set_mempolicy, OpInt(op, 0), OpLen(op, 0) ? sys::P(OpStr(op, 0)) : 0,
                   OpLen(op, 0) ? static_cast<long>(OpLen(op, 0) * 8 + 1) : 0);
      if (r < 0) ChildFail(ctx, static_cast<int>(-r), "set_mempolicy");
      return 0;
    case kOpNoNewPrivileges:
      r = sys::Prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
      if (r < 0) ChildFail(ctx, static_cast<int>(-r), "prctl PR_SET_NO_NEW_PRIVS");
      return 0;
    case kOpSeccomp:
      return Seccomp(ctx, op);
    case kOpCwd:
      return Cwd(ctx, op);
    case kOpBounding:
      return Bounding(ctx, op);
    case kOpIdentity:
      return Identity(ctx, op);
    case kOpCapabilities:
      return Capabilities(ctx, op);
    case kOpUmask:
      sys::Raw(__NR_umask, OpInt(op, 0) & 0777);
      return 0;
    case kOpResolveExec:
    case kOpReady:
    case kOpStartContainerHook:
    case kOpCpuAffinity:
    case kOpExec:
      return RunExecOp(ctx, op);
    default:
      ChildFail(ctx, EINVAL, "unknown op kind");
  }
}

}  // namespace ocirt

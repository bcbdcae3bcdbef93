// The end of the child: look args[0] up (at create, so a typo fails create with runc's phrase),
// report Ready and park on exec.fifo, run the startContainer hooks inside the container, and
// execve with nothing but stdio and the preserved fds open. A plan without Ready (exec into a
// running container) keeps the sync socket to the end instead: kSyncExec, then execve (the
// protocol in child.h). Raw syscalls only.
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "child_internal.h"

namespace ocirt {

const char* g_cwd_path = nullptr;

namespace {

constexpr size_t kMaxArgs = 1 << 15;
char* g_argv[kMaxArgs + 1];
char* g_envp[kMaxArgs + 2];
char g_path[4096];
char g_home[4200];
char g_state[1 << 16];
size_t g_state_len = 0;
char g_passwd[1 << 16];
char g_msg[4600];
const Op* g_final_affinity = nullptr;

const char* EnvGet(const char* name) {
  size_t n = StrLen(name);
  for (size_t i = 0; g_envp[i]; i++)
    if (StrStarts(g_envp[i], name) && g_envp[i][n] == '=') return g_envp[i] + n + 1;
  return nullptr;
}

// runc sets HOME from the container's /etc/passwd when the config does not ("/" without an entry).
void DefaultHome(size_t nenv) {
  long uid = sys::Raw(__NR_getuid);
  const char* home = "/";
  size_t home_len = 1;
  long fd = sys::OpenAt(AT_FDCWD, "/etc/passwd", O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    long total = 0;
    for (;;) {
      long r = sys::Read(static_cast<int>(fd), g_passwd + total, sizeof(g_passwd) - 1 - static_cast<size_t>(total));
      if (r <= 0) break;
      total += r;
      if (static_cast<size_t>(total) >= sizeof(g_passwd) - 1) break;
    }
    sys::Close(static_cast<int>(fd));
    g_passwd[total] = 0;
    // name:passwd:uid:gid:gecos:home:shell
    for (char* line = g_passwd; *line;) {
      char* end = line;
      while (*end && *end != '\n') end++;
      const char* field[7] = {nullptr};
      size_t flen[7] = {0};
      int f = 0;
      char* s = line;
      for (char* p = line; p <= end && f < 7; p++) {
        if (p == end || *p == ':') {
          field[f] = s;
          flen[f] = static_cast<size_t>(p - s);
          f++;
          s = p + 1;
        }
      }
      if (f >= 6 && flen[2] > 0) {
        long v = 0;
        bool num = true;
        for (size_t k = 0; k < flen[2]; k++) {
          if (field[2][k] < '0' || field[2][k] > '9') num = false;
          else v = v * 10 + (field[2][k] - '0');
        }
        if (num && v == uid && flen[5] > 0) {
          home = field[5];
          home_len = flen[5];
          break;
        }
      }
      line = *end ? end + 1 : end;
    }
  }
  StrBuf b(g_home, sizeof(g_home));
  b.Add("HOME=").AddN(home, home_len);
  g_envp[nenv] = g_home;
  g_envp[nenv + 1] = nullptr;
}

// Go's exec.LookPath check: exists, not a directory, executable for us (access also catches
// noexec mounts). This may run under the container's seccomp filter, so only calls every
// profile allows: plain faccessat, whose real-id check equals the effective one here (the
// Identity op set real, effective and saved ids alike), not faccessat2, which profiles older
// than Linux 5.8 do not list.
int CheckExecutable(const char* path) {
  struct stat st;
  long r = sys::Raw(__NR_newfstatat, AT_FDCWD, sys::P(path), sys::P(&st), 0);
  if (r < 0) return static_cast<int>(r);
  if (S_ISDIR(st.st_mode)) return -EISDIR;
  r = sys::Raw(__NR_faccessat, AT_FDCWD, sys::P(path), X_OK);
  if (r < 0) return static_cast<int>(r);
  if (!(st.st_mode & 0111)) return -EACCES;
  return 0;
}

int ResolveExec(ChildCtx* ctx, const Op& op) {
  size_t nargs = static_cast<size_t>(OpInt(op, 0));
  size_t nenv = static_cast<size_t>(OpInt(op, 1));
  if (nargs == 0 || nargs > kMaxArgs || nenv > kMaxArgs || nargs + nenv > op.nstr) ChildFail(ctx, E2BIG, "args");
  for (size_t i = 0; i < nargs; i++) g_argv[i] = const_cast<char*>(OpStr(op, static_cast<unsigned>(i)));
  g_argv[nargs] = nullptr;
  for (size_t i = 0; i < nenv; i++) g_envp[i] = const_cast<char*>(OpStr(op, static_cast<unsigned>(nargs + i)));
  g_envp[nenv] = nullptr;

  if (g_cwd_retry_fd >= 0) {
    long r = sys::Fchdir(g_cwd_retry_fd);
    if (r < 0) {
      StrBuf b(g_msg, sizeof(g_msg));
      b.Add("chdir to cwd (\"").Add(g_cwd_path ? g_cwd_path : "").Add("\") set in config.json failed: ").Add(ErrnoText(static_cast<int>(-r)));
      ChildFailMsg(ctx, static_cast<int>(-r), g_msg);
    }
    sys::Close(g_cwd_retry_fd);
    g_cwd_retry_fd = -1;
  }
  if (!EnvGet("HOME")) DefaultHome(nenv);

  const char* file = g_argv[0];
  StrBuf msg(g_msg, sizeof(g_msg));
  if (StrHas(file, '/')) {
    int r = CheckExecutable(file);
    if (r == 0) {
      StrBuf b(g_path, sizeof(g_path));
      b.Add(file);
      if (b.cut) ChildFail(ctx, ENAMETOOLONG, "exec");
      return 0;
    }
    msg.Add("exec: \"").Add(file).Add("\": ");
    if (r != -EISDIR && r != -EACCES) msg.Add("stat ").Add(file).Add(": ");
    msg.Add(ErrnoText(-r));
    ChildFailMsg(ctx, -r, g_msg);
  }
  const char* path = EnvGet("PATH");
  if (path && *file) {
    const char* p = path;
    for (;;) {
      const char* end = p;
      while (*end && *end != ':') end++;
      StrBuf b(g_path, sizeof(g_path));
      if (end == p) b.Add(".");  // an empty element means the current directory
      else b.AddN(p, static_cast<size_t>(end - p));
      b.Add("/").Add(file);
      if (!b.cut && CheckExecutable(g_path) == 0) return 0;
      if (!*end) break;
      p = end + 1;
    }
  }
  msg.Add("exec: \"").Add(file).Add("\": executable file not found in $PATH");
  ChildFailMsg(ctx, ENOENT, g_msg);
}

int Ready(ChildCtx* ctx) {
  if (ctx->fifo_fd < 0) ChildFail(ctx, EBADF, "exec.fifo");
  // From here the init must outlive create.
  sys::Prctl(PR_SET_PDEATHSIG, 0);
  ChildSync(ctx, kSyncReady);
  sys::Close(ctx->sync_fd);
  ctx->sync_fd = -1;
  // Park: our own write end keeps the read from seeing EOF until start writes the state.
  long fl = sys::Fcntl(ctx->fifo_fd, F_GETFL);
  if (fl >= 0) sys::Fcntl(ctx->fifo_fd, F_SETFL, fl & ~O_NONBLOCK);
  long n = sys::Read(ctx->fifo_fd, g_state, sizeof(g_state) - 1);
  if (n <= 0) ChildFail(ctx, n < 0 ? static_cast<int>(-n) : EIO, "read exec.fifo");
  g_state_len = static_cast<size_t>(n);
  sys::Close(g_fifo_w);
  g_fifo_w = -1;
  while (g_state_len < sizeof(g_state) - 1) {
    n = sys::Read(ctx->fifo_fd, g_state + g_state_len, sizeof(g_state) - 1 - g_state_len);
    if (n <= 0) break;
    g_state_len += static_cast<size_t>(n);
  }
  g_state[g_state_len] = 0;
  sys::Close(ctx->fifo_fd);
  ctx->fifo_fd = -1;
  return 0;
}

long NowMs() {
  struct timespec ts;
  sys::Raw(__NR_clock_gettime, CLOCK_MONOTONIC, sys::P(&ts));
  return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

// close_range runs under the container's seccomp filter, which may answer ENOSYS (a profile
// older than Linux 5.9) or EPERM: then one close per fd, up to the NOFILE limit.
void CloseFds(unsigned lo, unsigned hi) {
  if (lo > hi) return;
  long r = sys::CloseRange(lo, hi, 0);
  if (r != -ENOSYS && r != -EPERM) return;
  struct { uint64_t cur, max; } lim = {65536, 65536};
  sys::Raw(__NR_prlimit64, 0, RLIMIT_NOFILE, 0, sys::P(&lim));
  uint64_t end = lim.cur < (1u << 20) ? lim.cur : (1u << 20);
  for (uint64_t fd = lo; fd <= hi && fd < end; fd++) sys::Close(static_cast<int>(fd));
}

char* g_hargv[4097];
char* g_henv[4097];
char g_hout[2048];

// A startContainer hook: fork, the state on stdin, output kept for the error message, killed at
// its timeout. Runs as the container's process would (ids, caps, seccomp, root).
int StartContainerHook(ChildCtx* ctx, const Op& op) {
  long timeout = OpInt(op, 0);
  size_t nargs = static_cast<size_t>(OpInt(op, 1));
  size_t nenv = static_cast<size_t>(OpInt(op, 2));
  if (nargs > 4096 || nenv > 4096 || 1 + nargs + nenv > op.nstr) ChildFail(ctx, E2BIG, "startContainer hook");
  const char* path = OpStr(op, 0);
  for (size_t i = 0; i < nargs; i++) g_hargv[i] = const_cast<char*>(OpStr(op, static_cast<unsigned>(1 + i)));
  g_hargv[nargs] = nullptr;
  for (size_t i = 0; i < nenv; i++) g_henv[i] = const_cast<char*>(OpStr(op, static_cast<unsigned>(1 + nargs + i)));
  g_henv[nenv] = nullptr;
  int in[2], out[2];
  long r = sys::Pipe2(in, O_CLOEXEC);
  if (r >= 0) r = sys::Pipe2(out, O_CLOEXEC);
  if (r < 0) ChildFail(ctx, static_cast<int>(-r), "pipe2");
  long pid = sys::Raw(__NR_clone, SIGCHLD, 0, 0, 0, 0);
  if (pid < 0) ChildFail(ctx, static_cast<int>(-pid), "fork");
  if (pid == 0) {
    sys::Dup3(in[0], 0, 0);
    sys::Dup3(out[1], 1, 0);
    sys::Dup3(out[1], 2, 0);
    CloseFds(3, ~0U);
    long e = sys::Execve(path, g_hargv, g_henv);
    StrBuf b(g_msg, sizeof(g_msg));
    b.Add("exec: ").Add(ErrnoText(static_cast<int>(-e)));
    WriteAll(2, g_msg, b.n);
    sys::ExitGroup(127);
  }
  sys::Close(in[0]);
  sys::Close(out[1]);
  // A hook that does not read its stdin must not kill us with SIGPIPE.
  sys::SetSignal(SIGPIPE, sys::kSigIgn);
  WriteAll(in[1], g_state, g_state_len);
  sys::Close(in[1]);
  sys::SetSignal(SIGPIPE, sys::kSigDfl);

  long pidfd = sys::Raw(__NR_pidfd_open, pid, 0);
  long deadline = timeout > 0 ? NowMs() + timeout * 1000 : 0;
  size_t got = 0;
  bool timed_out = false;
  struct pollfd pfd[2];
  pfd[0].fd = static_cast<int>(pidfd);
  pfd[0].events = POLLIN;
  pfd[1].fd = out[0];
  pfd[1].events = POLLIN;
  for (;;) {
    struct timespec ts, *tsp = nullptr;
    if (deadline) {
      long left = deadline - NowMs();
      if (left < 0) left = 0;
      ts.tv_sec = left / 1000;
      ts.tv_nsec = (left % 1000) * 1000000;
      tsp = &ts;
    }
    pfd[0].revents = pfd[1].revents = 0;
    long n = sys::Raw(__NR_ppoll, sys::P(pfd), 2, sys::P(tsp), 0, 8);
    if (n == -EINTR) continue;
    if (n == 0) {
      sys::Kill(static_cast<int>(pid), SIGKILL);
      timed_out = true;
      break;
    }
    if (n < 0) break;
    if (pfd[1].revents) {
      char tmp[512];
      long k = sys::Read(out[0], tmp, sizeof(tmp));
      if (k <= 0) pfd[1].fd = -1;
      for (long i = 0; i < k && got + 1 < sizeof(g_hout); i++) g_hout[got++] = tmp[i];
    }
    if (pfd[0].revents) break;
    if (pidfd < 0 && pfd[1].fd < 0) break;  // no pidfd: the end of its output will do
  }
  int status = 0;
  sys::Wait4(static_cast<int>(pid), &status, 0);
  if (pidfd >= 0) sys::Close(static_cast<int>(pidfd));
  sys::Close(out[0]);
  g_hout[got] = 0;
  while (got > 0 && (g_hout[got - 1] == '\n' || g_hout[got - 1] == ' ')) g_hout[--got] = 0;
  if (!timed_out && WIFEXITED(status) && WEXITSTATUS(status) == 0) return 0;
  StrBuf b(g_msg, sizeof(g_msg));
  // The words of every other hook phase (src/hooks/run.ts hookFailure), runc's.
  b.Add("startContainer hook ").Add(path).Add(" (config.json /hooks/startContainer/").Num(OpInt(op, 3)).Add("): ");
  if (timed_out) b.Add("hook ran past specified timeout of ").Num(timeout).Add(".0s");
  else if (WIFSIGNALED(status) && SignalText(WTERMSIG(status))) b.Add("signal: ").Add(SignalText(WTERMSIG(status)));
  else if (WIFSIGNALED(status)) b.Add("signal: signal ").Num(WTERMSIG(status));
  else b.Add("exit status ").Num(WEXITSTATUS(status));
  if (got) b.Add(": ").Add(g_hout);
  ChildFailMsg(ctx, 0, g_msg);
}

int CpuAffinity(ChildCtx* ctx, const Op& op) {
  if (OpInt(op, 0)) {
    g_final_affinity = &op;
    return 0;
  }
  long r = sys::Raw(__NR_sched_setaffinity, 0, OpLen(op, 0), sys::P(OpStr(op, 0)));
  if (r < 0) ChildFail(ctx, static_cast<int>(-r), "sched_setaffinity");
  return 0;
}

[[noreturn]] void Exec(ChildCtx* ctx, const Op& op) {
  unsigned preserved = static_cast<unsigned>(OpInt(op, 0));
  unsigned keep = 3 + preserved;
  // No Ready op ran (a process exec'd into a running container): the parent still listens, and
  // the socket, close-on-exec, tells it how execve went. It must not sit among the fds the
  // process gets (the socketpair takes the lowest free numbers, maybe a "preserved" one).
  int sync = ctx->sync_fd;
  if (sync >= 0 && static_cast<unsigned>(sync) < keep) {
    long d = sys::Fcntl(sync, F_DUPFD_CLOEXEC, static_cast<long>(keep));
    if (d < 0) ChildFail(ctx, static_cast<int>(-d), "fcntl F_DUPFD_CLOEXEC");
    sys::Close(sync);
    ctx->sync_fd = sync = static_cast<int>(d);
  }
  // Nothing of the runtime's may leak in (CVE-2024-21626): stdio and the preserved fds only.
  if (sync >= 0) {
    CloseFds(keep, static_cast<unsigned>(sync) - 1);
    CloseFds(static_cast<unsigned>(sync) + 1, ~0U);
  } else {
    CloseFds(keep, ~0U);
  }
  long r;
  for (int fd = 0; fd < 3; fd++) {
    long fl = sys::Fcntl(fd, F_GETFL);
    if (fl >= 0 && (fl & O_NONBLOCK)) sys::Fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
  }
  for (int fd = 0; fd < static_cast<int>(3 + preserved); fd++) {
    long fl = sys::Fcntl(fd, F_GETFD);
    if (fl >= 0 && (fl & FD_CLOEXEC)) sys::Fcntl(fd, F_SETFD, fl & ~FD_CLOEXEC);
  }
  if (sync >= 0) {
    // The process outlives the runtime (exec --detach); until here the runtime's death ends it.
    sys::Prctl(PR_SET_PDEATHSIG, 0);
    ChildSync(ctx, kSyncExec);
  }
  if (g_final_affinity) {
    r = sys::Raw(__NR_sched_setaffinity, 0, OpLen(*g_final_affinity, 0), sys::P(OpStr(*g_final_affinity, 0)));
    if (r < 0) ChildFail(ctx, static_cast<int>(-r), "sched_setaffinity");
  }
  r = sys::Execve(g_path, g_argv, g_envp);
  StrBuf b(g_msg, sizeof(g_msg));
  b.Add("exec ").Add(g_path);
  ChildFail(ctx, static_cast<int>(-r), g_msg);
}

}  // namespace

void ChildExecReset() {
  g_cwd_path = nullptr;
  g_state_len = 0;
  g_final_affinity = nullptr;
}

int RunExecOp(ChildCtx* ctx, const Op& op) {
  switch (op.kind) {
    case kOpResolveExec:
      return ResolveExec(ctx, op);
    case kOpReady:
      return Ready(ctx);
    case kOpStartContainerHook:
      return StartContainerHook(ctx, op);
    case kOpCpuAffinity:
      return CpuAffinity(ctx, op);
    case kOpExec:
      Exec(ctx, op);
    default:
      ChildFail(ctx, EINVAL, "unknown op kind");
  }
}

}  // namespace ocirt

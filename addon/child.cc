// The init's op interpreter (ocirt-init, init_main.cc): reset what the runtime left behind
// (ignored signals and the blocked mask survive execve), arm the parent-death signal, become
// non-dumpable and a session leader, then run the plan's ops in order. Kinds >= 100 go to
// RunRootfsOp (rootfs.cc), the others to RunProcessOp (child_process.cc). The last op execve's,
// so the loop never ends. Records to the runtime follow the protocol drawn in child.h.
//
// Failure before Ready: a kSyncError record (op index, errno, step) and exit 1; the runtime
// turns it into "mount proc on /proc (config.json /mounts/1): mount: operation not permitted".
// Failure after Ready (start hooks, execve): the runtime is gone, so the message goes to the
// container's stderr and the init exits 127 (not found), 126 (not executable) or 1, as a shell.
//
// Apparmor and SELinux labels are written through the verified procfs (child_process.cc); no
// test here covers them, since the test host has neither LSM.
#include "child_internal.h"
#include "rootfs_ops.h"

#include <errno.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace ocirt {

int g_fifo_w = -1;
bool g_dry_run = false;
static ChildCtx g_ctx;

void ChildProcessReset();
void ChildExecReset();
// Statics back to their state at start (for childDryRun, which runs the interpreter in-process).
void ChildResetState() {
  g_fifo_w = -1;
  ChildProcessReset();
  ChildExecReset();
}

static long SendRecord(int fd, const SyncRecord& r, int passfd) { return sys::SendWithFd(fd, &r, sizeof(r), passfd); }

static void FillRecord(SyncRecord* r, uint32_t type, uint32_t op_index, uint32_t arg) {
  char* z = reinterpret_cast<char*>(r);
  for (size_t i = 0; i < sizeof(*r); i++) z[i] = 0;
  r->type = type;
  r->op_index = op_index;
  r->arg = arg;
}

// Waits for the parent's answer; anything but kSyncAck (kSyncAbort, EOF, an error) ends the child.
void ChildAwaitAck(ChildCtx* ctx) {
  SyncRecord r;
  long n = sys::Read(ctx->sync_fd, &r, sizeof(r));
  if (n != static_cast<long>(sizeof(r)) || r.type != kSyncAck) sys::ExitGroup(1);
}

int ChildSync(ChildCtx* ctx, uint32_t type, uint32_t arg) {
  SyncRecord r;
  FillRecord(&r, type, ctx->op_index, arg);
  if (SendRecord(ctx->sync_fd, r, -1) < 0) sys::ExitGroup(1);
  if (type == kSyncError || type == kSyncReady || type == kSyncInitPid || type == kSyncExec) return 0;
  ChildAwaitAck(ctx);
  return 0;
}

int ChildSendFd(ChildCtx* ctx, int fd, uint32_t purpose) {
  SyncRecord r;
  FillRecord(&r, kSyncFd, ctx->op_index, purpose);
  long rc = SendRecord(ctx->sync_fd, r, fd);
  if (rc < 0) ChildFail(ctx, static_cast<int>(-rc), "sendmsg");
  ChildAwaitAck(ctx);
  return 0;
}

[[noreturn]] static void Fail(ChildCtx* ctx, int err, const char* text, bool full) {
  if (ctx->sync_fd >= 0) {
    SyncRecord r;
    FillRecord(&r, kSyncError, ctx->op_index, full ? kErrFullMessage : 0);
    r.err = err;
    StrBuf b(r.detail, sizeof(r.detail));
    b.Add(text ? text : "");
    SendRecord(ctx->sync_fd, r, -1);
    sys::ExitGroup(1);
  }
  // After Ready nobody reads the socket: tell the container's stderr, as a shell would.
  char msg[1024];
  StrBuf b(msg, sizeof(msg));
  b.Add("ocirt: ").Add(text ? text : "");
  if (!full && err) b.Add(": ").Add(ErrnoText(err));
  b.Add("\n");
  WriteAll(2, msg, b.n);
  sys::ExitGroup(err == ENOENT ? 127 : (err == EACCES || err == ENOEXEC) ? 126 : 1);
}

void ChildFail(ChildCtx* ctx, int err, const char* detail) { Fail(ctx, err, detail, false); }
void ChildFailMsg(ChildCtx* ctx, int err, const char* msg) { Fail(ctx, err, msg, true); }

[[noreturn]] static void RunPlan(ChildCtx* ctx, uint32_t first) {
  const Plan* plan = ctx->plan;
  for (uint32_t i = first; i < plan->nops; i++) {
    ctx->op_index = i;
    const Op& op = plan->ops[i];
    if (op.kind >= 100) {
      if (g_dry_run) sys::Raw(100000 + op.kind);  // childDryRun logs and skips the rootfs ops
      else RunRootfsOp(ctx, op);
    }
    else RunProcessOp(ctx, op);
  }
  ChildFail(ctx, ENOEXEC, "the plan ends without an exec op");
}

// The child is a copy of Node: every fd Node had is ours too, O_CLOEXEC or not (the state
// directory's flock among them, which would block the next command). Keep stdio, the preserved
// fds, our three, the user namespace fds of idmapped mounts and the bind sources ocirt opened
// (named in the plan's Mount ops).
static void CloseInherited(const ChildStart& st) {
  constexpr int kMaxKeep = 3 + 32;
  int keep[kMaxKeep] = {st.sync_fd, st.fifo_r, st.fifo_w};
  int n = 3;
  for (uint32_t i = 0; st.plan && i < st.plan->nops && n < kMaxKeep; i++) {
    const Op& op = st.plan->ops[i];
    if (op.kind == kOpMount && (OpInt(op, 4) & (kMountIdmap | kMountSourceFd)) && OpInt(op, 5, -1) >= 0) keep[n++] = static_cast<int>(OpInt(op, 5));
  }
  for (int i = 1; i < n; i++)
    for (int j = i; j > 0 && keep[j] < keep[j - 1]; j--) {
      int t = keep[j];
      keep[j] = keep[j - 1];
      keep[j - 1] = t;
    }
  unsigned lo = static_cast<unsigned>(st.keep_below < 3 ? 3 : st.keep_below);
  for (int i = 0; i < n; i++) {
    if (keep[i] < 0 || static_cast<unsigned>(keep[i]) < lo) continue;
    if (static_cast<unsigned>(keep[i]) > lo) sys::CloseRange(lo, static_cast<unsigned>(keep[i]) - 1, 0);
    lo = static_cast<unsigned>(keep[i]) + 1;
  }
  sys::CloseRange(lo, ~0U, 0);
}

void ChildMain(const ChildStart& st) {
  // Node ignores SIGPIPE and SIGXFSZ and blocks every signal around the clone; ignored
  // dispositions and the mask survive our execve.
  sys::ResetSignals();
  ChildCtx* ctx = &g_ctx;
  ctx->plan = st.plan;
  ctx->sync_fd = st.sync_fd;
  ctx->rootfs_fd = -1;
  ctx->proc_fd = -1;
  ctx->fifo_fd = st.fifo_r;
  g_fifo_w = st.fifo_w;
  ctx->op_index = 0;
  CloseInherited(st);
  // Killed with the parent until Ready (cleared there: the init must outlive create).
  sys::Prctl(PR_SET_PDEATHSIG, SIGKILL);
  // Non-dumpable until execve: without CAP_SYS_PTRACE nothing in the container may open
  // /proc/<init>/exe; with it, what it opens is the sealed memfd, never a host file (CVE-2019-5736).
  sys::Prctl(PR_SET_DUMPABLE, 0);
  // Our own session, as runc's init: the container is out of the caller's job control.
  sys::Raw(__NR_setsid);
  RunPlan(ctx, st.first_op);
}

}  // namespace ocirt

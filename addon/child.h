// What every piece of code of the container side shares: it runs in ocirt-init (init_main.cc),
// the program the runtime's clone execs from a sealed memfd, and in the test-only dry-run addon.
//
// Note to the rootfs side (from the process side, addon/child.cc): the kernel seam is
// addon/syscalls.h (sys::Raw and friends, -errno results); using it for your calls too makes
// them visible to the dry-run recorder. ChildCtx is unchanged; ctx->fifo_fd is set by the
// process side before op 0 and must not be touched by rootfs ops.
//
// Raw syscalls only, through the seam: no malloc, no C++ exceptions, no std::string, no N-API,
// no stdio (test/unit/contract.test.ts holds the init's libc imports to an allowlist). Handlers get a ChildCtx and one Op, return 0 on success, and report a failure with
// ChildFail (which does not return).
#pragma once
#include <cstdint>
#include "contract.gen.h"
#include "plan.h"

namespace ocirt {

// Records on the sync socket: one fixed-size SyncRecord both ways, its types (SyncType), the fd
// purposes and kOpIndexCgroupPlacement come from contract/contract.json (contract.gen.h).
//   Error        child -> parent: op `op_index` failed with `err`; `detail` says which step
//                (arg kErrFullMessage: `detail` is the whole message, the exec lookup's runc phrase)
//   UsernsReady  child -> parent: write my uid/gid maps now; parent answers Ack
//   NsReady      child -> parent: namespaces exist; parent runs prestart/createRuntime hooks, answers Ack
//   Hooks        child -> parent: run createContainer hooks now (before pivot); parent answers Ack
//   Ready        child -> parent: parked on exec.fifo; create may return
//   Ack / Abort  parent -> child: go on / give up (a hook failed; the child exits)
//   Fd           child -> parent: an fd rides with this record (SCM_RIGHTS); arg = SyncFdPurpose
//   TimeOffsets  child -> parent: I unshared the time namespace; write my timens_offsets
//   InitPid      intermediate -> parent: the init is pid `arg` (slow path); the init waits for the Ack
//   Exec         child -> parent: a plan without Ready (exec into a running container) execve's next;
//                the socket is close-on-exec, so EOF means it did, an Error that it failed. Not answered.

struct ChildCtx {
  const Plan* plan;
  uint32_t op_index;  // the op being run; ChildFail reports it
  int sync_fd;        // our end of the socketpair with the parent
  int rootfs_fd;      // O_PATH|O_DIRECTORY fd of the container's rootfs, -1 until a rootfs op opens it
  int proc_fd;        // verified procfs handle, -1 until known
  int fifo_fd;        // exec.fifo, -1 until opened
};

[[noreturn]] void ChildFail(ChildCtx* ctx, int err, const char* detail);

// Sends `type` and, unless it is kSyncError/kSyncReady, waits for the parent's answer.
// Returns 0 on kSyncAck; on kSyncAbort or a broken socket it exits the child.
int ChildSync(ChildCtx* ctx, uint32_t type, uint32_t arg = 0);

// Sends an fd to the parent (kSyncFd, SCM_RIGHTS) and waits for its answer.
int ChildSendFd(ChildCtx* ctx, int fd, uint32_t purpose);

// Root filesystem ops (kinds 100..199), implemented in addon/rootfs*.cc.
int RunRootfsOp(ChildCtx* ctx, const Op& op);

}  // namespace ocirt

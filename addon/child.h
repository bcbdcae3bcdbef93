// What every piece of code that runs in the cloned child shares.
//
// Note to the rootfs side (from the process side, addon/child.cc): the kernel seam is
// addon/syscalls.h (sys::Raw and friends, -errno results); using it for your calls too makes
// them visible to the dry-run recorder. ChildCtx is unchanged; ctx->fifo_fd is set by the
// process side before op 0 and must not be touched by rootfs ops.
//
// After clone the child is a copy of a multithreaded process: it may only make raw,
// async-signal-safe syscalls. No malloc, no C++ exceptions, no std::string, no N-API, no
// stdio. Handlers get a ChildCtx and one Op, return 0 on success, and report a failure with
// ChildFail (which does not return).
#pragma once
#include <cstdint>
#include "plan.h"

namespace ocirt {

// Records on the sync socket. Both directions use this one fixed-size record.
enum SyncType : uint32_t {
  kSyncError = 1,        // child -> parent: op `op_index` failed with `err`; `detail` says which step
  kSyncUsernsReady = 2,  // child -> parent: write my uid/gid maps now; parent answers kSyncAck
  kSyncNsReady = 3,      // child -> parent: namespaces exist; parent runs prestart/createRuntime hooks, answers kSyncAck
  kSyncHooks = 4,        // child -> parent: run createContainer hooks now (before pivot); parent answers kSyncAck
  kSyncReady = 5,        // child -> parent: parked on exec.fifo; create may return
  kSyncAck = 6,          // parent -> child: go on
  kSyncAbort = 7,        // parent -> child: give up (a hook failed); the child exits
  kSyncFd = 8,           // child -> parent: an fd rides with this record (SCM_RIGHTS); arg = SyncFdPurpose; parent answers kSyncAck
  kSyncTimeOffsets = 9,  // child -> parent: I unshared the time namespace; write my timens_offsets; parent answers kSyncAck
  kSyncInitPid = 10,     // intermediate -> parent: the init is pid `arg` (slow path); the init waits for the parent's kSyncAck
  kSyncExec = 11,        // child -> parent: a plan without Ready (exec into a running container) execve's next; the
                         // socket is close-on-exec, so EOF means it did, a kSyncError that it failed. Not answered.
};

enum SyncFdPurpose : uint32_t {
  kFdConsole = 1,           // the pty master
  kFdSeccompListener = 2,   // the seccomp user-notification fd
};

// arg of a kSyncError record: bit 0 set means `detail` is the whole message (the exec lookup's
// runc phrase), not a step name to combine with the op's description and the errno.
constexpr uint32_t kErrFullMessage = 1;

// op_index of a kSyncError while the child moves itself into its v1 cgroups, before op 0.
constexpr uint32_t kOpIndexCgroupPlacement = 0xffffffffu;

struct SyncRecord {
  uint32_t type;
  int32_t err;        // errno for kSyncError
  uint32_t op_index;  // index into the plan's ops
  uint32_t arg;       // type-specific
  char detail[240];   // NUL-terminated static text of the failing step ("openat2", "mount_setattr")
};

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

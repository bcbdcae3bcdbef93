// What every piece of code of the container side shares: it runs in ocirt-init (init_main.cc),
// the program the runtime's clone execs from a sealed memfd, and in the test-only dry-run addon.
//
// Raw syscalls only, through the seam of addon/syscalls.h (sys::Raw and friends, -errno
// results), so the dry-run recorder sees every call: no malloc, no C++ exceptions, no
// std::string, no N-API, no stdio (test/unit/contract.test.ts holds the init's libc imports to
// an allowlist). Handlers get a ChildCtx and one Op, return 0 on success, and report a failure
// with ChildFail (which does not return).
#pragma once
#include <cstdint>
#include "contract.gen.h"
#include "plan.h"

namespace ocirt {

// ---- The sync protocol --------------------------------------------------------------------
// The runtime (addon/spawn.cc, in node) and the container side talk over one SOCK_SEQPACKET
// socketpair, one fixed-size SyncRecord per message both ways. The record's layout, the types,
// the fd purposes and kOpIndexCgroupPlacement come from contract/contract.json (sync), so
// TypeScript and C++ agree. An op that needs the runtime sends a record and waits for its
// answer; the runtime serves one record at a time, synchronously. In the order they come:
//
//   runtime (spawn.cc)                            clone (spawn.cc ExecInit), then ocirt-init
//   clone[3] with op 0's namespaces ----------->  0 into the v1 `tasks` files
//                                                 (fails: Error op_index=kOpIndexCgroupPlacement)
//                          <-- UsernsReady ----   born in a user namespace: before the exec,
//   write setgroups, uid_map, gid_map               or the exec would drop every capability
//                              --- Ack ------->   setresgid/setresuid 0; execveat ocirt-init
//                                                 runs the plan's ops in order:
//                          <-- UsernsReady ----   UserNamespace op (unshared, not at clone)
//   write the maps             --- Ack ------->
//                          <-- TimeOffsets ----   TimeNamespace op: unshared, not yet entered
//   write timens_offsets       --- Ack ------->
//                          <-- InitPid(arg) ---   ForkInit op (joined pid namespace): the
//   reap the intermediate                           intermediate forks the init (CLONE_PARENT),
//                              --- Ack ------->     says its pid and exits; the init waits for
//                                                   this Ack before it speaks
//                          <-- NsReady --------   NsReady op: every namespace exists
//   prlimit (Rlimit ops, or the caller's NOFILE), oom_score_adj, onEvent('namespaces-ready'):
//   cgroup placement, prestart/createRuntime hooks
//                              --- Ack|Abort ->
//                          <-- Hooks ----------   CreateContainerHooks op, before the pivot
//   onEvent('create-container-hooks')
//                              --- Ack|Abort ->
//                          <-- Fd + SCM_RIGHTS    Console op (the pty master), Seccomp op (the
//   onEvent('fd'), arg = SyncFdPurpose              listener); the fd is the caller's now
//                              --- Ack|Abort ->
//                          <-- Ready ----------   Ready op (create): the init closes its end
//   return the pid                                  and parks on exec.fifo
//                          <-- Exec -----------   Exec op of a plan without Ready (exec into a
//   not answered; EOF:                              running container): the socket is
//   execve succeeded, return the pid                close-on-exec
//
// At any point before Ready (or the Exec EOF):
//                          <-- Error ----------   op `op_index` failed with `err`; `detail`
//   kill, reap, throw                               names the step (arg kErrFullMessage: it is
//                                                   the whole message, a runc phrase); exit 1
// Abort (onEvent threw), EOF or a broken socket: the waiting side exits (the init with 1; the
// runtime kills and reaps it and throws). `detail` is cut to fit and then ends with "...".
// After Ready nobody reads the socket: a failure goes to the container's stderr (child.cc).

struct ChildCtx {
  const Plan* plan;
  uint32_t op_index;  // the op being run; ChildFail reports it
  int sync_fd;        // our end of the socketpair with the parent
  int rootfs_fd;      // O_PATH|O_DIRECTORY fd of the container's rootfs, -1 until a rootfs op opens it
  int proc_fd;        // verified procfs handle, -1 until known
  int fifo_fd;        // exec.fifo's read end, set before op 0; only the Ready op uses it
};

[[noreturn]] void ChildFail(ChildCtx* ctx, int err, const char* detail);

// Sends `type` and, unless nothing answers it (Error, Ready, InitPid, Exec: the protocol above),
// waits for the parent's answer. Returns 0 on kSyncAck; on kSyncAbort or a broken socket it
// exits the child.
int ChildSync(ChildCtx* ctx, uint32_t type, uint32_t arg = 0);

// Sends an fd to the parent (kSyncFd, SCM_RIGHTS) and waits for its answer.
int ChildSendFd(ChildCtx* ctx, int fd, uint32_t purpose);

// Root filesystem ops (kinds 100..199), implemented in addon/rootfs*.cc.
int RunRootfsOp(ChildCtx* ctx, const Op& op);

}  // namespace ocirt

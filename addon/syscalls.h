// The syscall seam of the child: every kernel call the child makes goes through one function
// pointer, sys::g_raw, with the kernel's own convention (a result >= 0, or -errno; errno is never
// read). The real entry is a thin wrapper of syscall(2); a test harness swaps in a recorder that
// logs (nr, args) and answers from a script, so the order of calls and the mapping of errors to
// messages can be checked without root (see DryRun in child.cc).
//
// Only async-signal-safe code here: no allocation, no locks, no errno-dependent libc.
#pragma once
#include <errno.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>

#ifndef __NR_clone3
#define __NR_clone3 435
#endif
#ifndef __NR_close_range
#define __NR_close_range 436
#endif
#ifndef __NR_openat2
#define __NR_openat2 437
#endif
#ifndef __NR_pidfd_open
#define __NR_pidfd_open 434
#endif
#ifndef __NR_faccessat2
#define __NR_faccessat2 439
#endif
#ifndef __NR_open_tree
#define __NR_open_tree 428
#endif
#ifndef __NR_move_mount
#define __NR_move_mount 429
#endif
#ifndef __NR_mount_setattr
#define __NR_mount_setattr 442
#endif
#ifndef __NR_sched_setattr
#define __NR_sched_setattr 314
#endif

namespace ocirt {
namespace sys {

using RawFn = long (*)(long nr, long a, long b, long c, long d, long e, long f);

// The real one: syscall(nr, ...) mapped to -errno. Defined in child.cc.
long RealRaw(long nr, long a, long b, long c, long d, long e, long f);
extern RawFn g_raw;

inline long Raw(long nr, long a = 0, long b = 0, long c = 0, long d = 0, long e = 0, long f = 0) {
  return g_raw(nr, a, b, c, d, e, f);
}
// Retries EINTR (signals are at their defaults in the child, but a stop/continue may interrupt).
inline long RawNoIntr(long nr, long a = 0, long b = 0, long c = 0, long d = 0, long e = 0, long f = 0) {
  long r;
  do r = g_raw(nr, a, b, c, d, e, f);
  while (r == -EINTR);
  return r;
}
template <class T>
inline long P(T* p) { return reinterpret_cast<long>(p); }

[[noreturn]] inline void ExitGroup(int code) {
  Raw(__NR_exit_group, code);
  __builtin_unreachable();
}
inline long OpenAt(int dirfd, const char* path, int flags, int mode = 0) { return RawNoIntr(__NR_openat, dirfd, P(path), flags, mode); }
inline long Close(int fd) { return Raw(__NR_close, fd); }
inline long Read(int fd, void* buf, unsigned long n) { return RawNoIntr(__NR_read, fd, P(buf), static_cast<long>(n)); }
inline long Write(int fd, const void* buf, unsigned long n) { return RawNoIntr(__NR_write, fd, P(buf), static_cast<long>(n)); }
inline long Prctl(int op, unsigned long a = 0, unsigned long b = 0, unsigned long c = 0, unsigned long d = 0) {
  return Raw(__NR_prctl, op, static_cast<long>(a), static_cast<long>(b), static_cast<long>(c), static_cast<long>(d));
}
inline long Fcntl(int fd, int cmd, long arg = 0) { return Raw(__NR_fcntl, fd, cmd, arg); }
inline long Dup3(int from, int to, int flags) { return Raw(__NR_dup3, from, to, flags); }
inline long Ioctl(int fd, unsigned long req, long arg) { return Raw(__NR_ioctl, fd, static_cast<long>(req), arg); }
inline long Setns(int fd, int type) { return Raw(__NR_setns, fd, type); }
inline long Unshare(int flags) { return Raw(__NR_unshare, flags); }
inline long Getpid() { return Raw(__NR_getpid); }
inline long Kill(int pid, int sig) { return Raw(__NR_kill, pid, sig); }
inline long Wait4(int pid, int* status, int options) { return RawNoIntr(__NR_wait4, pid, P(status), options, 0); }
inline long Pipe2(int* fds, int flags) { return Raw(__NR_pipe2, P(fds), flags); }
inline long MkdirAt(int dirfd, const char* path, int mode) { return Raw(__NR_mkdirat, dirfd, P(path), mode); }
inline long Fchdir(int fd) { return Raw(__NR_fchdir, fd); }
inline long CloseRange(unsigned first, unsigned last, unsigned flags) { return Raw(__NR_close_range, first, last, flags); }
inline long Execve(const char* path, char* const* argv, char* const* envp) { return Raw(__NR_execve, P(path), P(argv), P(envp)); }
inline long Execveat(int fd, const char* path, char* const* argv, char* const* envp, int flags) {
  return Raw(__NR_execveat, fd, P(path), P(argv), P(envp), flags);
}

// ---- Built on the seam, shared by the init, the addon's parent side and its forked children
// (syscalls.cc). Raw syscalls only, so ocirt-init may link them. ----

// sendmsg of `len` bytes from `data` on `sock` with MSG_NOSIGNAL, and `fd` riding along
// (SCM_RIGHTS) unless it is negative. Bytes sent (a stream may take fewer), or -errno.
long SendWithFd(int sock, const void* data, unsigned long len, int fd);
// recvmsg of up to `len` bytes into `data`. The first fd that rode along lands in *fd
// (close-on-exec; -1 when none), any others are closed. Bytes read (0: EOF), or -errno.
long RecvWithFd(int sock, void* data, unsigned long len, int* fd);

constexpr unsigned long kSigDfl = 0;
constexpr unsigned long kSigIgn = 1;
// rt_sigaction of `sig` to `handler` (kSigDfl or kSigIgn), no flags, empty mask.
long SetSignal(int sig, unsigned long handler);
// Every signal to its default and the mask cleared: an ignored disposition and the blocked mask
// survive execve, and a copy of Node (a forked child) must run none of Node's handlers.
void ResetSignals();

}  // namespace sys
}  // namespace ocirt

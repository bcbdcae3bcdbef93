// What the init, the addon and the dry-run share below the interpreter: the real syscall entry of
// the seam (syscalls.h), a write loop, fd passing over a unix socket (the sync socket both ways,
// the console and seccomp sockets of sendFd) and the signal reset of every process ocirt forks.
// Raw syscalls only: ocirt-init links this file (test/unit/contract.test.ts holds its imports).
#include <errno.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include "child_internal.h"

namespace ocirt {

namespace sys {
long RealRaw(long nr, long a, long b, long c, long d, long e, long f) {
  long r = syscall(nr, a, b, c, d, e, f);
  return r == -1 ? -errno : r;
}
RawFn g_raw = RealRaw;

namespace {
void Zero(void* p, unsigned long n) {
  char* z = static_cast<char*>(p);
  for (unsigned long i = 0; i < n; i++) z[i] = 0;
}
}  // namespace

long SendWithFd(int sock, const void* data, unsigned long len, int fd) {
  struct iovec iov = {const_cast<void*>(data), len};
  struct msghdr msg;
  Zero(&msg, sizeof(msg));
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(struct cmsghdr) char cbuf[CMSG_SPACE(sizeof(int))];
  if (fd >= 0) {
    Zero(cbuf, sizeof(cbuf));
    msg.msg_control = cbuf;
    msg.msg_controllen = sizeof(cbuf);
    struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    const char* src = reinterpret_cast<const char*>(&fd);
    char* dst = reinterpret_cast<char*>(CMSG_DATA(c));
    for (unsigned long i = 0; i < sizeof(int); i++) dst[i] = src[i];
  }
  return RawNoIntr(__NR_sendmsg, sock, P(&msg), MSG_NOSIGNAL);
}

long RecvWithFd(int sock, void* data, unsigned long len, int* fd) {
  *fd = -1;
  struct iovec iov = {data, len};
  alignas(struct cmsghdr) char cbuf[CMSG_SPACE(sizeof(int) * 4)];
  struct msghdr msg;
  Zero(&msg, sizeof(msg));
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = cbuf;
  msg.msg_controllen = sizeof(cbuf);
  long n = RawNoIntr(__NR_recvmsg, sock, P(&msg), MSG_CMSG_CLOEXEC);
  if (n < 0) return n;
  // The headers walked by hand: CMSG_NXTHDR is a libc call, which the init may not import.
  const char* end = cbuf + msg.msg_controllen;
  for (char* at = cbuf; msg.msg_controllen && at + sizeof(struct cmsghdr) <= end;) {
    struct cmsghdr* c = reinterpret_cast<struct cmsghdr*>(at);
    if (c->cmsg_len < CMSG_LEN(0) || at + c->cmsg_len > end) break;
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
      unsigned long count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      const char* data_at = reinterpret_cast<const char*>(CMSG_DATA(c));
      for (unsigned long i = 0; i < count; i++) {
        int got;
        char* g = reinterpret_cast<char*>(&got);
        for (unsigned long k = 0; k < sizeof(int); k++) g[k] = data_at[i * sizeof(int) + k];
        if (*fd < 0) *fd = got;
        else Close(got);
      }
    }
    at += CMSG_ALIGN(c->cmsg_len);
  }
  return n;
}

long SetSignal(int sig, unsigned long handler) {
  // The kernel's struct sigaction (not libc's): handler, flags, restorer, a 64-bit mask.
  struct {
    unsigned long handler;
    unsigned long flags;
    unsigned long restorer;
    uint64_t mask;
  } act = {handler, 0, 0, 0};
  return Raw(__NR_rt_sigaction, sig, P(&act), 0, sizeof(act.mask));
}

void ResetSignals() {
  for (int sig = 1; sig <= 64; sig++)
    if (sig != SIGKILL && sig != SIGSTOP) SetSignal(sig, kSigDfl);
  uint64_t empty = 0;
  Raw(__NR_rt_sigprocmask, SIG_SETMASK, P(&empty), 0, sizeof(empty));
}
}  // namespace sys

long WriteAll(int fd, const void* buf, size_t n) {
  const char* p = static_cast<const char*>(buf);
  size_t done = 0;
  while (done < n) {
    long r = sys::Write(fd, p + done, n - done);
    if (r < 0) return r;
    if (r == 0) return -EIO;
    done += static_cast<size_t>(r);
  }
  return static_cast<long>(done);
}

}  // namespace ocirt

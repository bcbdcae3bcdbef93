// LD_PRELOAD shim for Debian's linux.uml (6.1) on hosts with AVX-512/AMX.
//
// UML saves a process's FPU state with PTRACE_GETREGSET(NT_X86_XSTATE) into a buffer sized for
// AVX, and restores it with PTRACE_SETREGSET of that size. The host kernel only accepts a
// SETREGSET of its full xstate size (EFAULT otherwise), so every UML process dies at its first
// context switch ("ptrace set fp regs failed, errno = 14"). This shim completes the buffer: it
// reads the task's full state, lays UML's part over it, and writes the full size. State beyond
// AVX (zmm, k registers, tiles) is not kept per UML thread, so the harness also tells glibc not
// to use AVX-512 inside UML. Test-only: nothing of this ships.
#define _GNU_SOURCE
#include <elf.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

long ptrace(enum __ptrace_request req, ...) {
  va_list ap;
  va_start(ap, req);
  pid_t pid = va_arg(ap, pid_t);
  void* addr = va_arg(ap, void*);
  void* data = va_arg(ap, void*);
  va_end(ap);
  if (req == PTRACE_SETREGSET && (long)addr == NT_X86_XSTATE) {
    static char full[65536] __attribute__((aligned(64)));
    struct iovec* iov = data;
    struct iovec f = {full, sizeof full};
    if (syscall(SYS_ptrace, PTRACE_GETREGSET, pid, addr, &f) == 0 && f.iov_len > iov->iov_len) {
      memcpy(full, iov->iov_base, iov->iov_len);
      return syscall(SYS_ptrace, req, pid, addr, &f);
    }
  }
  long ret;
  if (req == PTRACE_PEEKTEXT || req == PTRACE_PEEKDATA || req == PTRACE_PEEKUSER) {
    long word;
    ret = syscall(SYS_ptrace, req, pid, addr, &word);
    return ret < 0 ? ret : word;
  }
  return syscall(SYS_ptrace, req, pid, addr, data);
}

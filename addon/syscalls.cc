// What the init, the addon and the dry-run share below the interpreter: the real syscall entry of
// the seam (syscalls.h) and a write loop.
#include <errno.h>
#include <unistd.h>

#include "child_internal.h"

namespace ocirt {

namespace sys {
long RealRaw(long nr, long a, long b, long c, long d, long e, long f) {
  long r = syscall(nr, a, b, c, d, e, f);
  return r == -1 ? -errno : r;
}
RawFn g_raw = RealRaw;
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

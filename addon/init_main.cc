// ocirt-init: the container side of ocirt as a program of its own (CVE-2019-5736).
//
// The runtime's clone (spawn.cc) execs this binary straight away from a sealed memfd copy, so no
// process of a container (the parked init, every exec'd process until its own execve) is ever a
// copy of the host's node or has a host file as /proc/<pid>/exe: what the container can reach
// is a memfd that cannot be written, shrunk, grown or unsealed. It is linked statically, so no
// host library is mapped either, and the plan's interpreter (child*.cc, rootfs.cc) runs in a
// single-threaded process of its own instead of a copy of a multithreaded one.
//
//   ocirt-init <plan fd> <sync fd> <fifo r> <fifo w> <keep below> <first op>
//
// plan fd: a sealed memfd holding the encoded plan (plan.h), closed once decoded. fifo r/w are -1
// for an exec plan. first op: the ops before it already ran in the clone (the user namespace's
// maps, which must be written before an exec if the init is to keep its capabilities).
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "child_internal.h"

namespace {

bool ParseInt(const char* s, long* out) {
  bool neg = *s == '-';
  if (neg) s++;
  if (!*s) return false;
  long v = 0;
  for (; *s; s++) {
    if (*s < '0' || *s > '9' || v > (1L << 40)) return false;
    v = v * 10 + (*s - '0');
  }
  *out = neg ? -v : v;
  return true;
}

void* MapAlloc(size_t n) {
  long p = ocirt::sys::Raw(__NR_mmap, 0, static_cast<long>(n), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  return p < 0 && p > -4096 ? nullptr : reinterpret_cast<void*>(p);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace ocirt;
  long v[6];
  if (argc != 7) return 125;
  for (int i = 0; i < 6; i++)
    if (!ParseInt(argv[i + 1], &v[i])) return 125;
  ChildCtx ctx = {nullptr, 0, static_cast<int>(v[1]), -1, -1, -1};
  int plan_fd = static_cast<int>(v[0]);
  struct stat st;
  long r = sys::Raw(__NR_fstat, plan_fd, sys::P(&st));
  if (r < 0) ChildFail(&ctx, static_cast<int>(-r), "fstat the plan");
  long map = sys::Raw(__NR_mmap, 0, st.st_size, PROT_READ, MAP_PRIVATE, plan_fd, 0);
  if (map < 0 && map > -4096) ChildFail(&ctx, static_cast<int>(-map), "mmap the plan");
  static Plan plan;
  const char* why = nullptr;
  if (!DecodePlan(reinterpret_cast<const uint8_t*>(map), static_cast<size_t>(st.st_size), &plan, &why, MapAlloc))
    ChildFail(&ctx, EINVAL, why);
  sys::Raw(__NR_munmap, map, st.st_size);
  sys::Close(plan_fd);
  if (static_cast<uint64_t>(v[5]) > plan.nops) ChildFail(&ctx, EINVAL, "first op out of range");
  // Inherited without close-on-exec (they had to survive our own exec): the container's process
  // must not get them, and the parent reads the sync socket's EOF as "execve succeeded".
  for (int i = 1; i <= 3; i++)
    if (v[i] >= 0) sys::Fcntl(static_cast<int>(v[i]), F_SETFD, FD_CLOEXEC);
  ChildStart start = {&plan, static_cast<int>(v[1]), static_cast<int>(v[2]), static_cast<int>(v[3]), static_cast<int>(v[4]), static_cast<uint32_t>(v[5])};
  ChildMain(start);
}

// process.terminal: after the pivot, a pty from the container's own devpts instance (mounted
// with newinstance,ptmxmode=0666 by the rootfs ops), the master sent to the parent, the slave on
// fds 0..2, as the controlling terminal, and bound onto /dev/console. Both ends are verified by
// fstat, and /dev/console is bound through fds so that no path is followed twice
// (CVE-2025-52565). Raw syscalls only.
#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <termios.h>

#include "child_internal.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif
#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef OPEN_TREE_CLOEXEC
#define OPEN_TREE_CLOEXEC O_CLOEXEC
#endif
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#define MOVE_MOUNT_T_EMPTY_PATH 0x00000040
#endif

namespace ocirt {
namespace {

int Fstat(int fd, struct stat* st) { return static_cast<int>(sys::Raw(__NR_fstat, fd, sys::P(st))); }

// Binds the pty slave (an fd) onto /dev/console (an O_PATH fd, never a symlink).
void BindConsole(ChildCtx* ctx, int slave) {
  long c = sys::OpenAt(AT_FDCWD, "/dev/console", O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (c == -ENOENT) {
    long f = sys::OpenAt(AT_FDCWD, "/dev/console", O_CREAT | O_EXCL | O_NOFOLLOW | O_WRONLY | O_CLOEXEC, 0600);
    if (f < 0) ChildFail(ctx, static_cast<int>(-f), "create /dev/console");
    sys::Close(static_cast<int>(f));
    c = sys::OpenAt(AT_FDCWD, "/dev/console", O_PATH | O_NOFOLLOW | O_CLOEXEC);
  }
  if (c < 0) ChildFail(ctx, static_cast<int>(-c), "open /dev/console");
  struct stat st;
  if (Fstat(static_cast<int>(c), &st) < 0 || !(S_ISREG(st.st_mode) || S_ISCHR(st.st_mode)))
    ChildFail(ctx, EINVAL, "/dev/console is neither a file nor a device");
  long t = sys::Raw(__NR_open_tree, slave, sys::P(""), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
  if (t >= 0) {
    long r = sys::Raw(__NR_move_mount, t, sys::P(""), c, sys::P(""), MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
    sys::Close(static_cast<int>(t));
    if (r < 0) ChildFail(ctx, static_cast<int>(-r), "move_mount /dev/console");
  } else if (t == -ENOSYS) {
    char src[64], dst[64];
    StrBuf a(src, sizeof(src)), b(dst, sizeof(dst));
    a.Add("/proc/self/fd/").Num(slave);
    b.Add("/proc/self/fd/").Num(c);
    long r = sys::Raw(__NR_mount, sys::P(src), sys::P(dst), 0, MS_BIND, 0);
    if (r < 0) ChildFail(ctx, static_cast<int>(-r), "mount /dev/console");
  } else {
    ChildFail(ctx, static_cast<int>(-t), "open_tree pty");
  }
  sys::Close(static_cast<int>(c));
}

}  // namespace

int RunConsoleOp(ChildCtx* ctx, const Op& op) {
  long m = sys::OpenAt(AT_FDCWD, "/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (m < 0) ChildFail(ctx, static_cast<int>(-m), "open /dev/pts/ptmx");
  int master = static_cast<int>(m);
  struct stat st;
  if (Fstat(master, &st) < 0 || !S_ISCHR(st.st_mode) || major(st.st_rdev) != 5 || minor(st.st_rdev) != 2)
    ChildFail(ctx, EINVAL, "/dev/pts/ptmx is not a pty multiplexer");
  int unlock = 0;
  long r = sys::Ioctl(master, TIOCSPTLCK, sys::P(&unlock));
  if (r < 0) ChildFail(ctx, static_cast<int>(-r), "ioctl TIOCSPTLCK");
  long s = sys::Ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (s < 0) ChildFail(ctx, static_cast<int>(-s), "ioctl TIOCGPTPEER");
  int slave = static_cast<int>(s);
  // Unix98 pty slaves are majors 136..143.
  if (Fstat(slave, &st) < 0 || !S_ISCHR(st.st_mode) || major(st.st_rdev) < 136 || major(st.st_rdev) > 143)
    ChildFail(ctx, EINVAL, "the pty peer is not a pty slave");
  long rows = OpInt(op, 0), cols = OpInt(op, 1);
  if (rows > 0 && cols > 0) {
    struct winsize ws = {static_cast<unsigned short>(rows), static_cast<unsigned short>(cols), 0, 0};
    r = sys::Ioctl(master, TIOCSWINSZ, sys::P(&ws));
    if (r < 0) ChildFail(ctx, static_cast<int>(-r), "ioctl TIOCSWINSZ");
  }
  // A process exec'd into a running container gets a pty of its own; /dev/console stays the init's.
  if (!OpInt(op, 2)) BindConsole(ctx, slave);
  ChildSendFd(ctx, master, kFdConsole);
  sys::Close(master);
  for (int fd = 0; fd < 3; fd++) {
    r = sys::Dup3(slave, fd, 0);
    if (r < 0) ChildFail(ctx, static_cast<int>(-r), "dup3 pty");
  }
  sys::Close(slave);
  r = sys::Ioctl(0, TIOCSCTTY, 0);
  if (r < 0) ChildFail(ctx, static_cast<int>(-r), "ioctl TIOCSCTTY");
  return 0;
}

}  // namespace ocirt

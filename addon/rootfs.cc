// Root filesystem ops (kinds 100..112, src/plan/mount-ops.ts documents each op's ints/strs),
// run by the init's interpreter (addon/child.cc) in plan order: OpenRootfs, RootPropagation,
// Mount, Device, Symlink, MaskPath, ReadonlyPath, Pivot, RootReadonly, Hostname, Domainname,
// Sysctl, MkdirInRoot.
//
// It runs in ocirt-init, which links no allocator: raw syscalls only, through the seam
// (syscalls.h), no malloc, no exceptions, no stdio, no std::string. Paths and records live on
// the stack; the one large buffer (a host's whole mountinfo, for --no-pivot) is an anonymous
// mapping. Every failure goes through ChildFail(ctx, errno, "<static text of the step>").
//
// Binds go through open_tree + move_mount, so per-mount flags, recursive attributes, an
// idmapping (mount_setattr MOUNT_ATTR_IDMAP with the user namespace fd ocirt made before the
// clone) and propagation are set on the detached tree before it is attached. A bind in a user
// namespace may come as a detached tree ocirt opened with its own rights (MountBits.SourceFd).
// Other types mount through mount(2) on the verified fd; sysfs without a new network namespace
// and cgroup2 without a cgroup namespace fall back to a bind of the host's (EPERM/EBUSY); /dev
// and a read-only tmpfs mount read-write and a later ReadonlyPath op makes them read-only, after
// the devices, symlinks and createContainer hooks, as runc orders it. tmpcopyup copies the covered directory into the new tmpfs; stdio that is a
// null device is reopened from the container's /dev/null after the pivot (runc's reOpenDevNull).
//
// Mount targets are resolved inside the rootfs with openat2(RESOLVE_IN_ROOT |
// RESOLVE_NO_MAGICLINKS), so a symlink in the rootfs never leads out of it (CVE-2021-30465);
// missing directories are created one component at a time relative to verified fds. Masks bind
// a /dev/null verified to be the char device 1:3 (CVE-2025-31133). Sysctls are written through
// a procfs handle verified with fstatfs, without crossing mounts (CVE-2025-52881).
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "child.h"
#include "rootfs_ops.h"
#include "syscalls.h"

namespace ocirt {
namespace {

// ---- Kernel interfaces newer than some libcs: our own names, the kernel's numbers. ----------
#ifndef __NR_fsopen
#define __NR_fsopen 430
#endif
#ifndef __NR_fsconfig
#define __NR_fsconfig 431
#endif
#ifndef __NR_fsmount
#define __NR_fsmount 432
#endif

constexpr uint64_t kResolveNoXdev = 0x01;
constexpr uint64_t kResolveNoMagiclinks = 0x02;
constexpr uint64_t kResolveNoSymlinks = 0x04;
constexpr uint64_t kResolveBeneath = 0x08;
constexpr uint64_t kResolveInRoot = 0x10;

struct OpenHow {
  uint64_t flags;
  uint64_t mode;
  uint64_t resolve;
};

struct MountAttr {
  uint64_t attr_set;
  uint64_t attr_clr;
  uint64_t propagation;
  uint64_t userns_fd;
};

constexpr unsigned kOpenTreeClone = 1;
constexpr unsigned kAtRecursive = 0x8000;
constexpr unsigned kMoveMountFEmptyPath = 0x04;
constexpr unsigned kMoveMountTEmptyPath = 0x40;
constexpr unsigned kMoveBoth = kMoveMountFEmptyPath | kMoveMountTEmptyPath;
constexpr unsigned kFsopenCloexec = 1;
constexpr unsigned kFsmountCloexec = 1;
constexpr unsigned kFsconfigSetFlag = 0;
constexpr unsigned kFsconfigSetString = 1;
constexpr unsigned kFsconfigCmdCreate = 6;

constexpr uint64_t kAttrRdonly = 0x1;
constexpr uint64_t kAttrNosuid = 0x2;
constexpr uint64_t kAttrNodev = 0x4;
constexpr uint64_t kAttrNoexec = 0x8;
constexpr uint64_t kAttrAtimeMask = 0x70;
constexpr uint64_t kAttrNoatime = 0x10;
constexpr uint64_t kAttrStrictatime = 0x20;
constexpr uint64_t kAttrNodiratime = 0x80;
constexpr uint64_t kAttrNosymfollow = 0x200000;
constexpr uint64_t kAttrIdmap = 0x100000;

constexpr uint64_t kMsRec = 0x4000;
constexpr uint64_t kMsNosymfollow = 0x100;
constexpr long kProcSuperMagic = 0x9fa0;
constexpr unsigned kStatxMntId = 0x1000;

// Every kernel call goes through the child's one seam (sys::Raw, addon/syscalls.h), so the
// dry-run recorder sees it. Chk turns its -errno convention back into -1 + errno, which keeps
// this file's error paths short.
int Chk(long r) {
  if (r < 0) {
    errno = static_cast<int>(-r);
    return -1;
  }
  return static_cast<int>(r);
}
using sys::P;
using sys::Raw;
int Open(const char* path, int flags) { return Chk(sys::RawNoIntr(__NR_openat, AT_FDCWD, P(path), flags, 0)); }
int OpenAt(int dirfd, const char* path, int flags, int mode = 0) { return Chk(sys::RawNoIntr(__NR_openat, dirfd, P(path), flags, mode)); }
int Close(int fd) { return Chk(Raw(__NR_close, fd)); }
int Fstat(int fd, struct stat* st) { return Chk(Raw(__NR_newfstatat, fd, P(""), P(st), AT_EMPTY_PATH)); }
int Fstatfs(int fd, struct statfs* st) { return Chk(Raw(__NR_fstatfs, fd, P(st))); }
int Mount(const char* src, const char* target, const char* type, unsigned long flags, const void* data) {
  return Chk(Raw(__NR_mount, P(src), P(target), P(type), static_cast<long>(flags), P(data)));
}
int Umount2(const char* target, int flags) { return Chk(Raw(__NR_umount2, P(target), flags)); }
int MkdirAt(int dirfd, const char* name, int mode) { return Chk(Raw(__NR_mkdirat, dirfd, P(name), mode)); }
int MknodAt(int dirfd, const char* name, mode_t mode, dev_t dev) {
  return Chk(Raw(__NR_mknodat, dirfd, P(name), static_cast<long>(mode), static_cast<long>(dev)));
}
mode_t Umask(mode_t m) { return static_cast<mode_t>(Raw(__NR_umask, static_cast<long>(m))); }
int FchownAt(int fd, const char* path, uid_t uid, gid_t gid, int flags) {
  return Chk(Raw(__NR_fchownat, fd, P(path), static_cast<long>(uid), static_cast<long>(gid), flags));
}
int SymlinkAt(const char* target, int dirfd, const char* name) { return Chk(Raw(__NR_symlinkat, P(target), dirfd, P(name))); }
int UnlinkAt(int dirfd, const char* name, int flags) { return Chk(Raw(__NR_unlinkat, dirfd, P(name), flags)); }
int FaccessAt(int dirfd, const char* path, int mode) { return Chk(Raw(__NR_faccessat, dirfd, P(path), mode)); }
int Fchdir(int fd) { return Chk(Raw(__NR_fchdir, fd)); }
int Chdir(const char* path) { return Chk(Raw(__NR_chdir, P(path))); }
int Chroot(const char* path) { return Chk(Raw(__NR_chroot, P(path))); }
int PivotRoot(const char* new_root, const char* put_old) { return Chk(Raw(__NR_pivot_root, P(new_root), P(put_old))); }
long Read(int fd, void* buf, size_t n) { return Chk(sys::RawNoIntr(__NR_read, fd, P(buf), static_cast<long>(n))); }
long Write(int fd, const void* buf, size_t n) { return Chk(sys::RawNoIntr(__NR_write, fd, P(buf), static_cast<long>(n))); }
void* Mmap(size_t len) {
  long r = Raw(__NR_mmap, 0, static_cast<long>(len), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (r < 0 && r > -4096) {
    errno = static_cast<int>(-r);
    return MAP_FAILED;
  }
  return reinterpret_cast<void*>(r);
}
void Munmap(void* p, size_t len) { Raw(__NR_munmap, P(p), static_cast<long>(len)); }
int Sethostname(const char* name, size_t len) { return Chk(Raw(__NR_sethostname, P(name), static_cast<long>(len))); }
int Setdomainname(const char* name, size_t len) { return Chk(Raw(__NR_setdomainname, P(name), static_cast<long>(len))); }

int OpenAt2(int dirfd, const char* path, uint64_t flags, uint64_t resolve) {
  OpenHow how = {flags, 0, resolve};
  long r;
  do r = Raw(__NR_openat2, dirfd, P(path), P(&how), sizeof how);
  while (r == -EAGAIN || r == -EINTR);  // EAGAIN: a rename raced the walk; try again
  return Chk(r);
}
int OpenTree(int dirfd, const char* path, unsigned flags) {
  return Chk(Raw(__NR_open_tree, dirfd, P(path), flags | kOpenTreeClone | O_CLOEXEC));
}
int MoveMount(int from, int to) { return Chk(Raw(__NR_move_mount, from, P(""), to, P(""), kMoveBoth)); }
int MountSetattr(int fd, bool recursive, uint64_t set, uint64_t clr, uint64_t propagation) {
  MountAttr a = {set, clr, propagation, 0};
  return Chk(Raw(__NR_mount_setattr, fd, P(""), AT_EMPTY_PATH | (recursive ? kAtRecursive : 0), P(&a), sizeof a));
}
// The idmapping must go on a detached tree before it is attached (the kernel refuses it on a
// mount that is already in a namespace).
int MountSetIdmap(int fd, bool recursive, int userns_fd) {
  MountAttr a = {kAttrIdmap, 0, 0, static_cast<uint64_t>(userns_fd)};
  return Chk(Raw(__NR_mount_setattr, fd, P(""), AT_EMPTY_PATH | (recursive ? kAtRecursive : 0), P(&a), sizeof a));
}
int FsOpen(const char* type) { return Chk(Raw(__NR_fsopen, P(type), kFsopenCloexec)); }
int FsConfig(int fd, unsigned cmd, const char* key, const char* value) { return Chk(Raw(__NR_fsconfig, fd, cmd, P(key), P(value), 0)); }
int FsMount(int fd, unsigned attrs) { return Chk(Raw(__NR_fsmount, fd, kFsmountCloexec, attrs)); }

// The mount id of an fd's mount (statx STATX_MNT_ID), 0 when unknown. The struct statx layout
// is fixed by the kernel ABI: stx_mnt_id is the u64 at offset 144.
uint64_t MountId(int fd) {
  alignas(8) unsigned char buf[256];
  if (Raw(__NR_statx, fd, P(""), AT_EMPTY_PATH, kStatxMntId, P(buf)) < 0) return 0;
  uint32_t mask = *reinterpret_cast<uint32_t*>(buf);
  return (mask & kStatxMntId) ? *reinterpret_cast<uint64_t*>(buf + 144) : 0;
}

// ---- Small string helpers on caller-provided buffers. ----------------------------------------
size_t Len(const char* s) {
  size_t n = 0;
  while (s[n]) n++;
  return n;
}
bool Eq(const char* a, const char* b) {
  while (*a && *a == *b) a++, b++;
  return *a == *b;
}
// Appends src to dst (capacity cap, NUL-terminated); false when it does not fit.
bool Append(char* dst, size_t cap, size_t* len, const char* src, size_t n) {
  if (*len + n + 1 > cap) return false;
  for (size_t i = 0; i < n; i++) dst[*len + i] = src[i];
  *len += n;
  dst[*len] = 0;
  return true;
}
bool AppendUnsigned(char* dst, size_t cap, size_t* len, uint64_t v, unsigned base, size_t min_digits) {
  char tmp[24];
  size_t n = 0;
  do tmp[n++] = static_cast<char>('0' + v % base), v /= base;
  while (v);
  while (n < min_digits) tmp[n++] = '0';
  char out[24];
  for (size_t i = 0; i < n; i++) out[i] = tmp[n - 1 - i];
  return Append(dst, cap, len, out, n);
}

void CloseFd(int fd) {
  if (fd >= 0) Close(fd);
}

// Fails the op, closing up to two fds first (errno is kept).
[[noreturn]] void Fail(ChildCtx* ctx, const char* step, int fd1 = -1, int fd2 = -1) {
  int err = errno;
  CloseFd(fd1);
  CloseFd(fd2);
  ChildFail(ctx, err, step);
}

// ---- Resolving paths inside the rootfs. --------------------------------------------------------
enum Create { kNoCreate, kCreateDir, kCreateFile };

int OpenInRoot(int root, const char* path, uint64_t extra) {
  return OpenAt2(root, path, O_PATH | O_CLOEXEC, kResolveInRoot | kResolveNoMagiclinks | extra);
}

long ReadlinkAt(int dirfd, const char* name, char* buf, size_t n) {
  return Chk(Raw(__NR_readlinkat, dirfd, P(name), P(buf), static_cast<long>(n)));
}

constexpr int kRedirect = -2;

// One walk of ResolveCreate over `buf` (capacity cap). Returns the fd, or -1 with errno and
// *step set, or kRedirect when a component is a dangling symlink: `buf` then holds the path of
// its target (relative to the symlink's directory, or from the root) followed by the rest, and
// the walk starts over, so the target is made inside the root, as runc and crun make it.
int ResolveCreateOnce(int root, char* buf, size_t cap, Create create, uint64_t extra, const char** step, bool* created) {
  size_t n = Len(buf);
  int parent = -1;
  size_t i = 0;
  int fd;
  for (;;) {
    while (i < n && buf[i] == '/') i++;
    if (i >= n) break;
    size_t start = i;
    while (i < n && buf[i] != '/') i++;
    size_t end = i, j = i;
    while (j < n && buf[j] == '/') j++;
    bool last = j >= n;
    char saved = buf[end];
    buf[end] = 0;
    fd = OpenInRoot(root, buf, extra);
    if (fd < 0 && errno == ENOENT) {
      int dir = parent >= 0 ? parent : root;
      const char* name = buf + start;
      bool made = false;
      if (last && create == kCreateFile) {
        int f = OpenAt(dir, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0644);
        if (f < 0 && errno != EEXIST) {
          *step = "create the mount point file inside the rootfs";
          buf[end] = saved;
          CloseFd(parent);
          return -1;
        }
        made = f >= 0;
        CloseFd(f);
      } else if (MkdirAt(dir, name, 0755) < 0) {
        if (errno != EEXIST) {
          *step = "mkdirat of the destination inside the rootfs";
          buf[end] = saved;
          CloseFd(parent);
          return -1;
        }
      } else {
        made = true;
      }
      if (last && made && created) *created = true;
      fd = OpenInRoot(root, buf, extra);
      if (fd < 0 && errno == ENOENT && !made && !(extra & kResolveNoSymlinks)) {
        // Still missing, and not made: a dangling symlink is in the way. Go on at its target.
        char link[4096];
        long ln = ReadlinkAt(dir, name, link, sizeof link - 1);
        if (ln > 0) {
          buf[end] = saved;
          char tmp[4096];
          size_t t = 0;
          tmp[0] = 0;
          bool ok = link[0] == '/' || Append(tmp, sizeof tmp, &t, buf, start);
          ok = ok && Append(tmp, sizeof tmp, &t, link, static_cast<size_t>(ln));
          ok = ok && Append(tmp, sizeof tmp, &t, buf + end, n - end);
          CloseFd(parent);
          if (!ok || t + 1 > cap) {
            errno = ENAMETOOLONG;
            *step = "the destination's symlink target is too long";
            return -1;
          }
          for (size_t k = 0; k <= t; k++) buf[k] = tmp[k];
          return kRedirect;
        }
        errno = ENOENT;
      }
    }
    buf[end] = saved;
    if (fd < 0) {
      int e = errno;
      *step = "openat2 of the destination inside the rootfs";
      CloseFd(parent);
      errno = e;
      return -1;
    }
    CloseFd(parent);
    parent = fd;
  }
  if (parent < 0) return OpenInRoot(root, "/", extra);
  return parent;
}

// Copies `path` into `buf` (capacity cap) to be cut up there; *len (when given) gets its
// length. false with errno ENAMETOOLONG and *step set when it does not fit.
bool CopyPath(char* buf, size_t cap, const char* path, size_t* len, const char** step) {
  size_t n = Len(path);
  if (n >= cap) {
    errno = ENAMETOOLONG;
    *step = "path too long";
    return false;
  }
  for (size_t k = 0; k <= n; k++) buf[k] = path[k];
  if (len) *len = n;
  return true;
}

// Opens `path` (O_PATH) inside `root` without leaving it, creating the missing components: all
// directories, except the last one which is an empty file for kCreateFile. Each component is
// created with mkdirat relative to the fd of its parent as resolved inside the root; a dangling
// symlink on the way is followed inside the root and its target made. Returns the fd, or -1
// with errno set and *step saying what failed. *created (when given): the last component was
// made here.
int ResolveCreate(int root, const char* path, Create create, uint64_t extra, const char** step, bool* created = nullptr) {
  if (created) *created = false;
  int fd = OpenInRoot(root, path, extra);
  if (fd >= 0) return fd;
  *step = "openat2 of the destination inside the rootfs";
  if (errno != ENOENT || create == kNoCreate) return -1;

  char buf[4096];
  if (!CopyPath(buf, sizeof buf, path, nullptr, step)) return -1;
  for (int hops = 0; hops < 40; hops++) {
    fd = ResolveCreateOnce(root, buf, sizeof buf, create, extra, step, created);
    if (fd != kRedirect) return fd;
  }
  errno = ELOOP;
  *step = "too many symlinks on the way to the destination";
  return -1;
}

// Splits `path` into its parent (opened inside the root, created if missing) and its last
// component, copied into `name` (capacity 256).
int ResolveParent(int root, const char* path, char* name, const char** step) {
  char buf[4096];
  size_t n;
  if (!CopyPath(buf, sizeof buf, path, &n, step)) return -1;
  while (n > 1 && buf[n - 1] == '/') buf[--n] = 0;
  size_t slash = n;
  while (slash > 0 && buf[slash - 1] != '/') slash--;
  size_t nlen = n - slash;
  if (nlen == 0 || nlen > 255 || Eq(buf + slash, ".") || Eq(buf + slash, "..")) {
    errno = EINVAL;
    *step = "the path has no last component";
    return -1;
  }
  for (size_t k = 0; k <= nlen; k++) name[k] = buf[slash + k];
  buf[slash] = 0;
  return ResolveCreate(root, slash == 0 ? "/" : buf, kCreateDir, 0, step);
}

// Translates MS_* flags into per-mount MOUNT_ATTR_* (for mount_setattr). Atime: the strongest
// of noatime > strictatime > relatime that is set replaces the atime mode.
void FlagsToAttrs(uint64_t set, uint64_t clear, uint64_t* aset, uint64_t* aclr) {
  struct {
    uint64_t ms, attr;
  } const map[] = {{MS_RDONLY, kAttrRdonly}, {MS_NOSUID, kAttrNosuid}, {MS_NODEV, kAttrNodev},
                   {MS_NOEXEC, kAttrNoexec}, {MS_NODIRATIME, kAttrNodiratime}, {kMsNosymfollow, kAttrNosymfollow}};
  *aset = *aclr = 0;
  for (const auto& m : map) {
    if (set & m.ms) *aset |= m.attr;
    else if (clear & m.ms) *aclr |= m.attr;
  }
  if (set & (MS_NOATIME | MS_STRICTATIME | MS_RELATIME)) {
    *aclr |= kAttrAtimeMask;
    if (set & MS_NOATIME) *aset |= kAttrNoatime;
    else if (set & MS_STRICTATIME) *aset |= kAttrStrictatime;
  }
}

// Refuses a target on procfs unless the plan allows it (proc on /proc, lxcfs-style files).
void CheckProcTarget(ChildCtx* ctx, int target, uint32_t bits, int other_fd) {
  if (bits & kMountMayTargetProc) return;
  struct statfs sfs;
  if (Fstatfs(target, &sfs) < 0) Fail(ctx, "fstatfs of the mount point", target, other_fd);
  if (sfs.f_type == kProcSuperMagic) {
    errno = EPERM;
    Fail(ctx, "the mount point lies inside procfs", target, other_fd);
  }
}

void ApplyPropagation(ChildCtx* ctx, const Op& op, unsigned first, int mnt) {
  for (unsigned i = first; i < op.nint; i++) {
    uint64_t p = static_cast<uint64_t>(OpInt(op, i));
    if (MountSetattr(mnt, (p & kMsRec) != 0, 0, 0, p & ~kMsRec) < 0) Fail(ctx, "mount_setattr (propagation)", mnt);
  }
}

// Attaches a detached tree (from open_tree) on `target` after setting its options: per-mount
// flags on its top, recursive attributes on all of it. Closes `target` on failure.
void AttachTree(ChildCtx* ctx, int tree, int target, uint64_t set, uint64_t clear, uint64_t rset, uint64_t rclr) {
  uint64_t aset, aclr;
  FlagsToAttrs(set, clear, &aset, &aclr);
  if ((aset || aclr) && MountSetattr(tree, false, aset, aclr, 0) < 0) Fail(ctx, "mount_setattr (bind mount options)", tree, target);
  if ((rset || rclr) && MountSetattr(tree, true, rset, rclr, 0) < 0) Fail(ctx, "mount_setattr (recursive attributes)", tree, target);
  if (MoveMount(tree, target) < 0) Fail(ctx, "move_mount onto the mount point", tree, target);
}

// ---- tmpcopyup: the covered directory's content copied into the new tmpfs. --------------------

struct Dirent64 {
  uint64_t ino;
  int64_t off;
  unsigned short reclen;
  unsigned char type;
  char name[1];
};

int Fchmod(int fd, mode_t mode) { return Chk(Raw(__NR_fchmod, fd, static_cast<long>(mode))); }
int FstatAt(int dirfd, const char* name, struct stat* st) { return Chk(Raw(__NR_newfstatat, dirfd, P(name), P(st), AT_SYMLINK_NOFOLLOW)); }

// The owner as in the source; an id this user namespace does not map (EINVAL) is left to the
// kernel's default, the rest must work.
int CopyOwner(int dirfd, const char* name, const struct stat& st, int flags) {
  if (FchownAt(dirfd, name, st.st_uid, st.st_gid, flags) < 0 && errno != EINVAL) return -1;
  return 0;
}

// Kept out of CopyTree so that its buffer is not on the stack of every level of the recursion.
__attribute__((noinline)) int CopySymlink(int src, int dst, const char* name, const struct stat& st) {
  char link[4096];
  long n = ReadlinkAt(src, name, link, sizeof link - 1);
  if (n < 0) return -1;
  link[n] = 0;
  if (SymlinkAt(link, dst, name) < 0) return -1;
  return CopyOwner(dst, name, st, AT_SYMLINK_NOFOLLOW);
}

int CopyFile(int src, int dst, const char* name, const struct stat& st) {
  int in = OpenAt(src, name, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
  if (in < 0) return -1;
  int out = OpenAt(dst, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0600);
  if (out < 0) {
    Close(in);
    return -1;
  }
  int rc = 0;
  for (;;) {
    long w = Chk(Raw(__NR_sendfile, out, in, 0, 1L << 30));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      rc = static_cast<int>(w);
      break;
    }
  }
  // The mode, then the owner, as runc does: the chown drops set-id bits as the kernel decides.
  if (rc == 0 && Fchmod(out, st.st_mode & 07777) < 0) rc = -1;
  if (rc == 0 && CopyOwner(out, "", st, AT_EMPTY_PATH) < 0) rc = -1;
  int e = errno;
  Close(in);
  Close(out);
  errno = e;
  return rc;
}

// Copies what directory `src` holds into directory `dst`, keeping types, owners and symlinks,
// with modes as runc's copy leaves them: directories and special files are made with their
// permission bits under the umask (no set-id bits), files get theirs and then the owner. No
// times, no xattrs; hard links become copies.
int CopyTree(int src, int dst, int depth, const char** step) {
  if (depth > 128) {
    errno = ELOOP;
    *step = "tmpcopyup: the directory tree is too deep";
    return -1;
  }
  alignas(8) char dbuf[2048];
  for (;;) {
    long n = Chk(Raw(__NR_getdents64, src, P(dbuf), sizeof dbuf));
    if (n < 0) {
      *step = "tmpcopyup: getdents64 of the covered directory";
      return -1;
    }
    if (n == 0) return 0;
    for (long off = 0; off < n;) {
      const Dirent64* d = reinterpret_cast<const Dirent64*>(dbuf + off);
      off += d->reclen;
      const char* name = d->name;
      if (Eq(name, ".") || Eq(name, "..")) continue;
      struct stat st;
      if (FstatAt(src, name, &st) < 0) {
        *step = "tmpcopyup: fstatat of an entry to copy";
        return -1;
      }
      if (S_ISDIR(st.st_mode)) {
        if (MkdirAt(dst, name, st.st_mode & 01777) < 0) {
          *step = "tmpcopyup: mkdirat";
          return -1;
        }
        int s2 = OpenAt(src, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        int d2 = s2 < 0 ? -1 : OpenAt(dst, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (s2 < 0 || d2 < 0) {
          CloseFd(s2);
          *step = "tmpcopyup: open a directory to copy";
          return -1;
        }
        int rc = CopyTree(s2, d2, depth + 1, step);
        if (rc == 0 && CopyOwner(d2, "", st, AT_EMPTY_PATH) < 0) {
          *step = "tmpcopyup: owner of a directory";
          rc = -1;
        }
        int e = errno;
        Close(s2);
        Close(d2);
        errno = e;
        if (rc < 0) return -1;
      } else if (S_ISREG(st.st_mode)) {
        if (CopyFile(src, dst, name, st) < 0) {
          *step = "tmpcopyup: copy a file";
          return -1;
        }
      } else if (S_ISLNK(st.st_mode)) {
        if (CopySymlink(src, dst, name, st) < 0) {
          *step = "tmpcopyup: copy a symlink";
          return -1;
        }
      } else {
        if (MknodAt(dst, name, st.st_mode, st.st_rdev) < 0 || CopyOwner(dst, name, st, AT_SYMLINK_NOFOLLOW) < 0) {
          *step = "tmpcopyup: copy a special file";
          return -1;
        }
      }
    }
  }
}

// runc's reOpenDevNull: stdio that is a null device (the caller's /dev/null, opened outside the
// container, perhaps read-only) becomes the container's own /dev/null opened read-write.
void ReopenDevNull(ChildCtx* ctx) {
  const dev_t null_dev = makedev(1, 3);
  for (int fd = 0; fd < 3; fd++) {
    struct stat st;
    if (Fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode) || st.st_rdev != null_dev) continue;
    int nfd = OpenAt2(AT_FDCWD, "/dev/null", O_RDWR | O_NOCTTY | O_CLOEXEC, kResolveNoSymlinks | kResolveNoMagiclinks);
    if (nfd < 0) {
      if (errno == ENOENT) return;  // no /dev/null in this container: stdio stays as given
      Fail(ctx, "open /dev/null to reopen stdio");
    }
    struct stat ns;
    if (Fstat(nfd, &ns) < 0) Fail(ctx, "fstat of /dev/null", nfd);
    if (!S_ISCHR(ns.st_mode) || ns.st_rdev != null_dev) {
      Close(nfd);
      return;
    }
    if (Chk(Raw(__NR_dup3, nfd, fd, 0)) < 0) Fail(ctx, "dup3 of /dev/null onto stdio", nfd);
    Close(nfd);
  }
}

int MkdirInRoot(ChildCtx* ctx, const Op& op) {
  int root = Open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0) Fail(ctx, "open /");
  const char* step = "";
  int fd = ResolveCreate(root, OpStr(op, 0), kCreateDir, 0, &step);
  if (fd < 0) Fail(ctx, step, root);
  Close(fd);
  Close(root);
  return 0;
}

// ---- The ops. --------------------------------------------------------------------------------

int OpenRootfs(ChildCtx* ctx, const Op& op) {
  int fd = Open(OpStr(op, 0), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) Fail(ctx, "open the rootfs");
  CloseFd(ctx->rootfs_fd);
  ctx->rootfs_fd = fd;
  return 0;
}

int RootPropagation(ChildCtx* ctx, const Op& op) {
  if (Mount("", "/", nullptr, static_cast<unsigned long>(OpInt(op, 0)), nullptr) < 0) Fail(ctx, "set the propagation of /");
  // pivot_root refuses a shared parent, and a bind under a shared mount would leak to the host:
  // make the mount holding the rootfs slave or private (walk up to the nearest mount point).
  char buf[4096];
  const char* rootfs = OpStr(op, 0);
  size_t n = Len(rootfs);
  if (n == 0 || n >= sizeof buf) {
    errno = ENAMETOOLONG;
    Fail(ctx, "rootfs path");
  }
  for (size_t k = 0; k <= n; k++) buf[k] = rootfs[k];
  unsigned long parent_flag = static_cast<unsigned long>(OpInt(op, 1));
  for (;;) {
    if (Mount("", buf, nullptr, parent_flag, nullptr) == 0) break;
    if (errno != EINVAL || (n == 1 && buf[0] == '/')) Fail(ctx, "set the propagation of the rootfs's parent mount");
    while (n > 1 && buf[n - 1] != '/') n--;
    if (n > 1) n--;
    buf[n] = 0;
  }
  if (ctx->rootfs_fd < 0) {
    errno = EBADF;
    Fail(ctx, "the rootfs is not open");
  }
  int tree = OpenTree(ctx->rootfs_fd, "", AT_EMPTY_PATH | kAtRecursive);
  if (tree < 0) Fail(ctx, "open_tree of the rootfs");
  if (MoveMount(tree, ctx->rootfs_fd) < 0) Fail(ctx, "bind the rootfs onto itself (move_mount)", tree);
  Close(ctx->rootfs_fd);
  ctx->rootfs_fd = tree;  // the new mount's root: paths below it resolve on the bind
  return 0;
}

int DoMount(ChildCtx* ctx, const Op& op) {
  uint64_t flags = static_cast<uint64_t>(OpInt(op, 0));
  uint64_t clear = static_cast<uint64_t>(OpInt(op, 1));
  uint64_t rset = static_cast<uint64_t>(OpInt(op, 2));
  uint64_t rclr = static_cast<uint64_t>(OpInt(op, 3));
  uint32_t bits = static_cast<uint32_t>(OpInt(op, 4));
  const char* source = OpStr(op, 0);
  const char* dest = OpStr(op, 1);
  const char* type = OpStr(op, 2);
  const char* data = OpStr(op, 3);
  const char* fallback = OpStr(op, 4);
  uint64_t extra = (bits & kMountNoSymlinks) ? kResolveNoSymlinks : 0;
  const char* step = "";
  int root = ctx->rootfs_fd;
  int mnt;

  if (bits & kMountBind) {
    // Clone the source first; the clone decides what the mount point is: a directory, or an
    // empty file.
    mnt = (bits & kMountSourceFd) ? static_cast<int>(OpInt(op, 5)) : OpenTree(AT_FDCWD, source, (flags & kMsRec) ? kAtRecursive : 0);
    if (mnt < 0) Fail(ctx, "open_tree of the bind source");
    struct stat st;
    if (Fstat(mnt, &st) < 0) Fail(ctx, "fstat of the bind source", mnt);
    int target = ResolveCreate(root, dest, S_ISDIR(st.st_mode) ? kCreateDir : kCreateFile, extra, &step);
    if (target < 0) Fail(ctx, step, mnt);
    CheckProcTarget(ctx, target, bits, mnt);
    if ((bits & kMountIdmap) && MountSetIdmap(mnt, (bits & kMountIdmapRecursive) != 0, static_cast<int>(OpInt(op, 5))) < 0) {
      Fail(ctx, "mount_setattr (idmap)", mnt, target);
    }
    AttachTree(ctx, mnt, target, flags, clear, rset, rclr);
    Close(target);
  } else {
    bool created = false;
    int target = ResolveCreate(root, dest, kCreateDir, extra, &step, &created);
    if (target < 0) Fail(ctx, step);
    CheckProcTarget(ctx, target, bits, -1);
    // tmpcopyup: a read handle on the directory before the tmpfs covers it (it keeps reading
    // the covered directory afterwards).
    int copy_src = -1;
    if (bits & kMountTmpcopyup) {
      copy_src = OpenAt(target, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (copy_src < 0) Fail(ctx, "tmpcopyup: open the directory to copy", target);
    }
    char dbuf[4200];
    size_t dlen = 0;
    dbuf[0] = 0;
    // runc: a tmpfs on a directory of the image gets that directory's mode, set on the new
    // mount after it is made, so it wins over a mode= option (Docker's tmpfs-mode=1770 on an
    // image's 1777 /tmp ends up 1777 under runc); on a directory made here it keeps the mode the
    // options or the kernel (1777) give it. A tmpfs mounted read-only at once cannot be changed
    // afterwards: there the mode goes first in the options, and a mode= of the config wins.
    int inherit_mode = -1;
    if ((bits & kMountTmpfsInheritMode) && !created) {
      struct stat st;
      if (Fstat(target, &st) < 0) Fail(ctx, "fstat of the mount point", target);
      inherit_mode = static_cast<int>(st.st_mode & 07777);
      if ((flags & MS_RDONLY) && !(bits & kMountDeferRo)) {
        Append(dbuf, sizeof dbuf, &dlen, "mode=", 5);
        AppendUnsigned(dbuf, sizeof dbuf, &dlen, static_cast<uint64_t>(inherit_mode), 8, 4);
        if (data[0]) Append(dbuf, sizeof dbuf, &dlen, ",", 1);
        inherit_mode = -1;
      }
    }
    if (!Append(dbuf, sizeof dbuf, &dlen, data, Len(data))) {
      errno = E2BIG;
      Fail(ctx, "mount data too long", target);
    }
    unsigned long mflags = static_cast<unsigned long>(flags);
    if (bits & kMountDeferRo) mflags &= ~static_cast<unsigned long>(MS_RDONLY);
    // Mount on the verified fd: through the cwd, or /proc/self/fd/N when the directory cannot
    // be entered (a 0700 directory of an unmapped owner in a user namespace).
    int rc;
    if (Fchdir(target) == 0) {
      rc = Mount(source, ".", type, mflags, dlen ? dbuf : nullptr);
    } else {
      char p[64];
      size_t pl = 0;
      Append(p, sizeof p, &pl, "/proc/self/fd/", 14);
      AppendUnsigned(p, sizeof p, &pl, static_cast<uint64_t>(target), 10, 1);
      rc = Mount(source, p, type, mflags, dlen ? dbuf : nullptr);
    }
    if (rc < 0) {
      if ((bits & kMountFallback) && fallback[0] && (errno == EPERM || errno == EBUSY)) {
        // sysfs without a network namespace, cgroup2 without a cgroup namespace: bind the
        // host's tree instead, read-only and the like all the way down.
        uint64_t aset, aclr;
        FlagsToAttrs(flags, clear, &aset, &aclr);
        mnt = OpenTree(AT_FDCWD, fallback, kAtRecursive);
        if (mnt < 0) Fail(ctx, "open_tree of the fallback source", target);
        AttachTree(ctx, mnt, target, 0, 0, rset | aset, rclr | aclr);
        Close(target);
        ApplyPropagation(ctx, op, 6, mnt);
        Close(mnt);
        return 0;
      }
      Fail(ctx, "mount", target);
    }
    // Reopen the path to get the new mount (the old fd is the covered directory), and check that
    // it is a different mount.
    mnt = OpenInRoot(root, dest, extra);
    if (mnt < 0) Fail(ctx, "reopen the mount point after the mount", target);
    uint64_t before = MountId(target), after = MountId(mnt);
    Close(target);
    if (before && after && before == after) {
      errno = EBUSY;
      Fail(ctx, "the mount point changed during the mount", mnt);
    }
    if (copy_src >= 0) {
      int dst = OpenAt(mnt, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (dst < 0) Fail(ctx, "tmpcopyup: open the new tmpfs", mnt, copy_src);
      if (CopyTree(copy_src, dst, 0, &step) < 0) Fail(ctx, step, dst, copy_src);
      Close(dst);
      Close(copy_src);
    }
    if (inherit_mode >= 0) {
      int dst = OpenAt(mnt, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (dst < 0) Fail(ctx, "open the new tmpfs to set its mode", mnt);
      if (Fchmod(dst, static_cast<mode_t>(inherit_mode)) < 0) Fail(ctx, "fchmod of the new tmpfs to the covered directory's mode", mnt, dst);
      Close(dst);
    }
    if ((rset || rclr) && MountSetattr(mnt, true, rset, rclr, 0) < 0) Fail(ctx, "mount_setattr (recursive attributes)", mnt);
  }
  ApplyPropagation(ctx, op, 6, mnt);
  Close(mnt);
  return 0;
}

int Device(ChildCtx* ctx, const Op& op) {
  unsigned major = static_cast<unsigned>(OpInt(op, 0)), minor = static_cast<unsigned>(OpInt(op, 1));
  mode_t mode = static_cast<mode_t>(OpInt(op, 2)) & 07777;
  uid_t uid = static_cast<uid_t>(OpInt(op, 3));
  gid_t gid = static_cast<gid_t>(OpInt(op, 4));
  char type = static_cast<char>(OpInt(op, 5));
  bool bind = OpInt(op, 6) != 0;
  mode_t fmt = type == 'b' ? S_IFBLK : type == 'p' ? S_IFIFO : S_IFCHR;
  dev_t dev = type == 'p' ? 0 : makedev(major, minor);
  char name[256];
  const char* step = "";
  int parent = ResolveParent(ctx->rootfs_fd, OpStr(op, 0), name, &step);
  if (parent < 0) Fail(ctx, step);

  if (!bind) {
    mode_t old = Umask(0);
    int rc = MknodAt(parent, name, fmt | mode, dev);
    int err = errno;
    Umask(old);
    if (rc < 0) {
      errno = err;
      if (err == EEXIST) {  // as runc: an existing node is left alone
        Close(parent);
        return 0;
      }
      if (err != EPERM) Fail(ctx, "mknodat", parent);
      bind = true;  // no mknod here (a user namespace): bind the host's node
    } else {
      int fd = OpenAt(parent, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0) Fail(ctx, "open the new device node", parent);
      struct stat st;
      if (Fstat(fd, &st) < 0) Fail(ctx, "fstat of the new device node", fd, parent);
      if ((st.st_mode & S_IFMT) != fmt || (fmt != S_IFIFO && st.st_rdev != dev)) {
        errno = EEXIST;
        Fail(ctx, "the new device node is not the one created", fd, parent);
      }
      if (FchownAt(fd, "", uid, gid, AT_EMPTY_PATH) < 0) Fail(ctx, "fchownat of the new device node", fd, parent);
      Close(fd);
      Close(parent);
      return 0;
    }
  }
  // Bind: an empty regular file as the mount point, then the host's node over it.
  if (MknodAt(parent, name, S_IFREG | 0, 0) < 0 && errno != EEXIST) Fail(ctx, "create the device mount point", parent);
  int target = OpenAt(parent, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  Close(parent);
  if (target < 0) Fail(ctx, "open the device mount point");
  int tree = OpenTree(AT_FDCWD, OpStr(op, 1), 0);
  if (tree < 0) Fail(ctx, "open_tree of the host device", target);
  struct stat st;
  if (Fstat(tree, &st) < 0) Fail(ctx, "fstat of the host device", tree, target);
  if ((st.st_mode & S_IFMT) != fmt || (fmt != S_IFIFO && st.st_rdev != dev)) {
    errno = ENODEV;
    Fail(ctx, "the host's node is not the device asked for", tree, target);
  }
  if (MoveMount(tree, target) < 0) Fail(ctx, "move_mount of the host device", tree, target);
  Close(tree);
  Close(target);
  return 0;
}

int Symlink(ChildCtx* ctx, const Op& op) {
  int64_t mode = OpInt(op, 0);
  const char* target = OpStr(op, 0);
  // mode 2: only when the target exists on the host (/proc/kcore, as runc checks it).
  if (mode == 2 && FaccessAt(AT_FDCWD, target, F_OK) < 0) return 0;
  char name[256];
  const char* step = "";
  int parent = ResolveParent(ctx->rootfs_fd, OpStr(op, 1), name, &step);
  if (parent < 0) Fail(ctx, step);
  if (mode == 1 && UnlinkAt(parent, name, 0) < 0 && errno != ENOENT) Fail(ctx, "unlinkat of the old entry", parent);
  if (SymlinkAt(target, parent, name) < 0 && !(errno == EEXIST && mode != 1)) Fail(ctx, "symlinkat", parent);
  Close(parent);
  return 0;
}

// After the pivot, paths resolve in the container's root; magic links are never followed.
int OpenInContainer(const char* path, uint64_t flags = 0) {
  return OpenAt2(AT_FDCWD, path, O_PATH | O_CLOEXEC | flags, kResolveNoMagiclinks);
}

int MaskPath(ChildCtx* ctx, const Op& op) {
  int fd = OpenInContainer(OpStr(op, 0));
  if (fd < 0) {
    if (errno == ENOENT) return 0;  // nothing to mask
    Fail(ctx, "open the path to mask");
  }
  struct stat st;
  if (Fstat(fd, &st) < 0) Fail(ctx, "fstat of the path to mask", fd);
  int mnt;
  if (S_ISDIR(st.st_mode)) {
    // A read-only, empty, one-inode tmpfs.
    int fs = FsOpen("tmpfs");
    if (fs < 0) Fail(ctx, "fsopen tmpfs", fd);
    if (FsConfig(fs, kFsconfigSetString, "nr_blocks", "1") < 0) Fail(ctx, "fsconfig nr_blocks", fs, fd);
    if (FsConfig(fs, kFsconfigSetString, "nr_inodes", "1") < 0 && FsConfig(fs, kFsconfigSetString, "nr_inodes", "2") < 0)
      Fail(ctx, "fsconfig nr_inodes", fs, fd);
    if (FsConfig(fs, kFsconfigSetFlag, "ro", nullptr) < 0) Fail(ctx, "fsconfig ro", fs, fd);
    if (FsConfig(fs, kFsconfigCmdCreate, nullptr, nullptr) < 0) Fail(ctx, "create the masking tmpfs", fs, fd);
    mnt = FsMount(fs, kAttrRdonly | kAttrNosuid | kAttrNodev | kAttrNoexec);
    if (mnt < 0) Fail(ctx, "fsmount of the masking tmpfs", fs, fd);
    Close(fs);
  } else {
    // Bind the container's /dev/null, verified to be the null device (CVE-2025-31133): the
    // clone is taken from the verified fd, so a swap after the check changes nothing.
    int null_fd = OpenInContainer("/dev/null");
    if (null_fd < 0) Fail(ctx, "open /dev/null to mask with", fd);
    struct stat ns;
    if (Fstat(null_fd, &ns) < 0) Fail(ctx, "fstat of /dev/null", null_fd, fd);
    if (!S_ISCHR(ns.st_mode) || ns.st_rdev != makedev(1, 3)) {
      errno = EINVAL;
      Fail(ctx, "the container's /dev/null is not the null device 1:3", null_fd, fd);
    }
    mnt = OpenTree(null_fd, "", AT_EMPTY_PATH);
    if (mnt < 0) Fail(ctx, "open_tree of /dev/null", null_fd, fd);
    Close(null_fd);
  }
  if (MoveMount(mnt, fd) < 0) Fail(ctx, "move_mount of the mask", mnt, fd);
  Close(mnt);
  Close(fd);
  return 0;
}

int ReadonlyPath(ChildCtx* ctx, const Op& op) {
  int fd = OpenInContainer(OpStr(op, 0));
  if (OpInt(op, 0) == 1) {
    // An existing mount ("ro" deferred until now): flip it read-only, keeping its other flags.
    if (fd < 0) Fail(ctx, "open the mount to make read-only");
    if (MountSetattr(fd, false, kAttrRdonly, 0, 0) < 0) Fail(ctx, "mount_setattr read-only", fd);
    Close(fd);
    return 0;
  }
  if (fd < 0) {
    if (errno == ENOENT) return 0;
    Fail(ctx, "open the path to make read-only");
  }
  int tree = OpenTree(fd, "", AT_EMPTY_PATH | kAtRecursive);
  if (tree < 0) Fail(ctx, "open_tree of the path", fd);
  if (MountSetattr(tree, true, kAttrRdonly, 0, 0) < 0) Fail(ctx, "mount_setattr read-only", tree, fd);
  if (MoveMount(tree, fd) < 0) Fail(ctx, "move_mount of the read-only bind", tree, fd);
  Close(tree);
  Close(fd);
  return 0;
}

bool UnderPath(const char* p, size_t plen, const char* root, size_t rlen) {
  if (plen < rlen) return false;
  for (size_t i = 0; i < rlen; i++)
    if (p[i] != root[i]) return false;
  return plen == rlen || p[rlen] == '/' || (rlen == 1 && root[0] == '/');
}

// Decodes mountinfo's octal escapes (\040) in place.
void Unescape(char* s) {
  char* w = s;
  for (char* r = s; *r;) {
    if (r[0] == '\\' && r[1] >= '0' && r[1] <= '7' && r[2] >= '0' && r[2] <= '7' && r[3] >= '0' && r[3] <= '7') {
      *w++ = static_cast<char>((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
      r += 4;
    } else {
      *w++ = *r++;
    }
  }
  *w = 0;
}

// --no-pivot: as runc, first hide every full procfs and sysfs mount of the host in this mount
// namespace (a chroot leaves them reachable, and their presence would let the container mount
// new ones), then move the rootfs onto / and chroot into it.
void HideHostProcSys(ChildCtx* ctx, const char* rootfs) {
  int fd = Open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
  if (fd < 0) Fail(ctx, "open /proc/self/mountinfo");
  const size_t cap = 8u << 20;
  void* mem = Mmap(cap);
  if (mem == MAP_FAILED) Fail(ctx, "mmap", fd);
  char* buf = static_cast<char*>(mem);
  size_t len = 0;
  for (;;) {
    ssize_t r = Read(fd, buf + len, cap - 1 - len);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) Fail(ctx, "read /proc/self/mountinfo", fd);
    if (r == 0) break;
    len += static_cast<size_t>(r);
    if (len >= cap - 1) {
      errno = EFBIG;
      Fail(ctx, "read /proc/self/mountinfo", fd);
    }
  }
  Close(fd);
  buf[len] = 0;
  size_t rlen = Len(rootfs);
  for (char* line = buf; *line;) {
    char* eol = line;
    while (*eol && *eol != '\n') eol++;
    char* next = *eol ? eol + 1 : eol;
    *eol = 0;
    // Fields: id parent major:minor root mountpoint options [optional...] - fstype source superopts
    char* f[5] = {};
    char* p = line;
    for (int k = 0; k < 5 && *p; k++) {
      f[k] = p;
      while (*p && *p != ' ') p++;
      if (*p) *p++ = 0;
    }
    char* fstype = nullptr;
    for (char* q = p; *q; q++) {
      if (q[0] == '-' && q[1] == ' ' && (q == p || q[-1] == ' ')) {
        fstype = q + 2;
        char* e = fstype;
        while (*e && *e != ' ') e++;
        *e = 0;
        break;
      }
    }
    if (f[4] && fstype && Eq(f[3], "/") && (Eq(fstype, "proc") || Eq(fstype, "sysfs"))) {
      char* mp = f[4];
      Unescape(mp);
      if (!UnderPath(mp, Len(mp), rootfs, rlen)) {
        if (Mount("", mp, nullptr, MS_SLAVE | MS_REC, nullptr) < 0) {
          if (errno != ENOENT) Fail(ctx, "make a host procfs/sysfs mount slave");
        } else if (Umount2(mp, MNT_DETACH) < 0) {
          if (errno != EINVAL && errno != EPERM) Fail(ctx, "unmount a host procfs/sysfs mount");
          if (Mount("tmpfs", mp, "tmpfs", 0, nullptr) < 0) Fail(ctx, "cover a host procfs/sysfs mount");
        }
      }
    }
    line = next;
  }
  Munmap(mem, cap);
}

int Pivot(ChildCtx* ctx, const Op& op) {
  int64_t mode = OpInt(op, 0);
  unsigned long post = static_cast<unsigned long>(OpInt(op, 1));
  if (ctx->rootfs_fd < 0) {
    errno = EBADF;
    Fail(ctx, "the rootfs is not open");
  }
  if (mode == kPivotRoot) {
    int oldroot = Open("/", O_DIRECTORY | O_PATH | O_CLOEXEC);
    if (oldroot < 0) Fail(ctx, "open the old root");
    if (Fchdir(ctx->rootfs_fd) < 0) Fail(ctx, "fchdir to the rootfs", oldroot);
    if (PivotRoot(".", ".") < 0) Fail(ctx, "pivot_root", oldroot);
    // The old root is now stacked under "."; make it slave so its unmount stays here, drop it.
    if (Fchdir(oldroot) < 0) Fail(ctx, "fchdir to the old root", oldroot);
    if (Mount("", ".", nullptr, MS_SLAVE | MS_REC, nullptr) < 0) Fail(ctx, "make the old root rslave", oldroot);
    if (Umount2(".", MNT_DETACH) < 0) Fail(ctx, "unmount the old root", oldroot);
    Close(oldroot);
  } else {
    if (mode == kPivotMoveChroot) {
      HideHostProcSys(ctx, OpStr(op, 0));
      if (Fchdir(ctx->rootfs_fd) < 0) Fail(ctx, "fchdir to the rootfs");
      if (Mount(".", "/", nullptr, MS_MOVE, nullptr) < 0) Fail(ctx, "move the rootfs onto /");
    } else if (Fchdir(ctx->rootfs_fd) < 0) {
      Fail(ctx, "fchdir to the rootfs");
    }
    if (Chroot(".") < 0) Fail(ctx, "chroot");
  }
  if (Chdir("/") < 0) Fail(ctx, "chdir to the new root");
  if (post && Mount("", "/", nullptr, post, nullptr) < 0) Fail(ctx, "set the propagation of the new root");
  if (mode != kPivotChrootOnly) ReopenDevNull(ctx);
  // The container's procfs, verified, for every later write below /proc (sysctl here, LSM
  // attributes on the process side). Left at -1 when /proc is not the root of a procfs.
  if (ctx->proc_fd < 0) {
    int fd = OpenAt2(AT_FDCWD, "/proc", O_PATH | O_DIRECTORY | O_CLOEXEC, kResolveNoSymlinks | kResolveNoMagiclinks);
    struct statfs sfs;
    struct stat st;
    if (fd >= 0 && Fstatfs(fd, &sfs) == 0 && Fstat(fd, &st) == 0 && sfs.f_type == kProcSuperMagic && st.st_ino == 1) {
      ctx->proc_fd = fd;
    } else {
      CloseFd(fd);
    }
  }
  return 0;
}

int RootReadonly(ChildCtx* ctx, const Op&) {
  int fd = Open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) Fail(ctx, "open /");
  if (MountSetattr(fd, false, kAttrRdonly, 0, 0) < 0) Fail(ctx, "mount_setattr read-only", fd);
  Close(fd);
  return 0;
}

// A verified handle on the root of a procfs: ctx->proc_fd when set, else the container's /proc.
int ProcHandle(ChildCtx* ctx) {
  if (ctx->proc_fd < 0) {
    ctx->proc_fd = OpenAt2(AT_FDCWD, "/proc", O_PATH | O_DIRECTORY | O_CLOEXEC, kResolveNoSymlinks | kResolveNoMagiclinks);
    if (ctx->proc_fd < 0) Fail(ctx, "open /proc for sysctl");
  }
  struct statfs sfs;
  struct stat st;
  if (Fstatfs(ctx->proc_fd, &sfs) < 0 || Fstat(ctx->proc_fd, &st) < 0) Fail(ctx, "fstatfs of /proc");
  if (sfs.f_type != kProcSuperMagic || st.st_ino != 1) {
    errno = EINVAL;
    Fail(ctx, "/proc is not the root of a procfs");
  }
  return ctx->proc_fd;
}

int Sysctl(ChildCtx* ctx, const Op& op) {
  int proc = ProcHandle(ctx);
  // No symlinks, no mount crossings: an overmounted /proc/sys entry is refused (CVE-2025-52881).
  int fd = OpenAt2(proc, OpStr(op, 0), O_WRONLY | O_NOCTTY | O_CLOEXEC,
                   kResolveBeneath | kResolveNoSymlinks | kResolveNoMagiclinks | kResolveNoXdev);
  if (fd < 0) Fail(ctx, "open the sysctl file below /proc");
  struct statfs sfs;
  if (Fstatfs(fd, &sfs) < 0) Fail(ctx, "fstatfs of the sysctl file", fd);
  if (sfs.f_type != kProcSuperMagic) {
    errno = EINVAL;
    Fail(ctx, "the sysctl file is not on procfs", fd);
  }
  const char* value = OpStr(op, 1);
  size_t n = OpLen(op, 1), off = 0;
  while (off < n) {
    ssize_t w = Write(fd, value + off, n - off);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) Fail(ctx, "write the sysctl value", fd);
    if (w == 0) {
      errno = EIO;
      Fail(ctx, "write the sysctl value", fd);
    }
    off += static_cast<size_t>(w);
  }
  Close(fd);
  return 0;
}

}  // namespace

int RunRootfsOp(ChildCtx* ctx, const Op& op) {
  switch (op.kind) {
    case kOpOpenRootfs:
      return OpenRootfs(ctx, op);
    case kOpRootPropagation:
      return RootPropagation(ctx, op);
    case kOpMount:
      return DoMount(ctx, op);
    case kOpDevice:
      return Device(ctx, op);
    case kOpSymlink:
      return Symlink(ctx, op);
    case kOpMaskPath:
      return MaskPath(ctx, op);
    case kOpReadonlyPath:
      return ReadonlyPath(ctx, op);
    case kOpPivot:
      return Pivot(ctx, op);
    case kOpRootReadonly:
      return RootReadonly(ctx, op);
    case kOpHostname:
      if (Sethostname(OpStr(op, 0), OpLen(op, 0)) < 0) Fail(ctx, "sethostname");
      return 0;
    case kOpDomainname:
      if (Setdomainname(OpStr(op, 0), OpLen(op, 0)) < 0) Fail(ctx, "setdomainname");
      return 0;
    case kOpSysctl:
      return Sysctl(ctx, op);
    case kOpMkdirInRoot:
      return MkdirInRoot(ctx, op);
    default:
      errno = ENOSYS;
      Fail(ctx, "unknown root filesystem op");
  }
}

}  // namespace ocirt

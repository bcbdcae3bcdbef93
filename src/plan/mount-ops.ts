/**
 * Root filesystem op kinds (100..199) and the one table of mount options.
 *
 * The kind numbers, mount bits and pivot modes are contract/contract.json's (generated for both
 * sides). The table is also what `features.mountOptions` reports, through
 * supportedMountOptions(): only options whose effect the child can apply.
 */
import { MOUNT_BITS, PIVOT_MODES, ROOTFS_OPS } from './contract.gen';

export const RootfsOp = {
  /** strs: [rootfs abs path]. Opens ctx->rootfs_fd (O_PATH|O_DIRECTORY). */
  OpenRootfs: ROOTFS_OPS.OpenRootfs,
  /**
   * ints: [flags for "/" (MS_REC|MS_SLAVE...), flag for the rootfs's parent mount (MS_SLAVE or
   * MS_PRIVATE)]; strs: [rootfs abs path]. mount("", "/", flags); makes the mount holding the
   * rootfs not shared; binds the rootfs onto itself (rbind) and makes ctx->rootfs_fd that mount.
   */
  RootPropagation: ROOTFS_OPS.RootPropagation,
  /**
   * ints: [flags, clear, attrSet, attrClr, bits (MountBits), idmapUsernsFd (-1: none), propagation...];
   * strs: [source, dest, type, data, fallbackSource].
   * flags/clear: MS_* set and explicitly cleared by the options (a bind applies them to the new
   * mount with mount_setattr, keeping what it does not name). attrSet/attrClr: recursive
   * attributes (rro, rnosuid, ...) through mount_setattr(AT_RECURSIVE). propagation: MS_SHARED,
   * MS_SLAVE|MS_REC, ... applied in order after the mount. dest is resolved inside the rootfs
   * (openat2 RESOLVE_IN_ROOT); missing directories (or an empty file for a bind of a file) are
   * created. fallbackSource: host path bound (rbind) instead when the mount fails with EPERM or
   * EBUSY and bits has Fallback (sysfs without a new netns, cgroup2 without a cgroupns).
   */
  Mount: ROOTFS_OPS.Mount,
  /**
   * ints: [major, minor, mode (permission bits), uid, gid, type (char code c|b|p), bindInstead];
   * strs: [path in the container, host path to bind when binding]. mknod (umask 0), verified
   * by fstat, chowned; EEXIST is fine; EPERM or bindInstead binds the host's node instead.
   */
  Device: ROOTFS_OPS.Device,
  /** ints: [mode: 0 keep an existing entry, 1 replace it, 2 only if strs[0] exists on the host]; strs: [linkTarget, path]. */
  Symlink: ROOTFS_OPS.Symlink,
  /** strs: [path]. Bind a verified /dev/null over a file, a read-only tmpfs over a directory; a missing path is skipped. */
  MaskPath: ROOTFS_OPS.MaskPath,
  /**
   * ints: [mode]; strs: [path]. mode 0 (readonlyPaths): bind onto itself recursively and make
   * it read-only recursively, keeping the other flags; a missing path is skipped. mode 1: make
   * the existing mount at path read-only (a /dev or tmpfs mount whose "ro" was deferred).
   */
  ReadonlyPath: ROOTFS_OPS.ReadonlyPath,
  /**
   * ints: [mode (PivotMode), propagation for "/" after the pivot (0: none)]; strs: [rootfs abs path].
   * pivot_root(".", ".") + umount2(".", MNT_DETACH); or MS_MOVE + chroot; or chroot alone.
   */
  Pivot: ROOTFS_OPS.Pivot,
  /** Remount "/" read-only, keeping the existing flags (mount_setattr). */
  RootReadonly: ROOTFS_OPS.RootReadonly,
  /** strs: [hostname]. */
  Hostname: ROOTFS_OPS.Hostname,
  /** strs: [domainname]. */
  Domainname: ROOTFS_OPS.Domainname,
  /** strs: [path below procfs ("sys/net/ipv4/ip_forward"), value]. Written through the verified procfs handle. */
  Sysctl: ROOTFS_OPS.Sysctl,
  /**
   * strs: [path]. After the pivot: mkdir -p of path inside the container's root (0755, each
   * component resolved in the root), for a missing cwd that a read-only root would refuse later.
   */
  MkdirInRoot: ROOTFS_OPS.MkdirInRoot,
} as const;

/** Bits of a Mount op's ints[4]. */
export const MountBits = {
  /** A bind mount: source is a host path, cloned with open_tree (MS_REC in flags: recursive). */
  Bind: MOUNT_BITS.Bind,
  /** Refuse any symlink on the way to dest (proc and sysfs mounts). */
  NoSymlinks: MOUNT_BITS.NoSymlinks,
  /** Mount without MS_RDONLY now; a ReadonlyPath op (mode 1) makes it read-only after the pivot. */
  DeferRo: MOUNT_BITS.DeferRo,
  /** On EPERM/EBUSY, rbind fallbackSource instead, with the flags applied recursively. */
  Fallback: MOUNT_BITS.Fallback,
  /** tmpfs on an existing dir: its root gets that dir's mode after the mount, as runc does (over any mode=). */
  TmpfsInheritMode: MOUNT_BITS.TmpfsInheritMode,
  /** The target may lie on procfs (a proc mount on /proc, a bind of procfs, lxcfs files). */
  MayTargetProc: MOUNT_BITS.MayTargetProc,
  /** A bind with an idmap: MOUNT_ATTR_IDMAP with the user namespace fd in ints[5] (ridmap: recursive). */
  Idmap: MOUNT_BITS.Idmap,
  IdmapRecursive: MOUNT_BITS.IdmapRecursive,
  /** tmpfs with tmpcopyup: what the covered directory holds is copied into the new tmpfs (runc's copy-up). */
  Tmpcopyup: MOUNT_BITS.Tmpcopyup,
  /** A bind whose source ocirt opened before the clone (open_tree): the detached tree's fd is ints[5]. */
  SourceFd: MOUNT_BITS.SourceFd,
} as const;

/** ints[0] of a Pivot op. */
export const PivotMode = PIVOT_MODES;

// Kernel constants (include/uapi/linux/mount.h, fs.h).
export const MS = {
  RDONLY: 0x1, NOSUID: 0x2, NODEV: 0x4, NOEXEC: 0x8, SYNCHRONOUS: 0x10, REMOUNT: 0x20,
  MANDLOCK: 0x40, DIRSYNC: 0x80, NOSYMFOLLOW: 0x100, NOATIME: 0x400, NODIRATIME: 0x800,
  BIND: 0x1000, MOVE: 0x2000, REC: 0x4000, SILENT: 0x8000, UNBINDABLE: 0x20000,
  PRIVATE: 0x40000, SLAVE: 0x80000, SHARED: 0x100000, RELATIME: 0x200000,
  I_VERSION: 0x800000, STRICTATIME: 0x1000000, LAZYTIME: 0x2000000,
} as const;

export const MOUNT_ATTR = {
  RDONLY: 0x1, NOSUID: 0x2, NODEV: 0x4, NOEXEC: 0x8, _ATIME: 0x70, RELATIME: 0x0,
  NOATIME: 0x10, STRICTATIME: 0x20, NODIRATIME: 0x80, IDMAP: 0x100000, NOSYMFOLLOW: 0x200000,
} as const;

type Entry =
  | { t: 'flag'; set: boolean; flag: number }
  | { t: 'prop'; flag: number }
  | { t: 'rattr'; set: boolean; attr: number; /** atime modes replace the whole _ATIME field */ atime?: boolean }
  | { t: 'idmap'; recursive: boolean }
  | { t: 'copyup' }
  | { t: 'unsupported'; why: string };

const flag = (set: boolean, f: number): Entry => ({ t: 'flag', set, flag: f });
const rattr = (set: boolean, attr: number, atime = false): Entry => ({ t: 'rattr', set, attr, atime });

/** Every mount option of config.md and config-linux.md. */
export const MOUNT_OPTIONS: Readonly<Record<string, Entry>> = {
  bind: flag(true, MS.BIND), rbind: flag(true, MS.BIND | MS.REC),
  ro: flag(true, MS.RDONLY), rw: flag(false, MS.RDONLY),
  nosuid: flag(true, MS.NOSUID), suid: flag(false, MS.NOSUID),
  nodev: flag(true, MS.NODEV), dev: flag(false, MS.NODEV),
  noexec: flag(true, MS.NOEXEC), exec: flag(false, MS.NOEXEC),
  sync: flag(true, MS.SYNCHRONOUS), async: flag(false, MS.SYNCHRONOUS),
  dirsync: flag(true, MS.DIRSYNC), remount: flag(true, MS.REMOUNT),
  mand: flag(true, MS.MANDLOCK), nomand: flag(false, MS.MANDLOCK),
  atime: flag(false, MS.NOATIME), noatime: flag(true, MS.NOATIME),
  diratime: flag(false, MS.NODIRATIME), nodiratime: flag(true, MS.NODIRATIME),
  relatime: flag(true, MS.RELATIME), norelatime: flag(false, MS.RELATIME),
  strictatime: flag(true, MS.STRICTATIME), nostrictatime: flag(false, MS.STRICTATIME),
  lazytime: flag(true, MS.LAZYTIME), nolazytime: flag(false, MS.LAZYTIME),
  silent: flag(true, MS.SILENT), loud: flag(false, MS.SILENT),
  iversion: flag(true, MS.I_VERSION), noiversion: flag(false, MS.I_VERSION),
  nosymfollow: flag(true, MS.NOSYMFOLLOW), symfollow: flag(false, MS.NOSYMFOLLOW),
  private: { t: 'prop', flag: MS.PRIVATE }, rprivate: { t: 'prop', flag: MS.PRIVATE | MS.REC },
  shared: { t: 'prop', flag: MS.SHARED }, rshared: { t: 'prop', flag: MS.SHARED | MS.REC },
  slave: { t: 'prop', flag: MS.SLAVE }, rslave: { t: 'prop', flag: MS.SLAVE | MS.REC },
  unbindable: { t: 'prop', flag: MS.UNBINDABLE }, runbindable: { t: 'prop', flag: MS.UNBINDABLE | MS.REC },
  rro: rattr(true, MOUNT_ATTR.RDONLY), rrw: rattr(false, MOUNT_ATTR.RDONLY),
  rnosuid: rattr(true, MOUNT_ATTR.NOSUID), rsuid: rattr(false, MOUNT_ATTR.NOSUID),
  rnodev: rattr(true, MOUNT_ATTR.NODEV), rdev: rattr(false, MOUNT_ATTR.NODEV),
  rnoexec: rattr(true, MOUNT_ATTR.NOEXEC), rexec: rattr(false, MOUNT_ATTR.NOEXEC),
  rnodiratime: rattr(true, MOUNT_ATTR.NODIRATIME), rdiratime: rattr(false, MOUNT_ATTR.NODIRATIME),
  rnoatime: rattr(true, MOUNT_ATTR.NOATIME, true), ratime: rattr(false, MOUNT_ATTR.NOATIME, true),
  rrelatime: rattr(true, MOUNT_ATTR.RELATIME, true), rnorelatime: rattr(false, MOUNT_ATTR.RELATIME, true),
  rstrictatime: rattr(true, MOUNT_ATTR.STRICTATIME, true), rnostrictatime: rattr(false, MOUNT_ATTR.STRICTATIME, true),
  rnosymfollow: rattr(true, MOUNT_ATTR.NOSYMFOLLOW), rsymfollow: rattr(false, MOUNT_ATTR.NOSYMFOLLOW),
  idmap: { t: 'idmap', recursive: false },
  ridmap: { t: 'idmap', recursive: true },
  tmpcopyup: { t: 'copyup' },
};

export interface ParsedMountOptions {
  /** MS_* flags to set on the mount(2) call. */
  flags: number;
  /** MS_* flags an option explicitly cleared (rw, suid, ...), kept for remounts. */
  clear: number;
  /** Propagation flags, applied by a separate mount(2) after the mount itself. */
  propagation: number[];
  /** mount_setattr(AT_RECURSIVE) attr_set / attr_clr. */
  attrSet: number;
  attrClr: number;
  /** Options the kernel does not know as flags: passed as the data string (tmpfs size=, mode=). */
  data: string;
  /** idmap or ridmap was given: the last one decides whether the idmapping is recursive. */
  idmap: boolean;
  idmapRecursive: boolean;
  /** tmpcopyup was given (a runtime extension, not a mount(2) option; tmpfs only, as in runc). */
  copyup: boolean;
  /** Options in the table that the runtime cannot apply yet, with the reason. */
  unsupported: Array<{ option: string; why: string }>;
}

/** Parses a mount's options left to right; a later option overrides an earlier one. */
export function parseMountOptions(options: readonly string[] | undefined): ParsedMountOptions {
  const out: ParsedMountOptions = { flags: 0, clear: 0, propagation: [], attrSet: 0, attrClr: 0, data: '', idmap: false, idmapRecursive: false, copyup: false, unsupported: [] };
  const data: string[] = [];
  for (const option of options ?? []) {
    const e = Object.prototype.hasOwnProperty.call(MOUNT_OPTIONS, option) ? MOUNT_OPTIONS[option] : undefined;
    if (!e) { data.push(option); continue; }
    switch (e.t) {
      case 'flag':
        if (e.set) { out.flags |= e.flag; out.clear &= ~e.flag; } else { out.flags &= ~e.flag; out.clear |= e.flag; }
        break;
      case 'prop':
        out.propagation.push(e.flag);
        break;
      case 'rattr':
        // The atime modes are one field: any of them resets the field, and only a "set" picks a mode.
        if (e.atime) {
          out.attrClr |= MOUNT_ATTR._ATIME;
          out.attrSet &= ~MOUNT_ATTR._ATIME;
          if (e.set) out.attrSet |= e.attr;
        } else if (e.set) { out.attrSet |= e.attr; out.attrClr &= ~e.attr; }
        else { out.attrClr |= e.attr; out.attrSet &= ~e.attr; }
        break;
      case 'idmap':
        // Not a mount(2) option: the mapping is attached with mount_setattr (plan/rootfs.ts).
        out.idmap = true;
        out.idmapRecursive = e.recursive;
        break;
      case 'copyup':
        out.copyup = true;
        break;
      case 'unsupported':
        out.unsupported.push({ option, why: e.why });
        break;
    }
  }
  out.data = data.join(',');
  return out;
}

/** The options the table knows how to apply. */
export function tableMountOptions(): string[] {
  return Object.keys(MOUNT_OPTIONS).filter((k) => MOUNT_OPTIONS[k].t !== 'unsupported').sort();
}

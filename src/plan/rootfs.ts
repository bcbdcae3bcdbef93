/**
 * Root filesystem part of the Plan: config -> ordered PlanOps for addon/rootfs.cc (pure, no I/O,
 * except hostCgroupMounts(), which reads the host's cgroup layout for the caller to pass in).
 *
 * Order (runc's): open the rootfs; make "/" rslave (or linux.rootfsPropagation) and bind the
 * rootfs onto itself; every config mount in order; when /dev is not a bind mount: device nodes,
 * /dev/ptmx -> pts/ptmx, the /dev symlinks; [createContainer hooks: inserted by plan/build.ts];
 * pivot; deferred read-only remounts (/dev, tmpfs); [mkdir -p of the cwd]; root.readonly; hostname; domainname;
 * sysctl; readonlyPaths; maskedPaths. sysctl comes before readonlyPaths because the defaults
 * make /proc/sys read-only.
 */
import * as path from 'node:path';
import { OcirtError } from '../errors';
import type { IDMapping, LinuxDevice, LinuxNamespace, LinuxNamespaceType, Mount, RootfsPropagation, Spec } from '../spec/types';
import { pointerJoin } from '../spec/pointer';
import type { PlanOp } from './op';
import { MS, MountBits, PivotMode, RootfsOp, parseMountOptions, tableMountOptions } from './mount-ops';

/** The host's cgroup layout as the container's cgroup mounts need it (see hostCgroupMounts). */
export interface CgroupMountHost {
  layout: 'unified' | 'hybrid' | 'legacy';
  /** v1 hierarchies (legacy and hybrid): the host mount point and its controllers (cpu, name=systemd). */
  v1: Array<{ mountPoint: string; controllers: string[]; /** the container's directory in it */ dir?: string }>;
  /** The container's cgroup2 directory (unified), bound instead of a cgroup2 mount when that mount is refused. */
  v2Dir?: string;
}

export interface RootfsOptions {
  bundle: string;
  noPivot: boolean;
  /** Needed only when config.json has a `cgroup` mount; hostCgroupMounts() gives it. */
  cgroup?: CgroupMountHost;
  /**
   * For each idmapped mount (idmapRequests), by mount index: an fd of a user namespace with its
   * maps, made by the caller before the clone. Absent (a printed plan): -1 in the op.
   */
  idmapFds?: ReadonlyMap<number, number>;
  /** For binds ocirt opened itself (bindSourcesToOpen), by mount index: the detached tree's fd. */
  bindSourceFds?: ReadonlyMap<number, number>;
}

/** Decodes mountinfo's octal escapes (\040). */
function unescapeMountinfo(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8)));
}

/**
 * The bind sources ocirt opens itself, before the clone, for a container with a new user
 * namespace: its root there is an unprivileged host uid, which cannot walk into a 0700
 * directory on the way to a source (runc and crun open the sources with the runtime's rights
 * too). The child then attaches the detached tree. Left to the child, as before, where the
 * tree would carry more than the child could have made itself: a source on a read-only mount
 * (a tree made outside the user namespace is not locked read-only, so the container could make
 * it writable), and a recursive bind with mounts below the source (they would not be locked to
 * their mount points). `sources` are the resolved (symlink-free) source paths by mount index.
 */
export function bindSourcesToOpen(config: Spec, sources: ReadonlyMap<number, string>, mountinfo: string): Array<{ mountIndex: number; source: string; recursive: boolean }> {
  const userNs = newUserNs(config);
  if (!userNs) return [];
  const mounts = mountinfo.split('\n').filter(Boolean).map((l) => {
    const f = l.split(' ');
    return { point: unescapeMountinfo(f[4] ?? ''), ro: (f[5] ?? '').split(',').includes('ro') };
  });
  const within = (p: string, dir: string) => p === dir || p.startsWith(dir === '/' ? '/' : dir + '/');
  const out: Array<{ mountIndex: number; source: string; recursive: boolean }> = [];
  for (const [i, source] of sources) {
    const m = config.mounts?.[i];
    if (!m || !isBind(m)) continue;
    const opts = m.options ?? [];
    if (opts.includes('idmap') || opts.includes('ridmap') || m.uidMappings) continue;
    const recursive = opts.includes('rbind');
    // The mount holding the source: the last one listed at the longest covering mount point.
    let holder: { point: string; ro: boolean } | undefined;
    for (const x of mounts) if (within(source, x.point) && (!holder || x.point.length >= holder.point.length)) holder = x;
    if (!holder || holder.ro) continue;
    if (recursive && mounts.some((x) => x.point !== source && within(x.point, source))) continue;
    out.push({ mountIndex: i, source, recursive });
  }
  return out;
}

/** A user namespace an idmapped mount needs, in /proc's uid_map/gid_map text. */
export interface IdmapRequest {
  mountIndex: number;
  uidMap: string;
  gidMap: string;
}

/** Id maps as the kernel reads them from uid_map and gid_map: "containerID hostID size" lines. */
export function mapText(maps: readonly IDMapping[]): string {
  return maps.map((m) => `${m.containerID} ${m.hostID} ${m.size}\n`).join('');
}

/**
 * The idmapped mounts of a config and the maps of each (config.md): the mount's own
 * uid/gidMappings, or with only the idmap/ridmap option the container's user namespace maps.
 * That such a mount has maps from somewhere is semantic.ts's rule; what is refused here is what
 * ocirt does not do. Errors point at the mount.
 */
export function idmapRequests(config: Spec): IdmapRequest[] {
  const out: IdmapRequest[] = [];
  const userNs = newUserNs(config);
  (config.mounts ?? []).forEach((m, i) => {
    const pointer = `/mounts/${i}`;
    const opts = m.options ?? [];
    const option = opts.includes('idmap') || opts.includes('ridmap');
    const hasUid = m.uidMappings !== undefined;
    const hasGid = m.gidMappings !== undefined;
    if (!option && !hasUid && !hasGid) return;
    if (hasUid !== hasGid) fail(`${pointer}/${hasUid ? 'gidMappings' : 'uidMappings'}`, 'uidMappings and gidMappings go together');
    if (!isBind(m)) fail(`${pointer}/options`, 'idmapped mounts are supported for bind mounts only');
    let uid = m.uidMappings ?? [];
    let gid = m.gidMappings ?? [];
    if (!hasUid) {
      if (!userNs) fail(`${pointer}/options/${opts.findIndex((o) => o === 'idmap' || o === 'ridmap')}`, 'idmap without uidMappings/gidMappings needs a new user namespace, whose maps it takes');
      uid = config.linux?.uidMappings ?? [];
      gid = config.linux?.gidMappings ?? [];
    }
    if (!uid.length) fail(`${pointer}/uidMappings`, 'an idmapped mount needs at least one uid mapping');
    if (!gid.length) fail(`${pointer}/gidMappings`, 'an idmapped mount needs at least one gid mapping');
    // The child attaches the mapping itself, which needs CAP_SYS_ADMIN where the mount was
    // made: inside a user namespace of its own it has not, and the kernel says only EPERM.
    if (userNs) fail(`${pointer}/options`, 'idmapped mounts in a container with its own user namespace are not supported: the container has no CAP_SYS_ADMIN where the mount is made');
    out.push({ mountIndex: i, uidMap: mapText(uid), gidMap: mapText(gid) });
  });
  return out;
}

/** runc's default device nodes (its AllowedDevices that have a path). */
export const DEFAULT_DEVICES: ReadonlyArray<{ path: string; type: 'c'; major: number; minor: number }> = [
  { path: '/dev/null', type: 'c', major: 1, minor: 3 },
  { path: '/dev/zero', type: 'c', major: 1, minor: 5 },
  { path: '/dev/full', type: 'c', major: 1, minor: 7 },
  { path: '/dev/tty', type: 'c', major: 5, minor: 0 },
  { path: '/dev/urandom', type: 'c', major: 1, minor: 9 },
  { path: '/dev/random', type: 'c', major: 1, minor: 8 },
];

const PROPAGATION: Readonly<Record<RootfsPropagation, number>> = {
  private: MS.PRIVATE, rprivate: MS.PRIVATE | MS.REC,
  slave: MS.SLAVE, rslave: MS.SLAVE | MS.REC,
  shared: MS.SHARED, rshared: MS.SHARED | MS.REC,
  unbindable: MS.UNBINDABLE, runbindable: MS.UNBINDABLE | MS.REC,
};

/** The few /proc entries that may be mount targets besides /proc itself (lxcfs), as in runc. */
const PROC_TARGETS = new Set([
  '/proc/cpuinfo', '/proc/diskstats', '/proc/meminfo', '/proc/stat', '/proc/swaps', '/proc/uptime',
  '/proc/loadavg', '/proc/slabinfo', '/proc/sys/kernel/ns_last_pid', '/proc/sys/crypto/fips_enabled',
]);

const DEFAULT_CGROUP_FLAGS = MS.NOSUID | MS.NOEXEC | MS.NODEV;

/** "/a//b/../c/" -> "/a/c" (lexical; for comparisons and messages, never for resolving). */
export function cleanPath(p: string): string {
  return path.posix.normalize('/' + p).replace(/(.)\/+$/, '$1');
}

function isBind(m: Mount): boolean {
  const opts = m.options ?? [];
  return m.type === 'bind' || opts.includes('bind') || opts.includes('rbind');
}

function nsOf(config: Spec, type: LinuxNamespaceType): LinuxNamespace | undefined {
  return config.linux?.namespaces?.find((n) => n.type === type);
}

function newUserNs(config: Spec): boolean {
  const ns = nsOf(config, 'user');
  return !!ns && !ns.path;
}

/** Maps sysctl's dotted (or slashed) name to its path below procfs, as runc does. */
export function sysctlPath(key: string, pointer: string): string {
  const first = key.search(/[./]/);
  let p = key;
  if (first >= 0 && key[first] === '.') p = key.replace(/[./]/g, (c) => (c === '.' ? '/' : '.'));
  const segs = p.split('/');
  if (segs.some((s) => s === '' || s === '.' || s === '..')) {
    throw new OcirtError(`${pointer}: invalid sysctl name ${JSON.stringify(key)}`, { pointer });
  }
  return 'sys/' + p;
}

function op(kind: number, ints: number[], strs: string[], pointer: string, what: string): PlanOp {
  return { kind, ints, strs, pointer, what };
}

function fail(pointer: string, message: string): never {
  throw new OcirtError(`${pointer}: ${message}`, { pointer });
}

/** The rootfs ops of a checked config (src/spec/load.ts); see buildPlan. */
export function buildRootfsOps(config: Spec, opts: RootfsOptions): PlanOp[] {
  const ops: PlanOp[] = [];
  const deferred: PlanOp[] = [];
  const rootPath = config.root?.path ?? 'rootfs';
  const rootfs = path.resolve(opts.bundle, rootPath);
  const mounts = config.mounts ?? [];
  const linux = config.linux ?? {};
  const mntNs = !!nsOf(config, 'mount');
  const userNs = !!nsOf(config, 'user');
  const netNs = nsOf(config, 'network');
  const newNetNs = !!netNs && !netNs.path;
  const cgroupNs = !!nsOf(config, 'cgroup');

  ops.push(op(RootfsOp.OpenRootfs, [], [rootfs], '/root/path', `open the rootfs ${rootfs}`));

  if (!mntNs) {
    // Without a mount namespace the caller's is inherited (the spec's rule for any namespace
    // not listed): the config's mounts land there, under the rootfs, and delete detaches them
    // (src/runtime/host-mounts.ts). What would change the rootfs mount itself is refused.
    if (linux.maskedPaths?.length) fail('/linux/maskedPaths', 'masked paths need a mount namespace');
    if (linux.readonlyPaths?.length) fail('/linux/readonlyPaths', 'read-only paths need a mount namespace');
    if (config.root?.readonly) fail('/root/readonly', 'a read-only root needs a mount namespace');
    if (linux.rootfsPropagation) fail('/linux/rootfsPropagation', 'rootfsPropagation needs a mount namespace');
  }

  let rootProp = MS.SLAVE | MS.REC;
  if (linux.rootfsPropagation) {
    const p = PROPAGATION[linux.rootfsPropagation];
    if (opts.noPivot && p & MS.PRIVATE) fail('/linux/rootfsPropagation', `${linux.rootfsPropagation} is not safe without pivot_root (--no-pivot)`);
    rootProp = p;
  }
  if (mntNs) {
    const parent = rootProp & MS.SLAVE ? MS.SLAVE : MS.PRIVATE;
    ops.push(
      op(RootfsOp.RootPropagation, [rootProp, parent], [rootfs], linux.rootfsPropagation ? '/linux/rootfsPropagation' : '',
        `make / ${linux.rootfsPropagation ?? 'rslave'} and bind the rootfs onto itself`),
    );
  }

  const idmapped = new Set(idmapRequests(config).map((r) => r.mountIndex));
  mounts.forEach((m, i) => {
    const idmapFd = idmapped.has(i) ? opts.idmapFds?.get(i) ?? -1 : undefined;
    mountOps(m, `/mounts/${i}`, { bundle: opts.bundle, userNs, newNetNs, cgroupNs, cgroup: opts.cgroup, idmapFd, sourceFd: opts.bindSourceFds?.get(i) }, ops, deferred);
  });

  const setupDev = mntNs && !mounts.some((m) => isBind(m) && cleanPath(m.destination ?? '') === '/dev');
  if (setupDev) {
    const configDevices = linux.devices ?? [];
    const devices: Array<{ d: LinuxDevice; pointer: string }> = [
      ...DEFAULT_DEVICES.filter((d) => !configDevices.some((c) => cleanPath(c.path) === d.path)).map((d) => ({ d, pointer: '' })),
      ...configDevices.map((d, i) => ({ d, pointer: `/linux/devices/${i}` })),
    ];
    for (const { d, pointer } of devices) {
      const p = cleanPath(d.path);
      if (p === '/dev/ptmx') continue; // the pts/ptmx symlink below
      const type = d.type === 'u' ? 'c' : d.type;
      const mode = d.fileMode === undefined ? 0o666 : d.fileMode & 0o7777;
      ops.push(
        op(RootfsOp.Device, [d.major ?? 0, d.minor ?? 0, mode, d.uid ?? 0, d.gid ?? 0, type.charCodeAt(0), userNs ? 1 : 0], [p, p], pointer,
          `create device ${p}`),
      );
    }
    ops.push(op(RootfsOp.Symlink, [1], ['pts/ptmx', '/dev/ptmx'], '', 'create symlink /dev/ptmx -> pts/ptmx'));
    const links: Array<[string, string, number]> = [
      ['/proc/self/fd', '/dev/fd', 0],
      ['/proc/self/fd/0', '/dev/stdin', 0],
      ['/proc/self/fd/1', '/dev/stdout', 0],
      ['/proc/self/fd/2', '/dev/stderr', 0],
    ];
    // runc links /dev/core only when the kernel has /proc/kcore; the child checks the host's.
    if (mounts.some((m) => m.type === 'proc' && cleanPath(m.destination ?? '') === '/proc')) links.push(['/proc/kcore', '/dev/core', 2]);
    for (const [target, p, mode] of links) ops.push(op(RootfsOp.Symlink, [mode], [target, p], '', `create symlink ${p} -> ${target}`));
  }

  const postProp = rootProp & (MS.PRIVATE | MS.SLAVE) ? 0 : rootProp;
  const mode = !mntNs ? PivotMode.ChrootOnly : opts.noPivot ? PivotMode.MoveChroot : PivotMode.PivotRoot;
  const pivotWhat = mode === PivotMode.PivotRoot ? `pivot_root into ${rootfs}` : mode === PivotMode.MoveChroot ? `move ${rootfs} onto / and chroot (--no-pivot)` : `chroot into ${rootfs}`;
  ops.push(op(RootfsOp.Pivot, [mode, postProp], [rootfs], mode === PivotMode.MoveChroot ? '' : '/root/path', pivotWhat));

  for (const d of deferred) ops.push(d); // no spread: ~100,000 paths overflow the call stack
  if (config.root?.readonly) {
    // The init's cwd is made when missing (process ops); on a read-only root it must be made now.
    const cwd = config.process?.cwd;
    if (typeof cwd === 'string' && cwd.startsWith('/') && cleanPath(cwd) !== '/') {
      ops.push(op(RootfsOp.MkdirInRoot, [], [cwd], '/process/cwd', `mkdir -p ${cwd} (the cwd, before / goes read-only)`));
    }
    ops.push(op(RootfsOp.RootReadonly, [], [], '/root/readonly', 'make / read-only'));
  }

  // That they come with a UTS namespace of the container's is semantic.ts's rule.
  if (config.hostname !== undefined && config.hostname !== '') {
    ops.push(op(RootfsOp.Hostname, [], [config.hostname], '/hostname', `set the hostname to ${config.hostname}`));
  }
  if (config.domainname !== undefined && config.domainname !== '') {
    ops.push(op(RootfsOp.Domainname, [], [config.domainname], '/domainname', `set the domainname to ${config.domainname}`));
  }
  for (const [key, value] of Object.entries(linux.sysctl ?? {})) {
    const pointer = pointerJoin('/linux/sysctl', key);
    ops.push(op(RootfsOp.Sysctl, [], [sysctlPath(key, pointer), String(value)], pointer, `write sysctl ${key}=${value}`));
  }
  (linux.readonlyPaths ?? []).forEach((p, i) =>
    ops.push(op(RootfsOp.ReadonlyPath, [0], [p], `/linux/readonlyPaths/${i}`, `make ${p} read-only`)),
  );
  const masked = new Set<string>();
  (linux.maskedPaths ?? []).forEach((p, i) => {
    if (masked.has(cleanPath(p))) return;
    masked.add(cleanPath(p));
    ops.push(op(RootfsOp.MaskPath, [], [p], `/linux/maskedPaths/${i}`, `mask ${p}`));
  });
  return ops;
}

interface MountCtx {
  bundle: string;
  userNs: boolean;
  newNetNs: boolean;
  cgroupNs: boolean;
  cgroup?: CgroupMountHost;
  /** Set for an idmapped mount: its user namespace fd (-1 when the plan is only printed). */
  idmapFd?: number;
  /** Set for a bind whose source ocirt opened: the detached tree's fd. */
  sourceFd?: number;
}

function mountOps(m: Mount, pointer: string, c: MountCtx, ops: PlanOp[], deferred: PlanOp[]): void {
  // A relative destination was made absolute by semantic.ts (config.md's reading of it).
  const dest = m.destination;
  const clean = cleanPath(dest);
  if (clean === '/') fail(`${pointer}/destination`, 'mounting over the root of the container is not supported');
  const options = m.options ?? [];
  const parsed = parseMountOptions(options);
  if (parsed.unsupported.length) {
    const u = parsed.unsupported[0];
    fail(`${pointer}/options/${options.indexOf(u.option)}`, `mount option ${u.option}: ${u.why}`);
  }
  const bind = isBind(m);
  const type = bind ? 'bind' : m.type ?? '';
  if (!bind && !type) fail(`${pointer}/type`, 'a mount that is not a bind mount needs a type');

  if (type === 'cgroup') return cgroupOps(m, dest, pointer, parsed.flags, c, ops, deferred);

  let flags = parsed.flags;
  let bits = 0;
  let source = m.source ?? '';
  let fallback = '';
  if (bind) {
    flags |= MS.BIND;
    bits |= MountBits.Bind;
    if (!source) fail(`${pointer}/source`, 'a bind mount needs a source');
    // config.md: a relative bind source is relative to the bundle (runc: to its cwd, the bundle).
    source = path.resolve(c.bundle, source);
  }
  if (c.idmapFd !== undefined) bits |= parsed.idmapRecursive ? MountBits.Idmap | MountBits.IdmapRecursive : MountBits.Idmap;
  else if (bind && c.sourceFd !== undefined) bits |= MountBits.SourceFd;
  if (type === 'proc' || type === 'sysfs') bits |= MountBits.NoSymlinks;
  if (type === 'tmpfs') bits |= MountBits.TmpfsInheritMode | (parsed.copyup ? MountBits.Tmpcopyup : 0);
  if (clean === '/proc' ? type === 'proc' || bind : PROC_TARGETS.has(clean)) bits |= MountBits.MayTargetProc;
  if (type === 'sysfs' && !c.newNetNs) {
    bits |= MountBits.Fallback;
    fallback = '/sys';
  }
  if (type === 'cgroup2') {
    bits |= MountBits.Fallback;
    fallback = c.cgroupNs && c.cgroup?.v2Dir ? c.cgroup.v2Dir : '/sys/fs/cgroup';
  }
  // runc mounts /dev and every tmpfs read-write and makes them read-only after the devices,
  // the symlinks and the createContainer hooks.
  if (flags & MS.RDONLY && (clean === '/dev' || type === 'tmpfs') && !bind) {
    bits |= MountBits.DeferRo;
    deferred.push(op(RootfsOp.ReadonlyPath, [1], [dest], pointer, `make ${dest} read-only`));
  }
  let what = bind ? `bind mount ${source} on ${dest}` : `mount ${type} on ${dest}`;
  if (c.idmapFd !== undefined) what += parsed.idmapRecursive ? ', idmapped recursively' : ', idmapped';
  ops.push(
    op(RootfsOp.Mount, [flags, parsed.clear, parsed.attrSet, parsed.attrClr, bits, c.idmapFd ?? (bits & MountBits.SourceFd ? c.sourceFd! : -1), ...parsed.propagation],
      [source, dest, bind ? '' : type, bind ? '' : parsed.data, fallback], pointer, bits & MountBits.SourceFd ? `${what} (opened by ocirt)` : what),
  );
}

/**
 * A `cgroup` mount, as runc does it: on a unified host a cgroup2 mount (a bind of the container's
 * cgroup, or of /sys/fs/cgroup, when the kernel refuses it); on v1 a tmpfs with one mount per
 * hierarchy (a fresh cgroup mount in a cgroup namespace, else a bind of the container's own
 * directory) and symlinks for merged hierarchies (cpu -> cpu,cpuacct).
 */
function cgroupOps(m: Mount, dest: string, pointer: string, optFlags: number, c: MountCtx, ops: PlanOp[], deferred: PlanOp[]): void {
  // The caller should pass the layout (hostCgroupMounts(manager.dirs)); reading it here is the
  // one I/O of this module, and keeps configs with a cgroup mount working when it does not.
  let host = c.cgroup;
  if (!host) {
    try {
      host = hostCgroupMounts();
    } catch (e) {
      fail(`${pointer}/type`, `a cgroup mount needs the host cgroup layout: ${(e as Error).message}`);
    }
  }
  const ro = optFlags & MS.RDONLY;
  if (host.layout === 'unified') {
    const fallback = c.cgroupNs && host.v2Dir ? host.v2Dir : '/sys/fs/cgroup';
    ops.push(
      op(RootfsOp.Mount, [optFlags, 0, 0, 0, MountBits.Fallback, -1], [m.source || 'cgroup', dest, 'cgroup2', '', fallback], pointer,
        `mount cgroup2 on ${dest}`),
    );
    return;
  }
  const base = cleanPath(dest);
  ops.push(
    op(RootfsOp.Mount, [DEFAULT_CGROUP_FLAGS, 0, 0, 0, MountBits.TmpfsInheritMode | (ro ? MountBits.DeferRo : 0), -1],
      ['tmpfs', dest, 'tmpfs', 'mode=755', ''], pointer, `mount tmpfs on ${dest}`),
  );
  const links: Array<[string, string]> = [];
  for (const h of host.v1) {
    const name = path.posix.basename(h.mountPoint);
    const sub = `${base}/${name}`;
    if (c.cgroupNs) {
      ops.push(
        op(RootfsOp.Mount, [DEFAULT_CGROUP_FLAGS | ro, 0, 0, 0, 0, -1], ['cgroup', sub, 'cgroup', h.controllers.join(','), ''], pointer,
          `mount cgroup (${h.controllers.join(',')}) on ${sub}`),
      );
    } else {
      if (!h.dir) fail(`${pointer}/type`, `a cgroup mount without a cgroup namespace needs the container's directory in ${h.mountPoint}`);
      ops.push(
        op(RootfsOp.Mount, [MS.BIND | MS.REC | DEFAULT_CGROUP_FLAGS | ro, 0, 0, 0, MountBits.Bind, -1], [h.dir, sub, '', '', ''], pointer,
          `bind mount ${h.dir} on ${sub}`),
      );
    }
    if (name.includes(',')) for (const ss of name.split(',')) links.push([name, `${base}/${ss}`]);
  }
  for (const [target, p] of links) ops.push(op(RootfsOp.Symlink, [0], [target, p], pointer, `create symlink ${p} -> ${target}`));
  if (ro) deferred.push(op(RootfsOp.ReadonlyPath, [1], [dest], pointer, `make ${dest} read-only`));
}

/**
 * The host's cgroup layout for buildRootfsOps (reads /proc/self/mountinfo). `dirs` is the
 * container's cgroup manager's `dirs` (controller -> directory), used for binds on v1 without a
 * cgroup namespace and for the cgroup2 fallback.
 */
export function hostCgroupMounts(dirs: Record<string, string> = {}, root = '/sys/fs/cgroup', mountinfo?: string): CgroupMountHost {
  const { detect, mountsUnder, readMountinfo } = require('../cgroups/mounts') as typeof import('../cgroups/mounts');
  const text = mountinfo ?? readMountinfo();
  const layout = detect(root, text);
  const ms = mountsUnder(root, text);
  return {
    layout,
    v1: ms
      .filter((m) => !m.v2)
      .map((m) => {
        const key = m.controllers.map((x) => (x.startsWith('name=') ? x.slice(5) : x)).find((x) => dirs[x]);
        return { mountPoint: m.mountPoint, controllers: m.controllers, dir: key ? dirs[key] : undefined };
      }),
    v2Dir: dirs.unified,
  };
}

/**
 * features.json mountOptions: the options the child applies. test/integration/rootfs.test.ts checks them.
 */
export function supportedMountOptions(): string[] {
  return tableMountOptions();
}

/**
 * Where the cgroup hierarchies are, from /proc/self/mountinfo (injectable for tests), and how a
 * config's cgroupsPath maps into them.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { OcirtError } from '../errors';
import type { Layout } from './types';

export interface CgroupMount {
  mountPoint: string;
  /** The hierarchy's root as seen by this mount (field 4 of mountinfo); "/" outside a cgroupns. */
  root: string;
  v2: boolean;
  /** v1 controllers of the mount (cpu, cpuacct, name=systemd, ...); empty for cgroup2. */
  controllers: string[];
}

export function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8)));
}

const V1_OPTIONS = new Set(['rw', 'ro', 'noprefix', 'clone_children', 'xattr', 'cpuset_v2_mode', 'favordynmods']);

export function parseMountinfo(text: string): CgroupMount[] {
  const out: CgroupMount[] = [];
  for (const line of text.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const pre = line.slice(0, sep).split(' ');
    const [fstype, , superOpts = ''] = line.slice(sep + 3).split(' ');
    if (fstype !== 'cgroup' && fstype !== 'cgroup2') continue;
    out.push({
      mountPoint: unescapeMount(pre[4]),
      root: unescapeMount(pre[3]),
      v2: fstype === 'cgroup2',
      controllers:
        fstype === 'cgroup'
          ? superOpts.split(',').filter((o) => !V1_OPTIONS.has(o) && !o.startsWith('release_agent='))
          : [],
    });
  }
  return out;
}

export function readMountinfo(): string {
  return fs.readFileSync('/proc/self/mountinfo', 'utf8');
}

function under(p: string, root: string): boolean {
  return p === root || p.startsWith(root.endsWith('/') ? root : root + '/');
}

/** The cgroup mounts at or below root. */
export function mountsUnder(root: string, mountinfo: string = readMountinfo()): CgroupMount[] {
  const r = path.resolve(root);
  return parseMountinfo(mountinfo).filter((m) => under(m.mountPoint, r));
}

/**
 * unified: root itself is a cgroup2 mount; hybrid: v1 controllers plus a cgroup2 mount below
 * root (systemd puts it at unified/); legacy: v1 only.
 */
export function detect(root = '/sys/fs/cgroup', mountinfo?: string): Layout {
  const ms = mountsUnder(root, mountinfo ?? readMountinfo());
  const r = path.resolve(root);
  if (ms.some((m) => m.v2 && m.mountPoint === r)) return 'unified';
  const v1 = ms.some((m) => !m.v2);
  if (!v1) {
    if (ms.length === 0) throw new OcirtError(`no cgroup filesystem is mounted at ${root}`);
    return 'unified';
  }
  return ms.some((m) => m.v2) ? 'hybrid' : 'legacy';
}

/** /proc/self/cgroup as hierarchy key ("" for v2, else the v1 controller list) -> path. */
export function ownCgroups(text = fs.readFileSync('/proc/self/cgroup', 'utf8')): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split('\n')) {
    const i = line.indexOf(':');
    const j = line.indexOf(':', i + 1);
    if (i < 0 || j < 0) continue;
    const ctrls = line.slice(i + 1, j);
    const p = line.slice(j + 1);
    if (ctrls === '') m.set('', p);
    else for (const c of ctrls.split(',')) m.set(c, p);
  }
  return m;
}

/**
 * Checks a cgroupsPath and returns it normalized (absolute form inside a hierarchy).
 * - absent: /ocirt/<id>;
 * - absolute: taken relative to each hierarchy's root (the spec's rule);
 * - relative: placed under the caller's own cgroup. On v1 that is the caller's cgroup in each
 *   hierarchy (runc's rule); on v2 it is the parent of the caller's cgroup, because the caller's
 *   own cgroup holds processes and cgroup2 gives resources only to leaves. The caller's cgroup is
 *   read at create and the result is recorded, so later commands open the same place.
 * `..` segments are refused, so no value escapes the hierarchy.
 */
export function normalizeCgroupsPath(id: string, cgroupsPath: string | undefined, base: () => string): string {
  if (cgroupsPath === undefined || cgroupsPath === '') return `/ocirt/${id}`;
  const segs = cgroupsPath.split('/');
  if (segs.includes('..')) {
    throw new OcirtError(`/linux/cgroupsPath: ${JSON.stringify(cgroupsPath)} must not contain ".." (it would leave the cgroup hierarchy)`, {
      pointer: '/linux/cgroupsPath',
    });
  }
  if (cgroupsPath.includes('\0')) throw new OcirtError('/linux/cgroupsPath: contains a NUL byte', { pointer: '/linux/cgroupsPath' });
  const joined = cgroupsPath.startsWith('/') ? path.posix.normalize(cgroupsPath) : path.posix.join(base(), cgroupsPath);
  const p = joined.replace(/\/+$/, '');
  if (p === '' || p === '/') throw new OcirtError(`/linux/cgroupsPath: ${JSON.stringify(cgroupsPath)} names the root cgroup`, { pointer: '/linux/cgroupsPath' });
  return p;
}

/** Joins a hierarchy mount and a normalized cgroup path, refusing anything outside the mount. */
export function joinInside(mountPoint: string, cgPath: string): string {
  const d = path.join(mountPoint, cgPath);
  if (!under(d, mountPoint) || d === mountPoint) throw new OcirtError(`/linux/cgroupsPath: ${cgPath} is outside ${mountPoint}`, { pointer: '/linux/cgroupsPath' });
  return d;
}

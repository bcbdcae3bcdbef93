/**
 * Mounts of a container without a mount namespace of its own. The spec says a namespace the
 * config does not list is inherited, so its mounts land in the runtime's mount namespace, under
 * the rootfs. runc leaves them there after delete; ocirt notes which mounts below the rootfs
 * existed before create and, at delete (or a failed create), detaches every other one.
 */
import * as path from 'node:path';
import { readMountinfo, unescapeMount } from '../cgroups/mounts';

export interface HostMounts {
  rootfs: string;
  /** Mount ids at or below the rootfs before create: the caller's, never touched. */
  keep: number[];
}

interface Entry {
  id: number;
  mountPoint: string;
}

function under(p: string, root: string): boolean {
  return p === root || p.startsWith(root.endsWith('/') ? root : root + '/');
}

export function mountsAt(rootfs: string, mountinfo = readMountinfo()): Entry[] {
  const r = path.resolve(rootfs);
  const out: Entry[] = [];
  for (const line of mountinfo.split('\n')) {
    const f = line.split(' ');
    if (f.length < 5) continue;
    const mountPoint = unescapeMount(f[4]);
    if (under(mountPoint, r)) out.push({ id: Number(f[0]), mountPoint });
  }
  return out;
}

export function hostMountsBefore(rootfs: string, mountinfo?: string): HostMounts {
  return { rootfs: path.resolve(rootfs), keep: mountsAt(rootfs, mountinfo).map((m) => m.id) };
}

/** The mounts to detach, deepest first (and, on one path, the newest first). */
export function mountsToRemove(h: HostMounts, mountinfo?: string): string[] {
  const keep = new Set(h.keep);
  return mountsAt(h.rootfs, mountinfo)
    .map((m, order) => ({ ...m, order }))
    .filter((m) => !keep.has(m.id))
    .sort((a, b) => b.mountPoint.split('/').length - a.mountPoint.split('/').length || b.order - a.order)
    .map((m) => m.mountPoint);
}

/** Detaches them; returns the mount points that would not go. */
export function removeHostMounts(h: HostMounts): string[] {
  // umount(8) by path detaches the topmost mount there; -l also what may still be busy.
  // child_process is required here, not at the top: create loads this module, and
  // child_process brings net, dgram and the streams (some thirty internal modules, ~4 ms).
  const { spawnSync } = require('node:child_process') as typeof import('node:child_process');
  for (const m of mountsToRemove(h)) spawnSync('umount', ['-l', m], { stdio: 'ignore' });
  return mountsToRemove(h);
}

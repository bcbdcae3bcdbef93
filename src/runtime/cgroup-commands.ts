/**
 * The commands that act on a container through its cgroup: pause, resume, ps, events, update,
 * each a few lines over the driver interface.
 */
import { OcirtError } from '../errors';
import { lockContainer, Lock } from '../state/lock';
import { Container, loadContainer, notExist, wrongState } from './container';
import { cgroupOf } from './cgroup';
import type { CgroupManager } from '../cgroups';

function live(root: string, id: string, action: string, allowed: string[]): { c: Container; cg: CgroupManager } {
  const c = loadContainer(root, id);
  if (!c.record || !allowed.includes(c.status)) throw wrongState(c, action);
  if (!c.record.cgroup) throw new OcirtError(`container "${id}" has no cgroup`);
  return { c, cg: cgroupOf(c.record) };
}

function lockOf(c: Container): Lock {
  const lock = lockContainer(c.dir);
  if (lock === 'gone' || lock === undefined) throw notExist(c.id);
  return lock;
}

export function pause(root: string, id: string): void {
  const { c, cg } = live(root, id, 'pause', ['running', 'created']);
  const lock = lockOf(c);
  try {
    cg.freeze();
  } finally {
    lock.release();
  }
}

export function resume(root: string, id: string): void {
  const c0 = loadContainer(root, id);
  if (c0.status !== 'paused') throw new OcirtError(`cannot resume container "${id}": container not paused`);
  const { c, cg } = live(root, id, 'resume', ['paused']);
  const lock = lockOf(c);
  try {
    cg.thaw();
  } finally {
    lock.release();
  }
}

/** The container's processes; a stopped container's are what its cgroup still holds (runc: none, no error). */
export function pids(root: string, id: string): number[] {
  const c = loadContainer(root, id);
  if (c.record && c.status === 'stopped') {
    try {
      return c.record.cgroup ? cgroupOf(c.record).pids() : [];
    } catch {
      return [];
    }
  }
  return live(root, id, 'list processes of', ['created', 'running', 'paused']).cg.pids();
}

export function stats(root: string, id: string): unknown {
  return { type: 'stats', id, data: live(root, id, 'get stats of', ['created', 'running', 'paused']).cg.stats() };
}

export function update(root: string, id: string, resources: Record<string, unknown>): void {
  const { c, cg } = live(root, id, 'update', ['created', 'running', 'paused']);
  const lock = lockOf(c);
  try {
    cg.update(resources);
  } finally {
    lock.release();
  }
}

export function cgroupFor(root: string, id: string): CgroupManager {
  return live(root, id, 'watch', ['created', 'running', 'paused']).cg;
}

/**
 * delete: stop what still runs (a created container is killed without --force, as containerd
 * expects), then remove the cgroup, run poststop hooks, and remove the state directory.
 * Also the cleanup path of a failed or crashed create: it must work from any partial state,
 * including a missing or corrupt record (remains.ts finds what the create made).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { OcirtError, errnoText, errnoCode } from '../errors';
import { lockContainer, lockTakerAlive, Lock } from '../state/lock';
import { containerDir } from '../state/paths';
import { Container, loadContainer, notExist, ociState } from './container';
import { runHooks, Hook } from '../hooks/run';
import { procStartTime, initAlive } from '../state/status';
import { removeContainerDir, ContainerRecord } from '../state/store';
import { native } from '../native';
import { findRemains } from './remains';
import { warn, debug } from '../log';

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * The init, held by a pidfd opened before its start time is checked: once the check passes, the
 * fd names our init and no other process, even if the pid is recycled later. Undefined when the
 * init is gone (or its pid belongs to another process already).
 */
function openInit(pid: number, startTime: string): number | undefined {
  const fd = native().pidfdOpen(pid);
  if (fd < 0) {
    if (errnoCode(fd) === 'ESRCH') return undefined;
    throw new OcirtError(`pidfd_open of init ${pid}: ${errnoText(fd)}`, { code: errnoCode(fd) });
  }
  if (procStartTime(pid) !== startTime) {
    fs.closeSync(fd);
    return undefined;
  }
  return fd;
}

/**
 * A v1 freezer that holds the init frozen, outside the container's own cgroup (moved there by
 * someone with access to the cgroup tree): a SIGKILL stays pending until it is thawed. The init
 * alone is moved into a thawed freezer cgroup, the container's own or the hierarchy's root,
 * which thaws it (the kernel thaws a task that joins a thawed freezer cgroup); the foreign
 * cgroup and its other processes stay frozen. v2 needs none of this: a fatal signal ends a
 * frozen task.
 */
function releaseFromForeignFreezer(pid: number, rec: ContainerRecord): void {
  let rel: string | undefined;
  try {
    const line = fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').find((l) => l.split(':')[1]?.split(',').includes('freezer'));
    rel = line?.split(':').slice(2).join(':');
  } catch {
    return; // gone
  }
  // Still in the container's own freezer (the usual case): destroy thawed that one already.
  if (!rel || rel === rec.cgroup?.path) return;
  const { parseMountinfo, readMountinfo } = require('../cgroups/mounts') as typeof import('../cgroups/mounts');
  const m = parseMountinfo(readMountinfo()).find((x) => !x.v2 && x.controllers.includes('freezer'));
  if (!m) return;
  const dir = path.join(m.mountPoint, path.relative(m.root, rel));
  let state = '';
  try {
    state = fs.readFileSync(path.join(dir, 'freezer.state'), 'utf8').trim();
  } catch {
    return;
  }
  if (state === 'THAWED') return;
  const own = rec.cgroup?.dirs.freezer;
  const target = own && fs.existsSync(path.join(own, 'tasks')) && path.resolve(own) !== path.resolve(dir) ? own : m.mountPoint;
  try {
    fs.writeFileSync(path.join(target, 'tasks'), String(pid));
  } catch (e) {
    warn(`init ${pid} is frozen in ${dir}; moving it to ${target} to let it die: ${(e as Error).message}`);
  }
}

/**
 * Kills every process of the container and removes what it holds. The init is killed whenever
 * the record names a live one, whatever the status: a create killed after the init was cloned
 * leaves a record with `creating` and an init parked on exec.fifo.
 */
export function destroy(root: string, c: Container): void {
  const rec = c.record;
  const remains = findRemains(root, c);
  if (rec && initAlive(rec)) {
    // The init itself, by its pidfd: it may have left the container's cgroup (or been frozen in
    // another), where killing the cgroup does not reach it.
    const init = openInit(rec.pid, rec.initStartTime);
    try {
      if (init !== undefined) native().pidfdSendSignal(init, 9);
      // The cgroup only when it is this container's alone (remains.ts): never another's processes.
      const cg = remains.owned.find((m) => m.path === rec.cgroup?.path);
      if (cg) {
        // A frozen task cannot die: thaw after queueing SIGKILL.
        cg.killAll(9);
        if (cg.state() === 'frozen') cg.thaw();
      }
      if (init !== undefined) {
        // Frozen, it cannot exit (nor be reaped, so its pid stays ours meanwhile).
        if (!native().pidfdWait(init, 0)) releaseFromForeignFreezer(rec.pid, rec);
        if (!native().pidfdWait(init, 10_000)) throw new OcirtError(`container "${c.id}": init ${rec.pid} did not exit after SIGKILL`);
      }
    } finally {
      if (init !== undefined) fs.closeSync(init);
    }
  }
  if (rec?.hostMounts) {
    const left = (require('./host-mounts') as typeof import('./host-mounts')).removeHostMounts(rec.hostMounts);
    if (left.length) throw new OcirtError(`container "${c.id}": could not unmount ${left.join(', ')}`);
  }
  // Destroying a cgroup kills what is left in it: the init of a record that is gone, its children.
  for (const cg of remains.owned) cg.destroy();
  for (const p of remains.shared) warn(`container "${c.id}": cgroup ${p} is named by another container too; left in place`);
  if (rec?.hooks?.poststop?.length) {
    // Spec 1.3: a failed poststop hook is a warning, and the other hooks still run.
    runHooks('poststop', rec.hooks.poststop as Hook[], JSON.stringify(ociState({ ...c, status: 'stopped' })), warn);
  }
  removeContainerDir(c.dir);
}

/**
 * Waits for whoever holds the lock: a create in progress (then delete --force removes what it
 * made once it returned or died, never under it), or another delete (then this one finds the
 * container gone, which --force takes as success: concurrent deletes are idempotent). A lock
 * whose taker died is held only by the orphan it cloned, which this delete is about to kill:
 * then it goes on without the lock.
 */
function lockForDelete(dir: string): Lock | 'gone' {
  for (let wait = 2; ; wait = Math.min(wait * 2, 100)) {
    const lock = lockContainer(dir, { wait: false });
    if (lock !== undefined) return lock;
    if (lockTakerAlive(dir) === false) return { release() {} };
    if (wait === 2) debug(`${dir} is locked (a create or another command in progress): waiting`);
    sleep(wait);
  }
}

export function deleteContainer(root: string, id: string, force: boolean): void {
  const dir = containerDir(root, id);
  if (!force) {
    // runc's answer for a container that is not stopped; a create in progress is not.
    const c0 = loadContainer(root, id);
    if (c0.status === 'running' || c0.status === 'paused' || c0.status === 'creating') {
      throw new OcirtError(`cannot delete container "${id}" that is not stopped: ${c0.status}`);
    }
  }
  const lock = lockForDelete(dir);
  if (lock === 'gone') {
    if (force) return;
    throw notExist(id);
  }
  try {
    let c: Container;
    try {
      c = loadContainer(root, id, { locked: true });
    } catch (e) {
      // A damaged record: remains.ts finds the cgroups and their processes without it.
      if (!force || !(e instanceof OcirtError) || e.code !== 'ECORRUPT') throw e;
      c = { id, dir, record: undefined, status: 'stopped' };
    }
    if ((c.status === 'running' || c.status === 'paused') && !force) {
      throw new OcirtError(`cannot delete container "${id}" that is not stopped: ${c.status}`);
    }
    destroy(root, c);
  } finally {
    lock.release();
  }
}

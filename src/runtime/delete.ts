/**
 * delete: stop what still runs (a created container is killed without --force, as containerd
 * expects), then remove the cgroup, run poststop hooks, and remove the state directory.
 * Also the cleanup path of a failed or crashed create: it must work from any partial state.
 */
import * as fs from 'node:fs';
import { OcirtError } from '../errors';
import { lockDir } from '../state/lock';
import { Container, loadContainer, ociState } from './container';
import { runHooks, Hook } from '../hooks/run';
import { procStartTime } from '../state/status';
import { removeContainerDir } from '../state/store';
import { cgroupOf } from './cgroup';
import { warn } from '../log';

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Waits (bounded) until the init is gone or a zombie; the caller of create reaps it. */
function waitGone(pid: number, startTime: string, ms: number): boolean {
  const deadline = Date.now() + ms;
  for (let wait = 1; Date.now() < deadline; wait = Math.min(wait * 2, 50)) {
    if (procStartTime(pid) !== startTime) return true;
    sleep(wait);
  }
  return procStartTime(pid) !== startTime;
}

/** Kills every process of the container and removes what it holds. */
export function destroy(c: Container): void {
  const rec = c.record;
  if (rec && (c.status === 'created' || c.status === 'running' || c.status === 'paused')) {
    if (rec.cgroup) {
      const cg = cgroupOf(rec);
      // A frozen task cannot die: thaw after queueing SIGKILL.
      cg.killAll(9);
      if (cg.state() === 'frozen') cg.thaw();
    } else {
      try {
        process.kill(rec.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    if (!waitGone(rec.pid, rec.initStartTime, 10_000)) throw new OcirtError(`container "${c.id}": init ${rec.pid} did not exit after SIGKILL`);
  }
  if (rec?.hostMounts) {
    const left = (require('./host-mounts') as typeof import('./host-mounts')).removeHostMounts(rec.hostMounts);
    if (left.length) throw new OcirtError(`container "${c.id}": could not unmount ${left.join(', ')}`);
  }
  if (rec?.cgroup) cgroupOf(rec).destroy();
  if (rec?.hooks?.poststop?.length) {
    // Spec 1.3: a failed poststop hook is a warning, and the other hooks still run.
    runHooks('poststop', rec.hooks.poststop as Hook[], JSON.stringify(ociState({ ...c, status: 'stopped' })), warn);
  }
  removeContainerDir(c.dir);
}

export function deleteContainer(root: string, id: string, force: boolean): void {
  let c: Container;
  try {
    c = loadContainer(root, id);
  } catch (e) {
    if (force && e instanceof OcirtError && e.message.endsWith('does not exist')) return;
    throw e;
  }
  // A create in progress holds the lock; its remains after a crash do not.
  const lock = lockDir(c.dir, { wait: force ? false : true });
  if (!lock && !force) throw new OcirtError(`container "${id}" is busy`);
  try {
    c = loadContainer(root, id);
    if ((c.status === 'running' || c.status === 'paused') && !force) {
      throw new OcirtError(`cannot delete container "${id}" that is not stopped: ${c.status}`);
    }
    if (c.status === 'creating' && lock === undefined) {
      // --force against a create in progress: kill its init if the record is there yet.
      throw new OcirtError(`container "${id}" is being created; try again`);
    }
    destroy(c);
  } finally {
    lock?.release();
  }
}

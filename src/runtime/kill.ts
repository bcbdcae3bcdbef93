/** kill: signal the init, or with --all every process of the container's cgroup. */
import { OcirtError } from '../errors';
import { loadContainer } from './container';
import { parseSignal } from './signals';
import { cgroupOf } from './cgroup';

export function kill(root: string, id: string, signal: string | undefined, all: boolean): void {
  const sig = parseSignal(signal);
  const c = loadContainer(root, id);
  // runc: --all signals whatever the cgroup still holds, so a stopped container is no error
  // (engines send it to every container they stop, stopped or not).
  if (all && c.record && c.status === 'stopped') {
    if (c.record.cgroup) {
      try {
        cgroupOf(c.record).killAll(sig);
      } catch {
        /* the cgroup went with the container's last process */
      }
    }
    return;
  }
  if (!c.record || c.status === 'stopped' || c.status === 'creating') {
    throw new OcirtError(`cannot kill container "${id}": container not running`);
  }
  if (all && c.record.cgroup) {
    cgroupOf(c.record).killAll(sig);
    return;
  }
  try {
    process.kill(c.record.pid, sig);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') throw new OcirtError(`cannot kill container "${id}": no such process`);
    throw e;
  }
}

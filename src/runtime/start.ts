/**
 * start: release the parked init. Opening exec.fifo for writing succeeds only while the init
 * waits on its read side (ENXIO otherwise), so a dead init is told apart without races; the
 * state JSON written into the fifo is what the startContainer hooks get on stdin.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { OcirtError, systemErrorText } from '../errors';
import { EXEC_FIFO } from '../state/paths';
import { lockContainer } from '../state/lock';
import { loadContainer, notExist, ociState } from './container';
import { runHooks, Hook } from '../hooks/run';
import { warn } from '../log';

export function start(root: string, id: string): void {
  const c0 = loadContainer(root, id);
  // Not worth waiting for the lock: the remains of a dead create may hold it through an orphan.
  if (c0.status === 'stopped') throw new OcirtError(`cannot start a container that has stopped`);
  const lock = lockContainer(c0.dir);
  if (lock === 'gone' || lock === undefined) throw notExist(id);
  try {
    const c = loadContainer(root, id, { locked: true });
    if (c.status === 'stopped') throw new OcirtError(`cannot start a container that has stopped`);
    if (c.status === 'running' || c.status === 'paused') throw new OcirtError(`cannot start an already running container`);
    if (c.status !== 'created' || !c.record) throw new OcirtError(`cannot start container "${id}" in state ${c.status}`);
    const fifo = path.join(c.dir, EXEC_FIFO);
    let fd: number;
    try {
      fd = fs.openSync(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENXIO') throw new OcirtError(`cannot start container "${id}": container not running`);
      throw new OcirtError(`open ${fifo}: ${systemErrorText(e)}`, { code: (e as NodeJS.ErrnoException).code });
    }
    try {
      const st = ociState({ ...c, status: 'running' });
      fs.writeSync(fd, JSON.stringify(st));
    } catch (e) {
      // The init died between the open and the write (killed meanwhile): as with ENXIO above.
      if ((e as NodeJS.ErrnoException).code === 'EPIPE') throw new OcirtError(`cannot start container "${id}": container not running`);
      throw new OcirtError(`write ${fifo}: ${systemErrorText(e)}`, { code: (e as NodeJS.ErrnoException).code });
    } finally {
      fs.closeSync(fd);
    }
    try {
      fs.unlinkSync(fifo); // not rmSync: it loads Node's rimraf, a millisecond of every start
    } catch {
      /* gone already */
    }
    const hooks = c.record.hooks?.poststart as Hook[] | undefined;
    if (hooks?.length) {
      try {
        runHooks('poststart', hooks, JSON.stringify(ociState(loadContainer(root, id))));
      } catch (e) {
        // runtime-spec 1.3: a failing poststart hook fails the container.
        try {
          process.kill(c.record.pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
        warn(`container "${id}" killed: a poststart hook failed`);
        throw e;
      }
    }
  } finally {
    lock.release();
  }
}

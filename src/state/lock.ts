/**
 * One command at a time per container: an flock on the container's directory. The kernel drops
 * the lock when the last holder of its open file is gone: the command, and a child cloned
 * before it closed the fd (an init whose create was killed at that moment holds it until
 * delete kills it; lockTakerAlive tells that case from a live command).
 */
import * as fs from 'node:fs';
import { OcirtError, describeSystemError, errnoText, errnoCode } from '../errors';

export interface Lock {
  release(): void;
}

function lockFd(dir: string, fd: number, wait: boolean): Lock | undefined {
  const err = addon().flock(fd, true, wait);
  if (err !== 0) {
    fs.closeSync(fd);
    if (err === 11 /* EWOULDBLOCK */) return undefined;
    throw new OcirtError(`lock ${dir}: ${errnoText(err)}`, { code: errnoCode(err) });
  }
  return {
    release() {
      try {
        addon().funlock(fd);
        fs.closeSync(fd);
      } catch {
        /* closed already */
      }
    },
  };
}

/**
 * The lock of the container directory now at `dir`, or `gone` when there is none: a directory
 * opened and then removed (by a delete that held the lock meanwhile), or replaced by another
 * create's, is not the one locked, so the lock is dropped and the caller finds the container
 * gone. Every command that changes a container locks it this way, so that one which waited for
 * a delete never acts on what that delete removed.
 */
export function lockContainer(dir: string, opts: { wait?: boolean } = {}): Lock | 'gone' | undefined {
  let fd: number;
  try {
    fd = fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY | fs.constants.O_NOFOLLOW);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 'gone';
    throw new OcirtError(`lock ${dir}: ${describeSystemError(e)}`, { code: (e as NodeJS.ErrnoException).code });
  }
  const lock = lockFd(dir, fd, opts.wait !== false);
  if (!lock) return undefined;
  let same = false;
  try {
    const held = fs.fstatSync(fd);
    const now = fs.statSync(dir);
    same = held.ino === now.ino && held.dev === now.dev && held.nlink > 0;
  } catch {
    same = false;
  }
  if (same) return lock;
  lock.release();
  return 'gone';
}

/**
 * Whether the process that took the lock of `dir` still lives, from /proc/locks (the pid there
 * is the taker's). A lock whose taker is dead is held by a process that inherited the fd: the
 * init a killed create had just cloned, before the init closed what it inherited. Undefined
 * when no lock on dir is listed (released meanwhile).
 */
export function lockTakerAlive(dir: string): boolean | undefined {
  let st: fs.Stats;
  let text: string;
  try {
    st = fs.statSync(dir);
    text = fs.readFileSync('/proc/locks', 'utf8');
  } catch {
    return undefined;
  }
  const major = Math.floor(st.dev / 256) & 0xfff;
  const minor = (st.dev & 0xff) | (Math.floor(st.dev / 4096) & 0xfff00);
  const key = `${major.toString(16).padStart(2, '0')}:${minor.toString(16).padStart(2, '0')}:${st.ino}`;
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f[1] === '->' || f[1] !== 'FLOCK' || f[5] !== key) continue;
    const pid = Number(f[4]);
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
    } catch {
      return false;
    }
  }
  return undefined;
}

/** Whether some process holds the lock of `dir` now (a create in progress); false when dir is gone. */
export function lockHeld(dir: string): boolean {
  const l = lockContainer(dir, { wait: false });
  if (l === undefined) return true;
  if (l !== 'gone') l.release();
  return false;
}

/** A create holds the lock and lives (not just an orphan it cloned). */
export function createInProgress(dir: string): boolean {
  return lockHeld(dir) && lockTakerAlive(dir) !== false;
}

function addon(): { flock(fd: number, exclusive: boolean, wait: boolean): number; funlock(fd: number): number } {
  return (require('../native') as typeof import('../native')).native();
}

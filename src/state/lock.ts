/**
 * One command at a time per container: an flock on the container's directory. The kernel drops
 * the lock when the holder dies, so a killed command never leaves a stale lock behind.
 */
import * as fs from 'node:fs';
import { OcirtError, describeSystemError, ERRNO_TEXT } from '../errors';

export interface Lock {
  release(): void;
}

export function lockDir(dir: string, opts: { wait?: boolean } = {}): Lock | undefined {
  let fd: number;
  try {
    fd = fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
  } catch (e) {
    throw new OcirtError(`lock ${dir}: ${describeSystemError(e)}`);
  }
  const err = addon().flock(fd, true, opts.wait !== false);
  if (err !== 0) {
    fs.closeSync(fd);
    if (err === 11 /* EWOULDBLOCK */) return undefined;
    throw new OcirtError(`lock ${dir}: ${ERRNO_TEXT.EINVAL}`);
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

function addon(): { flock(fd: number, exclusive: boolean, wait: boolean): number; funlock(fd: number): number } {
  return (require('../native') as typeof import('../native')).native();
}

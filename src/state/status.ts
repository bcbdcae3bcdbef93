/**
 * Status is derived, never stored, so it stays right after crashes, reboots and kill -9:
 * a live init (same pid and same start time as recorded) is `paused` when its cgroup is
 * frozen, else `created` while exec.fifo is present and `running` without it;
 * anything else is `stopped`. A directory without a record, or with the record a create writes
 * before it returns (`creating: true`), is `creating` while that create holds the directory's
 * lock, and `stopped` once it has died: the remains of a killed create, which delete cleans.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ContainerRecord } from './store';
import { EXEC_FIFO } from './paths';
import { createInProgress } from './lock';

export type Status = 'creating' | 'created' | 'running' | 'paused' | 'stopped';

/** Field 22 (starttime) of /proc/<pid>/stat, or undefined when the pid is gone or a zombie. */
export function procStartTime(pid: number): string | undefined {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // comm may hold spaces and parentheses: fields start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  if (fields[0] === 'Z' || fields[0] === 'X') return undefined;
  return fields[19];
}

export function initAlive(rec: ContainerRecord): boolean {
  return rec.pid > 0 && procStartTime(rec.pid) === rec.initStartTime;
}

function frozen(rec: ContainerRecord): boolean {
  const f = rec.cgroup?.freezer;
  if (!f) return false;
  try {
    return fs.readFileSync(f.file, 'utf8').includes(f.frozen);
  } catch {
    return false;
  }
}

export function deriveStatus(dir: string, rec: ContainerRecord | undefined, createLive: (dir: string) => boolean = createInProgress): Status {
  if (!rec || rec.creating) return createLive(dir) ? 'creating' : 'stopped';
  if (!initAlive(rec)) return 'stopped';
  // Frozen first: runc lets a created container be paused, and it is then paused, not created.
  if (frozen(rec)) return 'paused';
  return fs.existsSync(path.join(dir, EXEC_FIFO)) ? 'created' : 'running';
}

import { spawnSync } from 'node:child_process';
import type { Invocation } from '../table';
import { OcirtError } from '../../errors';
import { pids } from '../../runtime/cgroup-commands';
import { stdout } from '../../stdio';

/** json: the pids, as go-runc parses them; table: ps(1) output filtered to the container. */
export function run(inv: Invocation): number {
  const [id, ...psArgs] = inv.positionals;
  const list = pids(inv.globals.root as string, id);
  if (inv.flags.format === 'json') {
    // runc prints Go's nil slice for a container without processes: null, not [].
    stdout((list.length ? JSON.stringify(list) : 'null') + '\n');
    return 0;
  }
  const r = spawnSync('ps', psArgs.length ? psArgs : ['-ef'], { encoding: 'utf8' });
  if (r.status !== 0) throw new OcirtError(`ps ${psArgs.join(' ')}: ${(r.stderr || r.error?.message || '').trim()}`);
  const lines = r.stdout.split('\n');
  const header = lines[0];
  const pidCol = header.trim().split(/\s+/).indexOf('PID');
  if (pidCol < 0) throw new OcirtError('ps output has no PID column');
  const wanted = new Set(list);
  stdout(header + '\n');
  for (const l of lines.slice(1)) {
    if (wanted.has(Number(l.trim().split(/\s+/)[pidCol]))) stdout(l + '\n');
  }
  return 0;
}

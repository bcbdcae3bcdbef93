import * as fs from 'node:fs';
import type { Invocation } from '../table';
import { OcirtError } from '../../errors';
import { update } from '../../runtime/cgroup-commands';

function num(v: unknown, flag: string): number {
  const n = Number(v);
  if (!Number.isFinite(n)) throw new OcirtError(`invalid value "${v}" for --${flag}`);
  return n;
}

/** Memory sizes as runc takes them: bytes, or with k/m/g suffixes; -1 means unlimited. */
function bytes(v: unknown, flag: string): number {
  const m = /^(-?\d+)([kmgt]?)b?$/i.exec(String(v));
  if (!m) throw new OcirtError(`invalid value "${v}" for --${flag}`);
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[m[2].toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
  return Number(m[1]) * (Number(m[1]) < 0 ? 1 : mult);
}

/** Reads LinuxResources from --resources (a file, or - for stdin), then applies the flag forms over it. */
export function run(inv: Invocation): number {
  const f = inv.flags;
  let r: any = {};
  if (f.resources !== undefined) {
    const src = f.resources === '-' ? 0 : (f.resources as string);
    try {
      r = JSON.parse(fs.readFileSync(src, 'utf8'));
    } catch (e) {
      throw new OcirtError(`--resources ${f.resources}: ${(e as Error).message}`);
    }
  }
  const set = (section: string, key: string, value: unknown) => {
    r[section] = { ...(r[section] ?? {}), [key]: value };
  };
  if (f.memory !== undefined) set('memory', 'limit', bytes(f.memory, 'memory'));
  if (f['memory-reservation'] !== undefined) set('memory', 'reservation', bytes(f['memory-reservation'], 'memory-reservation'));
  if (f['memory-swap'] !== undefined) set('memory', 'swap', bytes(f['memory-swap'], 'memory-swap'));
  if (f['cpu-period'] !== undefined) set('cpu', 'period', num(f['cpu-period'], 'cpu-period'));
  if (f['cpu-quota'] !== undefined) set('cpu', 'quota', num(f['cpu-quota'], 'cpu-quota'));
  if (f['cpu-rt-period'] !== undefined) set('cpu', 'realtimePeriod', num(f['cpu-rt-period'], 'cpu-rt-period'));
  if (f['cpu-rt-runtime'] !== undefined) set('cpu', 'realtimeRuntime', num(f['cpu-rt-runtime'], 'cpu-rt-runtime'));
  if (f['cpu-share'] !== undefined) set('cpu', 'shares', num(f['cpu-share'], 'cpu-share'));
  if (f['cpuset-cpus'] !== undefined) set('cpu', 'cpus', String(f['cpuset-cpus']));
  if (f['cpuset-mems'] !== undefined) set('cpu', 'mems', String(f['cpuset-mems']));
  if (f['pids-limit'] !== undefined) set('pids', 'limit', num(f['pids-limit'], 'pids-limit'));
  if (f['blkio-weight'] !== undefined) set('blockIO', 'weight', num(f['blkio-weight'], 'blkio-weight'));
  update(inv.globals.root as string, inv.positionals[0], r);
  return 0;
}

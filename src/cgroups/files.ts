/**
 * Interface-file access shared by both drivers. Writes never create files (cgroupfs would
 * refuse, and a fake cgroupfs in a tmp dir must refuse too), and every kernel error becomes one
 * line naming the config field it came from.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { OcirtError, errnoText, systemErrorText } from '../errors';
import type { CgroupHost } from './types';

export function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

export function readNumber(file: string): number | undefined {
  const t = readText(file)?.trim();
  if (t === undefined || t === '') return undefined;
  if (t === 'max') return Number.MAX_SAFE_INTEGER;
  const n = Number(t.split(/\s+/)[0]);
  return Number.isFinite(n) ? n : undefined;
}

/** "key value" lines (memory.stat, cpu.stat, memory.events, memory.oom_control). */
export function readKeyed(file: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of (readText(file) ?? '').split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined && /^\d+$/.test(v)) out[k] = Number(v);
  }
  return out;
}

export function readPids(file: string): number[] {
  return (readText(file) ?? '')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map(Number);
}

export class Writer {
  constructor(private readonly host: CgroupHost) {}

  /**
   * Writes one value to dir/file. `pointer` is the config field (e.g. /linux/resources/memory/limit);
   * `controller` names what is missing when the file does not exist.
   */
  write(dir: string, file: string, value: string | number, pointer: string, controller?: string): void {
    const p = path.join(dir, file);
    const v = String(value);
    let fd: number;
    try {
      fd = fs.openSync(p, fs.constants.O_WRONLY | fs.constants.O_TRUNC);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') {
        throw new OcirtError(`${pointer}: ${missingWhy(dir, file, controller)}`, { pointer, code });
      }
      throw new OcirtError(`${pointer}: open ${p}: ${systemErrorText(e)}`, { pointer, code });
    }
    try {
      fs.writeSync(fd, v);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? '';
      const text = systemErrorText(e);
      const why =
        code === 'EBUSY' && /memory|memsw/.test(file)
          ? `cannot set ${v}: the limit is below the current usage or conflicts with another limit (write ${file}: ${text})`
          : code === 'EINVAL' || code === 'ERANGE'
            ? `invalid value ${JSON.stringify(v)} (write ${file}: ${text})`
            : `write ${v} to ${file}: ${text}`;
      throw new OcirtError(`${pointer}: ${why}`, { pointer, code });
    } finally {
      fs.closeSync(fd);
    }
    this.host.onWrite?.(p, v);
  }
}

/** Why an interface file is missing: no controller, or a kernel without that knob. */
function missingWhy(dir: string, file: string, controller?: string): string {
  if (!fs.existsSync(dir)) return `cgroup ${dir} does not exist`;
  if (!controller) return `${file} does not exist in ${dir}`;
  // On cgroup2 the controllers of a cgroup are listed; on v1 the hierarchy itself is the controller.
  const listed = readText(path.join(dir, 'cgroup.controllers'));
  if (listed === undefined && isCgroupfs(dir) && !fs.existsSync(path.join(dir, 'cgroup.subtree_control'))) {
    return `this kernel has no ${file} (in the ${controller} hierarchy at ${dir})`;
  }
  if (listed !== undefined && listed.split(/\s+/).includes(controller)) {
    return `this kernel has no ${file} (the ${controller} controller is enabled in ${dir})`;
  }
  return `the ${controller} controller is not available in ${dir} (no ${file})`;
}

export function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** rmdir with bounded retries: a cgroup stays busy for a moment after its last task exits. */
export function rmdirRetry(dir: string, timeoutMs: number): void {
  const deadline = Date.now() + timeoutMs;
  for (let wait = 1; ; wait = Math.min(wait * 2, 50)) {
    try {
      fs.rmdirSync(dir);
      return;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      if (code !== 'EBUSY' && code !== 'ENOTEMPTY' && code !== 'EAGAIN') throw e;
      if (Date.now() >= deadline) throw new OcirtError(`remove cgroup ${dir}: ${errnoText(code)}`, { code });
    }
    sleep(wait);
  }
}

/** Whether dir is gone after one rmdir: a cgroup without children or tasks goes at once, its control files do not count. */
export function rmdirNow(dir: string): boolean {
  try {
    fs.rmdirSync(dir);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT';
  }
}

/**
 * Removes a cgroup directory and the child cgroups a container may have made inside it, deepest
 * first. On a fake cgroupfs (tmp dir) the interface files are plain files and are removed too.
 */
export function removeTree(dir: string, timeoutMs: number): void {
  // Only a cgroup with children, or tasks, or a plain directory (the unit tests' fake cgroupfs) needs the walk.
  if (rmdirNow(dir)) return;
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  for (const ent of entries) {
    const p = path.join(dir, ent.name);
    if (ent.isDirectory()) removeTree(p, timeoutMs);
  }
  if (!isCgroupfs(dir)) {
    for (const ent of entries) if (!ent.isDirectory()) fs.rmSync(path.join(dir, ent.name), { force: true });
  }
  rmdirRetry(dir, timeoutMs);
}

const CGROUP_SUPER_MAGIC = 0x27e0eb;
const CGROUP2_SUPER_MAGIC = 0x63677270;

export function isCgroupfs(dir: string): boolean {
  try {
    const t = fs.statfsSync(dir).type;
    return t === CGROUP_SUPER_MAGIC || t === CGROUP2_SUPER_MAGIC;
  } catch {
    return false;
  }
}

/** Turns a signal name or number into a number for process.kill. */
export function signalNumber(sig: number | NodeJS.Signals): number {
  if (typeof sig === 'number') return sig;
  const n = (require('node:os') as typeof import('node:os')).constants.signals[sig];
  if (n === undefined) throw new OcirtError(`unknown signal "${sig}"`);
  return n;
}


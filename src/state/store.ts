/**
 * The container record on disk: `<root>/<id>/state.json`, written atomically (temp file and
 * rename) so a reader never sees half a record, even when a command is killed mid-write.
 * Status is not stored; src/state/status.ts derives it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { OcirtError, describeSystemError } from '../errors';
import { STATE_FILE, containerDir, SAVED_CONFIG } from './paths';

/** What ocirt keeps about a container; `state` prints the OCI subset plus runc's extras. */
export interface ContainerRecord {
  ociVersion: string;
  id: string;
  /** The init's pid in the runtime's pid namespace. */
  pid: number;
  /** Field 22 of /proc/<pid>/stat at create: tells our init from a recycled pid. */
  initStartTime: string;
  bundle: string;
  rootfs: string;
  /** RFC 3339 with nanoseconds. */
  created: string;
  owner: string;
  annotations?: Record<string, string>;
  /** Set by the cgroup driver at create; `paused` is read from `freezer`. */
  cgroup?: {
    version: 1 | 2;
    path: string;
    dirs: Record<string, string>;
    freezer?: { file: string; frozen: string };
  };
  /** Hooks that run after create returns (poststart at start, poststop at delete). */
  hooks?: { poststart?: unknown[]; poststop?: unknown[] };
  systemdCgroup?: boolean;
  /** A container without a mount namespace: its mounts are in ours, removed at delete. */
  hostMounts?: { rootfs: string; keep: number[] };
  /** Written with the first record during create and dropped when create returns. */
  creating?: boolean;
}

export function writeFileAtomic(file: string, data: string | Buffer, mode = 0o600): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  const fd = fs.openSync(tmp, 'w', mode);
  try {
    // No fsync: readers need the rename's atomicity, not durability across a crash. The state
    // lives in /run, which a reboot empties anyway (runc does not sync it either), and the
    // fsync cost every create several milliseconds on a disk-backed --root.
    fs.writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

export function writeRecord(root: string, rec: ContainerRecord): void {
  writeFileAtomic(path.join(containerDir(root, rec.id), STATE_FILE), JSON.stringify(rec));
}

/** A JSON file of the state dir, or undefined when it does not exist; `what` names it in errors. */
function readJsonFile<T>(file: string, what: string, corrupt: string): T | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new OcirtError(`read ${what}: ${describeSystemError(e)}`);
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new OcirtError(corrupt);
  }
}

/** The record, or undefined when the container does not exist or is still being created. */
export function readRecord(root: string, id: string): ContainerRecord | undefined {
  const file = path.join(containerDir(root, id), STATE_FILE);
  return readJsonFile<ContainerRecord>(file, `state of "${id}"`, `state of "${id}" is corrupt (${file}); "ocirt delete --force ${id}" removes it`);
}

/** The config as create checked it, kept for exec: the bundle may change or break after create. */
// Seccomp values past 2^53 are bigints in a loaded config (spec/load.ts): written as the exact
// digits JSON allows, and read back exactly.
const BIG = '\u0000bigint:';

export function writeSavedConfig(dir: string, config: unknown): void {
  let text = JSON.stringify(config, (_k, v) => (typeof v === 'bigint' ? BIG + v : v));
  if (text.includes('\\u0000bigint:')) text = text.replace(/"\\u0000bigint:(\d+)"/g, '$1');
  fs.writeFileSync(path.join(dir, SAVED_CONFIG), text, { mode: 0o600 });
}

/** The config create saved; undefined for a container made before create saved one. */
export function readSavedConfig(dir: string): unknown {
  const file = path.join(dir, SAVED_CONFIG);
  const config = readJsonFile<Record<string, unknown>>(file, file, `${file} is corrupt; the container cannot be exec'd into`);
  if (config && /\d{16}/.test(JSON.stringify((config as any).linux?.seccomp ?? null))) {
    // Digits a double rounded: parse again keeping them.
    const { parseJsonWithPositions } = require('../spec/json-positions') as typeof import('../spec/json-positions');
    const parsed = parseJsonWithPositions(fs.readFileSync(file, 'utf8'));
    (require('../spec/load') as typeof import('../spec/load')).restoreBigIntegers(parsed.value as any, parsed.bigIntegers);
    return parsed.value;
  }
  return config;
}

/**
 * Removes a container's directory. It holds files only (the record, exec.fifo), so they go one
 * by one; fs.rmSync's recursive walk loads Node's rimraf and costs delete a millisecond more.
 * Anything else in it (a directory someone put there) gets the walk.
 */
export function removeContainerDir(dir: string): void {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  try {
    for (const name of names) {
      try {
        fs.unlinkSync(path.join(dir, name));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
    }
    fs.rmdirSync(dir);
  } catch {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Container ids under `root`, sorted; a missing root has none. */
export function listIds(root: string): string[] {
  try {
    return fs
      .readdirSync(root, { withFileTypes: true })
      .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
      .map((d) => d.name)
      .sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new OcirtError(`list ${root}: ${describeSystemError(e)}`);
  }
}

/** RFC 3339 with nanoseconds, as runc prints `created`. */
export function nowRfc3339Nano(): string {
  const ms = Date.now();
  const sub = (process.hrtime.bigint() % 1000000n).toString().padStart(6, '0');
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, `.$1${sub}Z`);
}

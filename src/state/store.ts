/**
 * The container record on disk: `<root>/<id>/state.json`, written atomically (temp file and
 * rename) so a reader never sees half a record, even when a command is killed mid-write.
 * Status is not stored; src/state/status.ts derives it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { OcirtError, describeSystemError, systemErrorText } from '../errors';
import { STATE_FILE, containerDir, SAVED_CONFIG, INTENT_FILE } from './paths';

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

/** The cgroup of a container as create describes it in the intent and the record. */
export type CgroupDesc = NonNullable<ContainerRecord['cgroup']>;

/**
 * What a create is about to make, written once before it makes anything outside the state dir
 * (the cgroup first of all), and never rewritten: whatever happens to state.json later, delete
 * --force finds every cgroup directory a create of this id could have made from here.
 */
export interface Intent {
  id: string;
  /** The create's own pid and start time, for diagnostics. */
  createPid: number;
  /** The cgroup in every hierarchy (all of them, made or not); absent when the container gets none. */
  cgroup?: Omit<CgroupDesc, 'freezer'>;
}

/** A state file that could not be read or written; `why` alone serves messages that name the file their own way. */
class StateFileError extends OcirtError {
  constructor(op: string, file: string, readonly why: string, opts: { code?: string; cause?: unknown } = {}) {
    super(`${op} ${file}: ${why}`, opts);
  }
}

/** Where a write of the state dir failed, named by file: "write /run/ocirt/c1/state.json: no space left on device". */
function fileError(op: string, file: string, e: unknown): OcirtError {
  return new StateFileError(op, file, systemErrorText(e), { code: (e as NodeJS.ErrnoException)?.code, cause: e });
}

export function writeFileAtomic(file: string, data: string | Buffer, mode = 0o600): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  let fd: number;
  try {
    fd = fs.openSync(tmp, 'w', mode);
  } catch (e) {
    throw fileError('create', tmp, e);
  }
  try {
    // No fsync: readers need the rename's atomicity, not durability across a crash. The state
    // lives in /run, which a reboot empties anyway (runc does not sync it either), and the
    // fsync cost every create several milliseconds on a disk-backed --root.
    fs.writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
  } catch (e) {
    try {
      fs.closeSync(fd);
      fs.unlinkSync(tmp);
    } catch {
      /* the write's error is the one to report */
    }
    throw fileError('write', file, e);
  }
  fs.closeSync(fd);
  try {
    fs.renameSync(tmp, file);
  } catch (e) {
    try {
      fs.unlinkSync(tmp);
    } catch {
      /* as above */
    }
    throw fileError('rename', `${tmp} to ${file}`, e);
  }
}

export function writeRecord(root: string, rec: ContainerRecord): void {
  writeFileAtomic(path.join(containerDir(root, rec.id), STATE_FILE), JSON.stringify(rec));
}

export function writeIntent(dir: string, intent: Intent): void {
  writeFileAtomic(path.join(dir, INTENT_FILE), JSON.stringify(intent));
}

/**
 * A file of the state dir as text, or undefined when it does not exist. A symlink is refused
 * (O_NOFOLLOW): a state file pointing at another container's would make a command act on that
 * one. `what` names the file in the error.
 */
function readStateFile(file: string): string | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw fileError('open', file, e);
  }
  try {
    if (!fs.fstatSync(fd).isFile()) throw new StateFileError('read', file, 'not a regular file');
    return fs.readFileSync(fd, 'utf8');
  } catch (e) {
    if (e instanceof OcirtError) throw e;
    throw fileError('read', file, e);
  } finally {
    fs.closeSync(fd);
  }
}

/** A JSON file of the state dir, or undefined when it does not exist; `corrupt` is the message for text that is not JSON. */
function readJsonFile<T>(file: string, corrupt: string): T | undefined {
  const text = readStateFile(file);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new OcirtError(corrupt);
  }
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const CGROUP_ROOT = '/sys/fs/cgroup/';

/**
 * A recorded cgroup that commands may act on: every directory inside the cgroup mount and named
 * by the recorded path, so a damaged or forged record cannot send rmdir or kill anywhere else.
 */
export function validCgroupDesc(v: unknown): v is CgroupDesc {
  if (!isObj(v) || (v.version !== 1 && v.version !== 2) || typeof v.path !== 'string') return false;
  const p = v.path;
  if (!p.startsWith('/') || p === '/' || path.posix.normalize(p) !== p || p.split('/').includes('..')) return false;
  if (!isObj(v.dirs) || Object.keys(v.dirs).length === 0) return false;
  for (const d of Object.values(v.dirs)) {
    if (typeof d !== 'string' || !d.startsWith(CGROUP_ROOT) || path.posix.normalize(d) !== d || !d.endsWith(p)) return false;
  }
  if (v.freezer !== undefined) {
    const f = v.freezer;
    if (!isObj(f) || typeof f.file !== 'string' || !f.file.startsWith(CGROUP_ROOT) || typeof f.frozen !== 'string') return false;
  }
  return true;
}

/** The shape every command relies on; anything else is a corrupt record, never a half-trusted one. */
function validRecord(v: unknown, id: string): v is ContainerRecord {
  if (!isObj(v)) return false;
  if (v.id !== id || !Number.isInteger(v.pid) || (v.pid as number) < 0 || typeof v.initStartTime !== 'string') return false;
  for (const k of ['bundle', 'rootfs', 'created', 'owner', 'ociVersion']) if (typeof v[k] !== 'string') return false;
  if (v.cgroup !== undefined && !validCgroupDesc(v.cgroup)) return false;
  if (v.annotations !== undefined && !isObj(v.annotations)) return false;
  if (v.hooks !== undefined && !isObj(v.hooks)) return false;
  if (v.creating !== undefined && typeof v.creating !== 'boolean') return false;
  return true;
}

export function corruptRecordError(id: string, file: string, why: string): OcirtError {
  return new OcirtError(`state of "${id}" is corrupt (${file}: ${why}); "ocirt delete --force ${id}" removes it`, { code: 'ECORRUPT' });
}

/** The record, or undefined when the container does not exist or is still being created. */
export function readRecord(root: string, id: string): ContainerRecord | undefined {
  const file = path.join(containerDir(root, id), STATE_FILE);
  let text: string | undefined;
  try {
    text = readStateFile(file);
  } catch (e) {
    throw corruptRecordError(id, file, e instanceof StateFileError ? e.why : systemErrorText(e));
  }
  if (text === undefined) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw corruptRecordError(id, file, 'not JSON');
  }
  if (!validRecord(v, id)) throw corruptRecordError(id, file, 'not a container record');
  return v;
}

/** The intent of a create, or undefined when it is missing or unreadable (delete then falls back on the record and the config). */
export function readIntent(dir: string, id: string): Intent | undefined {
  try {
    const v = readJsonFile<unknown>(path.join(dir, INTENT_FILE), '');
    if (!isObj(v) || v.id !== id) return undefined;
    if (v.cgroup !== undefined && !validCgroupDesc(v.cgroup)) return undefined;
    return v as unknown as Intent;
  } catch {
    return undefined;
  }
}

/** The config as create checked it, kept for exec: the bundle may change or break after create. */
// Seccomp values past 2^53 are bigints in a loaded config (spec/load.ts): written as the exact
// digits JSON allows, and read back exactly.
const BIG = '\u0000bigint:';

export function writeSavedConfig(dir: string, config: unknown): void {
  let text = JSON.stringify(config, (_k, v) => (typeof v === 'bigint' ? BIG + v : v));
  if (text.includes('\\u0000bigint:')) text = text.replace(/"\\u0000bigint:(\d+)"/g, '$1');
  const file = path.join(dir, SAVED_CONFIG);
  try {
    fs.writeFileSync(file, text, { mode: 0o600 });
  } catch (e) {
    throw fileError('write', file, e);
  }
}

/** The config create saved; undefined for a container made before create saved one. */
export function readSavedConfig(dir: string): unknown {
  const file = path.join(dir, SAVED_CONFIG);
  const config = readJsonFile<Record<string, unknown>>(file, `${file} is corrupt; the container cannot be exec'd into`);
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
    throw fileError('remove', dir, e);
  }
  // The record and the intent go last: until then a reader finds a record (of a dead init:
  // stopped), not a bare directory that looks like a create in progress.
  const last = (n: string) => (n === STATE_FILE ? 2 : n === INTENT_FILE ? 1 : 0);
  names.sort((a, b) => last(a) - last(b));
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
    try {
      fs.rmSync(dir, { recursive: true, force: true });
    } catch (e) {
      throw fileError('remove', dir, e);
    }
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
  return utcText(ms, sub);
}

/**
 * `YYYY-MM-DDTHH:MM:SS.mmm<sub>Z` from epoch milliseconds, without a Date: a command's first
 * Date and toISOString set up V8's date machinery, which made nowRfc3339Nano 1.6 ms of create's
 * time (inclusive, --cpu-prof, mean of 8 creates); this takes 0.1 ms. The calendar step is the
 * civil-from-days conversion over 400-year eras of 146097 days.
 */
export function utcText(ms: number, sub = ''): string {
  const days = Math.floor(ms / 86400000);
  const inDay = ms - days * 86400000;
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const two = (n: number) => (n < 10 ? '0' : '') + n;
  const h = Math.floor(inDay / 3600000);
  const m = Math.floor((inDay % 3600000) / 60000);
  const s = Math.floor((inDay % 60000) / 1000);
  const milli = String(inDay % 1000).padStart(3, '0');
  return `${String(year).padStart(4, '0')}-${two(month)}-${two(day)}T${two(h)}:${two(m)}:${two(s)}.${milli}${sub}Z`;
}

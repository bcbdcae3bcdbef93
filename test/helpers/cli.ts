/**
 * Runs the real `bin/ocirt` against a private --root, and cleans up every container of that
 * root afterwards (delete --force, then checks that nothing is left), even when a test fails.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync, SpawnSyncOptions } from 'node:child_process';
import { cgroupParentsMadeHere } from './cgroup-parents';

export const REPO = path.resolve(__dirname, '..', '..', '..');
export const OCIRT = path.join(REPO, 'bin', 'ocirt');

// Containers without a cgroupsPath go under /ocirt: the parent goes when the test file ends.
cgroupParentsMadeHere(['ocirt']);

export interface Result {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export class Runtime {
  readonly root: string;
  /** wrap: a command ocirt runs under, e.g. nsenter into a mount namespace with other cgroups. */
  constructor(readonly wrap: string[] = []) {
    this.root = fs.mkdtempSync(path.join(os.tmpdir(), 'ocirt-root-'));
  }

  /**
   * Captures stdout and stderr through files, never pipes: a detached container inherits
   * ocirt's stdio (the runc contract), and a pipe it holds open would keep spawnSync waiting
   * long after ocirt itself exited.
   */
  run(args: string[], opts: SpawnSyncOptions = {}): Result {
    const given = Array.isArray(opts.stdio) ? opts.stdio : typeof opts.stdio === 'string' ? [opts.stdio, opts.stdio, opts.stdio] : [];
    const cap = fs.mkdtempSync(path.join(os.tmpdir(), 'ocirt-out-'));
    const files: (number | undefined)[] = [undefined, undefined, undefined];
    try {
      const stdio: any[] = [given[0] ?? 'pipe'];
      for (const i of [1, 2]) {
        const g = given[i];
        if (g === undefined || g === 'pipe') {
          files[i] = fs.openSync(path.join(cap, String(i)), 'w+');
          stdio.push(files[i]);
        } else stdio.push(g);
      }
      stdio.push(...given.slice(3));
      const argv = [...this.wrap, OCIRT, '--root', this.root, ...args];
      const r = spawnSync(argv[0], argv.slice(1), { timeout: 60_000, ...opts, stdio, encoding: 'utf8' });
      const read = (i: number) => (files[i] === undefined ? '' : fs.readFileSync(path.join(cap, String(i)), 'utf8'));
      return { status: r.status, signal: r.signal, stdout: read(1), stderr: read(2) };
    } finally {
      for (const fd of files) if (fd !== undefined) fs.closeSync(fd);
      fs.rmSync(cap, { recursive: true, force: true });
    }
  }

  /** Runs and insists on exit 0, with the stderr in the failure message. */
  ok(args: string[], opts: SpawnSyncOptions = {}): Result {
    const r = this.run(args, opts);
    if (r.status !== 0) throw new Error(`ocirt ${args.join(' ')} exited ${r.status ?? r.signal}: ${r.stderr.trim()}`);
    return r;
  }

  state(id: string): any {
    return JSON.parse(this.ok(['state', id]).stdout);
  }

  ids(): string[] {
    return fs.existsSync(this.root) ? fs.readdirSync(this.root).filter((d) => !d.startsWith('.')) : [];
  }

  /** delete --force of whatever is left, then removes the root. */
  cleanup(): void {
    for (const id of this.ids()) this.run(['delete', '--force', id]);
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}

export async function withRuntime<T>(fn: (rt: Runtime) => T | Promise<T>): Promise<T> {
  const rt = new Runtime();
  try {
    return await fn(rt);
  } finally {
    rt.cleanup();
  }
}

/** The container's cgroup directories under the default /ocirt parent, in every hierarchy. */
export function cgroupDirsOf(id: string): string[] {
  return fs.readdirSync('/sys/fs/cgroup')
    .map((ctrl) => path.join('/sys/fs/cgroup', ctrl, 'ocirt', id))
    .filter((d) => fs.existsSync(d));
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    const st = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/\) [ZX] /.test(st);
  } catch {
    return false;
  }
}

export function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Polls `cond` up to `ms`; for effects that land asynchronously (a signal, an exit). */
export function waitFor(cond: () => boolean, ms = 5000): boolean {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    sleepMs(10);
  }
  return cond();
}

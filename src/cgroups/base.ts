/** What both drivers do the same way: directory creation with rollback, pid walks, destroy. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { OcirtError, describeSystemError } from '../errors';
import { Writer, readPids, removeTree, rmdirNow, sleep, signalNumber } from './files';
import type { CgroupHost, CgroupManager, CgroupStats, FreezerProbe, Placement, Resources } from './types';

export abstract class BaseManager implements CgroupManager {
  abstract readonly version: 1 | 2;
  abstract readonly dirs: Record<string, string>;
  abstract readonly freezerProbe?: FreezerProbe;
  readonly v2Dir?: string;
  protected readonly w: Writer;

  constructor(
    readonly path: string,
    protected readonly host: CgroupHost,
  ) {
    this.w = new Writer(host);
  }

  abstract create(): void;
  abstract apply(resources: Resources, pointerBase?: string): void;
  abstract addProcess(pid: number): void;
  abstract freeze(): void;
  abstract thaw(): void;
  abstract state(): 'frozen' | 'thawed';
  abstract stats(): CgroupStats;
  abstract oomCount(): number;
  protected abstract killAllFast(sig: number): boolean;
  /** The directory whose cgroup.procs (recursively) lists every process of the container. */
  protected abstract procsDir(): string;

  /** Set when create() refused a cgroup in use: destroy() must then leave it to its owner. */
  private foreign = false;

  /**
   * The spec asks runtimes to refuse a cgroup unfit for a new container: one that already holds
   * processes (another container's, most likely) or is frozen.
   */
  protected checkFit(): void {
    if (!fs.existsSync(this.procsDir())) return;
    const pids = this.pids();
    const why = pids.length > 0 ? `is not empty: ${pids.length} process(es) found` : this.state() === 'frozen' ? 'is frozen' : '';
    if (!why) return;
    this.foreign = true;
    throw new OcirtError(`/linux/cgroupsPath: cgroup ${this.path} ${why}; it cannot be used for a new container`, { pointer: '/linux/cgroupsPath' });
  }

  /** The distinct directories of this cgroup, one per mounted hierarchy. */
  protected distinctDirs(): string[] {
    return [...new Set(Object.values(this.dirs))];
  }

  placement(o: { selfMove: boolean }): Placement {
    const fds: number[] = [];
    const open = (p: string, flags: number): number => {
      try {
        const fd = fs.openSync(p, flags);
        fds.push(fd);
        return fd;
      } catch (e) {
        for (const fd of fds) fs.closeSync(fd);
        throw new OcirtError(`cgroup ${this.path}: open ${p}: ${describeSystemError(e)}`, { pointer: '/linux/cgroupsPath' });
      }
    };
    const unified = this.dirs.unified;
    const intoCgroupFd = unified ? open(unified, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY) : undefined;
    const selfMoved = o.selfMove ? this.distinctDirs().filter((d) => d !== unified) : [];
    const selfTaskFds = selfMoved.map((d) => open(path.join(d, 'tasks'), fs.constants.O_WRONLY));
    return {
      intoCgroupFd,
      selfTaskFds,
      finish: (pid, intoCgroup) => {
        for (const d of this.distinctDirs()) {
          if ((d === unified && intoCgroup) || selfMoved.includes(d)) continue;
          this.w.write(d, 'cgroup.procs', pid, '/linux/cgroupsPath');
        }
      },
      close: () => {
        for (const fd of fds.splice(0)) fs.closeSync(fd);
      },
    };
  }

  /**
   * mkdir -p for each directory, remembering the top-most level created so that a failure
   * (here or later in create) removes exactly what this call made.
   */
  protected makeDirs(dirs: { dir: string; mount: string }[], afterEachLevel?: (level: string) => void): void {
    const made: string[] = [];
    try {
      for (const { dir, mount } of dirs) {
        const rel = path.relative(mount, dir).split('/');
        let cur = mount;
        for (const seg of rel) {
          cur = path.join(cur, seg);
          try {
            fs.mkdirSync(cur);
          } catch (e) {
            if ((e as NodeJS.ErrnoException).code === 'EEXIST') continue;
            throw new OcirtError(`create cgroup ${cur}: ${describeSystemError(e)}`, { pointer: '/linux/cgroupsPath', code: (e as NodeJS.ErrnoException).code });
          }
          made.push(cur);
          afterEachLevel?.(cur);
        }
      }
    } catch (e) {
      for (const d of made.reverse()) {
        try {
          removeTree(d, 1000);
        } catch {
          /* best effort; the original error matters */
        }
      }
      throw e;
    }
  }

  pids(): number[] {
    const out: number[] = [];
    const walk = (d: string) => {
      out.push(...readPids(path.join(d, 'cgroup.procs')));
      let ents: fs.Dirent[] = [];
      try {
        ents = fs.readdirSync(d, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of ents) if (e.isDirectory()) walk(path.join(d, e.name));
    };
    walk(this.procsDir());
    return out;
  }

  /** Signals every process, including those forked inside; v1 freezes first so none escapes by forking. */
  killAll(signal: number | NodeJS.Signals): void {
    const sig = signalNumber(signal);
    if (this.killAllFast(sig)) return;
    try {
      const wasFrozen = this.state() === 'frozen';
      if (!wasFrozen) this.freeze();
      try {
        for (const pid of this.pids()) {
          try {
            process.kill(pid, sig);
          } catch {
            /* exited meanwhile */
          }
        }
      } finally {
        if (!wasFrozen) this.thaw();
      }
    } catch (e) {
      // Removed under us (systemd stops a scope, and removes its cgroup, once its last process is
      // gone, which may be before the freeze or right after the signal): nothing is left to signal.
      if (!fs.existsSync(this.procsDir())) return;
      throw e;
    }
  }

  watchOom(onOom: () => void, intervalMs = 200): () => void {
    let seen = this.oomCount();
    const t = setInterval(() => {
      const now = this.oomCount();
      for (; seen < now; seen++) onOom();
    }, intervalMs);
    return () => clearInterval(t);
  }

  /**
   * `update` changes limits, never the device list: engines send the whole LinuxResources of the
   * config (whose devices lack the defaults added at create), and runc ignores them too.
   */
  update(resources: Resources): void {
    const { devices: _ignored, ...rest } = resources;
    this.apply(rest, '/linux/resources');
  }

  /**
   * Removes the cgroup even when processes linger: SIGKILL all (thawing a frozen cgroup so they
   * can die), wait for them (bounded), then rmdir deepest first with retries.
   */
  destroy(opts: { timeoutMs?: number } = {}): void {
    if (this.foreign) return;
    const timeout = opts.timeoutMs ?? 5000;
    // The usual case, nothing left inside: each rmdir succeeds at once (or finds no directory).
    const dirs = this.distinctDirs().filter((d) => !rmdirNow(d));
    if (dirs.length === 0) return;
    if (fs.existsSync(this.procsDir()) && this.pids().length > 0) {
      this.killAll(9);
      if (this.state() === 'frozen') this.thaw();
      const deadline = Date.now() + timeout;
      for (let wait = 1; this.pids().length > 0; wait = Math.min(wait * 2, 50)) {
        if (Date.now() >= deadline) throw new OcirtError(`cgroup ${this.path}: processes ${this.pids().join(' ')} did not exit after SIGKILL`);
        sleep(wait);
      }
    }
    for (const d of dirs) removeTree(d, timeout);
  }

  protected fieldWarn(pointer: string, why: string): void {
    this.host.warn(`${pointer}: ${why}; ignored`);
  }
}

/**
 * The systemd cgroup driver (--systemd-cgroup), for cgroup v2 and v1 hosts, as runc and crun do
 * it: the container's init is put in a transient scope made by StartTransientUnit, with
 * Delegate=yes and the resources systemd knows as unit properties; everything else (and the
 * exact values where systemd rounds) goes to the cgroup files through the v1 or v2 driver, which
 * also does pause, resume, stats and kill --all on the scope's cgroup. delete stops the unit.
 *
 * A scope needs a process to exist, so nothing is made in systemd before the init is cloned:
 * create() only checks (the slice, a scope of the same name), apply() keeps the resources, and
 * placement's finish(pid) starts the scope with the init's pid at namespaces-ready, before the
 * init unshares its cgroup namespace (runc's Apply(pid) at the same point).
 */
import * as fs from 'node:fs';
import { OcirtError } from '../errors';
import { systemdBus, BusError } from './systemd-bus';
import { resourceProps } from './systemd-props';
import { ownCgroups } from './mounts';
import type { SystemdPath } from './systemd-path';
import type { V1Manager } from './v1';
import type { V2Manager } from './v2';
import type { CgroupManager, CgroupStats, FreezerProbe, Placement, Resources } from './types';

const P = '/linux/cgroupsPath';

type Inner = V1Manager | V2Manager;

export class SystemdManager implements CgroupManager {
  private inner: Inner;
  private pending?: Resources;
  private started: boolean;

  /**
   * @param inner builds the v1 or v2 driver for a cgroup path (the one systemd gives the scope).
   * @param existing the scope exists already (a container after create).
   */
  constructor(
    readonly unit: SystemdPath,
    private readonly innerFor: (cgPath: string) => Inner,
    existing: boolean,
    inner?: Inner,
  ) {
    this.inner = inner ?? innerFor(unit.cgroup);
    this.started = existing;
  }

  get version(): 1 | 2 {
    return this.inner.version;
  }
  get path(): string {
    return this.inner.path;
  }
  get dirs(): Record<string, string> {
    return this.inner.dirs;
  }
  get v2Dir(): string | undefined {
    return this.inner.v2Dir;
  }
  get freezerProbe(): FreezerProbe | undefined {
    return this.inner.freezerProbe;
  }

  /** Checks only: the slice must be known to systemd, and no scope of that name may be running. */
  create(): void {
    const bus = systemdBus();
    const { slice, unit } = this.unit;
    if (slice !== '-.slice') {
      const s = bus.unit(slice);
      const known = s.loadState === 'loaded' && (s.activeState === 'active' || s.fragmentPath !== '' || s.transient);
      if (!known) {
        throw new OcirtError(`${P}: the slice ${slice} does not exist in systemd (load state ${s.loadState}, ${s.activeState}); create it first`, { pointer: P });
      }
    }
    const u = bus.unit(unit);
    if (u.activeState !== 'inactive' && u.activeState !== 'failed') {
      throw new OcirtError(`${P}: the systemd unit ${unit} exists already (${u.activeState}); it cannot be used for a new container`, { pointer: P });
    }
  }

  apply(resources: Resources, pointerBase?: string): void {
    if (this.started) this.inner.apply(resources, pointerBase);
    else this.pending = resources;
  }

  /** Starts the scope with pid in it (create), then places it where systemd does not (v1 hierarchies it leaves alone) and writes the files. */
  private start(pid: number): void {
    const r = this.pending ?? {};
    const props: [string, string, unknown][] = [
      ['Description', 's', `ocirt container ${this.unit.unit}`],
      ['Slice', 's', this.unit.slice],
      ['PIDs', 'au', [pid]],
      ['Delegate', 'b', true],
      // A container scope is not ordered after or stopped with the rest of the system.
      ['DefaultDependencies', 'b', false],
      ['MemoryAccounting', 'b', true],
      ['CPUAccounting', 'b', true],
      [this.version === 2 ? 'IOAccounting' : 'BlockIOAccounting', 'b', true],
      ['TasksAccounting', 'b', true],
      ...resourceProps(r, this.version, { devices: true }),
    ];
    const bus = systemdBus();
    let result: string;
    // From here on destroy() stops the unit, whatever systemd made of the call.
    this.started = true;
    try {
      result = bus.start(this.unit.unit, props);
    } catch (e) {
      throw this.busError(`start the scope ${this.unit.unit}`, e);
    }
    if (result !== 'done') {
      throw new OcirtError(`${P}: systemd could not start the scope ${this.unit.unit}: job ${result}`, { pointer: P });
    }
    // Where systemd put it, from the init's own /proc/<pid>/cgroup: exact even when systemd's
    // root is not this process's (systemd in a container without a cgroup namespace).
    const actual = cgroupOfPid(pid, this.version);
    if (actual && actual !== this.inner.path) this.inner = this.innerFor(actual);
    if (this.inner.version === 1) {
      this.inner.makeHierarchyDirs();
      this.inner.addProcess(pid);
    }
    this.inner.apply(r);
  }

  addProcess(pid: number): void {
    this.inner.addProcess(pid);
  }

  placement(o: { selfMove: boolean }): Placement {
    if (this.started) return this.inner.placement(o);
    return {
      selfTaskFds: [],
      finish: (pid) => this.start(pid),
      close: () => undefined,
    };
  }

  freeze(): void {
    this.inner.freeze();
  }
  thaw(): void {
    this.inner.thaw();
  }
  state(): 'frozen' | 'thawed' {
    return this.inner.state();
  }
  /** A scope systemd removed as its last process went is nothing to signal (the driver's killAll). */
  killAll(signal: number | NodeJS.Signals): void {
    this.inner.killAll(signal);
  }
  pids(): number[] {
    return this.inner.pids();
  }
  stats(): CgroupStats {
    return this.inner.stats();
  }
  oomCount(): number {
    return this.inner.oomCount();
  }
  watchOom(onOom: () => void, intervalMs?: number): () => void {
    return this.inner.watchOom(onOom, intervalMs);
  }

  /** systemd's properties first (so that a daemon-reload keeps the new values), then the files. */
  update(resources: Resources): void {
    const { devices: _ignored, ...rest } = resources;
    const props = resourceProps(rest, this.version);
    if (props.length) {
      try {
        systemdBus().setProperties(this.unit.unit, props);
      } catch (e) {
        throw this.busError(`set the properties of ${this.unit.unit}`, e, '/linux/resources');
      }
    }
    this.inner.update(resources);
  }

  /**
   * Stops the unit (systemd kills what is left and removes its cgroup) and forgets it if it
   * failed, then removes what systemd did not make (v1 hierarchies it does not manage).
   */
  destroy(opts?: { timeoutMs?: number }): void {
    let err: unknown;
    if (this.started) {
      try {
        systemdBus().stop(this.unit.unit);
      } catch (e) {
        err = this.busError(`stop the scope ${this.unit.unit}`, e);
      }
    }
    this.inner.destroy(opts);
    if (err) throw err;
  }

  private busError(what: string, e: unknown, pointer = P): Error {
    if (e instanceof OcirtError) return e;
    const type = e instanceof BusError && e.type ? ` (${e.type})` : '';
    return new OcirtError(`${pointer}: systemd: ${what}: ${(e as Error).message}${type}`, { pointer, cause: e });
  }
}

/** The cgroup path of pid in the hierarchy systemd tracks units by: cgroup2 on v2, name=systemd on v1. */
function cgroupOfPid(pid: number, version: 1 | 2): string | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8');
  } catch {
    return undefined;
  }
  const m = ownCgroups(text);
  return version === 2 ? m.get('') : m.get('name=systemd');
}

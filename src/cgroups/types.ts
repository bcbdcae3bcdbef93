/** The shapes shared by both cgroup drivers. */

import type { LinuxResources, LinuxThrottleDevice } from '../spec/types';

/**
 * LinuxResources of config-linux.md. A config's has passed the schema; `ocirt update`'s has not,
 * so a device rule's type is any string here (normalizeRules refuses a wrong one by pointer) and
 * a number may be null (all, as runc reads a Go nil).
 */
export type Resources = LinuxResources<DeviceRule>;
export type ThrottleDevice = LinuxThrottleDevice;

export interface DeviceRule {
  allow: boolean;
  type?: 'a' | 'b' | 'c' | string;
  major?: number | null;
  minor?: number | null;
  access?: string;
}

export type Layout = 'unified' | 'legacy' | 'hybrid';

/** runc's libcontainer Stats as `runc events --stats` prints it under "data". */
export interface CgroupStats {
  cpu: {
    usage: { total?: number; percpu?: number[]; percpu_kernel?: number[]; percpu_user?: number[]; kernel: number; user: number };
    throttling: { periods?: number; throttledPeriods?: number; throttledTime?: number };
  };
  memory: {
    cache?: number;
    usage?: MemoryEntry;
    swap?: MemoryEntry;
    kernel?: MemoryEntry;
    kernelTCP?: MemoryEntry;
    raw?: Record<string, number>;
  };
  pids: { current?: number; limit?: number };
  blkio: Record<string, BlkioEntry[]>;
  hugetlb: Record<string, { usage?: number; max?: number; failcnt: number }>;
}

export interface MemoryEntry {
  limit: number;
  usage?: number;
  max?: number;
  failcnt: number;
}

export interface BlkioEntry {
  major?: number;
  minor?: number;
  op?: string;
  value?: number;
}

/** The file that tells whether the cgroup is frozen, readable without a driver (state derivation). */
export interface FreezerProbe {
  file: string;
  frozen: string;
}

/**
 * The seam to the kernel: tests give a recorder; the default is the real thing. Kept to what the
 * drivers need so that a fake cgroupfs (a tmp dir) behaves like the real one where it matters.
 */
export interface CgroupHost {
  /** Loads and attaches a BPF_PROG_TYPE_CGROUP_DEVICE program (v2 devices). */
  attachDevices(insns: Buffer, cgroupDirFd: number): void;
  /** Called after every successful interface-file write (unit tests record them). */
  onWrite?(file: string, value: string): void;
  warn(msg: string): void;
}

export interface CgroupManager {
  readonly version: 1 | 2;
  /** The cgroup path inside each hierarchy (e.g. /ocirt/abc), as recorded in the state. */
  readonly path: string;
  /** Absolute directory per hierarchy: controller name (v1) or "unified" (v2, and hybrid's cgroup2). */
  readonly dirs: Record<string, string>;
  /** The cgroup2 directory, for CLONE_INTO_CGROUP (pure v2 only; undefined on v1/hybrid). */
  readonly v2Dir?: string;
  readonly freezerProbe?: FreezerProbe;
  create(): void;
  apply(resources: Resources, pointerBase?: string): void;
  addProcess(pid: number): void;
  freeze(): void;
  thaw(): void;
  state(): 'frozen' | 'thawed';
  killAll(signal: number | NodeJS.Signals): void;
  pids(): number[];
  stats(): CgroupStats;
  /** Total OOM kills seen by the cgroup so far (memory.oom_control / memory.events oom_kill). */
  oomCount(): number;
  /** Calls onOom once per new OOM kill until the returned stop function is called. */
  watchOom(onOom: () => void, intervalMs?: number): () => void;
  update(resources: Resources): void;
  destroy(opts?: { timeoutMs?: number }): void;
  /** An O_DIRECTORY fd of v2Dir for clone3(CLONE_INTO_CGROUP); the caller closes it. */
  intoCgroupFd?(): number;
  /** How a new process gets into every hierarchy of the cgroup (see Placement); the caller closes it. */
  placement(o: { selfMove: boolean }): Placement;
}

/**
 * The ways into the cgroup for a process about to be cloned, cheapest first:
 *   - born there: clone3(CLONE_INTO_CGROUP) with the cgroup2 directory;
 *   - moving itself: 0 written into each v1 `tasks` file by the new process, before it does
 *     anything else (a move of oneself takes no global lock, so it waits for no RCU grace
 *     period, unlike a write of another pid);
 *   - moved by us: its pid written into cgroup.procs, for whatever the other two did not do.
 */
export interface Placement {
  intoCgroupFd?: number;
  selfTaskFds: number[];
  /** Writes pid where neither of the others placed it; intoCgroup: whether clone3 took intoCgroupFd. */
  finish(pid: number, intoCgroup: boolean): void;
  close(): void;
}

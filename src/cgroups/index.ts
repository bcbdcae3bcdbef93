/**
 * Cgroups: one manager interface, a v2 and a v1 driver (youki's libcgroups shape).
 *
 *   const cg = openManager({ id, cgroupsPath });   // resolves the path, no I/O beyond mountinfo
 *   cg.create(); cg.apply(config.linux.resources); cg.addProcess(pid);
 *
 * Both drivers take their root and mountinfo as parameters, so unit tests run them over a tmp
 * directory that mimics cgroupfs.
 */
import * as path from 'node:path';
import { OcirtError } from '../errors';
import { detect, mountsUnder, readMountinfo, normalizeCgroupsPath, ownCgroups } from './mounts';
import type { V1Manager } from './v1';
import type { V2Manager } from './v2';
import type { CgroupHost, CgroupManager, Layout } from './types';

export type { CgroupManager, CgroupStats, Resources, Layout, CgroupHost, FreezerProbe, DeviceRule } from './types';
export { detect } from './mounts';
export { effectiveDeviceRules, DEFAULT_ALLOWED_DEVICES } from './devices';

export interface OpenOptions {
  id: string;
  /** linux.cgroupsPath from config.json, or the normalized path recorded at create. */
  cgroupsPath?: string;
  /** The cgroup mount root; /sys/fs/cgroup by default. */
  root?: string;
  /** Forces a layout instead of detecting it. */
  layout?: Layout;
  /** --systemd-cgroup: cgroupsPath is slice:prefix:name. */
  systemd?: boolean;
  /** /proc/self/mountinfo text (tests). */
  mountinfo?: string;
  /** /proc/self/cgroup text, the base of relative paths (tests). */
  selfCgroup?: string;
  /** The kernel seam (tests record writes and capture the device program here). */
  host?: Partial<CgroupHost>;
}

// One driver per host: the other (and its device code) is not loaded. Every command that
// touches a cgroup pays for what it loads.
const v1 = (): typeof V1Manager => (require('./v1') as typeof import('./v1')).V1Manager;
const v2 = (): typeof V2Manager => (require('./v2') as typeof import('./v2')).V2Manager;

function defaultHost(): CgroupHost {
  return {
    attachDevices(insns, fd) {
      (require('../native') as typeof import('../native')).native().bpfAttachDevices(insns, fd);
    },
    warn(msg) {
      (require('../log') as typeof import('../log')).warn(msg);
    },
  };
}

export function openManager(o: OpenOptions): CgroupManager {
  if (o.systemd) return openSystemd(o);
  const root = path.resolve(o.root ?? '/sys/fs/cgroup');
  const mountinfo = o.mountinfo ?? readMountinfo();
  const layout = o.layout ?? detect(root, mountinfo);
  const host: CgroupHost = { ...defaultHost(), ...o.host };
  const mounts = mountsUnder(root, mountinfo);
  const base = () => {
    const own = ownCgroups(o.selfCgroup).get('') ?? '/';
    return layout === 'unified' ? path.posix.dirname(own) : own;
  };
  const cgPath = normalizeCgroupsPath(o.id, o.cgroupsPath, base);
  if (layout === 'unified') {
    const m = mounts.find((x) => x.v2 && x.mountPoint === root) ?? mounts.find((x) => x.v2);
    if (!m) throw new OcirtError(`no cgroup2 filesystem is mounted at ${root}`);
    return new (v2())(m.mountPoint, cgPath, host);
  }
  const v1Mounts = mounts.filter((m) => !m.v2 || layout === 'hybrid');
  if (!v1Mounts.some((m) => !m.v2)) throw new OcirtError(`no cgroup v1 hierarchy is mounted under ${root}`);
  return new (v1())(v1Mounts, cgPath, host);
}

/**
 * --systemd-cgroup: cgroupsPath is slice:prefix:name, and the cgroup is the one systemd gives the
 * scope, driven through the v1 or v2 driver for its files. Never a cgroupfs path of ocirt's own.
 */
function openSystemd(o: OpenOptions, existing = false): CgroupManager {
  const unit = (require('./systemd-path') as typeof import('./systemd-path')).parseSystemdPath(o.cgroupsPath, o.id);
  const { SystemdManager } = require('./systemd') as typeof import('./systemd');
  const inner = (cgPath: string) => openManager({ ...o, systemd: false, cgroupsPath: cgPath }) as V1Manager | V2Manager;
  return new SystemdManager(unit, inner, existing);
}

/**
 * The manager of a cgroup that create made and recorded: its directories as recorded, without
 * reading the host's mounts again (commands after create need no more). Undefined for a record
 * it cannot trust that far.
 */
export function recordedManager(rec: { version: 1 | 2; path: string; dirs: Record<string, string> }, host?: Partial<CgroupHost>, systemd = false): CgroupManager | undefined {
  if (systemd) {
    // The scope's unit name is the last part of its cgroup path; the files are reached as recorded.
    const unit = path.posix.basename(rec.path);
    if (!unit.endsWith('.scope')) return undefined;
    const inner = recordedManager(rec, host) as V1Manager | V2Manager | undefined;
    if (!inner) return undefined;
    const { SystemdManager } = require('./systemd') as typeof import('./systemd');
    const parsed = { slice: '', unit, cgroup: rec.path };
    return new SystemdManager(parsed, () => inner, true, inner);
  }
  const h: CgroupHost = { ...defaultHost(), ...host };
  if (rec.version === 1) return Object.keys(rec.dirs).length ? new (v1())([], rec.path, h, rec.dirs) : undefined;
  const dir = rec.dirs.unified;
  if (!dir || !rec.path.startsWith('/') || !dir.endsWith(rec.path)) return undefined;
  return new (v2())(dir.slice(0, dir.length - rec.path.length) || '/', rec.path, h);
}

/** features.json linux.cgroup, for this host. */
export function cgroupFeatures(root = '/sys/fs/cgroup'): { v1: boolean; v2: boolean; systemd: boolean; systemdUser: boolean; rdma: boolean } {
  let layout: Layout | undefined;
  try {
    layout = detect(root);
  } catch {
    layout = undefined;
  }
  const ms = layout ? mountsUnder(root) : [];
  return {
    v1: layout === 'legacy' || layout === 'hybrid',
    v2: layout === 'unified',
    systemd: systemdWorks(),
    systemdUser: false,
    rdma: ms.some((m) => m.controllers.includes('rdma')) || (layout === 'unified' && hasV2Controller(root, 'rdma')),
  };
}

function hasV2Controller(root: string, c: string): boolean {
  try {
    return require('node:fs').readFileSync(path.join(root, 'cgroup.controllers'), 'utf8').split(/\s+/).includes(c);
  } catch {
    return false;
  }
}

/**
 * Whether the systemd driver works here: systemd answers on the system bus. Asked only when the
 * bus socket exists (or DBUS_SYSTEM_BUS_ADDRESS is set), so hosts without systemd pay nothing.
 */
function systemdWorks(): boolean {
  const addr = process.env.DBUS_SYSTEM_BUS_ADDRESS;
  if (!addr && !require('node:fs').existsSync('/run/dbus/system_bus_socket')) return false;
  try {
    return !!(require('./systemd-bus') as typeof import('./systemd-bus')).systemdBus().version();
  } catch {
    return false;
  }
}

/**
 * The config.json that `ocirt spec` writes: a shell in a container, in the same shape as
 * `runc spec` (so that bundles made for one work with the other), with ociVersion 1.3.0.
 * Like runc, it adds a cgroup namespace when the host has a pure cgroup v2 hierarchy (the
 * container then sees its own cgroup as /sys/fs/cgroup). One addition of ocirt's own:
 * /sys/devices/virtual/powercap is masked, as Docker and containerd do (energy counters are a
 * side channel).
 *
 * Rootless (`--rootless`), as runc does it: a user namespace that maps root in the container
 * to the caller, no network namespace (an unprivileged user cannot set one up to be useful),
 * /sys bound from the host (sysfs cannot be mounted without owning the network namespace),
 * no gid=5 on /dev/pts (that group is not mapped), and no cgroup device rules (not writable).
 */
import * as fs from 'node:fs';
import type { Spec, Mount } from './types';

const SPEC_VERSION = '1.3.0';

const CAPS = ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'];

/** What the kernel must not show a container: /proc and /sys files that leak host data. */
const MASKED_PATHS = [
  '/proc/acpi',
  '/proc/asound',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/sys/firmware',
  '/proc/scsi',
  '/sys/devices/virtual/powercap', // energy counters: a side channel (PLATYPUS)
];

const READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

function mounts(rootless: boolean): Mount[] {
  const devpts = ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620'];
  if (!rootless) devpts.push('gid=5');
  return [
    { destination: '/proc', type: 'proc', source: 'proc' },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: devpts },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    rootless
      ? { destination: '/sys', type: 'none', source: '/sys', options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'] }
      : { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
  ];
}

/** True on a host whose /sys/fs/cgroup is cgroup v2 (unified), as runc decides it. */
function cgroup2Unified(): boolean {
  try {
    return fs.existsSync('/sys/fs/cgroup/cgroup.controllers');
  } catch {
    return false;
  }
}

/**
 * `cgroupNamespace` overrides the host detection (tests use it to get the same output on
 * every host).
 */
export function defaultSpec(opts: { rootless?: boolean; cgroupNamespace?: boolean } = {}): Spec {
  const rootless = !!opts.rootless;
  const cgroupNs = opts.cgroupNamespace ?? cgroup2Unified();
  const spec: Spec = {
    ociVersion: SPEC_VERSION,
    process: {
      terminal: true,
      user: { uid: 0, gid: 0 },
      args: ['sh'],
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=xterm'],
      cwd: '/',
      capabilities: { bounding: [...CAPS], effective: [...CAPS], permitted: [...CAPS] },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: 'rootfs', readonly: true },
    hostname: 'ocirt',
    mounts: mounts(rootless),
    linux: {},
  };
  const linux = spec.linux!;
  if (rootless) {
    const uid = typeof process.geteuid === 'function' ? process.geteuid() : 0;
    const gid = typeof process.getegid === 'function' ? process.getegid() : 0;
    linux.uidMappings = [{ containerID: 0, hostID: uid, size: 1 }];
    linux.gidMappings = [{ containerID: 0, hostID: gid, size: 1 }];
  } else {
    linux.resources = { devices: [{ allow: false, access: 'rwm' }] };
  }
  const namespaces: NonNullable<typeof linux.namespaces> = [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }];
  if (cgroupNs) namespaces.push({ type: 'cgroup' });
  // Rootless: no network namespace, and the user namespace comes last (as runc writes it).
  linux.namespaces = rootless ? [...namespaces.filter((n) => n.type !== 'network'), { type: 'user' }] : namespaces;
  linux.maskedPaths = [...MASKED_PATHS];
  linux.readonlyPaths = [...READONLY_PATHS];
  return spec;
}

/**
 * A directory that mimics cgroupfs for the driver unit tests: interface files pre-created (the
 * drivers never create files, as on the real thing), a mountinfo text naming it, and a host seam
 * that records every write and the device program.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openManager, OpenOptions, CgroupManager } from '../../src/cgroups';

export const V2_FILES = [
  'cgroup.procs', 'cgroup.freeze', 'cgroup.kill', 'cgroup.events', 'cgroup.controllers', 'cgroup.subtree_control',
  'memory.max', 'memory.low', 'memory.swap.max', 'memory.current', 'memory.events', 'memory.stat',
  'cpu.weight', 'cpu.max', 'cpu.max.burst', 'cpu.idle', 'cpu.stat', 'cpuset.cpus', 'cpuset.mems',
  'pids.max', 'pids.current', 'io.weight', 'io.max', 'io.stat', 'hugetlb.2MB.max', 'hugetlb.2MB.rsvd.max', 'rdma.max',
];

export const V1_FILES: Record<string, string[]> = {
  memory: ['memory.limit_in_bytes', 'memory.soft_limit_in_bytes', 'memory.memsw.limit_in_bytes', 'memory.swappiness', 'memory.oom_control', 'memory.use_hierarchy', 'memory.usage_in_bytes', 'memory.stat'],
  'cpu,cpuacct': ['cpu.shares', 'cpu.cfs_period_us', 'cpu.cfs_quota_us', 'cpu.cfs_burst_us', 'cpu.rt_period_us', 'cpu.rt_runtime_us', 'cpu.idle', 'cpu.stat', 'cpuacct.usage', 'cpuacct.stat'],
  cpuset: ['cpuset.cpus', 'cpuset.mems'],
  pids: ['pids.max', 'pids.current'],
  blkio: ['blkio.weight', 'blkio.leaf_weight', 'blkio.weight_device', 'blkio.leaf_weight_device', 'blkio.throttle.read_bps_device', 'blkio.throttle.write_bps_device', 'blkio.throttle.read_iops_device', 'blkio.throttle.write_iops_device'],
  devices: ['devices.allow', 'devices.deny', 'devices.list'],
  freezer: ['freezer.state'],
  hugetlb: ['hugetlb.2MB.limit_in_bytes', 'hugetlb.2MB.rsvd.limit_in_bytes'],
  net_cls: ['net_cls.classid'],
  net_prio: ['net_prio.ifpriomap'],
  rdma: ['rdma.max'],
};

export interface FakeCgroupfs {
  root: string;
  mountinfo: string;
  writes: [string, string][];
  warnings: string[];
  programs: Buffer[];
  /** A manager over the fake fs; the cgroup's files are pre-created at cgPath. */
  open(opts?: Partial<OpenOptions>, cgPath?: string): CgroupManager;
  /** Writes relative to root, as "ocirt/c1/memory.max=64". */
  log(): string[];
  cleanup(): void;
}

function touch(dir: string, files: string[], content: Record<string, string> = {}): void {
  fs.mkdirSync(dir, { recursive: true });
  for (const f of files) if (!fs.existsSync(path.join(dir, f))) fs.writeFileSync(path.join(dir, f), content[f] ?? '');
}

function make(root: string, mountinfo: string, populate: (cgPath: string) => void): FakeCgroupfs {
  const fake: FakeCgroupfs = {
    root,
    mountinfo,
    writes: [],
    warnings: [],
    programs: [],
    open(opts = {}, cgPath = '/ocirt/c1') {
      populate(cgPath);
      return openManager({
        id: 'c1',
        root,
        mountinfo,
        selfCgroup: '0::/user.slice/session-1.scope\n',
        host: {
          onWrite: (f, v) => fake.writes.push([f, v]),
          warn: (m) => fake.warnings.push(m),
          attachDevices: (insns) => fake.programs.push(Buffer.from(insns)),
        },
        ...opts,
      });
    },
    log: () => fake.writes.map(([f, v]) => `${path.relative(root, f)}=${v}`),
    cleanup: () => fs.rmSync(root, { recursive: true, force: true }),
  };
  return fake;
}

export function fakeV2(): FakeCgroupfs {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ocirt-cgv2-'));
  const mi = `30 23 0:26 / ${root} rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate\n`;
  touch(root, ['cgroup.controllers', 'cgroup.subtree_control', 'cgroup.procs'], { 'cgroup.controllers': 'cpuset cpu io memory hugetlb pids rdma\n' });
  return make(root, mi, (cgPath) => {
    const parts = cgPath.split('/').filter(Boolean);
    for (let i = 1; i < parts.length; i++) {
      touch(path.join(root, ...parts.slice(0, i)), ['cgroup.controllers', 'cgroup.subtree_control', 'cgroup.procs', 'cpuset.cpus.effective', 'cpuset.mems.effective'], {
        'cgroup.controllers': 'cpuset cpu io memory hugetlb pids rdma\n',
        'cpuset.cpus.effective': '0-3\n',
        'cpuset.mems.effective': '0\n',
      });
    }
    touch(path.join(root, cgPath), V2_FILES, { 'cgroup.controllers': 'cpuset cpu io memory hugetlb pids rdma\n', 'cpu.max': 'max 100000\n', 'memory.max': 'max\n' });
  });
}

export function fakeV1(opts: { hybrid?: boolean } = {}): FakeCgroupfs {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ocirt-cgv1-'));
  const lines = [`31 23 0:28 / ${root} rw,relatime - tmpfs tmpfs rw,mode=755`];
  let n = 32;
  for (const name of Object.keys(V1_FILES)) {
    lines.push(`${n} 31 0:${n} / ${root}/${name} rw,relatime - cgroup cgroup rw,${name}`);
    n++;
    touch(path.join(root, name), ['cgroup.procs']);
  }
  fs.writeFileSync(path.join(root, 'cpuset', 'cpuset.cpus'), '0-3\n');
  fs.writeFileSync(path.join(root, 'cpuset', 'cpuset.mems'), '0\n');
  if (opts.hybrid) {
    lines.push(`${n} 31 0:${n} / ${root}/unified rw,relatime - cgroup2 cgroup2 rw`);
    touch(path.join(root, 'unified'), ['cgroup.procs']);
  }
  return make(root, lines.join('\n') + '\n', (cgPath) => {
    const parts = cgPath.split('/').filter(Boolean);
    for (let i = 1; i < parts.length; i++) touch(path.join(root, 'cpuset', ...parts.slice(0, i)), ['cpuset.cpus', 'cpuset.mems'], { 'cpuset.cpus': '0-3\n', 'cpuset.mems': '0\n' });
    for (const [name, files] of Object.entries(V1_FILES)) touch(path.join(root, name, cgPath), ['cgroup.procs', ...files], { 'devices.list': 'a *:* rwm\n' });
    if (opts.hybrid) touch(path.join(root, 'unified', cgPath), ['cgroup.procs']);
  });
}

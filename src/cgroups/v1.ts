/**
 * The cgroup v1 driver, for legacy and hybrid hosts. Each controller has its own hierarchy; the
 * container gets the same path in each. On hybrid hosts it is also placed in the cgroup2 mount
 * (which has no controllers there), as runc does, so tools that read 0:: see it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { OcirtError } from '../errors';
import { BaseManager } from './base';
import { readText, readNumber, readKeyed, isCgroupfs, sleep } from './files';
import { CgroupMount, joinInside } from './mounts';
import { checkCpuList, checkPageSize, checkNotBelowUsage } from './convert';
import { normalizeRules, v1Line, parseDevicesList, v1Target, v1Diff } from './devices';
import type { CgroupHost, CgroupStats, Resources, BlkioEntry, ThrottleDevice } from './types';

const USER_HZ = 100;

export class V1Manager extends BaseManager {
  readonly version = 1 as const;
  readonly dirs: Record<string, string> = {};
  readonly freezerProbe;
  /** hierarchy mount point per directory, for creation. */
  private readonly mountOf = new Map<string, string>();

  /** recorded: the directories a create recorded (then `mounts` is empty, and create() not for it). */
  constructor(mounts: CgroupMount[], cgPath: string, host: CgroupHost, recorded?: Record<string, string>) {
    super(cgPath, host);
    if (recorded) Object.assign(this.dirs, recorded);
    for (const m of mounts) {
      const dir = joinInside(m.mountPoint, cgPath);
      this.mountOf.set(dir, m.mountPoint);
      if (m.v2) this.dirs.unified = dir;
      for (const c of m.controllers) this.dirs[c.startsWith('name=') ? c.slice(5) : c] = dir;
    }
    this.freezerProbe = this.dirs.freezer ? { file: path.join(this.dirs.freezer, 'freezer.state'), frozen: 'FROZEN' } : undefined;
  }

  protected procsDir(): string {
    return this.dirs.freezer ?? this.dirs.pids ?? this.dirs.memory ?? Object.values(this.dirs)[0];
  }

  private need(ctrl: string, pointer: string): string {
    const d = this.dirs[ctrl];
    if (!d) throw new OcirtError(`${pointer}: the ${ctrl} controller is not mounted on this host`, { pointer });
    return d;
  }

  create(): void {
    this.checkFit();
    this.makeHierarchyDirs();
  }

  /** The directories in every hierarchy, missing levels only (the systemd driver adds those systemd does not make). */
  makeHierarchyDirs(): void {
    const cpuset = this.dirs.cpuset;
    const cpusetMount = cpuset === undefined ? undefined : this.mountOf.get(cpuset)!;
    // A cpuset cgroup starts with no cpus and no mems, and no task can join it or any cgroup
    // below it then. As runc does, every level from the top down gets its parent's values when
    // empty: the ones made here, and the ones someone made before us and left empty.
    const fill = (level: string) => {
      for (const f of ['cpuset.cpus', 'cpuset.mems']) {
        if ((readText(path.join(level, f)) ?? '').trim() !== '') continue;
        const parent = (readText(path.join(path.dirname(level), f)) ?? '').trim();
        if (parent !== '') this.w.write(level, f, parent, '/linux/cgroupsPath', 'cpuset');
      }
    };
    if (cpuset !== undefined && cpusetMount !== undefined) {
      let level = cpusetMount;
      for (const seg of path.relative(cpusetMount, cpuset).split('/').filter(Boolean)) {
        level = path.join(level, seg);
        if (!fs.existsSync(level)) break;
        fill(level);
      }
    }
    this.makeDirs(
      [...this.mountOf].map(([dir, mount]) => ({ dir, mount })),
      (level) => {
        if (cpusetMount !== undefined && level.startsWith(cpusetMount + '/')) fill(level);
      },
    );
  }

  addProcess(pid: number): void {
    for (const d of this.distinctDirs()) this.w.write(d, 'cgroup.procs', pid, '/linux/cgroupsPath');
  }

  apply(r: Resources, base = '/linux/resources'): void {
    if (r.memory) this.applyMemory(r.memory, `${base}/memory`);
    if (r.cpu) {
      const c = r.cpu;
      const p = `${base}/cpu`;
      const needCpu = () => this.need('cpu', p);
      if (c.shares !== undefined && c.shares !== 0) this.w.write(needCpu(), 'cpu.shares', c.shares, `${p}/shares`, 'cpu');
      if (c.period !== undefined && c.period !== 0) this.w.write(needCpu(), 'cpu.cfs_period_us', c.period, `${p}/period`, 'cpu');
      if (c.quota !== undefined && c.quota !== 0) this.w.write(needCpu(), 'cpu.cfs_quota_us', c.quota > 0 ? c.quota : -1, `${p}/quota`, 'cpu');
      if (c.burst !== undefined) {
        if (c.quota !== undefined && c.quota > 0 && c.burst > c.quota) throw new OcirtError(`${p}/burst: ${c.burst} is larger than the quota ${c.quota}`, { pointer: `${p}/burst` });
        this.w.write(needCpu(), 'cpu.cfs_burst_us', c.burst, `${p}/burst`, 'cpu');
      }
      // The runtime must fit in the period, so the period goes first.
      if (c.realtimePeriod !== undefined && c.realtimePeriod !== 0) this.w.write(needCpu(), 'cpu.rt_period_us', c.realtimePeriod, `${p}/realtimePeriod`, 'cpu');
      if (c.realtimeRuntime !== undefined && c.realtimeRuntime !== 0) this.w.write(needCpu(), 'cpu.rt_runtime_us', c.realtimeRuntime, `${p}/realtimeRuntime`, 'cpu');
      if (c.idle !== undefined && c.idle !== 0) this.w.write(needCpu(), 'cpu.idle', c.idle, `${p}/idle`, 'cpu');
      for (const [key, file] of [
        ['cpus', 'cpuset.cpus'],
        ['mems', 'cpuset.mems'],
      ] as const) {
        const v = c[key];
        if (!v) continue;
        const d = this.need('cpuset', `${p}/${key}`);
        checkCpuList(v, `${p}/${key}`, readText(path.join(path.dirname(d), file)));
        this.w.write(d, file, v, `${p}/${key}`, 'cpuset');
      }
    }
    if (r.pids && r.pids.limit !== undefined) {
      const p = `${base}/pids/limit`;
      this.w.write(this.need('pids', p), 'pids.max', r.pids.limit < 0 ? 'max' : r.pids.limit, p, 'pids');
    }
    if (r.blockIO) this.applyBlkio(r.blockIO, `${base}/blockIO`);
    if (r.hugepageLimits) {
      r.hugepageLimits.forEach((h, i) => {
        const ptr = `${base}/hugepageLimits/${i}`;
        const d = this.need('hugetlb', ptr);
        const size = checkPageSize(h.pageSize, `${ptr}/pageSize`);
        this.w.write(d, `hugetlb.${size}.limit_in_bytes`, h.limit, `${ptr}/limit`, 'hugetlb');
        if (fs.existsSync(path.join(d, `hugetlb.${size}.rsvd.limit_in_bytes`))) this.w.write(d, `hugetlb.${size}.rsvd.limit_in_bytes`, h.limit, `${ptr}/limit`, 'hugetlb');
      });
    }
    if (r.network) {
      const p = `${base}/network`;
      if (r.network.classID !== undefined) this.w.write(this.need('net_cls', `${p}/classID`), 'net_cls.classid', r.network.classID, `${p}/classID`, 'net_cls');
      (r.network.priorities ?? []).forEach((pr, i) =>
        this.w.write(this.need('net_prio', `${p}/priorities`), 'net_prio.ifpriomap', `${pr.name} ${pr.priority}`, `${p}/priorities/${i}`, 'net_prio'),
      );
    }
    if (r.rdma) {
      for (const [dev, lim] of Object.entries(r.rdma)) {
        const ptr = `${base}/rdma/${dev}`;
        const parts = [dev];
        if (lim.hcaHandles !== undefined) parts.push(`hca_handle=${lim.hcaHandles}`);
        if (lim.hcaObjects !== undefined) parts.push(`hca_object=${lim.hcaObjects}`);
        this.w.write(this.need('rdma', ptr), 'rdma.max', parts.join(' '), ptr, 'rdma');
      }
    }
    if (r.unified && Object.keys(r.unified).length > 0) {
      throw new OcirtError(`${base}/unified: requires cgroup v2, but this host uses cgroup v1 controllers`, { pointer: `${base}/unified` });
    }
    if (r.devices) {
      const p = `${base}/devices`;
      const d = this.need('devices', p);
      const rules = normalizeRules(r.devices, p);
      const current = parseDevicesList(readText(path.join(d, 'devices.list')) ?? 'a *:* rwm');
      const target = v1Target(rules);
      if (current && target) {
        // Already default-deny (a running container): change only what differs.
        for (const x of v1Diff(current, target)) this.w.write(d, x.file, x.line, p, 'devices');
      } else {
        // Start from nothing, then replay the list in order, as the kernel's own list semantics want.
        this.w.write(d, 'devices.deny', 'a', p, 'devices');
        rules.forEach((rule, i) => this.w.write(d, rule.allow ? 'devices.allow' : 'devices.deny', v1Line(rule), `${p}/${i}`, 'devices'));
      }
    }
  }

  private applyMemory(m: NonNullable<Resources['memory']>, p: string): void {
    const d = this.need('memory', p);
    // runc: an unlimited memory limit without a swap value lifts memsw too (else the kernel
    // refuses a limit above memsw), where the kernel accounts swap.
    if (m.limit === -1 && (m.swap === undefined || m.swap === 0) && fs.existsSync(path.join(d, 'memory.memsw.limit_in_bytes'))) m = { ...m, swap: -1 };
    if (m.checkBeforeUpdate) checkNotBelowUsage(m.limit, readNumber(path.join(d, 'memory.usage_in_bytes')), `${p}/limit`);
    const setLimit = () => {
      if (m.limit !== undefined && m.limit !== 0) this.w.write(d, 'memory.limit_in_bytes', m.limit, `${p}/limit`, 'memory');
    };
    const setSwap = () => {
      if (m.swap !== undefined && m.swap !== 0) this.w.write(d, 'memory.memsw.limit_in_bytes', m.swap, `${p}/swap`, 'memory');
    };
    // memsw must stay >= the memory limit at every step: raise memsw first when the limit grows
    // past it, else lower the limit first.
    const curSwap = readNumber(path.join(d, 'memory.memsw.limit_in_bytes'));
    const limitGrowsPastSwap = m.limit !== undefined && (m.limit === -1 || (curSwap !== undefined && m.limit > curSwap));
    if (m.swap !== undefined && limitGrowsPastSwap) {
      setSwap();
      setLimit();
    } else {
      setLimit();
      setSwap();
    }
    if (m.reservation !== undefined && m.reservation !== 0) this.w.write(d, 'memory.soft_limit_in_bytes', m.reservation, `${p}/reservation`, 'memory');
    if (m.swappiness !== undefined) {
      if (m.swappiness < 0 || m.swappiness > 100) throw new OcirtError(`${p}/swappiness: ${m.swappiness} is not in [0, 100]`, { pointer: `${p}/swappiness` });
      this.w.write(d, 'memory.swappiness', m.swappiness, `${p}/swappiness`, 'memory');
    }
    if (m.disableOOMKiller) this.w.write(d, 'memory.oom_control', '1', `${p}/disableOOMKiller`, 'memory');
    if (m.useHierarchy !== undefined) this.w.write(d, 'memory.use_hierarchy', m.useHierarchy ? '1' : '0', `${p}/useHierarchy`, 'memory');
    if (m.kernel !== undefined) this.fieldWarn(`${p}/kernel`, 'kernel memory limits are deprecated by the kernel');
    if (m.kernelTCP !== undefined) this.fieldWarn(`${p}/kernelTCP`, 'kernel TCP memory limits are deprecated by the kernel');
  }

  private applyBlkio(b: NonNullable<Resources['blockIO']>, p: string): void {
    const d = this.need('blkio', p);
    const has = (f: string) => fs.existsSync(path.join(d, f));
    // Kernels without CFQ keep only BFQ's files; their scale is the same.
    const weightFile = !has('blkio.weight') && has('blkio.bfq.weight') ? 'blkio.bfq.weight' : 'blkio.weight';
    const weightDevFile = !has('blkio.weight_device') && has('blkio.bfq.weight_device') ? 'blkio.bfq.weight_device' : 'blkio.weight_device';
    if (b.weight !== undefined && b.weight !== 0) this.w.write(d, weightFile, b.weight, `${p}/weight`, 'blkio');
    if (b.leafWeight !== undefined && b.leafWeight !== 0) this.w.write(d, 'blkio.leaf_weight', b.leafWeight, `${p}/leafWeight`, 'blkio');
    (b.weightDevice ?? []).forEach((wd, i) => {
      if (wd.weight !== undefined) this.w.write(d, weightDevFile, `${wd.major}:${wd.minor} ${wd.weight}`, `${p}/weightDevice/${i}/weight`, 'blkio');
      if (wd.leafWeight !== undefined) this.w.write(d, 'blkio.leaf_weight_device', `${wd.major}:${wd.minor} ${wd.leafWeight}`, `${p}/weightDevice/${i}/leafWeight`, 'blkio');
    });
    const throttle = (list: ThrottleDevice[] | undefined, file: string, field: string) =>
      (list ?? []).forEach((t, i) => this.w.write(d, file, `${t.major}:${t.minor} ${t.rate}`, `${p}/${field}/${i}`, 'blkio'));
    throttle(b.throttleReadBpsDevice, 'blkio.throttle.read_bps_device', 'throttleReadBpsDevice');
    throttle(b.throttleWriteBpsDevice, 'blkio.throttle.write_bps_device', 'throttleWriteBpsDevice');
    throttle(b.throttleReadIOPSDevice, 'blkio.throttle.read_iops_device', 'throttleReadIOPSDevice');
    throttle(b.throttleWriteIOPSDevice, 'blkio.throttle.write_iops_device', 'throttleWriteIOPSDevice');
  }

  freeze(): void {
    this.setFreezer('FROZEN');
  }

  thaw(): void {
    this.setFreezer('THAWED');
  }

  /** The v1 freezer may stay in FREEZING while tasks are busy: rewrite and re-check, bounded. */
  private setFreezer(want: 'FROZEN' | 'THAWED'): void {
    const d = this.need('freezer', '/linux/cgroupsPath');
    const deadline = Date.now() + 5000;
    for (let wait = 1; ; wait = Math.min(wait * 2, 20)) {
      this.w.write(d, 'freezer.state', want, '/linux/cgroupsPath', 'freezer');
      if (!isCgroupfs(d) || readText(path.join(d, 'freezer.state'))?.trim() === want) return;
      if (Date.now() >= deadline) {
        if (want === 'FROZEN') this.w.write(d, 'freezer.state', 'THAWED', '/linux/cgroupsPath', 'freezer');
        throw new OcirtError(`cgroup ${this.path}: timed out waiting for the freezer to reach ${want}`);
      }
      sleep(wait);
    }
  }

  state(): 'frozen' | 'thawed' {
    const d = this.dirs.freezer;
    return d && readText(path.join(d, 'freezer.state'))?.trim() === 'FROZEN' ? 'frozen' : 'thawed';
  }

  protected killAllFast(): boolean {
    return false;
  }

  oomCount(): number {
    const d = this.dirs.memory;
    return d ? (readKeyed(path.join(d, 'memory.oom_control')).oom_kill ?? 0) : 0;
  }

  stats(): CgroupStats {
    const at = (ctrl: string, f: string) => (this.dirs[ctrl] ? path.join(this.dirs[ctrl], f) : '/nonexistent');
    const list = (ctrl: string, f: string) =>
      (readText(at(ctrl, f)) ?? '')
        .trim()
        .split(/\s+/)
        .filter(Boolean)
        .map(Number);
    const acct = readKeyed(at('cpuacct', 'cpuacct.stat'));
    const thr = readKeyed(at('cpu', 'cpu.stat'));
    const raw = readKeyed(at('memory', 'memory.stat'));
    const entry = (prefix: string) => {
      const usage = readNumber(at('memory', `${prefix}.usage_in_bytes`));
      if (usage === undefined) return undefined;
      return { limit: readNumber(at('memory', `${prefix}.limit_in_bytes`)) ?? 0, usage, max: readNumber(at('memory', `${prefix}.max_usage_in_bytes`)), failcnt: readNumber(at('memory', `${prefix}.failcnt`)) ?? 0 };
    };
    const st: CgroupStats = {
      cpu: {
        usage: {
          total: readNumber(at('cpuacct', 'cpuacct.usage')),
          percpu: list('cpuacct', 'cpuacct.usage_percpu'),
          percpu_kernel: list('cpuacct', 'cpuacct.usage_percpu_sys'),
          percpu_user: list('cpuacct', 'cpuacct.usage_percpu_user'),
          kernel: ((acct.system ?? 0) * 1e9) / USER_HZ,
          user: ((acct.user ?? 0) * 1e9) / USER_HZ,
        },
        throttling: { periods: thr.nr_periods, throttledPeriods: thr.nr_throttled, throttledTime: thr.throttled_time },
      },
      memory: {
        cache: raw.total_cache ?? raw.cache,
        usage: entry('memory'),
        swap: entry('memory.memsw'),
        kernel: entry('memory.kmem'),
        kernelTCP: entry('memory.kmem.tcp'),
        raw,
      },
      pids: { current: readNumber(at('pids', 'pids.current')), limit: readText(at('pids', 'pids.max'))?.trim() === 'max' ? 0 : readNumber(at('pids', 'pids.max')) },
      blkio: {},
      hugetlb: {},
    };
    const blk = (f: string) => {
      const out: BlkioEntry[] = [];
      for (const line of (readText(at('blkio', f)) ?? '').split('\n')) {
        const [dev, op, value] = line.trim().split(/\s+/);
        if (!dev || !dev.includes(':') || value === undefined) continue;
        const [major, minor] = dev.split(':').map(Number);
        out.push({ major, minor, op, value: Number(value) });
      }
      return out;
    };
    for (const [key, file] of [
      ['ioServiceBytesRecursive', 'blkio.throttle.io_service_bytes_recursive'],
      ['ioServicedRecursive', 'blkio.throttle.io_serviced_recursive'],
    ]) {
      const e = blk(file);
      if (e.length) st.blkio[key] = e;
    }
    if (this.dirs.hugetlb) {
      for (const e of fs.readdirSync(this.dirs.hugetlb)) {
        const m = /^hugetlb\.(\d+[KMG]B)\.usage_in_bytes$/.exec(e);
        if (!m) continue;
        st.hugetlb[m[1]] = { usage: readNumber(at('hugetlb', e)), max: readNumber(at('hugetlb', `hugetlb.${m[1]}.max_usage_in_bytes`)), failcnt: readNumber(at('hugetlb', `hugetlb.${m[1]}.failcnt`)) ?? 0 };
      }
    }
    return st;
  }
}

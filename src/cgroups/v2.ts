/** The cgroup v2 (unified) driver. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { OcirtError } from '../errors';
import { pointerJoin } from '../spec/pointer';
import { BaseManager } from './base';
import { readText, readNumber, readKeyed, isCgroupfs, sleep } from './files';
import { joinInside } from './mounts';
import { sharesToWeight, blkioWeightToIoWeight, v2Bytes, swapToV2, checkCpuList, checkPageSize, checkNotBelowUsage } from './convert';
import { buildDeviceProgram, encode } from './devices-bpf';
import type { CgroupHost, CgroupStats, Resources, BlkioEntry, ThrottleDevice } from './types';

/** io.stat keys that runc reports as blkio entries, and the op name it gives them. */
const IO_STAT_KEYS: Record<string, { bytes: boolean; op: string }> = {
  rbytes: { bytes: true, op: 'Read' },
  wbytes: { bytes: true, op: 'Write' },
  rios: { bytes: false, op: 'Read' },
  wios: { bytes: false, op: 'Write' },
};

export class V2Manager extends BaseManager {
  readonly version = 2 as const;
  readonly dir: string;
  readonly dirs: Record<string, string>;
  override readonly v2Dir: string;
  readonly freezerProbe;

  constructor(
    private readonly mount: string,
    cgPath: string,
    host: CgroupHost,
  ) {
    super(cgPath, host);
    this.dir = joinInside(mount, cgPath);
    this.dirs = { unified: this.dir };
    this.v2Dir = this.dir;
    this.freezerProbe = { file: path.join(this.dir, 'cgroup.freeze'), frozen: '1' };
  }

  protected procsDir(): string {
    return this.dir;
  }

  /**
   * Creates the directory and its missing parents. Each ancestor enables in its
   * cgroup.subtree_control every controller it has, so the leaf gets them all (as runc does).
   */
  create(): void {
    this.checkFit();
    const rel = path.relative(this.mount, this.dir).split('/');
    const ancestors = [this.mount];
    for (let i = 1; i < rel.length; i++) ancestors.push(path.join(this.mount, ...rel.slice(0, i)));
    const enable = (d: string) => {
      const have = readText(path.join(d, 'cgroup.controllers'));
      if (have === undefined) return;
      const on = new Set((readText(path.join(d, 'cgroup.subtree_control')) ?? '').split(/\s+/).filter(Boolean));
      for (const c of have.split(/\s+/).filter(Boolean)) {
        if (on.has(c)) continue;
        try {
          this.w.write(d, 'cgroup.subtree_control', `+${c}`, '/linux/cgroupsPath');
        } catch (e) {
          // A controller the parent cannot hand down (e.g. busy with its own processes) is not
          // fatal here: a resource that needs it fails later naming its field.
          this.host.warn(`enable ${c} in ${d}: ${(e as Error).message}`);
        }
      }
    };
    this.makeDirs([{ dir: this.dir, mount: this.mount }]);
    for (const a of ancestors) enable(a);
  }

  addProcess(pid: number): void {
    this.w.write(this.dir, 'cgroup.procs', pid, '/linux/cgroupsPath');
  }

  intoCgroupFd(): number {
    return fs.openSync(this.dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
  }

  apply(r: Resources, base = '/linux/resources'): void {
    const d = this.dir;
    const w = (file: string, v: string | number, ptr: string, ctrl?: string) => this.w.write(d, file, v, ptr, ctrl);
    if (r.memory) {
      const m = r.memory;
      const p = `${base}/memory`;
      if (m.checkBeforeUpdate) checkNotBelowUsage(m.limit, readNumber(path.join(d, 'memory.current')), `${p}/limit`);
      let limit = m.limit;
      // An update may change swap alone: memory.swap.max is computed from the current limit then.
      if (m.swap !== undefined && limit === undefined) {
        const cur = readText(path.join(d, 'memory.max'))?.trim();
        limit = cur === undefined || cur === 'max' ? undefined : Number(cur);
      }
      // runc: an unlimited memory limit without a swap value lifts the swap limit too.
      const liftSwap = m.limit === -1 && (m.swap === undefined || m.swap === 0) && fs.existsSync(path.join(d, 'memory.swap.max'));
      const swap = liftSwap ? 'max' : swapToV2(m.swap, limit, p);
      if (swap !== undefined) w('memory.swap.max', swap, `${p}/swap`, 'memory');
      if (m.limit !== undefined && m.limit !== 0) w('memory.max', v2Bytes(m.limit), `${p}/limit`, 'memory');
      if (m.reservation !== undefined && m.reservation !== 0) w('memory.low', v2Bytes(m.reservation), `${p}/reservation`, 'memory');
      if (m.swappiness !== undefined) this.fieldWarn(`${p}/swappiness`, 'cgroup v2 has no per-cgroup swappiness');
      if (m.disableOOMKiller) this.fieldWarn(`${p}/disableOOMKiller`, 'cgroup v2 cannot disable the OOM killer');
      if (m.kernel !== undefined) this.fieldWarn(`${p}/kernel`, 'kernel memory limits are not supported');
      if (m.kernelTCP !== undefined) this.fieldWarn(`${p}/kernelTCP`, 'kernel TCP memory limits are not supported');
    }
    if (r.cpu) {
      const c = r.cpu;
      const p = `${base}/cpu`;
      if (c.shares !== undefined && c.shares !== 0) w('cpu.weight', sharesToWeight(c.shares), `${p}/shares`, 'cpu');
      // As in runc, a quota of 0 means "not given"; -1 means no limit.
      if ((c.quota !== undefined && c.quota !== 0) || (c.period !== undefined && c.period !== 0)) {
        let quota = c.quota === 0 ? undefined : c.quota;
        let period = c.period;
        const cur = (readText(path.join(d, 'cpu.max')) ?? '').trim().split(/\s+/);
        if (quota === undefined) quota = cur[0] === 'max' || cur[0] === undefined ? -1 : Number(cur[0]);
        if (period === undefined || period === 0) period = cur[1] ? Number(cur[1]) : undefined;
        const q = quota > 0 ? String(quota) : 'max';
        w('cpu.max', period ? `${q} ${period}` : q, `${p}/${c.quota ? 'quota' : 'period'}`, 'cpu');
      }
      if (c.burst !== undefined) {
        if (c.quota !== undefined && c.quota > 0 && c.burst > c.quota) throw new OcirtError(`${p}/burst: ${c.burst} is larger than the quota ${c.quota}`, { pointer: `${p}/burst` });
        w('cpu.max.burst', c.burst, `${p}/burst`, 'cpu');
      }
      if (c.idle !== undefined && c.idle !== 0) w('cpu.idle', c.idle, `${p}/idle`, 'cpu');
      if ((c.realtimeRuntime ?? 0) !== 0 || (c.realtimePeriod ?? 0) !== 0) {
        const f = c.realtimeRuntime ? 'realtimeRuntime' : 'realtimePeriod';
        throw new OcirtError(`${p}/${f}: realtime scheduling limits are not supported on cgroup v2`, { pointer: `${p}/${f}` });
      }
      const parentEff = (f: string) => readText(path.join(path.dirname(d), f));
      if (c.cpus) {
        checkCpuList(c.cpus, `${p}/cpus`, parentEff('cpuset.cpus.effective'));
        w('cpuset.cpus', c.cpus, `${p}/cpus`, 'cpuset');
      }
      if (c.mems) {
        checkCpuList(c.mems, `${p}/mems`, parentEff('cpuset.mems.effective'));
        w('cpuset.mems', c.mems, `${p}/mems`, 'cpuset');
      }
    }
    if (r.pids && r.pids.limit !== undefined) {
      w('pids.max', r.pids.limit < 0 ? 'max' : r.pids.limit, `${base}/pids/limit`, 'pids');
    }
    if (r.blockIO) this.applyIo(r.blockIO, `${base}/blockIO`);
    if (r.hugepageLimits) {
      r.hugepageLimits.forEach((h, i) => {
        const ptr = `${base}/hugepageLimits/${i}`;
        const size = checkPageSize(h.pageSize, `${ptr}/pageSize`);
        w(`hugetlb.${size}.max`, h.limit, `${ptr}/limit`, 'hugetlb');
        if (fs.existsSync(path.join(d, `hugetlb.${size}.rsvd.max`))) w(`hugetlb.${size}.rsvd.max`, h.limit, `${ptr}/limit`, 'hugetlb');
      });
    }
    if (r.network && (r.network.classID !== undefined || r.network.priorities?.length)) {
      this.fieldWarn(`${base}/network`, 'net_cls and net_prio do not exist on cgroup v2');
    }
    if (r.rdma) {
      for (const [dev, lim] of Object.entries(r.rdma)) {
        const parts = [dev];
        if (lim.hcaHandles !== undefined) parts.push(`hca_handle=${lim.hcaHandles}`);
        if (lim.hcaObjects !== undefined) parts.push(`hca_object=${lim.hcaObjects}`);
        w('rdma.max', parts.join(' '), `${base}/rdma/${dev}`, 'rdma');
      }
    }
    if (r.unified) {
      for (const [key, value] of Object.entries(r.unified)) {
        const ptr = pointerJoin(`${base}/unified`, key);
        if (key.includes('/') || key.startsWith('.') || key === '' || !fs.existsSync(path.join(d, key))) {
          const ctrl = key.split('.')[0];
          const enabled = (readText(path.join(d, 'cgroup.controllers')) ?? '').split(/\s+/);
          const why = key.includes('.') && !enabled.includes(ctrl) && ctrl !== 'cgroup' ? `the ${ctrl} controller is not enabled for this cgroup` : `no such file in ${d}`;
          throw new OcirtError(`${ptr}: unknown cgroup file ${JSON.stringify(key)}: ${why}`, { pointer: ptr });
        }
        w(key, value, ptr);
      }
    }
    if (r.devices) {
      const prog = encode(buildDeviceProgram(r.devices, `${base}/devices`));
      const fd = fs.openSync(d, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
      try {
        this.host.attachDevices(prog, fd);
      } catch (e) {
        throw new OcirtError(`${base}/devices: load the device program into ${d}: ${(e as Error).message}`, { pointer: `${base}/devices`, cause: e });
      } finally {
        fs.closeSync(fd);
      }
    }
  }

  private applyIo(b: NonNullable<Resources['blockIO']>, p: string): void {
    const d = this.dir;
    // With the BFQ scheduler the weight file is io.bfq.weight and keeps blkio's scale [1, 1000].
    const bfq = fs.existsSync(path.join(d, 'io.bfq.weight'));
    if (b.weight !== undefined && b.weight !== 0) {
      if (bfq) this.w.write(d, 'io.bfq.weight', b.weight, `${p}/weight`, 'io');
      else this.w.write(d, 'io.weight', `default ${blkioWeightToIoWeight(b.weight)}`, `${p}/weight`, 'io');
    }
    if (b.leafWeight !== undefined) this.fieldWarn(`${p}/leafWeight`, 'cgroup v2 has no leaf weight');
    (b.weightDevice ?? []).forEach((wd, i) => {
      if (wd.weight !== undefined) {
        const v = bfq ? `${wd.major}:${wd.minor} ${wd.weight}` : `${wd.major}:${wd.minor} ${blkioWeightToIoWeight(wd.weight)}`;
        this.w.write(d, bfq ? 'io.bfq.weight' : 'io.weight', v, `${p}/weightDevice/${i}`, 'io');
      }
      if (wd.leafWeight !== undefined) this.fieldWarn(`${p}/weightDevice/${i}/leafWeight`, 'cgroup v2 has no leaf weight');
    });
    const throttle = (list: ThrottleDevice[] | undefined, key: string, field: string) =>
      (list ?? []).forEach((t, i) => this.w.write(d, 'io.max', `${t.major}:${t.minor} ${key}=${t.rate === 0 ? 'max' : t.rate}`, `${p}/${field}/${i}`, 'io'));
    throttle(b.throttleReadBpsDevice, 'rbps', 'throttleReadBpsDevice');
    throttle(b.throttleWriteBpsDevice, 'wbps', 'throttleWriteBpsDevice');
    throttle(b.throttleReadIOPSDevice, 'riops', 'throttleReadIOPSDevice');
    throttle(b.throttleWriteIOPSDevice, 'wiops', 'throttleWriteIOPSDevice');
  }

  freeze(): void {
    this.w.write(this.dir, 'cgroup.freeze', '1', '/linux/cgroupsPath', 'freezer');
    this.waitFrozen(true);
  }

  thaw(): void {
    this.w.write(this.dir, 'cgroup.freeze', '0', '/linux/cgroupsPath', 'freezer');
    this.waitFrozen(false);
  }

  /** The kernel freezes asynchronously; cgroup.events says when it is done. */
  private waitFrozen(want: boolean): void {
    if (!isCgroupfs(this.dir)) return;
    const deadline = Date.now() + 5000;
    for (let wait = 1; this.eventsFrozen() !== want; wait = Math.min(wait * 2, 20)) {
      if (Date.now() >= deadline) throw new OcirtError(`cgroup ${this.path}: timed out waiting for it to ${want ? 'freeze' : 'thaw'}`);
      sleep(wait);
    }
  }

  private eventsFrozen(): boolean | undefined {
    const f = readKeyed(path.join(this.dir, 'cgroup.events')).frozen;
    return f === undefined ? undefined : f === 1;
  }

  state(): 'frozen' | 'thawed' {
    const f = this.eventsFrozen() ?? readText(path.join(this.dir, 'cgroup.freeze'))?.trim() === '1';
    return f ? 'frozen' : 'thawed';
  }

  protected killAllFast(sig: number): boolean {
    if (sig !== 9 || !fs.existsSync(path.join(this.dir, 'cgroup.kill'))) return false;
    try {
      this.w.write(this.dir, 'cgroup.kill', '1', '/linux/cgroupsPath');
    } catch (e) {
      // A cgroup being removed under us (systemd stopping an emptied scope) answers ENODEV, or is
      // gone already: nothing is left in it to kill.
      const code = (e as { code?: string }).code;
      if (code !== 'ENODEV' && code !== 'ENOENT') throw e;
    }
    return true;
  }

  oomCount(): number {
    return readKeyed(path.join(this.dir, 'memory.events')).oom_kill ?? 0;
  }

  stats(): CgroupStats {
    const d = this.dir;
    const f = (n: string) => path.join(d, n);
    const cpu = readKeyed(f('cpu.stat'));
    const mem = readKeyed(f('memory.stat'));
    const events = readKeyed(f('memory.events'));
    const limitOf = (n: string) => {
      const t = readText(f(n))?.trim();
      return t === undefined || t === 'max' ? 18446744073709551615 : Number(t);
    };
    const st: CgroupStats = {
      cpu: {
        usage: { total: (cpu.usage_usec ?? 0) * 1000, kernel: (cpu.system_usec ?? 0) * 1000, user: (cpu.user_usec ?? 0) * 1000 },
        throttling: { periods: cpu.nr_periods, throttledPeriods: cpu.nr_throttled, throttledTime: cpu.throttled_usec === undefined ? undefined : cpu.throttled_usec * 1000 },
      },
      memory: {
        cache: mem.file,
        usage: { limit: limitOf('memory.max'), usage: readNumber(f('memory.current')), max: readNumber(f('memory.peak')), failcnt: events.max ?? 0 },
        swap: { limit: limitOf('memory.swap.max'), usage: readNumber(f('memory.swap.current')), max: readNumber(f('memory.swap.peak')), failcnt: readKeyed(f('memory.swap.events')).fail ?? 0 },
        raw: mem,
      },
      pids: { current: readNumber(f('pids.current')), limit: readText(f('pids.max'))?.trim() === 'max' ? 0 : readNumber(f('pids.max')) },
      blkio: {},
      hugetlb: {},
    };
    const bytes: BlkioEntry[] = [];
    const ios: BlkioEntry[] = [];
    for (const line of (readText(f('io.stat')) ?? '').split('\n')) {
      const [dev, ...kv] = line.trim().split(/\s+/);
      if (!dev || !dev.includes(':')) continue;
      const [major, minor] = dev.split(':').map(Number);
      // A device line may carry only some keys (a discard-only device, a kernel without
      // rbytes): an entry is made for each key present, as runc does, never one without a value.
      for (const [k, n] of kv.map((x) => x.split('='))) {
        const entry = IO_STAT_KEYS[k];
        if (entry && n !== undefined && /^\d+$/.test(n)) (entry.bytes ? bytes : ios).push({ major, minor, op: entry.op, value: Number(n) });
      }
    }
    if (bytes.length) st.blkio = { ioServiceBytesRecursive: bytes, ioServicedRecursive: ios };
    let ents: string[] = [];
    try {
      ents = fs.readdirSync(d);
    } catch {
      /* gone */
    }
    for (const e of ents) {
      const m = /^hugetlb\.(\d+[KMG]B)\.current$/.exec(e);
      if (!m) continue;
      st.hugetlb[m[1]] = { usage: readNumber(f(e)), max: readNumber(f(`hugetlb.${m[1]}.max`)), failcnt: readKeyed(f(`hugetlb.${m[1]}.events`)).max ?? 0 };
    }
    return st;
  }
}

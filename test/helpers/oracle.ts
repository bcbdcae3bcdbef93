/**
 * runc as the oracle: one config runs under runc and under ocirt, each in a fresh bundle (the
 * busybox rootfs with the probe at /probe), and what the process sees is compared: the probe's
 * report (ids, groups, capabilities, seccomp mode, rlimits, environment, cwd, umask, hostname,
 * namespaces, mounts with options, /dev with modes and owners, open fds and their modes, the
 * terminal's owner, /proc/self/cgroup), and the container's cgroup files read from the host
 * between create and start. Differences ocirt makes on purpose are forgiven only as listed in
 * runc-deviations.ts.
 *
 * A config's process.args become `/probe report`; its hooks go (they name host programs);
 * linux.cgroupsPath becomes one of this helper's own; "@BUNDLE@" in a mount source is the fresh
 * bundle (captured configs are relocatable this way: "@BUNDLE@/dirs/x" is made as a directory,
 * "@BUNDLE@/missing/x" not at all, any other such source as a file).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { makeBundle } from './bundle';
import { OCIRT, waitFor } from './cli';
import { consoleReceiver } from './console';
import { DELIBERATE } from './runc-deviations';
import { probePath } from '../../conformance/probe';

export type Rt = 'runc' | 'ocirt';
export const ORACLE_CGROUP_PARENT = 'ocirt-oracle';

export interface Seen {
  create: number | null;
  /** Why create failed; shown, not compared (runc's and ocirt's wording differ). */
  error?: string;
  report: any;
  cgroup: Record<string, string>;
}

const CGROUP_FILES: Record<string, string[]> = {
  memory: ['memory.limit_in_bytes', 'memory.soft_limit_in_bytes', 'memory.memsw.limit_in_bytes', 'memory.swappiness', 'memory.kmem.limit_in_bytes', 'memory.kmem.tcp.limit_in_bytes', 'memory.oom_control', 'memory.use_hierarchy'],
  cpu: ['cpu.shares', 'cpu.cfs_quota_us', 'cpu.cfs_period_us', 'cpu.rt_runtime_us', 'cpu.rt_period_us'],
  cpuset: ['cpuset.cpus', 'cpuset.mems'],
  pids: ['pids.max'],
  blkio: ['blkio.weight', 'blkio.leaf_weight'],
  devices: ['devices.list'],
  freezer: ['freezer.state'],
  unified: ['memory.max', 'pids.max', 'cpu.max', 'cpu.weight'],
};

/** The container's cgroup as the host sees it: which hierarchies have it, and the files above. */
function cgroupFiles(cgPath: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const h of fs.readdirSync('/sys/fs/cgroup')) {
    const dir = path.join('/sys/fs/cgroup', h, cgPath);
    if (!fs.existsSync(dir)) continue;
    out[h] = 'present';
    for (const f of CGROUP_FILES[h] ?? []) {
      try {
        // Lines sorted: devices.list is in the order the rules were written, which means nothing.
        const lines = fs.readFileSync(path.join(dir, f), 'utf8').trim().split('\n').filter((l) => !/^under_oom|^oom_kill /.test(l));
        out[`${h}/${f}`] = lines.sort().join('; ');
      } catch {
        /* not on this kernel */
      }
    }
  }
  return out;
}

function prepare(config: any, bundleDir: string, cgPath: string): any {
  const c = JSON.parse(JSON.stringify(config).replace(/@BUNDLE@/g, bundleDir));
  c.root = { ...c.root, path: 'rootfs' };
  c.process = { ...c.process, args: ['/probe', 'report'] };
  delete c.hooks;
  c.linux = { ...(c.linux ?? {}), cgroupsPath: cgPath };
  for (const ns of c.linux.namespaces ?? []) if (ns.path) throw new Error(`corpus config joins the namespace at ${ns.path}`);
  for (const m of c.mounts ?? []) {
    if (typeof m.source !== 'string' || !m.source.startsWith(bundleDir) || m.source.includes('/missing/')) continue;
    if (m.source.includes('/dirs/')) fs.mkdirSync(m.source, { recursive: true });
    else {
      fs.mkdirSync(path.dirname(m.source), { recursive: true });
      fs.writeFileSync(m.source, '');
    }
  }
  return c;
}

let seq = 0;

/** Runs `config` under one runtime with create, (cgroup files), start, and delete. */
export async function runUnder(rt: Rt, config: any): Promise<Seen> {
  const n = `${process.pid}-${++seq}`;
  const cgPath = `/${ORACLE_CGROUP_PARENT}/${rt}-${n}`;
  const b = makeBundle(undefined, { prefix: 'ocitest-oracle-' });
  const root = fs.mkdtempSync(path.join(os.tmpdir(), rt === 'ocirt' ? 'ocirt-root-' : 'ocirt-oracle-runc-'));
  const bin = rt === 'runc' ? 'runc' : OCIRT;
  const id = `oracle-${n}`;
  const cli = (args: string[], stdio: any[] = ['ignore', 'ignore', 'pipe']) => spawnSync(bin, ['--root', root, ...args], { stdio, timeout: 30_000, encoding: 'utf8' });
  const terminal = !!config.process?.terminal;
  const recv = terminal ? consoleReceiver() : undefined;
  const outFile = path.join(b.dir, 'out');
  try {
    fs.copyFileSync(probePath(), path.join(b.rootfs, 'probe'));
    fs.chmodSync(path.join(b.rootfs, 'probe'), 0o755);
    b.config = prepare(config, b.dir, cgPath);
    b.write();
    const fo = fs.openSync(outFile, 'w');
    // stdin is an empty pipe: a /dev/null of the host's is a case of its own (engines-docker.test.ts).
    const created = spawnSync(bin, ['--root', root, 'create', '--bundle', b.dir, ...(recv ? ['--console-socket', recv.sock] : []), id], {
      stdio: ['pipe', fo, fo], input: '', timeout: 30_000,
    });
    fs.closeSync(fo);
    if (created.status !== 0) return { create: created.status, error: fs.readFileSync(outFile, 'utf8').trim(), report: null, cgroup: {} };
    const cgroup = cgroupFiles(cgPath);
    const started = cli(['start', id]);
    if (started.status !== 0) throw new Error(`${rt} start: ${started.stderr}`);
    waitFor(() => /"status":\s*"stopped"/.test(cli(['state', id], ['ignore', 'pipe', 'ignore']).stdout ?? ''), 10_000);
    let out = fs.readFileSync(outFile, 'utf8');
    if (recv) {
      await Promise.race([recv.ended, new Promise((r) => setTimeout(r, 10_000))]);
      out = recv.output().replace(/\r/g, '').replace(/^fds \d+\n/, '');
    }
    let report: any;
    try {
      report = JSON.parse(out.trim().split('\n').pop() ?? '');
    } catch {
      report = { unparsed: out };
    }
    return { create: 0, report: normalize(report, { cgPath, outFile, config: b.config }), cgroup };
  } finally {
    cli(['delete', '--force', id]);
    recv?.close();
    fs.rmSync(root, { recursive: true, force: true });
    b.cleanup();
  }
}

const hostNs: Record<string, string> = {};
for (const ns of ['pid', 'net', 'ipc', 'uts', 'mnt', 'user', 'cgroup', 'time']) {
  try {
    hostNs[ns] = fs.readlinkSync(`/proc/self/ns/${ns}`);
  } catch {
    /* not on this kernel */
  }
}

/** Takes out what differs by run (pids outside a pid namespace, inode numbers, this run's paths). */
export function normalize(r: any, ctx: { cgPath?: string; outFile?: string; config: any }): any {
  if (!r || r.unparsed !== undefined) return r;
  const masked = new Set<string>(ctx.config.linux?.maskedPaths ?? []);
  const out = { ...r };
  for (const d of DELIBERATE) d.report?.(out, ctx.config);
  const ns: Record<string, string> = {};
  for (const [k, v] of Object.entries(r.ns ?? {})) ns[k] = v === hostNs[k] ? 'host' : 'new';
  out.ns = ns;
  delete out.ppid;
  if (ns.pid === 'host') delete out.pid;
  const sub = (s: string) => {
    if (ctx.cgPath) s = s.split(ctx.cgPath).join('<cgroup>');
    if (ctx.outFile) s = s.split(ctx.outFile).join('<out>');
    return s;
  };
  out.cgroup = (r.cgroup ?? []).map(sub);
  out.fdInfo = Object.fromEntries(Object.entries(r.fdInfo ?? {}).map(([k, v]) => [k, sub(String(v))]));
  out.dev = [...(r.dev ?? [])].sort(); // directory order is creation order, which means nothing
  out.mounts = (r.mounts ?? []).map((l: string) => DELIBERATE.reduce((acc, d) => (d.mount ? d.mount(acc, masked) : acc), sub(l)));
  return out;
}

/**
 * Differences ocirt has had from runc, recognised by their signature so that a failure names its
 * likely cause. The oracle asserts runc's behaviour whatever this says.
 */
export function knownCauses(runc: Seen, ocirt: Seen): string[] {
  const out: string[] = [];
  const e = ocirt.error ?? '';
  if (/PR_CAP_AMBIENT_RAISE/.test(e)) out.push('ambient capabilities without inheritable');
  if (/tmpcopyup/.test(e)) out.push('tmpcopyup');
  if (/c 5:1 rwm/.test(ocirt.cgroup['devices/devices.list'] ?? '') && !/c 5:1 rwm/.test(runc.cgroup['devices/devices.list'] ?? '')) out.push('no c 5:1 in the default device rules');
  if (runc.report && ocirt.report) {
    if (runc.report.tty !== ocirt.report.tty) out.push('terminal owner');
    const theirs = new Set<string>(runc.report.mounts ?? []);
    if ((ocirt.report.mounts ?? []).some((l: string) => / tmpfs /.test(l) && !theirs.has(l) && theirs.has(l.replace(/,mode=\d+/, '')))) out.push('tmpfs on an existing directory: no mode= option, the directory\'s mode');
    if (JSON.stringify(runc.report.fdInfo).includes('/dev/null rw') !== JSON.stringify(ocirt.report.fdInfo).includes('/dev/null rw')) out.push('/dev/null stdio');
  }
  return out;
}

/** Runs under runc, then under ocirt. */
export async function runBoth(config: any): Promise<{ runc: Seen; ocirt: Seen }> {
  const runc = await runUnder('runc', config);
  const ocirt = await runUnder('ocirt', config);
  return { runc, ocirt };
}

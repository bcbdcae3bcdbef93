/**
 * config.json -> Plan: the flat, ordered list of kernel operations the child runs (and the few
 * the parent applies from outside). Pure: host facts come in through `opts`, nothing is read.
 *
 * Order (runc's, see addon/child.cc for what each op does):
 *   Namespaces (op 0: clone flags) [joins, user ns, unshare, time ns, ForkInit] NsReady
 *   [cgroup ns] rlimits oom_score_adj
 *   rootfs ops (src/plan/rootfs.ts) with CreateContainerHooks just before the pivot and the
 *   Console just after it
 *   apparmor selinux personality scheduler ioPriority memoryPolicy no_new_privs cwd [seccomp if !nnp]
 *   bounding identity capabilities umask [seccomp if nnp] resolve-exec Ready
 *   startContainer hooks Exec
 * An exec plan (execProcess) joins the init's namespaces by path and keeps the process part
 * only: joins ForkInit NsReady rlimits [Console] apparmor ... resolve-exec Exec.
 */
import { configError } from '../errors';
import type { Hook, LinuxNamespaceType, Process, Spec } from '../spec/types';
import { CAPABILITIES, capabilityNumber } from '../spec/capabilities';
import { RLIMITS } from '../spec/rlimits';
import type { PlanOp } from './op';
import { buildRootfsOps, mapText, RootfsOptions } from './rootfs';
import { RootfsOp } from './mount-ops';
import {
  CLONE, IOPRIO_CLASSES, MPOL_FLAGS, MPOL_MODES, NAMESPACES, PERSONALITY_DOMAINS, ProcessOp, SCHED_FLAGS, SCHED_POLICIES,
  SECCOMP_FILTER_FLAG_NEW_LISTENER,
} from './ops';

export interface Plan {
  ops: PlanOp[];
  /** Things ignored on purpose, as runc warns about them (unknown capabilities). */
  warnings: string[];
  /** Things ignored on purpose that runc mentions only at debug level (ambient capabilities). */
  notes: string[];
}

export interface HostFacts {
  /** The resctrl filesystem is mounted at /sys/fs/resctrl (Intel RDT). Unknown: assumed yes. */
  resctrl?: boolean;
  /** AppArmor is enabled (/sys/module/apparmor/parameters/enabled is Y). Unknown: assumed yes. */
  apparmor?: boolean;
  /** SELinux is enabled (/sys/fs/selinux is mounted). Unknown: assumed yes. */
  selinux?: boolean;
  /** ocirt runs without root: the maps are written with setgroups denied. */
  rootless?: boolean;
}

export interface BuildOptions {
  bundle: string;
  noPivot: boolean;
  /** --preserve-fds N: fds 3..N+2 pass into the container. */
  preserveFds?: number;
  /** LISTEN_FDS of ocirt's environment: those fds pass too (before the preserved ones) with LISTEN_FDS/LISTEN_PID=1. */
  listenFds?: number;
  /** The compiled seccomp program (src/seccomp compileFromCache). Compiled here when absent. */
  seccomp?: { program: Buffer; flags: number; notify: boolean };
  host?: HostFacts;
  /**
   * The plan is for a process exec'd into a running container, not its init: no rootfs ops, no
   * hooks, no Ready (it execve's once set up), a pty without /dev/console, and only then does
   * process.execCPUAffinity apply (config.md: "not applicable to the container's init process").
   * The namespaces to join come in the config as paths (src/runtime/exec.ts).
   */
  execProcess?: boolean;
  /** The host's cgroup mounts, for a cgroup mount in the config (src/plan/rootfs.ts hostCgroupMounts). */
  cgroup?: RootfsOptions['cgroup'];
  /** User namespace fds of the idmapped mounts, by mount index (src/plan/rootfs.ts idmapRequests). */
  idmapFds?: RootfsOptions['idmapFds'];
  bindSourceFds?: RootfsOptions['bindSourceFds'];
}

const U64_MAX_AS_NUMBER = 2 ** 63;

function fail(pointer: string, msg: string): never {
  throw configError(msg, pointer);
}

function u64ish(v: unknown, pointer: string): bigint {
  if (typeof v === 'bigint') return v >= 2n ** 63n ? -1n : v;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || !Number.isInteger(v)) fail(pointer, `expected a non-negative integer, got ${JSON.stringify(v)}`);
  return v >= U64_MAX_AS_NUMBER ? -1n : BigInt(v);
}

function capMask(names: string[] | undefined, pointer: string, warnings: string[]): bigint {
  let m = 0n;
  if (!Array.isArray(names)) return m;
  names.forEach((n, i) => {
    const upper = String(n).toUpperCase();
    const bit = capabilityNumber(upper.startsWith('CAP_') ? upper : `CAP_${upper}`);
    if (bit === undefined) warnings.push(`unknown capability "${n}" (config.json ${pointer}/${i}) ignored`);
    else m |= 1n << BigInt(bit);
  });
  return m;
}

function capNames(mask: bigint): string {
  return CAPABILITIES.filter((_, bit) => mask & (1n << BigInt(bit))).join(', ');
}

/** "0-3,7" -> a little-endian CPU (or NUMA node) mask (sched_setaffinity's cpu_set_t bytes). */
export function cpuListMask(list: string, pointer: string, what = 'CPU'): Buffer {
  const cpus: number[] = [];
  for (const part of list.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) fail(pointer, `bad ${what} list "${list}"`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (b < a || b > 8191) fail(pointer, `bad ${what} range "${part}"`);
    for (let c = a; c <= b; c++) cpus.push(c);
  }
  const bytes = Buffer.alloc(Math.max(8, Math.ceil((Math.max(-1, ...cpus) + 1) / 64) * 8));
  for (const c of cpus) bytes[c >> 3] |= 1 << (c & 7);
  return bytes;
}

function nsNames(flags: number): string {
  return Object.entries(NAMESPACES)
    .filter(([, v]) => flags & v.flag)
    .map(([k]) => k)
    .join(', ');
}

/**
 * The namespace part: op 0, joins, user and time namespaces, the fork into the pid namespace.
 * The rules between namespaces, maps and offsets (no type twice, maps with a new user
 * namespace, offsets with a new time namespace) are semantic.ts's, checked before a plan.
 */
function namespaceOps(config: Spec, opts: BuildOptions): PlanOp[] {
  const list = config.linux?.namespaces ?? [];
  let newFlags = 0;
  const joins: Array<{ type: LinuxNamespaceType; path: string; i: number }> = [];
  list.forEach((ns, i) => {
    if (ns.path) joins.push({ type: ns.type, path: ns.path, i });
    else newFlags |= NAMESPACES[ns.type].flag;
  });
  const viaClone = joins.length === 0;
  const cloneFlags = viaClone ? newFlags & ~(CLONE.NEWCGROUP | CLONE.NEWTIME) : 0;
  const ops: PlanOp[] = [];
  const what = [
    newFlags ? `new ${nsNames(newFlags)}` : '',
    joins.length ? `join ${joins.map((j) => j.type).join(', ')}` : '',
  ].filter(Boolean).join('; ');
  ops.push({
    kind: ProcessOp.Namespaces,
    ints: [cloneFlags, viaClone ? 1 : 0],
    strs: [],
    pointer: '/linux/namespaces',
    what: `namespaces: ${what || 'none'}${viaClone ? (cloneFlags ? ' (at clone)' : '') : ' (join, unshare, then fork the init)'}`,
  });
  // Joins: user first (the others may belong to it), mount last (paths resolve in ours until then).
  const rank = (t: string) => (t === 'user' ? 0 : t === 'mount' ? 2 : 1);
  for (const j of [...joins].sort((a, b) => rank(a.type) - rank(b.type) || a.i - b.i)) {
    ops.push({
      kind: ProcessOp.JoinNamespace,
      ints: [NAMESPACES[j.type].flag],
      strs: [j.path],
      pointer: `/linux/namespaces/${j.i}/path`,
      what: `join ${j.type} namespace ${j.path}`,
    });
  }
  if (newFlags & CLONE.NEWUSER) {
    const uid = config.linux?.uidMappings ?? [];
    const gid = config.linux?.gidMappings ?? [];
    ops.push({
      kind: ProcessOp.UserNamespace,
      ints: [opts.host?.rootless ? 1 : 0, viaClone ? 0 : 1],
      strs: [mapText(uid), mapText(gid)],
      pointer: '/linux/uidMappings',
      what: `${viaClone ? '' : 'unshare the user namespace, '}write uid_map and gid_map${opts.host?.rootless ? ' (setgroups deny)' : ''}`,
    });
  }
  const rest = newFlags & ~(CLONE.NEWUSER | CLONE.NEWCGROUP | CLONE.NEWTIME);
  if (!viaClone && rest) {
    ops.push({ kind: ProcessOp.Unshare, ints: [rest], strs: [], pointer: '/linux/namespaces', what: `unshare ${nsNames(rest)}` });
  }
  if (newFlags & CLONE.NEWTIME) {
    const lines = Object.entries(config.linux?.timeOffsets ?? {}).map(([clock, o]) => `${clock} ${o?.secs ?? 0} ${o?.nanosecs ?? 0}\n`);
    ops.push({
      kind: ProcessOp.TimeNamespace,
      ints: [lines.length ? 1 : 0],
      strs: [lines.join('')],
      pointer: lines.length ? '/linux/timeOffsets' : '/linux/namespaces',
      what: `unshare the time namespace${lines.length ? ', offsets ' + lines.join('; ').replace(/\n/g, '') : ''}`,
    });
  }
  if (!viaClone) ops.push({ kind: ProcessOp.ForkInit, ints: [], strs: [], pointer: '', what: 'fork the init into the new pid and time namespaces' });
  ops.push({ kind: ProcessOp.NsReady, ints: [], strs: [], pointer: '', what: 'namespaces ready: rlimits, cgroup, prestart and createRuntime hooks' });
  if (newFlags & CLONE.NEWCGROUP) ops.push({ kind: ProcessOp.CgroupNamespace, ints: [], strs: [], pointer: '/linux/namespaces', what: 'unshare the cgroup namespace (inside the container cgroup)' });
  return ops;
}

/** The process part. Its rlimits, cwd and args are checked (semantic.ts) before a plan is built. */
function processOps(config: Spec, p: Process, opts: BuildOptions, warnings: string[], notes: string[]): { early: PlanOp[]; late: PlanOp[]; console?: PlanOp } {
  const early: PlanOp[] = [];
  const late: PlanOp[] = [];
  (p.rlimits ?? []).forEach((r, i) => {
    const soft = u64ish(r.soft, `/process/rlimits/${i}/soft`);
    const hard = u64ish(r.hard, `/process/rlimits/${i}/hard`);
    early.push({ kind: ProcessOp.Rlimit, ints: [RLIMITS[r.type], soft, hard], strs: [], pointer: `/process/rlimits/${i}`, what: `setrlimit ${r.type} ${r.soft}:${r.hard}` });
  });
  if (p.oomScoreAdj !== undefined) {
    early.push({ kind: ProcessOp.OomScoreAdj, ints: [p.oomScoreAdj], strs: [], pointer: '/process/oomScoreAdj', what: `oom_score_adj ${p.oomScoreAdj}` });
  }

  let console: PlanOp | undefined;
  if (p.terminal) {
    console = {
      kind: ProcessOp.Console,
      ints: [p.consoleSize?.height ?? 0, p.consoleSize?.width ?? 0, ...(opts.execProcess ? [1] : [])],
      strs: [],
      pointer: '/process/terminal',
      what: `open a pty from /dev/pts/ptmx, send the master, slave on stdio${opts.execProcess ? '' : ' and /dev/console'}`,
    };
  }

  if (p.apparmorProfile) {
    if (opts.host?.apparmor === false) fail('/process/apparmorProfile', `apparmor profile "${p.apparmorProfile}" is set but AppArmor is not enabled on this host`);
    late.push({ kind: ProcessOp.Apparmor, ints: [], strs: [p.apparmorProfile], pointer: '/process/apparmorProfile', what: `apparmor profile ${p.apparmorProfile} on exec` });
  }
  if (p.selinuxLabel) {
    if (opts.host?.selinux === false) fail('/process/selinuxLabel', `selinux label "${p.selinuxLabel}" is set but SELinux is not enabled on this host`);
    late.push({ kind: ProcessOp.SelinuxLabel, ints: [], strs: [p.selinuxLabel], pointer: '/process/selinuxLabel', what: `selinux label ${p.selinuxLabel} on exec` });
  }
  const pers = config.linux?.personality;
  if (pers) {
    const d = PERSONALITY_DOMAINS[pers.domain];
    if (pers.flags?.length) fail('/linux/personality/flags', 'no personality flags are supported');
    late.push({ kind: ProcessOp.Personality, ints: [d], strs: [], pointer: '/linux/personality', what: `personality ${pers.domain}` });
  }
  if (p.scheduler) {
    const s = p.scheduler;
    const policy = SCHED_POLICIES[s.policy];
    let flags = 0;
    for (const f of s.flags ?? []) flags |= SCHED_FLAGS[f];
    late.push({
      kind: ProcessOp.Scheduler,
      ints: [policy, flags, s.nice ?? 0, s.priority ?? 0, u64ish(s.runtime ?? 0, '/process/scheduler/runtime'), u64ish(s.deadline ?? 0, '/process/scheduler/deadline'), u64ish(s.period ?? 0, '/process/scheduler/period')],
      strs: [],
      pointer: '/process/scheduler',
      what: `sched_setattr ${s.policy}${s.nice !== undefined ? ' nice ' + s.nice : ''}${s.priority !== undefined ? ' priority ' + s.priority : ''}`,
    });
  }
  if (p.ioPriority) {
    const c = IOPRIO_CLASSES[p.ioPriority.class];
    const level = p.ioPriority.priority;
    late.push({ kind: ProcessOp.IoPriority, ints: [(c << 13) | level], strs: [], pointer: '/process/ioPriority', what: `ioprio_set ${p.ioPriority.class} ${level}` });
  }
  const mp = config.linux?.memoryPolicy;
  if (mp) {
    // The process's own policy (runc 1.4 sets it in its init): before any seccomp filter, since
    // engine profiles allow set_mempolicy only with CAP_SYS_NICE.
    const mode = MPOL_MODES[mp.mode];
    let flags = 0;
    const names = mp.flags ?? [];
    for (const f of names) flags |= MPOL_FLAGS[f];
    const nodes = typeof mp.nodes === 'string' && mp.nodes.trim() ? cpuListMask(mp.nodes, '/linux/memoryPolicy/nodes', 'node') : Buffer.alloc(0);
    late.push({ kind: ProcessOp.MemoryPolicy, ints: [mode | flags], strs: [nodes], pointer: '/linux/memoryPolicy', what: `set_mempolicy ${mp.mode}${mp.nodes ? ` nodes ${mp.nodes}` : ''}${names.length ? ` ${names.join('|')}` : ''}` });
  }
  const nnp = !!p.noNewPrivileges;
  if (nnp) late.push({ kind: ProcessOp.NoNewPrivileges, ints: [], strs: [], pointer: '/process/noNewPrivileges', what: 'no_new_privs' });

  let seccompOp: PlanOp | undefined;
  if (config.linux?.seccomp) {
    const sc = opts.seccomp ?? require('../seccomp').compile(config.linux.seccomp, { pointer: '/linux/seccomp' });
    // The listener fd goes to listenerPath: without one it would have nowhere to go once the
    // init is made (runc fails there, "seccomp listenerPath is not set"); refused before.
    if (sc.notify && !config.linux.seccomp.listenerPath) fail('/linux/seccomp', 'seccomp listenerPath is not set: SCMP_ACT_NOTIFY hands the notify fd to the agent there');
    const flags = (sc.flags | (sc.notify ? SECCOMP_FILTER_FLAG_NEW_LISTENER : 0)) >>> 0;
    seccompOp = {
      kind: ProcessOp.Seccomp,
      ints: [flags, sc.notify ? 1 : 0],
      strs: [sc.program],
      pointer: '/linux/seccomp',
      what: `load the seccomp filter (${sc.program.length / 8} instructions${sc.notify ? ', listener to the parent' : ''})`,
    };
  }

  // runc creates a missing cwd for the init only (part of preparing the rootfs). Resolved
  // before any filter: it uses openat2, which profiles older than Linux 5.6 do not list.
  late.push({ kind: ProcessOp.Cwd, ints: [opts.execProcess ? 1 : 0], strs: [p.cwd], pointer: '/process/cwd', what: `chdir ${p.cwd}${opts.execProcess ? '' : ' (created if missing)'}` });
  // runc: without no_new_privs loading a filter needs CAP_SYS_ADMIN, so it goes in while still
  // privileged; with it, as late as possible (fewer setup syscalls run under the filter).
  if (seccompOp && !nnp) late.push(seccompOp);

  const caps = p.capabilities;
  if (caps) {
    const bnd = capMask(caps.bounding, '/process/capabilities/bounding', warnings);
    late.push({ kind: ProcessOp.Bounding, ints: [bnd], strs: [], pointer: '/process/capabilities/bounding', what: `bounding set ${hex(bnd)}` });
  }
  const user = p.user ?? { uid: 0, gid: 0 };
  const gids: number[] = user.additionalGids ?? [];
  const setgroups = !(opts.host?.rootless && gids.length === 0);
  late.push({
    kind: ProcessOp.Identity,
    ints: [user.uid ?? 0, user.gid ?? 0, caps ? 1 : 0, setgroups ? 1 : 0, ...gids],
    strs: [],
    pointer: '/process/user',
    what: `setgroups [${gids.join(',')}], setresgid ${user.gid ?? 0}, setresuid ${user.uid ?? 0}`,
  });
  if (caps) {
    const e = capMask(caps.effective, '/process/capabilities/effective', warnings);
    const pm = capMask(caps.permitted, '/process/capabilities/permitted', warnings);
    const ih = capMask(caps.inheritable, '/process/capabilities/inheritable', warnings);
    const am = capMask(caps.ambient, '/process/capabilities/ambient', warnings);
    // The kernel raises an ambient capability only if it is permitted and inheritable; runc and
    // crun ignore the refusal (`runc spec` and buildah write ambient without inheritable).
    const lost = am & ~(pm & ih);
    if (lost) notes.push(`ambient capabilities ${capNames(lost)} are not both permitted and inheritable: not raised (config.json /process/capabilities/ambient)`);
    late.push({
      kind: ProcessOp.Capabilities,
      ints: [e, pm, ih, am],
      strs: [],
      pointer: '/process/capabilities',
      what: `capset effective ${hex(e)} permitted ${hex(pm)} inheritable ${hex(ih)}, ambient ${hex(am)}`,
    });
  }
  if (user.umask !== undefined && user.umask !== null) {
    late.push({ kind: ProcessOp.Umask, ints: [user.umask], strs: [], pointer: '/process/user/umask', what: `umask ${(user.umask as number).toString(8).padStart(4, '0')}` });
  }
  if (seccompOp && nnp) late.push(seccompOp);

  const args = p.args ?? [];
  let env: string[] = [...(p.env ?? [])];
  const listen = opts.listenFds ?? 0;
  if (listen > 0) {
    env = env.filter((e) => !e.startsWith('LISTEN_FDS=') && !e.startsWith('LISTEN_PID='));
    env.push(`LISTEN_FDS=${listen}`, 'LISTEN_PID=1');
  }
  late.push({
    kind: ProcessOp.ResolveExec,
    ints: [args.length, env.length],
    strs: [...args, ...env],
    pointer: '/process/args/0',
    what: `look up ${args[0]} in the container's PATH`,
  });
  // An exec'd process has no start to wait for: it execve's as soon as it is set up.
  if (!opts.execProcess) late.push({ kind: ProcessOp.Ready, ints: [], strs: [], pointer: '', what: 'report ready, wait on exec.fifo for start' });
  (opts.execProcess ? [] : config.hooks?.startContainer ?? []).forEach((h: Hook, i: number) => {
    const hargs: string[] = h.args?.length ? h.args : [h.path];
    // runc runs it from its init, whose environment is the process's by then.
    const henv: string[] = h.env ?? p.env ?? [];
    late.push({
      kind: ProcessOp.StartContainerHook,
      // Its index names it in the error, as the other phases' hooks are named (hooks/run.ts).
      ints: [h.timeout ?? 0, hargs.length, henv.length, i],
      strs: [h.path, ...hargs, ...henv],
      pointer: `/hooks/startContainer/${i}`,
      what: `startContainer hook ${h.path}`,
    });
  });
  const aff = p.execCPUAffinity;
  if (opts.execProcess && aff?.final) {
    late.push({ kind: ProcessOp.CpuAffinity, ints: [1], strs: [cpuListMask(aff.final, '/process/execCPUAffinity/final')], pointer: '/process/execCPUAffinity/final', what: `CPU affinity ${aff.final} right before execve` });
  }
  const preserved = listen + (opts.preserveFds ?? 0);
  late.push({ kind: ProcessOp.Exec, ints: [preserved], strs: [], pointer: '/process/args', what: `execve ${JSON.stringify(args)}${preserved ? `, fds 0..${2 + preserved} kept` : ''}` });
  return { early, late, console };
}

function hex(v: bigint): string {
  return '0x' + v.toString(16).padStart(16, '0');
}

/**
 * Fields ocirt does not apply yet. A runtime that skipped them would run a container other
 * than the one the config describes, so create refuses them by name.
 */
function refuseUnapplied(config: Spec, opts: BuildOptions): void {
  const l = config.linux ?? {};
  if (l.intelRdt !== undefined) {
    // Intel RDT is the resctrl filesystem; without it there is nothing to put the container in.
    if (opts.host?.resctrl === false) fail('/linux/intelRdt', 'intelRdt needs the resctrl filesystem (Intel RDT or AMD QoS), and this host has none mounted at /sys/fs/resctrl');
    fail('/linux/intelRdt', 'intelRdt is not supported (no resctrl driver)');
  }
  if (l.mountLabel) {
    if (opts.host?.selinux === false) fail('/linux/mountLabel', `mount label "${l.mountLabel}" is set but SELinux is not enabled on this host`);
    fail('/linux/mountLabel', 'mountLabel is not supported (no SELinux mount labels)');
  }
}

/**
 * The plan of a config that has passed the checks of src/spec/load.ts (schema and semantic.ts):
 * what is refused here is what ocirt cannot do, or not on this host, not what the spec forbids.
 */
export function buildPlan(config: Spec, opts: BuildOptions): Plan {
  const p = config.process;
  if (!p) fail('/process', 'process is required to create a container');
  refuseUnapplied(config, opts);
  const warnings: string[] = [];
  const notes: string[] = [];
  const ops = namespaceOps(config, opts);
  const aff = p.execCPUAffinity;
  if (opts.execProcess && aff?.initial) {
    // Before the move into the container's cgroup (NsReady).
    ops.splice(1, 0, { kind: ProcessOp.CpuAffinity, ints: [0], strs: [cpuListMask(aff.initial, '/process/execCPUAffinity/initial')], pointer: '/process/execCPUAffinity/initial', what: `CPU affinity ${aff.initial} before the cgroup` });
  }
  const proc = processOps(config, p, opts, warnings, notes);
  append(ops, proc.early);
  if (opts.execProcess) {
    // The joined mount namespace is the container's, its root the container's rootfs already:
    // no mounts, no pivot, no hooks.
    if (proc.console) ops.push(proc.console);
    append(ops, proc.late);
    return { ops, warnings, notes };
  }
  const rootfs = buildRootfsOps(config, { bundle: opts.bundle, noPivot: opts.noPivot, cgroup: opts.cgroup, idmapFds: opts.idmapFds, bindSourceFds: opts.bindSourceFds });
  let pivot = rootfs.findIndex((o) => o.kind === RootfsOp.Pivot);
  if (pivot < 0) pivot = rootfs.length;
  const hooks = config.hooks?.createContainer ?? [];
  const before = rootfs.slice(0, pivot);
  const after = rootfs.slice(pivot);
  append(ops, before);
  if (hooks.length) {
    ops.push({
      kind: ProcessOp.CreateContainerHooks,
      ints: [],
      strs: [],
      pointer: '/hooks/createContainer',
      what: `createContainer hooks (${hooks.length}) in the container's namespaces`,
    });
  }
  if (after.length) ops.push(after[0]);
  if (proc.console) ops.push(proc.console);
  append(ops, after.slice(1));
  append(ops, proc.late);
  return { ops, warnings, notes };
}

const KIND_NAMES: Record<number, string> = {};
for (const [k, v] of Object.entries(ProcessOp)) KIND_NAMES[v] = k;
for (const [k, v] of Object.entries(RootfsOp)) KIND_NAMES[v] = k;

/** One line per op: index, kind, what it does, and the JSON pointer it came from. */
export function describePlan(plan: Plan): string {
  const w = String(plan.ops.length - 1).length;
  const lines = plan.ops.map((op, i) => {
    const kind = (KIND_NAMES[op.kind] ?? `op${op.kind}`).padEnd(20);
    const where = op.pointer ? `  (config.json ${op.pointer})` : '';
    return `${String(i).padStart(w)}  ${kind} ${op.what}${where}`;
  });
  for (const warn of plan.warnings) lines.push(`warning: ${warn}`);
  return lines.join('\n');
}

/** ops.push(...more) without the spread: a config with ~100,000 paths would overflow the call stack. */
export function append<T>(ops: T[], more: readonly T[]): void {
  for (const op of more) ops.push(op);
}

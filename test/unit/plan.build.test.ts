/**
 * buildPlan without root: op order (runc's), clone flags, the slow path for joins, pointers on
 * ops, seccomp placement, and the wire format (an independent decoder checks encodePlan).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildPlan, describePlan, cpuListMask, BuildOptions, Plan } from '../../src/plan/build';
import { encodePlan, PLAN_MAGIC } from '../../src/plan/encode';
import { CONTRACT_HASH } from '../../src/plan/contract.gen';
import { ProcessOp as P, CLONE, SECCOMP_FILTER_FLAG_NEW_LISTENER } from '../../src/plan/ops';
import { RootfsOp as R } from '../../src/plan/mount-ops';
import { childErrorMessage } from '../../src/runtime/spawn';
import { defaultSpec } from '../../src/spec/default';
import { parseConfig } from '../../src/spec/load';
import { defaultTestConfig } from '../helpers/bundle';
import type { PlanOp } from '../../src/plan/op';

const base: BuildOptions = { bundle: '/b', noPivot: false };
const build = (mut?: (c: any) => void, opts: Partial<BuildOptions> = {}): Plan => {
  const c = defaultTestConfig();
  if (mut) mut(c);
  return buildPlan(c, { ...base, ...opts });
};
const kinds = (p: Plan) => p.ops.map((o) => o.kind);
const idx = (p: Plan, kind: number) => p.ops.findIndex((o) => o.kind === kind);
const of = (p: Plan, kind: number) => p.ops.filter((o) => o.kind === kind);
const throwsAt = (fn: () => unknown, pointer: string, re: RegExp) => {
  try {
    fn();
  } catch (e: any) {
    assert.is(e.pointer, pointer);
    assert.match(e.message, re);
    return;
  }
  assert.unreachable(`expected an error at ${pointer}`);
};
/** The process-side kinds in order (rootfs ops left out). */
const processKinds = (p: Plan) => kinds(p).filter((k) => k < 100);

test('default config: namespaces at clone, runc order of the process ops', () => {
  const p = build();
  const ns = p.ops[0];
  assert.is(ns.kind, P.Namespaces);
  assert.is(ns.pointer, '/linux/namespaces');
  // pid, network, ipc, uts, mount at clone; the cgroup namespace later, inside the cgroup.
  assert.equal(ns.ints, [CLONE.NEWPID | CLONE.NEWNET | CLONE.NEWIPC | CLONE.NEWUTS | CLONE.NEWNS, 1]);
  assert.equal(processKinds(p), [
    P.Namespaces, P.NsReady, P.CgroupNamespace, P.Rlimit,
    P.NoNewPrivileges, P.Cwd, P.Bounding, P.Identity, P.Capabilities, P.ResolveExec, P.Ready, P.Exec,
  ]);
  // Rootfs ops sit between the rlimits and the process setup, pivot included.
  const pivot = idx(p, R.Pivot);
  assert.ok(pivot > idx(p, P.Rlimit) && pivot < idx(p, P.NoNewPrivileges));
  assert.is(p.ops[p.ops.length - 1].kind, P.Exec);
});

test('pointers and descriptions come with the ops', () => {
  const p = build((c) => {
    c.process.user = { uid: 1000, gid: 1001, additionalGids: [5, 6], umask: 0o27 };
    c.process.rlimits.push({ type: 'RLIMIT_NPROC', soft: 10, hard: 20 });
  });
  const rl = of(p, P.Rlimit);
  assert.equal(rl.map((o) => o.pointer), ['/process/rlimits/0', '/process/rlimits/1']);
  assert.equal(rl[1].ints, [6, 10n, 20n]);
  const id = of(p, P.Identity)[0];
  assert.is(id.pointer, '/process/user');
  assert.equal(id.ints, [1000, 1001, 1, 1, 5, 6]);
  assert.match(id.what, /setresuid 1000/);
  assert.equal(of(p, P.Umask)[0].ints, [0o27]);
  assert.is(of(p, P.Umask)[0].what, 'umask 0027');
  const ex = of(p, P.ResolveExec)[0];
  assert.is(ex.pointer, '/process/args/0');
  assert.equal(ex.ints, [3, 2]);
  assert.equal(ex.strs, ['/bin/sh', '-c', 'true', 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=xterm']);
});

test('capability masks; unknown names warn, as runc does', () => {
  const p = build((c) => {
    c.process.capabilities = {
      bounding: ['CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_CHOWN', 'CAP_BOGUS'],
      effective: ['CAP_KILL'],
      permitted: ['CAP_KILL', 'CAP_NET_BIND_SERVICE'],
      inheritable: ['CAP_NET_BIND_SERVICE'],
      ambient: ['CAP_NET_BIND_SERVICE'],
    };
  });
  assert.equal(of(p, P.Bounding)[0].ints, [0x421n]);
  assert.equal(of(p, P.Capabilities)[0].ints, [0x20n, 0x420n, 0x400n, 0x400n]);
  assert.equal(of(p, P.Identity)[0].ints[2], 1, 'keep caps across setresuid');
  assert.equal(p.warnings, ['unknown capability "CAP_BOGUS" (config.json /process/capabilities/bounding/3) ignored']);
  const none = build((c) => delete c.process.capabilities);
  assert.is(idx(none, P.Bounding), -1);
  assert.is(idx(none, P.Capabilities), -1);
  assert.equal(of(none, P.Identity)[0].ints[2], 0);
});

test('joins take the slow path: user first, mount last, unshare, fork into the pid namespace', () => {
  const p = build((c) => {
    c.linux.namespaces = [
      { type: 'mount', path: '/proc/9/ns/mnt' },
      { type: 'pid', path: '/proc/9/ns/pid' },
      { type: 'network' },
      { type: 'user', path: '/proc/9/ns/user' },
      { type: 'ipc' },
      { type: 'uts' },
    ];
  });
  assert.equal(p.ops[0].ints, [0, 0]);
  assert.equal(processKinds(p).slice(0, 7), [P.Namespaces, P.JoinNamespace, P.JoinNamespace, P.JoinNamespace, P.Unshare, P.ForkInit, P.NsReady]);
  const joins = of(p, P.JoinNamespace);
  assert.equal(joins.map((j) => j.strs[0]), ['/proc/9/ns/user', '/proc/9/ns/pid', '/proc/9/ns/mnt']);
  assert.equal(joins.map((j) => j.ints[0]), [CLONE.NEWUSER, CLONE.NEWPID, CLONE.NEWNS]);
  assert.equal(joins.map((j) => j.pointer), ['/linux/namespaces/3/path', '/linux/namespaces/1/path', '/linux/namespaces/0/path']);
  assert.equal(of(p, P.Unshare)[0].ints, [CLONE.NEWNET | CLONE.NEWIPC | CLONE.NEWUTS]);
});

test('user namespace: maps as the kernel reads them; unshared first on the slow path', () => {
  const maps = (c: any) => {
    c.linux.namespaces.push({ type: 'user' });
    c.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    c.linux.gidMappings = [{ containerID: 0, hostID: 200000, size: 1000 }, { containerID: 1000, hostID: 5000, size: 1 }];
  };
  const fast = build(maps);
  assert.ok((fast.ops[0].ints[0] as number) & CLONE.NEWUSER);
  const u = of(fast, P.UserNamespace)[0];
  assert.equal(u.strs, ['0 100000 65536\n', '0 200000 1000\n1000 5000 1\n']);
  assert.equal(u.ints, [0, 0]);
  assert.is(idx(fast, P.UserNamespace), 1, 'right after clone');
  const rootless = build(maps, { host: { rootless: true } });
  assert.equal(of(rootless, P.UserNamespace)[0].ints, [1, 0], 'setgroups deny');
  assert.equal(of(rootless, P.Identity)[0].ints[3], 0, 'no setgroups without additional gids');
  const slow = build((c) => {
    maps(c);
    c.linux.namespaces[0] = { type: 'pid', path: '/proc/9/ns/pid' };
  });
  assert.equal(processKinds(slow).slice(0, 6), [P.Namespaces, P.JoinNamespace, P.UserNamespace, P.Unshare, P.ForkInit, P.NsReady]);
  assert.equal(of(slow, P.UserNamespace)[0].ints, [0, 1]);
});

test('time namespace: unshared by the child, offsets written by the parent', () => {
  const p = build((c) => {
    c.linux.namespaces.push({ type: 'time' });
    c.linux.timeOffsets = { monotonic: { secs: 10 }, boottime: { secs: -5, nanosecs: 7 } };
  });
  assert.not.ok((p.ops[0].ints[0] as number) & CLONE.NEWTIME, 'not at clone: the offsets must come first');
  const t = of(p, P.TimeNamespace)[0];
  assert.equal(t.ints, [1]);
  assert.equal(t.strs, ['monotonic 10 0\nboottime -5 7\n']);
  assert.is(t.pointer, '/linux/timeOffsets');
  assert.ok(idx(p, P.TimeNamespace) < idx(p, P.NsReady));
});

test('createContainer hooks just before the pivot, the console just after it', () => {
  const p = build((c) => {
    c.hooks = { createContainer: [{ path: '/bin/true' }], startContainer: [{ path: '/bin/hook', args: ['hook', 'x'], env: ['A=1'], timeout: 3 }] };
    c.process.terminal = true;
    c.process.consoleSize = { height: 30, width: 100 };
  });
  const pivot = idx(p, R.Pivot);
  assert.is(p.ops[pivot - 1].kind, P.CreateContainerHooks);
  assert.is(p.ops[pivot + 1].kind, P.Console);
  assert.equal(p.ops[pivot + 1].ints, [30, 100]);
  const sc = of(p, P.StartContainerHook)[0];
  assert.equal(sc.ints, [3, 2, 1, 0]);
  assert.equal(sc.strs, ['/bin/hook', 'hook', 'x', 'A=1']);
  assert.is(sc.pointer, '/hooks/startContainer/0');
  assert.ok(idx(p, P.Ready) < idx(p, P.StartContainerHook) && idx(p, P.StartContainerHook) < idx(p, P.Exec));
  assert.is(idx(build(), P.CreateContainerHooks), -1, 'no hooks, no round trip');
});

test('seccomp: while privileged without no_new_privs, as late as possible with it', () => {
  const seccomp = { program: Buffer.alloc(16, 1), flags: 2, notify: false };
  const nnp = build((c) => (c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW' }), { seccomp });
  assert.ok(idx(nnp, P.Seccomp) > idx(nnp, P.Capabilities) && idx(nnp, P.Seccomp) < idx(nnp, P.ResolveExec));
  assert.ok(idx(nnp, P.NoNewPrivileges) < idx(nnp, P.Seccomp));
  const priv = build((c) => {
    c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', listenerPath: '/run/agent.sock' };
    c.process.noNewPrivileges = false;
  }, { seccomp: { ...seccomp, notify: true } });
  assert.ok(idx(priv, P.Seccomp) < idx(priv, P.Bounding) && idx(priv, P.Seccomp) < idx(priv, P.Identity));
  const op = of(priv, P.Seccomp)[0];
  assert.equal(op.ints, [2 | SECCOMP_FILTER_FLAG_NEW_LISTENER, 1]);
  assert.is((op.strs[0] as Buffer).length, 16);
  assert.is(op.pointer, '/linux/seccomp');
  assert.is(idx(build(), P.Seccomp), -1);
  // A listener fd with nowhere to go: refused by the plan, before anything is made.
  throwsAt(() => build((c) => (c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW' }), { seccomp: { ...seccomp, notify: true } }), '/linux/seccomp', /seccomp listenerPath is not set/);
});

test('rlimits: infinity and values past 2^63 become RLIM_INFINITY', () => {
  const p = build((c) => (c.process.rlimits = [{ type: 'RLIMIT_CORE', soft: 18446744073709551615, hard: 18446744073709551615 }]));
  assert.equal(of(p, P.Rlimit)[0].ints, [4, -1n, -1n]);
});

test('preserved fds and LISTEN_FDS', () => {
  const p = build(undefined, { preserveFds: 2, listenFds: 3 });
  assert.equal(of(p, P.Exec)[0].ints, [5]);
  const env = of(p, P.ResolveExec)[0].strs.slice(3);
  assert.equal(env.slice(-2), ['LISTEN_FDS=3', 'LISTEN_PID=1']);
  assert.equal(of(build(), P.Exec)[0].ints, [0]);
});

test('LSM labels need the LSM on this host (clear error at create); scheduler, ioprio, personality', () => {
  throwsAt(() => build((c) => (c.process.apparmorProfile = 'p'), { host: { apparmor: false } }), '/process/apparmorProfile', /AppArmor is not enabled/);
  throwsAt(() => build((c) => (c.process.selinuxLabel = 'l'), { host: { selinux: false } }), '/process/selinuxLabel', /SELinux is not enabled/);
  assert.equal(of(build((c) => (c.process.apparmorProfile = 'p'), { host: { apparmor: true } }), P.Apparmor)[0].strs, ['p']);
  const p = build((c) => {
    c.process.scheduler = { policy: 'SCHED_BATCH', nice: 5, flags: ['SCHED_FLAG_RESET_ON_FORK'] };
    c.process.ioPriority = { class: 'IOPRIO_CLASS_IDLE', priority: 4 };
    c.linux.personality = { domain: 'LINUX32' };
    c.process.oomScoreAdj = 500;
  });
  assert.equal(of(p, P.Scheduler)[0].ints, [3, 1, 5, 0, 0n, 0n, 0n]);
  assert.equal(of(p, P.IoPriority)[0].ints, [(3 << 13) | 4]);
  assert.equal(of(p, P.Personality)[0].ints, [8]);
  assert.equal(of(p, P.OomScoreAdj)[0].ints, [500]);
});

test('what buildPlan refuses, with pointers', () => {
  throwsAt(() => build((c) => delete c.process), '/process', /process is required/);
});

test('what the plan leaves to the checker (semantic.ts) is refused by parseConfig, by pointer, before any plan', () => {
  const maps = [{ containerID: 0, hostID: 1000, size: 1 }];
  const cases: Array<[string, (c: any) => void]> = [
    ['/linux/uidMappings', (c) => c.linux.namespaces.push({ type: 'user' })],
    ['/linux/uidMappings', (c) => (c.linux.uidMappings = maps)],
    ['/linux/namespaces/6/type', (c) => c.linux.namespaces.push({ type: 'pid' })],
    ['/linux/timeOffsets', (c) => (c.linux.timeOffsets = { monotonic: { secs: 1 } })],
    ['/linux/timeOffsets/realtime', (c) => (c.linux.namespaces.push({ type: 'time' }), (c.linux.timeOffsets = { realtime: { secs: 1 } }))],
    ['/process/rlimits/0', (c) => (c.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 10, hard: 5 }])],
    ['/process/rlimits/0/type', (c) => (c.process.rlimits = [{ type: 'RLIMIT_BOGUS', soft: 1, hard: 1 }])],
    ['/process/rlimits/1/type', (c) => (c.process.rlimits = [{ type: 'RLIMIT_CORE', soft: 1, hard: 1 }, { type: 'RLIMIT_CORE', soft: 1, hard: 1 }])],
    ['/process/args', (c) => (c.process.args = [])],
    ['/process/cwd', (c) => (c.process.cwd = 'rel')],
    ['/hostname', (c) => (c.linux.namespaces = c.linux.namespaces.filter((n: any) => n.type !== 'uts'))],
    ['/mounts/6/options', (c) => c.mounts.push({ destination: '/x', source: '/x', options: ['rbind', 'idmap'] })],
    // the names the plan's tables are typed by (the schema's enums)
    ['/process/ioPriority/class', (c) => (c.process.ioPriority = { class: 'IOPRIO_CLASS_X', priority: 1 })],
    ['/process/ioPriority/priority', (c) => (c.process.ioPriority = { class: 'IOPRIO_CLASS_BE', priority: 8 })],
    ['/process/scheduler/policy', (c) => (c.process.scheduler = { policy: 'SCHED_NOPE' })],
    ['/process/scheduler/flags/0', (c) => (c.process.scheduler = { policy: 'SCHED_OTHER', flags: ['SCHED_FLAG_NOPE'] })],
    ['/linux/personality/domain', (c) => (c.linux.personality = { domain: 'LINUX64' })],
    ['/linux/memoryPolicy/mode', (c) => (c.linux.memoryPolicy = { mode: 'MPOL_NOPE' })],
    ['/linux/memoryPolicy/flags/0', (c) => (c.linux.memoryPolicy = { mode: 'MPOL_BIND', nodes: '0', flags: ['MPOL_F_NOPE'] })],
    ['/linux/devices/0/type', (c) => (c.linux.devices = [{ path: '/dev/x', type: 'z', major: 1, minor: 1 }])],
    ['/linux/rootfsPropagation', (c) => (c.linux.rootfsPropagation = 'bogus')],
    ['/linux/namespaces/6/type', (c) => c.linux.namespaces.push({ type: 'nope' })],
  ];
  for (const [pointer, mut] of cases) {
    const c = defaultTestConfig();
    mut(c);
    assert.throws(() => parseConfig(JSON.stringify(c)), (e: any) => e.errors?.some((x: any) => x.pointer === pointer), pointer);
  }
});

test('the runc default spec (ocirt spec) plans without warnings', () => {
  const p = buildPlan(defaultSpec({ cgroupNamespace: true }) as any, base);
  assert.equal(p.warnings, []);
  assert.is(p.ops[0].kind, P.Namespaces);
  assert.is(p.ops[p.ops.length - 1].kind, P.Exec);
  assert.ok(idx(p, R.Pivot) > 0);
});

test('execCPUAffinity: only for exec\'d processes (config.md), initial before the cgroup, final before execve', () => {
  const mut = (c: any) => (c.process.execCPUAffinity = { initial: '1', final: '0-1' });
  assert.is(idx(build(mut), P.CpuAffinity), -1, 'not for the init');
  const p = build(mut, { execProcess: true });
  const ops = of(p, P.CpuAffinity);
  assert.equal(ops.map((o) => o.ints), [[0], [1]]);
  assert.equal(ops.map((o) => o.pointer), ['/process/execCPUAffinity/initial', '/process/execCPUAffinity/final']);
  assert.ok(idx(p, P.CpuAffinity) < idx(p, P.NsReady));
  assert.ok(p.ops.map((o) => o.kind).lastIndexOf(P.CpuAffinity) > idx(p, P.Ready));
  assert.equal([...(ops[1].strs[0] as Buffer)].slice(0, 1), [3]);
});

test('cpu lists to masks', () => {
  assert.equal([...cpuListMask('0-3,7', '/x')], [0x8f, 0, 0, 0, 0, 0, 0, 0]);
  assert.is(cpuListMask('64', '/x').length, 16);
  throwsAt(() => cpuListMask('3-1', '/x'), '/x', /bad CPU range/);
});

/** An independent reader of the wire format of addon/plan.h. */
function decode(buf: Buffer): Array<{ kind: number; ints: bigint[]; strs: Buffer[] }> {
  let o = 0;
  const u32 = () => { const v = buf.readUInt32LE(o); o += 4; return v; };
  const u16 = () => { const v = buf.readUInt16LE(o); o += 2; return v; };
  assert.is(u32(), PLAN_MAGIC);
  assert.is(u32(), CONTRACT_HASH);
  const n = u32();
  const ops = [];
  for (let i = 0; i < n; i++) {
    const kind = u16(), nint = u16(), nstr = u16();
    assert.is(u16(), 0, 'reserved');
    const ints: bigint[] = [];
    for (let j = 0; j < nint; j++) { ints.push(buf.readBigInt64LE(o)); o += 8; }
    const strs: Buffer[] = [];
    for (let j = 0; j < nstr; j++) {
      const len = u32();
      strs.push(buf.subarray(o, o + len));
      o += len;
      assert.is(buf[o], 0, 'NUL after each string');
      o += 1;
    }
    ops.push({ kind, ints, strs });
  }
  assert.is(o, buf.length, 'no trailing bytes');
  return ops;
}

test('encode: round trip through the wire format', () => {
  const p = build((c) => {
    c.linux.seccomp = {};
    c.process.env.push('UNICODE=é');
  }, { seccomp: { program: Buffer.from([1, 2, 3, 0, 5, 6, 7, 8]), flags: 0, notify: false } });
  p.ops.push({ kind: 99, ints: [-1n, 2 ** 40, 0x7fffffffffffffffn], strs: [''], pointer: '', what: '' } as PlanOp);
  const back = decode(encodePlan(p));
  assert.is(back.length, p.ops.length);
  back.forEach((b, i) => {
    const op = p.ops[i];
    assert.is(b.kind, op.kind);
    assert.equal(b.ints, op.ints.map((v) => BigInt.asIntN(64, BigInt(v))));
    assert.equal(b.strs.map((s) => Buffer.from(s)), op.strs.map((s) => (typeof s === 'string' ? Buffer.from(s, 'utf8') : Buffer.from(s))));
  });
  assert.throws(() => encodePlan({ ops: [{ kind: 1, ints: [1.5], strs: [], pointer: '', what: '' }] }), /not an integer/);
});

test('describePlan: one line per op, with its pointer', () => {
  const p = build();
  const lines = describePlan(p).split('\n');
  assert.is(lines.length, p.ops.length);
  assert.match(lines[0], /^ 0  Namespaces +namespaces: new pid, network, mount, ipc, uts, cgroup \(at clone\)  \(config\.json \/linux\/namespaces\)$/);
  assert.match(lines[lines.length - 1], /Exec +execve \["\/bin\/sh","-c","true"\]  \(config\.json \/process\/args\)$/);
});

test('a child error becomes "what (config.json pointer): step: errno text"', () => {
  const p = build();
  const i = idx(p, P.Identity);
  assert.equal(childErrorMessage(p, { opIndex: i, errnoText: 'invalid argument', detail: 'setresuid', fullMessage: false }), {
    message: 'setgroups [], setresgid 0, setresuid 0 (config.json /process/user): setresuid: invalid argument',
    pointer: '/process/user',
    placed: { head: 'setgroups [], setresgid 0, setresuid 0', tail: ': setresuid: invalid argument' },
  });
  const r = idx(p, P.ResolveExec);
  assert.equal(childErrorMessage(p, { opIndex: r, errnoText: 'no such file or directory', detail: 'exec: "x": executable file not found in $PATH', fullMessage: true }).message,
    'exec: "x": executable file not found in $PATH');
  assert.equal(childErrorMessage(p, { opIndex: idx(p, P.Ready), errnoText: 'broken pipe', detail: '', fullMessage: false }).message,
    'report ready, wait on exec.fifo for start: broken pipe');
});

test('memoryPolicy: set_mempolicy with mode, flags and the node mask, before no_new_privs and any filter', () => {
  const ops = build((c) => ((c.linux.memoryPolicy = { mode: 'MPOL_BIND', nodes: '0,2-3', flags: ['MPOL_F_STATIC_NODES'] }), (c.process.noNewPrivileges = true))).ops;
  const mp = ops.find((o) => o.kind === P.MemoryPolicy)!;
  assert.equal(mp.ints, [2 | (1 << 15)]);
  assert.equal([...(mp.strs[0] as Buffer)], [0b1101, 0, 0, 0, 0, 0, 0, 0]);
  assert.is(mp.pointer, '/linux/memoryPolicy');
  assert.ok(ops.indexOf(mp) < ops.findIndex((o) => o.kind === P.NoNewPrivileges));
  const local = build((c) => (c.linux.memoryPolicy = { mode: 'MPOL_LOCAL' })).ops.find((o) => o.kind === P.MemoryPolicy)!;
  assert.equal(local.ints, [4]);
  assert.is((local.strs[0] as Buffer).length, 0);
  throwsAt(() => build((c) => (c.linux.memoryPolicy = { mode: 'MPOL_BIND', nodes: '0-x' })), '/linux/memoryPolicy/nodes', /bad node list "0-x"/);
});

test('fields ocirt does not apply are refused by pointer, never skipped', () => {
  throwsAt(() => build((c) => (c.linux.intelRdt = { closID: 'x' })), '/linux/intelRdt', /intelRdt is not supported/);
  throwsAt(() => build((c) => (c.linux.intelRdt = { closID: 'x' }), { host: { resctrl: false } }), '/linux/intelRdt', /intelRdt needs the resctrl filesystem .* none mounted at \/sys\/fs\/resctrl/);
  throwsAt(() => build((c) => (c.linux.mountLabel = 'system_u:object_r:container_file_t:s0'), { host: { selinux: false } }), '/linux/mountLabel', /SELinux is not enabled/);
  build((c) => (c.linux.netDevices = {}));
});

test.run();

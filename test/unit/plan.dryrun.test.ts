/**
 * The child's interpreter run in-process against the syscall recorder (addon childDryRun): the
 * order of the process ops' syscalls as runc orders them, and how a failing call maps to an op,
 * a step and an errno. No root, no clone: nothing reaches the kernel.
 */
import { test } from 'uvu';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as assert from 'uvu/assert';
import { buildPlan, BuildOptions, Plan } from '../../src/plan/build';
import { encodePlan } from '../../src/plan/encode';
import { ProcessOp as P } from '../../src/plan/ops';
import { childErrorMessage } from '../../src/runtime/spawn';
import { nativeTest, DryRunResult } from '../helpers/native-test';
import { defaultTestConfig } from '../helpers/bundle';

const PR = { SET_PDEATHSIG: 1, SET_DUMPABLE: 4, SET_KEEPCAPS: 8, CAPBSET_DROP: 24, SET_NO_NEW_PRIVS: 38, CAP_AMBIENT: 47 };
const SYNC = { Error: 1, UsernsReady: 2, NsReady: 3, Hooks: 4, Ready: 5, Fd: 8 };
/** The sync record's detail field, as contract/contract.json lays it out for both sides. */
const DETAIL_BYTES: number = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../../contract/contract.json'), 'utf8'))
  .sync.record.find((f: [string, string, number?]) => f[0] === 'detail')[2];

const plan = (mut?: (c: any) => void, opts: Partial<BuildOptions> = {}): Plan => {
  const c = defaultTestConfig();
  if (mut) mut(c);
  return buildPlan(c, { bundle: '/b', noPivot: false, ...opts });
};
const dry = (p: Plan, fail?: Array<{ call: string; errno: number; nth?: number }>): DryRunResult => nativeTest().childDryRun(encodePlan(p), { fail });
const names = (r: DryRunResult) => r.calls.map((c) => c.call);
const pos = (r: DryRunResult, pred: (c: { call: string; args: number[] }) => boolean, from = 0) => {
  const i = r.calls.slice(from).findIndex(pred);
  return i < 0 ? -1 : i + from;
};
const indexes = (r: DryRunResult, name: string) => r.calls.flatMap((c, i) => (c.call === name ? [i] : []));

test('prologue: parent-death signal, non-dumpable, own session; the end: Ready then execve', () => {
  const r = dry(plan());
  assert.is(r.exit, 'exec');
  assert.equal(r.calls.slice(0, 3).map((c) => [c.call, c.args[0], c.args[1]]), [['prctl', PR.SET_PDEATHSIG, 9], ['prctl', PR.SET_DUMPABLE, 0], ['setsid', 0, 0]]);
  assert.equal(r.syncs, [SYNC.NsReady, SYNC.Ready]);
  const ready = indexes(r, 'sendmsg')[1];
  const clearPdeath = pos(r, (c) => c.call === 'prctl' && c.args[0] === PR.SET_PDEATHSIG && c.args[1] === 0);
  assert.ok(clearPdeath >= 0 && clearPdeath < ready, 'the parent-death signal is cleared before Ready: the init outlives create');
  const exec = r.calls[r.calls.length - 1];
  assert.is(exec.call, 'execve');
  assert.is(exec.path, '/bin/sh');
  const closeRange = r.calls.filter((c) => c.call === 'close_range').pop()!;
  assert.equal(closeRange.args.slice(0, 1), [3], 'everything above stdio closed before execve');
});

test('ids and capabilities in runc\'s order: bounding, keepcaps, gid, uid, capset, ambient', () => {
  const r = dry(plan((c) => {
    c.process.user = { uid: 1000, gid: 1001, additionalGids: [5] };
    c.process.capabilities.ambient = ['CAP_NET_BIND_SERVICE'];
    c.process.capabilities.inheritable = ['CAP_NET_BIND_SERVICE'];
  }));
  const seq = names(r);
  const first = (n: string) => seq.indexOf(n);
  const drops = r.calls.filter((c) => c.call === 'prctl' && c.args[0] === PR.CAPBSET_DROP).map((c) => c.args[1]);
  assert.is(drops.length, 41 - 3, 'every capability but the three kept');
  assert.not.ok(drops.includes(5) || drops.includes(10) || drops.includes(29));
  const keep = pos(r, (c) => c.call === 'prctl' && c.args[0] === PR.SET_KEEPCAPS && c.args[1] === 1);
  const unkeep = pos(r, (c) => c.call === 'prctl' && c.args[0] === PR.SET_KEEPCAPS && c.args[1] === 0);
  const lastDrop = r.calls.map((c) => c.call === 'prctl' && c.args[0] === PR.CAPBSET_DROP).lastIndexOf(true);
  assert.ok(lastDrop < first('setgroups'));
  assert.ok(first('setgroups') < keep && keep < first('setresgid') && first('setresgid') < first('setresuid') && first('setresuid') < unkeep);
  assert.ok(unkeep < first('capset'));
  const amb = r.calls.filter((c) => c.call === 'prctl' && c.args[0] === PR.CAP_AMBIENT).map((c) => [c.args[1], c.args[2]]);
  assert.equal(amb, [[4, 0], [2, 10]], 'clear all, then raise CAP_NET_BIND_SERVICE');
  assert.equal(r.calls[first('setresgid')].args.slice(0, 3), [1001, 1001, 1001]);
  assert.equal(r.calls[first('setresuid')].args.slice(0, 3), [1000, 1000, 1000]);
  const rearm = pos(r, (c) => c.call === 'prctl' && c.args[0] === PR.SET_PDEATHSIG && c.args[1] === 9, first('setresuid'));
  assert.ok(rearm > first('setresuid'), 'the parent-death signal is armed again after the ids change');
});

test('seccomp: before the capabilities drop without no_new_privs, after them with it', () => {
  const seccomp = { program: Buffer.alloc(8), flags: 0, notify: false };
  const nnp = dry(plan((c) => (c.linux.seccomp = {}), { seccomp }));
  const s1 = names(nnp);
  const nnpAt = pos(nnp, (c) => c.call === 'prctl' && c.args[0] === PR.SET_NO_NEW_PRIVS);
  assert.ok(nnpAt < s1.indexOf('seccomp'));
  assert.ok(s1.indexOf('capset') < s1.indexOf('seccomp'));
  const priv = dry(plan((c) => {
    c.linux.seccomp = { listenerPath: '/run/agent.sock' };
    c.process.noNewPrivileges = false;
  }, { seccomp: { ...seccomp, notify: true } }));
  const s2 = names(priv);
  const firstDrop = pos(priv, (c) => c.call === 'prctl' && c.args[0] === PR.CAPBSET_DROP);
  assert.ok(s2.indexOf('seccomp') < firstDrop && s2.indexOf('seccomp') < s2.indexOf('setresuid'));
  assert.is(pos(priv, (c) => c.call === 'prctl' && c.args[0] === PR.SET_NO_NEW_PRIVS), -1);
  assert.ok(priv.syncs.includes(SYNC.Fd), 'the listener fd goes to the parent');
});

test('joins: every path opened before the first setns, user first and mount last', () => {
  const p = plan((c) => {
    c.linux.namespaces = [{ type: 'mount', path: '/m' }, { type: 'network', path: '/n' }, { type: 'user', path: '/u' }, { type: 'pid' }, { type: 'uts' }];
  });
  const r = dry(p);
  const opens = r.calls.filter((c) => c.call === 'openat' && ['/u', '/n', '/m'].includes(c.path!)).map((c) => c.path);
  assert.equal(opens, ['/u', '/n', '/m']);
  const lastOpen = r.calls.map((c) => c.call === 'openat' && c.path === '/m').lastIndexOf(true);
  assert.ok(lastOpen < names(r).indexOf('setns'));
  assert.equal(r.calls.filter((c) => c.call === 'setns').map((c) => c.args[1]), [0x10000000, 0x40000000, 0x20000]);
  const unshare = r.calls.find((c) => c.call === 'unshare')!;
  assert.is(unshare.args[0], 0x20000000 | 0x04000000);
  assert.ok(names(r).indexOf('clone') > names(r).indexOf('unshare'), 'the fork into the pid namespace comes last');
});

test('a failing call names its op, its step and its errno', () => {
  const p = plan((c) => (c.process.user = { uid: 1000, gid: 0 }));
  const r = dry(p, [{ call: 'setresuid', errno: 22 }]);
  assert.is(r.exit, 1);
  assert.equal(r.syncs.slice(-1), [SYNC.Error]);
  assert.is(r.error!.opIndex, p.ops.findIndex((o) => o.kind === P.Identity));
  assert.equal(childErrorMessage(p, { ...r.error!, errnoText: 'invalid argument' }).message,
    'setgroups [], setresgid 0, setresuid 1000 (config.json /process/user): setresuid: invalid argument');
  const seq = names(r);
  assert.is(seq.indexOf('execve'), -1, 'nothing after the failure');
});

test('PATH lookup: the first executable wins; none gives runc\'s phrase', () => {
  const p = plan((c) => (c.process.args = ['foo']));
  const r = dry(p, [{ call: 'newfstatat', errno: 2, nth: 1 }]);
  assert.equal(r.calls.filter((c) => c.call === 'newfstatat').map((c) => c.path), ['/usr/local/sbin/foo', '/usr/local/bin/foo']);
  assert.is(r.calls[r.calls.length - 1].path, '/usr/local/bin/foo');
  const none = dry(p, [{ call: 'newfstatat', errno: 2, nth: 0 }]);
  assert.equal(none.error, { opIndex: p.ops.findIndex((o) => o.kind === P.ResolveExec), errno: 2, detail: 'exec: "foo": executable file not found in $PATH', fullMessage: true });
});

test('an errno outside the contract\'s table is "errno N" (the child does not crash on it)', () => {
  // openat2 refused: the cwd is a plain chdir, which root may not make (EACCES) but the
  // container's user may; the second try, after the ids changed, fails with an unknown errno.
  const p = plan((c) => (c.process.cwd = '/work'));
  const r = dry(p, [{ call: 'openat2', errno: 38, nth: 0 }, { call: 'chdir', errno: 13, nth: 0 }, { call: 'fchdir', errno: 200, nth: 0 }]);
  assert.is(r.exit, 1);
  assert.equal(r.error, {
    opIndex: p.ops.findIndex((o) => o.kind === P.ResolveExec),
    errno: 200,
    detail: 'chdir to cwd ("/work") set in config.json failed: errno 200',
    fullMessage: true,
  });
});

test('a detail longer than the sync record holds is cut, and the cut is marked', () => {
  const name = 'x'.repeat(300);
  const r = dry(plan((c) => (c.process.args = [name])), [{ call: 'newfstatat', errno: 2, nth: 0 }]);
  const detail = r.error!.detail;
  assert.is(detail.length, DETAIL_BYTES - 1, 'the record\'s detail bytes, one of them the NUL');
  assert.ok(detail.startsWith(`exec: "${'x'.repeat(200)}`), detail);
  assert.ok(detail.endsWith('x...'), detail);
});

test('execCPUAffinity (exec\'d processes): initial before NsReady, final right before execve', () => {
  const r = dry(plan((c) => (c.process.execCPUAffinity = { initial: '1', final: '0' }), { execProcess: true }));
  const aff = indexes(r, 'sched_setaffinity');
  assert.is(aff.length, 2);
  assert.ok(aff[0] < indexes(r, 'sendmsg')[0], 'before the cgroup move');
  assert.is(r.calls[aff[1] + 1].call, 'execve', 'the last call before execve');
});

test('user namespace: the child asks for its maps, then becomes root in it', () => {
  const r = dry(plan((c) => {
    c.linux.namespaces.push({ type: 'user' });
    c.linux.uidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
    c.linux.gidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
  }));
  assert.equal(r.syncs.slice(0, 2), [SYNC.UsernsReady, SYNC.NsReady]);
  const seq = names(r);
  assert.ok(seq.indexOf('setresgid') < seq.indexOf('setresuid'));
  assert.equal(r.calls[seq.indexOf('setresuid')].args.slice(0, 3), [0, 0, 0]);
});

test('under a filter that refuses the newer calls: cwd falls back to chdir + getcwd, the lookup uses faccessat, fds close one by one', () => {
  const p = plan((c) => (c.process.cwd = '/work'));
  for (const errno of [38 /* ENOSYS */, 1 /* EPERM */]) {
    const r = dry(p, [{ call: 'openat2', errno, nth: 0 }, { call: 'close_range', errno, nth: 0 }]);
    assert.is(r.exit, 'exec', JSON.stringify(r.error));
    const seq = names(r);
    assert.ok(seq.includes('chdir') && seq.indexOf('getcwd') > seq.indexOf('chdir'), 'chdir, then the getcwd check');
    assert.is(r.calls.find((c) => c.call === 'chdir')!.path, '/work');
    assert.ok(seq.includes('faccessat') && !seq.includes('faccessat2'), 'plain faccessat for the PATH lookup');
    assert.ok(seq.includes('prlimit64'), 'the close loop is bounded by NOFILE');
  }
  // Without a refusal the cwd is resolved with openat2 and no chdir happens.
  assert.not.ok(names(dry(p)).includes('chdir'));
});

test('the cwd is resolved before a filter that goes in early (no no_new_privs)', () => {
  const r = dry(plan((c) => {
    c.process.noNewPrivileges = false;
    c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }] };
  }));
  assert.ok(names(r).indexOf('openat2') < names(r).indexOf('seccomp'));
});

test.run();

/**
 * exec without root: the process runc exec makes from the config and the flags, the plan for it
 * (joins through the init, no rootfs ops, hooks or Ready), and the child's end of it under the
 * syscall recorder (the sync socket kept to execve, kSyncExec, the parent-death signal cleared).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildPlan, Plan } from '../../src/plan/build';
import { encodePlan } from '../../src/plan/encode';
import { ProcessOp as P, CLONE } from '../../src/plan/ops';
import { execConfig, processFromFlags, ProcessFlags, subCgroupDirs } from '../../src/runtime/exec';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { nativeTest } from '../helpers/native-test';
import { defaultTestConfig } from '../helpers/bundle';
import { fastParse } from '../../src/cli/fast-parse';
import { COMMANDS } from '../../src/cli/table';

const SYNC = { NsReady: 3, Exec: 11 };
const PR_SET_PDEATHSIG = 1;

const flags = (f: Partial<ProcessFlags> = {}): ProcessFlags => ({ args: ['sh'], env: [], additionalGids: [], caps: [], noNewPrivs: false, tty: false, ...f });

function execPlan(mut?: (c: any) => void, f: Partial<ProcessFlags> = {}): Plan {
  const c = defaultTestConfig();
  if (mut) mut(c);
  return buildPlan(execConfig(c, processFromFlags(c.process, flags(f)), 4321), { bundle: '/b', noPivot: false, execProcess: true });
}

test('flags change the config\'s process as runc exec does', () => {
  const base = defaultTestConfig().process;
  const p = processFromFlags(base, flags({
    args: ['id'], cwd: '/tmp', env: ['TERM=dumb', 'A=1'], user: '1000:1001', additionalGids: ['7'], caps: ['sys_admin'], noNewPrivs: true, tty: true,
    apparmor: 'prof', processLabel: 'lbl',
  }));
  assert.equal(p.args, ['id']);
  assert.is(p.cwd, '/tmp');
  assert.equal(p.env, ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=dumb', 'A=1'], 'a key given again replaces the value in place');
  assert.equal(p.user, { uid: 1000, gid: 1001, additionalGids: [7] });
  for (const set of ['bounding', 'effective', 'permitted']) assert.ok(p.capabilities[set].includes('CAP_SYS_ADMIN'), set);
  assert.is(p.capabilities.ambient, undefined, 'no ambient without inheritable ones in the config');
  assert.is(p.terminal, true);
  assert.is(p.noNewPrivileges, true);
  assert.is(p.apparmorProfile, 'prof');
  assert.is(p.selinuxLabel, 'lbl');
  assert.equal(base.args, ['/bin/sh', '-c', 'true'], 'the config is not changed');
  assert.is(processFromFlags({ ...base, user: { uid: 5, gid: 6 } }, flags({ user: '7' })).user.gid, 6, 'a uid alone keeps the gid');
  assert.is(processFromFlags({ ...base, terminal: true }, flags()).terminal, false, 'no --tty, no terminal');
  assert.throws(() => processFromFlags(base, flags({ user: 'root' })), /expected uid\[:gid\]/);
  // An unknown --cap goes on to the plan, which warns and ignores it (as runc does).
  assert.ok(processFromFlags(base, flags({ caps: ['nope'] })).capabilities.bounding.includes('CAP_NOPE'));
  assert.throws(() => processFromFlags(base, flags({ args: [] })), /needs a command/);
});

test('the CLI: runc\'s spellings, --flag=v, repeated flags, and the command after the id (with or without --)', () => {
  const inv = fastParse(['exec', '--env=A=1', '-e', 'B=2', '--cap', 'CAP_KILL', '-c', 'CAP_CHOWN', '--user=1:2', '-g', '5', '--preserve-fds=2', '-d', '--pid-file', '/p', 'c1', '--', 'sh', '-c', 'echo -e x'])!;
  assert.equal(inv.flags.env, ['A=1', 'B=2']);
  assert.equal(inv.flags.cap, ['CAP_KILL', 'CAP_CHOWN']);
  assert.equal([inv.flags.user, inv.flags['additional-gids'], inv.flags['preserve-fds'], inv.flags.detach, inv.flags['pid-file']], ['1:2', ['5'], 2, true, '/p']);
  assert.equal(inv.positionals, ['c1', '--', 'sh', '-c', 'echo -e x']);
  const p = fastParse(['exec', '--process', '/x.json', '--console-socket=/s', '--tty', 'c1'])!;
  assert.equal([p.flags.process, p.flags['console-socket'], p.flags.tty, p.positionals], ['/x.json', '/s', true, ['c1']]);
  assert.is(COMMANDS.exec.unsupported, undefined, 'exec is supported');
});

test('the plan joins every namespace of the init, user first and mount last, then forks', () => {
  const p = execPlan((c) => {
    c.linux.namespaces.push({ type: 'user' });
    c.linux.uidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
    c.linux.gidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
  });
  assert.equal(p.ops[0].ints, [0, 0], 'nothing at clone: the joins need a plain child');
  const joins = p.ops.filter((o) => o.kind === P.JoinNamespace);
  assert.equal(joins.map((o) => o.strs[0]), ['/proc/4321/ns/user', '/proc/4321/ns/pid', '/proc/4321/ns/net', '/proc/4321/ns/ipc', '/proc/4321/ns/uts', '/proc/4321/ns/cgroup', '/proc/4321/ns/mnt']);
  assert.equal(joins.map((o) => o.ints[0]), [CLONE.NEWUSER, CLONE.NEWPID, CLONE.NEWNET, CLONE.NEWIPC, CLONE.NEWUTS, CLONE.NEWCGROUP, CLONE.NEWNS]);
  const k = p.ops.map((o) => o.kind);
  assert.ok(k.indexOf(P.ForkInit) > k.lastIndexOf(P.JoinNamespace), 'the fork comes after the pid namespace join');
  assert.ok(k.indexOf(P.NsReady) > k.indexOf(P.ForkInit));
  for (const none of [P.UserNamespace, P.Unshare, P.CgroupNamespace, P.TimeNamespace]) assert.is(k.indexOf(none), -1, `no ${none}: nothing new`);
});

test('no rootfs ops, hooks or Ready; a missing cwd is not created; a pty without /dev/console', () => {
  const p = execPlan((c) => {
    c.hooks = { createContainer: [{ path: '/bin/true' }], startContainer: [{ path: '/bin/true' }], poststart: [{ path: '/bin/true' }] };
  }, { tty: true });
  const k = p.ops.map((o) => o.kind);
  assert.equal(k.filter((x) => x >= 100), [], 'no rootfs ops');
  for (const none of [P.Ready, P.CreateContainerHooks, P.StartContainerHook]) assert.is(k.indexOf(none), -1);
  assert.is(k[k.length - 1], P.Exec);
  assert.equal(p.ops.find((o) => o.kind === P.Console)!.ints, [0, 0, 1]);
  assert.equal(p.ops.find((o) => o.kind === P.Cwd)!.ints, [1]);
  const create = buildPlan(defaultTestConfig(), { bundle: '/b', noPivot: false });
  assert.equal(create.ops.find((o) => o.kind === P.Cwd)!.ints, [0], 'the init\'s cwd is still created');
});

test('the child keeps the sync socket to execve: kSyncExec after the parent-death signal is cleared', () => {
  const r = nativeTest().childDryRun(encodePlan(execPlan()));
  assert.is(r.exit, 'exec');
  assert.equal(r.syncs, [SYNC.NsReady, SYNC.Exec]);
  const n = r.calls.length;
  assert.equal(r.calls.slice(n - 3).map((c) => c.call), ['prctl', 'sendmsg', 'execve']);
  assert.equal(r.calls[n - 3].args.slice(0, 2), [PR_SET_PDEATHSIG, 0]);
  // The recorder's socket is fd 1000: every other fd above stdio closed around it.
  const ranges = r.calls.filter((c) => c.call === 'close_range').slice(-2).map((c) => c.args.slice(0, 2));
  assert.equal(ranges, [[3, 999], [1001, 0xffffffff]]);
});

test('--cgroup: sub-cgroups by controller or in every hierarchy; missing ones and escapes refused', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ocirt-subcg-'));
  try {
    const d = (p: string) => {
      fs.mkdirSync(path.join(tmp, p), { recursive: true });
      fs.writeFileSync(path.join(tmp, p, 'cgroup.procs'), '');
      return path.join(tmp, p);
    };
    const dirs = { memory: d('memory/c'), 'cpu,cpuacct': d('cpu,cpuacct/c'), systemd: d('systemd/c'), unified: d('unified/c') };
    d('memory/c/sub');
    d('cpu,cpuacct/c/sub');
    // CTRL:PATH moves the process there in that hierarchy, the container's own cgroup elsewhere
    assert.equal(subCgroupDirs(dirs, ['memory:sub', 'cpuacct:/sub']).sort(), [dirs['cpu,cpuacct'] + '/sub', dirs.memory + '/sub', dirs.systemd, dirs.unified].sort());
    assert.throws(() => subCgroupDirs(dirs, ['sub']), /--cgroup "sub": .*systemd\/c\/sub\/cgroup\.procs: no such file or directory/);
    assert.throws(() => subCgroupDirs(dirs, ['pids:sub']), /controller "pids" is not one of the container's/);
    assert.throws(() => subCgroupDirs(dirs, ['memory:']), /no sub-cgroup path/);
    // ".." cannot climb out: the path is taken from the container's cgroup down
    assert.throws(() => subCgroupDirs(dirs, ['memory:../../memory/c/sub/../..']), /cgroup\.procs: no such file|leads out/);
    // cgroup2 alone: the bare path
    const v2 = { unified: d('v2/c') };
    d('v2/c/w');
    assert.equal(subCgroupDirs(v2, ['w']), [v2.unified + '/w']);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test.run();

/**
 * The container's init as its process sees it, through the real CLI: namespaces (new, joined,
 * user and time), ids, groups, umask, cwd, capability sets, rlimits, no_new_privs,
 * oom_score_adj, seccomp mode, signal dispositions, fds, exit codes, the console, hooks in the
 * container, and the runc phrases for a missing program, with nothing left behind on failure.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { consoleReceiver } from '../helpers/console';
import { makeBundle, Bundle, mountsUnder, defaultTestConfig } from '../helpers/bundle';
import { Runtime, withRuntime, pidAlive, waitFor, OCIRT, REPO, cgroupDirsOf } from '../helpers/cli';
import { buildPlan } from '../../src/plan/build';
import { spawnInit } from '../../src/runtime/spawn';
import { native } from '../../src/native';
import { cgroupForCreate } from '../../src/runtime/cgroup';
import { cgroupParentsMadeHere } from '../helpers/cgroup-parents';

// Container ids are global on the host (cgroup paths): keep ours apart from other suites' runs.
const ID = (s: string) => `proc${process.pid}-${s}`;
const parents = cgroupParentsMadeHere(['ocirt-test']);
test.after(() => parents.remove());


function assertNothingLeft(rt: Runtime, id: string, b: Bundle): void {
  assert.not.ok(fs.existsSync(path.join(rt.root, id)), 'state dir left');
  assert.equal(cgroupDirsOf(id), [], 'cgroup left');
  assert.equal(mountsUnder(b.dir), [], 'mounts left');
  const procs = fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
    try {
      return fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(b.dir);
    } catch {
      return false;
    }
  });
  assert.equal(procs, [], 'a process of this bundle is left');
}

async function withBundleRt(mutate: (c: any, b: { dir: string }) => void, fn: (rt: Runtime, b: Bundle) => void | Promise<void>): Promise<void> {
  let dir = '';
  const b = makeBundle((c) => mutate(c, { get dir() { return dir; } }));
  dir = b.dir;
  // Mutators that need the bundle's dir run again, on a fresh config, with it known.
  b.config = defaultTestConfig();
  mutate(b.config, { dir });
  b.write();
  try {
    await withRuntime((rt) => fn(rt, b));
  } finally {
    b.cleanup();
  }
}

/** `run` of the bundle; insists on exit 0 and returns stdout. */
function runOk(rt: Runtime, b: Bundle, id: string, extra: string[] = []): string {
  const r = rt.run(['run', ...extra, '--bundle', b.dir, id], { stdio: ['ignore', 'pipe', 'pipe'] });
  assert.is(r.status, 0, `run exited ${r.status ?? r.signal}: ${r.stderr}`);
  return r.stdout;
}

function statusField(text: string, name: string): string {
  const m = new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(text);
  return m ? m[1].trim() : '';
}

/** Owns the rootfs by the container's root in a user namespace mapped to `host`. */
function chownTree(dir: string, host: number): void {
  spawnSync('chown', ['-R', '-h', `${host}:${host}`, dir]);
  fs.chmodSync(path.dirname(dir), 0o755);
}

const NS = ['pid', 'net', 'ipc', 'uts', 'mnt', 'cgroup', 'user', 'time'];
const hostNs = (n: string) => fs.readlinkSync(`/proc/self/ns/${n}`);

test('namespaces: the new ones differ from the host, the others are the host\'s', () =>
  withBundleRt((c) => (c.process.args = ['/bin/sh', '-c', `for n in ${NS.join(' ')}; do echo $n $(readlink /proc/self/ns/$n); done`]), (rt, b) => {
    const seen = Object.fromEntries(runOk(rt, b, ID('ns')).trim().split('\n').map((l) => l.split(' ')));
    for (const n of ['pid', 'net', 'ipc', 'uts', 'mnt', 'cgroup']) assert.is.not(seen[n], hostNs(n), `${n} is new`);
    for (const n of ['user', 'time']) assert.is(seen[n], hostNs(n), `${n} is the host's`);
  }));

test('user and time namespaces: the maps, root inside, the boottime offset', () =>
  withBundleRt((c) => {
    c.linux.namespaces.push({ type: 'user' }, { type: 'time' });
    c.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    c.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    c.linux.timeOffsets = { boottime: { secs: 10 * 365 * 86400 } };
    c.process.args = ['/bin/sh', '-c', 'cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups; id -u; id -g; readlink /proc/self/ns/user; readlink /proc/self/ns/time; cut -d" " -f1 /proc/uptime'];
  }, (rt, b) => {
    chownTree(b.rootfs, 100000);
    const lines = runOk(rt, b, ID('userns')).trim().split('\n').map((l) => l.trim().replace(/\s+/g, ' '));
    assert.equal(lines.slice(0, 5), ['0 100000 65536', '0 100000 65536', 'allow', '0', '0']);
    assert.is.not(lines[5], hostNs('user'));
    assert.is.not(lines[6], hostNs('time'));
    assert.ok(Number(lines[7]) > 9 * 365 * 86400, `boottime ${lines[7]} carries the offset`);
  }));

test('ids, groups, umask, cwd created inside the rootfs, hostname, HOME from /etc/passwd', () =>
  withBundleRt((c) => {
    c.process.user = { uid: 1000, gid: 1000, additionalGids: [10, 20], umask: 0o27 };
    c.process.cwd = '/home/u/work';
    c.hostname = 'proc-test';
    c.process.args = ['/bin/sh', '-c', 'id -u; id -g; grep ^Groups: /proc/self/status; umask; pwd; hostname; echo "$HOME"; stat -c "%u %a" /home/u/work'];
  }, (rt, b) => {
    fs.appendFileSync(path.join(b.rootfs, 'etc/passwd'), 'u:x:1000:1000::/home/u:/bin/sh\n');
    const out = runOk(rt, b, ID('ids')).trim().split('\n');
    assert.equal(out.map((l) => l.trim()), ['1000', '1000', 'Groups:\t10 20', '0027', '/home/u/work', 'proc-test', '/home/u', '0 755']);
  }));

test('capabilities: the five sets exactly, for root and for a user with ambient ones', () =>
  withBundleRt((c) => (c.process.args = ['/bin/grep', '^Cap', '/proc/self/status']), (rt, b) => {
    const root = runOk(rt, b, ID('caps0'));
    assert.is(statusField(root, 'CapInh'), '0000000000000000');
    assert.is(statusField(root, 'CapPrm'), '0000000020000420');
    assert.is(statusField(root, 'CapEff'), '0000000020000420');
    assert.is(statusField(root, 'CapBnd'), '0000000020000420');
    assert.is(statusField(root, 'CapAmb'), '0000000000000000');
    b.config.process.user = { uid: 1000, gid: 1000 };
    b.config.process.capabilities = {
      bounding: ['CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_CHOWN'],
      effective: ['CAP_NET_BIND_SERVICE'],
      permitted: ['CAP_NET_BIND_SERVICE', 'CAP_KILL'],
      inheritable: ['CAP_NET_BIND_SERVICE'],
      ambient: ['CAP_NET_BIND_SERVICE'],
    };
    b.write();
    const user = runOk(rt, b, ID('caps1'));
    // A non-root execve keeps only the ambient set in permitted and effective.
    assert.is(statusField(user, 'CapInh'), '0000000000000400');
    assert.is(statusField(user, 'CapPrm'), '0000000000000400');
    assert.is(statusField(user, 'CapEff'), '0000000000000400');
    assert.is(statusField(user, 'CapBnd'), '0000000000000421');
    assert.is(statusField(user, 'CapAmb'), '0000000000000400');
  }));

test('rlimits: the config\'s; without NOFILE, the caller\'s (not the one Node raised)', () =>
  withBundleRt((c) => {
    c.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 1024, hard: 1024 }, { type: 'RLIMIT_NPROC', soft: 100, hard: 200 }];
    c.process.args = ['/bin/sh', '-c', 'ulimit -n; ulimit -Hn; ulimit -u; ulimit -Hu'];
  }, (rt, b) => {
    assert.equal(runOk(rt, b, ID('rl0')).trim().split('\n'), ['1024', '1024', '100', '200']);
    b.config.process.rlimits = [];
    b.write();
    const hard = spawnSync('/bin/sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).stdout.trim();
    const r = spawnSync('/bin/sh', ['-c', 'ulimit -Sn 777; exec "$0" "$@"', OCIRT, '--root', rt.root, 'run', '--bundle', b.dir, ID('rl1')], { encoding: 'utf8' });
    assert.is(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim().split('\n').slice(0, 2), ['777', hard]);
  }));

test('no_new_privs, oom_score_adj, seccomp mode, signal dispositions reset', () =>
  withBundleRt((c) => {
    c.process.oomScoreAdj = 500;
    c.process.args = ['/bin/sh', '-c', 'cat /proc/self/oom_score_adj; exec grep -E "^(NoNewPrivs|Seccomp|SigIgn|SigBlk):" /proc/self/status'];
  }, (rt, b) => {
    let out = runOk(rt, b, ID('misc0'));
    assert.is(out.split('\n')[0], '500');
    assert.is(statusField(out, 'NoNewPrivs'), '1');
    assert.is(statusField(out, 'Seccomp'), '0');
    // Node ignores SIGPIPE and SIGXFSZ; the container must not inherit that.
    assert.is(statusField(out, 'SigIgn'), '0000000000000000');
    assert.is(statusField(out, 'SigBlk'), '0000000000000000');
    b.config.process.noNewPrivileges = false;
    b.config.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }] };
    b.config.process.args = ['/bin/sh', '-c', 'mkdir /tmp/x 2>&1; exec grep -E "^(NoNewPrivs|Seccomp):" /proc/self/status'];
    b.write();
    out = runOk(rt, b, ID('misc1'));
    assert.match(out, /Operation not permitted/);
    assert.is(statusField(out, 'NoNewPrivs'), '0', 'loaded while privileged, without no_new_privs');
    assert.is(statusField(out, 'Seccomp'), '2');
    assert.not.ok(fs.existsSync(path.join(b.rootfs, 'tmp/x')));
  }));

test('only stdio reaches the process', () =>
  withBundleRt((c) => (c.process.args = ['/bin/ls', '/proc/self/fd']), (rt, b) => {
    // ls's own directory fd is 3.
    assert.equal(runOk(rt, b, ID('fds')).trim().split('\n'), ['0', '1', '2', '3']);
  }));

test('run exits with the process\'s code, or 128+signal when the init is killed', () =>
  withBundleRt((c) => (c.process.args = ['/bin/sh', '-c', 'exit 3']), async (rt, b) => {
    assert.is(rt.run(['run', '--bundle', b.dir, ID('exit3')]).status, 3);
    b.config.process.args = ['/bin/sleep', '1000'];
    b.write();
    const id = ID('killed');
    const p = spawn(OCIRT, ['--root', rt.root, 'run', '--bundle', b.dir, id], { stdio: 'ignore' });
    const done = new Promise<number | null>((resolve) => p.on('exit', (code) => resolve(code)));
    assert.ok(waitFor(() => rt.run(['state', id]).stdout.includes('"running"'), 20_000), 'the container runs');
    rt.ok(['kill', id, 'KILL']);
    assert.is(await done, 137);
  }));

test('args[0] is checked at create with runc\'s phrases, and nothing is left behind', () =>
  withBundleRt((c) => (c.process.args = ['nosuchprogram']), (rt, b) => {
    fs.writeFileSync(path.join(b.rootfs, 'bin/notexec'), '#!/bin/sh\n', { mode: 0o644 });
    const cases: Array<[string, RegExp]> = [
      ['nosuchprogram', /exec: "nosuchprogram": executable file not found in \$PATH/],
      ['notexec', /exec: "notexec": executable file not found in \$PATH/],
      ['/no/such/file', /exec: "\/no\/such\/file": stat \/no\/such\/file: no such file or directory/],
      ['/tmp', /exec: "\/tmp": is a directory/],
      ['/bin/notexec', /exec: "\/bin\/notexec": permission denied/],
    ];
    const id = ID('noexec');
    for (const [arg, re] of cases) {
      b.config.process.args = [arg];
      b.write();
      const r = rt.run(['create', '--bundle', b.dir, id]);
      assert.is(r.status, 1, arg);
      assert.match(r.stderr, re);
      assertNothingLeft(rt, id, b);
    }
    // Found through PATH: create succeeds.
    b.config.process.args = ['true'];
    b.write();
    rt.ok(['create', '--bundle', b.dir, id]);
    rt.ok(['delete', id]);
    assertNothingLeft(rt, id, b);
  }));

test('a failing op names its step and its place in config.json', () =>
  withBundleRt((c) => {
    c.linux.namespaces.push({ type: 'user' });
    c.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    c.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    c.process.user = { uid: 70000, gid: 0 };
  }, (rt, b) => {
    chownTree(b.rootfs, 100000);
    const id = ID('badop');
    const r = rt.run(['create', '--bundle', b.dir, id]);
    assert.is(r.status, 1);
    assert.match(r.stderr, /setresuid 70000 \(config\.json \/process\/user\): setresuid: invalid argument/);
    assertNothingLeft(rt, id, b);
  }));

test('cwd stays inside the rootfs: symlinks resolve in it, magic links are refused (CVE-2024-21626)', () =>
  withBundleRt((c) => {
    c.process.cwd = '/escape/tmp';
    c.process.args = ['/bin/pwd', '-P'];
  }, (rt, b) => {
    fs.symlinkSync('../../../../../../../..', path.join(b.rootfs, 'escape'));
    assert.is(runOk(rt, b, ID('cwd0')).trim(), '/tmp');
    b.config.process.cwd = '/proc/self/cwd';
    b.write();
    const id = ID('cwd1');
    const r = rt.run(['create', '--bundle', b.dir, id]);
    assert.is(r.status, 1);
    assert.match(r.stderr, /chdir to cwd \("\/proc\/self\/cwd"\) set in config\.json failed: too many levels of symbolic links/);
    assertNothingLeft(rt, id, b);
  }));

test('joining another container\'s pid and network namespaces', () =>
  withBundleRt((c) => (c.process.args = ['/bin/sleep', '1000']), (rt, a) => {
    const ida = ID('joina');
    rt.ok(['run', '-d', '--bundle', a.dir, ida], { stdio: ['ignore', 'ignore', 'pipe'] });
    const pid = rt.state(ida).pid;
    const b = makeBundle((c) => {
      c.linux.namespaces = [{ type: 'pid', path: `/proc/${pid}/ns/pid` }, { type: 'network', path: `/proc/${pid}/ns/net` }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }];
      c.process.args = ['/bin/sh', '-c', 'readlink /proc/self/ns/pid; readlink /proc/self/ns/net; readlink /proc/self/ns/ipc; ps -o pid,comm'];
    });
    try {
      const out = runOk(rt, b, ID('joinb')).trim().split('\n');
      assert.is(out[0], fs.readlinkSync(`/proc/${pid}/ns/pid`));
      assert.is(out[1], fs.readlinkSync(`/proc/${pid}/ns/net`));
      assert.is.not(out[2], fs.readlinkSync(`/proc/${pid}/ns/ipc`), 'a new ipc namespace');
      assert.match(out.slice(3).join('\n'), /^\s*1 sleep$/m, 'it sees the other init as pid 1');
    } finally {
      b.cleanup();
    }
  }));

test('createContainer hooks run in the container\'s namespaces; startContainer in the container', () =>
  withBundleRt((c, { dir }) => {
    const out = path.join(dir || '/nonexistent', 'hook.out');
    c.hooks = {
      createContainer: [{ path: '/bin/sh', args: ['sh', '-c', `read -r s; for n in net uts pid; do readlink /proc/self/ns/$n; done > ${out}; echo "$s" >> ${out}`] }],
      startContainer: [{ path: '/bin/sh', args: ['sh', '-c', 'read -r s; echo "$s" > /tmp/start.out'] }],
    };
    c.process.args = ['/bin/sh', '-c', 'for n in net uts pid; do readlink /proc/self/ns/$n; done; cat /tmp/start.out'];
  }, (rt, b) => {
    const id = ID('hooks');
    const inside = runOk(rt, b, id).trim().split('\n');
    const hook = fs.readFileSync(path.join(b.dir, 'hook.out'), 'utf8').trim().split('\n');
    assert.equal(hook.slice(0, 3), inside.slice(0, 3), 'the hook saw the container\'s namespaces');
    assert.is(JSON.parse(hook[3]).id, id, 'the state on its stdin');
    assert.is(JSON.parse(inside[3]).id, id, 'startContainer ran in the container with the state');
  }));

test('a createContainer hook past its timeout is killed and fails the create, leaving nothing', () =>
  withBundleRt((c) => {
    c.hooks = { createContainer: [{ path: '/bin/sleep', args: ['sleep', '600'], timeout: 1 }] };
  }, (rt, b) => {
    const id = ID('hooktmo');
    const r = rt.run(['create', '--bundle', b.dir, id]);
    assert.is(r.status, 1);
    assert.match(r.stderr, /createContainer hook \/bin\/sleep \(config\.json \/hooks\/createContainer\/0\): hook ran past specified timeout of 1\.0s/);
    assertNothingLeft(rt, id, b);
    assert.not.ok(spawnSync('pgrep', ['-f', 'sleep 600']).stdout.length, 'the hook was killed');
  }));

test('terminal: the pty master goes to the console socket; the slave is stdio and /dev/console', async () => {
  const recv = consoleReceiver();
  const sock = recv.sock;
  try {
    await withBundleRt((c) => {
      c.process.terminal = true;
      c.process.consoleSize = { height: 33, width: 101 };
      // What podman sends: deny every device, and count on the runtime's defaults for ptmx.
      c.linux.resources = { devices: [{ allow: false, access: 'rwm' }] };
      c.process.args = ['/bin/sh', '-c', 'tty; stty size; stat -c "%t:%T" /dev/console; readlink /proc/self/fd/0'];
    }, async (rt, b) => {
      const id = ID('tty');
      rt.ok(['create', '--console-socket', sock, '--bundle', b.dir, id]);
      rt.ok(['start', id]);
      await recv.ended;
      const lines = recv.output().replace(/\r/g, '').trim().split('\n');
      assert.is(lines[0], 'fds 1', 'one fd came with the message');
      assert.equal(lines.slice(1), ['/dev/pts/0', '33 101', '88:0', '/dev/pts/0']);
    });
  } finally {
    recv.close();
  }
});


test('scheduler, I/O priority and personality reach the process', () =>
  withBundleRt((c) => {
    c.process.scheduler = { policy: 'SCHED_BATCH', nice: 5 };
    c.process.ioPriority = { class: 'IOPRIO_CLASS_BE', priority: 6 };
    c.linux.personality = { domain: 'LINUX32' };
    c.process.args = ['/bin/sh', '-c', 'cat /proc/self/stat; ionice -p $$; uname -m'];
  }, (rt, b) => {
    const [stat, io, machine] = runOk(rt, b, ID('sched')).trim().split('\n');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    assert.is(f[16], '5', 'nice');
    assert.is(f[38], '3', 'SCHED_BATCH');
    assert.match(io, /best-effort: prio 6/);
    assert.match(machine, /^i[3-6]86$/);
  }));

test('the init is in every hierarchy of its cgroup before any op runs: born into cgroup2, moved by itself into v1', async () => {
  const cg = cgroupForCreate(ID('into'), `/ocirt-test/${ID('into')}`, false);
  const b = makeBundle((c) => (c.process.args = ['/bin/true']));
  const state = fs.mkdtempSync(path.join(os.tmpdir(), 'ocirt-into-'));
  let pid = 0;
  try {
    cg.create();
    const fifo = path.join(state, 'exec.fifo');
    assert.is(native().mkfifo(fifo, 0o600), 0);
    const seen: string[] = [];
    const placement = cg.placement({ selfMove: true });
    assert.is(placement.selfTaskFds.length, cg.version === 1 ? new Set(Object.entries(cg.dirs).filter(([k]) => k !== 'unified').map(([, d]) => d)).size : 0);
    let born: boolean | undefined;
    const finish = placement.finish;
    placement.finish = (p, intoCgroup) => {
      born = intoCgroup;
      finish(p, intoCgroup);
    };
    const plan = buildPlan(b.config, { bundle: b.dir, noPivot: false });
    pid = spawnInit({
      plan,
      execFifo: fifo,
      cgroup: { path: cg.path, placement },
      onSync(ev) {
        seen.push(ev.type);
        if (ev.type !== 'namespaces-ready') return;
        for (const d of new Set(Object.values(cg.dirs))) {
          assert.ok(fs.readFileSync(path.join(d, 'cgroup.procs'), 'utf8').split('\n').includes(String(ev.pid)), `in ${d} at namespaces-ready`);
        }
      },
    }).pid;
    assert.equal(seen, ['namespaces-ready']);
    assert.is(born, cg.dirs.unified !== undefined, 'clone3 took the cgroup2 directory');
    assert.ok(pidAlive(pid), 'parked on exec.fifo');
  } finally {
    if (pid > 0) {
      process.kill(pid, 'SIGKILL');
      await native().waitPidAsync(pid);
    }
    cg.destroy();
    fs.rmSync(state, { recursive: true, force: true });
    b.cleanup();
  }
});

test('a failed move into its cgroup ends the child with a pointer to /linux/cgroupsPath', () => {
  const b = makeBundle((c) => (c.process.args = ['/bin/true']));
  const state = fs.mkdtempSync(path.join(os.tmpdir(), 'ocirt-into-'));
  // /dev/full refuses every write (ENOSPC), as a cgroup file refuses a task it cannot take.
  const full = fs.openSync('/dev/full', 'w');
  let closed = false;
  try {
    const fifo = path.join(state, 'exec.fifo');
    assert.is(native().mkfifo(fifo, 0o600), 0);
    const plan = buildPlan(b.config, { bundle: b.dir, noPivot: false });
    const placement = { selfTaskFds: [full], finish() {}, close: () => void (closed = true) };
    let synced = false;
    assert.throws(
      () => spawnInit({ plan, execFifo: fifo, cgroup: { path: '/ocirt-test/x', placement }, onSync: () => void (synced = true) }),
      (e: Error) => e.message === 'enter cgroup /ocirt-test/x (config.json /linux/cgroupsPath): write 0 to tasks: no space left on device',
    );
    assert.not.ok(synced, 'no op ran');
    assert.ok(closed, 'the placement was closed');
  } finally {
    fs.closeSync(full);
    fs.rmSync(state, { recursive: true, force: true });
    b.cleanup();
  }
});
;

test('an onSync handler that throws aborts the create: the child is killed and reaped', async () => {
  const b = makeBundle((c) => (c.process.args = ['/bin/true']));
  const state = fs.mkdtempSync(path.join(os.tmpdir(), 'ocirt-abort-'));
  let pid = 0;
  try {
    const fifo = path.join(state, 'exec.fifo');
    assert.is(native().mkfifo(fifo, 0o600), 0);
    const plan = buildPlan(b.config, { bundle: b.dir, noPivot: false });
    assert.throws(() => spawnInit({
      plan,
      execFifo: fifo,
      onSync(ev) {
        pid = ev.pid;
        throw new Error('hook failed');
      },
    }), /hook failed/);
    assert.ok(pid > 0);
    assert.not.ok(fs.existsSync(`/proc/${pid}`), 'killed and reaped, not a zombie');
    assert.equal(mountsUnder(b.dir), []);
  } finally {
    fs.rmSync(state, { recursive: true, force: true });
    b.cleanup();
  }
});

test('a config that denies every device still gets the default devices, and nothing else', () =>
  withBundleRt((c) => {
    c.linux.resources = { devices: [{ allow: false, access: 'rwm' }] };
    for (const set of ['bounding', 'effective', 'permitted']) c.process.capabilities[set].push('CAP_MKNOD');
    c.process.args = ['/bin/sh', '-c', 'echo x > /dev/null && echo null-ok; head -c 3 /dev/zero | wc -c; mknod /tmp/sda b 8 0 && head -c 1 /tmp/sda 2>&1 | grep -o "not permitted"'];
  }, (rt, b) => {
    const out = runOk(rt, b, ID('dev'));
    assert.equal(out.trim().split('\n').map((l) => l.trim()), ['null-ok', '3', 'not permitted']);
  }));

test('run relays the terminal and the container follows its size', () =>
  withBundleRt((c) => {
    c.process.terminal = true;
    c.process.args = ['/bin/sh', '-c', 'stty size; sleep 1.5; stty size'];
  }, (rt, b) => {
    // ocirt on a pty of its own, 30x100; after 0.7 s that pty becomes 40x120 (which sends
    // ocirt SIGWINCH), and the container's pty must follow.
    const harness = `
import fcntl, os, pty, struct, sys, termios, time
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', 30, 100, 0, 0))
out = b''
start = time.time()
resized = False
while True:
    if not resized and time.time() - start > 0.7:
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', 40, 120, 0, 0))
        resized = True
    try:
        import select
        r, _, _ = select.select([fd], [], [], 0.1)
        if r:
            d = os.read(fd, 4096)
            if not d: break
            out += d
    except OSError:
        break
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors='replace'))
sys.exit(os.waitstatus_to_exitcode(status))
`;
    const r = spawnSync('/usr/bin/python3', ['-c', harness, OCIRT, '--root', rt.root, 'run', '--bundle', b.dir, ID('winsz')], { encoding: 'utf8', timeout: 30_000 });
    assert.is(r.status, 0, r.stdout + r.stderr);
    const sizes = r.stdout.replace(/\r/g, '').split('\n').map((l) => l.trim()).filter((l) => /^\d+ \d+$/.test(l));
    assert.equal(sizes, ['30 100', '40 120']);
  }));

test.run();

void REPO;

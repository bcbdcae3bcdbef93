/**
 * ocirt exec in real containers, through the CLI: the exec'd process shares the init's
 * namespaces (hostname, pid, mount, user), cgroup and seccomp filter; the flags shape it; exit
 * codes pass through; --detach leaves it running in the container; the states and a missing
 * program give runc's phrases; and nothing is left after delete.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { consoleReceiver } from '../helpers/console';
import { makeBundle, Bundle, mountsUnder } from '../helpers/bundle';
import { Runtime, withRuntime, pidAlive, waitFor, OCIRT, cgroupDirsOf } from '../helpers/cli';

// Container ids are global on the host (cgroup paths): ours start with ex- and carry our pid.
const ID = (s: string) => `ex-${s}-${process.pid}`;


/** The pids in the container's cgroup (every exec'd process is there). */
function pidsOf(rt: Runtime, id: string): number[] {
  return JSON.parse(rt.ok(['ps', '--format', 'json', id]).stdout);
}

/** delete --force, then: no state dir, no cgroup, no mount, none of `pids` alive. */
function deleteAndCheck(rt: Runtime, id: string, b: Bundle, pids: number[]): void {
  rt.ok(['delete', '--force', id]);
  assert.not.ok(fs.existsSync(path.join(rt.root, id)), 'state dir left');
  assert.equal(cgroupDirsOf(id), [], 'cgroup left');
  assert.equal(mountsUnder(b.dir), [], 'mounts left');
  for (const pid of pids) assert.ok(waitFor(() => !pidAlive(pid), 5000), `process ${pid} is left`);
}

/**
 * A running container whose init sleeps, with a file only its rootfs has; `fn` gets the runtime,
 * the bundle, the id and the init's pid. Afterwards delete must leave nothing, not even the
 * processes exec'd into it.
 */
async function withContainer(
  name: string,
  mutate: ((c: any) => void) | undefined,
  fn: (rt: Runtime, b: Bundle, id: string, init: number) => void | Promise<void>,
  prepare?: (b: Bundle) => void,
): Promise<void> {
  const b = makeBundle((c) => {
    mutate?.(c);
    c.process.args = ['/bin/sleep', '1000'];
  });
  fs.writeFileSync(path.join(b.rootfs, 'only-in-rootfs'), 'here\n');
  try {
    prepare?.(b);
    await withRuntime(async (rt) => {
      const id = ID(name);
      rt.ok(['run', '--detach', '--bundle', b.dir, id], { stdio: ['ignore', 'ignore', 'pipe'] });
      const init = rt.state(id).pid as number;
      await fn(rt, b, id, init);
      const st = rt.state(id).status;
      deleteAndCheck(rt, id, b, st === 'stopped' ? [] : [init, ...pidsOf(rt, id)]);
    });
  } finally {
    b.cleanup();
  }
}

/** exec, insisting on exit 0; returns stdout. */
function execOk(rt: Runtime, args: string[]): string {
  const r = rt.run(['exec', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  assert.is(r.status, 0, `exec ${args.join(' ')} exited ${r.status ?? r.signal}: ${r.stderr}`);
  return r.stdout;
}

function statusField(text: string, name: string): string {
  const m = new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(text);
  return m ? m[1].trim() : '';
}

const readNs = (pid: number | string, n: string) => fs.readlinkSync(`/proc/${pid}/ns/${n}`);

test('the exec\'d process is in the container: hostname, pid and mount namespaces, cgroup', () =>
  withContainer('ns', undefined, (rt, b, id, init) => {
    const out = execOk(rt, [id, '/bin/sh', '-c', 'hostname; cat /only-in-rootfs; ps -o pid,args; echo ---; cat /proc/self/cgroup; echo ---; cat /proc/1/cgroup; echo ---; for n in pid net ipc uts mnt cgroup; do echo $n $(readlink /proc/self/ns/$n) $(readlink /proc/1/ns/$n); done']);
    const [head, self, initCg, ns] = out.split('---\n');
    const lines = head.trim().split('\n');
    assert.is(lines[0], 'ocirt-test');
    assert.is(lines[1], 'here', 'the rootfs is the root');
    assert.match(lines.find((l) => /^\s*1\s/.test(l)) ?? '', /sleep 1000/, 'the init is pid 1');
    assert.is(self, initCg, '/proc/self/cgroup equals the init\'s');
    for (const l of ns.trim().split('\n')) {
      const [n, mine, its] = l.split(' ');
      assert.is(mine, its, `${n} namespace`);
      assert.is(mine, readNs(init, n === 'pid' ? 'pid' : n), `${n} is the init's, seen from the host`);
    }
  }));

test('exit codes pass through: exit 7 is 7, a signal n is 128+n', () =>
  withContainer('code', undefined, (rt, _b, id) => {
    assert.is(rt.run(['exec', id, '/bin/sh', '-c', 'exit 7']).status, 7);
    assert.is(rt.run(['exec', id, '/bin/sh', '-c', 'kill -KILL $$']).status, 128 + 9);
    assert.is(rt.run(['exec', id, '/bin/sh', '-c', 'kill -TERM $$']).status, 128 + 15);
  }));

test('exec takes the config create checked, not the bundle as it is now (changed, or broken)', () =>
  withContainer('saved', (c) => (c.process.env = ['PATH=/bin', 'WHICH=at-create']), (rt, b, id) => {
    const file = path.join(b.dir, 'config.json');
    const config = JSON.parse(fs.readFileSync(file, 'utf8'));
    config.process.env = ['PATH=/bin', 'WHICH=changed-since'];
    fs.writeFileSync(file, JSON.stringify(config));
    assert.is(execOk(rt, [id, '/bin/sh', '-c', 'echo $WHICH']).trim(), 'at-create');
    fs.writeFileSync(file, '{ not json');
    assert.is(execOk(rt, [id, '/bin/sh', '-c', 'echo $WHICH']).trim(), 'at-create');
  }));

test('--env, --cwd, --user, --additional-gids, and the stdio of ocirt', () =>
  withContainer('flags', undefined, (rt, _b, id) => {
    const out = execOk(rt, ['--env', 'FOO=bar', '-e', 'TERM=dumb', '--cwd=/tmp', '-u', '1000:1000', '-g', '10', '--additional-gids=20', id, '--', '/bin/sh', '-c', 'echo $FOO $TERM; pwd; id -u; id -g; grep ^Groups: /proc/self/status; echo err >&2']);
    assert.equal(out.trim().split('\n').map((l) => l.trim()), ['bar dumb', '/tmp', '1000', '1000', 'Groups:\t10 20']);
    const r = rt.run(['exec', id, '/bin/sh', '-c', 'read x; echo got $x; echo oops >&2'], { input: 'line\n', stdio: ['pipe', 'pipe', 'pipe'] });
    assert.is(r.stdout, 'got line\n');
    assert.is(r.stderr, 'oops\n');
  }));

test('--process: a runtime-spec process JSON; bad JSON and empty args are named in the file', () =>
  withContainer('process', undefined, (rt, b, id) => {
    const file = path.join(b.dir, 'process.json');
    fs.writeFileSync(file, JSON.stringify({ args: ['/bin/sh', '-c', 'echo $X; pwd; id -u'], env: ['PATH=/bin', 'X=from-json'], cwd: '/bin', user: { uid: 65534, gid: 65534 } }));
    assert.equal(execOk(rt, ['--process', file, id]).trim().split('\n'), ['from-json', '/bin', '65534']);
    fs.writeFileSync(file, '{"args": ["/bin/true",}');
    let r = rt.run(['exec', '-p', file, id]);
    assert.is(r.status, 255);
    assert.match(r.stderr, new RegExp(`${file.replace(/[.]/g, '\\.')}:1:\\d+: `));
    fs.writeFileSync(file, JSON.stringify({ args: [], cwd: '/' }));
    r = rt.run(['exec', `--process=${file}`, id]);
    assert.is(r.status, 255);
    assert.match(r.stderr, /process\.json:1:\d+ \/args: /);
    // The rules beyond the schema (semantic.ts) hold for a process file as for config.json.
    fs.writeFileSync(file, JSON.stringify({ args: ['/bin/true'], cwd: '/', rlimits: [{ type: 'RLIMIT_NOFILE', soft: 10, hard: 5 }] }));
    r = rt.run(['exec', '-p', file, id]);
    assert.is(r.status, 255);
    assert.match(r.stderr, /process\.json:1:\d+ \/rlimits\/0: soft limit 10 is above hard limit 5/);
    r = rt.run(['exec', '--cwd', 'tmp', id, '/bin/true']);
    assert.is(r.status, 255);
    assert.match(r.stderr, /--cwd "tmp": must be an absolute path/);
    // What the plan or the child refuses is placed in the process file too, not in config.json
    // (here an AppArmor profile: refused by the plan on a host without AppArmor, by the child on one with it).
    fs.writeFileSync(file, JSON.stringify({ args: ['/bin/true'], cwd: '/', apparmorProfile: 'ocirt-no-such-profile' }));
    r = rt.run(['exec', '--process', file, id]);
    assert.is(r.status, 255);
    assert.ok(r.stderr.includes(`(${file} /apparmorProfile)`), r.stderr);
  }));

test('--detach with --pid-file: the process runs on in the container\'s cgroup and namespaces', () =>
  withContainer('detach', undefined, (rt, b, id, init) => {
    const pidFile = path.join(b.dir, 'exec.pid');
    rt.ok(['exec', '--detach', '--pid-file', pidFile, id, '/bin/sleep', '999'], { stdio: ['ignore', 'ignore', 'pipe'] });
    const text = fs.readFileSync(pidFile, 'utf8');
    assert.match(text, /^\d+$/, 'decimal, no newline');
    const pid = Number(text);
    assert.ok(pidAlive(pid), 'alive after ocirt exited');
    assert.is(fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8'), fs.readFileSync(`/proc/${init}/cgroup`, 'utf8'));
    assert.is(readNs(pid, 'pid'), readNs(init, 'pid'));
    assert.equal(statusField(fs.readFileSync(`/proc/${pid}/status`, 'utf8'), 'NSpid').split(/\s+/).length, 2, 'two pid levels: host and container');
    assert.ok(pidsOf(rt, id).includes(pid), 'ps lists it');
  }));

test('a stopped container, an unknown id: runc\'s phrases', () =>
  withContainer('stopped', undefined, (rt, _b, id, init) => {
    rt.ok(['kill', id, 'KILL']);
    assert.ok(waitFor(() => rt.state(id).status === 'stopped'), 'the init did not stop');
    assert.not.ok(pidAlive(init));
    const r = rt.run(['exec', id, '/bin/true']);
    assert.is(r.status, 255);
    assert.match(r.stderr, /cannot exec in a stopped container/);
    const u = rt.run(['exec', 'ex-nosuch', '/bin/true']);
    assert.is(u.status, 255);
    assert.match(u.stderr, /container "ex-nosuch" does not exist/);
  }));

test('paused: refused without --ignore-paused; with it the process runs once resumed', () =>
  withContainer('paused', undefined, async (rt, b, id) => {
    rt.ok(['pause', id]);
    const r = rt.run(['exec', id, '/bin/true']);
    assert.is(r.status, 255);
    assert.match(r.stderr, /cannot exec in a paused container/);
    const out = path.join(b.dir, 'paused.out');
    const fd = fs.openSync(out, 'w');
    const child = spawn(OCIRT, ['--root', rt.root, 'exec', '--ignore-paused', id, '/bin/echo', 'after-resume'], { stdio: ['ignore', fd, fd] });
    fs.closeSync(fd);
    const done = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await new Promise((r) => setTimeout(r, 500));
    assert.is(fs.readFileSync(out, 'utf8'), '', 'nothing runs in a frozen cgroup');
    rt.ok(['resume', id]);
    assert.is(await done, 0);
    assert.is(fs.readFileSync(out, 'utf8'), 'after-resume\n');
  }));

test('a missing program: runc\'s phrase, exit 255, nothing left in the container', () =>
  withContainer('missing', undefined, (rt, _b, id) => {
    const before = pidsOf(rt, id);
    const r = rt.run(['exec', id, 'nosuchprog']);
    assert.is(r.status, 255);
    assert.match(r.stderr, /exec: "nosuchprog": executable file not found in \$PATH/);
    const r2 = rt.run(['exec', '--cwd', '/nonexistent', id, '/bin/true']);
    assert.is(r2.status, 255);
    assert.match(r2.stderr, /chdir to cwd \("\/nonexistent"\) set in config.json failed: no such file or directory/);
    assert.equal(pidsOf(rt, id), before, 'no process of the failed execs is left');
  }));

test('--cap adds a capability to the container\'s; the process gets the container\'s seccomp filter', () =>
  withContainer('caps', (c) => {
    c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }] };
  }, (rt, b, id) => {
    const plain = execOk(rt, [id, '/bin/grep', '^Cap', '/proc/self/status']);
    assert.is(statusField(plain, 'CapEff'), '0000000020000420', 'the config\'s three');
    const more = execOk(rt, ['--cap', 'CAP_SYS_ADMIN', id, '/bin/grep', '^Cap', '/proc/self/status']);
    assert.is(statusField(more, 'CapEff'), '0000000020200420', 'plus CAP_SYS_ADMIN (bit 21)');
    assert.is(statusField(more, 'CapBnd'), '0000000020200420');
    const sc = execOk(rt, [id, '/bin/sh', '-c', 'grep ^Seccomp /proc/self/status; mkdir /tmp/d; echo rc=$?; grep ^NoNewPrivs /proc/self/status']);
    assert.is(statusField(sc, 'Seccomp'), '2');
    assert.match(sc, /rc=1/);
    assert.is(statusField(sc, 'NoNewPrivs'), '1');
    assert.not.ok(fs.existsSync(path.join(b.rootfs, 'tmp/d')));
  }));

test('a user namespace: the process joins it and is root inside', () =>
  withContainer('userns', (c) => {
    c.linux.namespaces.push({ type: 'user' });
    c.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    c.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
  }, (rt, _b, id, init) => {
    const out = execOk(rt, [id, '/bin/sh', '-c', 'cat /proc/self/uid_map; id -u; readlink /proc/self/ns/user; cat /only-in-rootfs']).trim().split('\n').map((l) => l.trim().replace(/\s+/g, ' '));
    assert.equal(out, ['0 100000 65536', '0', readNs(init, 'user'), 'here']);
  }, (b) => {
    spawnSync('chown', ['-R', '-h', '100000:100000', b.rootfs]);
    fs.chmodSync(b.dir, 0o755);
  }));

test('--preserve-fds passes fds 3..N+2 and nothing else; LISTEN_FDS is set for the process', () =>
  withContainer('fds', undefined, (rt, b, id) => {
    const file = path.join(b.dir, 'passed');
    fs.writeFileSync(file, 'through fd 3\n');
    const fd = fs.openSync(file, 'r');
    try {
      const r = rt.run(['exec', '--preserve-fds', '1', id, '/bin/sh', '-c', 'cat <&3; exec ls /proc/self/fd'], { stdio: ['ignore', 'pipe', 'pipe', fd] });
      assert.is(r.status, 0, r.stderr);
      const [line, ...fds] = r.stdout.trim().split('\n');
      assert.is(line, 'through fd 3');
      assert.equal(fds.map(Number).sort((x, y) => x - y), [0, 1, 2, 3, 4], 'only stdio, the preserved fd, and ls reading its dir');
      const l = rt.run(['exec', id, '/bin/sh', '-c', 'echo $LISTEN_FDS $LISTEN_PID; cat <&3'], { stdio: ['ignore', 'pipe', 'pipe', fd], env: { ...process.env, LISTEN_FDS: '1', LISTEN_PID: String(process.pid) } });
      assert.is(l.status, 0, `fd 3 is open: ${l.stderr}`);
      assert.is(l.stdout, '1 1\n');
    } finally {
      fs.closeSync(fd);
    }
  }));

test('--tty: the pty master goes to the console socket; without one ocirt relays it', async () => {
  const recv = consoleReceiver();
  const sock = recv.sock;
  try {
    await withContainer('tty', undefined, async (rt, _b, id) => {
      rt.ok(['exec', '--tty', '--detach', '--console-socket', sock, id, '/bin/sh', '-c', 'tty; readlink /proc/self/fd/0; [ -e /dev/console ] && echo console || echo no-console']);
      await recv.ended;
      const lines = recv.output().replace(/\r/g, '').trim().split('\n');
      assert.is(lines[0], 'fds 1', 'one fd came with the message');
      assert.match(lines[1], /^\/dev\/pts\/\d+$/);
      assert.is(lines[2], lines[1]);
      assert.is(lines[3], 'no-console', 'the exec does not bind /dev/console');
      const relayed = rt.run(['exec', '-t', id, '/bin/sh', '-c', 'tty; exit 3'], { stdio: ['ignore', 'pipe', 'pipe'] });
      assert.is(relayed.status, 3, relayed.stderr);
      assert.match(relayed.stdout.replace(/\r/g, ''), /^\/dev\/pts\/\d+\n$/);
      const r = rt.run(['exec', '-t', '-d', id, '/bin/true']);
      assert.is(r.status, 255);
      assert.match(r.stderr, /cannot allocate tty if ocirt will detach without setting console socket/);
    });
  } finally {
    recv.close();
  }
});


test('signals sent to ocirt reach the process', () =>
  withContainer('signal', undefined, async (rt, _b, id) => {
    const child = spawn(OCIRT, ['--root', rt.root, 'exec', id, '/bin/sh', '-c', 'trap "exit 42" TERM; echo ready; while :; do sleep 0.1; done'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const code = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    child.kill('SIGTERM');
    assert.is(await code, 42);
  }));

test.run();

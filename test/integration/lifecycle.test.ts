/**
 * The lifecycle through the real CLI, as engines drive it: create/start/state/kill/delete,
 * run with exit codes, the runc phrases engines match, and what is left on the host after a
 * failure or a crash (nothing).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as os from 'node:os';
import { spawn, spawnSync } from 'node:child_process';
import { makeBundle, Bundle, mountsUnder, withBundleRt } from '../helpers/bundle';
import { Runtime, withRuntime, pidAlive, waitFor, OCIRT, REPO, cgroupDirsOf } from '../helpers/cli';


function assertNothingLeft(rt: Runtime, id: string, b: Bundle, pid?: number): void {
  assert.not.ok(fs.existsSync(path.join(rt.root, id)), 'state dir left');
  assert.equal(cgroupDirsOf(id), [], 'cgroup left');
  assert.equal(mountsUnder(b.dir), [], 'mounts left');
  if (pid) assert.ok(waitFor(() => !pidAlive(pid)), `process ${pid} left`);
}


test('create, start, state, kill, delete', () =>
  withBundleRt((c) => (c.process.args = ['/bin/sleep', '1000']), (rt, b) => {
    const pidFile = path.join(b.dir, 'pid');
    rt.ok(['create', '--bundle', b.dir, '--pid-file', pidFile, 'c1']);
    const st = rt.state('c1');
    assert.is(st.status, 'created');
    assert.is(st.id, 'c1');
    assert.is(st.bundle, b.dir);
    assert.ok(st.pid > 0 && pidAlive(st.pid));
    assert.is(fs.readFileSync(pidFile, 'utf8'), String(st.pid), 'pid file: decimal pid, no newline');
    assert.match(st.created, /\.\d{9}Z$/);
    rt.ok(['start', 'c1']);
    assert.is(rt.state('c1').status, 'running');
    assert.match(fs.readFileSync(`/proc/${st.pid}/cmdline`, 'utf8'), /sleep/);
    assert.match(rt.run(['start', 'c1']).stderr, /cannot start an already running container/);
    const list = JSON.parse(rt.ok(['list', '--format', 'json']).stdout);
    assert.is(list.length, 1);
    assert.is(list[0].status, 'running');
    assert.match(rt.run(['delete', 'c1']).stderr, /is not stopped: running/);
    rt.ok(['kill', 'c1', 'KILL']);
    assert.ok(waitFor(() => rt.state('c1').status === 'stopped'));
    assert.is(rt.state('c1').pid, 0);
    assert.match(rt.run(['kill', 'c1']).stderr, /container not running/);
    rt.ok(['delete', 'c1']);
    assert.match(rt.run(['state', 'c1']).stderr, /container "c1" does not exist/);
    assertNothingLeft(rt, 'c1', b, st.pid);
  }));

test('unknown ids give the runc phrase; delete --force of one succeeds', () =>
  withRuntime((rt) => {
    for (const cmd of [['state'], ['start'], ['kill'], ['delete']]) {
      const r = rt.run([...cmd, 'nosuch']);
      assert.is(r.status, 1);
      assert.match(r.stderr, /container "nosuch" does not exist/);
    }
    assert.is(rt.run(['delete', '--force', 'nosuch']).status, 0);
  }));

test('run waits and exits with the code of the process, or 128+signal', () =>
  withBundleRt((c) => (c.process.args = ['/bin/sh', '-c', 'echo out; echo err >&2; exit 3']), (rt, b) => {
    const r = rt.run(['run', '--bundle', b.dir, 'r1']);
    assert.is(r.status, 3);
    assert.is(r.stdout, 'out\n');
    assert.match(r.stderr, /err/);
    assert.equal(rt.ids(), [], 'run removes the container');
    // An init of a new pid namespace ignores SIGKILL from inside it, so this one shares ours.
    b.config.process.args = ['/bin/sh', '-c', 'kill -9 $$'];
    b.config.linux.namespaces = b.config.linux.namespaces.filter((n: any) => n.type !== 'pid');
    b.write();
    assert.is(rt.run(['run', '--bundle', b.dir, 'r2']).status, 137);
    assertNothingLeft(rt, 'r2', b);
  }));

test('run --detach returns at once and leaves a running container', () =>
  withBundleRt((c) => (c.process.args = ['/bin/sleep', '1000']), (rt, b) => {
    rt.ok(['run', '-d', '--bundle', b.dir, 'd1'], { stdio: ['ignore', 'ignore', 'pipe'] });
    const st = rt.state('d1');
    assert.is(st.status, 'running');
    rt.ok(['delete', '--force', 'd1']);
    assertNothingLeft(rt, 'd1', b, st.pid);
  }));

test('delete of a created container kills it (containerd relies on this)', () =>
  withBundleRt((c) => (c.process.args = ['/bin/true']), (rt, b) => {
    rt.ok(['create', '--bundle', b.dir, 'k1']);
    const pid = rt.state('k1').pid;
    rt.ok(['delete', 'k1']);
    assertNothingLeft(rt, 'k1', b, pid);
  }));

test('a missing args[0] fails at create with the phrase podman maps to 127', () =>
  withBundleRt((c) => (c.process.args = ['nosuchprogram']), (rt, b) => {
    const r = rt.run(['create', '--bundle', b.dir, 'm1']);
    assert.is(r.status, 1);
    assert.match(r.stderr, /executable file not found in \$PATH/);
    b.config.process.args = ['/no/such/file'];
    b.write();
    assert.match(rt.run(['create', '--bundle', b.dir, 'm1']).stderr, /no such file or directory/);
    assertNothingLeft(rt, 'm1', b);
  }));

test('two creates of one id at once: one wins, one says already exists', () =>
  withBundleRt((c) => (c.process.args = ['/bin/sleep', '1000']), async (rt, b) => {
    const go = () =>
      new Promise<{ code: number | null; err: string }>((resolve) => {
        const p = spawn(OCIRT, ['--root', rt.root, 'create', '--bundle', b.dir, 'same'], { stdio: ['ignore', 'ignore', 'pipe'] });
        let err = '';
        p.stderr.on('data', (d) => (err += d));
        // 'exit', not 'close': the winner's parked init holds stderr open, as the stdio contract says.
        p.on('exit', (code) => setImmediate(() => resolve({ code, err })));
      });
    const rs = await Promise.all([go(), go()]);
    assert.is(rs.filter((r) => r.code === 0).length, 1, JSON.stringify(rs));
    assert.match(rs.find((r) => r.code !== 0)!.err, /already exists/);
    const pid = rt.state('same').pid;
    rt.ok(['delete', '--force', 'same']);
    assertNothingLeft(rt, 'same', b, pid);
  }));

test('a failing hook aborts create and leaves nothing', () =>
  withBundleRt((c) => {
    c.process.args = ['/bin/sleep', '1000'];
    c.hooks = { createRuntime: [{ path: '/bin/sh', args: ['sh', '-c', 'echo hook-broke >&2; exit 4'] }] };
  }, (rt, b) => {
    const r = rt.run(['create', '--bundle', b.dir, 'h1']);
    assert.is(r.status, 1);
    assert.match(r.stderr, /createRuntime hook \/bin\/sh \(config\.json \/hooks\/createRuntime\/0\): exit status 4: hook-broke/);
    assertNothingLeft(rt, 'h1', b);
  }));

// The plan is built from the config and the host as it is, before anything on the host changes:
// a config that only the plan step rejects (here a mount over the root) leaves no seccomp cache
// file, clones no user namespace helper for its idmapped mount, and makes no state directory.
test('a config the plan step rejects changes nothing on the host', () =>
  withBundleRt((c) => {
    // A profile of this run alone, so that its cache file can be named.
    c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 100 + (process.pid % 4000) }] };
    const map = [{ containerID: 0, hostID: 100000, size: 65536 }];
    c.mounts.push({ destination: '/idmapped', type: 'bind', source: '/tmp', options: ['bind'], uidMappings: map, gidMappings: map });
    c.mounts.push({ destination: '/', type: 'tmpfs', source: 'tmpfs' });
  }, (rt, b) => {
    const { cacheKey } = require('../../src/seccomp') as typeof import('../../src/seccomp');
    const cacheFile = path.join(path.dirname(rt.root), '.ocirt-seccomp-cache', `${cacheKey(b.config.linux.seccomp)}.bpf`);
    fs.rmSync(cacheFile, { force: true });
    const trace = `${rt.root}.strace`;
    try {
      const r = spawnSync('strace', ['-f', '-qq', '-e', 'trace=clone,clone3,fork,vfork', '-o', trace, OCIRT, '--root', rt.root, 'create', '--bundle', b.dir, 'plan1'], { encoding: 'utf8', timeout: 60_000 });
      assert.is(r.status, 1, r.stderr);
      assert.match(r.stderr, /\/mounts\/\d+\/destination: mounting over the root of the container is not supported/);
      const forks = fs.readFileSync(trace, 'utf8').split('\n').filter((l) => /\b(clone3?|v?fork)\(/.test(l) && !/CLONE_THREAD/.test(l));
      assert.equal(forks, [], 'no process was cloned (a user namespace helper, an init)');
      assert.not.ok(fs.existsSync(cacheFile), 'no seccomp cache file was written');
      assertNothingLeft(rt, 'plan1', b);
    } finally {
      fs.rmSync(trace, { force: true });
    }
  }));

test('all six hooks run in order with the state on stdin', () => {
  const log = '/tmp/ocirt-hooklog-' + process.pid;
  const hook = (name: string) => ({ path: '/bin/sh', args: ['sh', '-c', `read -r s; echo "${name} $s" >> ${log}`] });
  return withBundleRt((c) => {
    c.process.args = ['/bin/true'];
    c.hooks = {
      prestart: [hook('prestart')],
      createRuntime: [hook('createRuntime')],
      createContainer: [hook('createContainer')],
      startContainer: [{ path: '/bin/sh', args: ['sh', '-c', 'read -r s; echo "startContainer $s" > /tmp/start-hook'] }],
      poststart: [hook('poststart')],
      poststop: [hook('poststop')],
    };
  }, (rt, b) => {
    try {
      rt.ok(['create', '--bundle', b.dir, 'hk']);
      const st = rt.state('hk'); // before start: /bin/true may be gone (pid 0) right after it
      rt.ok(['start', 'hk']);
      assert.ok(waitFor(() => rt.state('hk').status === 'stopped'));
      rt.ok(['delete', 'hk']);
      const lines = fs.readFileSync(log, 'utf8').trim().split('\n');
      assert.equal(lines.map((l) => l.split(' ')[0]), ['prestart', 'createRuntime', 'createContainer', 'poststart', 'poststop']);
      for (const l of lines) {
        const s = JSON.parse(l.slice(l.indexOf(' ') + 1));
        assert.is(s.id, 'hk');
        assert.is(s.pid === 0 || s.pid === st.pid, true);
      }
      // startContainer runs inside the container: its file is in the container's /tmp.
      assert.match(fs.readFileSync(path.join(b.rootfs, 'tmp/start-hook'), 'utf8'), /^startContainer \{.*"id":"hk"/);
    } finally {
      fs.rmSync(log, { force: true });
    }
  });
});

test('kill -9 of ocirt during create: delete --force cleans up', () =>
  withBundleRt((c) => {
    c.process.args = ['/bin/sleep', '1000'];
    c.hooks = { createRuntime: [{ path: '/bin/sleep', args: ['sleep', '30'] }] };
  }, (rt, b) => {
    const p = spawn(OCIRT, ['--root', rt.root, 'create', '--bundle', b.dir, 'x1'], { stdio: 'ignore' });
    assert.ok(waitFor(() => fs.existsSync(path.join(rt.root, 'x1', 'state.json')) && (() => { try { return JSON.parse(fs.readFileSync(path.join(rt.root, 'x1', 'state.json'), 'utf8')).pid > 0; } catch { return false; } })(), 10_000));
    const pid = JSON.parse(fs.readFileSync(path.join(rt.root, 'x1', 'state.json'), 'utf8')).pid;
    process.kill(p.pid!, 'SIGKILL');
    // The kernel drops the create's lock as the process dies, which is not at once on a busy
    // machine: an operator's delete comes after ocirt is gone (a zombie holds no files).
    assert.ok(waitFor(() => !pidAlive(p.pid!), 10_000), 'the killed create is gone');
    spawnSync('pkill', ['-f', 'sleep 30']);
    rt.ok(['delete', '--force', 'x1']);
    assertNothingLeft(rt, 'x1', b, pid);
  }));

test('--preserve-fds passes fds 3..N+2', () =>
  withBundleRt((c) => (c.process.args = ['/bin/sh', '-c', 'cat <&3; exec ls -1 /proc/self/fd']), (rt, b) => {
    const f = path.join(b.dir, 'extra');
    fs.writeFileSync(f, 'through fd 3\n');
    const fd = fs.openSync(f, 'r');
    try {
      const r = rt.run(['run', '--preserve-fds', '1', '--bundle', b.dir, 'p1'], { stdio: ['ignore', 'pipe', 'pipe', fd] });
      assert.is(r.status, 0, r.stderr);
      assert.match(r.stdout, /^through fd 3\n/);
      // ls lists its own fds, the directory it reads among them (the lowest free one, 4); a
      // shell would show fds of its own (saved redirections, pipeline ends).
      const fds = r.stdout.split('\n').slice(1).filter(Boolean).map(Number).sort((a, b) => a - b);
      assert.equal(fds, [0, 1, 2, 3, 4], 'only stdio, the preserved fd, and ls reading its dir');
    } finally {
      fs.closeSync(fd);
    }
  }));

test("the README's first command: the demo bundle runs the static probe", () => {
  const out = path.join(os.tmpdir(), `ocirt-demo-out-${process.pid}`);
  const fd = fs.openSync(out, 'w');
  try {
    const r = spawnSync(process.execPath, [path.join(REPO, 'dist/conformance/demo.js')], { stdio: ['ignore', fd, fd], timeout: 120_000 });
    const text = fs.readFileSync(out, 'utf8');
    assert.is(r.status, 0, text);
    assert.match(text, /Hello from a container run by ocirt!/);
  } finally {
    fs.closeSync(fd);
    fs.rmSync(out, { force: true });
  }
});

test.run();

/**
 * Real engines drive ocirt in runc's place: podman (through conmon) and containerd (through
 * its runc v2 shim, with ctr). Each engine gets private storage and state under one temp dir,
 * so the host's own engine state is untouched, and everything is torn down afterwards.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, spawnSync, SpawnSyncOptions } from 'node:child_process';
import { makeRootfs, unmountUnder } from '../helpers/bundle';
import { OCIRT, waitFor } from '../helpers/cli';
import { cgroupParentsMadeHere } from '../helpers/cgroup-parents';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ocirt-engines-'));
// containerd puts a task under /<namespace>/<id>; podman (cgroupfs) under /libpod_parent, with conmon.
const parents = cgroupParentsMadeHere(['ocirt-engines', 'libpod_parent']);
const IMAGE = 'localhost/ocirt-bb:latest';
// This machine's bounding set cannot raise NOFILE/NPROC to podman's defaults (runc fails too).
const ULIMITS = ['--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=4096:4096'];
// The same as podman's defaults, for what takes no --ulimit (a pod's infra container).
process.env.CONTAINERS_CONF = path.join(work, 'containers.conf');
fs.writeFileSync(process.env.CONTAINERS_CONF, '[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]\n');

interface Out {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a tool with stdout/stderr in files: a container may hold inherited pipes open. */
function sh(cmd: string, args: string[], opts: SpawnSyncOptions = {}): Out {
  const o = path.join(work, 'out'), e = path.join(work, 'err');
  const fo = fs.openSync(o, 'w'), fe = fs.openSync(e, 'w');
  try {
    const r = spawnSync(cmd, args, { stdio: ['ignore', fo, fe], timeout: 120_000, ...opts });
    return { status: r.status, stdout: fs.readFileSync(o, 'utf8'), stderr: fs.readFileSync(e, 'utf8') };
  } finally {
    fs.closeSync(fo);
    fs.closeSync(fe);
  }
}

function ok(cmd: string, args: string[]): Out {
  const r = sh(cmd, args);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr.trim()}`);
  return r;
}

const PODMAN_BASE = ['--root', path.join(work, 'podman/storage'), '--runroot', path.join(work, 'podman/run'), '--tmpdir', path.join(work, 'podman/tmp'), '--cgroup-manager', 'cgroupfs', '--events-backend', 'file'];
const P = [...PODMAN_BASE, '--runtime', OCIRT];
const podman = (...args: string[]) => sh('podman', [...P, ...args]);
type Rt = 'runc' | 'ocirt';
/** podman with runc (Debian's) or ocirt as its runtime. */
const podmanWith = (rt: Rt, ...args: string[]) => sh('podman', [...PODMAN_BASE, '--runtime', rt === 'runc' ? 'runc' : OCIRT, ...args]);

/** Runs `scenario` under runc and under ocirt; both must give the same; returns runc's. */
function same<T>(scenario: (rt: Rt) => T): T {
  const want = scenario('runc');
  const got = scenario('ocirt');
  assert.equal(got, want, 'ocirt ended differently from runc');
  return want;
}

function imageTar(): string {
  const rootfs = path.join(work, 'rootfs');
  makeRootfs(rootfs);
  const tar = path.join(work, 'rootfs.tar');
  ok('tar', ['-C', rootfs, '-cf', tar, '.']);
  return tar;
}

let ctd: ReturnType<typeof spawn> | undefined;
const SOCK = path.join(work, 'containerd.sock');
const C = ['--address', SOCK, '--namespace', 'ocirt-engines'];
const ctr = (...args: string[]) => sh('ctr', [...C, ...args]);

test.before(() => {
  const tar = imageTar();
  ok('podman', [...P, 'import', tar, IMAGE]);
  ok('podman', [...P, 'save', '--format', 'docker-archive', '-o', path.join(work, 'image.tar'), IMAGE]);
  const cfg = path.join(work, 'containerd.toml');
  // Only what ctr needs: no CRI plugin (it would set up networking for Kubernetes).
  fs.writeFileSync(cfg, 'version = 2\ndisabled_plugins = ["io.containerd.grpc.v1.cri"]\n');
  ctd = spawn('containerd', ['--config', cfg, '--root', path.join(work, 'ctd/root'), '--state', path.join(work, 'ctd/state'), '--address', SOCK], {
    stdio: ['ignore', fs.openSync(path.join(work, 'containerd.log'), 'w'), fs.openSync(path.join(work, 'containerd.err'), 'w')],
  });
  assert.ok(waitFor(() => ctr('version').status === 0, 20_000), 'containerd did not come up');
  ok('ctr', [...C, 'images', 'import', path.join(work, 'image.tar')]);
});

test.after(() => {
  podman('rm', '-af');
  for (const t of ctr('task', 'ls', '-q').stdout.split('\n').filter(Boolean)) ctr('task', 'kill', '-s', 'SIGKILL', t);
  for (const c of ctr('containers', 'ls', '-q').stdout.split('\n').filter(Boolean)) {
    waitFor(() => ctr('task', 'rm', '-f', c).status !== 0 || true, 5000);
    ctr('containers', 'rm', c);
  }
  ctr('images', 'rm', IMAGE);
  podman('system', 'reset', '--force');
  if (ctd) {
    ctd.kill('SIGTERM');
    waitFor(() => ctd!.exitCode !== null || ctd!.signalCode !== null, 10_000);
  }
  // Shims outlive containerd by design; those of this run go with it.
  spawnSync('pkill', ['-f', `containerd-shim-runc-v2 -namespace ocirt-engines -address ${SOCK}`]);
  unmountUnder(work);
  fs.rmSync(work, { recursive: true, force: true });
  parents.remove();
});

test('podman run: output, exit code, --rm', () => {
  const r = podman('run', '--rm', '--network', 'none', ...ULIMITS, IMAGE, '/bin/sh', '-c', 'echo hello from $(hostname); exit 7');
  assert.is(r.status, 7, r.stderr);
  assert.match(r.stdout, /^hello from \w+/);
});

test('podman: a missing executable gives 127, as with runc', () => {
  const r = podman('run', '--rm', '--network', 'none', ...ULIMITS, IMAGE, '/no/such');
  assert.is(r.status, 127, r.stderr);
});

test('podman run -d, pause, unpause, top, stop, rm', () => {
  const id = ok('podman', [...P, 'run', '-d', '--name', 'eng1', '--network', 'none', ...ULIMITS, IMAGE, '/bin/sleep', '1000']).stdout.trim();
  ok('podman', [...P, 'pause', 'eng1']);
  assert.match(podman('ps', '-a', '--format', '{{.Names}} {{.Status}}').stdout, /eng1 Paused/);
  ok('podman', [...P, 'unpause', 'eng1']);
  assert.match(podman('ps', '--format', '{{.Names}} {{.Status}}').stdout, /eng1 Up/);
  assert.match(ok('podman', [...P, 'top', 'eng1']).stdout, /sleep 1000/);
  ok('podman', [...P, 'stop', '-t', '1', 'eng1']);
  assert.match(podman('ps', '-a', '--format', '{{.Names}} {{.Status}}').stdout, /eng1 Exited \(137\)/);
  ok('podman', [...P, 'rm', 'eng1']);
  // podman leaves ocirt its default --root (/run/ocirt); the container is gone from it.
  assert.not.ok(sh(OCIRT, ['list', '-q']).stdout.split('\n').includes(id), 'ocirt still lists the container');
});

test('podman run -t: the container has a terminal', () => {
  // podman wants a terminal of its own for -t; script(1) gives it one.
  const r = sh('script', ['-qec', `podman ${P.join(' ')} run -t --rm --network none ${ULIMITS.join(' ')} ${IMAGE} /bin/sh -c 'tty; echo term-ok'`, '/dev/null']);
  assert.is(r.status, 0, r.stderr + r.stdout);
  assert.match(r.stdout.replace(/\r/g, ''), /\/dev\/pts\/0\nterm-ok/);
});

test('podman exec: output, exit codes (127 for a missing program), -e/-u/-w, -d, -t', () => {
  ok('podman', [...P, 'run', '-d', '--name', 'eng-x1', '--network', 'none', ...ULIMITS, IMAGE, '/bin/sleep', '1000']);
  try {
    const r = podman('exec', '-e', 'A=b', '-u', '1000', '-w', '/tmp', 'eng-x1', '/bin/sh', '-c', 'echo $A $(id -u) $(pwd); tr "\\0" " " </proc/1/cmdline; exit 5');
    assert.is(r.status, 5, r.stderr);
    assert.equal(r.stdout.trim().split('\n'), ['b 1000 /tmp', '/bin/sleep 1000'], 'in the container\'s pid namespace');
    assert.is(podman('exec', 'eng-x1', '/no/such').status, 127);
    ok('podman', [...P, 'exec', '-d', 'eng-x1', '/bin/sleep', '500']);
    assert.match(ok('podman', [...P, 'top', 'eng-x1']).stdout, /sleep 500/);
    const t = sh('script', ['-qec', `podman ${P.join(' ')} exec -t eng-x1 /bin/sh -c 'tty; exit 4'`, '/dev/null']);
    assert.is(t.status, 4, t.stderr + t.stdout);
    assert.match(t.stdout.replace(/\r/g, ''), /^\/dev\/pts\/\d+$/m);
  } finally {
    podman('rm', '-f', '-t', '0', 'eng-x1');
  }
});

test('podman pods: containers of a pod share its network, ipc and uts, not its pid namespace', () => {
  const r = same((rt) => {
    const pod = `pod-${rt}`;
    const ok = (...a: string[]) => {
      const o = podmanWith(rt, ...a);
      if (o.status !== 0) throw new Error(`podman ${a.join(' ')} exited ${o.status}: ${o.stderr.trim()}`);
      return o.stdout;
    };
    ok('pod', 'create', '--name', pod, '--network', 'none', '--hostname', 'podhost');
    try {
      ok('run', '-d', '--pod', pod, '--name', `${pod}-a`, ...ULIMITS, IMAGE, '/bin/sleep', '1000');
      const ns = 'hostname; for n in net ipc uts pid; do readlink /proc/self/ns/$n; done';
      const a = ok('exec', `${pod}-a`, '/bin/sh', '-c', ns).split('\n');
      const b = ok('run', '--rm', '--pod', pod, ...ULIMITS, IMAGE, '/bin/sh', '-c', ns).split('\n');
      return { hostname: [a[0], b[0]], shared: [1, 2, 3, 4].map((i) => a[i] === b[i]) };
    } finally {
      podmanWith(rt, 'pod', 'rm', '-f', '-t', '0', pod);
    }
  });
  assert.equal(r, { hostname: ['podhost', 'podhost'], shared: [true, true, true, false] });
});

test('podman: --user, capabilities, seccomp, limits as the process sees them', () => {
  const r = same((rt) => {
    const o = podmanWith(rt, 'run', '--rm', '--network', 'none', ...ULIMITS, '--user', '1000:1000', '--cap-add', 'NET_RAW', '--memory', '64m', '--pids-limit', '50', IMAGE, '/bin/sh', '-c',
      'id; grep -E "^(Cap(Eff|Prm|Bnd)|NoNewPrivs|Seccomp):" /proc/self/status; cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max; ulimit -n');
    return { status: o.status, stdout: o.stdout, stderr: o.stderr };
  });
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /^uid=1000/);
});

test('podman --read-only and --tmpfs: the image\'s files copied up, the root read-only', () => {
  const r = same((rt) => {
    const o = podmanWith(rt, 'run', '--rm', '--network', 'none', ...ULIMITS, '--read-only', '--tmpfs', '/etc', IMAGE, '/bin/sh', '-c',
      'touch /x 2>&1; touch /tmp/y /run/z /etc/w && echo writable; cat /etc/group | head -1; grep -E " /(tmp|run|var/tmp|etc) " /proc/mounts | cut -d" " -f2-4 | sort');
    return { status: o.status, stdout: o.stdout, stderr: o.stderr };
  });
  assert.match(r.stdout, /Read-only file system\nwritable\nroot:x:0:/);
});

test('containerd: ctr task exec into a running task', () => {
  ok('ctr', [...C, 'run', '-d', '--runc-binary', OCIRT, IMAGE, 'eng-c3', '/bin/sleep', '1000']);
  try {
    const r = ctr('task', 'exec', '--exec-id', 'x1', 'eng-c3', '/bin/sh', '-c', 'echo via-exec; exit 6');
    assert.is(r.status, 6, r.stderr);
    assert.match(r.stdout, /via-exec/);
    const m = ctr('task', 'exec', '--exec-id', 'x2', 'eng-c3', 'nosuch');
    assert.is.not(m.status, 0);
    assert.match(m.stderr, /executable file not found in \$PATH/);
  } finally {
    ctr('task', 'kill', '-s', 'SIGKILL', 'eng-c3');
    waitFor(() => /eng-c3\s+\d+\s+STOPPED/.test(ctr('task', 'ls').stdout), 10_000);
    ctr('task', 'rm', 'eng-c3');
    ctr('containers', 'rm', 'eng-c3');
  }
});

test('containerd: ctr run with ocirt as the runc binary', () => {
  const r = ctr('run', '--rm', '--runc-binary', OCIRT, IMAGE, 'eng-c1', '/bin/sh', '-c', 'echo via-shim; exit 3');
  assert.is(r.status, 3, r.stderr);
  assert.match(r.stdout, /via-shim/);
});

test('containerd: a task that is paused, resumed, listed and killed', () => {
  ok('ctr', [...C, 'run', '-d', '--runc-binary', OCIRT, IMAGE, 'eng-c2', '/bin/sleep', '1000']);
  ok('ctr', [...C, 'task', 'pause', 'eng-c2']);
  assert.match(ctr('task', 'ls').stdout, /eng-c2\s+\d+\s+PAUSED/);
  ok('ctr', [...C, 'task', 'resume', 'eng-c2']);
  assert.match(ctr('task', 'ls').stdout, /eng-c2\s+\d+\s+RUNNING/);
  assert.match(ok('ctr', [...C, 'task', 'ps', 'eng-c2']).stdout, /^\d+/m);
  ok('ctr', [...C, 'task', 'kill', '-s', 'SIGKILL', 'eng-c2']);
  assert.ok(waitFor(() => /eng-c2\s+\d+\s+STOPPED/.test(ctr('task', 'ls').stdout), 10_000));
  ok('ctr', [...C, 'task', 'rm', 'eng-c2']);
  ok('ctr', [...C, 'containers', 'rm', 'eng-c2']);
});

test.run();

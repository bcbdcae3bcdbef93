/**
 * Docker drives ocirt in runc's place. One private dockerd (see helpers/engine.ts) for the whole
 * file, with ocirt added by --add-runtime beside Docker's runc. Every scenario runs once with
 * `--runtime runc` and once with `--runtime ocirt` and must end the same: what the container
 * printed, exit codes, and the states Docker reports. runc is the oracle, so a scenario states
 * no expected value of its own beyond what shows that it ran.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { OCIRT, waitFor } from '../helpers/cli';
import { cgroupParentsMadeHere } from '../helpers/cgroup-parents';
import { unmountUnder } from '../helpers/bundle';
import { DOCKER, DOCKER_CGROUP_PARENT, Dockerd, imageTar, Out, sh, startDockerd } from '../helpers/engine';
import { normalize } from '../helpers/oracle';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ocirt-docker-'));
const parents = cgroupParentsMadeHere([DOCKER_CGROUP_PARENT]);
const IMAGE = 'ocirt-bb';
type Rt = 'runc' | 'ocirt';
// Docker's masked paths (a masked directory is one of runc-deviations.ts's entries).
const DOCKER_MASKED = new Set(['/proc/asound', '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware']);
let d: Dockerd;

test.before(() => {
  d = startDockerd(path.join(work, 'd'), { ocirt: OCIRT });
  d.ok('import', imageTar(work), IMAGE);
});

test.after(() => {
  d?.stop();
  unmountUnder(work);
  fs.rmSync(work, { recursive: true, force: true });
  parents.remove();
});

const run = (rt: Rt, ...args: string[]) => d.docker('run', '--runtime', rt, '--network', 'none', ...args);
const ok = (...args: string[]) => d.ok(...args);
const seen = (r: Out) => ({ status: r.status, stdout: r.stdout, stderr: r.stderr });

/** Runs `scenario` under runc and under ocirt; both must give the same; returns runc's. */
function same<T>(scenario: (rt: Rt) => T): T {
  const want = scenario('runc');
  const got = scenario('ocirt');
  assert.equal(got, want, 'ocirt ended differently from runc');
  return want;
}

/** A detached container that sleeps, removed when `fn` is done even if it threw. */
function withRunning<T>(rt: Rt, name: string, extra: string[], fn: (name: string) => T, cmd = ['/bin/sleep', '1000']): T {
  const n = `${name}-${rt}`;
  ok('run', '-d', '--runtime', rt, '--network', 'none', '--name', n, ...extra, IMAGE, ...cmd);
  try {
    return fn(n);
  } finally {
    d.docker('rm', '-f', n);
  }
}

const inspect = (n: string, f: string) => ok('inspect', '-f', f, n).stdout.trim();
/** script(1) gives the docker client the terminal that -t wants. */
const inTerminal = (args: string[]) => {
  const r = sh(work, 'script', ['-qec', [DOCKER, '-H', `unix://${d.sock}`, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' '), '/dev/null']);
  return { status: r.status, stdout: r.stdout.replace(/\r/g, '') };
};

test('run attached: output on both streams, exit code, --rm', () => {
  const r = same((rt) => seen(run(rt, '--rm', IMAGE, '/bin/sh', '-c', 'echo out; echo err >&2; exit 7')));
  assert.equal(r, { status: 7, stdout: 'out\n', stderr: 'err\n' });
});

test('run -i: stdin reaches the process', () => {
  const input = path.join(work, 'input');
  fs.writeFileSync(input, 'line one\nline two\n');
  const r = same((rt) => {
    const fd = fs.openSync(input, 'r');
    try {
      return seen(sh(work, DOCKER, ['-H', `unix://${d.sock}`, 'run', '-i', '--rm', '--runtime', rt, '--network', 'none', IMAGE, '/bin/sh', '-c', 'wc -l; echo done'], { stdin: fd }));
    } finally {
      fs.closeSync(fd);
    }
  });
  assert.equal(r, { status: 0, stdout: '2\ndone\n', stderr: '' });
  assert.is(r.status, 0);
});

test('run: a missing program and a non-executable one give the same codes and phrases', () => {
  same((rt) => {
    const missing = run(rt, '--rm', IMAGE, '/no/such');
    const notExec = run(rt, '--rm', IMAGE, '/etc/passwd');
    return [missing.status, notExec.status, /no such file or directory/.test(missing.stderr), /permission denied/.test(notExec.stderr)];
  });
});

test('run -d: logs, wait, exit code, inspect state', () => {
  const r = same((rt) => {
    const n = `det-${rt}`;
    ok('run', '-d', '--runtime', rt, '--network', 'none', '--name', n, IMAGE, '/bin/sh', '-c', 'echo started; exec sleep 0.3');
    try {
      const code = ok('wait', n).stdout.trim();
      return { code, logs: ok('logs', n).stdout, state: inspect(n, '{{.State.Status}} {{.State.ExitCode}} {{.State.OOMKilled}}') };
    } finally {
      d.docker('rm', '-f', n);
    }
  });
  assert.equal(r, { code: '0', logs: 'started\n', state: 'exited 0 false' });
});

test('run -t: the process has a terminal; its size and modes', () => {
  const r = same((rt) => inTerminal(['run', '-t', '--rm', '--runtime', rt, '--network', 'none', IMAGE, '/bin/sh', '-c', 'tty; stty -a | head -1 | cut -d";" -f1; stat -c "%a %u %g" $(tty); exit 3']));
  assert.is(r.status, 3);
  assert.match(r.stdout, /^\/dev\/pts\/0$/m);
});

test('run -t --user 1000: the terminal belongs to the process', () => {
  const r = same((rt) => inTerminal(['run', '-t', '--rm', '--runtime', rt, '--network', 'none', '--user', '1000', IMAGE, '/bin/sh', '-c', 'stat -c "%u %g %a" $(tty)']));
  assert.is(r.status, 0);
});

test('run without -i: stdin is a /dev/null the process may write', () => {
  const r = same((rt) => seen(run(rt, '--rm', IMAGE, '/bin/sh', '-c', 'echo x >&0 && echo wrote; readlink /proc/self/fd/0')));
  assert.is(r.status, 0);
});

test('what the process sees (the probe of runc-oracle): ids, caps, seccomp, rlimits, env, mounts, /dev, fds, cgroups', () => {
  const r = same((rt) => {
    const o = run(rt, '--rm', '-h', 'the-host', '--memory', '64m', '--pids-limit', '50', IMAGE, '/probe', 'report');
    // What differs by container: its id (in cgroup paths and the overlay's layer dirs).
    const text = o.stdout.replace(/[0-9a-f]{64}/g, '<id>').replace(/lowerdir=[^ "]*/g, 'lowerdir=<layers>');
    let report: any = text;
    try {
      report = normalize(JSON.parse(text), { config: { linux: { maskedPaths: [...DOCKER_MASKED] } } });
    } catch {
      /* compared as text */
    }
    return { status: o.status, report, stderr: o.stderr };
  });
  assert.is(r.status, 0, r.stderr);
  assert.is(r.report.hostname, 'the-host');
});

test('hostname, env, workdir, ulimits, --init', () => {
  const r = same((rt) => seen(run(rt, '--rm', '-h', 'h1', '-e', 'A=1', '-w', '/tmp', '--ulimit', 'nofile=100:200', '--init', IMAGE,
    '/bin/sh', '-c', 'hostname; echo $A; pwd; ulimit -n; ulimit -Hn; cat /proc/1/comm')));
  assert.equal(r.stdout.split('\n'), ['h1', '1', '/tmp', '100', '200', 'docker-init', '']);
});

test('exec: output, exit code, -e/-u/-w, pid namespace, a missing program, -d, -t', () => {
  const r = same((rt) => withRunning(rt, 'ex', [], (n) => {
    const a = seen(d.docker('exec', '-e', 'A=b', '-u', '1000:1000', '-w', '/tmp', n, '/bin/sh', '-c', 'echo $A $(id -u):$(id -g) $(pwd); cat /proc/1/cmdline | tr "\\0" " "; exit 6'));
    const missing = d.docker('exec', n, '/no/such').status;
    ok('exec', '-d', n, '/bin/sleep', '500');
    const top = waitFor(() => /sleep 500/.test(d.docker('top', n).stdout), 5000);
    const t = inTerminal(['exec', '-t', n, '/bin/sh', '-c', 'tty; exit 4']);
    return { a, missing, top, t };
  }));
  assert.is(r.a.status, 6);
  assert.is(r.a.stdout, 'b 1000:1000 /tmp\n/bin/sleep 1000 ');
  assert.ok(r.top);
});

test('stop: SIGTERM to a shell that traps it, then SIGKILL after the grace time', () => {
  const r = same((rt) => {
    const trapped = withRunning(rt, 'stop1', [], (n) => {
      waitFor(() => d.docker('logs', n).stdout.includes('ready'), 5000);
      ok('stop', '-t', '10', n);
      return [inspect(n, '{{.State.ExitCode}}'), ok('logs', n).stdout];
    }, ['/bin/sh', '-c', 'trap "echo got TERM; exit 5" TERM; echo ready; while :; do sleep 0.1; done']);
    const ignoring = withRunning(rt, 'stop2', [], (n) => {
      ok('stop', '-t', '1', n);
      return inspect(n, '{{.State.ExitCode}}');
    });
    return { trapped, ignoring };
  });
  assert.equal(r, { trapped: ['5', 'ready\ngot TERM\n'], ignoring: '137' });
});

test('kill: a chosen signal reaches the process, the default kills it', () => {
  const r = same((rt) => withRunning(rt, 'kill', [], (n) => {
    waitFor(() => d.docker('logs', n).stdout.includes('ready'), 5000);
    ok('kill', '-s', 'USR1', n);
    waitFor(() => d.docker('logs', n).stdout.includes('USR1'), 5000);
    ok('kill', n);
    waitFor(() => inspect(n, '{{.State.Status}}') === 'exited', 10_000);
    return [ok('logs', n).stdout, inspect(n, '{{.State.Status}} {{.State.ExitCode}}')];
  }, ['/bin/sh', '-c', 'trap "echo USR1" USR1; echo ready; while :; do sleep 0.1; done']));
  assert.equal(r, ['ready\nUSR1\n', 'exited 137']);
});

test('restart policies: on-failure:2 restarts twice; docker restart keeps the container layer', () => {
  const r = same((rt) => {
    const n = `rp-${rt}`;
    ok('run', '-d', '--runtime', rt, '--network', 'none', '--name', n, '--restart', 'on-failure:2', IMAGE, '/bin/sh', '-c', 'echo run; exit 3');
    try {
      waitFor(() => inspect(n, '{{.RestartCount}} {{.State.Status}}') === '2 exited', 20_000);
      return { policy: inspect(n, '{{.RestartCount}} {{.State.Status}} {{.State.ExitCode}}'), logs: ok('logs', n).stdout };
    } finally {
      d.docker('rm', '-f', n);
    }
  });
  assert.equal(r, { policy: '2 exited 3', logs: 'run\nrun\nrun\n' });
  const s = same((rt) => withRunning(rt, 'rs', [], (n) => {
    ok('exec', n, '/bin/sh', '-c', 'echo kept > /marker');
    ok('restart', '-t', '1', n);
    return [inspect(n, '{{.State.Status}}'), seen(d.docker('exec', n, 'cat', '/marker'))];
  }));
  assert.equal(s, ['running', { status: 0, stdout: 'kept\n', stderr: '' }]);
});

test('pause and unpause: state, exec refused while paused, works after', () => {
  const r = same((rt) => withRunning(rt, 'pz', [], (n) => {
    ok('pause', n);
    const paused = inspect(n, '{{.State.Status}} {{.State.Paused}}');
    const refused = d.docker('exec', n, 'true').status;
    ok('unpause', n);
    return [paused, refused, inspect(n, '{{.State.Status}}'), seen(d.docker('exec', n, 'echo', 'after'))];
  }));
  assert.equal(r[0], 'paused true');
  assert.equal(r[3], { status: 0, stdout: 'after\n', stderr: '' });
});

test('limits: memory, swap, pids, cpu, cpuset as the container reads them; docker update', () => {
  const files = ['memory/memory.limit_in_bytes', 'memory/memory.memsw.limit_in_bytes', 'pids/pids.max', 'cpu/cpu.cfs_quota_us', 'cpu/cpu.cfs_period_us', 'cpu/cpu.shares', 'cpuset/cpuset.cpus', 'blkio/blkio.weight'];
  const cat = `for f in ${files.join(' ')}; do echo $f $(cat /sys/fs/cgroup/$f 2>&1); done`;
  const r = same((rt) => withRunning(rt, 'lim', ['--memory', '64m', '--memory-swap', '128m', '--pids-limit', '20', '--cpus', '0.5', '--cpu-shares', '512', '--cpuset-cpus', '0'], (n) => {
    const before = ok('exec', n, '/bin/sh', '-c', cat).stdout;
    ok('update', '--memory', '96m', '--memory-swap', '192m', '--pids-limit', '30', n);
    return [before, ok('exec', n, '/bin/sh', '-c', cat).stdout];
  }));
  assert.match(r[0], /memory\.limit_in_bytes 67108864/);
  assert.match(r[1], /memory\.limit_in_bytes 100663296/);
});

test('OOM: a process over its memory limit is killed and Docker says so', () => {
  const r = same((rt) => {
    const n = `oom-${rt}`;
    const s = run(rt, '--name', n, '--memory', '16m', '--memory-swap', '16m', IMAGE, '/bin/sh', '-c', 'tail /dev/zero').status;
    try {
      return [s, inspect(n, '{{.State.OOMKilled}} {{.State.ExitCode}}')];
    } finally {
      d.docker('rm', '-f', n);
    }
  });
  assert.equal(r, [137, 'true 137']);
});

test('volumes: a bind mount, a read-only bind, a named volume across containers', () => {
  // Mount lines sorted: Docker orders binds of the same depth differently from run to run.
  const r = same((rt) => {
    const host = fs.mkdtempSync(path.join(work, 'vol-'));
    fs.writeFileSync(path.join(host, 'in'), 'from host\n');
    const a = seen(run(rt, '--rm', '-v', `${host}:/data`, '--mount', `type=bind,src=${host},dst=/ro,readonly`, IMAGE, '/bin/sh', '-c',
      'cat /data/in; echo from container > /data/out; touch /ro/x 2>&1; grep -E " /(data|ro) " /proc/mounts | cut -d" " -f2,4 | sort'));
    const out = fs.readFileSync(path.join(host, 'out'), 'utf8');
    ok('run', '--rm', '--runtime', rt, '--network', 'none', '-v', `named-${rt}:/v`, IMAGE, '/bin/sh', '-c', 'echo kept > /v/f');
    const b = seen(run(rt, '--rm', '-v', `named-${rt}:/v`, IMAGE, 'cat', '/v/f'));
    d.docker('volume', 'rm', `named-${rt}`);
    return { a, out, b };
  });
  assert.is(r.out, 'from container\n');
  assert.match(r.a.stdout, /Read-only file system/);
  assert.is(r.b.stdout, 'kept\n');
});

test('tmpfs on a directory the image has: options, mode, writable by root', () => {
  const r = same((rt) => seen(run(rt, '--rm', '--tmpfs', '/run:size=1m', '--mount', 'type=tmpfs,dst=/tmp,tmpfs-mode=1770', IMAGE, '/bin/sh', '-c',
    'grep -E " /(run|tmp) " /proc/mounts | cut -d" " -f2-4; stat -c "%n %a" /run /tmp; touch /run/x /tmp/y && echo wrote')));
  assert.match(r.stdout, /wrote/);
});

test('tmpfs on a directory the image lacks: --user 65534 may write it', () => {
  const r = same((rt) => seen(run(rt, '--rm', '--user', '65534', '--tmpfs', '/scratch', IMAGE, '/bin/sh', '-c', 'stat -c "%a" /scratch; touch /scratch/x && echo wrote')));
  assert.is(r.status, 0);
});

test('--read-only: the root is read-only, a --tmpfs on it is writable', () => {
  const r = same((rt) => seen(run(rt, '--rm', '--read-only', '--tmpfs', '/tmp', IMAGE, '/bin/sh', '-c', 'touch /x 2>&1; touch /tmp/y && echo tmp ok; grep " / " /proc/mounts | cut -d" " -f4 | cut -d, -f1')));
  assert.match(r.stdout, /Read-only file system[\s\S]*tmp ok\nro\n/);
});

test('--user and --group-add: ids, groups, and what they may touch', () => {
  const r = same((rt) => seen(run(rt, '--rm', '--user', '1000:1000', '--group-add', '10', '--group-add', 'tty', IMAGE, '/bin/sh', '-c', 'id; touch /etc/x 2>&1; grep -E "^Cap(Eff|Prm)" /proc/self/status')));
  assert.match(r.stdout, /uid=1000/);
});

test('capabilities: --cap-drop ALL --cap-add, and a dropped CHOWN', () => {
  const r = same((rt) => ({
    sets: seen(run(rt, '--rm', '--cap-drop', 'ALL', '--cap-add', 'NET_RAW', '--cap-add', 'SYS_TIME', IMAGE, '/bin/sh', '-c', 'grep ^Cap /proc/self/status')),
    chown: seen(run(rt, '--rm', '--cap-drop', 'CHOWN', IMAGE, '/bin/sh', '-c', 'chown 1000 /tmp 2>&1; echo $?')),
  }));
  assert.match(r.sets.stdout, /CapEff:\s+0000000002002000/);
  assert.match(r.chown.stdout, /Operation not permitted\n1\n$/);
});

test('seccomp: the default profile, unconfined, a custom profile, no-new-privileges', () => {
  const profile = path.join(work, 'no-mkdir.json');
  fs.writeFileSync(profile, JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }] }));
  const status = 'grep -E "^(Seccomp|NoNewPrivs)" /proc/self/status';
  const r = same((rt) => ({
    dflt: seen(run(rt, '--rm', IMAGE, '/bin/sh', '-c', `${status}; unshare -U true 2>&1 | tail -c 30`)),
    unconfined: seen(run(rt, '--rm', '--security-opt', 'seccomp=unconfined', IMAGE, '/bin/sh', '-c', status)),
    custom: seen(run(rt, '--rm', '--security-opt', `seccomp=${profile}`, '--security-opt', 'no-new-privileges', IMAGE, '/bin/sh', '-c', `${status}; mkdir /x 2>&1; echo $?`)),
  }));
  assert.match(r.dflt.stdout, /Seccomp:\s+2/);
  assert.match(r.unconfined.stdout, /Seccomp:\s+0/);
  assert.match(r.custom.stdout, /NoNewPrivs:\s+1[\s\S]*Operation not permitted\n1\n$/);
});

test('shared namespaces: --pid, --network, --ipc container:X', () => {
  const r = same((rt) => withRunning(rt, 'ns', ['--ipc', 'shareable'], (n) => {
    const ns = (c: string) => ok('exec', c, '/bin/sh', '-c', 'readlink /proc/self/ns/net; readlink /proc/self/ns/ipc').stdout;
    const theirs = ns(n);
    const j = seen(run(rt, '--rm', '--pid', `container:${n}`, '--ipc', `container:${n}`, IMAGE, '/bin/sh', '-c', 'cat /proc/1/cmdline | tr "\\0" " "; echo; readlink /proc/self/ns/ipc'));
    const net = d.docker('run', '--rm', '--runtime', rt, '--network', `container:${n}`, IMAGE, 'readlink', '/proc/self/ns/net');
    return { pid1: j.stdout.split('\n')[0], ipcShared: j.stdout.split('\n')[1] === theirs.split('\n')[1], netShared: net.stdout.trim() === theirs.split('\n')[0], status: j.status };
  }));
  assert.equal(r, { pid1: '/bin/sleep 1000 ', ipcShared: true, netShared: true, status: 0 });
});

test.run();

/**
 * What engines hit where ocirt and runc differed (issue 11, "What failed" 1-11). Each case runs
 * one bundle under runc (Debian's, the oracle) and under ocirt and compares what the process
 * saw, or what the command did; a case runc cannot run the same way checks ocirt alone and says
 * why. Root only; every container, cgroup and temp dir made here goes, even on failure.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync, SpawnSyncOptions } from 'node:child_process';
import { makeBundle, Bundle, mountsUnder } from '../helpers/bundle';
import { OCIRT, waitFor } from '../helpers/cli';
import { consoleReceiver } from '../helpers/console';

type Engine = 'runc' | 'ocirt';
const ENGINES: Engine[] = ['runc', 'ocirt'];

interface Out {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** One state root per runtime for the whole file; both go at the end. */
const ROOTS: Record<Engine, string> = {
  runc: fs.mkdtempSync(path.join(os.tmpdir(), 'parity-runc-')),
  ocirt: fs.mkdtempSync(path.join(os.tmpdir(), 'parity-ocirt-')),
};
let seq = 0;
const newId = (what: string) => `parity-${what}-${process.pid}-${seq++}`;

/** Runs the runtime's CLI with its root; stdout and stderr through files (a container may hold a pipe). */
function cli(engine: Engine, args: string[], opts: SpawnSyncOptions = {}): Out {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parity-out-'));
  const out = fs.openSync(path.join(dir, 'o'), 'w+');
  const err = fs.openSync(path.join(dir, 'e'), 'w+');
  try {
    const stdin = Array.isArray(opts.stdio) ? opts.stdio[0] : 'ignore';
    const r = spawnSync(engine === 'runc' ? 'runc' : OCIRT, ['--root', ROOTS[engine], ...args], { timeout: 60_000, ...opts, stdio: [stdin, out, err] });
    return { status: r.status, stdout: fs.readFileSync(path.join(dir, 'o'), 'utf8'), stderr: fs.readFileSync(path.join(dir, 'e'), 'utf8') };
  } finally {
    fs.closeSync(out);
    fs.closeSync(err);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function cleanupEngine(engine: Engine): void {
  for (const id of fs.existsSync(ROOTS[engine]) ? fs.readdirSync(ROOTS[engine]) : []) {
    if (!id.startsWith('.')) cli(engine, ['delete', '--force', id]);
  }
}

test.after(() => {
  for (const e of ENGINES) {
    cleanupEngine(e);
    fs.rmSync(ROOTS[e], { recursive: true, force: true });
  }
});

/**
 * `run` of the bundle under each runtime (foreground, stdin the host's /dev/null opened
 * read-only as engines give it), with the bundle made fresh for each so that neither sees the
 * other's leftovers. Returns both results.
 */
function runBoth(mutate: (c: any, b: Bundle) => void, setup?: (b: Bundle) => void, after?: (e: Engine) => void): Record<Engine, Out> {
  const res = {} as Record<Engine, Out>;
  for (const e of ENGINES) {
    const b = makeBundle();
    try {
      setup?.(b);
      mutate(b.config, b);
      b.write();
      res[e] = cli(e, ['run', '--bundle', b.dir, newId(e)]);
      after?.(e);
      assert.equal(mountsUnder(b.dir), [], `${e}: mounts left under the bundle`);
    } finally {
      b.cleanup();
      cleanupEngine(e);
    }
  }
  return res;
}

/** Both ran and printed the same; returns ocirt's output. */
function same(r: Record<Engine, Out>): string {
  assert.is(r.runc.status, 0, `runc: ${r.runc.stderr}`);
  assert.is(r.ocirt.status, 0, `ocirt: ${r.ocirt.stderr}`);
  assert.fixture(r.ocirt.stdout, r.runc.stdout);
  return r.ocirt.stdout;
}

const sh = (c: any, script: string) => (c.process.args = ['/bin/sh', '-c', script]);

// 1. tmpcopyup (podman's --tmpfs, --read-only): the image directory's content, with modes,
// owners and symlinks, is in the new tmpfs.
test('tmpcopyup: the covered directory is copied into the tmpfs', () => {
  const out = same(runBoth(
    (c) => {
      c.mounts.push({ destination: '/opt/data', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'tmpcopyup'] });
      // to read the copies whatever their owners
      for (const set of ['bounding', 'effective', 'permitted']) c.process.capabilities[set].push('CAP_DAC_OVERRIDE');
      sh(c, 'grep " /opt/data " /proc/self/mountinfo | sed "s/.* - //" | cut -d" " -f1; cd /opt/data && for f in $(find . | sort); do stat -c "%n %a %u:%g %F %s" $f; done; cat f sub/g; readlink link; echo new > f2 && cat f2');
    },
    (b) => {
      const d = path.join(b.rootfs, 'opt/data');
      fs.mkdirSync(path.join(d, 'sub/deeper'), { recursive: true });
      fs.writeFileSync(path.join(d, 'f'), 'file f\n');
      fs.chmodSync(path.join(d, 'f'), 0o640);
      fs.chownSync(path.join(d, 'f'), 1000, 1001);
      fs.writeFileSync(path.join(d, 'sub/g'), 'file g\n');
      fs.chmodSync(path.join(d, 'sub'), 0o2750);
      fs.chownSync(path.join(d, 'sub'), 7, 8);
      fs.symlinkSync('sub/g', path.join(d, 'link'));
      fs.chmodSync(d, 0o710);
    },
  ));
  assert.match(out, /^tmpfs\n/);
  assert.match(out, /\. 710 0:0 directory/);
  assert.match(out, /\.\/f 640 1000:1001 regular file 7/);
  // runc's copy makes directories with mkdir(2), which keeps no set-id bits.
  assert.match(out, /\.\/sub 750 7:8 directory/);
  assert.match(out, /file f\nfile g\nsub\/g\nnew\n$/);
});

// 2. A tmpfs on a directory the image lacks keeps the kernel's 1777 (docker --tmpfs /run with
// --user); on one the image has, it takes that directory's mode.
test('tmpfs mode: 1777 on a directory made for it, the image directory\'s mode otherwise', () => {
  const out = same(runBoth((c) => {
    c.process.user = { uid: 65534, gid: 65534 };
    c.mounts.push({ destination: '/newdir', type: 'tmpfs', source: 'tmpfs', options: ['nosuid'] });
    c.mounts.push({ destination: '/var', type: 'tmpfs', source: 'tmpfs', options: ['nosuid'] });
    sh(c, 'stat -c "%n %a" /newdir /var; touch /newdir/x && echo writable');
  }));
  assert.is(out, '/newdir 1777\n/var 755\nwritable\n');
});

/**
 * `run --detach` under each runtime with the container's stdio given as engines give it: stdin
 * the host's /dev/null opened read-only, stdout and stderr a file. (A foreground `runc run`
 * puts pipes of its own in between.) Waits for the process to end; returns what it wrote.
 */
function runDetachedBoth(mutate: (c: any) => void): Record<Engine, string> {
  const res = {} as Record<Engine, string>;
  for (const e of ENGINES) {
    const b = makeBundle(mutate);
    const id = newId(`${e}-d`);
    const outPath = path.join(b.dir, 'out');
    const fd = fs.openSync(outPath, 'w');
    try {
      const r = spawnSync(e === 'runc' ? 'runc' : OCIRT, ['--root', ROOTS[e], 'run', '--detach', '--bundle', b.dir, id], { stdio: ['ignore', fd, fd], timeout: 60_000 });
      assert.is(r.status, 0, `${e}: ${fs.readFileSync(outPath, 'utf8')}`);
      assert.ok(waitFor(() => /"stopped"/.test(cli(e, ['state', id]).stdout), 10_000), `${e}: the process ended`);
      res[e] = fs.readFileSync(outPath, 'utf8');
    } finally {
      fs.closeSync(fd);
      cli(e, ['delete', '--force', id]);
      b.cleanup();
      cleanupEngine(e);
    }
  }
  return res;
}

// 3. stdio that is the host's /dev/null opened read-only (what engines give a detached
// container) is reopened read-write from the container's /dev/null.
test('stdio on the host\'s /dev/null: reopened read-write', () => {
  const r = runDetachedBoth((c) => sh(c, 'echo x >&0 && echo wrote; stat -L -c "%t:%T" /proc/self/fd/0'));
  assert.is(r.ocirt, r.runc);
  assert.is(r.ocirt, 'wrote\n1:3\n');
});

// 4. The terminal belongs to the process's uid, with devpts' gid 5.
test('terminal owner: the process uid and the tty group', async () => {
  const seen: Record<string, string> = {};
  for (const e of ENGINES) {
    const recv = consoleReceiver();
    const b = makeBundle((c) => {
      c.process.terminal = true;
      c.process.user = { uid: 1000, gid: 1000 };
      sh(c, 'stat -c "%u:%g %a" $(tty)');
    });
    try {
      const id = newId('tty');
      const r = cli(e, ['run', '--detach', '--console-socket', recv.sock, '--bundle', b.dir, id]);
      assert.is(r.status, 0, `${e}: ${r.stderr}`);
      await recv.ended;
      seen[e] = recv.output().replace(/\r/g, '').trim().split('\n').slice(1).join('\n');
      waitFor(() => /"stopped"/.test(cli(e, ['state', id]).stdout), 10_000);
      cli(e, ['delete', '--force', id]);
    } finally {
      recv.close();
      b.cleanup();
      cleanupEngine(e);
    }
  }
  assert.is(seen.ocirt, seen.runc);
  assert.match(seen.ocirt, /^1000:5 620$/);
});

// 5. A bind source below a 0700 directory, in a container with its own user namespace: its
// root there (host uid 100000) could not walk to it; the runtime opens it with its own rights.
test('user namespace: a bind source below a 0700 directory', () => {
  const secret = fs.mkdtempSync(path.join(os.tmpdir(), 'parity-secret-'));
  try {
    assert.is(fs.statSync(secret).mode & 0o777, 0o700);
    fs.mkdirSync(path.join(secret, 'vol'));
    fs.writeFileSync(path.join(secret, 'vol/f'), 'in the volume\n');
    fs.chownSync(path.join(secret, 'vol'), 100000, 100000);
    const out = same(runBoth(
      (c) => {
        c.linux.namespaces.push({ type: 'user' });
        c.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
        c.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
        c.mounts.push({ destination: '/vol', type: 'bind', source: path.join(secret, 'vol'), options: ['rbind', 'rw'] });
        sh(c, 'cat /vol/f; touch /vol/new && stat -c "%u" /vol/new; id -u');
      },
      (b) => {
        spawnSync('chown', ['-R', '-h', '100000:100000', b.rootfs]);
        fs.chmodSync(b.dir, 0o755);
      },
    ));
    assert.is(out, 'in the volume\n0\n0\n');
    assert.is(fs.statSync(path.join(secret, 'vol/new')).uid, 100000, 'written through the bind as the mapped root');
  } finally {
    fs.rmSync(secret, { recursive: true, force: true });
  }
});

// 6. A mount destination that is a dangling symlink in the image (/etc/resolv.conf to a
// systemd-resolved file): the target is made inside the rootfs and mounted there, even when the
// link points up and out.
test('a dangling symlink as mount destination: its target is made inside the rootfs', () => {
  const outside = path.join(os.tmpdir(), `parity-outside-${process.pid}`);
  try {
    const out = same(runBoth(
      (c, b) => {
        fs.writeFileSync(path.join(b.dir, 'resolv.conf'), 'nameserver 192.0.2.1\n');
        c.mounts.push({ destination: '/etc/resolv.conf', type: 'bind', source: path.join(b.dir, 'resolv.conf'), options: ['rbind', 'ro'] });
        c.mounts.push({ destination: '/data', type: 'tmpfs', source: 'tmpfs', options: ['nosuid'] });
        c.mounts.push({ destination: '/escape/x', type: 'tmpfs', source: 'tmpfs', options: ['nosuid'] });
        sh(c, 'cat /etc/resolv.conf; stat -c "%F" /run/systemd/resolve/stub-resolv.conf /srv/data; grep -o " /srv/data \\| /run/systemd/resolve/stub-resolv.conf \\| /tmp/parity-outside-[0-9]*/x " /proc/self/mountinfo');
      },
      (b) => {
        fs.symlinkSync('../run/systemd/resolve/stub-resolv.conf', path.join(b.rootfs, 'etc/resolv.conf'));
        fs.symlinkSync('/srv/data', path.join(b.rootfs, 'data'));
        fs.symlinkSync(`../../../../../../../..${outside}`, path.join(b.rootfs, 'escape'));
      },
    ));
    assert.is(out, `nameserver 192.0.2.1\nregular file\ndirectory\n /run/systemd/resolve/stub-resolv.conf \n /srv/data \n ${outside}/x \n`);
    assert.not.ok(fs.existsSync(outside), 'nothing was made outside the rootfs');
  } finally {
    fs.rmSync(outside, { recursive: true, force: true });
  }
});

// 7. A cwd the image lacks, on a read-only root: made before the root goes read-only.
test('a missing cwd on a read-only root is made first', () => {
  const out = same(runBoth((c) => {
    c.root.readonly = true;
    c.process.cwd = '/work/dir';
    sh(c, 'pwd; touch /x 2>/dev/null || echo read-only');
  }));
  assert.is(out, '/work/dir\nread-only\n');
});

// 8. v1 cpuset: a parent someone made and left empty gets the cpus and mems copied down.
test('v1 cpuset: an empty pre-made parent is filled from its own parent', () => {
  const cpuset = '/sys/fs/cgroup/cpuset';
  assert.ok(fs.existsSync(path.join(cpuset, 'cpuset.cpus')), 'this host mounts the v1 cpuset hierarchy');
  const parent = `parity-cpuset-${process.pid}`;
  const all = () => fs.readdirSync('/sys/fs/cgroup').map((h) => path.join('/sys/fs/cgroup', h, parent)).filter((d) => fs.existsSync(d));
  const removeAll = () => {
    for (const d of all()) for (const sub of ['c', '']) try { fs.rmdirSync(path.join(d, sub)); } catch { /* gone */ }
  };
  const filled: Record<string, string> = {};
  try {
    const r = runBoth((c) => {
      removeAll();
      fs.mkdirSync(path.join(cpuset, parent));
      assert.is(fs.readFileSync(path.join(cpuset, parent, 'cpuset.cpus'), 'utf8').trim(), '', 'the parent starts empty');
      c.linux.cgroupsPath = `/${parent}/c`;
      sh(c, 'echo ran');
    }, undefined, (e) => (filled[e] = fs.readFileSync(path.join(cpuset, parent, 'cpuset.cpus'), 'utf8').trim()));
    assert.is(same(r), 'ran\n');
    assert.equal(filled, { runc: fs.readFileSync(path.join(cpuset, 'cpuset.cpus'), 'utf8').trim(), ocirt: filled.runc });
  } finally {
    removeAll();
    assert.equal(all(), [], 'the test parents are gone');
  }
});

/** A detached `sleep` container under each runtime, given to fn, deleted afterwards. */
function withRunning(mutate: (c: any) => void, fn: (e: Engine, id: string, b: Bundle) => void): void {
  for (const e of ENGINES) {
    const b = makeBundle((c) => {
      c.process.args = ['/bin/sleep', '600'];
      mutate(c);
    });
    const id = newId(`${e}-run`);
    try {
      const r = cli(e, ['run', '--detach', '--bundle', b.dir, id]);
      assert.is(r.status, 0, `${e}: ${r.stderr}`);
      fn(e, id, b);
    } finally {
      cli(e, ['delete', '--force', id]);
      b.cleanup();
      cleanupEngine(e);
    }
  }
}

/** The container's directory in a v1 hierarchy, from its init's /proc/PID/cgroup. */
function v1Dir(e: Engine, id: string, controller: string): string {
  const pid = JSON.parse(cli(e, ['state', id]).stdout).pid;
  const line = fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').find((l) => l.split(':')[1]?.split(',').includes(controller));
  assert.ok(line, `${controller} in /proc/${pid}/cgroup`);
  return path.join('/sys/fs/cgroup', controller, line.split(':').slice(2).join(':'));
}

// 9. update --memory -1 after a swap limit: the swap limit is lifted with it.
test('update --memory -1 after a swap limit lifts both', () => {
  const seen: Record<string, string> = {};
  withRunning((c) => (c.linux.resources = { memory: { limit: 64 << 20, swap: 128 << 20 } }), (e, id) => {
    const dir = v1Dir(e, id, 'memory');
    assert.ok(fs.existsSync(path.join(dir, 'memory.memsw.limit_in_bytes')), 'this kernel accounts swap');
    const r = cli(e, ['update', '--memory', '-1', id]);
    const read = (f: string) => fs.readFileSync(path.join(dir, f), 'utf8').trim();
    seen[e] = `${r.status} ${read('memory.limit_in_bytes')} ${read('memory.memsw.limit_in_bytes')}`;
    assert.is(r.status, 0, `${e}: ${r.stderr}`);
  });
  assert.is(seen.ocirt, seen.runc);
  assert.match(seen.ocirt, /^0 9223372036854771712 9223372036854771712$/);
});

// 10. CLI behaviours callers and scripts use.
test('kill ID 0; exec: 255 when exec fails, --cap UNKNOWN warns, --cgroup; on a stopped container kill --all and ps', () => {
  const seen: Record<string, unknown[]> = {};
  withRunning(() => {}, (e, id) => {
    const got: unknown[] = (seen[e] = []);
    got.push(['kill 0', cli(e, ['kill', id, '0']).status]);
    const x = cli(e, ['exec', id, '/bin/sh', '-c', 'exit 3']);
    got.push(['exec exit 3', x.status]);
    const missing = cli(e, ['exec', id, '/no/such']);
    got.push(['exec missing', missing.status, /exec failed: .*no such file or directory/.test(missing.stderr)]);
    const cap = cli(e, ['exec', '--cap', 'CAP_BOGUS', id, '/bin/true']);
    got.push(['exec --cap bogus', cap.status, /CAP_BOGUS/.test(cap.stderr)]);
    const mem = v1Dir(e, id, 'memory');
    fs.mkdirSync(path.join(mem, 'sub'));
    try {
      const sub = cli(e, ['exec', '--cgroup', 'memory:sub', id, '/bin/sh', '-c', 'grep :memory: /proc/self/cgroup | cut -d: -f3']);
      got.push(['exec --cgroup memory:sub', sub.status, sub.stdout.trim(), sub.stderr]);
    } finally {
      fs.rmdirSync(path.join(mem, 'sub'));
    }
    got.push(['exec --cgroup nosuch', cli(e, ['exec', '--cgroup', 'nosuch', id, '/bin/true']).status]);
    got.push(['exec nosuch id', cli(e, ['exec', `${id}-nosuch`, '/bin/true']).status]);
    assert.is(cli(e, ['kill', id, 'KILL']).status, 0);
    assert.ok(waitFor(() => /"stopped"/.test(cli(e, ['state', id]).stdout)), `${e}: stopped`);
    got.push(['kill --all stopped', cli(e, ['kill', '--all', id, 'KILL']).status]);
    const kill = cli(e, ['kill', id, 'KILL']);
    got.push(['kill stopped', kill.status, /container not running/.test(kill.stderr)]);
    const ps = cli(e, ['ps', id]);
    got.push(['ps stopped', ps.status, ps.stdout.split('\n')[0].trim().split(/\s+/)]);
    got.push(['ps json stopped', cli(e, ['ps', '--format', 'json', id]).stdout]);
    got.push(['exec stopped', cli(e, ['exec', id, '/bin/true']).status]);
  });
  assert.equal(seen.ocirt, seen.runc);
  assert.equal(seen.ocirt.slice(0, 4), [['kill 0', 0], ['exec exit 3', 3], ['exec missing', 255, true], ['exec --cap bogus', 0, true]]);
});

test('-h after any command prints its usage and exits 0', () => {
  for (const cmd of ['create', 'start', 'run', 'state', 'kill', 'delete', 'list', 'spec', 'exec', 'ps', 'events', 'update', 'pause', 'resume', 'checkpoint', 'restore']) {
    for (const e of ENGINES) {
      const r = cli(e, [cmd, '-h']);
      assert.is(r.status, 0, `${e} ${cmd} -h: ${r.stderr}`);
      assert.match(r.stdout, new RegExp(`\\b${cmd}\\b`), `${e} ${cmd} -h names the command`);
    }
  }
});

test('SCMP_ACT_NOTIFY on write is refused, by pointer', () => {
  const r = runBoth((c, b) => {
    c.linux.seccomp = {
      defaultAction: 'SCMP_ACT_ALLOW',
      listenerPath: path.join(b.dir, 'agent.sock'),
      syscalls: [{ names: ['getpid'], action: 'SCMP_ACT_ERRNO' }, { names: ['mkdir', 'write'], action: 'SCMP_ACT_NOTIFY' }],
    };
  });
  assert.ok(r.runc.status !== 0, 'runc refuses it');
  assert.match(r.runc.stderr, /SCMP_ACT_NOTIFY cannot be used for the write syscall/);
  assert.is(r.ocirt.status, 1);
  assert.match(r.ocirt.stderr, /\/linux\/seccomp\/syscalls\/1\/names\/1: SCMP_ACT_NOTIFY cannot be used for the write syscall/);
});

// 11. Docker gives every runtime one --root: ocirt keeps nothing there but container
// directories, so `runc list` on it works (the seccomp cache lives beside it).
test('the state root holds container directories only: runc list works on it', () => {
  const b = makeBundle((c) => {
    c.process.args = ['/bin/sleep', '600'];
    c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }] };
  });
  const id = newId('root');
  try {
    // where earlier versions kept the cache: removed by the next create
    fs.mkdirSync(path.join(ROOTS.ocirt, '.seccomp-cache'));
    fs.writeFileSync(path.join(ROOTS.ocirt, '.seccomp-cache', 'x.bpf'), '');
    const r = cli('ocirt', ['run', '--detach', '--bundle', b.dir, id]);
    assert.is(r.status, 0, r.stderr);
    assert.equal(fs.readdirSync(ROOTS.ocirt), [id]);
    const cache = path.join(path.dirname(ROOTS.ocirt), '.ocirt-seccomp-cache');
    assert.ok(fs.readdirSync(cache).some((f) => f.endsWith('.bpf')), 'the program is cached beside the root');
    const list = spawnSync('runc', ['--root', ROOTS.ocirt, 'list'], { encoding: 'utf8' });
    assert.is(list.status, 0, list.stderr);
    assert.not.match(list.stderr, /seccomp/);
    const q = spawnSync('runc', ['--root', ROOTS.ocirt, 'list', '-q'], { encoding: 'utf8' });
    assert.is(q.status, 0, q.stderr);
  } finally {
    cli('ocirt', ['delete', '--force', id]);
    b.cleanup();
  }
});


// Hooks: one wording for every phase, runc's reason ("exit status 4", "signal: killed", "hook
// ran past specified timeout of 1.0s"), whichever way the phase starts its hooks (the runtime's
// namespaces, the init's for createContainer, from inside the container for startContainer).
test('a hook that fails, is killed or runs past its timeout: runc\'s reason, in every phase', () => {
  const kinds: Array<[string, any]> = [
    ['fails', { path: '/bin/sh', args: ['sh', '-c', 'exit 4'] }],
    ['is killed', { path: '/bin/sh', args: ['sh', '-c', 'kill -9 $$'] }],
    ['times out', { path: '/bin/busybox', args: ['busybox', 'sleep', '5'], timeout: 1 }],
  ];
  for (const phase of ['createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop']) {
    for (const [kind, hook] of kinds) {
      const r = runBoth((c) => {
        sh(c, 'true');
        c.hooks = { [phase]: [hook] };
      });
      const ctx = `${phase} hook that ${kind}`;
      assert.is(r.ocirt.status, r.runc.status, `${ctx}: exit status (runc: ${r.runc.stderr}; ocirt: ${r.ocirt.stderr})`);
      const runcWhy = /error running hook #0: (?:error running hook: )?(.*?)(?:, stdout:|"|\n|$)/.exec(r.runc.stderr)?.[1];
      assert.ok(runcWhy, `${ctx}: runc said ${r.runc.stderr}`);
      const at = `${phase} hook ${hook.path} (config.json /hooks/${phase}/0): `;
      const i = r.ocirt.stderr.indexOf(at);
      assert.ok(i >= 0, `${ctx}: ocirt said ${r.ocirt.stderr}`);
      // The hooks here write nothing, so the reason ends the line.
      assert.is(r.ocirt.stderr.slice(i + at.length).split('\n')[0], runcWhy, ctx);
    }
  }
});

test.run();

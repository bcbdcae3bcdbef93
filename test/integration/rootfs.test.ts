/**
 * The container's root filesystem through the real CLI (root only): mounts and their flags as
 * /proc/self/mountinfo shows them inside, binds, recursive attributes, tmpfs options, devices,
 * the /dev symlinks, masks, read-only paths and root, hostname, domainname, sysctl, the
 * --no-pivot path, and the security cases: a mount target that is a symlink out of the rootfs,
 * a failing mount that names its config.json pointer and leaves nothing mounted on the host.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { makeBundle, Bundle, mountsUnder } from '../helpers/bundle';
import { Runtime, withRuntime, waitFor } from '../helpers/cli';

let seq = 0;

/**
 * create + start with the container's stdout and stderr in files (a pipe would stay open in the
 * container), then waits for it to stop. Returns the exit status of create, and both texts.
 */
function createAndRun(rt: Runtime, b: Bundle, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const id = `rootfs-${process.pid}-${seq++}`;
  const outPath = path.join(b.dir, `${id}.out`);
  const errPath = path.join(b.dir, `${id}.err`);
  const out = fs.openSync(outPath, 'w');
  const err = fs.openSync(errPath, 'w');
  let status: number | null;
  try {
    status = rt.run(['create', ...args, '--bundle', b.dir, id], { stdio: ['ignore', out, err] }).status;
  } finally {
    fs.closeSync(out);
    fs.closeSync(err);
  }
  if (status === 0) {
    rt.ok(['start', id]);
    waitFor(() => rt.state(id).status === 'stopped', 30_000);
    rt.run(['delete', '--force', id]);
  }
  return { status, stdout: fs.readFileSync(outPath, 'utf8'), stderr: fs.readFileSync(errPath, 'utf8') };
}

/** Runs `script` in a container made from the default test config plus `mutate`; returns its stdout. */
async function inContainer(
  mutate: (c: any, b: Bundle) => void,
  script: string,
  opts: { args?: string[]; setup?: (b: Bundle) => void; hostMounts?: number } = {},
): Promise<string> {
  const b = makeBundle();
  try {
    opts.setup?.(b);
    b.config.process.args = ['/bin/sh', '-c', script];
    mutate(b.config, b);
    b.write();
    return await withRuntime((rt) => {
      const r = createAndRun(rt, b, opts.args ?? []);
      if (r.status !== 0) throw new Error(`create exited ${r.status}: ${r.stderr.trim()}`);
      assert.is(mountsUnder(b.dir).length, opts.hostMounts ?? 0, `mounts left on the host under the bundle: ${mountsUnder(b.dir)}`);
      return r.stdout;
    });
  } finally {
    b.cleanup();
  }
}

/** Fails create and returns the error text; checks that nothing is left behind. */
async function failing(mutate: (c: any, b: Bundle) => void, setup?: (b: Bundle) => void): Promise<string> {
  const b = makeBundle();
  try {
    setup?.(b);
    mutate(b.config, b);
    b.write();
    return await withRuntime((rt: Runtime) => {
      const r = createAndRun(rt, b, []);
      assert.is(r.status, 1, `expected a failure, got ${r.status}: ${r.stdout}`);
      assert.equal(mountsUnder(b.dir), [], 'mounts left on the host under the bundle');
      assert.equal(rt.ids(), [], 'container state left');
      return r.stderr;
    });
  } finally {
    b.cleanup();
  }
}

interface MountLine {
  root: string;
  point: string;
  opts: string[];
  fstype: string;
  source: string;
  superOpts: string[];
}

function parseMountinfo(text: string): MountLine[] {
  return text
    .split('\n')
    .filter((l) => l.includes(' - '))
    .map((l) => {
      const [pre, post] = l.split(' - ');
      const f = pre.split(' ');
      const [fstype, source, superOpts] = post.split(' ');
      return { root: f[3], point: f[4], opts: f[5].split(','), fstype, source, superOpts: (superOpts ?? '').split(',') };
    });
}

/** The topmost mount at `point` (the last one listed). */
function mountAt(ms: MountLine[], point: string): MountLine {
  const m = ms.filter((x) => x.point === point).pop();
  if (!m) throw new Error(`no mount at ${point} in:\n${ms.map((x) => x.point).join('\n')}`);
  return m;
}

function section(out: string, name: string): string {
  const m = new RegExp(`== ${name}\\n([\\s\\S]*?)(?=\\n== |$)`).exec(out);
  if (!m) throw new Error(`no section ${name} in:\n${out}`);
  return m[1];
}

const MI = 'echo "== mi"; cat /proc/self/mountinfo';

test('default mounts: types, flags and data as mountinfo shows them', async () => {
  const ms = parseMountinfo(await inContainer(() => {}, 'cat /proc/self/mountinfo'));
  const root = mountAt(ms, '/');
  assert.ok(root.root.endsWith('/rootfs'), `root is the rootfs: ${root.root}`);
  assert.is(mountAt(ms, '/proc').fstype, 'proc');
  const dev = mountAt(ms, '/dev');
  assert.is(dev.fstype, 'tmpfs');
  assert.ok(dev.opts.includes('nosuid'));
  assert.ok(dev.superOpts.includes('mode=755') && dev.superOpts.includes('size=65536k'), dev.superOpts.join());
  const pts = mountAt(ms, '/dev/pts');
  assert.is(pts.fstype, 'devpts');
  assert.ok(pts.opts.includes('nosuid') && pts.opts.includes('noexec'));
  for (const o of ['gid=5', 'mode=620', 'ptmxmode=666']) assert.ok(pts.superOpts.includes(o), `devpts ${o}: ${pts.superOpts.join()}`);
  const shm = mountAt(ms, '/dev/shm');
  for (const o of ['nosuid', 'nodev', 'noexec']) assert.ok(shm.opts.includes(o));
  assert.is(mountAt(ms, '/dev/mqueue').fstype, 'mqueue');
  const sys = mountAt(ms, '/sys');
  assert.is(sys.fstype, 'sysfs');
  for (const o of ['ro', 'nosuid', 'nodev', 'noexec']) assert.ok(sys.opts.includes(o), `sysfs ${o}`);
  // nothing of the host is visible
  assert.not.ok(ms.some((m) => m.point.startsWith('/tmp/') || m.point === '/mnt'), 'host mounts visible');
});

test('devices and /dev symlinks', async () => {
  const out = await inContainer(
    (c) => (c.linux.devices = [{ path: '/dev/fuse', type: 'c', major: 10, minor: 229, fileMode: 0o600, uid: 0, gid: 5 }]),
    'for d in null zero full random urandom tty fuse; do stat -c "%n %F %t:%T %a %g" /dev/$d; done; for l in ptmx fd stdin stdout stderr; do echo "/dev/$l -> $(readlink /dev/$l)"; done',
  );
  const lines = out.trim().split('\n');
  const dev = (name: string) => lines.find((l) => l.startsWith(`/dev/${name} `)) ?? '';
  assert.match(dev('null'), /character special file 1:3 666 0/);
  assert.match(dev('zero'), /character special file 1:5 666/);
  assert.match(dev('full'), /character special file 1:7 666/);
  assert.match(dev('random'), /character special file 1:8 666/);
  assert.match(dev('urandom'), /character special file 1:9 666/);
  assert.match(dev('tty'), /character special file 5:0 666/);
  assert.match(dev('fuse'), /character special file a:e5 600 5/);
  assert.ok(lines.includes('/dev/ptmx -> pts/ptmx'));
  assert.ok(lines.includes('/dev/fd -> /proc/self/fd'));
  assert.ok(lines.includes('/dev/stdin -> /proc/self/fd/0'));
  assert.ok(lines.includes('/dev/stdout -> /proc/self/fd/1'));
  assert.ok(lines.includes('/dev/stderr -> /proc/self/fd/2'));
});

test('bind mounts: a directory ro,nosuid, a file, a relative source', async () => {
  let host = '';
  const out = await inContainer(
    (c, b) => {
      host = path.join(b.dir, 'hostdir');
      c.mounts.push({ destination: '/data', type: 'bind', source: host, options: ['rbind', 'ro', 'nosuid'] });
      c.mounts.push({ destination: '/etc/single', source: 'hostfile', options: ['bind'] });
    },
    `${MI}; echo "== read"; cat /data/hello /etc/single; echo "== write"; touch /data/new 2>&1; echo "rc=$?"`,
    {
      setup: (b) => {
        fs.mkdirSync(path.join(b.dir, 'hostdir'));
        fs.writeFileSync(path.join(b.dir, 'hostdir/hello'), 'hello\n');
        fs.writeFileSync(path.join(b.dir, 'hostfile'), 'single\n');
      },
    },
  );
  const ms = parseMountinfo(section(out, 'mi'));
  const data = mountAt(ms, '/data');
  assert.ok(data.opts.includes('ro') && data.opts.includes('nosuid'), data.opts.join());
  assert.is(mountAt(ms, '/etc/single').opts[0], 'rw');
  assert.is(section(out, 'read'), 'hello\nsingle');
  assert.match(section(out, 'write'), /Read-only file system[\s\S]*rc=1/);
});

test('rro is recursive, ro is not', async () => {
  const out = await inContainer(
    (c, b) => {
      const src = path.join(b.dir, 'tree');
      c.mounts.push({ destination: '/ro', source: src, options: ['rbind', 'ro'] });
      c.mounts.push({ destination: '/rro', source: src, options: ['rbind', 'rro'] });
    },
    `${MI}; echo "== w"; touch /ro/sub/a && echo ro-sub-writable; touch /rro/sub/b || echo rro-sub-readonly`,
    {
      setup: (b) => {
        const sub = path.join(b.dir, 'tree/sub');
        fs.mkdirSync(sub, { recursive: true });
        execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', sub]);
      },
      hostMounts: 1, // the test's own tmpfs at tree/sub
    },
  );
  const ms = parseMountinfo(section(out, 'mi'));
  assert.ok(mountAt(ms, '/ro').opts.includes('ro'));
  assert.ok(mountAt(ms, '/ro/sub').opts.includes('rw'), 'ro is not recursive');
  assert.ok(mountAt(ms, '/rro').opts.includes('ro'));
  assert.ok(mountAt(ms, '/rro/sub').opts.includes('ro'), 'rro is recursive');
  assert.match(section(out, 'w'), /ro-sub-writable\n[\s\S]*rro-sub-readonly/);
});

test('tmpfs size and mode; ro tmpfs is read-only; a propagation flag', async () => {
  const out = await inContainer(
    (c) => {
      c.mounts.push({ destination: '/run/t', type: 'tmpfs', source: 'tmpfs', options: ['mode=700', 'size=1m', 'noexec'] });
      c.mounts.push({ destination: '/run/r', type: 'tmpfs', source: 'tmpfs', options: ['ro', 'size=1m'] });
      c.mounts.push({ destination: '/run/s', type: 'tmpfs', source: 'tmpfs', options: ['rshared'] });
    },
    `${MI}; echo "== st"; stat -c "%a" /run/t; touch /run/r/x 2>/dev/null || echo ro-ok`,
  );
  const ms = parseMountinfo(section(out, 'mi'));
  const t = mountAt(ms, '/run/t');
  assert.ok(t.superOpts.includes('size=1024k') && t.superOpts.includes('mode=700'), t.superOpts.join());
  assert.ok(t.opts.includes('noexec'));
  assert.ok(mountAt(ms, '/run/r').opts.includes('ro'));
  assert.is(section(out, 'st').trim(), '700\nro-ok');
  const line = section(out, 'mi').split('\n').find((l) => l.split(' ')[4] === '/run/s') ?? '';
  assert.match(line, / shared:\d+ /);
});

test('masked paths: files read empty, directories are empty and read-only, missing ones skipped', async () => {
  const out = await inContainer(
    (c) => (c.linux.maskedPaths = ['/etc/secret', '/etc/secretdir', '/proc/keys', '/nonexistent/x', '/proc/acpi']),
    `${MI}; echo "== r"; cat /etc/secret; echo "[$(ls /etc/secretdir)]"; cat /proc/keys | wc -c; touch /etc/secretdir/x 2>/dev/null || echo dir-ro; echo x > /etc/secret; cat /etc/secret | wc -c`,
    {
      setup: (b) => {
        fs.writeFileSync(path.join(b.rootfs, 'etc/secret'), 'secret\n');
        fs.mkdirSync(path.join(b.rootfs, 'etc/secretdir'));
        fs.writeFileSync(path.join(b.rootfs, 'etc/secretdir/f'), 'f');
      },
    },
  );
  assert.is(section(out, 'r').trim(), '[]\n0\ndir-ro\n0');
  const ms = parseMountinfo(section(out, 'mi'));
  assert.is(mountAt(ms, '/etc/secret').root, '/null');
  assert.ok(mountAt(ms, '/etc/secretdir').opts.includes('ro'));
});

test('read-only paths and root.readonly', async () => {
  const out = await inContainer(
    (c) => {
      c.root.readonly = true;
      c.linux.readonlyPaths = ['/proc/sys', '/nonexistent'];
    },
    `${MI}; echo "== w"; touch /x 2>/dev/null || echo root-ro; echo 1 > /proc/sys/kernel/shmmax 2>/dev/null || echo procsys-ro; touch /dev/shm/x && echo shm-rw`,
  );
  assert.is(section(out, 'w').trim(), 'root-ro\nprocsys-ro\nshm-rw');
  const ms = parseMountinfo(section(out, 'mi'));
  assert.ok(mountAt(ms, '/').opts.includes('ro'));
  assert.ok(mountAt(ms, '/proc/sys').opts.includes('ro'));
});

test('hostname, domainname and sysctl (net in a new netns, kernel.shm* in a new ipc ns)', async () => {
  const out = await inContainer(
    (c) => {
      c.hostname = 'box1';
      c.domainname = 'example.org';
      c.linux.sysctl = { 'net.ipv4.ip_forward': '1', 'kernel.shmmax': '123456789' };
    },
    'hostname; cat /proc/sys/kernel/domainname /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmax',
  );
  assert.is(out.trim(), 'box1\nexample.org\n1\n123456789');
});

test('more options: atime modes, nosymfollow, superblock flags on a tmpfs; a bind keeps what it does not name', async () => {
  const out = await inContainer(
    (c, b) => {
      c.mounts.push({ destination: '/t', type: 'tmpfs', source: 'tmpfs', options: ['nosymfollow', 'noatime', 'nodiratime', 'sync', 'dirsync', 'noexec'] });
      c.mounts.push({ destination: '/b', source: path.join(b.dir, 'hostdir'), options: ['bind', 'nodev', 'noexec', 'nosymfollow', 'strictatime'] });
    },
    'cat /proc/self/mountinfo',
    { setup: (b) => fs.mkdirSync(path.join(b.dir, 'hostdir')) },
  );
  const ms = parseMountinfo(out);
  const t = mountAt(ms, '/t');
  for (const o of ['noexec', 'noatime', 'nodiratime', 'nosymfollow']) assert.ok(t.opts.includes(o), `tmpfs ${o}: ${t.opts}`);
  for (const o of ['sync', 'dirsync']) assert.ok(t.superOpts.includes(o), `tmpfs ${o}: ${t.superOpts}`);
  const b = mountAt(ms, '/b');
  for (const o of ['rw', 'nodev', 'noexec', 'nosymfollow']) assert.ok(b.opts.includes(o), `bind ${o}: ${b.opts}`);
  assert.not.ok(b.opts.includes('relatime') || b.opts.includes('noatime'), `strictatime: ${b.opts}`);
});

test('user namespace: device nodes are bound from the host, mounts still work', async () => {
  const out = await inContainer(
    (c) => {
      c.linux.namespaces.push({ type: 'user' });
      c.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      c.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      c.mounts.push({ destination: '/t', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] });
    },
    `${MI}; echo "== d"; stat -c "%F %t:%T" /dev/null /dev/tty; echo x > /dev/null && echo null-ok; cat /proc/sys/kernel/hostname`,
    {
      setup: (b) => {
        // The container's root is uid 100000 on the host: it must own the rootfs to create mount points.
        execFileSync('chown', ['-R', '100000:100000', b.rootfs]);
        fs.chmodSync(b.dir, 0o755);
      },
    },
  );
  const ms = parseMountinfo(section(out, 'mi'));
  assert.is(mountAt(ms, '/dev/null').root, '/null', 'bound from the host');
  assert.is(mountAt(ms, '/t').fstype, 'tmpfs');
  assert.is(section(out, 'd').trim(), 'character special file 1:3\ncharacter special file 5:0\nnull-ok\nocirt-test');
});

test('a mount over a symlink out of the rootfs stays inside it (CVE-2021-30465)', async () => {
  const host = fs.mkdtempSync(path.join(os.tmpdir(), 'ocirt-escape-'));
  try {
    const out = await inContainer(
      (c) => c.mounts.push({ destination: '/escape/sub', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] }),
      `${MI}; echo "== ls"; ls ${host}`,
      {
        setup: (b) => {
          fs.symlinkSync(host, path.join(b.rootfs, 'escape'));
          fs.mkdirSync(path.join(b.rootfs, host), { recursive: true });
        },
      },
    );
    assert.equal(fs.readdirSync(host), [], 'nothing created on the host');
    assert.equal(mountsUnder(host), [], 'nothing mounted on the host');
    assert.is(mountAt(parseMountinfo(section(out, 'mi')), `${host}/sub`).fstype, 'tmpfs');
    assert.is(section(out, 'ls').trim(), 'sub');
    // A symlink whose target exists only on the host: as runc, the target is made inside the
    // rootfs and mounted there; nothing is made or mounted on the host.
    const out2 = await inContainer(
      (c) => c.mounts.push({ destination: '/escape2/sub', type: 'tmpfs', source: 'tmpfs' }),
      `${MI}`,
      { setup: (b) => fs.symlinkSync(host, path.join(b.rootfs, 'escape2')) },
    );
    assert.is(mountAt(parseMountinfo(section(out2, 'mi')), `${host}/sub`).fstype, 'tmpfs');
    assert.equal(fs.readdirSync(host), []);
    assert.equal(mountsUnder(host), []);
  } finally {
    fs.rmSync(host, { recursive: true, force: true });
  }
});

test('a failing mount names its pointer and leaves nothing behind', async () => {
  const err = await failing((c) => c.mounts.push({ destination: '/x', type: 'nosuchfs', source: 'none' }));
  assert.match(err, /mount nosuchfs on \/x \(config\.json \/mounts\/6\): .*no such device/);
  const err2 = await failing((c) => c.mounts.push({ destination: '/y', source: '/nonexistent/source', options: ['bind'] }));
  assert.match(err2, /bind mount \/nonexistent\/source on \/y \(config\.json \/mounts\/6\): .*no such file or directory/);
  // refused before anything runs, never ignored
  const err5 = await failing((c) => c.mounts.push({ destination: '/z', source: '/tmp', options: ['rbind', 'idmap'] }));
  assert.match(err5, /\/mounts\/6\/options.*idmap/);
  // a tmpfs inside procfs is refused (runc's checkProcMount)
  const err4 = await failing((c) => c.mounts.push({ destination: '/proc/sys/kernel', type: 'tmpfs', source: 'tmpfs' }));
  assert.match(err4, /mount tmpfs on \/proc\/sys\/kernel \(config\.json \/mounts\/6\): .*operation not permitted/);
});

test('--no-pivot: the rootfs is moved onto / and the host procfs is hidden', async () => {
  const ms = parseMountinfo(await inContainer(() => {}, 'cat /proc/self/mountinfo', { args: ['--no-pivot'] }));
  assert.ok(mountAt(ms, '/').root.endsWith('/rootfs'));
  assert.is(ms.filter((m) => m.fstype === 'proc' && m.root === '/').length, 1, 'only the container procfs');
});

test('idmapped bind mounts: ids on disk are shifted by the mount\'s maps, both ways', async () => {
  const out = await inContainer(
    (c, b) => {
      const host = path.join(b.dir, 'owned');
      // On disk 1000 is root through this mount, and what root writes lands on disk as 1000.
      c.mounts.push({ destination: '/shifted', source: host, options: ['bind', 'idmap'], uidMappings: [{ containerID: 1000, hostID: 0, size: 1 }], gidMappings: [{ containerID: 2000, hostID: 0, size: 1 }] });
      c.mounts.push({ destination: '/plain', source: host, options: ['bind'] });
    },
    'stat -c "%u:%g" /shifted/file /plain/file; touch /shifted/new; stat -c "%u:%g" /shifted/new /plain/new',
    {
      setup: (b) => {
        fs.mkdirSync(path.join(b.dir, 'owned'));
        fs.writeFileSync(path.join(b.dir, 'owned/file'), 'x');
        fs.chownSync(path.join(b.dir, 'owned'), 1000, 2000);
        fs.chownSync(path.join(b.dir, 'owned/file'), 1000, 2000);
      },
    },
  );
  // The last line: written through the idmapped mount, stored shifted on disk.
  assert.equal(out.trim().split('\n'), ['0:0', '1000:2000', '0:0', '1000:2000']);
});

test('idmap is refused where the spec says so, by pointer', async () => {
  const e1 = await failing((c) => c.mounts.push({ destination: '/t', type: 'tmpfs', source: 'tmpfs', options: ['idmap'], uidMappings: [{ containerID: 0, hostID: 1000, size: 1 }], gidMappings: [{ containerID: 0, hostID: 1000, size: 1 }] }));
  assert.match(e1, /\/mounts\/6\/options: idmapped mounts are supported for bind mounts only/);
  const e2 = await failing((c) => c.mounts.push({ destination: '/t', source: '/tmp', options: ['bind'], uidMappings: [{ containerID: 0, hostID: 1000, size: 1 }] }));
  assert.match(e2, /\/mounts\/6.*gidMappings/, e2);
});

test.run();

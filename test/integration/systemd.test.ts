/**
 * The systemd cgroup driver against a real systemd: Debian's systemd as PID 1 of a container
 * (test/systemd/host.sh), one on v1 controllers (hybrid, as this host) and one on cgroup2 only.
 * ocirt runs in that container's namespaces (nsenter), so the pids it hands systemd are pids
 * systemd sees, and talks to it over its system bus at the standard socket.
 *
 * Checked: the scope exists with its properties; the limits are in the cgroup files; the forms
 * of cgroupsPath that engines send (system.slice, a nested kubepods slice, -.slice) are
 * accepted; start, exec, pause, resume, update, events --stats, kill --all and delete work;
 * delete removes the unit; a failed create leaves nothing in systemd or cgroupfs; bad input
 * gets an error naming /linux/cgroupsPath.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { makeRootfs, defaultTestConfig } from '../helpers/bundle';

const REPO = path.resolve(__dirname, '../../..');
const OCIRT = path.join(REPO, 'bin', 'ocirt');
const HOST = path.join(REPO, 'test/systemd/host.sh');

interface Host {
  dir: string;
  pid: number;
  mode: 'hybrid' | 'unified';
}
const hosts: Partial<Record<'hybrid' | 'unified', Host>> = {};
const timings: string[] = [];

function boot(mode: 'hybrid' | 'unified'): Host {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `ocirt-sd-${mode}-`));
  const t0 = Date.now();
  const r = spawnSync(HOST, ['start', dir, mode], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) {
    spawnSync(HOST, ['stop', dir]);
    fs.rmSync(dir, { recursive: true, force: true });
    throw new Error(`systemd (${mode}) did not boot: ${r.stderr}`);
  }
  timings.push(`boot ${mode} ${Date.now() - t0} ms`);
  return { dir, pid: Number(r.stdout.trim()), mode };
}

function shutdown(h: Host | undefined): void {
  if (!h) return;
  spawnSync(HOST, ['stop', h.dir], { encoding: 'utf8' });
  fs.rmSync(h.dir, { recursive: true, force: true });
}

/** Runs a command in the systemd container's namespaces; output through files (a container inherits ocirt's stdio). */
function inside(h: Host, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const out = path.join(h.dir, 'out');
  const err = path.join(h.dir, 'err');
  const fo = fs.openSync(out, 'w');
  const fe = fs.openSync(err, 'w');
  try {
    const r = spawnSync('nsenter', ['-t', String(h.pid), '-m', '-p', '-C', '--', ...args], { stdio: ['ignore', fo, fe], timeout: 60_000 });
    return { status: r.status, stdout: fs.readFileSync(out, 'utf8'), stderr: fs.readFileSync(err, 'utf8') };
  } finally {
    fs.closeSync(fo);
    fs.closeSync(fe);
  }
}

function ocirt(h: Host, args: string[]) {
  return inside(h, [OCIRT, '--root', path.join(h.dir, 'state'), '--systemd-cgroup', ...args]);
}

function ok(h: Host, args: string[]): string {
  const r = ocirt(h, args);
  if (r.status !== 0) throw new Error(`ocirt ${args.join(' ')}: exit ${r.status}: ${r.stderr.trim()}`);
  return r.stdout;
}

/** systemctl show's properties; a list (DeviceAllow) comes one line per entry, joined here by newlines. */
function show(h: Host, unit: string, props: string[]): Record<string, string> {
  const r = inside(h, ['systemctl', 'show', unit, '--no-pager', ...props.map((p) => `--property=${p}`)]);
  const out: Record<string, string> = {};
  for (const l of r.stdout.trim().split('\n').filter(Boolean)) {
    const k = l.slice(0, l.indexOf('='));
    const v = l.slice(l.indexOf('=') + 1);
    out[k] = k in out ? `${out[k]}\n${v}` : v;
  }
  return out;
}

/** The units systemd knows whose names start with prefix (loaded or not). */
function units(h: Host, prefix: string): string[] {
  const r = inside(h, ['systemctl', 'list-units', '--all', '--no-legend', '--plain', `${prefix}*`]);
  return r.stdout.split('\n').map((l) => l.trim().split(/\s+/)[0]).filter(Boolean);
}

function bundle(h: Host, name: string, mutate: (c: any) => void): string {
  const dir = path.join(h.dir, 'bundles', name);
  makeRootfs(path.join(dir, 'rootfs'));
  const c = defaultTestConfig();
  c.process.args = ['/bin/sleep', '1000'];
  // What engines send: deny everything, then the devices they allow.
  c.linux.resources = { devices: [{ allow: false, access: 'rwm' }] };
  mutate(c);
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(c, null, 2));
  return dir;
}

/** A file of the scope's cgroup as the container's systemd sees it. */
function cgFile(h: Host, rel: string): string {
  const r = inside(h, ['cat', path.join('/sys/fs/cgroup', rel)]);
  if (r.status !== 0) throw new Error(`cat ${rel}: ${r.stderr}`);
  return r.stdout.trim();
}

function cgExists(h: Host, rel: string): boolean {
  return inside(h, ['test', '-e', path.join('/sys/fs/cgroup', rel)]).status === 0;
}

function initPid(h: Host, id: string): number {
  return JSON.parse(ok(h, ['state', id])).pid;
}

test.before(() => {
  hosts.hybrid = boot('hybrid');
  hosts.unified = boot('unified');
});

test.after(() => {
  for (const h of Object.values(hosts)) {
    if (!h) continue;
    for (const id of fs.existsSync(path.join(h.dir, 'state')) ? fs.readdirSync(path.join(h.dir, 'state')).filter((d) => !d.startsWith('.')) : []) ocirt(h, ['delete', '--force', id]);
  }
  shutdown(hosts.hybrid);
  shutdown(hosts.unified);
  console.log(`# systemd: ${timings.join(', ')}`);
});

test('the systemd host cannot change the kernel: /proc/sys is read-only in it', () => {
  for (const h of [hosts.hybrid!, hosts.unified!]) {
    const r = inside(h, ['sh', '-c', 'echo 1 >/proc/sys/kernel/core_uses_pid']);
    assert.is.not(r.status, 0);
    assert.match(r.stderr, /Read-only file system/);
  }
});

test('v1: the scope has its properties, the limits are in the files, every command works, delete removes the unit', () => {
  const h = hosts.hybrid!;
  const b = bundle(h, 'c1', (c) => {
    c.linux.cgroupsPath = 'system.slice:ocirt-t:c1';
    c.linux.resources.memory = { limit: 64 << 20 };
    c.linux.resources.pids = { limit: 42 };
    c.linux.resources.cpu = { shares: 512, quota: 50000, period: 100000, cpus: '0' };
  });
  const t0 = Date.now();
  const created = ocirt(h, ['--debug', 'create', '--bundle', b, 'c1']);
  assert.is(created.status, 0, created.stderr);
  timings.push(`create (v1) ${Date.now() - t0} ms [${/created "c1" with init \d+ \(([^)]*)\)/.exec(created.stderr)?.[1]}]`);
  const u = show(h, 'ocirt-t-c1.scope', ['ActiveState', 'Delegate', 'ControlGroup', 'MemoryLimit', 'TasksMax', 'CPUShares', 'CPUQuotaPerSecUSec', 'DevicePolicy', 'DeviceAllow', 'Slice']);
  assert.equal(u, {
    ActiveState: 'active',
    Delegate: 'yes',
    ControlGroup: '/system.slice/ocirt-t-c1.scope',
    MemoryLimit: String(64 << 20),
    TasksMax: '42',
    CPUShares: '512',
    CPUQuotaPerSecUSec: '500ms',
    DevicePolicy: 'strict',
    DeviceAllow: u.DeviceAllow,
    Slice: 'system.slice',
  });
  assert.match(u.DeviceAllow, /\/dev\/char\/1:3 rwm/);
  assert.match(u.DeviceAllow, /char-pts rwm/);
  const pid = initPid(h, 'c1');
  const own = inside(h, ['cat', `/proc/${pid}/cgroup`]).stdout;
  for (const c of ['name=systemd', 'memory', 'pids', 'cpu', 'cpuset', 'freezer', 'devices']) assert.match(own, new RegExp(`:${c}:/system.slice/ocirt-t-c1.scope\\n`), `${c}: ${own}`);
  const d = 'system.slice/ocirt-t-c1.scope';
  assert.is(cgFile(h, `memory/${d}/memory.limit_in_bytes`), String(64 << 20));
  assert.is(cgFile(h, `pids/${d}/pids.max`), '42');
  assert.is(cgFile(h, `cpu/${d}/cpu.shares`), '512');
  assert.is(cgFile(h, `cpu/${d}/cpu.cfs_quota_us`), '50000');
  assert.is(cgFile(h, `cpuset/${d}/cpuset.cpus`), '0');
  assert.match(cgFile(h, `devices/${d}/devices.list`), /^c 1:3 rwm$/m);
  assert.not.match(cgFile(h, `devices/${d}/devices.list`), /^a \*:\* rwm$/m);

  ok(h, ['start', 'c1']);
  const execCg = ok(h, ['exec', 'c1', '/bin/cat', '/proc/self/cgroup']);
  assert.match(execCg, /:memory:\/\n/, 'exec joins the scope (the container sees its cgroup namespace root)');
  ok(h, ['pause', 'c1']);
  assert.is(JSON.parse(ok(h, ['state', 'c1'])).status, 'paused');
  assert.is(cgFile(h, `freezer/${d}/freezer.state`), 'FROZEN');
  ok(h, ['resume', 'c1']);
  assert.is(JSON.parse(ok(h, ['state', 'c1'])).status, 'running');
  ok(h, ['update', '--memory', String(128 << 20), '--pids-limit', '50', 'c1']);
  assert.equal(show(h, 'ocirt-t-c1.scope', ['MemoryLimit', 'TasksMax']), { MemoryLimit: String(128 << 20), TasksMax: '50' });
  assert.is(cgFile(h, `memory/${d}/memory.limit_in_bytes`), String(128 << 20));
  const stats = JSON.parse(ok(h, ['events', '--stats', 'c1']));
  assert.is(stats.data.memory.usage.limit, 128 << 20);
  assert.is(stats.data.pids.current >= 1, true);
  ok(h, ['kill', '--all', 'c1', 'KILL']);
  for (let i = 0; i < 100 && JSON.parse(ok(h, ['state', 'c1'])).status !== 'stopped'; i++) spawnSync('sleep', ['0.05']);
  assert.is(JSON.parse(ok(h, ['state', 'c1'])).status, 'stopped');
  const t1 = Date.now();
  ok(h, ['delete', 'c1']);
  timings.push(`delete (v1) ${Date.now() - t1} ms`);
  assert.equal(units(h, 'ocirt-t-c1'), []);
  for (const c of ['memory', 'pids', 'cpu', 'cpuset', 'freezer', 'systemd', 'unified']) assert.not.ok(cgExists(h, `${c}/${d}`), `${c}/${d} is left`);
});

test('cgroupsPath forms engines send: a nested kubepods slice, -.slice, an empty slice, no cgroupsPath', () => {
  const h = hosts.hybrid!;
  // The kubelet makes the pod's slice before the runtime puts containers in it.
  inside(h, ['sh', '-c', 'mkdir -p /run/systemd/system && printf "[Unit]\\nDescription=pod\\n" >/run/systemd/system/kubepods-burstable-pod1.slice && systemctl daemon-reload && systemctl start kubepods-burstable-pod1.slice']);
  const cases: [string, string | undefined, string, string][] = [
    ['k1', 'kubepods-burstable-pod1.slice:cri-containerd:k1', 'cri-containerd-k1.scope', '/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1.slice/cri-containerd-k1.scope'],
    ['r1', '-.slice:ocirt-root:r1', 'ocirt-root-r1.scope', '/ocirt-root-r1.scope'],
    ['e1', ':docker:e1', 'docker-e1.scope', '/system.slice/docker-e1.scope'],
    ['n1', undefined, 'ocirt-n1.scope', '/system.slice/ocirt-n1.scope'],
  ];
  for (const [id, cp, unit, cg] of cases) {
    const b = bundle(h, id, (c) => {
      if (cp !== undefined) c.linux.cgroupsPath = cp;
    });
    ok(h, ['create', '--bundle', b, id]);
    assert.equal(show(h, unit, ['ActiveState', 'ControlGroup']), { ActiveState: 'active', ControlGroup: cg }, id);
    assert.match(inside(h, ['cat', `/proc/${initPid(h, id)}/cgroup`]).stdout, new RegExp(`:memory:${cg.replace(/[.]/g, '\\.')}\\n`));
    ok(h, ['delete', '--force', id]);
    assert.equal(units(h, unit), [], `${unit} is left`);
  }
  inside(h, ['sh', '-c', 'systemctl stop kubepods-burstable-pod1.slice; rm /run/systemd/system/kubepods-burstable-pod1.slice; systemctl daemon-reload']);
});

test('bad cgroupsPath, a missing slice: errors naming /linux/cgroupsPath, nothing made', () => {
  const h = hosts.hybrid!;
  for (const [id, cp, re] of [
    ['b1', '/docker/b1', /\/linux\/cgroupsPath: "\/docker\/b1": expected 3 fields/],
    ['b2', 'nope.slice:ocirt-b:b2', /\/linux\/cgroupsPath: the slice nope\.slice does not exist in systemd/],
    ['b3', 'system.slice:ocirt-b:b/3', /\/linux\/cgroupsPath: .*letters, digits/],
  ] as [string, string, RegExp][]) {
    const b = bundle(h, id, (c) => (c.linux.cgroupsPath = cp));
    const r = ocirt(h, ['create', '--bundle', b, id]);
    assert.is.not(r.status, 0);
    assert.match(r.stderr, re);
    assert.not.ok(fs.existsSync(path.join(h.dir, 'state', id)), `state of ${id} is left`);
  }
  assert.equal(units(h, 'ocirt-b'), []);
  assert.equal(units(h, 'nope'), []);
});

test('a create that fails after the scope started leaves nothing in systemd or cgroupfs', () => {
  const h = hosts.hybrid!;
  const hook = bundle(h, 'f1', (c) => {
    c.linux.cgroupsPath = 'system.slice:ocirt-f:f1';
    c.hooks = { createRuntime: [{ path: '/bin/false' }] };
  });
  const r1 = ocirt(h, ['create', '--bundle', hook, 'f1']);
  assert.is.not(r1.status, 0);
  assert.match(r1.stderr, /createRuntime hook/);
  const cpus = bundle(h, 'f2', (c) => {
    c.linux.cgroupsPath = 'system.slice:ocirt-f:f2';
    c.linux.resources.cpu = { cpus: '4095' };
  });
  const r2 = ocirt(h, ['create', '--bundle', cpus, 'f2']);
  assert.is.not(r2.status, 0);
  assert.match(r2.stderr, /\/linux\/resources\/cpu\/cpus/);
  assert.equal(units(h, 'ocirt-f'), []);
  for (const id of ['f1', 'f2']) {
    assert.not.ok(fs.existsSync(path.join(h.dir, 'state', id)));
    for (const c of ['memory', 'pids', 'cpuset', 'freezer', 'systemd', 'unified']) assert.not.ok(cgExists(h, `${c}/system.slice/ocirt-f-${id}.scope`), `${c} of ${id} is left`);
  }
});

test('v2 (cgroup2 only): the scope is made with Delegate, exec joins it, delete removes it', () => {
  const h = hosts.unified!;
  const b = bundle(h, 'u1', (c) => {
    c.linux.cgroupsPath = 'system.slice:ocirt-u:u1';
  });
  const t0 = Date.now();
  ok(h, ['create', '--bundle', b, 'u1']);
  timings.push(`create (v2) ${Date.now() - t0} ms`);
  assert.equal(show(h, 'ocirt-u-u1.scope', ['ActiveState', 'Delegate', 'ControlGroup', 'DevicePolicy']), {
    ActiveState: 'active',
    Delegate: 'yes',
    ControlGroup: '/system.slice/ocirt-u-u1.scope',
    DevicePolicy: 'strict',
  });
  const pid = initPid(h, 'u1');
  // (This host's v1 hierarchies also show, where the container is not: systemd has none here.)
  assert.match(inside(h, ['cat', `/proc/${pid}/cgroup`]).stdout, /^0::\/system\.slice\/ocirt-u-u1\.scope$/m);
  ok(h, ['start', 'u1']);
  assert.match(ok(h, ['exec', 'u1', '/bin/cat', '/proc/self/cgroup']), /^0::\/$/m);
  assert.match(cgFile(h, 'system.slice/ocirt-u-u1.scope/cgroup.procs'), new RegExp(`^${pid}$`, 'm'));
  ok(h, ['pause', 'u1']);
  assert.is(JSON.parse(ok(h, ['state', 'u1'])).status, 'paused');
  ok(h, ['resume', 'u1']);
  ok(h, ['delete', '--force', 'u1']);
  assert.equal(units(h, 'ocirt-u'), []);
  assert.not.ok(cgExists(h, 'system.slice/ocirt-u-u1.scope'));
});

test('podman --cgroup-manager systemd runs a container with ocirt in a libpod scope', () => {
  const h = hosts.hybrid!;
  const b = bundle(h, 'p1', () => undefined);
  const pd = path.join(h.dir, 'podman');
  const r = inside(h, [
    'podman',
    '--root', `${pd}/storage`,
    '--runroot', `${pd}/run`,
    '--storage-driver', 'vfs',
    '--cgroup-manager', 'systemd',
    '--events-backend', 'file',
    '--runtime', OCIRT,
    // The limits podman asks for by default are above what this machine's hard limits allow (README).
    'run', '--rm', '--network', 'none', '--cgroupns', 'host', '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=4096:4096',
    '--rootfs', path.join(b, 'rootfs'),
    '/bin/cat', '/proc/self/cgroup',
  ]);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /:memory:\/machine\.slice\/libpod-[0-9a-f]{64}\.scope\n/);
  assert.equal(units(h, 'libpod-'), []);
});

test('features reports the systemd driver where systemd answers, and not elsewhere', () => {
  const h = hosts.hybrid!;
  const inner = JSON.parse(inside(h, [OCIRT, 'features']).stdout);
  assert.is(inner.linux.cgroup.systemd, true);
  const outer = spawnSync(OCIRT, ['features'], { encoding: 'utf8', env: { ...process.env, DBUS_SYSTEM_BUS_ADDRESS: 'unix:path=/nonexistent/ocirt-test-bus' } });
  assert.is(JSON.parse(outer.stdout).linux.cgroup.systemd, false);
});

test.run();

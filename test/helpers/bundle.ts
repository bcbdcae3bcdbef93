/**
 * Test bundles: a busybox-static rootfs in a fresh temp dir, a config.json built from
 * `defaultTestConfig()` plus the caller's changes, and a cleanup that always runs.
 *
 * Usage:
 *   const b = makeBundle((c) => { c.process.args = ['/bin/sh', '-c', 'id -u']; });
 *   try { ... } finally { b.cleanup(); }
 * or `await withBundle(mutator, async (b) => { ... })`.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { Runtime, withRuntime } from './cli';

export const BUSYBOX = '/bin/busybox';

export interface Bundle {
  dir: string;
  rootfs: string;
  configPath: string;
  config: any;
  /** Rewrites config.json from `config` (after a test changed it). */
  write(): void;
  cleanup(): void;
}

let applets: string[] | undefined;
function busyboxApplets(): string[] {
  if (!applets) {
    applets = execFileSync(BUSYBOX, ['--list'], { encoding: 'utf8' })
      .split('\n')
      .map((s) => s.trim())
      .filter((s) => s && !s.includes('/'));
  }
  return applets;
}

/** A minimal rootfs: /bin/busybox, its applets as symlinks, and the usual empty dirs. */
export function makeRootfs(rootfs: string): void {
  if (!fs.existsSync(BUSYBOX)) throw new Error(`${BUSYBOX} is missing: apt-get install busybox-static`);
  for (const d of ['bin', 'dev', 'proc', 'sys', 'tmp', 'etc', 'root', 'run', 'var', 'usr/bin']) {
    fs.mkdirSync(path.join(rootfs, d), { recursive: true });
  }
  fs.copyFileSync(BUSYBOX, path.join(rootfs, 'bin/busybox'));
  fs.chmodSync(path.join(rootfs, 'bin/busybox'), 0o755);
  for (const a of busyboxApplets()) {
    const p = path.join(rootfs, 'bin', a);
    if (!fs.existsSync(p)) fs.symlinkSync('busybox', p);
  }
  fs.chmodSync(path.join(rootfs, 'tmp'), 0o1777);
  fs.writeFileSync(path.join(rootfs, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n');
  fs.writeFileSync(path.join(rootfs, 'etc/group'), 'root:x:0:\ntty:x:5:\nnogroup:x:65534:\n');
}

/** A config close to `runc spec`, but non-interactive and small: tests change what they need. */
export function defaultTestConfig(): any {
  return {
    ociVersion: '1.3.0',
    process: {
      terminal: false,
      user: { uid: 0, gid: 0 },
      args: ['/bin/sh', '-c', 'true'],
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=xterm'],
      cwd: '/',
      capabilities: {
        bounding: ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'],
        effective: ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'],
        permitted: ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'],
      },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: 'rootfs', readonly: false },
    hostname: 'ocirt-test',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
      { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
      { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    ],
    linux: {
      namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'cgroup' }],
      maskedPaths: ['/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug', '/sys/firmware', '/proc/scsi'],
      readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    },
  };
}

const live = new Set<Bundle>();

export function makeBundle(mutate?: (config: any) => void, opts: { prefix?: string } = {}): Bundle {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), opts.prefix ?? 'ocitest-'));
  const rootfs = path.join(dir, 'rootfs');
  const config = defaultTestConfig();
  if (mutate) mutate(config);
  const b: Bundle = {
    dir,
    rootfs,
    configPath: path.join(dir, 'config.json'),
    config,
    write() {
      fs.writeFileSync(b.configPath, JSON.stringify(b.config, null, 2));
    },
    cleanup() {
      live.delete(b);
      if (process.env.OCIRT_CAPTURE_CONFIGS) captureConfig(b);
      unmountUnder(dir);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    makeRootfs(rootfs);
    b.write();
  } catch (e) {
    b.cleanup();
    throw e;
  }
  live.add(b);
  return b;
}

export async function withBundle<T>(mutate: ((c: any) => void) | undefined, fn: (b: Bundle) => T | Promise<T>): Promise<T> {
  const b = makeBundle(mutate);
  try {
    return await fn(b);
  } finally {
    b.cleanup();
  }
}

/** A bundle and a private --root for one test, both removed after it (even when it fails). */
export async function withBundleRt(mutate: (c: any) => void, fn: (rt: Runtime, b: Bundle) => void | Promise<void>): Promise<void> {
  await withBundle(mutate, (b) => withRuntime((rt) => fn(rt, b)));
}

/**
 * With OCIRT_CAPTURE_CONFIGS=DIR, each bundle's last config is saved there at cleanup, with the
 * kind of each bundle-local mount source, for the runc-oracle corpus (test/fixtures/oracle).
 */
function captureConfig(b: Bundle): void {
  const sources: Record<string, string> = {};
  for (const m of b.config?.mounts ?? []) {
    if (typeof m.source !== 'string' || !m.source.startsWith(b.dir)) continue;
    sources[m.source] = fs.existsSync(m.source) ? (fs.statSync(m.source).isDirectory() ? 'dir' : 'file') : 'missing';
  }
  const dir = process.env.OCIRT_CAPTURE_CONFIGS!;
  fs.mkdirSync(dir, { recursive: true });
  // test/run.js runs one file per uvu process, named by a pattern in argv.
  const file = (process.argv.find((a) => /test\\?\.js/.test(a)) ?? 'unknown').replace(/\\/g, '').replace(/[^\w.-]/g, '').replace(/\.test\.js.*/, '');
  const name = `${file}-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 6)}.json`;
  fs.writeFileSync(path.join(dir, name), JSON.stringify({ dir: b.dir, config: b.config, sources }));
}

/** Mount points under `dir`, deepest first (from /proc/self/mountinfo). */
export function mountsUnder(dir: string): string[] {
  const real = fs.existsSync(dir) ? fs.realpathSync(dir) : dir;
  return fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((m): m is string => !!m && (m === real || m.startsWith(real + '/')))
    .map((m) => m.replace(/\\040/g, ' '))
    .sort((a, b) => b.length - a.length);
}

/** Lazily unmounts whatever a failed test left mounted under `dir`, so rm cannot cross into it. */
export function unmountUnder(dir: string): void {
  for (const m of mountsUnder(dir)) {
    try {
      execFileSync('umount', ['-l', m], { stdio: 'ignore' });
    } catch {
      /* already gone */
    }
  }
}

// A failing test must not leave bundles behind even when it skips its own finally.
process.on('exit', () => {
  for (const b of [...live]) {
    try {
      b.cleanup();
    } catch {
      /* best effort at exit */
    }
  }
});

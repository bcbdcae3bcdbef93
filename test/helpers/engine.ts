/**
 * What the engine tests share: running a tool with its output in files, the busybox image tar
 * (with the probe at /probe), a private Docker daemon, and the sweep that ends every process
 * a test's daemons left, found by the test's own work dir in its command line and killed by pid.
 */
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn, spawnSync, SpawnSyncOptions } from 'node:child_process';
import { makeRootfs } from './bundle';
import { waitFor } from './cli';
import { probePath } from '../../conformance/probe';

export interface Out {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a tool with stdout/stderr in files: a container may hold inherited pipes open. */
export function sh(work: string, cmd: string, args: string[], opts: SpawnSyncOptions & { stdin?: number } = {}): Out {
  const dir = fs.mkdtempSync(path.join(work, 'out-'));
  const fo = fs.openSync(path.join(dir, 'o'), 'w'), fe = fs.openSync(path.join(dir, 'e'), 'w');
  try {
    const { stdin, ...rest } = opts;
    const r = spawnSync(cmd, args, { timeout: 120_000, ...rest, stdio: [stdin ?? 'ignore', fo, fe] });
    return { status: r.status, stdout: fs.readFileSync(path.join(dir, 'o'), 'utf8'), stderr: fs.readFileSync(path.join(dir, 'e'), 'utf8') };
  } finally {
    fs.closeSync(fo);
    fs.closeSync(fe);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function must(r: Out, what: string): Out {
  if (r.status !== 0) throw new Error(`${what} exited ${r.status}: ${r.stderr.trim()}`);
  return r;
}

/** A tar of the test rootfs (busybox and its applets, /etc/passwd and group, /probe). */
export function imageTar(work: string): string {
  const rootfs = path.join(work, 'image-rootfs');
  makeRootfs(rootfs);
  fs.copyFileSync(probePath(), path.join(rootfs, 'probe'));
  fs.chmodSync(path.join(rootfs, 'probe'), 0o755);
  fs.appendFileSync(path.join(rootfs, 'etc/passwd'), 'user:x:1000:1000:user:/tmp:/bin/sh\n');
  fs.appendFileSync(path.join(rootfs, 'etc/group'), 'user:x:1000:\n');
  const tar = path.join(work, 'image.tar');
  must(sh(work, 'tar', ['-C', rootfs, '-cf', tar, '.']), 'tar');
  fs.rmSync(rootfs, { recursive: true, force: true });
  return tar;
}

/** Pids of processes whose command line mentions `marker` (a test's private dir). */
export function pidsMentioning(marker: string): number[] {
  const out: number[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    try {
      if (fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(marker)) out.push(Number(d));
    } catch {
      /* gone */
    }
  }
  return out;
}

/** SIGKILLs what is left of a test's daemons (shims outlive their containerd by design). */
export function killMentioning(marker: string): void {
  for (const pid of pidsMentioning(marker)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  waitFor(() => pidsMentioning(marker).length === 0, 5000);
}

/** Host dirs a daemon makes beside its private ones; removed at the end if they were absent. */
function absentNow(dirs: string[]): { remove(): void } {
  const absent = dirs.filter((d) => !fs.existsSync(d));
  return { remove: () => absent.forEach((d) => fs.rmSync(d, { recursive: true, force: true })) };
}

export const DOCKER = '/usr/bin/docker'; // Debian's client, the one that speaks to Debian's dockerd
export const DOCKER_CGROUP_PARENT = 'ocirt-docker';

export interface Dockerd {
  sock: string;
  docker(...args: string[]): Out;
  ok(...args: string[]): Out;
  stop(): void;
}

/**
 * A dockerd of the test's own: data, exec root (its containerd, shims and bundles), pid file,
 * socket and trust key under `dir`; no iptables, no bridge; containers in the cgroup parent
 * /ocirt-docker; ocirt added as a runtime beside Docker's runc.
 */
export function startDockerd(dir: string, runtimes: Record<string, string>): Dockerd {
  fs.mkdirSync(dir, { recursive: true });
  const hostDirs = absentNow(['/run/docker', '/etc/docker']); // its plugin dir is fixed; a key dir too on some builds
  const sock = path.join(dir, 'docker.sock');
  const pidfile = path.join(dir, 'dockerd.pid');
  const cfg = path.join(dir, 'daemon.json');
  fs.writeFileSync(cfg, JSON.stringify({ 'deprecated-key-path': path.join(dir, 'key.json') }));
  const args = ['--config-file', cfg, '--data-root', path.join(dir, 'data'), '--exec-root', path.join(dir, 'exec'), '--pidfile', pidfile,
    '--host', `unix://${sock}`, '--iptables=false', '--ip6tables=false', '--ip-masq=false', '--ip-forward=false', '--bridge=none',
    '--userland-proxy=false', '--exec-opt', 'native.cgroupdriver=cgroupfs', '--cgroup-parent', `/${DOCKER_CGROUP_PARENT}`];
  for (const [name, bin] of Object.entries(runtimes)) args.push('--add-runtime', `${name}=${bin}`);
  const log = fs.openSync(path.join(dir, 'dockerd.log'), 'w');
  const d = spawn('dockerd', args, { stdio: ['ignore', log, log] });
  fs.closeSync(log);
  const docker = (...a: string[]) => sh(dir, DOCKER, ['-H', `unix://${sock}`, ...a]);
  const ok = (...a: string[]) => must(docker(...a), `docker ${a.join(' ')}`);
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    if (d.exitCode === null && d.signalCode === null) {
      for (const id of docker('ps', '-aq').stdout.split('\n').filter(Boolean)) docker('rm', '-f', id);
      docker('volume', 'prune', '-f');
      const pid = fs.existsSync(pidfile) ? Number(fs.readFileSync(pidfile, 'utf8')) : d.pid!;
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        /* gone */
      }
      if (!waitFor(() => d.exitCode !== null || d.signalCode !== null, 20_000)) d.kill('SIGKILL');
    }
    killMentioning(dir);
    hostDirs.remove();
  };
  process.on('exit', stop);
  const up = waitFor(() => docker('version').status === 0, 30_000);
  if (!up) {
    stop();
    assert.unreachable(`dockerd did not come up: ${fs.readFileSync(path.join(dir, 'dockerd.log'), 'utf8').slice(-2000)}`);
  }
  return { sock, docker, ok, stop };
}

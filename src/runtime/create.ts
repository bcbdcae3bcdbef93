/**
 * create, as a script: check everything first, then build the container step by step, and undo
 * every step if a later one fails. Nothing on the host is touched before the config, the plan
 * and the seccomp program are known to be good.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { OcirtError, configError, systemErrorText, errnoText, errnoCode } from '../errors';
import { containerDir, validateId, EXEC_FIFO } from '../state/paths';
import { ContainerRecord, writeFileAtomic, writeRecord, nowRfc3339Nano, removeContainerDir, writeSavedConfig, writeIntent, Intent } from '../state/store';
import { lockContainer } from '../state/lock';
import { procStartTime } from '../state/status';
import { loadBundle } from '../spec/load';
import { buildPlan } from '../plan/build';
import { HostMounts, hostMountsBefore, removeHostMounts } from './host-mounts';
import { spawnInit, hostFacts, listenFds, inContainer, SyncEvent } from './spawn';
import { runHooks, Hook } from '../hooks/run';
import { cgroupForCreate, describeCgroup } from './cgroup';
import { ociState } from './container';
import { effectiveDeviceRules } from '../cgroups/devices';
import { native } from '../native';
import { warn, debug } from '../log';
import type { CgroupManager } from '../cgroups';

export interface CreateOptions {
  root: string;
  id: string;
  bundle: string;
  pidFile?: string;
  consoleSocket?: string;
  noPivot?: boolean;
  preserveFds?: number;
  systemdCgroup?: boolean;
  /** The global --rootless: "auto" (the default), "true" or "false". */
  rootless?: string | boolean;
  /** `run` without --console-socket relays the terminal itself: it takes the pty master. */
  onConsole?: (masterFd: number) => void;
}

/** Where a create's time went, for --debug: each mark is the time since the previous one. */
function phaseTimer(): { mark(name: string): void; text(): string } {
  let last = process.hrtime.bigint();
  const parts: string[] = [];
  return {
    mark(name) {
      const now = process.hrtime.bigint();
      parts.push(`${name} ${(Number(now - last) / 1e6).toFixed(1)}`);
      last = now;
    },
    text: () => parts.join(', ') + ' ms',
  };
}

export function create(o: CreateOptions): { pid: number } {
  validateId(o.id);
  const time = phaseTimer();
  const loaded = loadBundle(o.bundle);
  time.mark('config');
  for (const w of loaded.warnings) warn(w);
  const config = loaded.config;
  const terminal = !!config.process?.terminal;
  if (terminal && !o.consoleSocket && !o.onConsole) {
    throw new OcirtError('cannot allocate tty if runc will detach without setting console socket'.replace('runc', 'ocirt'));
  }
  if (!terminal && o.consoleSocket) throw new OcirtError('cannot use --console-socket if process.terminal is false');
  const seccomp = containerSeccomp(config, o.root);
  time.mark('seccomp');
  // The cgroup's directories are known before anything is made: a cgroup mount on a v1 host
  // binds them, so the plan needs them.
  const cgPlanned = cgroupForCreate(o.id, config.linux?.cgroupsPath, !!o.systemdCgroup);
  const rootless = rootlessMode(o.rootless);
  // Rootless, a cgroup tree this user may not write means the container stays in ocirt's own
  // cgroups, as with runc; a limit it could then not apply is refused before anything is made.
  const noCgroup = rootless && !mayMakeCgroup(cgPlanned);
  if (noCgroup) refuseLimitsWithoutCgroup(config, `no write access to the cgroups under ${Object.values(cgPlanned.dirs)[0] ?? '/sys/fs/cgroup'}`);
  const cgDirs = noCgroup ? ownCgroupDirs(cgPlanned) : { ...cgPlanned.dirs };
  const { hostCgroupMounts, idmapRequests } = require('../plan/rootfs') as typeof import('../plan/rootfs');
  const planOpts = {
    bundle: loaded.bundle,
    noPivot: !!o.noPivot,
    preserveFds: o.preserveFds ?? 0,
    listenFds: listenFds(),
    seccomp,
    host: hostFacts(),
    cgroup: hostCgroupMounts(cgDirs),
  };
  // The plan first, from the config and the host as it is: every check passes before anything on
  // the host changes (no seccomp cache file, no user namespace helper, no state directory).
  const idmapReqs = idmapRequests(config);
  let plan = buildPlan(config, planOpts);

  seccomp?.store();
  // Made before the clone so the child inherits them (O_CLOEXEC: gone at its execve). An error
  // ends this short-lived process, which closes them. The plan names them by number, so it is
  // built again with them (it passed once: it passes again).
  const idmapFds = openIdmapUserns(idmapReqs);
  const bindSourceFds = openBindSources(config, loaded.bundle);
  if (idmapFds.size || bindSourceFds.size) plan = buildPlan(config, { ...planOpts, idmapFds, bindSourceFds });
  for (const n of plan.notes) debug(n);
  time.mark('plan');

  try {
    fs.mkdirSync(o.root, { recursive: true, mode: 0o711 });
  } catch (e) {
    throw new OcirtError(`create ${path.resolve(o.root)}: ${systemErrorText(e)}`, { code: (e as NodeJS.ErrnoException).code });
  }
  const dir = containerDir(o.root, o.id);
  try {
    fs.mkdirSync(dir, { mode: 0o711 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new OcirtError(`container "${o.id}" already exists`);
    throw new OcirtError(`create ${dir}: ${systemErrorText(e)}`, { code: (e as NodeJS.ErrnoException).code });
  }
  faultPoint('dir');
  // A delete --force may remove the directory between the mkdir and the lock (it sees no
  // create then); this create has made nothing yet and gives up.
  const lock = lockContainer(dir);
  if (lock === 'gone' || lock === undefined) throw new OcirtError(`container "${o.id}" was deleted while it was being created`);
  faultPoint('locked');
  let cg: CgroupManager | undefined;
  let pid = 0;
  let initAlive = false;
  const rec: ContainerRecord = {
    ociVersion: config.ociVersion,
    id: o.id,
    pid: 0,
    initStartTime: '',
    bundle: loaded.bundle,
    rootfs: path.resolve(loaded.bundle, config.root?.path ?? 'rootfs'),
    created: nowRfc3339Nano(),
    owner: '',
    annotations: config.annotations,
    hooks: { poststart: config.hooks?.poststart, poststop: config.hooks?.poststop },
    systemdCgroup: !!o.systemdCgroup,
    creating: true,
  };
  if (!(config.linux?.namespaces ?? []).some((n: any) => n.type === 'mount') && config.mounts?.length) {
    rec.hostMounts = hostMountsBefore(rec.rootfs);
  }
  try {
    // The intent first: from here delete --force finds every cgroup directory this create may
    // make, whatever becomes of it and of state.json.
    writeIntent(dir, { id: o.id, createPid: process.pid, cgroup: noCgroup ? undefined : cgroupToMake(cgPlanned) });
    faultPoint('intent');
    writeSavedConfig(dir, config);
    faultPoint('config');
    const fifo = path.join(dir, EXEC_FIFO);
    const err = native().mkfifo(fifo, 0o600);
    if (err) throw new OcirtError(`mkfifo ${fifo}: ${errnoText(err)}`, { code: errnoCode(err) });
    faultPoint('fifo');
    if (!noCgroup) {
      cg = cgPlanned;
      cg.create();
      faultPoint('cgroup');
      // Recorded once create() found it fit (a cgroup in use is refused, and not ours to remove).
      rec.cgroup = describeCgroup(cg, cg.path);
    }
    writeRecord(o.root, rec);
    faultPoint('record-creating');
    if (cg) {
      // The device rules always go in: the config's and the devices every container gets
      // (/dev/null, ptmx, pts/*, ...). Engines such as podman send only "deny all" and count on
      // the runtime for the rest, as runc does.
      const resources = config.linux?.resources ?? {};
      cg.apply({ ...resources, devices: effectiveDeviceRules(resources.devices) });
      faultPoint('cgroup-applied');
    }
    time.mark('state and cgroup');
    const stateJson = () => JSON.stringify(ociState({ id: o.id, dir, record: rec, status: 'creating' }));
    const res = spawnInit({
      plan,
      preserveFds: o.preserveFds ?? 0,
      execFifo: fifo,
      cgroup: cg && { path: cg.path, placement: cg.placement({ selfMove: true }) },
      callerNofile: process.env.OCIRT_CALLER_NOFILE,
      onSync(ev: SyncEvent) {
        faultPoint(ev.type);
        switch (ev.type) {
          case 'namespaces-ready':
            pid = ev.pid;
            rec.pid = pid;
            rec.initStartTime = procStartTime(pid) ?? '';
            writeRecord(o.root, rec);
            faultPoint('init-recorded');
            if (config.linux?.netDevices && Object.keys(config.linux.netDevices).length) {
              (require('./net-devices') as typeof import('./net-devices')).moveNetDevices(pid, config.linux.netDevices);
            }
            runHooks('prestart', config.hooks?.prestart as Hook[], stateJson());
            runHooks('createRuntime', config.hooks?.createRuntime as Hook[], stateJson());
            break;
          case 'create-container-hooks':
            // runc runs them from its init, whose environment is the process's by then.
            runHooks(
              'createContainer',
              (config.hooks?.createContainer ?? []).map((h: Hook) => (h.env ? h : { ...h, env: config.process?.env ?? [] })),
              stateJson(),
              undefined,
              inContainer(ev.pid, rec.rootfs),
            );
            break;
          case 'fd':
            if (ev.purpose === 'console') {
              if (o.consoleSocket) native().sendFd(o.consoleSocket, ev.fd);
              else {
                ev.keep = true; // the relay owns the master from now on
                o.onConsole!(ev.fd);
              }
            } else if (ev.purpose === 'seccomp-listener') {
              // buildPlan refused a listener without a listenerPath.
              native().sendFd(config.linux!.seccomp!.listenerPath!, ev.fd, seccompListenerMessage(config, stateJson(), ev.pid));
            }
            break;
        }
      },
    });
    time.mark('init');
    // The child has attached its copies; `run` lives on, and must not hold the trees.
    for (const fd of bindSourceFds.values()) fs.closeSync(fd);
    bindSourceFds.clear();
    faultPoint('init-parked');
    pid = res.pid;
    initAlive = true;
    // The systemd driver learns where the scope is only once the init is in it.
    if (cg) rec.cgroup = describeCgroup(cg, cg.path);
    rec.pid = pid;
    rec.initStartTime = procStartTime(pid) ?? rec.initStartTime;
    delete rec.creating;
    writeRecord(o.root, rec);
    faultPoint('record');
    if (o.pidFile) writeFileAtomic(path.resolve(o.pidFile), String(pid), 0o644);
    faultPoint('pid-file');
    time.mark('record');
    debug(`created "${o.id}" with init ${pid} (${time.text()})`);
    return { pid };
  } catch (e) {
    // A failed spawn has killed and reaped its child already: its pid may be reused by now.
    undoCreate(dir, initAlive ? pid : 0, cg, rec.hostMounts);
    throw e;
  } finally {
    lock.release();
  }
}

/**
 * The fault test's hook (test/integration/crash.test.ts): OCIRT_FAULT_KILL=<point> makes this
 * create kill itself with SIGKILL there, as a crash or an OOM kill would. FAULT_POINTS lists
 * them in the order a create passes them.
 */
export const FAULT_POINTS = [
  'dir', 'locked', 'intent', 'config', 'fifo', 'cgroup', 'record-creating', 'cgroup-applied',
  'namespaces-ready', 'init-recorded', 'create-container-hooks', 'fd', 'init-parked', 'record', 'pid-file',
];
const FAULT_KILL = process.env.OCIRT_FAULT_KILL;
function faultPoint(name: string): void {
  if (FAULT_KILL === name) process.kill(process.pid, 'SIGKILL');
}

/**
 * Where compiled seccomp programs are kept: a directory beside the state root, never in it, since
 * callers (Docker) give every runtime one --root and `runc list` there refuses any entry that is
 * not a container. The cache is trusted (its programs are loaded as they are), so it is used only
 * when it is ours: a directory owned by this user that nobody else can write. Else undefined.
 * One cache serves every root of a parent directory (its files are named by the profile).
 * `make`: create it when missing (and remove where earlier versions kept it, so that the root
 * holds containers only); without, only an existing one is named.
 */
export function seccompCacheDir(root: string, make = true): string | undefined {
  const fs = require('node:fs') as typeof import('node:fs');
  const abs = path.resolve(root);
  const dir = path.join(path.dirname(abs), '.ocirt-seccomp-cache');
  if (make) {
    const legacy = path.join(abs, '.seccomp-cache');
    if (fs.existsSync(legacy)) fs.rmSync(legacy, { recursive: true, force: true });
    try {
      fs.mkdirSync(dir, { mode: 0o700 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') return undefined;
    }
  }
  try {
    const st = fs.lstatSync(dir);
    if (!st.isDirectory() || st.uid !== process.geteuid!() || st.mode & 0o022) return undefined;
  } catch {
    return undefined;
  }
  return dir;
}

/**
 * The container's seccomp program, for create and exec: from the cache beside the state root, or
 * compiled. Nothing is written until `store` (the caller's plan is good by then): it puts a
 * program compiled here into the cache.
 */
export function containerSeccomp(config: any, root: string): { program: Buffer; flags: number; notify: boolean; store(): void } | undefined {
  if (!config.linux?.seccomp) return undefined;
  const t0 = process.hrtime.bigint();
  const seccomp = require('../seccomp') as typeof import('../seccomp');
  const r = seccomp.compileFromCache(config.linux.seccomp, { cacheDir: seccompCacheDir(root, false) });
  debug(`seccomp: ${r.result.instructions} instructions, ${r.result.archs.length ? 'compiled' : 'from the cache'} in ${(Number(process.hrtime.bigint() - t0) / 1e6).toFixed(3)} ms`);
  return {
    ...r.result,
    store() {
      const dir = seccompCacheDir(root);
      if (dir) r.store(dir);
    },
  };
}

export function seccompListenerMessage(config: any, stateJson: string, pid: number): string {
  const st = JSON.parse(stateJson);
  st.pid = pid;
  return JSON.stringify({ ociVersion: config.ociVersion, fds: ['seccompFd'], pid, metadata: config.linux.seccomp.listenerMetadata ?? '', state: st });
}

/**
 * Detached copies of the bind sources that ocirt opens itself for a container with its own user
 * namespace (plan/rootfs.ts bindSourcesToOpen says which and why). A source that cannot be
 * opened here is left to the child, which names the mount in its error.
 */
function openBindSources(config: any, bundle: string): Map<number, number> {
  const fds = new Map<number, number>();
  if (!(config.linux?.namespaces ?? []).some((n: any) => n?.type === 'user' && !n.path)) return fds;
  const sources = new Map<number, string>();
  (config.mounts ?? []).forEach((m: any, i: number) => {
    if (typeof m?.source !== 'string' || !m.source) return;
    try {
      sources.set(i, fs.realpathSync(path.resolve(bundle, m.source)));
    } catch {
      /* missing or unreachable: the child reports it */
    }
  });
  if (!sources.size) return fds;
  const { bindSourcesToOpen } = require('../plan/rootfs') as typeof import('../plan/rootfs');
  const { readMountinfo } = require('../cgroups/mounts') as typeof import('../cgroups/mounts');
  for (const b of bindSourcesToOpen(config, sources, readMountinfo())) {
    const fd = native().openTree(b.source, b.recursive);
    if (fd >= 0) fds.set(b.mountIndex, fd);
  }
  return fds;
}

function openIdmapUserns(reqs: import('../plan/rootfs').IdmapRequest[]): Map<number, number> {
  const fds = new Map<number, number>();
  for (const r of reqs) {
    try {
      fds.set(r.mountIndex, native().idmapUserns(r.uidMap, r.gidMap));
    } catch (e) {
      const err = e as Error & { errno?: number };
      const text = err.errno ? errnoText(err.errno) : err.message;
      throw configError('idmapped mount', `/mounts/${r.mountIndex}`, `: ${text}`, { code: err.errno ? errnoCode(err.errno) : undefined, cause: e });
    }
  }
  return fds;
}

/** --rootless: "true", "false", or "auto" (rootless when not run as root), as runc takes it. */
function rootlessMode(flag: CreateOptions['rootless']): boolean {
  if (flag === true || flag === 'true') return true;
  if (flag === false || flag === 'false') return false;
  return process.geteuid ? process.geteuid() !== 0 : false;
}

function refuseLimitsWithoutCgroup(config: any, why: string): void {
  const limits = Object.keys(config.linux?.resources ?? {}).filter((k) => k !== 'devices');
  if (limits.length) {
    throw new OcirtError(`${why}; rootless, the limits in config.json /linux/resources (${limits.join(', ')}) need a cgroup this user may write`, { pointer: '/linux/resources' });
  }
}

/** Whether this process may make every directory of the cgroup (the nearest existing parent is writable). */
function mayMakeCgroup(m: CgroupManager): boolean {
  for (const dir of Object.values(m.dirs)) {
    let d = dir;
    while (!fs.existsSync(d) && d !== '/') d = path.dirname(d);
    try {
      fs.accessSync(d, fs.constants.W_OK);
    } catch {
      return false;
    }
  }
  return true;
}

/** The cgroup directories this process is in, keyed as m.dirs: what a cgroup mount binds without a cgroup of the container's own. */
function ownCgroupDirs(m: CgroupManager): Record<string, string> {
  const { ownCgroups } = require('../cgroups/mounts') as typeof import('../cgroups/mounts');
  const own = ownCgroups();
  const out: Record<string, string> = {};
  for (const [ctrl, dir] of Object.entries(m.dirs)) {
    if (!dir.endsWith(m.path)) continue;
    out[ctrl] = path.join(dir.slice(0, dir.length - m.path.length) || '/', own.get(ctrl === 'unified' ? '' : ctrl) ?? '/');
  }
  return out;
}

/**
 * The intent's cgroup: the directories this create may make, those that do not exist yet. One
 * that exists already is someone else's until create() has found it fit and the record names it.
 */
function cgroupToMake(m: CgroupManager): Intent['cgroup'] {
  const dirs: Record<string, string> = {};
  for (const [k, d] of Object.entries(m.dirs)) if (!fs.existsSync(d)) dirs[k] = d;
  return Object.keys(dirs).length ? { version: m.version, path: m.path, dirs } : undefined;
}

function undoCreate(dir: string, pid: number, cg: CgroupManager | undefined, hostMounts?: HostMounts): void {
  try {
    if (pid > 0) process.kill(pid, 'SIGKILL');
  } catch {
    /* gone already */
  }
  if (hostMounts) {
    const left = removeHostMounts(hostMounts);
    if (left.length) warn(`cleanup after failed create: could not unmount ${left.join(', ')}`);
  }
  // The create's own error is the one to report; what cannot be undone here is left to delete --force.
  try {
    cg?.destroy();
  } catch (e) {
    warn(`cleanup after failed create: ${(e as Error).message}`);
  }
  try {
    removeContainerDir(dir);
  } catch (e) {
    warn(`cleanup after failed create: ${(e as Error).message}`);
  }
}

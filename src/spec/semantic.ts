/**
 * Rules of runtime-spec 1.3.0 that a JSON Schema cannot say (or cannot say per platform),
 * checked after the schema has passed. All problems are collected, not just the first.
 *
 * Errors:
 *  - ociVersion must be 1.x (the CLI contract: accept every 1.x, refuse other majors);
 *  - root is required except on Windows;
 *  - process (POSIX): args has at least one entry and args[0] is not empty; cwd is absolute;
 *    user has uid and gid; (Windows): args or commandLine;
 *  - rlimits: no type twice, Linux names only, soft not above hard;
 *  - namespaces: no type twice; a new user namespace comes with uid and gid mappings, and
 *    mappings come with a user namespace (new or joined);
 *  - timeOffsets: clocks monotonic and boottime only, and only for a new time namespace (a
 *    joined one already has its offsets; none at all means there is nothing to set);
 *  - hostname and domainname need a UTS namespace of their own (new or joined);
 *  - sysctl: net.* needs a network namespace, the IPC ones (kernel.msg*, kernel.sem,
 *    kernel.shm*, fs.mqueue.*) an IPC namespace, kernel.hostname and kernel.domainname a UTS
 *    namespace; any other sysctl is not namespaced and would change the host, so it is refused
 *    (runc refuses the same); kernel.hostname with `hostname` set, or kernel.domainname with
 *    `domainname`, is refused as runc and crun refuse it;
 *  - mounts: idmap/ridmap needs mappings on the mount or a user namespace;
 *  - seccomp: errnoRet and defaultErrnoRet only with an action that returns an errno (ERRNO,
 *    TRACE);
 *  - resources: memory.swappiness 0..100 (or the "-1" that Go writes as 2^64-1);
 *    cpu.burst not above a positive cpu.quota;
 *  - netDevices need a network namespace (new or joined);
 *  - sizes ocirt's init takes: at most 32767 args and 32766 env entries (two more are kept for
 *    LISTEN_FDS and LISTEN_PID), 65531 additionalGids, 4096 args and 4096 env entries per
 *    startContainer hook; the kernel allows more args and env in one execve (up to its
 *    ARG_MAX bytes), so a config beyond these is refused here, by pointer, not by create;
 *  - memoryPolicy: MPOL_DEFAULT and MPOL_LOCAL take no nodes, MPOL_BIND, MPOL_INTERLEAVE,
 *    MPOL_WEIGHTED_INTERLEAVE and MPOL_PREFERRED_MANY need some.
 * Warnings (and a change to the returned config):
 *  - an unknown capability is reported and removed from its set (config.md: SHOULD NOT fail);
 *  - a relative mount destination (Linux) is deprecated but valid: it is made absolute ("/"
 *    prefixed) as config.md says to interpret it.
 * Paths that the schema itself requires to be absolute (hook paths, namespace paths, device
 * paths, maskedPaths, readonlyPaths, state bundle) are not repeated here.
 */
import { capabilityNumber, CAPABILITY_SETS } from './capabilities';
import { pointerJoin } from './pointer';
import { RLIMITS } from './rlimits';
import type { Problem } from './validate';
import type { Spec } from './types';

export interface SemanticResult {
  errors: Problem[];
  warnings: Problem[];
}

/** The resource names of getrlimit(2) on Linux, sorted (as the message lists them). */
const LINUX_RLIMITS: readonly string[] = Object.keys(RLIMITS).sort();

const IPC_SYSCTLS = new Set(['kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced']);
const NO_ERRNO_ACTIONS = new Set(['SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_TRAP', 'SCMP_ACT_ALLOW', 'SCMP_ACT_LOG', 'SCMP_ACT_NOTIFY']);
const UINT64_MAX_AS_DOUBLE = 18446744073709551615;

const isObject = (v: unknown): v is Record<string, any> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Checks a config. It runs on the same document as the schema, also when the schema found
 * problems (so that a user sees all of them at once), so it judges only values of the right
 * type and leaves wrong types to the schema. Changes the config in place for the two
 * warnings above; pointers in the result refer to the config as it was read.
 */
export function semanticCheck(config: Spec): SemanticResult {
  const errors: Problem[] = [];
  const warnings: Problem[] = [];
  const err = (pointer: string, message: string) => errors.push({ pointer, message });
  const warn = (pointer: string, message: string) => warnings.push({ pointer, message });
  const windows = config.windows !== undefined;
  const linux: Record<string, any> = isObject(config.linux) ? config.linux : {};
  // Rules that depend on which namespaces there are hold back when the schema has found the
  // namespace list itself malformed: they would only guess.
  const nsKnown = (config.linux === undefined || isObject(config.linux)) && (linux.namespaces === undefined || Array.isArray(linux.namespaces));

  // ociVersion: the schema has checked it is SemVer.
  const major = typeof config.ociVersion === 'string' ? /^(\d+)\.\d+\.\d+/.exec(config.ociVersion)?.[1] : '1';
  if (major !== undefined && major !== '1') err('/ociVersion', `unsupported ociVersion "${config.ociVersion}": ocirt supports runtime-spec 1.x (up to 1.3.0)`);

  if (!windows && config.root === undefined) err('', 'missing required property "root" (the root filesystem; only Windows configs may leave it out)');

  checkProcess(config, windows, err);
  dropUnknownCapabilities(config, warn);

  // Namespaces.
  const namespaces: Array<{ type: string; path?: string }> = Array.isArray(linux.namespaces) ? linux.namespaces : [];
  const nsIndex = new Map<string, number>();
  namespaces.forEach((ns, i) => {
    if (!isObject(ns) || typeof ns.type !== 'string') return;
    const first = nsIndex.get(ns.type);
    if (first !== undefined) err(`/linux/namespaces/${i}/type`, `duplicate namespace "${ns.type}" (also at /linux/namespaces/${first})`);
    else nsIndex.set(ns.type, i);
  });
  const ns = (type: string) => {
    const i = nsIndex.get(type);
    return i === undefined ? undefined : { index: i, path: typeof namespaces[i].path === 'string' ? namespaces[i].path : undefined };
  };
  const userNs = ns('user');
  const hasUidMaps = Array.isArray(linux.uidMappings) && linux.uidMappings.length > 0;
  const hasGidMaps = Array.isArray(linux.gidMappings) && linux.gidMappings.length > 0;
  if (!nsKnown) {
    // see above
  } else if (userNs && userNs.path === undefined) {
    if (!hasUidMaps) err('/linux/uidMappings', `a new user namespace (/linux/namespaces/${userNs.index}) needs uidMappings`);
    if (!hasGidMaps) err('/linux/gidMappings', `a new user namespace (/linux/namespaces/${userNs.index}) needs gidMappings`);
  } else if (!userNs) {
    if (hasUidMaps) err('/linux/uidMappings', 'id mappings need a user namespace: add {"type": "user"} to /linux/namespaces');
    if (hasGidMaps) err('/linux/gidMappings', 'id mappings need a user namespace: add {"type": "user"} to /linux/namespaces');
  }

  // Time namespace offsets.
  if (isObject(linux.timeOffsets)) {
    const timeNs = ns('time');
    for (const clock of Object.keys(linux.timeOffsets)) {
      if (clock !== 'monotonic' && clock !== 'boottime') {
        err(pointerJoin('/linux/timeOffsets', clock), `unknown clock "${clock}": time namespaces offset "monotonic" and "boottime" only`);
      }
    }
    if (nsKnown && Object.keys(linux.timeOffsets).length > 0) {
      if (!timeNs) err('/linux/timeOffsets', 'timeOffsets need a new time namespace: add {"type": "time"} to /linux/namespaces');
      else if (timeNs.path !== undefined) {
        err('/linux/timeOffsets', `timeOffsets cannot be applied to a joined time namespace (/linux/namespaces/${timeNs.index}/path): its offsets are already set`);
      }
    }
  }

  // Hostname and domainname.
  if (!windows && nsKnown && !ns('uts')) {
    if (typeof config.hostname === 'string' && config.hostname !== '') err('/hostname', 'setting the hostname needs a UTS namespace: add {"type": "uts"} to /linux/namespaces');
    if (typeof config.domainname === 'string' && config.domainname !== '') err('/domainname', 'setting the domainname needs a UTS namespace: add {"type": "uts"} to /linux/namespaces');
  }

  // Sysctls must be namespaced, and their namespace must be the container's.
  if (isObject(linux.sysctl)) {
    for (const key of Object.keys(linux.sysctl)) {
      if (key === '') continue; // the schema reports it
      const at = pointerJoin('/linux/sysctl', key);
      const need = sysctlNamespace(key);
      if (!need) err(at, `sysctl "${key}" is not namespaced: setting it would change the host`);
      else if (nsKnown && !ns(need)) err(at, `sysctl "${key}" needs ${NS_TEXT[need]} namespace: add {"type": "${need}"} to /linux/namespaces`);
      // Two settings for one value, applied in an order the config cannot see: runc and crun
      // refuse the pair, and so does ocirt.
      const field = key === 'kernel.hostname' ? 'hostname' : key === 'kernel.domainname' ? 'domainname' : undefined;
      if (field && typeof config[field] === 'string' && config[field] !== '') {
        err(at, `sysctl "${key}" is not allowed as it conflicts with the OCI "${field}" field (/${field})`);
      }
    }
  }

  // Mounts.
  if (Array.isArray(config.mounts)) {
    config.mounts.forEach((m, i) => {
      if (!isObject(m)) return;
      const at = `/mounts/${i}`;
      if (!windows && config.solaris === undefined && typeof m.destination === 'string' && !m.destination.startsWith('/')) {
        warn(`${at}/destination`, `relative mount destination "${m.destination}" is deprecated: taken as "/${m.destination}"`);
        m.destination = '/' + m.destination;
      }
      const opts = Array.isArray(m.options) ? m.options : [];
      const idmap = opts.find((o) => o === 'idmap' || o === 'ridmap');
      if (idmap && nsKnown && !m.uidMappings && !m.gidMappings && !userNs) {
        err(`${at}/options`, `"${idmap}" needs uidMappings and gidMappings on the mount or a user namespace`);
      }
    });
  }

  checkSeccomp(linux.seccomp, err);
  checkResources(linux.resources, err);

  // netDevices move host devices into the container's network namespace: it needs one of its
  // own (new or joined); the host's would "move" them nowhere.
  if (isObject(linux.netDevices) && Object.keys(linux.netDevices).length && nsKnown && !ns('network')) {
    err('/linux/netDevices', 'netDevices need a network namespace: add {"type": "network"} to /linux/namespaces');
  }

  const mp = linux.memoryPolicy;
  if (isObject(mp) && typeof mp.mode === 'string') {
    const hasNodes = typeof mp.nodes === 'string' && mp.nodes.trim() !== '';
    if ((mp.mode === 'MPOL_DEFAULT' || mp.mode === 'MPOL_LOCAL') && hasNodes) {
      err('/linux/memoryPolicy/nodes', `${mp.mode} takes no nodes, but found "${mp.nodes}"`);
    }
    if (['MPOL_BIND', 'MPOL_INTERLEAVE', 'MPOL_WEIGHTED_INTERLEAVE', 'MPOL_PREFERRED_MANY'].includes(mp.mode) && !hasNodes) {
      err('/linux/memoryPolicy', `${mp.mode} needs at least one node in "nodes"`);
    }
  }

  return { errors, warnings };
}

const NS_TEXT: Record<string, string> = { network: 'a network', ipc: 'an IPC', uts: 'a UTS' };

/** The namespace a sysctl belongs to, or undefined for one that is global. */
export function sysctlNamespace(key: string): 'network' | 'ipc' | 'uts' | undefined {
  if (key.startsWith('net.')) return 'network';
  if (IPC_SYSCTLS.has(key) || key.startsWith('fs.mqueue.')) return 'ipc';
  if (key === 'kernel.hostname' || key === 'kernel.domainname') return 'uts';
  return undefined;
}

/** What ocirt's init takes (see the header); the plan's wire format carries at most 65535 values per operation. */
export const MAX_ARGS = 32767;
export const MAX_ENV = 32766;
export const MAX_GIDS = 65531;
export const MAX_HOOK_ARGS = 4096;

function tooMany(list: unknown, max: number, pointer: string, what: string, err: (p: string, m: string) => void): void {
  if (Array.isArray(list) && list.length > max) err(pointer, `${list.length} ${what}; ocirt passes at most ${max}`);
}

/**
 * The rules of semanticCheck that concern /process alone, for a process that comes without a
 * config.json of its own (exec --process): pointers are into the config, /process/....
 */
export function processProblems(config: Spec): Problem[] {
  const errors: Problem[] = [];
  checkProcess(config, config.windows !== undefined, (pointer, message) => errors.push({ pointer, message }));
  return errors.filter((e) => e.pointer === '/process' || e.pointer.startsWith('/process/'));
}

function checkProcess(config: Spec, windows: boolean, err: (p: string, m: string) => void): void {
  const p = config.process;
  if (!isObject(p)) return;
  if (windows) {
    if ((!Array.isArray(p.args) || p.args.length === 0) && p.commandLine === undefined) {
      err('/process', 'needs "args" (at least one entry) or "commandLine"');
    }
  } else {
    if (p.args === undefined) err('/process', 'missing required property "args" (a non-empty array of strings)');
    else if (!Array.isArray(p.args)) {
      // the schema reports it
    } else if (p.args.length === 0) err('/process/args', 'must be a non-empty array of strings, but found an empty array');
    else if (p.args[0] === '') err('/process/args/0', 'must name the program to run, but found ""');
    tooMany(p.args, MAX_ARGS, '/process/args', 'arguments', err);
    tooMany(p.env, MAX_ENV, '/process/env', 'environment entries', err);
    if (isObject(p.user)) tooMany(p.user.additionalGids, MAX_GIDS, '/process/user/additionalGids', 'groups', err);
    if (isObject(config.hooks) && Array.isArray(config.hooks.startContainer)) {
      config.hooks.startContainer.forEach((h: unknown, i: number) => {
        if (!isObject(h)) return;
        tooMany(h.args, MAX_HOOK_ARGS, `/hooks/startContainer/${i}/args`, 'arguments', err);
        tooMany(h.env, MAX_HOOK_ARGS, `/hooks/startContainer/${i}/env`, 'environment entries', err);
      });
    }
    if (typeof p.cwd === 'string' && !p.cwd.startsWith('/')) {
      err('/process/cwd', `must be an absolute path (a string that starts with "/"), but found ${JSON.stringify(p.cwd)}`);
    }
    if (isObject(p.user)) {
      for (const id of ['uid', 'gid'] as const) {
        if (p.user[id] === undefined) err('/process/user', `missing required property "${id}" (an integer from 0 to 4294967295)`);
      }
    }
  }

  if (Array.isArray(p.rlimits)) {
    const first = new Map<string, number>();
    const linuxOnly = !windows && config.solaris === undefined;
    p.rlimits.forEach((r, i) => {
      if (!isObject(r) || typeof r.type !== 'string') return;
      const at = `/process/rlimits/${i}`;
      const seen = first.get(r.type);
      if (seen !== undefined) err(`${at}/type`, `duplicate rlimit "${r.type}" (also at /process/rlimits/${seen})`);
      else first.set(r.type, i);
      if (linuxOnly && !LINUX_RLIMITS.includes(r.type)) err(`${at}/type`, `unknown rlimit "${r.type}": Linux has ${LINUX_RLIMITS.join(', ')}`);
      if (Number.isInteger(r.soft) && Number.isInteger(r.hard) && r.soft > r.hard) err(at, `soft limit ${r.soft} is above hard limit ${r.hard}`);
    });
  }

}

/**
 * Unknown capabilities: a warning each, and out of the set (after all are reported, so that
 * the pointers name the places as written).
 */
function dropUnknownCapabilities(config: Spec, warn: (p: string, m: string) => void): void {
  const p = config.process;
  if (!isObject(p)) return;
  const caps = p.capabilities;
  if (isObject(caps)) {
    for (const set of CAPABILITY_SETS) {
      const list = caps[set];
      if (!Array.isArray(list)) continue;
      const keep: string[] = [];
      list.forEach((name: unknown, i: number) => {
        if (typeof name !== 'string') keep.push(name as string); // the schema reports it
        else if (capabilityNumber(name) === undefined) warn(`/process/capabilities/${set}/${i}`, `unknown capability ${JSON.stringify(name)} ignored`);
        else keep.push(name);
      });
      if (keep.length !== list.length) caps[set] = keep;
    }
  }
}

function checkSeccomp(sc: unknown, err: (p: string, m: string) => void): void {
  if (!isObject(sc)) return;
  if (sc.defaultErrnoRet !== undefined && NO_ERRNO_ACTIONS.has(sc.defaultAction)) {
    err('/linux/seccomp/defaultErrnoRet', `defaultAction ${sc.defaultAction} returns no errno: defaultErrnoRet needs SCMP_ACT_ERRNO or SCMP_ACT_TRACE`);
  }
  if (!Array.isArray(sc.syscalls)) return;
  sc.syscalls.forEach((s: unknown, i: number) => {
    if (!isObject(s)) return;
    if (s.errnoRet !== undefined && NO_ERRNO_ACTIONS.has(s.action)) {
      err(`/linux/seccomp/syscalls/${i}/errnoRet`, `action ${s.action} returns no errno: errnoRet needs SCMP_ACT_ERRNO or SCMP_ACT_TRACE`);
    }
  });
}

function checkResources(r: unknown, err: (p: string, m: string) => void): void {
  if (!isObject(r)) return;
  const sw = isObject(r.memory) ? r.memory.swappiness : undefined;
  if (Number.isInteger(sw) && (sw as number) > 100 && sw !== UINT64_MAX_AS_DOUBLE) {
    err('/linux/resources/memory/swappiness', `must be from 0 to 100, but found ${sw}`);
  }
  const cpu = r.cpu;
  if (isObject(cpu) && Number.isInteger(cpu.burst) && Number.isInteger(cpu.quota) && cpu.quota > 0 && cpu.burst > cpu.quota) {
    err('/linux/resources/cpu/burst', `must not be above quota (${cpu.quota}), but found ${cpu.burst}`);
  }
}

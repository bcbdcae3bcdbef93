/**
 * The TypeScript face of the addon's spawn: encode the plan, hand it over with the exec fifo,
 * and turn the child's failures (an op index and an errno) into the one error convention:
 *   mount proc on /proc (config.json /mounts/1): mount: operation not permitted
 * Also starts createContainer hooks inside the init's namespaces (inContainer), and reads
 * the host facts buildPlan takes (hostFacts).
 */
import * as fs from 'node:fs';
import { OcirtError, configError, errnoCode } from '../errors';
import type { Plan, HostFacts } from '../plan/build';
import { encodePlan } from '../plan/encode';
import { OP_INDEX_CGROUP_PLACEMENT } from '../plan/contract.gen';
import { native, NativeChildError } from '../native';
import type { HookExec } from '../hooks/run';
import type { Placement } from '../cgroups/types';

export type SyncEvent =
  | { type: 'namespaces-ready'; pid: number }
  | { type: 'create-container-hooks'; pid: number }
  | {
      type: 'fd';
      pid: number;
      purpose: 'console' | 'seccomp-listener';
      fd: number;
      /** Set it to keep `fd` open after onSync returns (the handler owns it then); spawnInit closes it otherwise. */
      keep?: boolean;
    };

export interface SpawnInitOptions {
  plan: Plan;
  /** Part of the plan already (its Exec op); accepted for the caller's convenience. */
  preserveFds?: number;
  /** <state dir>/exec.fifo, made by the caller; none for an exec plan (it has no Ready op). */
  execFifo?: string;
  /** How the process gets into its cgroup; spawnInit finishes it at namespaces-ready and closes it. */
  cgroup?: { path: string; placement: Placement };
  /** OCIRT_CALLER_NOFILE ("soft:hard"): the NOFILE limit when the config sets none. */
  callerNofile?: string;
  /** Called synchronously for each sync point; a throw aborts the create (the child is killed and reaped). */
  onSync(ev: SyncEvent): void;
}

function isChildError(e: unknown): e is NativeChildError {
  return !!e && typeof e === 'object' && (e as any).childError === true;
}

/**
 * The child's failure as the user reads it: the op's description, its place in config.json, the
 * errno. `placed` keeps the parts around the place (OcirtError.inFile).
 */
export function childErrorMessage(
  plan: Plan,
  e: { opIndex: number; errnoText: string; detail: string; fullMessage: boolean },
  cgroupPath?: string,
): { message: string; pointer?: string; placed?: { head: string; tail: string } } {
  if (e.opIndex >>> 0 === CGROUP_PLACEMENT_OP) {
    return placedMessage(`enter cgroup ${cgroupPath ?? ''}`, '/linux/cgroupsPath', `: ${e.detail}: ${e.errnoText}`);
  }
  const op = plan.ops[e.opIndex];
  const pointer = op?.pointer || undefined;
  if (e.fullMessage) return { message: e.detail, pointer };
  const what = op ? op.what : `op ${e.opIndex}`;
  const why = `: ${e.detail ? e.detail + ': ' : ''}${e.errnoText}`;
  return pointer ? placedMessage(what, pointer, why) : { message: what + why };
}

function placedMessage(head: string, pointer: string, tail: string): { message: string; pointer: string; placed: { head: string; tail: string } } {
  return { message: configError(head, pointer, tail).message, pointer, placed: { head, tail } };
}

/** The op index the child reports a failure of its own cgroup move with. */
const CGROUP_PLACEMENT_OP = OP_INDEX_CGROUP_PLACEMENT;

/**
 * Clones the init and waits until it is parked on exec.fifo; returns its pid. With an exec plan
 * (no Ready op) it returns once the process has execve'd.
 */
export function spawnInit(o: SpawnInitOptions): { pid: number } {
  const buf = encodePlan(o.plan);
  try {
    const placement = o.cgroup?.placement;
    const pid = native().spawn(
      buf,
      { execFifo: o.execFifo, cgroupDirFd: placement?.intoCgroupFd, cgroupTaskFds: placement?.selfTaskFds, callerNofile: o.callerNofile },
      (raw) => {
        if (raw.type === 'namespaces-ready') {
          placement?.finish(raw.pid, raw.intoCgroup);
          o.onSync({ type: raw.type, pid: raw.pid });
          return;
        }
        if (raw.type !== 'fd') {
          o.onSync(raw);
          return;
        }
        const ev: SyncEvent = { type: 'fd', pid: raw.pid, purpose: raw.purpose as 'console' | 'seccomp-listener', fd: raw.fd };
        try {
          o.onSync(ev);
        } finally {
          if (!ev.keep) {
            try {
              fs.closeSync(raw.fd);
            } catch {
              /* the handler closed it */
            }
          }
        }
      },
    );
    return { pid };
  } catch (e) {
    if (isChildError(e)) {
      const { message, pointer, placed } = childErrorMessage(o.plan, e, o.cgroup?.path);
      throw new OcirtError(message, { pointer, placed, code: errnoCode(e.errno), cause: e });
    }
    throw e;
  } finally {
    o.cgroup?.placement.close();
  }
}

/**
 * How createContainer hooks start (hooks/run.ts runHooks): each in the namespaces of the init
 * `pid`, its path resolved in the runtime's mount namespace, with the rootfs as its cwd as runc
 * runs them (never the host's /).
 */
export function inContainer(pid: number, rootfs: string): HookExec {
  return (h, stdin) => {
    let r;
    try {
      r = native().nsExec({
        pid,
        path: h.path,
        args: h.args?.length ? h.args : [h.path],
        env: h.env ?? [],
        stdin,
        timeoutMs: h.timeout && h.timeout > 0 ? h.timeout * 1000 : 0,
        cwd: rootfs,
      });
    } catch (e) {
      return { startError: { errno: (e as { errno?: number }).errno, message: (e as Error).message } };
    }
    return { timedOut: r.timedOut, signal: r.signal, status: r.code, output: r.output };
  };
}

function readTrim(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** What buildPlan needs to know about this host (LSMs, root). */
export function hostFacts(): HostFacts {
  return {
    apparmor: readTrim('/sys/module/apparmor/parameters/enabled') === 'Y',
    selinux: fs.existsSync('/sys/fs/selinux/enforce'),
    rootless: process.geteuid ? process.geteuid() !== 0 : false,
    resctrl: fs.existsSync('/sys/fs/resctrl/schemata'),
  };
}

/** LISTEN_FDS of ocirt's environment (systemd socket activation), 0 when absent. */
export function listenFds(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env.LISTEN_FDS);
  return Number.isInteger(n) && n > 0 ? n : 0;
}

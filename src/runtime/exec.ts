/**
 * exec, as a script: one more process in a running container, as runc runs it.
 *
 * The process is the container's config.json process changed by the flags (runc starts from the
 * same), or the runtime-spec Process of --process. It joins every namespace of the init through
 * /proc/<init>/ns (the addon forks once more after the joins, so that it is inside the pid
 * namespace), the container's cgroup, and gets the container's seccomp filter with its own
 * rlimits, ids, capabilities, no_new_privs and LSM labels. No rootfs ops, no hooks, no
 * exec.fifo: it execve's as soon as it is set up. Without --detach ocirt waits for it,
 * forwarding signals, and exits with its code or 128+signal; with --detach it returns once the
 * process runs, and the process outlives it (the caller is a subreaper).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { OcirtError, describeSystemError } from '../errors';
import { writeFileAtomic, readSavedConfig } from '../state/store';
import { loadContainer, wrongState } from './container';
import { cgroupOf } from './cgroup';
import { loadBundle } from '../spec/load';
import { buildPlan } from '../plan/build';
import { NAMESPACES } from '../plan/ops';
import { spawnInit, hostFacts, listenFds, SyncEvent } from './spawn';
import { native } from '../native';
import { forwardSignals } from './signals';
import { containerSeccomp, seccompListenerMessage } from './create';
import { warn, debug } from '../log';
import type { Process, Spec } from '../spec/types';

export interface ExecOptions {
  root: string;
  id: string;
  /** The command and its arguments (ignored with processFile). */
  args: string[];
  /** --process: a runtime-spec Process JSON file; the flags below that shape a process are ignored then. */
  processFile?: string;
  detach: boolean;
  pidFile?: string;
  consoleSocket?: string;
  tty: boolean;
  cwd?: string;
  env: string[];
  /** uid[:gid] */
  user?: string;
  additionalGids: string[];
  caps: string[];
  noNewPrivs: boolean;
  preserveFds: number;
  ignorePaused: boolean;
  processLabel?: string;
  apparmor?: string;
  /** --cgroup: existing sub-cgroups of the container to run in, [CONTROLLER[,CONTROLLER]:]PATH (runc's). */
  cgroups?: string[];
}

export async function exec(o: ExecOptions): Promise<number> {
  const c = loadContainer(o.root, o.id);
  // runc's words: docker and other tools match them in "OCI runtime exec failed: ...".
  if (!c.record || c.status === 'stopped') throw new OcirtError('cannot exec in a stopped container');
  if (c.status === 'paused' && !o.ignorePaused) throw new OcirtError('cannot exec in a paused container (use --ignore-paused to override)');
  // A created container qualifies, as in runc: its init is parked after the pivot, every namespace is complete.
  if (c.status !== 'running' && c.status !== 'paused' && c.status !== 'created') throw wrongState(c, 'exec in');
  const rec = c.record;
  const config = (readSavedConfig(c.dir) ?? loadBundle(rec.bundle).config) as Spec;
  const proc = o.processFile ? readProcessFile(o.processFile, config) : processFromFlags(config.process, o);

  let relay: { done: Promise<void> } | undefined;
  const relayed = !!proc.terminal && !o.consoleSocket && !o.detach;
  if (proc.terminal && o.detach && !o.consoleSocket) throw new OcirtError('cannot allocate tty if ocirt will detach without setting console socket');
  if (!proc.terminal && o.consoleSocket) throw new OcirtError('cannot use --console-socket if process.terminal is false');
  if (relayed && !proc.consoleSize && process.stdout.isTTY) proc.consoleSize = { height: process.stdout.rows, width: process.stdout.columns };

  const seccomp = containerSeccomp(config, o.root);
  const cg = rec.cgroup ? cgroupOf(rec) : undefined;
  if (o.cgroups?.length && !cg) throw new OcirtError('--cgroup: the container has no cgroup');
  let pid = 0;
  // The process runs as soon as spawnInit has made it: the caller may signal us before it returns.
  const unforward = o.detach ? () => {} : forwardSignals(() => pid);
  try {
    const plan = buildPlan(execConfig(config, proc, rec.pid), {
      bundle: rec.bundle, noPivot: false, preserveFds: o.preserveFds, listenFds: listenFds(), seccomp, host: hostFacts(), execProcess: true,
    });
    for (const w of plan.warnings) warn(w);
    for (const n of plan.notes) debug(n);
    seccomp?.store();
    pid = spawnInit({
      plan,
      preserveFds: o.preserveFds,
      // Moved by us, not by itself: in a paused container the process must not freeze before
      // exec has made it (runc's --ignore-paused), and exec is not on an engine's start path.
      cgroup: cg && { path: cg.path, placement: o.cgroups?.length ? subCgroupPlacement(cg, o.cgroups) : cg.placement({ selfMove: false }) },
      callerNofile: process.env.OCIRT_CALLER_NOFILE,
      onSync(ev: SyncEvent) {
        if (ev.type === 'fd' && ev.purpose === 'console') {
          if (o.consoleSocket) native().sendFd(o.consoleSocket, ev.fd);
          else {
            ev.keep = true; // the relay owns the master from now on
            relay = require('./terminal-relay').relayTerminal(ev.fd);
          }
        } else if (ev.type === 'fd' && ev.purpose === 'seccomp-listener') {
          const { ociState } = require('./container') as typeof import('./container');
          native().sendFd(config.linux!.seccomp!.listenerPath!, ev.fd, seccompListenerMessage(config, JSON.stringify(ociState(c)), ev.pid));
        }
      },
    }).pid;
  } catch (e) {
    unforward();
    throw o.processFile ? inProcessFile(e, o.processFile) : e;
  }
  debug(`exec in "${o.id}": process ${pid}`);
  if (o.pidFile) writeFileAtomic(path.resolve(o.pidFile), String(pid), 0o644);
  if (o.detach) return 0;

  const st = await native().waitPidAsync(pid);
  unforward();
  if (relay) await (relay as { done: Promise<void> }).done;
  return st.signal !== undefined ? 128 + st.signal : st.code ?? 1;
}

/**
 * --cgroup as runc reads it: PATH alone is a sub-cgroup in every hierarchy, CTRL[,CTRL]:PATH in
 * those controllers' (on cgroup2 only the bare form, or "unified:PATH"). The sub-cgroups must
 * exist below the container's own: the process is written into each one's cgroup.procs, and into
 * the container's directory where no sub-cgroup was named.
 */
export function subCgroupDirs(dirs: Readonly<Record<string, string>>, specs: string[]): string[] {
  const byDir = new Map<string, string>();
  for (const d of Object.values(dirs)) byDir.set(d, d);
  const keys = Object.keys(dirs);
  for (const spec of specs) {
    const colon = spec.indexOf(':');
    const sub = colon >= 0 ? spec.slice(colon + 1) : spec;
    const ctrls = colon >= 0 ? spec.slice(0, colon).split(',').filter(Boolean) : keys;
    if (!sub) throw new OcirtError(`--cgroup "${spec}": no sub-cgroup path`);
    for (const c of ctrls) {
      const key = keys.find((k) => k === c || k === c.replace(/^name=/, '') || k.split(',').includes(c));
      if (!key) throw new OcirtError(`--cgroup "${spec}": controller "${c}" is not one of the container's (${keys.join(', ')})`);
      const base = dirs[key];
      const target = path.resolve(base, '.' + path.posix.normalize('/' + sub));
      if (target !== base && !target.startsWith(base + '/')) throw new OcirtError(`--cgroup "${spec}": the path leads out of the container's cgroup`);
      if (!fs.existsSync(path.join(target, 'cgroup.procs'))) {
        throw new OcirtError(`--cgroup "${spec}": ${path.join(target, 'cgroup.procs')}: no such file or directory`);
      }
      byDir.set(base, target);
    }
  }
  return [...new Set(byDir.values())];
}

function subCgroupPlacement(cg: import('../cgroups').CgroupManager, specs: string[]): import('../cgroups/types').Placement {
  const targets = subCgroupDirs(cg.dirs, specs);
  return {
    selfTaskFds: [],
    finish: (pid) => {
      for (const d of targets) {
        try {
          fs.writeFileSync(path.join(d, 'cgroup.procs'), String(pid));
        } catch (e) {
          throw new OcirtError(`error adding pid ${pid} to cgroups: ${path.join(d, 'cgroup.procs')}: ${describeSystemError(e)}`);
        }
      }
    },
    close: () => {},
  };
}

/**
 * What buildPlan (execProcess) takes for an exec: the container's config with `proc` as its
 * process, every namespace joined through the init (/proc/<pid>/ns/<file>; those the config
 * joined by path are the init's too), and no hooks.
 */
export function execConfig(config: Spec, proc: Process, initPid: number): Spec {
  const namespaces = (config.linux?.namespaces ?? []).map((ns) => ({ type: ns.type, path: `/proc/${initPid}/ns/${NAMESPACES[ns.type].file}` }));
  return { ...config, process: proc, linux: { ...config.linux, namespaces }, hooks: undefined };
}

/** The config's process with runc exec's flags applied. */
export type ProcessFlags = Pick<ExecOptions, 'args' | 'cwd' | 'env' | 'user' | 'additionalGids' | 'caps' | 'noNewPrivs' | 'tty' | 'processLabel' | 'apparmor'>;

export function processFromFlags(base: any, o: ProcessFlags): any {
  const p = structuredClone(base ?? {});
  p.args = o.args;
  if (!p.args.length) throw new OcirtError('exec needs a command to run, or --process');
  if (o.cwd) {
    // The one process field a flag sets as free text: checked here, as config.json's cwd is by semantic.ts.
    if (!o.cwd.startsWith('/')) throw new OcirtError(`--cwd "${o.cwd}": must be an absolute path`);
    p.cwd = o.cwd;
  }
  if (o.apparmor) p.apparmorProfile = o.apparmor;
  if (o.processLabel) p.selinuxLabel = o.processLabel;
  p.terminal = o.tty;
  if (o.noNewPrivs) p.noNewPrivileges = true;
  p.env = mergeEnv(p.env ?? [], o.env);
  if (o.caps.length) {
    const caps = (p.capabilities ??= {});
    const hadInheritable = Array.isArray(caps.inheritable) && caps.inheritable.length > 0;
    for (const raw of o.caps) {
      const name = capName(raw);
      for (const set of ['bounding', 'effective', 'permitted']) (caps[set] ??= []).push(name);
      // An ambient capability needs the inheritable bit; exec adds none, so only where the config has some.
      if (hadInheritable) {
        caps.inheritable.push(name);
        (caps.ambient ??= []).push(name);
      }
    }
  }
  if (o.user) {
    const m = /^(\d+)(?::(\d+))?$/.exec(o.user);
    if (!m) throw new OcirtError(`--user "${o.user}": expected uid[:gid] (numbers)`);
    p.user = { ...(p.user ?? {}), uid: Number(m[1]) };
    if (m[2] !== undefined) p.user.gid = Number(m[2]);
  }
  if (o.additionalGids.length) {
    p.user = p.user ?? { uid: 0, gid: 0 };
    p.user.additionalGids = [...(p.user.additionalGids ?? [])];
    for (const g of o.additionalGids) {
      if (!/^\d+$/.test(g)) throw new OcirtError(`--additional-gids "${g}": expected a number`);
      p.user.additionalGids.push(Number(g));
    }
  }
  return p;
}

/** --env over the config's: a KEY given again replaces the earlier value in place (getenv returns the first). */
function mergeEnv(base: string[], extra: string[]): string[] {
  const out = [...base];
  for (const kv of extra) {
    const key = kv.includes('=') ? kv.slice(0, kv.indexOf('=')) : kv;
    const at = out.findIndex((e) => e === key || e.startsWith(key + '='));
    if (at >= 0) out[at] = kv;
    else out.push(kv);
  }
  return out;
}

/**
 * CAP_X for X or CAP_X. An unknown name goes on into the process's sets: the plan warns and
 * ignores it, as it does for config.json and as runc does for --cap.
 */
function capName(raw: string): string {
  const up = raw.toUpperCase();
  return up.startsWith('CAP_') ? up : `CAP_${up}`;
}

/**
 * A runtime-spec Process from a file (engines write one per exec), checked with the config
 * schema's process part; problems are placed in that file by line:column.
 */
function readProcessFile(file: string, config: any): any {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new OcirtError(describeSystemError(e));
  }
  const { parseJsonWithPositions, positionOf, JsonSyntaxError } = require('../spec/json-positions') as typeof import('../spec/json-positions');
  let parsed;
  try {
    parsed = parseJsonWithPositions(text);
  } catch (e) {
    if (e instanceof JsonSyntaxError) throw new OcirtError(`${file}:${e.line}:${e.column}: ${e.message}`);
    throw e;
  }
  const p = parsed.value as any;
  if (p === null || typeof p !== 'object' || Array.isArray(p)) throw new OcirtError(`${file}:1:1: must be a JSON object (a runtime-spec process)`);
  const { schemaProblems } = require('../spec/validate') as typeof import('../spec/validate');
  const { processProblems } = require('../spec/semantic') as typeof import('../spec/semantic');
  // As load.ts checks a config.json: the schema, then the rules it cannot say (the plan relies on both).
  const problems = schemaProblems('config', { ...config, process: p }).filter((x) => x.pointer === '/process' || x.pointer.startsWith('/process/'));
  const schemaAt = new Set(problems.map((x) => x.pointer));
  problems.push(...processProblems({ ...config, process: p }).filter((x) => !schemaAt.has(x.pointer)));
  if (problems.length) {
    const lines = problems.map((x) => {
      const ptr = x.pointer.slice('/process'.length);
      const pos = positionOf(parsed.positions, ptr);
      return `${file}:${pos.line}:${pos.column}${ptr ? ' ' + ptr : ''}: ${x.message}`;
    });
    throw new OcirtError(lines.join('\n'));
  }
  return p;
}

/** A failure placed at /process/... names the process file, not config.json. */
function inProcessFile(e: unknown, file: string): unknown {
  if (!(e instanceof OcirtError) || !(e.pointer === '/process' || e.pointer?.startsWith('/process/'))) return e;
  return e.inFile(file, e.pointer.slice('/process'.length) || '/');
}

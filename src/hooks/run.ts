/**
 * The one hook runner. Each hook gets the container's state JSON on stdin, its own args and env
 * (the runtime's environment when it has none; argv[0] from args[0]), and is killed after
 * `timeout` seconds. Hooks of the runtime's namespace (prestart, createRuntime, poststart,
 * poststop) run here with spawnSync; createContainer hooks run in the init's namespaces
 * (runtime/spawn.ts inContainer gives runHooks the way to start them); startContainer hooks run
 * inside the container from the init (addon/child_exec.cc), after ocirt has returned, with the
 * same words. The caller decides what a failure means (runtime-spec 1.3: before start it aborts
 * the container, poststart fails it, poststop only warns).
 *
 * A failure reads "<phase> hook <path> (config.json /hooks/<phase>/<i>): <why>[: <output>]",
 * `why` in runc's words, which engines and people know from runc: "exit status 4", "signal:
 * killed", "hook ran past specified timeout of 1.0s", or the errno text when it could not start.
 */
import { OcirtError, configError, errnoText, errnoCode, hasErrnoCode } from '../errors';
import { SIGNALS } from '../plan/contract.gen';

export interface Hook {
  path: string;
  args?: string[];
  env?: string[] | null;
  timeout?: number;
}

export type HookPhase = (typeof import('./phases').HOOK_PHASES)[number];

/** How one hook ended. */
export interface HookOutcome {
  /**
   * It never ran: the errno of the failed start (a number or Node's code: the message is its
   * text), and what failed when that is not the hook's own path.
   */
  startError?: { errno?: number | string; message?: string };
  timedOut?: boolean;
  /** The signal that ended it. */
  signal?: number;
  /** Its exit status. */
  status?: number;
  /** What it wrote to stdout and stderr, for the error. */
  output?: string;
}

/** Starts one hook with the state on stdin and waits for it. */
export type HookExec = (h: Hook, stdin: string) => HookOutcome;

/**
 * A hook's environment: its `env`, or when the config gives none (absent or null, not an empty
 * list) the runtime's own, as runc and crun hand theirs on.
 */
function envObject(env: string[] | undefined | null): Record<string, string> {
  if (env === undefined || env === null) return { ...process.env } as Record<string, string>;
  const out: Record<string, string> = {};
  for (const kv of env) {
    const i = kv.indexOf('=');
    if (i > 0) out[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return out;
}

/** A hook in the runtime's own namespaces. */
const inRuntime: HookExec = (h, stdin) => {
  // child_process costs every command ~5 ms to load; most containers have no hooks.
  const { spawnSync } = require('node:child_process') as typeof import('node:child_process');
  const r = spawnSync(h.path, (h.args ?? [h.path]).slice(1), {
    argv0: h.args?.[0] ?? h.path,
    env: envObject(h.env),
    input: stdin,
    stdio: ['pipe', 'pipe', 'pipe'],
    timeout: h.timeout && h.timeout > 0 ? h.timeout * 1000 : undefined,
    killSignal: 'SIGKILL',
    encoding: 'utf8',
  });
  const output = [r.stdout, r.stderr].map((s) => (s ?? '').trim()).filter(Boolean).join('\n');
  // A hook need not read the state: one that exits first makes the write fail with EPIPE,
  // and only its exit status counts.
  const err = r.error as NodeJS.ErrnoException | undefined;
  if (err && err.code !== 'EPIPE') {
    if (err.code === 'ETIMEDOUT') return { timedOut: true, output };
    return { startError: hasErrnoCode(err) ? { errno: err.code } : { message: err.message } };
  }
  if (r.signal) return { signal: (require('node:os') as typeof import('node:os')).constants.signals[r.signal], output };
  return { status: r.status ?? undefined, output };
};

/**
 * Runs one phase's hooks in order (`exec` starts each; the runtime's namespaces by default);
 * throws at the first that fails, naming it and its pointer. With `onFailure` (poststop: spec 1.3
 * has the runtime warn and go on as if the hook had succeeded) each failure goes there and the
 * next hook still runs.
 */
export function runHooks(
  phase: HookPhase,
  hooks: Hook[] | undefined,
  stateJson: string,
  onFailure?: (message: string) => void,
  exec: HookExec = inRuntime,
): void {
  (hooks ?? []).forEach((h, i) => {
    const failure = hookFailure(phase, h, i, exec(h, stateJson));
    if (!failure) return;
    if (!onFailure) throw failure;
    onFailure(failure.message);
  });
}

/** The error for a hook that ended this way, or undefined when it succeeded. */
export function hookFailure(phase: HookPhase, h: Hook, i: number, r: HookOutcome): OcirtError | undefined {
  let why: string;
  let code: string | undefined;
  if (r.startError !== undefined) {
    const { errno, message } = r.startError;
    why = message ?? (errno !== undefined ? errnoText(errno) : 'could not start');
    code = typeof errno === 'number' ? errnoCode(errno) : errno;
  } else if (r.timedOut) why = `hook ran past specified timeout of ${(h.timeout ?? 0).toFixed(1)}s`;
  else if (r.signal !== undefined) why = `signal: ${signalText(r.signal)}`;
  else if (r.status !== 0) why = `exit status ${r.status}`;
  else return undefined;
  const out = r.output?.trim();
  return configError(`${phase} hook ${h.path}`, `/hooks/${phase}/${i}`, `: ${why}${out ? ': ' + out : ''}`, { code });
}

/** How runc (Go) names a signal that ended a process: "killed", "terminated", or "signal N". */
export function signalText(n: number): string {
  return SIGNALS[n]?.[1] ?? `signal ${n}`;
}

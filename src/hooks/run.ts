/**
 * Hooks that run in the runtime's namespace (prestart, createRuntime, poststart, poststop):
 * each gets the container's state JSON on stdin, its own args and env (the runtime's
 * environment when it has none; argv[0] from args[0]),
 * and is killed after `timeout` seconds. The caller decides what a failure means (runtime-spec
 * 1.3: before start it aborts the container, poststart fails it, poststop only warns).
 */
import { OcirtError } from '../errors';

export interface Hook {
  path: string;
  args?: string[];
  env?: string[] | null;
  timeout?: number;
}

/** The runtime's environment as KEY=value entries: what a hook without `env` gets. */
export function runtimeEnv(): string[] {
  return Object.entries(process.env).map(([k, v]) => `${k}=${v}`);
}

export type HookPhase = (typeof import('./phases').HOOK_PHASES)[number];

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

/**
 * Runs one phase's hooks in order; throws at the first that fails, naming it and its pointer.
 * With `onFailure` (poststop: spec 1.3 has the runtime warn and go on as if the hook had
 * succeeded) each failure goes there and the next hook still runs.
 */
export function runHooks(phase: HookPhase, hooks: Hook[] | undefined, stateJson: string, onFailure?: (message: string) => void): void {
  (hooks ?? []).forEach((h, i) => {
    if (!onFailure) return runHook(phase, h, i, stateJson);
    try {
      runHook(phase, h, i, stateJson);
    } catch (e) {
      onFailure((e as Error).message);
    }
  });
}

function runHook(phase: HookPhase, h: Hook, i: number, stateJson: string): void {
  const where = `${phase} hook ${h.path} (config.json /hooks/${phase}/${i})`;
  // child_process costs every command ~5 ms to load; most containers have no hooks.
  const { spawnSync } = require('node:child_process') as typeof import('node:child_process');
  const r = spawnSync(h.path, (h.args ?? [h.path]).slice(1), {
    argv0: h.args?.[0] ?? h.path,
    env: envObject(h.env),
    input: stateJson,
    stdio: ['pipe', 'pipe', 'pipe'],
    timeout: h.timeout && h.timeout > 0 ? h.timeout * 1000 : undefined,
    killSignal: 'SIGKILL',
    encoding: 'utf8',
  });
  // A hook need not read the state: one that exits first makes the write fail with EPIPE,
  // and only its exit status counts.
  if (r.error && (r.error as NodeJS.ErrnoException).code !== 'EPIPE') {
    const code = (r.error as NodeJS.ErrnoException).code;
    if (code === 'ETIMEDOUT') throw new OcirtError(`${where}: timed out after ${h.timeout}s`);
    throw new OcirtError(`${where}: ${code === 'ENOENT' ? 'no such file or directory' : r.error.message}`);
  }
  const stderr = (r.stderr ?? '').trim();
  if (r.signal) throw new OcirtError(`${where}: killed by ${r.signal}${stderr ? ': ' + stderr : ''}`);
  if (r.status !== 0) throw new OcirtError(`${where}: exit status ${r.status}${stderr ? ': ' + stderr : ''}`);
}

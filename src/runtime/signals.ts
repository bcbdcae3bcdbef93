/** Signal names and numbers as `kill` accepts them: 9, KILL, SIGKILL, sigkill, RTMIN+3. */
import * as os from 'node:os';
import { OcirtError } from '../errors';

const SIGRTMIN = 34;
const SIGRTMAX = 64;

export function parseSignal(raw: string | undefined): number {
  if (raw === undefined || raw === '') return os.constants.signals.SIGTERM;
  if (/^\d+$/.test(raw)) {
    const n = Number(raw);
    // 0 is kill(2)'s "is it there": runc passes it on, and scripts use it to probe the init.
    if (n >= 0 && n <= SIGRTMAX) return n;
  } else {
    const name = raw.toUpperCase().replace(/^SIG/, '');
    const rt = /^RTMIN(?:\+(\d+))?$/.exec(name) ?? /^RTMAX(?:-(\d+))?$/.exec(name);
    if (rt) {
      const off = Number(rt[1] ?? 0);
      const n = name.startsWith('RTMIN') ? SIGRTMIN + off : SIGRTMAX - off;
      if (n >= SIGRTMIN && n <= SIGRTMAX) return n;
    }
    const n = (os.constants.signals as Record<string, number>)['SIG' + name];
    if (n !== undefined) return n;
  }
  throw new OcirtError(`unknown signal "${raw}"`);
}

const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'];

/**
 * What `run` and `exec` do while they wait: signals sent to ocirt go to the container's process.
 * Installed before that process exists: a signal that comes while it is being made (synchronous
 * work) is handled once that work is done, when pid() knows it, instead of ending ocirt with
 * the default action. Returns the function that removes the handlers.
 */
export function forwardSignals(pid: () => number): () => void {
  const forward = (sig: NodeJS.Signals) => {
    try {
      if (pid() > 0) process.kill(pid(), sig);
    } catch {
      /* exited meanwhile */
    }
  };
  for (const s of FORWARDED) process.on(s, forward);
  return () => {
    for (const s of FORWARDED) process.off(s, forward);
  };
}

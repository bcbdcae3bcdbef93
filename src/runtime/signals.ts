/** Signal names and numbers as `kill` accepts them: 9, KILL, SIGKILL, sigkill, RTMIN+3. */
import * as os from 'node:os';
import { OcirtError } from '../errors';

const SIGRTMIN = 34;
const SIGRTMAX = 64;

export function parseSignal(raw: string | undefined): number {
  if (raw === undefined || raw === '') return os.constants.signals.SIGTERM;
  if (/^\d+$/.test(raw)) {
    const n = Number(raw);
    if (n >= 1 && n <= SIGRTMAX) return n;
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

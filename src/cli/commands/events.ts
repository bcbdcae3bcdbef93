import type { Invocation } from '../table';
import { OcirtError } from '../../errors';
import { stats, cgroupFor } from '../../runtime/cgroup-commands';
import { stdout } from '../../stdio';

function parseInterval(s: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(s);
  if (!m) throw new OcirtError(`invalid --interval "${s}": use a duration such as 5s or 500ms`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  const ms = Number(m[1]) * unit;
  if (ms <= 0) throw new OcirtError('--interval must be greater than 0');
  return ms;
}

/** --stats prints once; otherwise stats every --interval and oom events as they happen. */
export async function run(inv: Invocation): Promise<number> {
  const root = inv.globals.root as string;
  const id = inv.positionals[0];
  const emit = (o: unknown) => stdout(JSON.stringify(o) + '\n');
  if (inv.flags.stats) {
    emit(stats(root, id));
    return 0;
  }
  const interval = parseInterval(inv.flags.interval as string);
  const cg = cgroupFor(root, id);
  let ooms = cg.oomCount();
  for (;;) {
    let st;
    try {
      st = stats(root, id);
    } catch {
      return 0; // the container went away: the stream ends, as runc's does
    }
    const now = cg.oomCount();
    if (now > ooms) emit({ type: 'oom', id });
    ooms = now;
    emit(st);
    await new Promise((r) => setTimeout(r, interval));
  }
}

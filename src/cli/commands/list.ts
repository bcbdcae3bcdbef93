import type { Invocation } from '../table';
import { listIds } from '../../state/store';
import { loadContainer, ociState, OciState } from '../../runtime/container';
import { stdout } from '../../stdio';

export function run(inv: Invocation): number {
  const root = inv.globals.root as string;
  const states: OciState[] = [];
  for (const id of listIds(root)) {
    try {
      states.push(ociState(loadContainer(root, id)));
    } catch {
      // Deleted between readdir and read: it is simply not listed.
    }
  }
  if (inv.flags.quiet) {
    for (const s of states) stdout(s.id + '\n');
  } else if (inv.flags.format === 'json') {
    stdout(JSON.stringify(states) + '\n');
  } else {
    const rows = [['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED', 'OWNER']];
    for (const s of states) rows.push([s.id, String(s.pid), s.status, s.bundle, s.created, s.owner]);
    const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
    for (const r of rows) stdout(r.map((v, i) => (i < r.length - 1 ? v.padEnd(widths[i]) : v)).join('   ') + '\n');
  }
  return 0;
}

import type { Invocation } from '../table';
import { kill } from '../../runtime/kill';

export function run(inv: Invocation): number {
  kill(inv.globals.root as string, inv.positionals[0], inv.positionals[1], inv.flags.all as boolean);
  return 0;
}

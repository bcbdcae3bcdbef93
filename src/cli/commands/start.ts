import type { Invocation } from '../table';
import { start } from '../../runtime/start';

export function run(inv: Invocation): number {
  start(inv.globals.root as string, inv.positionals[0]);
  return 0;
}

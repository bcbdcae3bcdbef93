import type { Invocation } from '../table';
import { deleteContainer } from '../../runtime/delete';

export function run(inv: Invocation): number {
  deleteContainer(inv.globals.root as string, inv.positionals[0], inv.flags.force as boolean);
  return 0;
}

import type { Invocation } from '../table';
import { resume } from '../../runtime/cgroup-commands';

export function run(inv: Invocation): number {
  resume(inv.globals.root as string, inv.positionals[0]);
  return 0;
}

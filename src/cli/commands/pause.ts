import type { Invocation } from '../table';
import { pause } from '../../runtime/cgroup-commands';

export function run(inv: Invocation): number {
  pause(inv.globals.root as string, inv.positionals[0]);
  return 0;
}

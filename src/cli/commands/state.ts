import type { Invocation } from '../table';
import { loadContainer, ociState } from '../../runtime/container';
import { stdout } from '../../stdio';

export function run(inv: Invocation): number {
  const c = loadContainer(inv.globals.root as string, inv.positionals[0]);
  stdout(JSON.stringify(ociState(c), null, 2) + '\n');
  return 0;
}

import type { Invocation } from '../table';
import { loadContainer, ociState } from '../../runtime/container';

export function run(inv: Invocation): number {
  const c = loadContainer(inv.globals.root as string, inv.positionals[0]);
  process.stdout.write(JSON.stringify(ociState(c), null, 2) + '\n');
  return 0;
}

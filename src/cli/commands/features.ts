import type { Invocation } from '../table';
import { features } from '../../runtime/features';

export function run(_inv: Invocation): number {
  process.stdout.write(JSON.stringify(features(), null, 2) + '\n');
  return 0;
}

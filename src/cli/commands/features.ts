import type { Invocation } from '../table';
import { features } from '../../runtime/features';
import { stdout } from '../../stdio';

export function run(_inv: Invocation): number {
  stdout(JSON.stringify(features(), null, 2) + '\n');
  return 0;
}

import type { Invocation } from '../table';
import { run as runContainer } from '../../runtime/run';
import { createOptions } from './create';

export function run(inv: Invocation): Promise<number> {
  return runContainer({
    ...createOptions(inv),
    detach: inv.flags.detach as boolean,
    keep: inv.flags.keep as boolean,
    subreaper: !inv.flags['no-subreaper'],
  });
}

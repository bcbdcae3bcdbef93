import type { Invocation } from '../table';
import { loadBundle } from '../../spec/load';
import { buildPlan, describePlan } from '../../plan/build';
import { warn } from '../../log';
import { stdout } from '../../stdio';

/** Prints what create would do, touching nothing: the plan is a pure function of the config. */
export function run(inv: Invocation): number {
  const b = loadBundle(inv.flags.bundle as string);
  for (const w of b.warnings) warn(w);
  stdout(describePlan(buildPlan(b.config, { bundle: b.bundle, noPivot: inv.flags['no-pivot'] as boolean })) + '\n');
  return 0;
}

import type { Invocation } from '../table';
import type { Spec } from '../../spec/types';
import type { CgroupMountHost } from '../../plan/rootfs';
import { loadBundle } from '../../spec/load';
import { buildPlan, describePlan } from '../../plan/build';
import { warn } from '../../log';
import { stdout } from '../../stdio';

/** The id in the paths a plan shows that depend on one: a plan is for any container of the bundle. */
const PLAN_ID = '<id>';

/** Prints what create would do, touching nothing: the plan is a pure function of the config. */
export function run(inv: Invocation): number {
  const b = loadBundle(inv.flags.bundle as string);
  for (const w of b.warnings) warn(w);
  const plan = buildPlan(b.config, {
    bundle: b.bundle,
    noPivot: inv.flags['no-pivot'] as boolean,
    cgroup: cgroupLayout(b.config, !!inv.globals['systemd-cgroup']),
  });
  stdout(describePlan(plan) + '\n');
  return 0;
}

/**
 * A cgroup mount on a v1 host without a cgroup namespace binds the container's own cgroup
 * directories, which create knows from the cgroup manager before it makes them: the plan shows
 * the same directories. systemd places the container itself, so there the plan cannot know them.
 */
function cgroupLayout(config: Spec, systemd: boolean): CgroupMountHost | undefined {
  if (systemd || !config.mounts?.some((m) => m.type === 'cgroup')) return undefined;
  const { cgroupForCreate } = require('../../runtime/cgroup') as typeof import('../../runtime/cgroup');
  const { hostCgroupMounts } = require('../../plan/rootfs') as typeof import('../../plan/rootfs');
  try {
    return hostCgroupMounts({ ...cgroupForCreate(PLAN_ID, config.linux?.cgroupsPath, false).dirs });
  } catch {
    return undefined; // the plan step then says what it lacks
  }
}

/**
 * What features.json says about seccomp, honest about this kernel: the actions it has, all
 * operators and arches (the compiler handles every one), and the filter flags its seccomp(2)
 * takes. Loaded by index.ts on first use, not on the compile path.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import { ARCHS } from './arch';
import { ACTIONS, FLAGS, OPERATORS } from './index';

export interface SeccompFeatures {
  enabled: true;
  actions: string[];
  operators: string[];
  archs: string[];
  knownFlags: string[];
  supportedFlags: string[];
}

/** Kernel release as major * 1000 + minor (5.19 is 5019); 0 when unreadable. */
export function kernelVersion(release = os.release()): number {
  const m = /^(\d+)\.(\d+)/.exec(release);
  return m ? Number(m[1]) * 1000 + Number(m[2]) : 0;
}

/** Each action by its name in /proc/sys/kernel/seccomp/actions_avail, and the release that added it. */
const ACTION_KERNEL: Record<string, [string, number]> = {
  SCMP_ACT_KILL: ['kill_thread', 3005], SCMP_ACT_KILL_THREAD: ['kill_thread', 3005], SCMP_ACT_KILL_PROCESS: ['kill_process', 4014],
  SCMP_ACT_TRAP: ['trap', 3005], SCMP_ACT_ERRNO: ['errno', 3005], SCMP_ACT_TRACE: ['trace', 3005],
  SCMP_ACT_ALLOW: ['allow', 3005], SCMP_ACT_LOG: ['log', 4014], SCMP_ACT_NOTIFY: ['user_notif', 5000],
};

/**
 * The release that added each flag: seccomp(2) refuses flags it does not know with EINVAL.
 * (compile() passes WAIT_KILLABLE_RECV only with a listener and drops TSYNC with one, the
 * combinations the kernel refuses.)
 */
export const FLAG_SINCE: Record<string, number> = {
  SECCOMP_FILTER_FLAG_TSYNC: 3017, SECCOMP_FILTER_FLAG_LOG: 4014, SECCOMP_FILTER_FLAG_SPEC_ALLOW: 4017, SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV: 5019,
};

export function seccompFeatures(): SeccompFeatures {
  const v = kernelVersion();
  let avail: string[] | undefined;
  try {
    avail = fs.readFileSync('/proc/sys/kernel/seccomp/actions_avail', 'utf8').trim().split(/\s+/);
  } catch {
    // Before 4.14, or no procfs: by release.
  }
  const actions = ACTIONS.filter((a) => (avail ? avail.includes(ACTION_KERNEL[a][0]) : v >= ACTION_KERNEL[a][1]));
  const knownFlags = Object.keys(FLAGS);
  return {
    enabled: true,
    actions,
    operators: [...OPERATORS],
    archs: [...ARCHS.keys()],
    knownFlags,
    supportedFlags: knownFlags.filter((f) => v >= FLAG_SINCE[f]),
  };
}

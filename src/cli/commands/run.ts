import type { Invocation } from '../table';
import { run as runContainer } from '../../runtime/run';

export function run(inv: Invocation): Promise<number> {
  return runContainer({
    root: inv.globals.root as string,
    id: inv.positionals[0],
    bundle: inv.flags.bundle as string,
    pidFile: inv.flags['pid-file'] as string | undefined,
    consoleSocket: inv.flags['console-socket'] as string | undefined,
    noPivot: inv.flags['no-pivot'] as boolean,
    preserveFds: inv.flags['preserve-fds'] as number,
    systemdCgroup: inv.globals['systemd-cgroup'] as boolean,
    rootless: inv.globals.rootless as string | undefined,
    detach: inv.flags.detach as boolean,
    keep: inv.flags.keep as boolean,
    subreaper: !inv.flags['no-subreaper'],
  });
}

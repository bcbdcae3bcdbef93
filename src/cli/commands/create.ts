import type { Invocation } from '../table';
import { create, CreateOptions } from '../../runtime/create';

/** The create flags, which `run` takes too (the table gives both commands the same list). */
export function createOptions(inv: Invocation): CreateOptions {
  return {
    root: inv.globals.root as string,
    id: inv.positionals[0],
    bundle: inv.flags.bundle as string,
    pidFile: inv.flags['pid-file'] as string | undefined,
    consoleSocket: inv.flags['console-socket'] as string | undefined,
    noPivot: inv.flags['no-pivot'] as boolean,
    preserveFds: inv.flags['preserve-fds'] as number,
    systemdCgroup: inv.globals['systemd-cgroup'] as boolean,
    rootless: inv.globals.rootless as string | undefined,
  };
}

export function run(inv: Invocation): number {
  create(createOptions(inv));
  return 0;
}

import type { Invocation } from '../table';
import { exec } from '../../runtime/exec';
import { error, debug } from '../../log';
import { isOcirtError } from '../../errors';

const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);

/**
 * runc exits 255 when exec itself fails (no such container, a stopped one, a command that
 * cannot run), so that callers tell it from the process's own exit code: Docker and podman
 * read 255 with "exec failed: " as the runtime's failure.
 */
export async function run(inv: Invocation): Promise<number> {
  try {
    return await execFromFlags(inv);
  } catch (e) {
    error(`exec failed: ${isOcirtError(e) || e instanceof Error ? e.message : String(e)}`);
    if (e instanceof Error && !isOcirtError(e)) debug(e.stack ?? '');
    return 255;
  }
}

function execFromFlags(inv: Invocation): Promise<number> {
  const [id, ...rest] = inv.positionals;
  return exec({
    root: inv.globals.root as string,
    id,
    args: rest[0] === '--' ? rest.slice(1) : rest,
    processFile: inv.flags.process as string | undefined,
    detach: inv.flags.detach as boolean,
    pidFile: inv.flags['pid-file'] as string | undefined,
    consoleSocket: inv.flags['console-socket'] as string | undefined,
    tty: inv.flags.tty as boolean,
    cwd: inv.flags.cwd as string | undefined,
    env: list(inv.flags.env),
    user: inv.flags.user as string | undefined,
    additionalGids: list(inv.flags['additional-gids']),
    caps: list(inv.flags.cap),
    noNewPrivs: inv.flags['no-new-privs'] as boolean,
    preserveFds: (inv.flags['preserve-fds'] as number) ?? 0,
    ignorePaused: inv.flags['ignore-paused'] as boolean,
    processLabel: inv.flags['process-label'] as string | undefined,
    apparmor: inv.flags.apparmor as string | undefined,
    cgroups: list(inv.flags.cgroup),
  });
}

/**
 * linux.netDevices (runtime-spec 1.3): host network devices moved by name into the container's
 * network namespace, renamed when the entry says so ("%d" lets the kernel pick a free name),
 * with their permanent global addresses put back (a move drops every address) and set up.
 * Runs from the runtime once the init has its namespaces, before the prestart hooks. The
 * kernel's netlink is driven through iproute2's ip(8) and util-linux's nsenter(1); nothing is
 * moved back at delete (the spec leaves that to the namespace's end).
 */
import { spawnSync } from 'node:child_process';
import { configError, systemErrorText } from '../errors';
import { pointerJoin } from '../spec/pointer';

interface Addr {
  local: string;
  prefixlen: number;
  scope?: string;
  dynamic?: boolean;
  broadcast?: string;
}

function ip(args: string[], pointer: string, what: string, netnsPid?: number): string {
  const argv = netnsPid ? ['nsenter', `--net=/proc/${netnsPid}/ns/net`, '--', 'ip', ...args] : ['ip', ...args];
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8' });
  if (r.error) throw configError(`${what}: ${argv[0]}: ${systemErrorText(r.error)}`, pointer, '', { code: (r.error as NodeJS.ErrnoException).code });
  if (r.status !== 0) throw configError(`${what}: ${(r.stderr || r.stdout).trim() || `ip exited ${r.status}`}`, pointer);
  return r.stdout;
}

function linkNames(pid: number, pointer: string): Set<string> {
  const links = JSON.parse(ip(['-j', 'link', 'show'], pointer, "list the container's devices", pid) || '[]') as Array<{ ifname: string }>;
  return new Set(links.map((l) => l.ifname));
}

/** The addresses a device keeps across the move: permanent (not dynamic) and of global scope. */
export function keptAddresses(ipJson: string): Addr[] {
  const out: Addr[] = [];
  for (const link of JSON.parse(ipJson || '[]') as Array<{ addr_info?: Addr[] }>) {
    for (const a of link.addr_info ?? []) if (a.scope === 'global' && !a.dynamic && a.local) out.push(a);
  }
  return out;
}

export function moveNetDevices(pid: number, devices: Record<string, { name?: string }> | undefined): void {
  for (const [host, dev] of Object.entries(devices ?? {})) {
    const pointer = pointerJoin('/linux/netDevices', host);
    const want = dev?.name || host;
    const addrs = keptAddresses(ip(['-j', 'addr', 'show', 'dev', host], pointer, `network device "${host}" of the host`));
    const before = linkNames(pid, pointer);
    if (!want.includes('%') && before.has(want)) {
      throw configError(`a network device "${want}" already exists in the container's network namespace`, pointer);
    }
    ip(['link', 'set', 'dev', host, 'netns', String(pid), 'name', want], pointer, `move "${host}" into the container's network namespace as "${want}"`);
    // A template ("eth%d") is resolved by the kernel: the new name is the one that appeared.
    const name = want.includes('%') ? [...linkNames(pid, pointer)].find((n) => !before.has(n)) ?? want : want;
    for (const a of addrs) {
      const args = ['addr', 'add', `${a.local}/${a.prefixlen}`, 'dev', name];
      if (a.broadcast) args.push('broadcast', a.broadcast);
      ip(args, pointer, `put address ${a.local}/${a.prefixlen} back on "${name}"`, pid);
    }
    ip(['link', 'set', 'dev', name, 'up'], pointer, `set "${name}" up`, pid);
  }
}

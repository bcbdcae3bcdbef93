/**
 * The deliberate differences between what a container sees under ocirt and under runc
 * (Debian's 1.1.5, the oracle), as the oracle test applies them; the README's "Deliberate
 * differences from runc" is the list they come from, and the two change together. Each entry says why ocirt differs on purpose and either
 * rewrites both runtimes' probe reports the same way, so that only this difference is forgiven,
 * or names the configs ocirt refuses on purpose (there the oracle checks that ocirt refuses).
 * Anything not listed here is a bug in ocirt, or a fix still to be merged.
 *
 * A mount line is the probe's form: "point options propagation fstype source superoptions".
 */
export interface Deviation {
  what: string;
  why: string;
  /** Rewrites one mount line; returns it unchanged where the deviation does not apply. */
  mount?: (line: string, masked: Set<string>) => string;
  /** Rewrites a report in place, given the config it ran. */
  report?: (report: any, config: any) => void;
  /** Configs ocirt refuses where runc runs them. */
  refuses?: (config: any) => boolean;
}

export const DELIBERATE: Deviation[] = [
  {
    what: 'the cgroup v1 tmpfs at /sys/fs/cgroup is mounted read-only',
    why:
      'the config asks for the cgroup mount with "ro"; ocirt applies it to the tmpfs that holds the hierarchies too, ' +
      'where runc 1.1 leaves that tmpfs read-write and makes only the hierarchies in it read-only',
    mount: (l) => l.replace(/^(\/sys\/fs\/cgroup) (ro|rw)(,\S*)? (\S+ tmpfs \S+) (ro|rw)/, '$1 r?$3 $4 r?'),
  },
  {
    what: 'a masked directory is a one-inode read-only tmpfs with nosuid,nodev,noexec',
    why:
      'nothing can be created in it or run from it even by a process that may remount it; runc 1.1 mounts a plain ' +
      'read-only tmpfs (named "tmpfs"; ocirt\'s, made by fsopen, is named "none"). The container sees the same empty, ' +
      'read-only directory',
    mount: (l, masked) => {
      const f = l.split(' ');
      return masked.has(f[0]) && f[3] === 'tmpfs' && /^ro\b/.test(f[1]) ? `${f[0]} ro,masked ${f[2]} tmpfs masked ro,masked` : l;
    },
  },
  {
    what: 'linux.personality is applied',
    why: 'runtime-spec 1.3 defines it and ocirt sets it; Debian\'s runc 1.1.5 ignores the field',
    report: (r, c) => {
      if (c.linux?.personality) delete r.personality;
    },
  },
  {
    what: 'domainname is set',
    why: 'runtime-spec defines it for a container with its own UTS namespace; Debian\'s runc 1.1.5 leaves it unset',
    report: (r, c) => {
      if (c.domainname) delete r.domainname;
    },
  },
  {
    what: 'a mount with uidMappings/gidMappings is idmapped',
    why: 'runtime-spec 1.3 idmapped mounts; Debian\'s runc 1.1.5 has none and binds the source unmapped',
    mount: (l) => l.replace(/^(\S+ \S*?),idmapped\b/, '$1'),
  },
  {
    what: 'a cwd that goes through a /proc magic link is refused',
    why:
      'CVE-2024-21626: a cwd resolved through /proc/self/cwd or /proc/self/fd can land on a host directory; ocirt ' +
      'resolves the cwd inside the root without following magic links. Debian\'s runc 1.1.5 follows it',
    refuses: (c) => /^\/proc\/(self|thread-self|\d+)\/(cwd|fd|root)/.test(c.process?.cwd ?? ''),
  },
  {
    what: 'a mount whose destination lies inside /proc (other than over /proc itself) is refused',
    why:
      'a mount over part of procfs can hide the masked and read-only paths (CVE-2019-19921 was of this class); ' +
      'Debian\'s runc 1.1.5 allows it',
    refuses: (c) => (c.mounts ?? []).some((m: any) => typeof m.destination === 'string' && m.destination.startsWith('/proc/')),
  },
];

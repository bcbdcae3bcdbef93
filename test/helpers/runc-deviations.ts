/**
 * The one list of deliberate differences between what a container sees under ocirt and under
 * runc (Debian's 1.1.5, the oracle). Each entry says why ocirt differs on purpose and rewrites
 * both runtimes' probe reports the same way, so that only this difference is forgiven. Anything
 * not listed here is a bug in ocirt (or a fix still to be merged).
 *
 * A mount line here is the probe's form: "point options propagation fstype source superoptions".
 */
export interface Deviation {
  what: string;
  why: string;
  /** Rewrites one mount line; returns it unchanged where the deviation does not apply. */
  mount?: (line: string, masked: Set<string>) => string;
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
];

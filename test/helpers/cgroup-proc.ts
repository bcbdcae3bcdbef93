/**
 * Plain child processes for the real cgroup tests (no containers): each starts parked on a line
 * of stdin, so the test can place it in a cgroup before it does the thing being limited.
 */
import { spawn, ChildProcess } from 'node:child_process';

export interface Parked {
  child: ChildProcess;
  pid: number;
  /** Lets the child go on (writes a line to its stdin). */
  release(): void;
  out(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(): void;
}

export const PY = '/usr/bin/python3';

export function parked(cmd: string, args: string[]): Parked {
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return {
    child,
    pid: child.pid!,
    release: () => child.stdin!.write('go\n'),
    out: () => out,
    exited,
    kill: () => {
      try {
        child.kill('SIGKILL');
      } catch {
        /* gone */
      }
    },
  };
}

/** A python3 script that first waits for the go line. */
export function parkedPython(code: string): Parked {
  return parked(PY, ['-c', `import sys\nsys.stdin.readline()\n${code}`]);
}

export function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls until cond() holds or the deadline passes; returns whether it held. */
export async function until(cond: () => boolean, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await delay(20);
  }
  return cond();
}

export function alive(pid: number): boolean {
  try {
    const st = require('node:fs').readFileSync(`/proc/${pid}/stat`, 'utf8') as string;
    return !/^\d+ \(.*\) [ZX]/.test(st);
  } catch {
    return false;
  }
}

/**
 * clone3(CLONE_INTO_CGROUP) from a python3 child (ctypes, no helper binary): the grandchild is
 * born in the cgroup of `cgroupFd` and prints its /proc/self/cgroup. Resolves with that text, or
 * with "errno N" when clone3 fails.
 */
export function cloneIntoCgroup(cgroupFd: number): Promise<string> {
  const code = `import ctypes, os, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
CLONE_INTO_CGROUP = 0x200000000
# struct clone_args: flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size, cgroup
args = ctypes.create_string_buffer(struct.pack("11Q", CLONE_INTO_CGROUP, 0, 0, 0, 17, 0, 0, 0, 0, 0, 3), 88)
pid = libc.syscall(435, args, ctypes.c_size_t(88))
if pid == 0:
    os.write(1, open("/proc/self/cgroup").read().encode())
    os._exit(0)
if pid < 0:
    print("errno", ctypes.get_errno())
    sys.exit(1)
os.waitpid(pid, 0)`;
  const child = spawn(PY, ['-c', code], { stdio: ['ignore', 'pipe', 'inherit', cgroupFd] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  return new Promise((resolve) => child.on('exit', () => resolve(out)));
}

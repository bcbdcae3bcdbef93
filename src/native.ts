/**
 * The single typed loader of the addon (build/Release/ocirt.node). Loaded on first use, so that
 * commands that never touch the kernel directly (state, list) do not pay for it.
 */
import * as path from 'node:path';

/** A record of the child's sync protocol, as the addon hands it to spawn's onEvent. */
export type NativeSpawnEvent =
  | { type: 'namespaces-ready'; pid: number; intoCgroup: boolean }
  | { type: 'create-container-hooks'; pid: number }
  | { type: 'fd'; pid: number; purpose: 'console' | 'seccomp-listener' | 'unknown'; fd: number };

export interface NativeSpawnOptions {
  /** <state dir>/exec.fifo: the addon opens it for the init (read and write ends). None for exec plans. */
  execFifo?: string;
  /** A cgroup2 directory fd: clone3(CLONE_INTO_CGROUP). */
  cgroupDirFd?: number;
  /** v1 `tasks` files the child writes 0 to before anything else (at most 32). */
  cgroupTaskFds?: number[];
  /** "soft:hard" of the caller's RLIMIT_NOFILE (OCIRT_CALLER_NOFILE), applied when the config has none. */
  callerNofile?: string;
}

/** What spawn throws when the child reports a failure (or the parent fails an op for it). */
export interface NativeChildError extends Error {
  childError: true;
  opIndex: number;
  errno: number;
  errnoText: string;
  detail: string;
  /** `detail` is the whole message (the exec lookup's runc phrases). */
  fullMessage: boolean;
}

export interface NsExecOptions {
  pid: number;
  path: string;
  args: string[];
  env?: string[];
  stdin?: string;
  timeoutMs?: number;
  /** The program's working directory, resolved in the joined mount namespace (default: its root). */
  cwd?: string;
}
export interface NsExecResult {
  code?: number;
  signal?: number;
  timedOut?: boolean;
  output: string;
}

export interface Native {
  /** flock(fd, exclusive, wait) -> 0 or errno (EWOULDBLOCK when !wait and held). */
  flock(fd: number, exclusive: boolean, wait: boolean): number;
  /** flock(fd, LOCK_UN) -> 0 or errno: a parked init may still hold a copy of the fd. */
  funlock(fd: number): number;
  /** mkfifo(path, mode) -> 0 or errno. */
  mkfifo(path: string, mode: number): number;
  /** An O_CLOEXEC fd of a new user namespace with these uid_map/gid_map texts, for an idmapped mount; throws with .errno. */
  idmapUserns(uidMap: string, gidMap: string): number;
  /** open_tree(path, OPEN_TREE_CLONE [| AT_RECURSIVE]) -> an O_CLOEXEC fd of the detached copy, or -errno. */
  openTree(path: string, recursive: boolean): number;
  /** waitpid on a pool thread. */
  waitPidAsync(pid: number): Promise<{ code?: number; signal?: number; errno?: number }>;
  /** ioctl(fd, TIOCSWINSZ) -> 0 or errno. */
  setWinsize(fd: number, rows: number, cols: number): number;
  /** pidfd_open(pid) -> an fd (close-on-exec), or -errno. */
  pidfdOpen(pid: number): number;
  /** pidfd_send_signal(fd, sig) -> 0 or errno. */
  pidfdSendSignal(fd: number, sig: number): number;
  /** Whether the process of a pidfd has exited, waiting up to ms (0: just look). */
  pidfdWait(fd: number, ms: number): boolean;
  /** prctl(PR_SET_CHILD_SUBREAPER, 1) -> 0 or errno. */
  setChildSubreaper(): number;
  /** Loads a cgroup device program and attaches it to a cgroup2 dir fd; throws with .errno. */
  bpfAttachDevices(insns: Buffer, cgroupDirFd: number): void;
  /** Connects to an AF_UNIX stream socket and sends fd with SCM_RIGHTS (data: message or "/dev/ptmx"); throws. */
  sendFd(socketPath: string, fd: number, message?: string): void;
  /**
   * Clones the container's init from an encoded plan and serves its sync records, calling onEvent
   * synchronously for each; returns the init's pid once it is parked on exec.fifo (an exec plan:
   * once the process has execve'd). Throws a
   * NativeChildError when an op fails; rethrows (after killing and reaping the child) what onEvent throws.
   */
  spawn(plan: Buffer, options: NativeSpawnOptions, onEvent: (ev: NativeSpawnEvent) => void): number;
  /** Runs a program in the namespaces of `pid` (createContainer hooks). */
  nsExec(o: NsExecOptions): NsExecResult;
}

let loaded: Native | undefined;

export function native(): Native {
  if (!loaded) loaded = require(path.resolve(__dirname, '../../build/Release/ocirt.node')) as Native;
  return loaded;
}

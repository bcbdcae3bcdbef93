/**
 * Process and namespace op kinds (1..99) of a Plan, and the kernel constants buildPlan needs.
 * The numbers are contract/contract.json's (generated for both sides: contract.gen.ts here,
 * addon/contract.gen.h for the init); the int/string layout of each op is documented here and
 * nowhere else.
 *
 * Who runs an op: the child's interpreter runs every op in order, except those marked
 * "parent", which the parent (spawn.cc) applies to the init from outside when the child reports
 * kSyncNsReady (they need privileges the child may no longer have inside a user namespace).
 */
import type { IOPriority, LinuxMemoryPolicy, LinuxNamespaceType, LinuxPersonality, SchedulerFlag, SchedulerPolicy } from '../spec/types';
import { PROCESS_OPS } from './contract.gen';

export const ProcessOp = {
  /**
   * Always op 0. ints: [cloneFlags, viaClone(0|1)]. viaClone=1 (no namespace is joined): the
   * parent clones with cloneFlags (the new user, mount, pid, network, ipc, uts namespaces) and
   * the child is the init. viaClone=0: the parent clones a plain child that joins, unshares and
   * then forks the init (ForkInit).
   */
  Namespaces: PROCESS_OPS.Namespaces,
  /** ints: [nstype (CLONE_NEW*)]; strs: [path]. setns; all Join ops' paths are opened before the first setns. */
  JoinNamespace: PROCESS_OPS.JoinNamespace,
  /**
   * ints: [setgroupsDeny(0|1), unshare(0|1)]; strs: [uid_map text, gid_map text]. unshare=1:
   * unshare(CLONE_NEWUSER) first. Then kSyncUsernsReady: the parent writes the maps; then
   * setresgid/setresuid(0) in the new namespace.
   */
  UserNamespace: PROCESS_OPS.UserNamespace,
  /** ints: [flags]. unshare() of the new namespaces (slow path, after the joins and the user namespace). */
  Unshare: PROCESS_OPS.Unshare,
  /** ints: [hasOffsets(0|1)]; strs: [timens_offsets text]. unshare(CLONE_NEWTIME); the parent writes the offsets (kSyncTimeOffsets). */
  TimeNamespace: PROCESS_OPS.TimeNamespace,
  /** Slow path: clone(CLONE_PARENT); the grandchild (now in the new pid and time namespaces) is the init. */
  ForkInit: PROCESS_OPS.ForkInit,
  /** kSyncNsReady: the parent applies Rlimit/OomScoreAdj, moves the init into its cgroup, runs prestart/createRuntime hooks. */
  NsReady: PROCESS_OPS.NsReady,
  /** unshare(CLONE_NEWCGROUP), once the init is in its cgroup. */
  CgroupNamespace: PROCESS_OPS.CgroupNamespace,
  /** parent. ints: [resource, soft, hard] (-1 = RLIM_INFINITY). prlimit on the init. */
  Rlimit: PROCESS_OPS.Rlimit,
  /** parent. ints: [value]. Writes /proc/<init>/oom_score_adj. */
  OomScoreAdj: PROCESS_OPS.OomScoreAdj,

  /** kSyncHooks: the parent runs the createContainer hooks in the init's namespaces (just before the pivot). */
  CreateContainerHooks: PROCESS_OPS.CreateContainerHooks,
  /**
   * ints: [rows, cols] (0: leave), [noDevConsole(0|1)] (1 for exec'd processes). After the pivot: a
   * pty from the container's devpts, master to the parent, slave on 0..2 and (unless noDevConsole)
   * bound onto /dev/console.
   */
  Console: PROCESS_OPS.Console,
  /** strs: [profile]. "exec <profile>" into /proc/thread-self/attr/apparmor/exec (or attr/exec). */
  Apparmor: PROCESS_OPS.Apparmor,
  /** strs: [label]. Written to /proc/thread-self/attr/exec. */
  SelinuxLabel: PROCESS_OPS.SelinuxLabel,
  /** ints: [persona]. personality(). */
  Personality: PROCESS_OPS.Personality,
  /** ints: [policy, flags, nice, priority, runtime, deadline, period]. sched_setattr(0). */
  Scheduler: PROCESS_OPS.Scheduler,
  /** ints: [ioprio value ((class << 13) | level)]. ioprio_set(IOPRIO_WHO_PROCESS, 0). */
  IoPriority: PROCESS_OPS.IoPriority,
  /** prctl(PR_SET_NO_NEW_PRIVS, 1). */
  NoNewPrivileges: PROCESS_OPS.NoNewPrivileges,
  /** ints: [flags, notify(0|1)]; strs: [BPF program]. seccomp(SECCOMP_SET_MODE_FILTER); a listener fd goes to the parent (kSyncFd). */
  Seccomp: PROCESS_OPS.Seccomp,
  /** ints: [noCreate(0|1)] (1 for exec'd processes); strs: [cwd]. Created if missing (mode 0755), resolved inside the root (openat2 RESOLVE_IN_ROOT), fchdir. */
  Cwd: PROCESS_OPS.Cwd,
  /** ints: [bounding mask]. PR_CAPBSET_DROP of every capability not in the mask (before the ids change). */
  Bounding: PROCESS_OPS.Bounding,
  /** ints: [uid, gid, keepCaps(0|1), setgroups(0|1), ...additionalGids]. setgroups, setresgid, setresuid. */
  Identity: PROCESS_OPS.Identity,
  /** ints: [effective, permitted, inheritable, ambient] masks. capset, then the ambient set. */
  Capabilities: PROCESS_OPS.Capabilities,
  /** ints: [umask]. */
  Umask: PROCESS_OPS.Umask,
  /** ints: [nargs, nenv]; strs: [...args, ...env]. args[0] looked up in the container's PATH; HOME from /etc/passwd when unset. */
  ResolveExec: PROCESS_OPS.ResolveExec,
  /** kSyncReady, then blocks on exec.fifo until start writes the state JSON. Absent in exec plans. */
  Ready: PROCESS_OPS.Ready,
  /** ints: [timeoutSecs, nargs, nenv]; strs: [path, ...args, ...env]. fork + execve in the container, the state JSON on stdin. */
  StartContainerHook: PROCESS_OPS.StartContainerHook,
  /** ints: [final(0|1)]; strs: [cpu mask bytes]. sched_setaffinity (exec'd processes only: not the init, per config.md). */
  CpuAffinity: PROCESS_OPS.CpuAffinity,
  /**
   * ints: [preserved fds]. close_range above them, clear O_NONBLOCK on 0..2, execve. Without a
   * Ready before it (exec plans) the sync socket stays open close-on-exec: kSyncExec, then execve,
   * so the parent reads EOF once the process runs, or the execve error.
   */
  Exec: PROCESS_OPS.Exec,
  /** ints: [mode | flags]; strs: [node mask bytes, or empty]. set_mempolicy, before any filter. */
  MemoryPolicy: PROCESS_OPS.MemoryPolicy,
} as const;

/** set_mempolicy(2) modes and mode flags, as linux/mempolicy.h numbers them. */
export const MPOL_MODES: Readonly<Record<LinuxMemoryPolicy['mode'], number>> = {
  MPOL_DEFAULT: 0, MPOL_PREFERRED: 1, MPOL_BIND: 2, MPOL_INTERLEAVE: 3, MPOL_LOCAL: 4, MPOL_PREFERRED_MANY: 5,
  MPOL_WEIGHTED_INTERLEAVE: 6,
};
export const MPOL_FLAGS: Readonly<Record<NonNullable<LinuxMemoryPolicy['flags']>[number], number>> = {
  MPOL_F_NUMA_BALANCING: 1 << 13, MPOL_F_RELATIVE_NODES: 1 << 14, MPOL_F_STATIC_NODES: 1 << 15,
};

export const CLONE = {
  NEWTIME: 0x80,
  NEWNS: 0x20000,
  NEWCGROUP: 0x02000000,
  NEWUTS: 0x04000000,
  NEWIPC: 0x08000000,
  NEWUSER: 0x10000000,
  NEWPID: 0x20000000,
  NEWNET: 0x40000000,
} as const;

/** OCI namespace type -> clone flag and /proc/<pid>/ns file name. */
export const NAMESPACES: Readonly<Record<LinuxNamespaceType, { flag: number; file: string }>> = {
  pid: { flag: CLONE.NEWPID, file: 'pid' },
  network: { flag: CLONE.NEWNET, file: 'net' },
  mount: { flag: CLONE.NEWNS, file: 'mnt' },
  ipc: { flag: CLONE.NEWIPC, file: 'ipc' },
  uts: { flag: CLONE.NEWUTS, file: 'uts' },
  user: { flag: CLONE.NEWUSER, file: 'user' },
  cgroup: { flag: CLONE.NEWCGROUP, file: 'cgroup' },
  time: { flag: CLONE.NEWTIME, file: 'time' },
};

export const SCHED_POLICIES: Readonly<Record<SchedulerPolicy, number>> = {
  SCHED_OTHER: 0, SCHED_FIFO: 1, SCHED_RR: 2, SCHED_BATCH: 3, SCHED_ISO: 4, SCHED_IDLE: 5, SCHED_DEADLINE: 6,
};
export const SCHED_FLAGS: Readonly<Record<SchedulerFlag, number>> = {
  SCHED_FLAG_RESET_ON_FORK: 0x1, SCHED_FLAG_RECLAIM: 0x2, SCHED_FLAG_DL_OVERRUN: 0x4, SCHED_FLAG_KEEP_POLICY: 0x8,
  SCHED_FLAG_KEEP_PARAMS: 0x10, SCHED_FLAG_UTIL_CLAMP_MIN: 0x20, SCHED_FLAG_UTIL_CLAMP_MAX: 0x40,
};
export const IOPRIO_CLASSES: Readonly<Record<IOPriority['class'], number>> = { IOPRIO_CLASS_RT: 1, IOPRIO_CLASS_BE: 2, IOPRIO_CLASS_IDLE: 3 };
export const PERSONALITY_DOMAINS: Readonly<Record<LinuxPersonality['domain'], number>> = { LINUX: 0x0000, LINUX32: 0x0008 };

/** seccomp(2) filter flag that asks for a notification fd. */
export const SECCOMP_FILTER_FLAG_NEW_LISTENER = 8;

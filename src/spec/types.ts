/**
 * TypeScript shapes of runtime-spec 1.3.0 documents: config.json (config.md,
 * config-linux.md and the other platforms), the state (runtime.md) and the features structure
 * (features.md, features-linux.md).
 *
 * These describe a config that has passed validation (src/spec/load.ts): required fields are
 * required here, optional ones optional. Objects carry an index signature where the spec
 * lets configs carry unknown properties that ocirt must ignore. 64-bit numbers are `number`
 * (as JSON.parse gives them), except seccomp argument values, which the loader turns into a
 * bigint when a double cannot hold them exactly.
 */

import type { HOOK_PHASES } from '../hooks/phases';

export type Unknown = { [key: string]: unknown };

export interface Spec {
  ociVersion: string;
  root?: Root;
  mounts?: Mount[];
  process?: Process;
  hostname?: string;
  domainname?: string;
  hooks?: Hooks;
  annotations?: Record<string, string>;
  linux?: Linux;
  solaris?: Solaris;
  windows?: Windows;
  vm?: VM;
  zos?: ZOS;
  freebsd?: FreeBSD;
  [key: string]: unknown;
}

export interface Root {
  /** Absolute, or relative to the bundle. */
  path: string;
  readonly?: boolean;
}

export interface Mount {
  destination: string;
  source?: string;
  options?: string[];
  type?: string;
  uidMappings?: IDMapping[];
  gidMappings?: IDMapping[];
  [key: string]: unknown;
}

export interface IDMapping {
  containerID: number;
  hostID: number;
  size: number;
}

// ---- process ---------------------------------------------------------------------------------

export interface Process {
  terminal?: boolean;
  consoleSize?: { height: number; width: number };
  cwd: string;
  env?: string[];
  args?: string[];
  /** Windows only. */
  commandLine?: string;
  rlimits?: POSIXRlimit[];
  apparmorProfile?: string;
  capabilities?: LinuxCapabilities;
  noNewPrivileges?: boolean;
  oomScoreAdj?: number;
  scheduler?: Scheduler;
  selinuxLabel?: string;
  ioPriority?: IOPriority;
  execCPUAffinity?: CPUAffinity;
  user?: User;
  [key: string]: unknown;
}

export interface User {
  uid?: number;
  gid?: number;
  umask?: number;
  additionalGids?: number[];
  /** Windows only. */
  username?: string;
}

export interface POSIXRlimit {
  type: string;
  soft: number;
  hard: number;
}

export interface LinuxCapabilities {
  bounding?: string[];
  effective?: string[];
  inheritable?: string[];
  permitted?: string[];
  ambient?: string[];
}

export type SchedulerPolicy = 'SCHED_OTHER' | 'SCHED_FIFO' | 'SCHED_RR' | 'SCHED_BATCH' | 'SCHED_ISO' | 'SCHED_IDLE' | 'SCHED_DEADLINE';
export type SchedulerFlag =
  | 'SCHED_FLAG_RESET_ON_FORK'
  | 'SCHED_FLAG_RECLAIM'
  | 'SCHED_FLAG_DL_OVERRUN'
  | 'SCHED_FLAG_KEEP_POLICY'
  | 'SCHED_FLAG_KEEP_PARAMS'
  | 'SCHED_FLAG_UTIL_CLAMP_MIN'
  | 'SCHED_FLAG_UTIL_CLAMP_MAX';

export interface Scheduler {
  policy: SchedulerPolicy;
  nice?: number;
  priority?: number;
  flags?: SchedulerFlag[];
  /** Nanoseconds (SCHED_DEADLINE). */
  runtime?: number;
  deadline?: number;
  period?: number;
}

export interface IOPriority {
  class: 'IOPRIO_CLASS_RT' | 'IOPRIO_CLASS_BE' | 'IOPRIO_CLASS_IDLE';
  /** 0 (highest) to 7 (lowest). */
  priority: number;
}

export interface CPUAffinity {
  initial?: string;
  final?: string;
}

// ---- hooks -----------------------------------------------------------------------------------

export interface Hook {
  path: string;
  args?: string[];
  env?: string[];
  /** Seconds, greater than 0. */
  timeout?: number;
}

/** The phases of config.md, in the order a container meets them (src/hooks/phases.ts). */
export type HookName = (typeof HOOK_PHASES)[number];

export type Hooks = { [K in HookName]?: Hook[] };

// ---- linux -----------------------------------------------------------------------------------

export type LinuxNamespaceType = 'pid' | 'network' | 'mount' | 'ipc' | 'uts' | 'user' | 'cgroup' | 'time';

export interface LinuxNamespace {
  type: LinuxNamespaceType;
  /** Join this namespace instead of creating one. */
  path?: string;
}

export interface LinuxTimeOffset {
  secs?: number;
  nanosecs?: number;
}

export interface LinuxDevice {
  type: 'c' | 'b' | 'u' | 'p';
  path: string;
  major?: number;
  minor?: number;
  /** Permission bits as a decimal number. */
  fileMode?: number;
  uid?: number;
  gid?: number;
}

export interface LinuxNetDevice {
  name?: string;
}

export type RootfsPropagation = 'shared' | 'slave' | 'private' | 'unbindable' | 'rshared' | 'rslave' | 'rprivate' | 'runbindable';

export interface Linux {
  namespaces?: LinuxNamespace[];
  uidMappings?: IDMapping[];
  gidMappings?: IDMapping[];
  /** Keyed by clock: monotonic, boottime. */
  timeOffsets?: Record<string, LinuxTimeOffset>;
  devices?: LinuxDevice[];
  /** Keyed by the device's name on the host. */
  netDevices?: Record<string, LinuxNetDevice>;
  cgroupsPath?: string;
  resources?: LinuxResources;
  intelRdt?: LinuxIntelRdt;
  sysctl?: Record<string, string>;
  seccomp?: LinuxSeccomp;
  rootfsPropagation?: RootfsPropagation;
  maskedPaths?: string[];
  readonlyPaths?: string[];
  mountLabel?: string;
  personality?: LinuxPersonality;
  memoryPolicy?: LinuxMemoryPolicy;
  [key: string]: unknown;
}

export interface LinuxDeviceCgroup {
  allow: boolean;
  type?: 'a' | 'c' | 'b';
  major?: number;
  minor?: number;
  /** Some of r, w, m. */
  access?: string;
}

export interface LinuxMemory {
  limit?: number;
  reservation?: number;
  swap?: number;
  kernel?: number;
  kernelTCP?: number;
  swappiness?: number;
  disableOOMKiller?: boolean;
  useHierarchy?: boolean;
  checkBeforeUpdate?: boolean;
}

export interface LinuxCPU {
  shares?: number;
  quota?: number;
  burst?: number;
  period?: number;
  realtimeRuntime?: number;
  realtimePeriod?: number;
  cpus?: string;
  mems?: string;
  idle?: number;
}

export interface LinuxWeightDevice {
  major: number;
  minor: number;
  weight?: number;
  leafWeight?: number;
}

export interface LinuxThrottleDevice {
  major: number;
  minor: number;
  rate: number;
}

export interface LinuxBlockIO {
  weight?: number;
  leafWeight?: number;
  weightDevice?: LinuxWeightDevice[];
  throttleReadBpsDevice?: LinuxThrottleDevice[];
  throttleWriteBpsDevice?: LinuxThrottleDevice[];
  throttleReadIOPSDevice?: LinuxThrottleDevice[];
  throttleWriteIOPSDevice?: LinuxThrottleDevice[];
}

export interface LinuxHugepageLimit {
  /** Such as "2MB". */
  pageSize: string;
  limit: number;
}

export interface LinuxNetwork {
  classID?: number;
  priorities?: Array<{ name: string; priority: number }>;
}

export interface LinuxPids {
  /** -1 for no limit. */
  limit?: number;
}

export interface LinuxRdma {
  hcaHandles?: number;
  hcaObjects?: number;
}

/**
 * `D` is the device rule's shape: the spec's here; the cgroup drivers widen it for the rules of
 * `ocirt update`, which no schema has checked (src/cgroups/types.ts).
 */
export interface LinuxResources<D = LinuxDeviceCgroup> {
  devices?: D[];
  memory?: LinuxMemory;
  cpu?: LinuxCPU;
  blockIO?: LinuxBlockIO;
  hugepageLimits?: LinuxHugepageLimit[];
  network?: LinuxNetwork;
  pids?: LinuxPids;
  /** Keyed by RDMA device name. */
  rdma?: Record<string, LinuxRdma>;
  /** cgroup v2 file name to value. */
  unified?: Record<string, string>;
  [key: string]: unknown;
}

export interface LinuxIntelRdt {
  closID?: string;
  l3CacheSchema?: string;
  memBwSchema?: string;
  schemata?: string[];
  enableMonitoring?: boolean;
}

export type SeccompAction =
  | 'SCMP_ACT_KILL'
  | 'SCMP_ACT_KILL_PROCESS'
  | 'SCMP_ACT_KILL_THREAD'
  | 'SCMP_ACT_TRAP'
  | 'SCMP_ACT_ERRNO'
  | 'SCMP_ACT_TRACE'
  | 'SCMP_ACT_ALLOW'
  | 'SCMP_ACT_LOG'
  | 'SCMP_ACT_NOTIFY';

export type SeccompOperator = 'SCMP_CMP_NE' | 'SCMP_CMP_LT' | 'SCMP_CMP_LE' | 'SCMP_CMP_EQ' | 'SCMP_CMP_GE' | 'SCMP_CMP_GT' | 'SCMP_CMP_MASKED_EQ';

export type SeccompFlag =
  | 'SECCOMP_FILTER_FLAG_TSYNC'
  | 'SECCOMP_FILTER_FLAG_LOG'
  | 'SECCOMP_FILTER_FLAG_SPEC_ALLOW'
  | 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV';

export interface LinuxSeccompArg {
  /** 0 to 5. */
  index: number;
  value: number | bigint;
  valueTwo?: number | bigint;
  op: SeccompOperator;
}

export interface LinuxSyscall {
  names: string[];
  action: SeccompAction;
  errnoRet?: number;
  args?: LinuxSeccompArg[];
}

export interface LinuxSeccomp {
  defaultAction: SeccompAction;
  defaultErrnoRet?: number;
  /** SCMP_ARCH_* names. */
  architectures?: string[];
  flags?: SeccompFlag[];
  listenerPath?: string;
  listenerMetadata?: string;
  syscalls?: LinuxSyscall[];
}

export interface LinuxPersonality {
  domain: 'LINUX' | 'LINUX32';
  flags?: string[];
}

export type MemoryPolicyMode =
  | 'MPOL_DEFAULT'
  | 'MPOL_BIND'
  | 'MPOL_INTERLEAVE'
  | 'MPOL_WEIGHTED_INTERLEAVE'
  | 'MPOL_PREFERRED'
  | 'MPOL_PREFERRED_MANY'
  | 'MPOL_LOCAL';

export interface LinuxMemoryPolicy {
  mode: MemoryPolicyMode;
  nodes?: string;
  flags?: Array<'MPOL_F_NUMA_BALANCING' | 'MPOL_F_RELATIVE_NODES' | 'MPOL_F_STATIC_NODES'>;
}

// ---- other platforms (shape only: ocirt runs Linux containers) ---------------------------------

export interface Solaris extends Unknown {
  milestone?: string;
  limitpriv?: string;
  maxShmMemory?: string;
  cappedCPU?: { ncpus?: string };
  cappedMemory?: { physical?: string; swap?: string };
  anet?: Unknown[];
}

export interface Windows extends Unknown {
  layerFolders: string[];
  devices?: Array<{ id: string; idType: string }>;
  resources?: Unknown;
  network?: Unknown;
  credentialSpec?: Unknown;
  servicing?: boolean;
  ignoreFlushesDuringBoot?: boolean;
  hyperv?: { utilityVMPath?: string };
}

export interface VM extends Unknown {
  hypervisor?: { path: string; parameters?: string[] };
  kernel: { path: string; parameters?: string[]; initrd?: string };
  image?: { path: string; format: 'raw' | 'qcow2' | 'vdi' | 'vmdk' | 'vhd' };
  hwConfig?: Unknown;
}

export interface ZOS extends Unknown {
  namespaces?: Array<{ type: 'pid' | 'mount' | 'ipc' | 'uts'; path?: string }>;
}

export interface FreeBSD extends Unknown {
  devices?: Array<{ path: string; mode?: number }>;
  jail?: Unknown;
}

// ---- state and features ----------------------------------------------------------------------

/** The states of runtime.md, plus paused, which runc reports. */
export type ContainerStatus = 'creating' | 'created' | 'running' | 'paused' | 'stopped';

export interface State {
  ociVersion: string;
  id: string;
  status: ContainerStatus;
  /** Required when created or running. */
  pid?: number;
  bundle: string;
  annotations?: Record<string, string>;
  [key: string]: unknown;
}

export interface Features {
  ociVersionMin: string;
  ociVersionMax: string;
  hooks?: string[] | null;
  mountOptions?: string[] | null;
  linux?: LinuxFeatures | null;
  annotations?: Record<string, string> | null;
  potentiallyUnsafeConfigAnnotations?: string[] | null;
}

type Enabled = { enabled?: boolean | null } | null;

export interface LinuxFeatures {
  namespaces?: string[] | null;
  capabilities?: string[] | null;
  cgroup?: { v1?: boolean | null; v2?: boolean | null; systemd?: boolean | null; systemdUser?: boolean | null; rdma?: boolean | null } | null;
  seccomp?: {
    enabled?: boolean | null;
    actions?: string[] | null;
    operators?: string[] | null;
    archs?: string[] | null;
    knownFlags?: string[] | null;
    supportedFlags?: string[] | null;
  } | null;
  apparmor?: Enabled;
  selinux?: Enabled;
  memoryPolicy?: { modes?: string[] | null; flags?: string[] | null } | null;
  intelRdt?: { enabled?: boolean | null; schemata?: boolean | null; monitoring?: boolean | null } | null;
  mountExtensions?: { idmap?: Enabled } | null;
  netDevices?: Enabled;
}

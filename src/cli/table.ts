/**
 * Every command and flag of the CLI, as data. Both parsers read it: the fast one that serves
 * the hot paths (state, start, kill, delete...) without loading yargs, and yargs for help,
 * completion and anything unusual. One table keeps the two from drifting apart.
 * Spellings are runc's (CLI-CONTRACT.md), since engines pass them verbatim.
 */
import { DEFAULT_ROOT } from '../state/paths';

export type FlagType = 'string' | 'boolean' | 'number' | 'array';

export interface FlagSpec {
  type: FlagType;
  alias?: string;
  default?: string | number | boolean;
  describe: string;
  choices?: string[];
}

export interface CommandSpec {
  /** Positionals in yargs syntax: "<id>", "[signal]", "[args..]". */
  args: string;
  describe: string;
  flags: Record<string, FlagSpec>;
  /** Set for a command ocirt accepts with runc's flags but does not do: why, said when it is run (exit 1). */
  unsupported?: string;
}

export const GLOBAL_FLAGS: Record<string, FlagSpec> = {
  root: { type: 'string', default: DEFAULT_ROOT, describe: 'directory for container state' },
  log: { type: 'string', describe: 'write log records to this file' },
  'log-format': { type: 'string', default: 'text', choices: ['text', 'json'], describe: 'format of --log records' },
  debug: { type: 'boolean', default: false, describe: 'add debug records to the log' },
  'systemd-cgroup': { type: 'boolean', default: false, describe: 'treat cgroupsPath as slice:prefix:name for systemd' },
  rootless: { type: 'string', default: 'auto', choices: ['true', 'false', 'auto'], describe: 'ignore cgroup permission errors' },
  criu: { type: 'string', default: 'criu', describe: 'path to the criu binary' },
};

const bundle: FlagSpec = { type: 'string', alias: 'b', default: '.', describe: 'path to the bundle directory' };
const consoleSocket: FlagSpec = { type: 'string', describe: 'AF_UNIX socket that receives the pty master' };
const pidFile: FlagSpec = { type: 'string', describe: 'file to write the init pid to' };
const pidfdSocket: FlagSpec = { type: 'string', describe: 'AF_UNIX socket that receives a pidfd of the init' };
const preserveFds: FlagSpec = { type: 'number', default: 0, describe: 'pass this many fds after stdio (3..N+2)' };
const noPivot: FlagSpec = { type: 'boolean', default: false, describe: 'chroot instead of pivot_root (rootfs on ramfs)' };
const noNewKeyring: FlagSpec = { type: 'boolean', default: false, describe: 'keep the caller\'s session keyring' };
const detach: FlagSpec = { type: 'boolean', alias: 'd', default: false, describe: 'do not wait for the process' };
const format: FlagSpec = { type: 'string', alias: 'f', default: 'table', choices: ['table', 'json'], describe: 'output format' };

const createFlags = {
  bundle,
  'console-socket': consoleSocket,
  'pid-file': pidFile,
  'pidfd-socket': pidfdSocket,
  'no-pivot': noPivot,
  'no-new-keyring': noNewKeyring,
  'preserve-fds': preserveFds,
};

// runc's checkpoint and restore drive CRIU; ocirt has no CRIU driver (and Debian's criu 3.17
// cannot dump on the kernels these machines run), so both refuse plainly instead of half-working.
const CRIU = 'ocirt does not drive CRIU';

/** The flags runc's checkpoint and restore share. */
const criuFlags: Record<string, FlagSpec> = {
  'work-path': { type: 'string', describe: 'where to write logs' },
  'tcp-established': { type: 'boolean', default: false, describe: 'allow open tcp connections' },
  'ext-unix-sk': { type: 'boolean', default: false, describe: 'allow external unix sockets' },
  'shell-job': { type: 'boolean', default: false, describe: 'allow shell jobs' },
  'file-locks': { type: 'boolean', default: false, describe: 'handle file locks' },
  'manage-cgroups-mode': { type: 'string', describe: 'soft, full, strict or ignore' },
  'lazy-pages': { type: 'boolean', default: false, describe: 'lazy migration' },
  'empty-ns': { type: 'array', describe: 'namespaces to leave empty' },
  'auto-dedup': { type: 'boolean', default: false, describe: 'deduplicate images' },
};

export const COMMANDS: Record<string, CommandSpec> = {
  create: { args: '<id>', describe: 'create a container and park its init before the user process', flags: createFlags },
  start: { args: '<id>', describe: 'start the user process of a created container', flags: {} },
  run: {
    args: '<id>',
    describe: 'create and start a container, and wait for it unless --detach',
    flags: {
      ...createFlags,
      detach,
      keep: { type: 'boolean', default: false, describe: 'keep the container after it exits' },
      'no-subreaper': { type: 'boolean', default: false, describe: 'do not become a subreaper' },
    },
  },
  state: { args: '<id>', describe: 'print the state of a container as JSON', flags: {} },
  kill: {
    args: '<id> [signal]',
    describe: 'send a signal (default SIGTERM) to the init, or with --all to every process',
    flags: { all: { type: 'boolean', alias: 'a', default: false, describe: 'signal every process of the container' } },
  },
  delete: {
    args: '<id>',
    describe: 'delete a container and everything it holds',
    flags: { force: { type: 'boolean', alias: 'f', default: false, describe: 'kill a running container first' } },
  },
  list: {
    args: '',
    describe: 'list containers',
    flags: { format, quiet: { type: 'boolean', alias: 'q', default: false, describe: 'print ids only' } },
  },
  spec: {
    args: '',
    describe: 'write a default config.json',
    flags: { bundle, rootless: { type: 'boolean', default: false, describe: 'a config for a rootless container' } },
  },
  validate: { args: '', describe: 'check a bundle\'s config.json and print every problem', flags: { bundle } },
  plan: { args: '', describe: 'print the kernel operations create would run for a bundle, touching nothing', flags: { bundle, 'no-pivot': noPivot } },
  features: { args: '', describe: 'print what this runtime supports (features.json)', flags: {} },
  seccomp: {
    args: '<action> [syscall] [args..]',
    describe: 'dump: print the BPF program of a bundle\'s profile; explain SYSCALL [ARGS]: what it does to a call',
    flags: { bundle, arch: { type: 'string', describe: 'architecture (default: this machine\'s)' } },
  },
  exec: {
    args: '<id> [command..]',
    describe: 'run a process in a running container',
    flags: {
      process: { type: 'string', alias: 'p', describe: 'process.json' },
      detach,
      'pid-file': { ...pidFile, describe: 'file to write the process pid to' },
      'console-socket': consoleSocket,
      'pidfd-socket': pidfdSocket,
      tty: { type: 'boolean', alias: 't', default: false, describe: 'allocate a pty' },
      cwd: { type: 'string', describe: 'working directory' },
      env: { type: 'array', alias: 'e', describe: 'KEY=VALUE' },
      user: { type: 'string', alias: 'u', describe: 'uid[:gid]' },
      'additional-gids': { type: 'array', alias: 'g', describe: 'more gids' },
      cap: { type: 'array', alias: 'c', describe: 'more capabilities' },
      'no-new-privs': { type: 'boolean', default: false, describe: 'set no_new_privs' },
      'preserve-fds': preserveFds,
      'ignore-paused': { type: 'boolean', default: false, describe: 'exec even when paused' },
      'process-label': { type: 'string', describe: 'SELinux label' },
      apparmor: { type: 'string', describe: 'AppArmor profile' },
      cgroup: { type: 'array', describe: 'run in this existing sub-cgroup of the container: [CONTROLLER[,CONTROLLER]:]PATH' },
    },
  },
  ps: { args: '<id> [psargs..]', describe: 'list the processes of a container', flags: { format } },
  events: {
    args: '<id>',
    describe: 'print stats and OOM events of a container',
   
    flags: {
      stats: { type: 'boolean', default: false, describe: 'print stats once and exit' },
      interval: { type: 'string', default: '5s', describe: 'stats interval' },
    },
  },
  update: {
    args: '<id>',
    describe: 'change the resources of a container',
   
    flags: {
      resources: { type: 'string', alias: 'r', describe: 'LinuxResources JSON file, or - for stdin' },
      memory: { type: 'string', describe: 'memory limit' },
      'memory-reservation': { type: 'string', describe: 'memory soft limit' },
      'memory-swap': { type: 'string', describe: 'memory plus swap limit' },
      'cpu-period': { type: 'string', describe: 'CFS period' },
      'cpu-quota': { type: 'string', describe: 'CFS quota' },
      'cpu-rt-period': { type: 'string', describe: 'realtime period' },
      'cpu-rt-runtime': { type: 'string', describe: 'realtime runtime' },
      'cpu-share': { type: 'string', describe: 'CPU shares' },
      'cpuset-cpus': { type: 'string', describe: 'CPUs' },
      'cpuset-mems': { type: 'string', describe: 'memory nodes' },
      'pids-limit': { type: 'number', describe: 'maximum number of pids' },
      'blkio-weight': { type: 'number', describe: 'block IO weight' },
    },
  },
  pause: { args: '<id>', describe: 'freeze every process of a container', flags: {} },
  resume: { args: '<id>', describe: 'thaw a paused container', flags: {} },
  checkpoint: {
    args: '<id>',
    describe: 'checkpoint a container with CRIU',
    unsupported: CRIU,
    flags: {
      'image-path': { type: 'string', describe: 'where to write the images' },
      ...criuFlags,
      'parent-path': { type: 'string', describe: 'previous images' },
      'leave-running': { type: 'boolean', default: false, describe: 'leave the container running' },
      'pre-dump': { type: 'boolean', default: false, describe: 'dump memory only' },
      'status-fd': { type: 'string', describe: 'fd to report readiness' },
      'page-server': { type: 'string', describe: 'ADDRESS:PORT of a page server' },
    },
  },
  restore: {
    args: '<id>',
    describe: 'restore a container from a CRIU checkpoint',
    unsupported: CRIU,
    flags: {
      bundle,
      'image-path': { type: 'string', describe: 'where the images are' },
      ...criuFlags,
      detach,
      'pid-file': pidFile,
      'console-socket': consoleSocket,
      'no-subreaper': { type: 'boolean', default: false, describe: 'do not become a subreaper' },
      'no-pivot': noPivot,
      'lsm-profile': { type: 'string', describe: 'LSM profile' },
      'lsm-mount-context': { type: 'string', describe: 'LSM mount context' },
    },
  },
};

/** Parsed invocation, the same shape from either parser. Flag names stay in kebab-case. */
export interface Invocation {
  command: string;
  globals: Record<string, unknown>;
  flags: Record<string, unknown>;
  positionals: string[];
}

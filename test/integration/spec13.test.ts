/**
 * Spec behaviours runtime-tools does not check (or checks with its 2022 reading), against real
 * containers: the init's own syscalls under an old allowlist profile, ambient capabilities
 * without inheritable ones, mounts in an inherited mount namespace, full 64-bit seccomp values,
 * hook environments and the poststop rule, sysctl conflicts, memoryPolicy, netDevices, intelRdt.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { makeBundle, Bundle, mountsUnder, withBundleRt } from '../helpers/bundle';
import { Runtime, withRuntime, OCIRT } from '../helpers/cli';


const ARCHES = ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'];

// The calls a busybox shell and the runtime's init need, as an allowlist of 2019 would list
// them: nothing newer than Linux 5.5 (no openat2, faccessat2, close_range, pidfd_open, clone3).
const OLD_ALLOWLIST = `read write open close stat fstat lstat poll lseek mmap mprotect munmap brk rt_sigaction
  rt_sigprocmask rt_sigreturn ioctl pread64 pwrite64 readv writev access pipe select sched_yield mremap dup dup2
  nanosleep getpid socket connect sendto recvfrom sendmsg recvmsg clone fork vfork execve exit wait4 kill uname fcntl
  getdents getcwd chdir fchdir mkdir rmdir creat link unlink symlink readlink chmod fchmod chown fchown umask
  gettimeofday getrlimit getrusage sysinfo getuid getgid setuid setgid geteuid getegid setpgid getppid getpgrp setsid
  setreuid setregid getgroups setgroups setresuid getresuid setresgid getresgid getpgid getsid capget capset
  sigaltstack statfs fstatfs prctl arch_prctl setrlimit gettid futex set_tid_address exit_group getdents64
  clock_gettime clock_nanosleep openat mkdirat newfstatat unlinkat readlinkat faccessat pselect6 ppoll
  set_robust_list dup3 pipe2 prlimit64 getrandom statx rseq execveat`.split(/\s+/).filter(Boolean);

test('under an allowlist profile older than openat2/faccessat2/close_range the init still sets cwd, finds the program and runs it', () =>
  withBundleRt(
    (c) => {
      c.process.noNewPrivileges = false; // the filter goes in before the ids change, as early as runc loads it
      c.process.cwd = '/tmp/work';
      c.process.args = ['sh', '-c', 'pwd; echo ok'];
      c.linux.seccomp = { defaultAction: 'SCMP_ACT_ERRNO', architectures: ARCHES, syscalls: [{ names: OLD_ALLOWLIST, action: 'SCMP_ACT_ALLOW' }] };
    },
    (rt, b) => {
      const r = rt.run(['run', '--bundle', b.dir, 'old1']);
      assert.is(r.status, 0, r.stderr);
      assert.is(r.stdout, '/tmp/work\nok\n');
      // The same with no_new_privs (the filter goes in last) and an EPERM answer instead of ENOSYS.
      b.config.process.noNewPrivileges = true;
      b.config.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['openat2', 'faccessat2', 'close_range', 'pidfd_open'], action: 'SCMP_ACT_ERRNO' }] };
      b.write();
      const r2 = rt.run(['run', '--bundle', b.dir, 'old2']);
      assert.is(r2.status, 0, r2.stderr);
      assert.is(r2.stdout, '/tmp/work\nok\n');
    },
  ));

test('ambient capabilities without inheritable ones (runc spec, buildah): the container runs without them; --debug says so', () =>
  withBundleRt(
    (c) => {
      c.process.capabilities.ambient = ['CAP_KILL', 'CAP_NET_BIND_SERVICE'];
      c.process.capabilities.inheritable = ['CAP_KILL'];
      c.process.args = ['sh', '-c', 'grep CapAmb /proc/self/status'];
    },
    (rt, b) => {
      const log = path.join(rt.root, 'debug.log');
      const r = rt.run(['--debug', '--log', log, 'run', '--bundle', b.dir, 'amb']);
      assert.is(r.status, 0, r.stderr);
      // CAP_KILL (5) is in both sets and raised; CAP_NET_BIND_SERVICE (10) is not.
      assert.is(r.stdout.trim(), 'CapAmb:\t0000000000000020');
      assert.match(fs.readFileSync(log, 'utf8'), /ambient capabilities CAP_NET_BIND_SERVICE are not both permitted and inheritable: not raised/);
    },
  ));

test('mounts without a mount namespace go to the inherited one and delete takes them away again', () =>
  withBundleRt(
    (c) => {
      c.linux.namespaces = c.linux.namespaces.filter((n: any) => n.type !== 'mount');
      c.linux.maskedPaths = [];
      c.linux.readonlyPaths = [];
      c.mounts = [
        { destination: '/proc', type: 'proc', source: 'proc' },
        { destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] },
      ];
      c.process.args = ['sh', '-c', 'sleep 100'];
    },
    (rt, b) => {
      // A mount of the caller's under the rootfs is not the container's and must stay.
      const mine = path.join(b.rootfs, 'run');
      assert.is(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'callers', mine]).status, 0);
      try {
        rt.ok(['create', '--bundle', b.dir, 'nomnt']);
        const rootfs = fs.realpathSync(b.rootfs);
        assert.equal(mountsUnder(b.rootfs).sort(), [rootfs + '/proc', rootfs + '/run', rootfs + '/tmp']);
        rt.ok(['start', 'nomnt']);
        rt.ok(['delete', '--force', 'nomnt']);
        assert.equal(mountsUnder(b.rootfs), [rootfs + '/run']);
        // A failed create takes its mounts away too.
        b.config.process.args = ['/no/such/program'];
        b.write();
        const r = rt.run(['create', '--bundle', b.dir, 'nomnt2']);
        assert.is.not(r.status, 0);
        assert.equal(mountsUnder(b.rootfs), [rootfs + '/run']);
      } finally {
        spawnSync('umount', ['-l', mine]);
      }
    },
  ));

test('seccomp values above 2^53 work end to end (create, the saved config, exec); 2^64 is refused by pointer', () => {
  const b = makeBundle((c) => {
    c.process.args = ['sh', '-c', 'sleep 100'];
    c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['personality'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 1, op: 'SCMP_CMP_EQ' }] }] };
  });
  return withRuntime((rt) => {
    try {
      const text = fs.readFileSync(b.configPath, 'utf8').replace(/"value": 1/, '"value": 18446744073709551615');
      fs.writeFileSync(b.configPath, text);
      const r = rt.run(['run', '-d', '--bundle', b.dir, 'big']);
      assert.is(r.status, 0, r.stderr);
      // exec compiles the profile from the saved config: the value must have survived exactly.
      const e = rt.run(['exec', 'big', 'true']);
      assert.is(e.status, 0, e.stderr);
      rt.ok(['delete', '--force', 'big']);
      fs.writeFileSync(b.configPath, text.replace('18446744073709551615', '18446744073709551616'));
      const v = rt.run(['validate', '--bundle', b.dir]);
      assert.is(v.status, 1);
      assert.match(v.stderr + v.stdout, /\/linux\/seccomp\/syscalls\/0\/args\/0\/value: seccomp argument value 18446744073709551616 is out of range/);
      const c = rt.run(['create', '--bundle', b.dir, 'big2']);
      assert.is.not(c.status, 0);
      assert.match(c.stderr, /\/linux\/seccomp\/syscalls\/0\/args\/0\/value/);
      assert.equal(rt.ids(), []);
    } finally {
      b.cleanup();
    }
  });
});

test('hooks without env: runtime-namespace hooks get the runtime\'s environment, createContainer hooks the process\'s (as runc)', () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'ocirt-hookenv-'));
  return withBundleRt(
    (c) => {
      c.process.env = ['PATH=/bin', 'PROCVAR=1'];
      c.hooks = {
        createRuntime: [{ path: '/bin/sh', args: ['sh', '-c', `env > ${out}/cr`] }],
        createContainer: [{ path: '/bin/sh', args: ['sh', '-c', `env > ${out}/cc`] }],
        poststop: [{ path: '/bin/sh', args: ['sh', '-c', `env > ${out}/ps`], env: ['ONLY=1'] }],
      };
    },
    (rt, b) => {
      try {
        const r = rt.run(['run', '--bundle', b.dir, 'henv'], { env: { ...process.env, OCIRT_TEST_MARK: 'runtime' } });
        assert.is(r.status, 0, r.stderr);
        assert.match(fs.readFileSync(`${out}/cr`, 'utf8'), /^OCIRT_TEST_MARK=runtime$/m);
        const cc = fs.readFileSync(`${out}/cc`, 'utf8');
        assert.match(cc, /^PROCVAR=1$/m);
        assert.not.match(cc, /OCIRT_TEST_MARK/);
        assert.match(fs.readFileSync(`${out}/ps`, 'utf8'), /^ONLY=1$/m);
        assert.not.match(fs.readFileSync(`${out}/ps`, 'utf8'), /OCIRT_TEST_MARK/);
      } finally {
        fs.rmSync(out, { recursive: true, force: true });
      }
    },
  );
});

test('poststop: after a failing hook the others still run; delete warns and succeeds', () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'ocirt-poststop-'));
  return withBundleRt(
    (c) => {
      c.hooks = {
        poststop: [
          { path: '/bin/sh', args: ['sh', '-c', `echo 1 >> ${out}/ran`] },
          { path: '/bin/sh', args: ['sh', '-c', 'echo broken >&2; exit 7'] },
          { path: '/bin/sh', args: ['sh', '-c', `echo 3 >> ${out}/ran`] },
        ],
      };
    },
    (rt, b) => {
      try {
        rt.ok(['create', '--bundle', b.dir, 'ps1']);
        const d = rt.run(['delete', '--force', 'ps1']);
        assert.is(d.status, 0, d.stderr);
        assert.match(d.stderr, /poststop hook \/bin\/sh \(config\.json \/hooks\/poststop\/1\): exit status 7: broken/);
        assert.is(fs.readFileSync(`${out}/ran`, 'utf8'), '1\n3\n');
        assert.equal(rt.ids(), []);
      } finally {
        fs.rmSync(out, { recursive: true, force: true });
      }
    },
  );
});

test('sysctl kernel.hostname with hostname set is refused by pointer before anything is made', () =>
  withBundleRt(
    (c) => (c.linux.sysctl = { 'kernel.hostname': 'other' }),
    (rt, b) => {
      const r = rt.run(['create', '--bundle', b.dir, 'sys1']);
      assert.is.not(r.status, 0);
      assert.match(r.stderr, /\/linux\/sysctl\/kernel\.hostname: sysctl "kernel\.hostname" is not allowed as it conflicts with the OCI "hostname" field/);
      assert.equal(rt.ids(), []);
    },
  ));

test('memoryPolicy: the process starts with the policy (numa_maps), flags included', () =>
  withBundleRt(
    (c) => {
      c.linux.memoryPolicy = { mode: 'MPOL_BIND', nodes: '0' };
      c.process.args = ['sh', '-c', 'head -1 /proc/self/numa_maps'];
    },
    (rt, b) => {
      const r = rt.run(['run', '--bundle', b.dir, 'mp1']);
      assert.is(r.status, 0, r.stderr);
      assert.match(r.stdout, /^\S+ bind:0 /);
      b.config.linux.memoryPolicy = { mode: 'MPOL_INTERLEAVE', nodes: '0', flags: ['MPOL_F_STATIC_NODES'] };
      b.write();
      const r2 = rt.run(['run', '--bundle', b.dir, 'mp2']);
      assert.is(r2.status, 0, r2.stderr);
      assert.match(r2.stdout, /^\S+ interleave=static:0 /);
    },
  ));

/** A network namespace of the test's own with virtual interfaces; ocirt runs inside it, so the host's devices are never touched. */
function withTestNetns(fn: (ns: string) => void): void {
  const ns = `ocirt-nd-${process.pid}`;
  const ipc = (...a: string[]) => {
    const r = spawnSync('ip', a, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`ip ${a.join(' ')}: ${r.stderr}`);
  };
  ipc('netns', 'add', ns);
  try {
    // veth pairs (this kernel has no dummy driver): one end moves, its peer stays in the test's namespace.
    ipc('-n', ns, 'link', 'add', 'dum0', 'type', 'veth', 'peer', 'name', 'dum0p');
    ipc('-n', ns, 'addr', 'add', '10.123.0.1/24', 'dev', 'dum0');
    ipc('-n', ns, 'link', 'add', 'dum1', 'type', 'veth', 'peer', 'name', 'dum1p');
    fn(ns);
  } finally {
    spawnSync('ip', ['netns', 'delete', ns]);
  }
}

test('netDevices: a device moves by name into the container, renamed, its address kept, up; a taken name is refused', () =>
  withBundleRt(
    (c) => {
      c.linux.netDevices = { dum0: { name: 'ctr0' } };
      c.process.args = ['sh', '-c', 'ip -o addr show dev ctr0; ip -o link show dev ctr0'];
    },
    (rt, b) =>
      withTestNetns((ns) => {
        // nsenter, not `ip netns exec`: that one also mounts a fresh /sys, without the cgroups.
        const inNs = (args: string[]) => spawnSync('nsenter', [`--net=/run/netns/${ns}`, '--', OCIRT, '--root', rt.root, ...args], { encoding: 'utf8', timeout: 60_000 });
        const r = inNs(['run', '--bundle', b.dir, 'nd1']);
        assert.is(r.status, 0, r.stderr);
        assert.match(r.stdout, /ctr0\s+inet 10\.123\.0\.1\/24/);
        assert.match(r.stdout, /ctr0[@:].*<[^>]*\bUP\b/, r.stdout);
        // The namespace ended with the container: a virtual device goes with it (and its peer).
        assert.is.not(spawnSync('ip', ['-n', ns, 'link', 'show', 'dum0']).status, 0);
        b.config.linux.netDevices = { dum1: { name: 'lo' } };
        b.write();
        const r2 = inNs(['create', '--bundle', b.dir, 'nd2']);
        assert.is.not(r2.status, 0);
        assert.match(r2.stderr, /a network device "lo" already exists in the container's network namespace \(config\.json \/linux\/netDevices\/dum1\)/, r2.stderr);
        assert.equal(rt.ids(), []);
        assert.is(spawnSync('ip', ['-n', ns, 'link', 'show', 'dum1']).status, 0, 'the refused device stays where it was');
      }),
  ));

test('intelRdt on a host without resctrl is refused naming the field; features reports memoryPolicy and netDevices', () =>
  withBundleRt(
    (c) => (c.linux.intelRdt = { closID: 'x' }),
    (rt, b) => {
      assert.not.ok(fs.existsSync('/sys/fs/resctrl/schemata'), 'this test expects a host without resctrl');
      const r = rt.run(['create', '--bundle', b.dir, 'rdt']);
      assert.is.not(r.status, 0);
      assert.match(r.stderr, /intelRdt needs the resctrl filesystem .*none mounted at \/sys\/fs\/resctrl \(config\.json \/linux\/intelRdt\)/);
      assert.equal(rt.ids(), []);
      const f = JSON.parse(rt.ok(['features']).stdout);
      assert.equal(f.linux.intelRdt, { enabled: false });
      assert.ok(f.linux.memoryPolicy.modes.includes('MPOL_BIND'));
      assert.ok(f.linux.memoryPolicy.flags.includes('MPOL_F_STATIC_NODES'));
      assert.equal(f.linux.netDevices, { enabled: true });
    },
  ));

test('execCPUAffinity: an exec\'d process runs on the final CPUs; the init keeps its own', () =>
  withBundleRt(
    (c) => (c.process.args = ['sh', '-c', 'sleep 100']),
    (rt, b) => {
      assert.ok(os.cpus().length >= 2, 'needs two CPUs');
      rt.ok(['run', '-d', '--bundle', b.dir, 'aff']);
      const proc = { ...b.config.process, args: ['sh', '-c', 'grep Cpus_allowed_list /proc/self/status'], execCPUAffinity: { initial: '1', final: '0' } };
      const pf = path.join(b.dir, 'process.json');
      fs.writeFileSync(pf, JSON.stringify(proc));
      const r = rt.run(['exec', '-p', pf, 'aff']);
      assert.is(r.status, 0, r.stderr);
      assert.is(r.stdout.trim(), 'Cpus_allowed_list:\t0');
      const init = rt.state('aff').pid;
      assert.is.not(/Cpus_allowed_list:\s*(\S+)/.exec(fs.readFileSync(`/proc/${init}/status`, 'utf8'))![1], '0');
      rt.ok(['delete', '--force', 'aff']);
    },
  ));

test('1.3 hook failure rules: a failing startContainer or poststart hook fails start and stops the container', () =>
  withBundleRt(
    (c) => {
      c.process.args = ['sh', '-c', 'sleep 100'];
      c.hooks = { poststart: [{ path: '/bin/sh', args: ['sh', '-c', 'exit 3'] }] };
    },
    (rt, b) => {
      rt.ok(['create', '--bundle', b.dir, 'hk1']);
      const r = rt.run(['start', 'hk1']);
      assert.is.not(r.status, 0);
      assert.match(r.stderr, /poststart hook \/bin\/sh \(config\.json \/hooks\/poststart\/0\): exit status 3/);
      assert.ok(waitStopped(rt, 'hk1'), 'the container stopped');
      rt.ok(['delete', 'hk1']);
      b.config.hooks = { startContainer: [{ path: '/bin/sh', args: ['sh', '-c', 'exit 4'] }] };
      b.write();
      rt.ok(['create', '--bundle', b.dir, 'hk2']);
      rt.run(['start', 'hk2']);
      // The hook runs in the container after start returned: the process never runs, the container stops.
      assert.ok(waitStopped(rt, 'hk2'), 'the container stopped');
      rt.ok(['delete', 'hk2']);
    },
  ));

function waitStopped(rt: Runtime, id: string): boolean {
  const end = Date.now() + 10_000;
  while (Date.now() < end) {
    if (rt.state(id).status === 'stopped') return true;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
  }
  return false;
}

test.run();

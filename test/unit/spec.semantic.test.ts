import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { OcirtErrors, OcirtError } from '../../src/errors';
import { parseConfig } from '../../src/spec/load';
import { processProblems, sysctlNamespace } from '../../src/spec/semantic';

/** A small valid Linux config to change one thing in. */
function base(): any {
  return {
    ociVersion: '1.3.0',
    root: { path: 'rootfs' },
    process: { cwd: '/', args: ['sh'], user: { uid: 0, gid: 0 } },
    hostname: 'h',
    linux: { namespaces: [{ type: 'pid' }, { type: 'mount' }, { type: 'uts' }, { type: 'ipc' }, { type: 'network' }] },
  };
}

/** The problems, without the "config.json:L:C " place (tested elsewhere), or [] when valid. */
function problems(doc: unknown): string[] {
  try {
    parseConfig(JSON.stringify(doc, null, 2));
    return [];
  } catch (e) {
    if (e instanceof OcirtErrors) return e.errors.map((x) => x.message.replace(/^config\.json:\d+:\d+:? /, ''));
    if (e instanceof OcirtError) return [e.message];
    throw e;
  }
}

function edit(f: (c: any) => void): any {
  const c = base();
  f(c);
  return c;
}

test('the base config is valid', () => {
  assert.equal(problems(base()), []);
});

test('ociVersion: any 1.x passes, another major is refused by name', () => {
  for (const v of ['1.0.0', '1.0.2-dev', '1.1.0-rc.1', '1.3.0', '1.9.0', '1.3.0+build.5']) assert.equal(problems(edit((c) => (c.ociVersion = v))), [], v);
  assert.equal(problems(edit((c) => (c.ociVersion = '2.0.0'))), ['/ociVersion: unsupported ociVersion "2.0.0": ocirt supports runtime-spec 1.x (up to 1.3.0)']);
  assert.equal(problems(edit((c) => (c.ociVersion = '0.6.0'))), ['/ociVersion: unsupported ociVersion "0.6.0": ocirt supports runtime-spec 1.x (up to 1.3.0)']);
});

test('root is required except on Windows', () => {
  assert.equal(problems(edit((c) => delete c.root)), ['missing required property "root" (the root filesystem; only Windows configs may leave it out)']);
});

test('process.args: present, non-empty, and naming a program (POSIX)', () => {
  assert.equal(problems(edit((c) => (c.process.args = []))), ['/process/args: must be a non-empty array of strings, but found an empty array']);
  assert.equal(problems(edit((c) => delete c.process.args)), ['/process: missing required property "args" (a non-empty array of strings)']);
  assert.equal(problems(edit((c) => (c.process.args = ['', 'x']))), ['/process/args/0: must name the program to run, but found ""']);
  // No process at all is valid: create needs none, start does.
  assert.equal(problems(edit((c) => delete c.process)), []);
});

test('Windows: commandLine may replace args; cwd and root follow Windows rules', () => {
  const win = { ociVersion: '1.3.0', process: { cwd: 'C:\\app', commandLine: 'app.exe --serve' }, windows: { layerFolders: ['C:\\l'] } };
  assert.equal(problems(win), []);
  assert.equal(problems({ ...win, process: { cwd: 'C:\\' } }), ['/process: needs "args" (at least one entry) or "commandLine"']);
});

test('process.cwd must be absolute (POSIX)', () => {
  assert.equal(problems(edit((c) => (c.process.cwd = 'srv'))), ['/process/cwd: must be an absolute path (a string that starts with "/"), but found "srv"']);
});

test('process.user needs uid and gid (POSIX)', () => {
  assert.equal(problems(edit((c) => delete c.process.user.gid)), ['/process/user: missing required property "gid" (an integer from 0 to 4294967295)']);
  assert.equal(problems(edit((c) => delete c.process.user)), []);
});

test('rlimits: unique, Linux names, soft not above hard', () => {
  const lim = (type: string, soft = 1, hard = 1) => ({ type, soft, hard });
  assert.equal(problems(edit((c) => (c.process.rlimits = [lim('RLIMIT_NOFILE'), lim('RLIMIT_CORE'), lim('RLIMIT_NOFILE')]))), [
    '/process/rlimits/2/type: duplicate rlimit "RLIMIT_NOFILE" (also at /process/rlimits/0)',
  ]);
  const unknown = problems(edit((c) => (c.process.rlimits = [lim('RLIMIT_VMEM')])));
  assert.is(unknown.length, 1);
  assert.match(unknown[0], /^\/process\/rlimits\/0\/type: unknown rlimit "RLIMIT_VMEM": Linux has RLIMIT_AS, .*RLIMIT_STACK$/);
  assert.equal(problems(edit((c) => (c.process.rlimits = [lim('RLIMIT_NPROC', 2048, 1024)]))), ['/process/rlimits/0: soft limit 2048 is above hard limit 1024']);
});

test('unknown capabilities: a warning each, with place, and dropped from the config', () => {
  const c = base();
  c.process.capabilities = { bounding: ['CAP_KILL', 'CAP_CHOWN', 'CAP_FOO'], effective: ['CAP_BAR', 'CAP_KILL'], permitted: ['CAP_KILL'] };
  const text = JSON.stringify(c, null, 2);
  const r = parseConfig(text);
  const line = (needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;
  assert.equal(r.warnings, [
    `config.json:${line('"CAP_FOO"')}:9 /process/capabilities/bounding/2: unknown capability "CAP_FOO" ignored`,
    `config.json:${line('"CAP_BAR"')}:9 /process/capabilities/effective/0: unknown capability "CAP_BAR" ignored`,
  ]);
  assert.equal(r.config.process!.capabilities, { bounding: ['CAP_KILL', 'CAP_CHOWN'], effective: ['CAP_KILL'], permitted: ['CAP_KILL'] });
});

test('namespaces: each type once', () => {
  assert.equal(problems(edit((c) => c.linux.namespaces.push({ type: 'pid', path: '/proc/1/ns/pid' }))), [
    '/linux/namespaces/5/type: duplicate namespace "pid" (also at /linux/namespaces/0)',
  ]);
});

test('user namespace and id mappings go together', () => {
  const maps = [{ containerID: 0, hostID: 1000, size: 1 }];
  assert.equal(problems(edit((c) => c.linux.namespaces.push({ type: 'user' }))), [
    '/linux/uidMappings: a new user namespace (/linux/namespaces/5) needs uidMappings',
    '/linux/gidMappings: a new user namespace (/linux/namespaces/5) needs gidMappings',
  ]);
  assert.equal(problems(edit((c) => (c.linux.namespaces.push({ type: 'user' }), (c.linux.uidMappings = maps), (c.linux.gidMappings = maps)))), []);
  assert.equal(problems(edit((c) => (c.linux.uidMappings = maps))), ['/linux/uidMappings: id mappings need a user namespace: add {"type": "user"} to /linux/namespaces']);
  // Joining a user namespace: its mappings exist already; none are needed.
  assert.equal(problems(edit((c) => c.linux.namespaces.push({ type: 'user', path: '/proc/42/ns/user' }))), []);
});

test('absolute paths: hooks and namespace paths by schema; a relative mount destination is made absolute with a warning', () => {
  assert.equal(problems(edit((c) => (c.hooks = { createRuntime: [{ path: 'hook' }] }))), [
    '/hooks/createRuntime/0/path: must be an absolute path (a string that starts with "/"), but found "hook"',
  ]);
  assert.equal(problems(edit((c) => (c.linux.namespaces[4].path = 'run/netns/x'))), [
    '/linux/namespaces/4/path: must be an absolute path (a string that starts with "/"), but found "run/netns/x"',
  ]);
  const c = base();
  c.mounts = [{ destination: 'data', type: 'tmpfs', source: 'tmpfs' }, { destination: '/ok', type: 'tmpfs' }];
  const r = parseConfig(JSON.stringify(c, null, 2));
  assert.equal(r.config.mounts!.map((m) => m.destination), ['/data', '/ok']);
  assert.is(r.warnings.length, 1);
  assert.match(r.warnings[0], /^config\.json:\d+:\d+ \/mounts\/0\/destination: relative mount destination "data" is deprecated: taken as "\/data"$/);
});

test('timeOffsets: known clocks, a new time namespace only', () => {
  const off = { monotonic: { secs: 1 } };
  assert.equal(problems(edit((c) => (c.linux.namespaces.push({ type: 'time' }), (c.linux.timeOffsets = { ...off, realtime: { secs: 5 } })))), [
    '/linux/timeOffsets/realtime: unknown clock "realtime": time namespaces offset "monotonic" and "boottime" only',
  ]);
  assert.equal(problems(edit((c) => (c.linux.namespaces.push({ type: 'time', path: '/proc/9/ns/time' }), (c.linux.timeOffsets = off)))), [
    '/linux/timeOffsets: timeOffsets cannot be applied to a joined time namespace (/linux/namespaces/5/path): its offsets are already set',
  ]);
  assert.equal(problems(edit((c) => (c.linux.timeOffsets = off))), ['/linux/timeOffsets: timeOffsets need a new time namespace: add {"type": "time"} to /linux/namespaces']);
  assert.equal(problems(edit((c) => (c.linux.namespaces.push({ type: 'time' }), (c.linux.timeOffsets = { boottime: { secs: -5, nanosecs: 1 } })))), []);
});

test('hostname and domainname need a UTS namespace', () => {
  const noUts = (c: any) => (c.linux.namespaces = c.linux.namespaces.filter((n: any) => n.type !== 'uts'));
  assert.equal(problems(edit((c) => (noUts(c), (c.domainname = 'd')))), [
    '/hostname: setting the hostname needs a UTS namespace: add {"type": "uts"} to /linux/namespaces',
    '/domainname: setting the domainname needs a UTS namespace: add {"type": "uts"} to /linux/namespaces',
  ]);
  assert.equal(problems(edit((c) => (noUts(c), (c.hostname = '')))), []);
});

test('sysctls: only namespaced ones, and only with their namespace', () => {
  assert.is(sysctlNamespace('net.ipv4.ip_forward'), 'network');
  assert.is(sysctlNamespace('kernel.shmmax'), 'ipc');
  assert.is(sysctlNamespace('fs.mqueue.queues_max'), 'ipc');
  assert.is(sysctlNamespace('kernel.hostname'), 'uts');
  assert.is(sysctlNamespace('vm.swappiness'), undefined);
  assert.is(sysctlNamespace('kernel.shmmaxx'), undefined);
  const only = (types: string[], sysctl: Record<string, string>) =>
    edit((c) => ((c.linux.namespaces = types.map((type) => ({ type }))), (c.linux.sysctl = sysctl), delete c.hostname));
  assert.equal(problems(only(['network', 'ipc', 'uts'], { 'net.core.somaxconn': '1024', 'kernel.msgmax': '8192', 'kernel.domainname': 'x' })), []);
  assert.equal(problems(only(['mount'], { 'net.core.somaxconn': '1024', 'kernel.sem': '1 2 3 4', 'vm.swappiness': '10' })), [
    '/linux/sysctl/net.core.somaxconn: sysctl "net.core.somaxconn" needs a network namespace: add {"type": "network"} to /linux/namespaces',
    '/linux/sysctl/kernel.sem: sysctl "kernel.sem" needs an IPC namespace: add {"type": "ipc"} to /linux/namespaces',
    '/linux/sysctl/vm.swappiness: sysctl "vm.swappiness" is not namespaced: setting it would change the host',
  ]);
});

test('sysctl kernel.hostname with hostname, kernel.domainname with domainname: refused as runc refuses them', () => {
  assert.equal(problems(edit((c) => (c.linux.sysctl = { 'kernel.hostname': 'other' }))), [
    '/linux/sysctl/kernel.hostname: sysctl "kernel.hostname" is not allowed as it conflicts with the OCI "hostname" field (/hostname)',
  ]);
  assert.equal(problems(edit((c) => ((c.domainname = 'd'), (c.linux.sysctl = { 'kernel.domainname': 'e' })))), [
    '/linux/sysctl/kernel.domainname: sysctl "kernel.domainname" is not allowed as it conflicts with the OCI "domainname" field (/domainname)',
  ]);
  // Either alone is fine.
  assert.equal(problems(edit((c) => (c.linux.sysctl = { 'kernel.domainname': 'e' }))), []);
  assert.equal(problems(edit((c) => (delete c.hostname, (c.linux.sysctl = { 'kernel.hostname': 'other' })))), []);
});

test('idmap mounts need mappings or a user namespace', () => {
  assert.equal(problems(edit((c) => (c.mounts = [{ destination: '/d', source: '/s', type: 'none', options: ['bind', 'idmap'] }]))), [
    '/mounts/0/options: "idmap" needs uidMappings and gidMappings on the mount or a user namespace',
  ]);
  const maps = [{ containerID: 0, hostID: 1000, size: 10 }];
  assert.equal(problems(edit((c) => (c.mounts = [{ destination: '/d', source: '/s', options: ['rbind', 'ridmap'], uidMappings: maps, gidMappings: maps }]))), []);
});

test('seccomp: errnoRet only with an action that returns an errno', () => {
  const sc = (s: any) => edit((c) => (c.linux.seccomp = s));
  assert.equal(problems(sc({ defaultAction: 'SCMP_ACT_ALLOW', defaultErrnoRet: 1, syscalls: [{ names: ['x'], action: 'SCMP_ACT_KILL', errnoRet: 1 }, { names: ['y'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }] })), [
    '/linux/seccomp/defaultErrnoRet: defaultAction SCMP_ACT_ALLOW returns no errno: defaultErrnoRet needs SCMP_ACT_ERRNO or SCMP_ACT_TRACE',
    '/linux/seccomp/syscalls/0/errnoRet: action SCMP_ACT_KILL returns no errno: errnoRet needs SCMP_ACT_ERRNO or SCMP_ACT_TRACE',
  ]);
});

test('seccomp argument values beyond 2^53 reach the config exactly, as bigint', () => {
  const c = base();
  c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['ioctl'], action: 'SCMP_ACT_ERRNO', args: [{ index: 1, value: 0, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }] }] };
  const text = JSON.stringify(c).replace('"value":0,"valueTwo":0', '"value":18446744073709551615,"valueTwo":9223372036854775809');
  const arg = parseConfig(text).config.linux!.seccomp!.syscalls![0].args![0];
  assert.is(arg.value, 18446744073709551615n);
  assert.is(arg.valueTwo, 9223372036854775809n);
  // Small values stay numbers.
  assert.is(parseConfig(JSON.stringify(c)).config.linux!.seccomp!.syscalls![0].args![0].value, 0);
});

test('seccomp argument values past 2^64 - 1 are refused by pointer (the schema\'s double maximum lets 2^64 through)', () => {
  const c = base();
  c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['ioctl'], action: 'SCMP_ACT_ERRNO', args: [{ index: 1, value: 0, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }] }] };
  const text = JSON.stringify(c, null, 2).replace('"value": 0', '"value": 18446744073709551616').replace('"valueTwo": 0', '"valueTwo": 18446744073709551615');
  try {
    parseConfig(text);
    assert.unreachable('accepted');
  } catch (e) {
    assert.instance(e, OcirtErrors);
    assert.equal((e as OcirtErrors).errors.map((x) => x.message), [
      'config.json:46:24 /linux/seccomp/syscalls/0/args/0/value: seccomp argument value 18446744073709551616 is out of range: must be at most 18446744073709551615',
    ]);
  }
});

test('resources: swappiness 0..100 (or Go\'s -1), burst not above a positive quota', () => {
  assert.equal(problems(edit((c) => (c.linux.resources = { memory: { swappiness: 101 } }))), ['/linux/resources/memory/swappiness: must be from 0 to 100, but found 101']);
  assert.equal(problems(edit((c) => (c.linux.resources = { memory: { swappiness: 100 } }))), []);
  assert.equal(problems(JSON.parse(JSON.stringify(edit((c) => (c.linux.resources = { memory: { swappiness: 1 } }))).replace('"swappiness":1', '"swappiness":18446744073709551615'))), []);
  assert.equal(problems(edit((c) => (c.linux.resources = { cpu: { quota: 1000, burst: 2000 } }))), ['/linux/resources/cpu/burst: must not be above quota (1000), but found 2000']);
  assert.equal(problems(edit((c) => (c.linux.resources = { cpu: { quota: -1, burst: 2000 } }))), []);
});

test('memoryPolicy: nodes where the mode needs them, none where it forbids them', () => {
  const mp = (m: any) => edit((c) => (c.linux.memoryPolicy = m));
  assert.equal(problems(mp({ mode: 'MPOL_LOCAL', nodes: '0' })), ['/linux/memoryPolicy/nodes: MPOL_LOCAL takes no nodes, but found "0"']);
  assert.equal(problems(mp({ mode: 'MPOL_BIND' })), ['/linux/memoryPolicy: MPOL_BIND needs at least one node in "nodes"']);
  assert.equal(problems(mp({ mode: 'MPOL_PREFERRED' })), []);
  assert.equal(problems(mp({ mode: 'MPOL_DEFAULT' })), []);
});

test('schema and semantic problems come together, once per place, in file order', () => {
  const c = base();
  c.process.cwd = 'relative';
  c.process.user.uid = 'root';
  c.linux.namespaces.push({ type: 'pid' });
  assert.equal(problems(c), [
    '/process/cwd: must be an absolute path (a string that starts with "/"), but found "relative"',
    '/process/user/uid: must be an integer from 0 to 4294967295, but found "root"',
    '/linux/namespaces/5/type: duplicate namespace "pid" (also at /linux/namespaces/0)',
  ]);
});

test('duplicate keys warn at the repeated key and keep the last value', () => {
  const text = '{\n  "ociVersion": "1.3.0",\n  "root": {"path": "a"},\n  "root": {"path": "rootfs"}\n}';
  const r = parseConfig(text);
  assert.equal(r.warnings, ['config.json:4:11 /root: duplicate key "root": the last one is used']);
  assert.equal(r.config.root, { path: 'rootfs' });
});

test('processProblems: the /process rules alone (exec --process), the config left as it is', () => {
  const c = base();
  c.linux.timeOffsets = { monotonic: { secs: 1 } }; // a /linux problem: not the process's
  c.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 10, hard: 5 }];
  c.process.cwd = 'rel';
  c.process.capabilities = { bounding: ['CAP_NOPE'] };
  assert.equal(processProblems(c).map((p) => `${p.pointer}: ${p.message}`), [
    '/process/cwd: must be an absolute path (a string that starts with "/"), but found "rel"',
    '/process/rlimits/0: soft limit 10 is above hard limit 5',
  ]);
  assert.equal(c.process.capabilities.bounding, ['CAP_NOPE'], 'unknown capabilities are the plan\'s to warn about here');
});

test.run();

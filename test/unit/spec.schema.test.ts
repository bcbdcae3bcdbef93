import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vm from 'node:vm';
import { OcirtErrors, OcirtError } from '../../src/errors';
import { parseConfig } from '../../src/spec/load';
import { schemaProblems, validateState, validateFeatures, VALIDATORS_FILE, wrapModule, compareSemver } from '../../src/spec/validate';
import { pointerTokens } from '../../src/spec/pointer';

const FIXTURES = path.resolve(__dirname, '../../../test/fixtures/spec');
const full = () => JSON.parse(fs.readFileSync(path.join(FIXTURES, 'valid', 'full.json'), 'utf8'));

/** The error lines parseConfig throws for a text ([] when it passes). */
function problems(text: string): string[] {
  try {
    parseConfig(text);
    return [];
  } catch (e) {
    if (e instanceof OcirtErrors) return e.errors.map((x) => x.message);
    if (e instanceof OcirtError) return [e.message];
    throw e;
  }
}

function parent(doc: any, pointer: string): [any, string] {
  const toks = pointerTokens(pointer);
  const last = toks.pop()!;
  let v = doc;
  for (const t of toks) {
    v = v[t];
    if (v === undefined) throw new Error(`fixture has no ${pointer}`);
  }
  return [v, last];
}

/**
 * Puts `value` at `pointer` of full.json and writes it out. The line:column where the value
 * starts is found without the parser under test: the value is first written as a unique
 * marker string, located in the text, then the marker is replaced by the value's JSON, which
 * starts at the same place.
 */
function mutated(pointer: string, value: unknown): { text: string; line: number; column: number } {
  const doc = full();
  const [obj, key] = parent(doc, pointer);
  if (!(key in obj)) throw new Error(`fixture has no ${pointer}`);
  const MARK = '@@OCIRT-MARK@@';
  obj[key] = MARK;
  const text = JSON.stringify(doc, null, 2);
  const at = text.indexOf(`"${MARK}"`);
  const before = text.slice(0, at);
  const line = before.split('\n').length;
  const column = at - before.lastIndexOf('\n');
  return { text: text.replace(`"${MARK}"`, JSON.stringify(value)), line, column };
}

test('valid corpus: runc spec, runc spec --rootless, minimal, every optional field', () => {
  const dir = path.join(FIXTURES, 'valid');
  for (const f of fs.readdirSync(dir)) {
    const text = fs.readFileSync(path.join(dir, f), 'utf8');
    assert.equal(problems(text), [], f);
    assert.equal(schemaProblems('config', JSON.parse(text)), [], f);
  }
});

// [pointer, wrong value, what the message must say]
const WRONG: Array<[string, unknown, string]> = [
  ['/ociVersion', 1.3, 'must be a SemVer version such as "1.3.0", but found 1.3'],
  ['/ociVersion', '1.3', 'must be a SemVer version such as "1.3.0", but found "1.3"'],
  ['/root/path', 7, 'must be a string, but found 7'],
  ['/root/readonly', 'yes', 'must be true or false, but found "yes"'],
  ['/hostname', 7, 'must be a string, but found 7'],
  ['/domainname', [], 'must be a string, but found an empty array'],
  ['/mounts/0/destination', 5, 'must be a string, but found 5'],
  ['/mounts/0/type', null, 'must be a string, but found null'],
  ['/mounts/0/options', 'ro', 'must be an array of strings, but found "ro"'],
  ['/mounts/0/options/1', false, 'must be a string, but found false'],
  ['/mounts/4/uidMappings/0/size', -1, 'must be an integer from 0 to 4294967295, but found -1'],
  ['/mounts/4/gidMappings/0/hostID', 4294967296, 'must be an integer from 0 to 4294967295, but found 4294967296'],
  ['/process/terminal', 'true', 'must be true or false, but found "true"'],
  ['/process/consoleSize/height', -1, 'must be an unsigned 64-bit integer, but found -1'],
  ['/process/consoleSize', [24, 80], 'must be an object, but found an array of 2 items'],
  ['/process/cwd', 0, 'must be a string, but found 0'],
  ['/process/env', { PATH: '/bin' }, 'must be an array of strings, but found an object'],
  ['/process/env/1', 1, 'must be a string, but found 1'],
  ['/process/args/1', 1.5, 'must be a string, but found 1.5'],
  ['/process/rlimits/0/type', 'NOFILE', 'must be a resource name such as "RLIMIT_NOFILE", but found "NOFILE"'],
  ['/process/rlimits/1/soft', -1, 'must be an unsigned 64-bit integer, but found -1'],
  ['/process/rlimits/1/hard', '0', 'must be an unsigned 64-bit integer, but found "0"'],
  ['/process/apparmorProfile', true, 'must be a string, but found true'],
  ['/process/capabilities', ['CAP_KILL'], 'must be an object, but found an array of 1 item'],
  ['/process/capabilities/ambient', 'CAP_KILL', 'must be an array of strings, but found "CAP_KILL"'],
  ['/process/capabilities/bounding/0', 21, 'must be a string, but found 21'],
  ['/process/noNewPrivileges', 1, 'must be true or false, but found 1'],
  ['/process/oomScoreAdj', 1001, 'must be an integer from -1000 to 1000 (the kernel\'s range for oom_score_adj), but found 1001'],
  ['/process/oomScoreAdj', -5.5, 'must be an integer from -1000 to 1000'],
  ['/process/scheduler/policy', 'SCHED_NORMAL', 'must be one of "SCHED_OTHER", "SCHED_FIFO", "SCHED_RR", "SCHED_BATCH", "SCHED_ISO", "SCHED_IDLE", "SCHED_DEADLINE", but found "SCHED_NORMAL"'],
  ['/process/scheduler/nice', 2147483648, 'must be an integer from -2147483648 to 2147483647, but found 2147483648'],
  ['/process/scheduler/priority', 'high', 'must be an integer from -2147483648 to 2147483647, but found "high"'],
  ['/process/scheduler/flags/1', 'SCHED_FLAG_FAST', 'must be one of "SCHED_FLAG_RESET_ON_FORK", "SCHED_FLAG_RECLAIM", "SCHED_FLAG_DL_OVERRUN", "SCHED_FLAG_KEEP_POLICY", "SCHED_FLAG_KEEP_PARAMS", "SCHED_FLAG_UTIL_CLAMP_MIN", "SCHED_FLAG_UTIL_CLAMP_MAX", but found "SCHED_FLAG_FAST"'],
  ['/process/scheduler/runtime', -1, 'must be an unsigned 64-bit integer'],
  ['/process/scheduler/deadline', 'soon', 'must be an unsigned 64-bit integer'],
  ['/process/scheduler/period', true, 'must be an unsigned 64-bit integer'],
  ['/process/selinuxLabel', 3, 'must be a string, but found 3'],
  ['/process/ioPriority/class', 'IOPRIO_CLASS_NONE', 'must be one of "IOPRIO_CLASS_RT", "IOPRIO_CLASS_BE", "IOPRIO_CLASS_IDLE", but found "IOPRIO_CLASS_NONE"'],
  ['/process/ioPriority/priority', 8, 'must be an integer from 0 (highest) to 7 (lowest), but found 8'],
  ['/process/execCPUAffinity/initial', 'all', 'must be a list of numbers and ranges such as "0-3,7", but found "all"'],
  ['/process/execCPUAffinity/final', 3, 'must be a list of numbers and ranges such as "0-3,7", but found 3'],
  ['/process/user/uid', 'root', 'must be an integer from 0 to 4294967295, but found "root"'],
  ['/process/user/gid', -1, 'must be an integer from 0 to 4294967295, but found -1'],
  ['/process/user/umask', 1.5, 'must be an integer from 0 to 4294967295, but found 1.5'],
  ['/process/user/additionalGids', 10, 'must be an array of integers, each from 0 to 4294967295, but found 10'],
  ['/process/user/additionalGids/1', -100, 'must be an integer from 0 to 4294967295, but found -100'],
  ['/hooks/prestart', {}, 'must be an array of objects, but found an empty object'],
  ['/hooks/prestart/0/path', 'usr/bin/hook', 'must be an absolute path (a string that starts with "/"), but found "usr/bin/hook"'],
  ['/hooks/createRuntime/0/timeout', 0, 'must be a whole number of seconds greater than 0, but found 0'],
  ['/hooks/createContainer/0/timeout', '5', 'must be a whole number of seconds greater than 0, but found "5"'],
  ['/hooks/startContainer/0/path', 5, 'must be an absolute path (a string that starts with "/"), but found 5'],
  ['/hooks/poststart/0/args/1', 2, 'must be a string, but found 2'],
  ['/hooks/poststop/0/env', 'KEEP=0', 'must be an array of strings, but found "KEEP=0"'],
  ['/annotations/com.example.team', 1, 'must be a string, but found 1'],
  ['/annotations', ['a'], 'must be an object whose values are strings, but found an array of 1 item'],
  ['/linux', 'linux', 'must be an object, but found "linux"'],
  ['/linux/namespaces/0/type', 'process', 'must be one of "pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time", but found "process"'],
  ['/linux/namespaces/1/path', 'var/run/netns/web', 'must be an absolute path (a string that starts with "/"), but found "var/run/netns/web"'],
  ['/linux/uidMappings/0/hostID', 'x', 'must be an integer from 0 to 4294967295, but found "x"'],
  ['/linux/gidMappings/0/containerID', -1, 'must be an integer from 0 to 4294967295, but found -1'],
  ['/linux/timeOffsets/monotonic/secs', '86400', 'must be a signed 64-bit integer, but found "86400"'],
  ['/linux/timeOffsets/boottime/nanosecs', -1, 'must be an integer from 0 to 4294967295, but found -1'],
  ['/linux/devices/0/type', 'x', 'must be one of "c", "b", "u", "p", but found "x"'],
  ['/linux/devices/0/path', 'dev/fuse', 'must be an absolute path (a string that starts with "/"), but found "dev/fuse"'],
  ['/linux/devices/0/major', '10', 'must be a signed 64-bit integer, but found "10"'],
  ['/linux/devices/0/fileMode', -1, 'must be an integer from 0 to 4294967295, but found -1'],
  ['/linux/devices/0/uid', 1.5, 'must be an integer from 0 to 4294967295, but found 1.5'],
  ['/linux/netDevices/eth1/name', 1, 'must be a string, but found 1'],
  ['/linux/netDevices/eth1', 'data0', 'must be an object, but found "data0"'],
  ['/linux/cgroupsPath', 1, 'must be a string, but found 1'],
  ['/linux/resources/devices/0/allow', 'no', 'must be true or false, but found "no"'],
  ['/linux/resources/devices/1/type', 'u', 'must be one of "a", "c", "b", but found "u"'],
  ['/linux/resources/devices/1/access', 'rwx', 'must be a combination of the letters r, w and m, but found "rwx"'],
  ['/linux/resources/memory/limit', '512M', 'must be a signed 64-bit integer, but found "512M"'],
  ['/linux/resources/memory/swappiness', -1, 'must be an unsigned 64-bit integer, but found -1'],
  ['/linux/resources/memory/disableOOMKiller', 0, 'must be true or false, but found 0'],
  ['/linux/resources/cpu/shares', -1, 'must be an unsigned 64-bit integer, but found -1'],
  ['/linux/resources/cpu/quota', 1.5, 'must be a signed 64-bit integer, but found 1.5'],
  ['/linux/resources/cpu/cpus', 'all', 'must be a list of numbers and ranges such as "0-3,7", but found "all"'],
  ['/linux/resources/cpu/idle', 'yes', 'must be a signed 64-bit integer, but found "yes"'],
  ['/linux/resources/blockIO/weight', 70000, 'must be an integer from 0 to 65535, but found 70000'],
  ['/linux/resources/blockIO/weightDevice/0/minor', null, 'must be a signed 64-bit integer, but found null'],
  ['/linux/resources/blockIO/throttleReadBpsDevice/0/rate', -1, 'must be an unsigned 64-bit integer, but found -1'],
  ['/linux/resources/hugepageLimits/0/pageSize', '2M', 'must be a page size such as "2MB" or "64KB", but found "2M"'],
  ['/linux/resources/hugepageLimits/1/limit', -1, 'must be an unsigned 64-bit integer, but found -1'],
  ['/linux/resources/network/classID', -1, 'must be an integer from 0 to 4294967295, but found -1'],
  ['/linux/resources/network/priorities/0/priority', 'hi', 'must be an integer from 0 to 4294967295, but found "hi"'],
  ['/linux/resources/pids/limit', 1.5, 'must be a signed 64-bit integer, but found 1.5'],
  ['/linux/resources/rdma/mlx5_1/hcaHandles', 'x', 'must be an integer from 0 to 4294967295, but found "x"'],
  ['/linux/resources/unified/memory.high', 402653184, 'must be a string, but found 402653184'],
  ['/linux/intelRdt/memBwSchema', 'L3:0=ff', 'must be a string that starts with "MB:" and has no newline, but found "L3:0=ff"'],
  ['/linux/intelRdt/schemata/0', 'L2:0=f\nMB:0=1', 'must be one line of a resctrl schemata file (no newline)'],
  ['/linux/intelRdt/enableMonitoring', 'on', 'must be true or false, but found "on"'],
  ['/linux/sysctl/kernel.shm_rmid_forced', 1, 'must be a string, but found 1'],
  ['/linux/seccomp/defaultAction', 'ALLOW', 'must be one of "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP", "SCMP_ACT_ERRNO", "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY", but found "ALLOW"'],
  ['/linux/seccomp/defaultErrnoRet', -1, 'must be an integer from 0 to 4294967295, but found -1'],
  ['/linux/seccomp/architectures/2', 'SCMP_ARCH_Z80', 'but found "SCMP_ARCH_Z80"'],
  ['/linux/seccomp/flags/0', 'SECCOMP_FILTER_FLAG_NEW_LISTENER', 'must be one of "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", but found "SECCOMP_FILTER_FLAG_NEW_LISTENER"'],
  ['/linux/seccomp/listenerPath', 1, 'must be a string, but found 1'],
  ['/linux/seccomp/syscalls/0/names', [], 'must be a non-empty array of strings, but found an empty array'],
  ['/linux/seccomp/syscalls/0/action', 'SCMP_ACT_DENY', 'but found "SCMP_ACT_DENY"'],
  ['/linux/seccomp/syscalls/4/errnoRet', -1, 'must be an integer from 0 to 4294967295, but found -1'],
  ['/linux/seccomp/syscalls/1/args/0/index', 6, 'must be a syscall argument index from 0 to 5, but found 6'],
  ['/linux/seccomp/syscalls/2/args/0/value', -1, 'must be an unsigned 64-bit integer, but found -1'],
  ['/linux/seccomp/syscalls/2/args/0/valueTwo', '0x10', 'must be an unsigned 64-bit integer, but found "0x10"'],
  ['/linux/seccomp/syscalls/2/args/0/op', 'EQ', 'must be one of "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ", but found "EQ"'],
  ['/linux/rootfsPropagation', 'rshred', 'must be one of "shared", "slave", "private", "unbindable", "rshared", "rslave", "rprivate", "runbindable", but found "rshred"'],
  ['/linux/maskedPaths/0', 'proc/kcore', 'must be an absolute path (a string that starts with "/"), but found "proc/kcore"'],
  ['/linux/readonlyPaths', '/proc/sys', 'must be an array of strings, each an absolute path (a string that starts with "/"), but found "/proc/sys"'],
  ['/linux/mountLabel', 1, 'must be a string, but found 1'],
  ['/linux/personality/domain', 'LINUX64', 'must be one of "LINUX", "LINUX32", but found "LINUX64"'],
  ['/linux/personality/flags', 'x', 'must be an array of strings, but found "x"'],
  ['/linux/memoryPolicy/mode', 'MPOL_FIRST_TOUCH', 'but found "MPOL_FIRST_TOUCH"'],
  ['/linux/memoryPolicy/nodes', 'node0', 'must be a list of numbers and ranges such as "0-3,7", but found "node0"'],
  ['/linux/memoryPolicy/flags/0', 'MPOL_F_X', 'must be one of "MPOL_F_NUMA_BALANCING", "MPOL_F_RELATIVE_NODES", "MPOL_F_STATIC_NODES", but found "MPOL_F_X"'],
];

test('invalid corpus: each wrong type, enum or pattern names its pointer, line:column and the expectation', () => {
  for (const [pointer, value, phrase] of WRONG) {
    const m = mutated(pointer, value);
    const got = problems(m.text);
    const where = `${pointer} = ${JSON.stringify(value)}`;
    assert.is(got.length, 1, `${where}: ${JSON.stringify(got)}`);
    const prefix = `config.json:${m.line}:${m.column} ${pointer}: `;
    assert.ok(got[0].startsWith(prefix), `${where}: expected "${prefix}..." but got "${got[0]}"`);
    assert.ok(got[0].includes(phrase), `${where}: "${got[0]}" does not say "${phrase}"`);
  }
});

// [pointer to delete, pointer of the object that misses it, message]
const MISSING: Array<[string, string, string]> = [
  ['/ociVersion', '', 'missing required property "ociVersion" (a SemVer version such as "1.3.0")'],
  ['/root/path', '/root', 'missing required property "path" (a string)'],
  ['/mounts/1/destination', '/mounts/1', 'missing required property "destination" (a string)'],
  ['/process/cwd', '/process', 'missing required property "cwd" (a string)'],
  ['/process/consoleSize/width', '/process/consoleSize', 'missing required property "width"'],
  ['/process/rlimits/0/hard', '/process/rlimits/0', 'missing required property "hard" (an unsigned 64-bit integer)'],
  ['/process/scheduler/policy', '/process/scheduler', 'missing required property "policy" (one of "SCHED_OTHER",'],
  ['/process/ioPriority/priority', '/process/ioPriority', 'missing required property "priority" (an integer from 0 (highest) to 7 (lowest))'],
  ['/hooks/poststart/0/path', '/hooks/poststart/0', 'missing required property "path" (an absolute path'],
  ['/linux/namespaces/2/type', '/linux/namespaces/2', 'missing required property "type"'],
  ['/linux/uidMappings/0/size', '/linux/uidMappings/0', 'missing required property "size" (an integer from 0 to 4294967295)'],
  ['/linux/devices/1/minor', '/linux/devices/1', 'missing required property "minor" (a signed 64-bit integer)'],
  ['/linux/devices/0/path', '/linux/devices/0', 'missing required property "path" (an absolute path'],
  ['/linux/resources/devices/1/allow', '/linux/resources/devices/1', 'missing required property "allow" (true or false)'],
  ['/linux/resources/blockIO/throttleWriteIOPSDevice/0/rate', '/linux/resources/blockIO/throttleWriteIOPSDevice/0', 'missing required property "rate"'],
  ['/linux/resources/hugepageLimits/0/limit', '/linux/resources/hugepageLimits/0', 'missing required property "limit"'],
  ['/linux/resources/network/priorities/0/name', '/linux/resources/network/priorities/0', 'missing required property "name" (a string)'],
  ['/linux/seccomp/defaultAction', '/linux/seccomp', 'missing required property "defaultAction" (one of "SCMP_ACT_KILL",'],
  ['/linux/seccomp/syscalls/0/names', '/linux/seccomp/syscalls/0', 'missing required property "names" (a non-empty array of strings)'],
  ['/linux/seccomp/syscalls/1/args/0/op', '/linux/seccomp/syscalls/1/args/0', 'missing required property "op"'],
  ['/linux/personality/domain', '/linux/personality', 'missing required property "domain" (one of "LINUX", "LINUX32")'],
  ['/linux/memoryPolicy/mode', '/linux/memoryPolicy', 'missing required property "mode"'],
  ['/linux/resources/blockIO/weightDevice/1/leafWeight', '/linux/resources/blockIO/weightDevice/1', 'must have at least one of "weight" or "leafWeight"'],
  ['/linux/resources/rdma/rxe0/hcaObjects', '/linux/resources/rdma/rxe0', 'must have at least one of "hcaHandles" or "hcaObjects"'],
  ['/mounts/4/gidMappings', '/mounts/4', 'has "uidMappings" but not "gidMappings", which must come with it'],
  ['/linux/seccomp/listenerPath', '/linux/seccomp', 'has "listenerMetadata" but not "listenerPath", which must come with it'],
];

test('missing required properties are reported at the object that lacks them', () => {
  for (const [del, at, phrase] of MISSING) {
    const doc = full();
    const [obj, key] = parent(doc, del);
    assert.ok(key in obj, `fixture has ${del}`);
    delete obj[key];
    const text = JSON.stringify(doc, null, 2);
    const got = problems(text);
    assert.is(got.length, 1, `${del}: ${JSON.stringify(got)}`);
    assert.match(got[0], new RegExp(`^config\\.json:\\d+:\\d+${at ? ' ' + at.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') : ''}: `), del);
    assert.ok(got[0].includes(phrase), `${del}: "${got[0]}" does not say "${phrase}"`);
  }
});

test('a device of type p needs no major/minor; the others need both, said once', () => {
  const doc = full();
  doc.linux.devices = [{ path: '/x', type: 'p' }, { path: '/y', type: 'b' }];
  const got = problems(JSON.stringify(doc, null, 2));
  assert.is(got.length, 1);
  assert.match(got[0], /\/linux\/devices\/1: missing required properties "major" and "minor" \(each a signed 64-bit integer\)$/);
});

test('three distinct errors give exactly three messages, in file order, with line:column', () => {
  const text = [
    '{',
    '  "ociVersion": "1.3.0",',
    '  "root": {"path": "rootfs"},',
    '  "process": {',
    '    "cwd": "/",',
    '    "args": ["sh"],',
    '    "user": {"uid": 0, "gid": "wheel"}',
    '  },',
    '  "mounts": [',
    '    {"destination": "/tmp", "type": "tmpfs", "options": "nosuid"}',
    '  ],',
    '  "linux": {"rootfsPropagation": "rprivat"}',
    '}',
  ].join('\n');
  assert.equal(problems(text), [
    'config.json:7:31 /process/user/gid: must be an integer from 0 to 4294967295, but found "wheel"',
    'config.json:10:57 /mounts/0/options: must be an array of strings, but found "nosuid"',
    'config.json:12:34 /linux/rootfsPropagation: must be one of "shared", "slave", "private", "unbindable", "rshared", "rslave", "rprivate", "runbindable", but found "rprivat"',
  ]);
});

test('malformed JSON and a document that is not an object: one plain error with line:column', () => {
  const cases: Array<[string, string]> = [
    ['{\n  "ociVersion": "1.3.0",\n  "root": {"path": "rootfs"},\n}', 'config.json:4:1: trailing comma before "}": JSON does not allow one'],
    ['{\n  "ociVersion": "1.3.0"\n  "root": {}\n}', 'config.json:3:3: expected "," or "}" after the value of "ociVersion" but found """'],
    ['[]', 'config.json:1:1: must be a JSON object, but found an empty array'],
    ['null', 'config.json:1:1: must be a JSON object, but found null'],
    ['  ', 'config.json:1:3: the file is empty: expected a JSON object'],
  ];
  for (const [text, msg] of cases) {
    try {
      parseConfig(text);
      assert.unreachable(text);
    } catch (e) {
      assert.instance(e, OcirtError);
      assert.not.instance(e, OcirtErrors);
      assert.is((e as Error).message, msg);
    }
  }
});

test('unknown properties are ignored, everywhere', () => {
  const doc = full();
  doc.vendorThing = { a: 1 };
  doc.process.vendorFlag = true;
  doc.linux.resources.memory.vendor = 'x';
  doc.linux.seccomp.syscalls[0].comment = 'allow basic io';
  doc.mounts[0].x = [1];
  assert.equal(problems(JSON.stringify(doc)), []);
});

test('non-Linux platform objects are checked for shape', () => {
  const base = { ociVersion: '1.3.0', root: { path: 'rootfs' }, process: { cwd: '/', args: ['sh'] } };
  const ok = { ...base, solaris: { cappedCPU: { ncpus: '8' }, anet: [{ linkname: 'net0' }] }, vm: { kernel: { path: '/k' }, image: { path: '/i', format: 'qcow2' } }, zos: { namespaces: [{ type: 'pid' }] }, freebsd: { jail: { vnet: 'new' }, devices: [{ path: 'null' }] } };
  assert.equal(problems(JSON.stringify(ok)), []);
  const win = { ociVersion: '1.3.0', process: { cwd: 'C:\\', commandLine: 'cmd.exe' }, windows: { layerFolders: ['C:\\layers\\base'], resources: { cpu: { shares: 5000 } } } };
  assert.equal(problems(JSON.stringify(win)), []);
  const bad = {
    ...base,
    solaris: { cappedMemory: { physical: 512 } },
    vm: { image: { path: '/i', format: 'iso' } },
    zos: { namespaces: [{ type: 'net' }] },
    windows: { layerFolders: [], resources: { cpu: { shares: 70000 } } },
  };
  const got = problems(JSON.stringify(bad, null, 1));
  assert.equal(
    got.map((l) => l.replace(/^config\.json:\d+:\d+ /, '')),
    [
      '/solaris/cappedMemory/physical: must be a string, but found 512',
      '/vm: missing required property "kernel" (an object)',
      '/vm/image/format: must be one of "raw", "qcow2", "vdi", "vmdk", "vhd", but found "iso"',
      '/zos/namespaces/0/type: must be one of "pid", "mount", "ipc", "uts", but found "net"',
      '/windows/layerFolders: must be a non-empty array of strings, but found an empty array',
      '/windows/resources/cpu/shares: must be an integer from 0 to 65535, but found 70000',
    ],
  );
});

test('state: a valid sample passes, wrong ones say what is wrong', () => {
  const good = { ociVersion: '1.3.0', id: 'web-1', status: 'running', pid: 4242, bundle: '/srv/bundles/web', annotations: { a: 'b' }, rootfs: '/srv/bundles/web/rootfs', created: '2025-01-01T00:00:00.000000000Z', owner: '' };
  assert.equal(validateState(good), []);
  assert.equal(validateState({ ociVersion: '1.3.0', id: 'x', status: 'stopped', bundle: '/b' }), [], 'stopped needs no pid');
  assert.equal(validateState({ ...good, status: 'paused' }), []);
  assert.equal(validateState({ ...good, status: 'exited' }), [
    '/status: must be one of "creating", "created", "running", "stopped", "paused", but found "exited"',
  ]);
  const { pid, ...noPid } = good;
  assert.equal(validateState({ ...noPid, status: 'created' }), ['/: missing required property "pid" (a process id (an integer from 0 to 4194304))']);
  assert.equal(validateState({ ...good, id: '', bundle: 'web', pid: -1 }), [
    '/id: must be a non-empty string, but found ""',
    '/pid: must be a process id (an integer from 0 to 4194304), but found -1',
    '/bundle: must be an absolute path (a string that starts with "/"), but found "web"',
  ]);
  assert.equal(validateState([]), ['/: must be an object, but found an empty array']);
});

test('features: a valid sample passes, wrong ones say what is wrong', () => {
  const good = {
    ociVersionMin: '1.0.0',
    ociVersionMax: '1.3.0',
    hooks: ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'],
    mountOptions: ['bind', 'rbind', 'ro', 'rro'],
    linux: {
      namespaces: ['cgroup', 'ipc', 'mount', 'network', 'pid', 'time', 'user', 'uts'],
      capabilities: ['CAP_CHOWN', 'CAP_KILL'],
      cgroup: { v1: true, v2: true, systemd: false, systemdUser: null, rdma: false },
      seccomp: { enabled: true, actions: ['SCMP_ACT_ALLOW'], operators: ['SCMP_CMP_EQ'], archs: ['SCMP_ARCH_X86_64'], knownFlags: [], supportedFlags: null },
      apparmor: { enabled: true },
      selinux: null,
      memoryPolicy: { modes: ['MPOL_BIND'], flags: [] },
      intelRdt: { enabled: false, schemata: false, monitoring: false },
      mountExtensions: { idmap: { enabled: false } },
      netDevices: { enabled: false },
    },
    annotations: { 'org.example.ocirt.version': '0.1.0' },
    potentiallyUnsafeConfigAnnotations: ['org.systemd.property.'],
  };
  assert.equal(validateFeatures(good), []);
  assert.equal(validateFeatures({ ociVersionMin: '1.0.0', ociVersionMax: '1.3.0', hooks: null, linux: null, annotations: null }), []);
  assert.equal(validateFeatures({ ociVersionMin: '1.0.0' }), ['/: missing required property "ociVersionMax" (a SemVer version such as "1.3.0")']);
  assert.equal(validateFeatures({ ...good, linux: { ...good.linux, cgroup: { v2: 'yes' }, namespaces: 'all' } }), [
    '/linux/namespaces: must be an array of strings or null, but found "all"',
    '/linux/cgroup/v2: must be true or false or null, but found "yes"',
  ]);
  assert.equal(validateFeatures({ ...good, ociVersionMin: '1.3.0', ociVersionMax: '1.0.0' }), [
    '/ociVersionMax: must not be lower than ociVersionMin (1.3.0), but found "1.0.0"',
  ]);
  assert.ok(compareSemver('1.3.0', '1.3.0-rc.1') > 0);
  assert.ok(compareSemver('1.1.0-rc.2', '1.1.0-rc.10') < 0);
  assert.ok(compareSemver('1.10.0', '1.9.9') > 0);
  assert.is(compareSemver('1.2.0+build', '1.2.0'), 0);
});

test('the generated module: three validators, no schema compiler, a code cache V8 accepts', () => {
  const src = fs.readFileSync(VALIDATORS_FILE, 'utf8');
  for (const name of ['validateConfig', 'validateState', 'validateFeatures']) assert.match(src, new RegExp(`exports\\.${name} = `));
  const required = [...src.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]);
  assert.equal(required.filter((r) => !r.startsWith('ajv/dist/runtime/')), [], 'only ajv runtime helpers may be required');
  assert.not.match(src, /new Ajv|ajv\/dist\/core|\.compile\(/);
  // The cache must fit the source as validate.ts wraps it (build.js and validate.ts agree).
  const buf = fs.readFileSync(VALIDATORS_FILE.replace(/\.js$/, '.cache'));
  const nl = buf.indexOf(10);
  assert.is(buf.toString('latin1', 0, nl), src.slice(0, src.indexOf('\n')));
  const script = new vm.Script(wrapModule(src), { filename: VALIDATORS_FILE, cachedData: buf.subarray(nl + 1) });
  assert.is(script.cachedDataRejected, false);
  // Without the cache it is an ordinary module (validate.ts falls back to require).
  const plain = require(VALIDATORS_FILE);
  const runc = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'valid', 'runc-1.1.5-spec.json'), 'utf8'));
  assert.is(plain.validateConfig(runc), true);
  assert.is(plain.validateConfig({ ...runc, ociVersion: 1 }), false);
  assert.equal(plain.validateConfig.errors.map((e: any) => [e.instancePath, e.keyword]), [['/ociVersion', 'type']]);
});

test.run();

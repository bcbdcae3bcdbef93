import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fakeV2, FakeCgroupfs } from '../helpers/cgroupfs';
import { runDeviceProgram } from '../helpers/cgroup-bpf';
import { sharesToWeight, blkioWeightToIoWeight } from '../../src/cgroups/convert';
import { effectiveDeviceRules } from '../../src/cgroups';
import { throwsMsg } from '../helpers/throws';

function withFake(fn: (f: FakeCgroupfs) => void): () => void {
  return () => {
    const f = fakeV2();
    try {
      fn(f);
    } finally {
      f.cleanup();
    }
  };
}


test('v2 is detected and opened over the fake root', withFake((f) => {
  const m = f.open();
  assert.is(m.version, 2);
  assert.is(m.path, '/ocirt/c1');
  assert.is(m.v2Dir, path.join(f.root, 'ocirt/c1'));
  assert.equal(m.freezerProbe, { file: path.join(f.root, 'ocirt/c1/cgroup.freeze'), frozen: '1' });
}));

test('create enables the parent controllers in each ancestor subtree_control', withFake((f) => {
  f.open().create();
  const log = f.log();
  for (const c of ['cpu', 'memory', 'pids', 'io']) {
    assert.ok(log.includes(`cgroup.subtree_control=+${c}`), `root +${c}`);
    assert.ok(log.includes(`ocirt/cgroup.subtree_control=+${c}`), `ocirt +${c}`);
  }
  assert.not.ok(log.some((l) => l.startsWith('ocirt/c1/cgroup.subtree_control')), 'the leaf keeps its controllers to itself');
}));

test('memory: -1 is max, swap is swap - limit, reservation is memory.low', withFake((f) => {
  f.open().apply({ memory: { limit: 64 << 20, swap: 96 << 20, reservation: 32 << 20 } });
  assert.equal(f.log(), [`ocirt/c1/memory.swap.max=${32 << 20}`, `ocirt/c1/memory.max=${64 << 20}`, `ocirt/c1/memory.low=${32 << 20}`]);
  f.writes.length = 0;
  f.open().apply({ memory: { limit: -1, swap: -1 } });
  assert.equal(f.log(), ['ocirt/c1/memory.swap.max=max', 'ocirt/c1/memory.max=max']);
}));

test('memory: swap below limit, or without a limit, is refused naming the field', withFake((f) => {
  throwsMsg(() => f.open().apply({ memory: { limit: 100, swap: 50 } }), /^\/linux\/resources\/memory\/swap: memory\+swap limit \(50\) must be >= the memory limit \(100\)/);
  throwsMsg(() => f.open().apply({ memory: { swap: 50 } }), /^\/linux\/resources\/memory\/swap: a swap limit needs a memory limit/);
}));

test('memory: v1-only fields warn on v2 and write nothing', withFake((f) => {
  f.open().apply({ memory: { swappiness: 10, disableOOMKiller: true, kernel: 1 << 20 } });
  assert.equal(f.log(), []);
  assert.is(f.warnings.length, 3);
  assert.match(f.warnings[0], /^\/linux\/resources\/memory\/swappiness: /);
}));

test('memory: checkBeforeUpdate refuses a limit below current usage', withFake((f) => {
  const m = f.open();
  fs.writeFileSync(path.join(f.root, 'ocirt/c1/memory.current'), `${50 << 20}\n`);
  throwsMsg(() => m.update({ memory: { limit: 10 << 20, checkBeforeUpdate: true } }), /^\/linux\/resources\/memory\/limit: new limit 10485760 is below the current usage 52428800/);
  m.update({ memory: { limit: 10 << 20 } });
  assert.equal(f.log(), [`ocirt/c1/memory.max=${10 << 20}`]);
}));

test('cpu: shares become cpu.weight by runc\'s formula; quota/period become cpu.max', withFake((f) => {
  assert.is(sharesToWeight(2), 1);
  assert.is(sharesToWeight(1024), 39);
  assert.is(sharesToWeight(262144), 10000);
  f.open().apply({ cpu: { shares: 1024, quota: 50000, period: 100000, burst: 10000, idle: 1, cpus: '0-1', mems: '0' } });
  assert.equal(f.log(), [
    'ocirt/c1/cpu.weight=39',
    'ocirt/c1/cpu.max=50000 100000',
    'ocirt/c1/cpu.max.burst=10000',
    'ocirt/c1/cpu.idle=1',
    'ocirt/c1/cpuset.cpus=0-1',
    'ocirt/c1/cpuset.mems=0',
  ]);
}));

test('cpu: quota -1 is max; a period alone keeps the current quota', withFake((f) => {
  f.open().apply({ cpu: { quota: -1 } });
  fs.writeFileSync(path.join(f.root, 'ocirt/c1/cpu.max'), '20000 100000\n');
  f.open().update({ cpu: { period: 50000 } });
  f.open().update({ cpu: { quota: 0, shares: 2 } });
  assert.equal(f.log(), ['ocirt/c1/cpu.max=max 100000', 'ocirt/c1/cpu.max=20000 50000', 'ocirt/c1/cpu.weight=1']);
}));

test('cpu: invalid cpuset, unavailable cpu, realtime are errors naming the field', withFake((f) => {
  throwsMsg(() => f.open().apply({ cpu: { cpus: '0-x' } }), /^\/linux\/resources\/cpu\/cpus: invalid list "0-x"/);
  throwsMsg(() => f.open().apply({ cpu: { cpus: '0,9' } }), /^\/linux\/resources\/cpu\/cpus: 9 in "0,9" is not available \(have "0-3"\)/);
  throwsMsg(() => f.open().apply({ cpu: { realtimeRuntime: 100 } }), /^\/linux\/resources\/cpu\/realtimeRuntime: realtime .* not supported on cgroup v2/);
  throwsMsg(() => f.open().apply({ cpu: { quota: 1000, burst: 2000 } }), /^\/linux\/resources\/cpu\/burst: /);
}));

test('pids: -1 is max, 0 is a real limit', withFake((f) => {
  f.open().apply({ pids: { limit: -1 } });
  f.open().apply({ pids: { limit: 0 } });
  f.open().apply({ pids: { limit: 10 } });
  assert.equal(f.log(), ['ocirt/c1/pids.max=max', 'ocirt/c1/pids.max=0', 'ocirt/c1/pids.max=10']);
}));

test('io: weights converted as runc converts blkio weights; throttles become io.max lines', withFake((f) => {
  assert.is(blkioWeightToIoWeight(10), 1);
  assert.is(blkioWeightToIoWeight(500), 4950);
  assert.is(blkioWeightToIoWeight(1000), 10000);
  f.open().apply({
    blockIO: {
      weight: 500,
      weightDevice: [{ major: 8, minor: 0, weight: 100 }],
      throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1048576 }],
      throttleWriteBpsDevice: [{ major: 8, minor: 0, rate: 2097152 }],
      throttleReadIOPSDevice: [{ major: 8, minor: 16, rate: 100 }],
      throttleWriteIOPSDevice: [{ major: 8, minor: 16, rate: 200 }],
    },
  });
  assert.equal(f.log(), [
    'ocirt/c1/io.weight=default 4950',
    'ocirt/c1/io.weight=8:0 910',
    'ocirt/c1/io.max=8:0 rbps=1048576',
    'ocirt/c1/io.max=8:0 wbps=2097152',
    'ocirt/c1/io.max=8:16 riops=100',
    'ocirt/c1/io.max=8:16 wiops=200',
  ]);
}));

test('io: with BFQ the weight goes to io.bfq.weight unconverted', withFake((f) => {
  const m = f.open();
  fs.writeFileSync(path.join(f.root, 'ocirt/c1/io.bfq.weight'), '');
  m.apply({ blockIO: { weight: 500 } });
  assert.equal(f.log(), ['ocirt/c1/io.bfq.weight=500']);
}));

test('hugetlb (with rsvd) and rdma', withFake((f) => {
  f.open().apply({ hugepageLimits: [{ pageSize: '2MB', limit: 4194304 }], rdma: { mlx5_1: { hcaHandles: 3, hcaObjects: 10000 } } });
  assert.equal(f.log(), ['ocirt/c1/hugetlb.2MB.max=4194304', 'ocirt/c1/hugetlb.2MB.rsvd.max=4194304', 'ocirt/c1/rdma.max=mlx5_1 hca_handle=3 hca_object=10000']);
  throwsMsg(() => f.open().apply({ hugepageLimits: [{ pageSize: '1GB', limit: 1 }] }), /^\/linux\/resources\/hugepageLimits\/0\/limit: this kernel has no hugetlb\.1GB\.max \(the hugetlb controller is enabled/);
}));

test('unified: known keys are written; an unknown key is an error naming it', withFake((f) => {
  f.open().apply({ unified: { 'memory.max': '1000000', 'pids.max': '5' } });
  assert.equal(f.log(), ['ocirt/c1/memory.max=1000000', 'ocirt/c1/pids.max=5']);
  throwsMsg(() => f.open().apply({ unified: { 'memory.bogus': '1' } }), /^\/linux\/resources\/unified\/memory\.bogus: unknown cgroup file "memory\.bogus": no such file/);
  throwsMsg(() => f.open().apply({ unified: { 'misc.max': '1' } }), /^\/linux\/resources\/unified\/misc\.max: .*the misc controller is not enabled/);
  throwsMsg(() => f.open().apply({ unified: { '../cgroup.procs': '1' } }), /^\/linux\/resources\/unified\/\.\.~1cgroup\.procs: unknown cgroup file/);
}));

test('a missing controller file is a clear error naming the field', withFake((f) => {
  const m = f.open();
  fs.rmSync(path.join(f.root, 'ocirt/c1/pids.max'));
  fs.writeFileSync(path.join(f.root, 'ocirt/c1/cgroup.controllers'), 'cpu memory\n');
  throwsMsg(() => m.apply({ pids: { limit: 5 } }), /^\/linux\/resources\/pids\/limit: the pids controller is not available in .* \(no pids\.max\)/);
}));

test('devices: the program allows /dev/null, denies a block device, last rule wins', withFake((f) => {
  f.open().apply({
    devices: [
      { allow: false, access: 'rwm' },
      { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
      { allow: true, type: 'c', major: 136, access: 'rw' },
      { allow: true, type: 'b', major: 8, minor: 0, access: 'r' },
      { allow: false, type: 'b', major: 8, minor: 0, access: 'r' },
    ],
  });
  assert.is(f.programs.length, 1);
  const p = f.programs[0];
  assert.is(runDeviceProgram(p, 'c', 1, 3, 'rw'), 1, '/dev/null');
  assert.is(runDeviceProgram(p, 'c', 1, 3, 'm'), 1, 'mknod /dev/null');
  assert.is(runDeviceProgram(p, 'c', 1, 5, 'r'), 0, '/dev/zero is not listed');
  assert.is(runDeviceProgram(p, 'c', 136, 7, 'rw'), 1, 'pty any minor');
  assert.is(runDeviceProgram(p, 'c', 136, 7, 'm'), 0, 'pty mknod not granted');
  assert.is(runDeviceProgram(p, 'b', 8, 0, 'r'), 0, 'sda denied by the later rule');
  assert.is(runDeviceProgram(p, 'b', 8, 1, 'r'), 0, 'sda1 denied by default');
}));

test('devices: allow-all first then nothing else is one unconditional verdict', withFake((f) => {
  f.open().apply({ devices: [{ allow: true }] });
  assert.is(f.programs[0].length, 8 * 8, 'prologue of 6, then mov and exit');
  assert.is(runDeviceProgram(f.programs[0], 'b', 8, 0, 'rwm'), 1);
}));

test('devices: without a leading deny-all the cgroup default (allow) remains', withFake((f) => {
  f.open().apply({ devices: [{ allow: false, type: 'c', major: 1, minor: 5, access: 'rwm' }] });
  assert.is(runDeviceProgram(f.programs[0], 'c', 1, 5, 'r'), 0);
  assert.is(runDeviceProgram(f.programs[0], 'b', 8, 0, 'r'), 1);
}));

test('devices: effective rules add runc\'s defaults after the config\'s deny-all; update ignores devices', withFake((f) => {
  const rules = effectiveDeviceRules([{ allow: false, access: 'rwm' }]);
  f.open().apply({ devices: rules });
  const p = f.programs[0];
  for (const [maj, min] of [[1, 3], [1, 5], [1, 7], [1, 8], [1, 9], [5, 0], [5, 2], [10, 200], [136, 4]]) assert.is(runDeviceProgram(p, 'c', maj, min, 'rw'), 1, `c ${maj}:${min}`);
  assert.is(runDeviceProgram(p, 'c', 5, 1, 'r'), 0, 'no /dev/console (c 5:1) by default, as runc');
  assert.is(runDeviceProgram(p, 'c', 5, 1, 'w'), 0, 'no /dev/console (c 5:1) by default, as runc');
  assert.is(runDeviceProgram(p, 'b', 8, 0, 'r'), 0);
  assert.is(runDeviceProgram(p, 'b', 8, 0, 'm'), 1, 'mknod of any node, as runc allows');
  f.open().update({ devices: [{ allow: false, access: 'rwm' }], pids: { limit: 3 } });
  assert.is(f.programs.length, 1);
  assert.ok(f.log().includes('ocirt/c1/pids.max=3'));
}));

test('devices: a deny in the config wins over the defaults, before or after them', () => {
  const deny = (major: number, minor: number) => ({ allow: false, type: 'c', major, minor, access: 'rwm' });
  assert.equal(effectiveDeviceRules([{ allow: false, access: 'rwm' }, deny(1, 5)]).slice(-1), [deny(1, 5)], 'after the defaults');
  assert.equal(effectiveDeviceRules([deny(1, 3)]).slice(-1), [deny(1, 3)], 'no "a" rule: defaults first');
  const allowAllLater = effectiveDeviceRules([deny(1, 3), { allow: true, access: 'rwm' }, deny(1, 9)]);
  assert.equal(allowAllLater.slice(0, 2), [deny(1, 3), { allow: true, access: 'rwm' }], 'defaults after the last "a" rule');
  assert.equal(allowAllLater.slice(-1), [deny(1, 9)]);
  assert.equal(effectiveDeviceRules(undefined).length, 11, 'no config rules: the defaults alone');
});

test('devices: the effective program denies what the config denies, also default devices', withFake((f) => {
  f.open().apply({
    devices: effectiveDeviceRules([
      { allow: false, access: 'rwm' },
      { allow: false, type: 'c', major: 1, minor: 11, access: 'rwm' },
      { allow: false, type: 'c', major: 1, minor: 5, access: 'w' },
      { allow: true, type: 'c', major: 1, minor: 11, access: 'r' },
    ]),
  });
  const p = f.programs[0];
  assert.is(runDeviceProgram(p, 'c', 1, 5, 'r'), 1, '/dev/zero still readable');
  assert.is(runDeviceProgram(p, 'c', 1, 5, 'w'), 0, '/dev/zero write denied by the config');
  assert.is(runDeviceProgram(p, 'c', 1, 11, 'r'), 1, 'kmsg read allowed by the later rule');
  assert.is(runDeviceProgram(p, 'c', 1, 11, 'w'), 0, 'kmsg write denied');
  assert.is(runDeviceProgram(p, 'c', 1, 3, 'rw'), 1, '/dev/null');
}));

test('freeze, thaw, kill write their files', withFake((f) => {
  const m = f.open();
  m.freeze();
  assert.is(m.state(), 'frozen');
  m.thaw();
  assert.is(m.state(), 'thawed');
  m.killAll('SIGKILL');
  assert.equal(f.log(), ['ocirt/c1/cgroup.freeze=1', 'ocirt/c1/cgroup.freeze=0', 'ocirt/c1/cgroup.kill=1']);
}));

test('stats read cpu.stat, memory and pids in runc\'s shapes', withFake((f) => {
  const m = f.open();
  const w = (n: string, v: string) => fs.writeFileSync(path.join(f.root, 'ocirt/c1', n), v);
  w('cpu.stat', 'usage_usec 2000\nuser_usec 1500\nsystem_usec 500\nnr_periods 10\nnr_throttled 2\nthrottled_usec 300\n');
  w('memory.current', '4096\n');
  w('memory.max', '8192\n');
  w('memory.stat', 'anon 1024\nfile 2048\n');
  w('memory.events', 'low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n');
  w('pids.current', '4\n');
  w('pids.max', '10\n');
  // The second device shows only some keys, as a discard-only or older kernel's line does.
  w('io.stat', '8:0 rbytes=100 wbytes=200 rios=1 wios=2 dbytes=0 dios=0\n98:0 dbytes=5 dios=1 wbytes=7\n');
  const st = m.stats();
  assert.equal(st.cpu.usage, { total: 2000000, kernel: 500000, user: 1500000 });
  assert.equal(st.cpu.throttling, { periods: 10, throttledPeriods: 2, throttledTime: 300000 });
  assert.is(st.memory.cache, 2048);
  assert.equal(st.memory.usage, { limit: 8192, usage: 4096, max: undefined, failcnt: 3 });
  assert.equal(st.pids, { current: 4, limit: 10 });
  assert.equal(st.blkio.ioServiceBytesRecursive, [
    { major: 8, minor: 0, op: 'Read', value: 100 },
    { major: 8, minor: 0, op: 'Write', value: 200 },
    { major: 98, minor: 0, op: 'Write', value: 7 },
  ]);
  assert.equal(st.blkio.ioServicedRecursive, [
    { major: 8, minor: 0, op: 'Read', value: 1 },
    { major: 8, minor: 0, op: 'Write', value: 2 },
  ]);
  assert.is(m.oomCount(), 1);
}));

test('create refuses a cgroup in use; the failed create\'s destroy leaves it', withFake((f) => {
  const m = f.open();
  fs.writeFileSync(path.join(f.root, 'ocirt/c1/cgroup.procs'), '4242\n');
  throwsMsg(() => m.create(), /^\/linux\/cgroupsPath: cgroup \/ocirt\/c1 is not empty: 1 process\(es\) found/);
  m.destroy();
  assert.ok(fs.existsSync(path.join(f.root, 'ocirt/c1/cgroup.procs')));
  fs.writeFileSync(path.join(f.root, 'ocirt/c1/cgroup.procs'), '');
  fs.writeFileSync(path.join(f.root, 'ocirt/c1/cgroup.freeze'), '1\n');
  throwsMsg(() => f.open().create(), /is frozen/);
}));

test('destroy removes the cgroup directory', withFake((f) => {
  const m = f.open();
  m.destroy();
  assert.not.ok(fs.existsSync(path.join(f.root, 'ocirt/c1')));
  assert.ok(fs.existsSync(path.join(f.root, 'ocirt')), 'the parent stays');
}));

test.run();

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fakeV1, FakeCgroupfs } from '../helpers/cgroupfs';
import { throwsMsg } from '../helpers/throws';

function withFake(fn: (f: FakeCgroupfs) => void, hybrid = false): () => void {
  return () => {
    const f = fakeV1({ hybrid });
    try {
      fn(f);
    } finally {
      f.cleanup();
    }
  };
}


test('legacy layout: one directory per controller, co-mounted ones shared', withFake((f) => {
  const m = f.open();
  assert.is(m.version, 1);
  assert.is(m.dirs.memory, path.join(f.root, 'memory/ocirt/c1'));
  assert.is(m.dirs.cpu, path.join(f.root, 'cpu,cpuacct/ocirt/c1'));
  assert.is(m.dirs.cpuacct, m.dirs.cpu);
  assert.is(m.dirs.unified, undefined);
  assert.is(m.v2Dir, undefined);
  assert.equal(m.freezerProbe, { file: path.join(f.root, 'freezer/ocirt/c1/freezer.state'), frozen: 'FROZEN' });
}));

test('hybrid layout: the v1 driver also places the cgroup in the cgroup2 mount', withFake((f) => {
  const m = f.open();
  assert.is(m.version, 1);
  assert.is(m.dirs.unified, path.join(f.root, 'unified/ocirt/c1'));
  m.addProcess(1234);
  assert.ok(f.log().includes('unified/ocirt/c1/cgroup.procs=1234'));
  assert.ok(f.log().includes('memory/ocirt/c1/cgroup.procs=1234'));
}, true));

test('create makes nested parents in every hierarchy and destroy removes the leaf', withFake((f) => {
  // A fake cgroupfs has no interface files in new directories, so cpuset's copy from the parent
  // is covered by the real v1 tests; here the cpuset hierarchy is left out.
  const mi = f.mountinfo.split('\n').filter((l) => !l.includes('cpuset')).join('\n');
  const m = f.open({ cgroupsPath: '/new/deep', mountinfo: mi }, '/unused');
  m.create();
  assert.ok(fs.statSync(path.join(f.root, 'memory/new/deep')).isDirectory());
  assert.ok(fs.statSync(path.join(f.root, 'cpu,cpuacct/new/deep')).isDirectory());
  m.destroy();
  assert.not.ok(fs.existsSync(path.join(f.root, 'memory/new/deep')));
  assert.ok(fs.existsSync(path.join(f.root, 'memory/new')));
}));

test('memory: limit, memsw (raised first when the limit grows past it), soft limit, swappiness, OOM killer', withFake((f) => {
  const m = f.open();
  fs.writeFileSync(path.join(f.root, 'memory/ocirt/c1/memory.memsw.limit_in_bytes'), '1000\n');
  m.apply({ memory: { limit: 4000, swap: 8000, reservation: 2000, swappiness: 0, disableOOMKiller: true } });
  assert.equal(f.log(), [
    'memory/ocirt/c1/memory.memsw.limit_in_bytes=8000',
    'memory/ocirt/c1/memory.limit_in_bytes=4000',
    'memory/ocirt/c1/memory.soft_limit_in_bytes=2000',
    'memory/ocirt/c1/memory.swappiness=0',
    'memory/ocirt/c1/memory.oom_control=1',
  ]);
  f.writes.length = 0;
  fs.writeFileSync(path.join(f.root, 'memory/ocirt/c1/memory.memsw.limit_in_bytes'), '8000\n');
  m.apply({ memory: { limit: 1000, swap: 2000 } });
  assert.equal(f.log(), ['memory/ocirt/c1/memory.limit_in_bytes=1000', 'memory/ocirt/c1/memory.memsw.limit_in_bytes=2000']);
  throwsMsg(() => m.apply({ memory: { swappiness: 101 } }), /^\/linux\/resources\/memory\/swappiness: 101 is not in \[0, 100\]/);
}));

test('memory: -1 is written as -1 (unlimited on v1) and lifts memsw first, as runc; kernel limits only warn', withFake((f) => {
  f.open().apply({ memory: { limit: -1, kernel: 1, kernelTCP: 1 } });
  assert.equal(f.log(), ['memory/ocirt/c1/memory.memsw.limit_in_bytes=-1', 'memory/ocirt/c1/memory.limit_in_bytes=-1']);
  assert.is(f.warnings.length, 2);
}));

test('cpu: shares, CFS quota/period/burst, realtime, idle, cpuset', withFake((f) => {
  f.open().apply({ cpu: { shares: 512, quota: 20000, period: 100000, burst: 5000, realtimePeriod: 1000000, realtimeRuntime: 950000, idle: 1, cpus: '1', mems: '0' } });
  assert.equal(f.log(), [
    'cpu,cpuacct/ocirt/c1/cpu.shares=512',
    'cpu,cpuacct/ocirt/c1/cpu.cfs_period_us=100000',
    'cpu,cpuacct/ocirt/c1/cpu.cfs_quota_us=20000',
    'cpu,cpuacct/ocirt/c1/cpu.cfs_burst_us=5000',
    'cpu,cpuacct/ocirt/c1/cpu.rt_period_us=1000000',
    'cpu,cpuacct/ocirt/c1/cpu.rt_runtime_us=950000',
    'cpu,cpuacct/ocirt/c1/cpu.idle=1',
    'cpuset/ocirt/c1/cpuset.cpus=1',
    'cpuset/ocirt/c1/cpuset.mems=0',
  ]);
  throwsMsg(() => f.open().apply({ cpu: { mems: '0-1' } }), /^\/linux\/resources\/cpu\/mems: 1 in "0-1" is not available/);
}));

test('pids, blkio, hugetlb, network, rdma', withFake((f) => {
  f.open().apply({
    pids: { limit: -1 },
    blockIO: {
      weight: 300,
      leafWeight: 200,
      weightDevice: [{ major: 8, minor: 0, weight: 500, leafWeight: 100 }],
      throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1000 }],
      throttleWriteIOPSDevice: [{ major: 8, minor: 0, rate: 10 }],
    },
    hugepageLimits: [{ pageSize: '2MB', limit: 2097152 }],
    network: { classID: 1048577, priorities: [{ name: 'eth0', priority: 5 }] },
    rdma: { mlx4_0: { hcaHandles: 2 } },
  });
  assert.equal(f.log(), [
    'pids/ocirt/c1/pids.max=max',
    'blkio/ocirt/c1/blkio.weight=300',
    'blkio/ocirt/c1/blkio.leaf_weight=200',
    'blkio/ocirt/c1/blkio.weight_device=8:0 500',
    'blkio/ocirt/c1/blkio.leaf_weight_device=8:0 100',
    'blkio/ocirt/c1/blkio.throttle.read_bps_device=8:0 1000',
    'blkio/ocirt/c1/blkio.throttle.write_iops_device=8:0 10',
    'hugetlb/ocirt/c1/hugetlb.2MB.limit_in_bytes=2097152',
    'hugetlb/ocirt/c1/hugetlb.2MB.rsvd.limit_in_bytes=2097152',
    'net_cls/ocirt/c1/net_cls.classid=1048577',
    'net_prio/ocirt/c1/net_prio.ifpriomap=eth0 5',
    'rdma/ocirt/c1/rdma.max=mlx4_0 hca_handle=2',
  ]);
}));

test('devices: deny all, then the list in order', withFake((f) => {
  f.open().apply({
    devices: [
      { allow: false, access: 'rwm' },
      { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
      { allow: true, type: 'c', major: 136, access: 'rw' },
      { allow: false, type: 'b', minor: 0, access: 'm' },
    ],
  });
  assert.equal(f.log(), [
    'devices/ocirt/c1/devices.deny=a',
    'devices/ocirt/c1/devices.deny=a',
    'devices/ocirt/c1/devices.allow=c 1:3 rwm',
    'devices/ocirt/c1/devices.allow=c 136:* rw',
    'devices/ocirt/c1/devices.deny=b *:0 m',
  ]);
  throwsMsg(() => f.open().apply({ devices: [{ allow: true, type: 'x' }] }), /^\/linux\/resources\/devices\/0\/type: invalid device type "x"/);
}));

test('devices re-applied on a default-deny cgroup: only the differences, never deny-all', withFake((f) => {
  const m = f.open();
  fs.writeFileSync(path.join(f.root, 'devices/ocirt/c1/devices.list'), 'c 1:3 rwm\nc 136:* rw\nb 8:0 r\n');
  m.apply({
    devices: [
      { allow: false, access: 'rwm' },
      { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
      { allow: true, type: 'c', major: 136, access: 'rwm' },
      { allow: true, type: 'c', major: 1, minor: 5, access: 'r' },
      { allow: true, type: 'c', major: 1, minor: 5, access: 'w' },
      { allow: false, type: 'c', major: 1, minor: 5, access: 'r' },
    ],
  });
  assert.equal(f.log(), [
    'devices/ocirt/c1/devices.allow=c 136:* m',
    'devices/ocirt/c1/devices.allow=c 1:5 w',
    'devices/ocirt/c1/devices.deny=b 8:0 r',
  ]);
  f.writes.length = 0;
  fs.writeFileSync(path.join(f.root, 'devices/ocirt/c1/devices.list'), 'c 1:3 rwm\n');
  m.apply({ devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }] });
  assert.equal(f.log(), [], 'the same list writes nothing');
}));

test('unified is refused on v1 naming the field', withFake((f) => {
  throwsMsg(() => f.open().apply({ unified: { 'memory.max': '1' } }), /^\/linux\/resources\/unified: requires cgroup v2/);
}));

test('a controller that is not mounted is an error naming the field', withFake((f) => {
  const mi = f.mountinfo.split('\n').filter((l) => !l.includes('hugetlb')).join('\n');
  throwsMsg(() => f.open({ mountinfo: mi }).apply({ hugepageLimits: [{ pageSize: '2MB', limit: 1 }] }), /^\/linux\/resources\/hugepageLimits\/0: the hugetlb controller is not mounted/);
}));

test('freeze writes FROZEN and thaw THAWED', withFake((f) => {
  const m = f.open();
  m.freeze();
  assert.is(m.state(), 'frozen');
  m.thaw();
  assert.equal(f.log(), ['freezer/ocirt/c1/freezer.state=FROZEN', 'freezer/ocirt/c1/freezer.state=THAWED']);
}));

test('stats in runc\'s shapes from cpuacct, memory, pids, blkio', withFake((f) => {
  const m = f.open();
  const w = (c: string, n: string, v: string) => fs.writeFileSync(path.join(f.root, c, 'ocirt/c1', n), v);
  w('cpu,cpuacct', 'cpuacct.usage', '123456789\n');
  w('cpu,cpuacct', 'cpuacct.stat', 'user 10\nsystem 5\n');
  w('cpu,cpuacct', 'cpu.stat', 'nr_periods 3\nnr_throttled 1\nthrottled_time 999\n');
  w('memory', 'memory.usage_in_bytes', '4096\n');
  w('memory', 'memory.limit_in_bytes', '8192\n');
  w('memory', 'memory.stat', 'cache 100\ntotal_cache 200\n');
  w('memory', 'memory.oom_control', 'oom_kill_disable 0\nunder_oom 0\noom_kill 2\n');
  w('pids', 'pids.current', '3\n');
  w('pids', 'pids.max', 'max\n');
  const st = m.stats();
  assert.is(st.cpu.usage.total, 123456789);
  assert.is(st.cpu.usage.user, 100000000);
  assert.is(st.cpu.usage.kernel, 50000000);
  assert.equal(st.cpu.throttling, { periods: 3, throttledPeriods: 1, throttledTime: 999 });
  assert.is(st.memory.cache, 200);
  assert.is(st.memory.usage!.usage, 4096);
  assert.is(st.memory.usage!.limit, 8192);
  assert.equal(st.pids, { current: 3, limit: 0 });
  assert.is(m.oomCount(), 2);
}));

test('destroy removes every hierarchy\'s directory', withFake((f) => {
  const m = f.open();
  m.destroy();
  for (const d of Object.values(m.dirs)) assert.not.ok(fs.existsSync(d), d);
}, true));

test.run();

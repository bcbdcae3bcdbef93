/**
 * The systemd driver's pure parts: slice:prefix:name parsing and slice expansion, resources as
 * unit properties, device rules as DevicePolicy/DeviceAllow; and its errors without a systemd
 * (an unreachable bus is an error naming /linux/cgroupsPath, never a cgroupfs fallback).
 * test/integration/systemd.test.ts drives a real systemd.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { parseSystemdPath, expandSlice } from '../../src/cgroups/systemd-path';
import { resourceProps, deviceProps, cpuMask, quotaPerSecUSec, deviceNames } from '../../src/cgroups/systemd-props';
import { openManager } from '../../src/cgroups';
import { throwsMsg } from '../helpers/throws';


test('slice names nest as systemd nests them; -.slice is the root', () => {
  assert.is(expandSlice('system.slice'), '/system.slice');
  assert.is(expandSlice('a-b-c.slice'), '/a.slice/a-b.slice/a-b-c.slice');
  assert.is(expandSlice('-.slice'), '/');
  assert.is(expandSlice('kubepods-burstable-pod1234_5678.slice'), '/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1234_5678.slice');
  for (const bad of ['a--b.slice', '-a.slice', 'a-.slice', 'a.scope', 'a/b.slice', '.slice']) throwsMsg(() => expandSlice(bad), /^\/linux\/cgroupsPath: /);
});

test('slice:prefix:name as Docker, podman and containerd send it', () => {
  assert.equal(parseSystemdPath('system.slice:docker:0123abcd', 'x'), { slice: 'system.slice', unit: 'docker-0123abcd.scope', cgroup: '/system.slice/docker-0123abcd.scope' });
  assert.equal(parseSystemdPath('machine.slice:libpod:abc', 'x').cgroup, '/machine.slice/libpod-abc.scope');
  assert.equal(parseSystemdPath('kubepods-besteffort-pod9.slice:cri-containerd:c1', 'x').cgroup, '/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod9.slice/cri-containerd-c1.scope');
  assert.equal(parseSystemdPath('-.slice::bare', 'x'), { slice: '-.slice', unit: 'bare.scope', cgroup: '/bare.scope' });
  assert.equal(parseSystemdPath(':p:n', 'x').slice, 'system.slice');
  assert.equal(parseSystemdPath(undefined, 'myid').unit, 'ocirt-myid.scope');
  throwsMsg(() => parseSystemdPath('/not/slice/form', 'x'), /^\/linux\/cgroupsPath: "\/not\/slice\/form": expected 3 fields/);
  throwsMsg(() => parseSystemdPath('a.slice:p', 'x'), /expected 3 fields separated by ":", got 2/);
  throwsMsg(() => parseSystemdPath('a.slice:p:', 'x'), /the name is empty/);
  throwsMsg(() => parseSystemdPath('nota:p:n', 'x'), /does not end in "\.slice"/);
  throwsMsg(() => parseSystemdPath('a.slice:p:n/x', 'x'), /letters, digits/);
  throwsMsg(() => parseSystemdPath('a.slice:p:pod.slice', 'x'), /a slice as the container unit is not supported/);
});

test('resources as v2 unit properties (runc conversions), v1 ones on v1', () => {
  const r = { memory: { limit: 64 << 20, reservation: 32 << 20, swap: 96 << 20 }, cpu: { shares: 1024, quota: 25000, period: 100000, cpus: '0-1,9', mems: '0' }, pids: { limit: 42 }, blockIO: { weight: 500 } };
  const v2 = Object.fromEntries(resourceProps(r, 2).map(([k, sig, v]) => [k, [sig, v]]));
  assert.equal(v2.MemoryMax, ['t', 67108864n]);
  assert.equal(v2.MemoryLow, ['t', 33554432n]);
  assert.equal(v2.MemorySwapMax, ['t', 33554432n]);
  assert.equal(v2.CPUWeight, ['t', 39n]);
  assert.equal(v2.CPUQuotaPerSecUSec, ['t', 250000n]);
  assert.equal(v2.CPUQuotaPeriodUSec, ['t', 100000n]);
  assert.equal(Array.from(v2.AllowedCPUs[1] as Uint8Array), [0b11, 0b10]);
  assert.equal(Array.from(v2.AllowedMemoryNodes[1] as Uint8Array), [1]);
  assert.equal(v2.TasksMax, ['t', 42n]);
  assert.equal(v2.IOWeight, ['t', 4950n]);
  const v1 = Object.fromEntries(resourceProps(r, 1).map(([k, sig, v]) => [k, [sig, v]]));
  assert.equal(Object.keys(v1).sort(), ['BlockIOWeight', 'CPUQuotaPerSecUSec', 'CPUQuotaPeriodUSec', 'CPUShares', 'MemoryLimit', 'TasksMax']);
  assert.equal(v1.CPUShares, ['t', 1024n]);
  assert.equal(resourceProps({ memory: { limit: -1 }, pids: { limit: -1 } }, 2), [
    ['MemoryMax', 't', 18446744073709551615n],
    ['TasksMax', 't', 18446744073709551615n],
  ]);
  // systemd keeps quotas in 10 ms steps per second: rounded up, never below what was asked.
  assert.is(quotaPerSecUSec(12345, 100000), 130000n);
  assert.equal(Array.from(cpuMask('')), []);
});

test('device rules: deny-all then allows become DevicePolicy=strict; the rest is left to the files', () => {
  const names = deviceNames('Character devices:\n  1 mem\n136 pts\n\nBlock devices:\n  8 sd\n');
  const rules = [
    { allow: false, access: 'rwm' },
    { allow: true, type: 'c', major: null, minor: null, access: 'm' },
    { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
    { allow: true, type: 'c', major: 136, minor: null, access: 'rwm' },
    { allow: true, type: 'b', major: 8, minor: null, access: 'r' },
  ];
  assert.equal(deviceProps(rules, names), [
    ['DevicePolicy', 's', 'strict'],
    [
      'DeviceAllow',
      'a(ss)',
      [
        ['char-*', 'm'],
        ['/dev/char/1:3', 'rwm'],
        ['char-pts', 'rwm'],
        ['block-sd', 'r'],
      ],
    ],
  ]);
  assert.equal(deviceProps([{ allow: true, access: 'rwm' }], names), [['DevicePolicy', 's', 'auto']]);
  assert.equal(deviceProps([...rules, { allow: false, type: 'c', major: 1, minor: 3, access: 'w' }], names), [['DevicePolicy', 's', 'auto']]);
  assert.equal(deviceProps([rules[0], { allow: true, type: 'c', major: 250, minor: null, access: 'r' }], names), [['DevicePolicy', 's', 'auto']]);
});

test('no systemd on the bus: an error naming /linux/cgroupsPath, and nothing made in cgroupfs', () => {
  // A process of its own: the bus address is read when the first call opens the bus.
  const script = `
    const { openManager } = require(${JSON.stringify(path.resolve(__dirname, '../../src/cgroups/index.js'))});
    const m = openManager({ id: 'x', cgroupsPath: 'system.slice:ocirt:x', systemd: true });
    try { m.create(); console.log('created'); } catch (e) { console.log(e.message); }
    console.log(JSON.stringify(m.dirs));`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env: { ...process.env, DBUS_SYSTEM_BUS_ADDRESS: 'unix:path=/nonexistent/ocirt-test-bus' }, timeout: 20000 });
  const [msg, dirs] = r.stdout.trim().split('\n');
  assert.match(msg, /^\/linux\/cgroupsPath: --systemd-cgroup: no systemd reachable on the system bus \(unix:path=\/nonexistent\/ocirt-test-bus\)/);
  for (const d of Object.values(JSON.parse(dirs) as Record<string, string>)) assert.ok(!require('node:fs').existsSync(d), `${d} was made`);
  throwsMsg(() => openManager({ id: 'x', cgroupsPath: '/not/slice/form', systemd: true }), /^\/linux\/cgroupsPath: .*expected 3 fields/);
});

test.run();

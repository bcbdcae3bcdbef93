/**
 * The v2 driver on this host's cgroup2 mount (/sys/fs/cgroup/unified): it has no resource
 * controllers here, but freeze, cgroup.kill and the device eBPF program work on it. Resource
 * limits on v2 are covered in user-mode Linux (cgroups.v2-uml.test.ts).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import { openManager, CgroupManager } from '../../src/cgroups';
import { cgroupParentsMadeHere } from '../helpers/cgroup-parents';
import { parked, until, alive, delay, cloneIntoCgroup } from '../helpers/cgroup-proc';

const ROOT = '/sys/fs/cgroup/unified';
let n = 0;

async function withCgroup(fn: (m: CgroupManager) => Promise<void>): Promise<void> {
  const m = openManager({ id: 'x', root: ROOT, cgroupsPath: `/ocirt-test/v2-${process.pid}-${n++}` });
  assert.is(m.version, 2);
  m.create();
  try {
    await fn(m);
  } finally {
    m.destroy();
    assert.not.ok(fs.existsSync(m.v2Dir!));
  }
}

const parents = cgroupParentsMadeHere(['ocirt-test']);
test.after(() => parents.remove());

test('the device program allows /dev/null and denies /dev/zero and a block device', async () => {
  await withCgroup(async (m) => {
    const rules = [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }];
    m.apply({ devices: rules });
    m.apply({ devices: rules }); // replacing the program must work too
    const blk = fs.readdirSync('/dev').find((d) => /^(loop0|[sv]da|nvme0n1)$/.test(d));
    const p = parked('/bin/sh', ['-c', `read x; head -c1 /dev/null && echo null-ok; head -c1 /dev/zero >/dev/null 2>&1 || echo zero-denied; ${blk ? `head -c1 /dev/${blk} >/dev/null 2>&1 || echo blk-denied` : 'echo blk-denied'}`]);
    try {
      m.addProcess(p.pid);
      p.release();
      await p.exited;
      assert.match(p.out(), /null-ok\nzero-denied\nblk-denied/);
    } finally {
      p.kill();
    }
  });
});

test('freeze and thaw through cgroup.freeze', async () => {
  await withCgroup(async (m) => {
    const p = parked('/bin/sh', ['-c', 'read x; while :; do echo t; sleep 0.01; done']);
    try {
      m.addProcess(p.pid);
      p.release();
      assert.ok(await until(() => p.out().length > 0));
      m.freeze();
      assert.is(m.state(), 'frozen');
      const before = p.out().length;
      await delay(300);
      assert.is(p.out().length, before);
      m.thaw();
      assert.ok(await until(() => p.out().length > before));
    } finally {
      p.kill();
    }
  });
});

test('killAll(SIGKILL) uses cgroup.kill and reaches detached grandchildren', async () => {
  await withCgroup(async (m) => {
    const p = parked('/bin/sh', ['-c', 'read x; (sleep 100 &); sleep 100 & echo started; wait']);
    try {
      m.addProcess(p.pid);
      p.release();
      assert.ok(await until(() => m.pids().length >= 3));
      const list = m.pids();
      m.killAll(9);
      assert.ok(await until(() => list.every((x) => !alive(x))));
    } finally {
      p.kill();
    }
  });
});

test('CLONE_INTO_CGROUP places a new process straight into the cgroup', async () => {
  await withCgroup(async (m) => {
    const fd = m.intoCgroupFd!();
    try {
      const out = await cloneIntoCgroup(fd);
      assert.match(out, new RegExp(`^0::${m.path}$`, 'm'));
    } finally {
      fs.closeSync(fd);
    }
  });
});

test('create refuses a cgroup that already holds processes, and leaves it alone', async () => {
  await withCgroup(async (m) => {
    const p = parked('/bin/sleep', ['30']);
    try {
      m.addProcess(p.pid);
      const again = openManager({ id: 'y', root: ROOT, cgroupsPath: m.path });
      let msg = '';
      try {
        again.create();
      } catch (e) {
        msg = (e as Error).message;
      }
      assert.match(msg, /^\/linux\/cgroupsPath: cgroup .* is not empty: 1 process\(es\) found/);
      again.destroy(); // what a failed create's cleanup does: it must not touch the other's cgroup
      assert.ok(alive(p.pid));
      assert.equal(m.pids(), [p.pid]);
    } finally {
      p.kill();
    }
  });
});

test.run();

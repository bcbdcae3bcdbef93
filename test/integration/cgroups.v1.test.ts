/**
 * The v1 driver on this hybrid host, as root, with plain child processes placed in the cgroup.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openManager, CgroupManager, detect } from '../../src/cgroups';
import { cgroupParentsMadeHere } from '../helpers/cgroup-parents';
import { parked, parkedPython, until, alive, delay, PY } from '../helpers/cgroup-proc';

let n = 0;
function manager(): CgroupManager {
  return openManager({ id: `t${process.pid}-${n++}`, cgroupsPath: `/ocirt-test/v1-${process.pid}-${n}` });
}

/** Runs fn with a created cgroup; always destroys it (and the shared parent when empty). */
async function withCgroup(fn: (m: CgroupManager) => Promise<void>): Promise<void> {
  const m = manager();
  m.create();
  try {
    await fn(m);
  } finally {
    m.destroy();
    for (const d of Object.values(m.dirs)) assert.not.ok(fs.existsSync(d), `${d} removed`);
  }
}

// The shared parent made by these tests goes too.
const parents = cgroupParentsMadeHere(['ocirt-test']);
test.after(() => parents.remove());

test('this host is hybrid and the v1 driver also uses the cgroup2 mount', async () => {
  assert.is(detect(), 'hybrid');
  await withCgroup(async (m) => {
    assert.is(m.version, 1);
    assert.ok(m.dirs.unified && fs.existsSync(m.dirs.unified));
    // cpuset cgroups get the parent's cpus and mems, or no task could join.
    assert.is(fs.readFileSync(path.join(m.dirs.cpuset, 'cpuset.cpus'), 'utf8').trim(), fs.readFileSync('/sys/fs/cgroup/cpuset/cpuset.cpus', 'utf8').trim());
    const p = parked('/bin/sleep', ['30']);
    try {
      m.addProcess(p.pid);
      const cg = fs.readFileSync(`/proc/${p.pid}/cgroup`, 'utf8');
      assert.match(cg, new RegExp(`^0::${m.path}$`, 'm'));
      assert.match(cg, new RegExp(`:memory:${m.path}$`, 'm'));
      assert.equal(m.pids(), [p.pid]);
    } finally {
      p.kill();
    }
  });
});

test('a 32 MiB limit kills a process that allocates 64 MiB, and the OOM is seen', async () => {
  await withCgroup(async (m) => {
    m.apply({ memory: { limit: 32 << 20, swap: 32 << 20 } });
    let seen = 0;
    const stop = m.watchOom(() => seen++, 50);
    const p = parkedPython('s = b"x" * (64 << 20)\nprint("survived", flush=True)');
    try {
      m.addProcess(p.pid);
      p.release();
      const ex = await p.exited;
      assert.is(ex.signal, 'SIGKILL', p.out());
      assert.not.match(p.out(), /survived/);
      assert.ok(m.oomCount() >= 1, 'oom_kill counted');
      assert.ok(await until(() => seen >= 1, 2000), 'the watcher reported it');
      const st = m.stats();
      assert.is(st.memory.usage!.limit, 32 << 20);
    } finally {
      stop();
      p.kill();
    }
  });
});

test('a pids limit of 10 makes the 11th task fail to fork', async () => {
  await withCgroup(async (m) => {
    m.apply({ pids: { limit: 10 } });
    const p = parkedPython(`import os, time
kids = []
for i in range(20):
    try:
        pid = os.fork()
    except OSError as e:
        print("tasks", len(kids) + 1, "errno", e.errno, flush=True)
        break
    if pid == 0:
        time.sleep(30)
        os._exit(0)
    kids.append(pid)
for k in kids:
    os.kill(k, 9)
    os.waitpid(k, 0)`);
    try {
      m.addProcess(p.pid);
      p.release();
      await p.exited;
      assert.match(p.out(), /tasks 10 errno 11/);
      assert.is(m.stats().pids.limit, 10);
    } finally {
      p.kill();
    }
  });
});

test('a cpu quota of 20% caps usage (usage counters, loose bound) and throttles', async () => {
  await withCgroup(async (m) => {
    m.apply({ cpu: { quota: 20000, period: 100000 } });
    const p = parkedPython('while True: pass');
    try {
      m.addProcess(p.pid);
      const u0 = m.stats().cpu.usage.total!;
      const t0 = process.hrtime.bigint();
      p.release();
      await delay(1500);
      const wall = Number(process.hrtime.bigint() - t0);
      const st = m.stats();
      const used = st.cpu.usage.total! - u0;
      assert.ok(used > 0, 'it ran');
      assert.ok(used < 0.6 * wall, `used ${used} ns of ${wall} ns wall: not capped`);
      assert.ok((st.cpu.throttling.throttledPeriods ?? 0) > 0, 'throttled periods counted');
    } finally {
      p.kill();
    }
  });
});

test('freeze stops a process and thaw resumes it', async () => {
  await withCgroup(async (m) => {
    const p = parkedPython('import time\nwhile True:\n    print("t", flush=True)\n    time.sleep(0.01)');
    try {
      m.addProcess(p.pid);
      p.release();
      assert.ok(await until(() => p.out().length > 0), 'it prints');
      m.freeze();
      assert.is(m.state(), 'frozen');
      assert.is(fs.readFileSync(m.freezerProbe!.file, 'utf8').trim(), 'FROZEN');
      // What it printed before the freeze may still be in the pipe: let that arrive first.
      await delay(100);
      const before = p.out().length;
      await delay(300);
      assert.is(p.out().length, before, 'no output while frozen');
      m.thaw();
      assert.is(m.state(), 'thawed');
      assert.ok(await until(() => p.out().length > before), 'output resumes');
    } finally {
      p.kill();
      m.thaw();
    }
  });
});

test('update changes a live limit; a limit below usage is refused naming the field', async () => {
  await withCgroup(async (m) => {
    m.apply({ pids: { limit: 10 }, memory: { limit: 64 << 20 } });
    const p = parkedPython('s = b"x" * (24 << 20)\nprint("ready", flush=True)\nsys.stdin.readline()');
    try {
      m.addProcess(p.pid);
      p.release();
      assert.ok(await until(() => p.out().includes('ready')), p.out());
      m.update({ pids: { limit: 20 }, memory: { limit: 48 << 20 } });
      assert.is(fs.readFileSync(path.join(m.dirs.pids, 'pids.max'), 'utf8').trim(), '20');
      assert.is(Number(fs.readFileSync(path.join(m.dirs.memory, 'memory.limit_in_bytes'), 'utf8')), 48 << 20);
      let msg = '';
      try {
        m.update({ memory: { limit: 4 << 20 } });
      } catch (e) {
        msg = (e as Error).message;
      }
      assert.match(msg, /^\/linux\/resources\/memory\/limit: cannot set 4194304: the limit is below the current usage/);
      let msg2 = '';
      try {
        m.update({ memory: { limit: 4 << 20, checkBeforeUpdate: true } });
      } catch (e) {
        msg2 = (e as Error).message;
      }
      assert.match(msg2, /^\/linux\/resources\/memory\/limit: new limit 4194304 is below the current usage/);
      assert.ok(alive(p.pid), 'the refused update did not kill it');
    } finally {
      p.kill();
    }
  });
});

test('an invalid cpuset is refused naming the field', async () => {
  await withCgroup(async (m) => {
    let msg = '';
    try {
      m.apply({ cpu: { cpus: '0-999' } });
    } catch (e) {
      msg = (e as Error).message;
    }
    assert.match(msg, /^\/linux\/resources\/cpu\/cpus: \d+ in "0-999" is not available/);
  });
});

test('pids() lists forked processes and killAll reaches them', async () => {
  await withCgroup(async (m) => {
    // The grandchild is detached from the shell (a subshell that exits), as a daemon would be.
    const p = parked('/bin/sh', ['-c', 'read x; (sleep 100 &); sleep 100 & sleep 100 & echo started; wait']);
    try {
      m.addProcess(p.pid);
      p.release();
      assert.ok(await until(() => p.out().includes('started') && m.pids().length >= 4), `pids ${m.pids()}`);
      const list = m.pids();
      assert.ok(list.includes(p.pid));
      m.killAll('SIGKILL');
      assert.ok(await until(() => list.every((x) => !alive(x))), 'every process died');
      assert.equal(m.pids(), []);
    } finally {
      p.kill();
    }
  });
});

test('v1 device list: /dev/null allowed, /dev/zero denied', async () => {
  await withCgroup(async (m) => {
    m.apply({ devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }] });
    const p = parked('/bin/sh', ['-c', 'read x; head -c1 /dev/null && echo null-ok; head -c1 /dev/zero >/dev/null 2>&1 || echo zero-denied']);
    try {
      m.addProcess(p.pid);
      p.release();
      await p.exited;
      assert.match(p.out(), /null-ok\nzero-denied/);
      // Re-applying to a cgroup in use changes only the differences.
      m.apply({ devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 5, access: 'r' }] });
      assert.equal(fs.readFileSync(path.join(m.dirs.devices, 'devices.list'), 'utf8').trim().split('\n').sort(), ['c 1:3 rwm', 'c 1:5 r']);
      const q = parked('/bin/sh', ['-c', 'read x; head -c1 /dev/zero | wc -c']);
      m.addProcess(q.pid);
      q.release();
      await q.exited;
      assert.is(q.out().trim(), '1');
    } finally {
      p.kill();
    }
  });
});

test('destroy removes the cgroup while processes linger, even frozen', async () => {
  const m = manager();
  m.create();
  const p = parked('/bin/sh', ['-c', 'read x; sleep 100 & sleep 100']);
  try {
    m.addProcess(p.pid);
    p.release();
    assert.ok(await until(() => m.pids().length >= 2));
    const list = m.pids();
    m.freeze();
    m.destroy();
    for (const d of Object.values(m.dirs)) assert.not.ok(fs.existsSync(d), d);
    assert.ok(list.every((x) => !alive(x)));
  } finally {
    p.kill();
    if (fs.existsSync(m.dirs.memory)) m.destroy();
  }
});

test.run();

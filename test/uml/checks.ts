/**
 * Runs inside the user-mode Linux guest (test/uml/init.sh): real cgroup v2 checks of the v2
 * driver, each recorded as { ok, detail } in the results file that the host-side test reads
 * (test/integration/cgroups.v2-uml.test.ts). Every check cleans up its cgroup; the last one
 * checks that nothing is left.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openManager, CgroupManager } from '../../src/cgroups';
import { parked, parkedPython, until, alive, delay, cloneIntoCgroup } from '../helpers/cgroup-proc';

const ROOT = '/sys/fs/cgroup';
const results: Record<string, { ok: boolean; detail: string }> = {};
let n = 0;

function expect(cond: boolean, what: string): void {
  if (!cond) throw new Error(what);
}

function open(cgPath = `/ocirt-uml/c${n++}`): CgroupManager {
  return openManager({ id: 'uml', cgroupsPath: cgPath, root: ROOT });
}

async function check(name: string, fn: (m: CgroupManager) => Promise<string | void>, cgPath?: string): Promise<void> {
  const t0 = Date.now();
  const m = open(cgPath);
  try {
    m.create();
    const detail = (await fn(m)) ?? '';
    results[name] = { ok: true, detail: `${detail} (${Date.now() - t0} ms)`.trim() };
  } catch (e) {
    results[name] = { ok: false, detail: (e as Error).stack ?? String(e) };
  } finally {
    try {
      m.destroy();
    } catch (e) {
      results[name] = { ok: false, detail: `destroy: ${(e as Error).message}` };
    }
  }
}

const read = (m: CgroupManager, f: string) => fs.readFileSync(path.join(m.v2Dir!, f), 'utf8').trim();

async function main(out: string): Promise<void> {
  await check('layout', async (m) => {
    expect(m.version === 2, `version ${m.version}`);
    return fs.readFileSync(`${ROOT}/cgroup.controllers`, 'utf8').trim();
  });

  await check(
    'nested parents with subtree_control',
    async (m) => {
      for (const p of ['ocirt-uml', 'ocirt-uml/a', 'ocirt-uml/a/b']) {
        const sc = fs.readFileSync(`${ROOT}/${p}/cgroup.subtree_control`, 'utf8');
        for (const c of ['cpu', 'io', 'memory', 'pids']) expect(sc.includes(c), `${p}: ${c} not in subtree_control "${sc.trim()}"`);
      }
      const ctl = read(m, 'cgroup.controllers');
      expect(['cpu', 'io', 'memory', 'pids'].every((c) => ctl.includes(c)), `leaf controllers "${ctl}"`);
      return ctl;
    },
    '/ocirt-uml/a/b/leaf',
  );

  await check('memory.max enforced with an OOM event', async (m) => {
    m.apply({ memory: { limit: 32 << 20 } });
    expect(read(m, 'memory.max') === String(32 << 20), 'memory.max');
    let seen = 0;
    const stop = m.watchOom(() => seen++, 50);
    const p = parkedPython('s = b"x" * (64 << 20)\nprint("survived", flush=True)');
    try {
      m.addProcess(p.pid);
      p.release();
      const ex = await p.exited;
      expect(ex.signal === 'SIGKILL', `exit ${JSON.stringify(ex)} ${p.out()}`);
      expect(m.oomCount() >= 1, `memory.events: ${read(m, 'memory.events')}`);
      expect(await until(() => seen >= 1, 2000), 'watchOom did not report');
      return `oom_kill=${m.oomCount()}`;
    } finally {
      stop();
      p.kill();
    }
  });

  await check('pids.max makes the 11th task fail', async (m) => {
    m.apply({ pids: { limit: 10 } });
    expect(read(m, 'pids.max') === '10', 'pids.max');
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
      expect(/tasks 10 errno 11/.test(p.out()), p.out());
      return p.out().trim();
    } finally {
      p.kill();
    }
  });

  await check('cpu.max, cpu.weight, io.max written; io weight reported clearly', async (m) => {
    m.apply({ cpu: { shares: 1024, quota: 20000, period: 100000 } });
    expect(read(m, 'cpu.max') === '20000 100000', `cpu.max ${read(m, 'cpu.max')}`);
    expect(read(m, 'cpu.weight') === '39', `cpu.weight ${read(m, 'cpu.weight')}`);
    // The guest's block device is the ubd disk the test attached.
    const [major, minor] = fs.readFileSync('/sys/block/ubda/dev', 'utf8').trim().split(':').map(Number);
    m.apply({ blockIO: { throttleReadBpsDevice: [{ major, minor, rate: 1048576 }], throttleWriteIOPSDevice: [{ major, minor, rate: 100 }] } });
    const iomax = read(m, 'io.max');
    expect(iomax === `${major}:${minor} rbps=1048576 wbps=max riops=max wiops=100`, `io.max "${iomax}"`);
    // This kernel has neither iocost nor BFQ, so no io.weight: the error must say so, naming the field.
    let weight = '';
    if (fs.existsSync(path.join(m.v2Dir!, 'io.weight')) || fs.existsSync(path.join(m.v2Dir!, 'io.bfq.weight'))) {
      m.apply({ blockIO: { weight: 500 } });
      weight = read(m, fs.existsSync(path.join(m.v2Dir!, 'io.bfq.weight')) ? 'io.bfq.weight' : 'io.weight');
      expect(/500|4950/.test(weight), `io weight ${weight}`);
    } else {
      try {
        m.apply({ blockIO: { weight: 500 } });
      } catch (e) {
        weight = (e as Error).message;
      }
      expect(/^\/linux\/resources\/blockIO\/weight: this kernel has no io.weight/.test(weight), weight);
    }
    const p = parked('/bin/sh', ['-c', 'read x; while :; do :; done']);
    try {
      m.addProcess(p.pid);
      p.release();
      await delay(1000);
      const st = m.stats();
      expect((st.cpu.throttling.throttledPeriods ?? 0) > 0, `not throttled: ${read(m, 'cpu.stat')}`);
      return `io.max="${iomax}" weight: ${weight}; throttled periods ${st.cpu.throttling.throttledPeriods}`;
    } finally {
      p.kill();
    }
  });

  await check('update changes live limits; below-usage refused', async (m) => {
    m.apply({ pids: { limit: 10 }, memory: { limit: 64 << 20 } });
    const p = parkedPython('s = b"x" * (16 << 20)\nprint("ready", flush=True)\nsys.stdin.readline()');
    try {
      m.addProcess(p.pid);
      p.release();
      expect(await until(() => p.out().includes('ready'), 10000), p.out());
      m.update({ pids: { limit: 20 }, memory: { limit: 48 << 20, swap: -1 } });
      expect(read(m, 'pids.max') === '20' && read(m, 'memory.max') === String(48 << 20), 'update not applied');
      let msg = '';
      try {
        m.update({ memory: { limit: 4 << 20, checkBeforeUpdate: true } });
      } catch (e) {
        msg = (e as Error).message;
      }
      expect(/^\/linux\/resources\/memory\/limit: new limit 4194304 is below the current usage/.test(msg), `message: ${msg}`);
      expect(alive(p.pid), 'the refused update killed it');
      return msg;
    } finally {
      p.kill();
    }
  });

  await check('unified keys written and validated', async (m) => {
    m.apply({ unified: { 'pids.max': '7', 'memory.high': String(100 << 20) } });
    expect(read(m, 'pids.max') === '7', 'pids.max');
    let msg = '';
    try {
      m.apply({ unified: { 'memory.nonsense': '1' } });
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg.startsWith('/linux/resources/unified/memory.nonsense: '), msg);
    return msg;
  });

  await check('stats in runc shapes', async (m) => {
    const p = parked('/bin/sh', ['-c', 'read x; i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; sleep 30']);
    try {
      m.addProcess(p.pid);
      p.release();
      await delay(500);
      const st = m.stats();
      expect((st.cpu.usage.total ?? 0) > 0 && (st.memory.usage?.usage ?? 0) > 0 && (st.pids.current ?? 0) >= 1, JSON.stringify(st));
      return `cpu=${st.cpu.usage.total} mem=${st.memory.usage?.usage} pids=${st.pids.current}`;
    } finally {
      p.kill();
    }
  });

  await check('freeze and thaw', async (m) => {
    const p = parked('/bin/sh', ['-c', 'read x; while :; do echo t; sleep 0.05; done']);
    try {
      m.addProcess(p.pid);
      p.release();
      expect(await until(() => p.out().length > 0), 'no output');
      m.freeze();
      expect(m.state() === 'frozen' && /frozen 1/.test(read(m, 'cgroup.events')), 'not frozen');
      const before = p.out().length;
      await delay(400);
      expect(p.out().length === before, 'output while frozen');
      m.thaw();
      expect(await until(() => p.out().length > before), 'no output after thaw');
    } finally {
      p.kill();
    }
  });

  await check('cgroup.kill reaches detached processes', async (m) => {
    const p = parked('/bin/sh', ['-c', 'read x; (sleep 100 &); sleep 100 & echo started; wait']);
    try {
      m.addProcess(p.pid);
      p.release();
      expect(await until(() => m.pids().length >= 3), `pids ${m.pids()}`);
      const list = m.pids();
      m.killAll('SIGKILL');
      expect(await until(() => list.every((x) => !alive(x))), 'survivors');
      return `killed ${list.length}`;
    } finally {
      p.kill();
    }
  });

  await check('device program: /dev/null allowed, block device denied', async (m) => {
    m.apply({ devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }] });
    const p = parked('/bin/sh', ['-c', 'read x; head -c1 /dev/null && echo null-ok; head -c1 /dev/ubda >/dev/null; head -c1 /dev/zero >/dev/null']);
    const q = parked('/bin/sh', ['-c', 'read x; head -c1 /dev/ubda | wc -c']);
    try {
      m.addProcess(p.pid);
      p.release();
      q.release();
      await Promise.all([p.exited, q.exited]);
      const o = p.out();
      expect(/null-ok/.test(o) && /\/dev\/ubda.*Operation not permitted/.test(o) && /\/dev\/zero.*Operation not permitted/.test(o), o);
      expect(q.out().trim() === '1', `outside the cgroup the disk reads: ${q.out()}`);
      return o.replace(/\n/g, ' | ');
    } finally {
      p.kill();
      q.kill();
    }
  });

  await check('CLONE_INTO_CGROUP placement', async (m) => {
    const fd = m.intoCgroupFd!();
    try {
      const out = await cloneIntoCgroup(fd);
      expect(out.trim() === `0::${m.path}`, `child's cgroup: ${out}`);
      return out.trim();
    } finally {
      fs.closeSync(fd);
    }
  });

  // Every check destroyed its cgroup; the shared parents go now, and nothing may remain.
  for (const d of ['ocirt-uml/a/b', 'ocirt-uml/a', 'ocirt-uml']) {
    try {
      fs.rmdirSync(`${ROOT}/${d}`);
    } catch {
      /* reported below */
    }
  }
  results['nothing left behind'] = fs.existsSync(`${ROOT}/ocirt-uml`) ? { ok: false, detail: 'ocirt-uml remains' } : { ok: true, detail: '' };
  fs.writeFileSync(out, JSON.stringify(results, null, 1));
}

main(process.argv[2]).catch((e) => {
  results['harness'] = { ok: false, detail: (e as Error).stack ?? String(e) };
  fs.writeFileSync(process.argv[2], JSON.stringify(results, null, 1));
});

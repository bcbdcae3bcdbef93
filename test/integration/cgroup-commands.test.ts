/**
 * The cgroup commands on real containers of this (hybrid, v1) host, through the CLI as engines
 * call it: pause/resume, ps, update, events (stats and oom), kill --all, and delete of a
 * container whose processes linger.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { makeBundle, Bundle } from '../helpers/bundle';
import { Runtime, withRuntime, pidAlive, waitFor, OCIRT } from '../helpers/cli';

const V1 = '/sys/fs/cgroup';

async function withContainer(
  id: string,
  mutate: (c: any) => void,
  fn: (rt: Runtime, b: Bundle, pid: number) => void | Promise<void>,
): Promise<void> {
  const b = makeBundle(mutate);
  try {
    await withRuntime(async (rt) => {
      rt.ok(['create', '--bundle', b.dir, id]);
      rt.ok(['start', id]);
      await fn(rt, b, rt.state(id).pid);
    });
  } finally {
    b.cleanup();
  }
}

function readInt(file: string): number {
  return Number(fs.readFileSync(file, 'utf8').trim());
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

const counter = (c: any) => {
  c.process.args = ['/bin/sh', '-c', 'i=0; while :; do i=$((i+1)); echo $i > /tmp/n; sleep 0.02; done'];
};

test('pause freezes every process and state says paused; resume thaws them', () =>
  withContainer('cgc-p1', counter, async (rt, b) => {
    const n = path.join(b.rootfs, 'tmp/n');
    assert.ok(waitFor(() => fs.existsSync(n) && readInt(n) > 2), 'the counter runs');
    rt.ok(['pause', 'cgc-p1']);
    assert.is(rt.state('cgc-p1').status, 'paused');
    const frozen = readInt(n);
    await delay(300);
    assert.is(readInt(n), frozen, 'no progress while paused');
    assert.match(rt.run(['pause', 'cgc-p1']).stderr, /paused|not running/);
    rt.ok(['resume', 'cgc-p1']);
    assert.is(rt.state('cgc-p1').status, 'running');
    assert.ok(waitFor(() => readInt(n) > frozen), 'progress after resume');
    assert.match(rt.run(['resume', 'cgc-p1']).stderr, /not paused/);
  }));

test('a created container can be paused as with runc: paused, resumed to created, and delete -f of it kills it', async () => {
  const b = makeBundle((c) => (c.process.args = ['/bin/true']));
  try {
    await withRuntime((rt) => {
      rt.ok(['create', '--bundle', b.dir, 'cgc-pc']);
      const pid = rt.state('cgc-pc').pid;
      rt.ok(['pause', 'cgc-pc']);
      assert.is(rt.state('cgc-pc').status, 'paused');
      rt.ok(['resume', 'cgc-pc']);
      assert.is(rt.state('cgc-pc').status, 'created');
      rt.ok(['pause', 'cgc-pc']);
      // A frozen init keeps a queued SIGKILL until thawed: delete must thaw it whatever its status.
      rt.ok(['delete', '--force', 'cgc-pc']);
      assert.not.ok(pidAlive(pid), 'the init is gone');
      assert.not.ok(fs.existsSync(`${V1}/freezer/ocirt/cgc-pc`), 'the cgroup is gone');
    });
  } finally {
    b.cleanup();
  }
});

test('ps lists the init and the processes it forked, as json and as a table', () =>
  withContainer('cgc-ps1', (c) => (c.process.args = ['/bin/sh', '-c', 'sleep 1000 & sleep 1001 & wait']), (rt, _b, pid) => {
    assert.ok(waitFor(() => JSON.parse(rt.ok(['ps', '--format', 'json', 'cgc-ps1']).stdout).length === 3));
    const pids: number[] = JSON.parse(rt.ok(['ps', '--format', 'json', 'cgc-ps1']).stdout);
    assert.ok(pids.includes(pid), `init ${pid} in ${pids}`);
    const table = rt.ok(['ps', 'cgc-ps1']).stdout.trim().split('\n');
    assert.match(table[0], /PID/);
    assert.is(table.length, 4, table.join('\n'));
    assert.ok(table.some((l) => /sleep 1001/.test(l)));
  }));

test('update changes live limits, from flags and from --resources -', () =>
  withContainer('cgc-u1', (c) => (c.process.args = ['/bin/sleep', '1000']), (rt) => {
    rt.ok(['update', '--memory', '64m', '--pids-limit', '7', 'cgc-u1']);
    assert.is(readInt(`${V1}/memory/ocirt/cgc-u1/memory.limit_in_bytes`), 64 << 20);
    assert.is(fs.readFileSync(`${V1}/pids/ocirt/cgc-u1/pids.max`, 'utf8').trim(), '7');
    rt.ok(['update', '--resources', '-', 'cgc-u1'], { input: JSON.stringify({ pids: { limit: 9 }, cpu: { shares: 512 } }) });
    assert.is(fs.readFileSync(`${V1}/pids/ocirt/cgc-u1/pids.max`, 'utf8').trim(), '9');
    assert.is(readInt(`${V1}/cpu/ocirt/cgc-u1/cpu.shares`), 512);
    const bad = rt.run(['update', '--memory', 'lots', 'cgc-u1']);
    assert.is(bad.status, 1);
    assert.match(bad.stderr, /invalid value "lots" for --memory/);
  }));

test('events --stats prints runc\'s stats shape once', () =>
  withContainer('cgc-e1', (c) => (c.process.args = ['/bin/sleep', '1000']), (rt) => {
    const lines = rt.ok(['events', '--stats', 'cgc-e1']).stdout.trim().split('\n');
    assert.is(lines.length, 1);
    const ev = JSON.parse(lines[0]);
    assert.is(ev.type, 'stats');
    assert.is(ev.id, 'cgc-e1');
    assert.ok(ev.data.pids.current >= 1);
    assert.ok(ev.data.memory.usage.usage > 0);
    assert.ok(ev.data.cpu.usage.total >= 0);
  }));

test('a 32 MiB limit kills a 64 MiB allocation and events reports the oom', () =>
  withContainer(
    'cgc-oom1',
    (c) => {
      c.process.args = ['/bin/sh', '-c', 'sleep 0.5; dd if=/dev/zero of=/dev/null bs=64M count=1; echo dd-done > /tmp/after; sleep 1000'];
      c.linux.resources = { memory: { limit: 32 << 20, swap: 32 << 20 } };
    },
    async (rt, b) => {
      const ev = spawn(OCIRT, ['--root', rt.root, 'events', '--interval', '100ms', 'cgc-oom1'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      ev.stdout.on('data', (d) => (out += d));
      try {
        const deadline = Date.now() + 20_000;
        while (Date.now() < deadline && !/"type":"oom"/.test(out)) await delay(100);
        assert.match(out, /\{"type":"oom","id":"cgc-oom1"\}/, out.slice(0, 400));
        assert.ok(waitFor(() => fs.existsSync(path.join(b.rootfs, 'tmp/after'))), 'the shell went on after dd was killed');
      } finally {
        ev.kill('SIGKILL');
      }
    },
  ));

test('kill --all reaches processes forked inside; delete leaves no cgroup', () =>
  withContainer('cgc-k1', (c) => (c.process.args = ['/bin/sh', '-c', 'trap "" TERM; sleep 1000 & sleep 1000 & wait']), (rt, _b, pid) => {
    assert.ok(waitFor(() => JSON.parse(rt.ok(['ps', '--format', 'json', 'cgc-k1']).stdout).length === 3));
    const pids: number[] = JSON.parse(rt.ok(['ps', '--format', 'json', 'cgc-k1']).stdout);
    rt.ok(['kill', '--all', 'cgc-k1', 'KILL']);
    for (const p of pids) assert.ok(waitFor(() => !pidAlive(p)), `pid ${p} survived kill --all`);
    assert.ok(waitFor(() => rt.state('cgc-k1').status === 'stopped'));
    rt.ok(['delete', 'cgc-k1']);
    for (const ctrl of ['memory', 'pids', 'cpu', 'freezer']) assert.not.ok(fs.existsSync(`${V1}/${ctrl}/ocirt/cgc-k1`), `${ctrl} cgroup left`);
    assert.not.ok(pidAlive(pid));
  }));

test('delete --force of a running container kills what lingers and removes the cgroup', () =>
  withContainer(
    'cgc-d1',
    (c) => {
      // No pid namespace: killing the init alone would leave its children running.
      c.process.args = ['/bin/sh', '-c', 'sleep 1000 & sleep 1001 & wait'];
      c.linux.namespaces = c.linux.namespaces.filter((n: any) => n.type !== 'pid');
    },
    (rt) => {
    assert.ok(waitFor(() => JSON.parse(rt.ok(['ps', '--format', 'json', 'cgc-d1']).stdout).length === 3));
    const pids: number[] = JSON.parse(rt.ok(['ps', '--format', 'json', 'cgc-d1']).stdout);
    rt.ok(['delete', '--force', 'cgc-d1']);
    for (const p of pids) assert.ok(waitFor(() => !pidAlive(p)), `pid ${p} survived delete --force`);
    for (const ctrl of ['memory', 'pids', 'cpu', 'freezer']) assert.not.ok(fs.existsSync(`${V1}/${ctrl}/ocirt/cgc-d1`), `${ctrl} cgroup left`);
    },
  ));

test.run();

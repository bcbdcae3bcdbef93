import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { validateId, containerDir } from '../../src/state/paths';
import { writeRecord, readRecord, readIntent, writeIntent, listIds, nowRfc3339Nano, utcText, ContainerRecord, writeFileAtomic, validCgroupDesc } from '../../src/state/store';
import { deriveStatus, procStartTime } from '../../src/state/status';
import { parseSignal } from '../../src/runtime/signals';

function tmpRoot(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'ocirt-unit-'));
}

function record(id: string, pid: number, start: string): ContainerRecord {
  return { ociVersion: '1.3.0', id, pid, initStartTime: start, bundle: '/b', rootfs: '/b/rootfs', created: nowRfc3339Nano(), owner: '' };
}

test('ids: runc character set, no separators, no dot-dot', () => {
  for (const ok of ['a', 'abc-1_2+3.4', 'A9', 'x'.repeat(200)]) validateId(ok);
  for (const bad of ['', '.', '..', '../x', 'a/b', '.hidden', 'sp ace', 'tab\t', 'new\nline', 'é']) {
    assert.throws(() => validateId(bad), /container id|invalid container id/, JSON.stringify(bad));
  }
  assert.throws(() => containerDir('/run/ocirt', '../../etc'));
});

test('records round-trip atomically and leave no temp files', () => {
  const root = tmpRoot();
  try {
    fs.mkdirSync(path.join(root, 'c1'));
    writeRecord(root, record('c1', 1, '1'));
    assert.is(readRecord(root, 'c1')!.id, 'c1');
    assert.equal(fs.readdirSync(path.join(root, 'c1')), ['state.json']);
    assert.is(readRecord(root, 'nosuch'), undefined);
    assert.equal(listIds(root), ['c1']);
    assert.equal(listIds(path.join(root, 'missing')), []);
    writeFileAtomic(path.join(root, 'pid'), '42', 0o644);
    assert.is(fs.readFileSync(path.join(root, 'pid'), 'utf8'), '42');
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('a damaged record is corrupt, named by file, never half-trusted', () => {
  const root = tmpRoot();
  try {
    const dir = path.join(root, 'c');
    fs.mkdirSync(dir);
    const file = path.join(dir, 'state.json');
    const good = JSON.stringify(record('c', 1, '1'));
    const bad: [string, () => void][] = [
      ['empty', () => fs.writeFileSync(file, '')],
      ['truncated', () => fs.writeFileSync(file, good.slice(0, 20))],
      ['null', () => fs.writeFileSync(file, 'null')],
      ['[]', () => fs.writeFileSync(file, '[]')],
      ['{}', () => fs.writeFileSync(file, '{}')],
      ['another id', () => fs.writeFileSync(file, JSON.stringify(record('d', 1, '1')))],
      ['cgroup "x"', () => fs.writeFileSync(file, JSON.stringify({ ...record('c', 1, '1'), cgroup: 'x' }))],
      ['a symlink', () => fs.symlinkSync(path.join(root, 'elsewhere'), file)],
      ['a directory', () => fs.mkdirSync(file)],
    ];
    fs.writeFileSync(path.join(root, 'elsewhere'), good);
    for (const [what, damage] of bad) {
      fs.rmSync(file, { recursive: true, force: true });
      damage();
      assert.throws(() => readRecord(root, 'c'), (e: Error) => e.message.includes(file) && e.message.includes('"ocirt delete --force c" removes it'), what);
    }
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('a recorded cgroup must lie in the cgroup mount and end in its path', () => {
  const ok = { version: 1, path: '/ocirt/c', dirs: { memory: '/sys/fs/cgroup/memory/ocirt/c', unified: '/sys/fs/cgroup/unified/ocirt/c' } };
  assert.ok(validCgroupDesc(ok));
  assert.not.ok(validCgroupDesc({ ...ok, dirs: { x: '/etc' } }));
  assert.not.ok(validCgroupDesc({ ...ok, dirs: { x: '/sys/fs/cgroup/memory/../../../etc/ocirt/c' } }));
  assert.not.ok(validCgroupDesc({ ...ok, path: '/' }));
  assert.not.ok(validCgroupDesc({ ...ok, dirs: {} }));
  assert.not.ok(validCgroupDesc({ ...ok, version: 3 }));
  assert.not.ok(validCgroupDesc('x'));
});

test('the intent round-trips; a damaged one reads as none', () => {
  const root = tmpRoot();
  try {
    const dir = path.join(root, 'c');
    fs.mkdirSync(dir);
    const cgroup = { version: 2 as const, path: '/ocirt/c', dirs: { unified: '/sys/fs/cgroup/ocirt/c' } };
    writeIntent(dir, { id: 'c', createPid: 1, cgroup });
    assert.equal(readIntent(dir, 'c')?.cgroup, cgroup);
    assert.is(readIntent(dir, 'd'), undefined, 'another id');
    fs.writeFileSync(path.join(dir, 'intent.json'), '{');
    assert.is(readIntent(dir, 'c'), undefined);
    writeIntent(dir, { id: 'c', createPid: 1, cgroup: { ...cgroup, dirs: { unified: '/tmp/ocirt/c' } } });
    assert.is(readIntent(dir, 'c'), undefined, 'a cgroup outside the mount');
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('a write to a full or missing directory names the file', () => {
  assert.throws(() => writeFileAtomic('/nonexistent-dir/state.json', 'x'), /^create \/nonexistent-dir\/\.state\.json\.\d+\.tmp: no such file or directory$/);
});

test('created time is RFC 3339 with nanoseconds', () => {
  assert.match(nowRfc3339Nano(), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
});

test('status is derived: fifo, live init, start time, freezer', () => {
  const root = tmpRoot();
  try {
    const dir = path.join(root, 'c');
    fs.mkdirSync(dir);
    const me = procStartTime(process.pid)!;
    assert.ok(me);
    // No record, or the one create writes before it returns: creating while a create holds the
    // lock, the remains of a dead create without it.
    assert.is(deriveStatus(dir, undefined, () => true), 'creating');
    assert.is(deriveStatus(dir, undefined, () => false), 'stopped');
    assert.is(deriveStatus(dir, { ...record('c', 0, ''), creating: true }, () => true), 'creating');
    assert.is(deriveStatus(dir, { ...record('c', process.pid, me), creating: true }, () => false), 'stopped');
    assert.is(deriveStatus(dir, record('c', process.pid, me)), 'running');
    assert.is(deriveStatus(dir, { ...record('c', process.pid, me), creating: true }, () => true), 'creating');
    // A recycled pid (same number, other start time) is not our init.
    assert.is(deriveStatus(dir, record('c', process.pid, String(Number(me) + 1))), 'stopped');
    assert.is(deriveStatus(dir, record('c', 0, '')), 'stopped');
    fs.writeFileSync(path.join(dir, 'exec.fifo'), '');
    assert.is(deriveStatus(dir, record('c', process.pid, me)), 'created');
    fs.rmSync(path.join(dir, 'exec.fifo'));
    const freezer = path.join(root, 'freezer.state');
    fs.writeFileSync(freezer, 'FROZEN\n');
    const rec = { ...record('c', process.pid, me), cgroup: { version: 1 as const, path: '/x', dirs: {}, freezer: { file: freezer, frozen: 'FROZEN' } } };
    assert.is(deriveStatus(dir, rec), 'paused');
    fs.writeFileSync(freezer, 'THAWED\n');
    assert.is(deriveStatus(dir, rec), 'running');
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('signals: numbers, names with and without SIG, real-time', () => {
  assert.is(parseSignal(undefined), 15);
  assert.is(parseSignal('9'), 9);
  assert.is(parseSignal('KILL'), 9);
  assert.is(parseSignal('SIGKILL'), 9);
  assert.is(parseSignal('sigterm'), 15);
  assert.is(parseSignal('hup'), 1);
  assert.is(parseSignal('RTMIN+3'), 37);
  assert.is(parseSignal('SIGRTMAX'), 64);
  assert.is(parseSignal('0'), 0, 'kill(2)\'s existence probe, as runc passes it');
  for (const bad of ['65', 'NOPE', 'SIG', '-1', 'RTMIN+40']) assert.throws(() => parseSignal(bad), /unknown signal/, bad);
});

test('a lock that flock refuses reports flock\'s own errno, with its code', () => {
  const nativeModule = require('../../src/native') as { native: () => unknown };
  const real = nativeModule.native;
  const dir = tmpRoot();
  try {
    // EBADF (9) and ENOLCK (37, outside the table): each as it is, never "invalid argument".
    for (const [errno, text, code] of [[9, 'bad file descriptor', 'EBADF'], [37, 'errno 37', undefined]] as const) {
      nativeModule.native = () => ({ flock: () => errno, funlock: () => 0 });
      const { lockContainer } = require('../../src/state/lock') as typeof import('../../src/state/lock');
      try {
        lockContainer(dir);
        assert.unreachable('locked');
      } catch (e) {
        assert.is((e as Error).message, `lock ${dir}: ${text}`);
        assert.is((e as { code?: string }).code, code);
      }
    }
  } finally {
    nativeModule.native = real;
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test.run();

test('utcText is toISOString (with the sub-millisecond digits after the milliseconds)', () => {
  const points = [0, 951782400000 /* 2000-02-29 */, 4107542399999 /* 2100-02-28 end */, 4107542400000, 1709164800123, 253402300799999];
  for (let i = 0; i < 2000; i++) points.push(Math.floor(Math.random() * 253402300799999));
  for (const ms of points) assert.is(utcText(ms), new Date(ms).toISOString(), String(ms));
  assert.match(utcText(1709164800123, '456789'), /^2024-02-29T00:00:00\.123456789Z$/);
  assert.match(nowRfc3339Nano(), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
});

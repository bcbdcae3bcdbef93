/**
 * Real cgroup v2 tests: boots Debian's user-mode Linux (a pure cgroup v2 kernel) with
 * test/uml/init.sh as PID 1, which runs test/uml/checks.js against the v2 driver and writes
 * results.json into a host tmp dir made here. One uvu test per check reports its outcome.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';

const REPO = path.resolve(__dirname, '../../..');
const CHECKS = [
  'layout',
  'nested parents with subtree_control',
  'memory.max enforced with an OOM event',
  'pids.max makes the 11th task fail',
  'cpu.max, cpu.weight, io.max written; io weight reported clearly',
  'update changes live limits; below-usage refused',
  'unified keys written and validated',
  'stats in runc shapes',
  'freeze and thaw',
  'cgroup.kill reaches detached processes',
  'device program: /dev/null allowed, block device denied',
  'CLONE_INTO_CGROUP placement',
  'nothing left behind',
];

let results: Record<string, { ok: boolean; detail: string }> = {};
let bootError = '';

/** Boots the guest; resolves when it halts (or is killed after the deadline). */
function boot(dir: string): Promise<void> {
  // See test/uml/ptrace-xstate-shim.c: without it the 6.1 UML kernel cannot run a process on
  // hosts whose FPU state is larger than AVX's.
  const cc = spawnSync('cc', ['-O2', '-shared', '-fPIC', '-o', path.join(dir, 'shim.so'), path.join(REPO, 'test/uml/ptrace-xstate-shim.c')], { encoding: 'utf8' });
  if (cc.status !== 0) throw new Error(`cc: ${cc.stderr}`);
  fs.closeSync(fs.openSync(path.join(dir, 'disk.img'), 'w'));
  fs.truncateSync(path.join(dir, 'disk.img'), 1 << 20);
  const consoleFd = fs.openSync(path.join(dir, 'console.log'), 'w');
  const args = [
    'mem=1024M',
    'rootfstype=hostfs',
    'rootflags=/',
    'rw',
    `ubd0r=${path.join(dir, 'disk.img')}`,
    `init=${path.join(REPO, 'test/uml/init.sh')}`,
    `OCIRT_OUT=${dir}`,
    `OCIRT_REPO=${REPO}`,
    'con0=fd:0,fd:1',
    'con=null',
    // UML keeps its per-instance files (pid, mconsole socket) under ~/.uml by default: keep them
    // in this run's tmp dir instead, which the test removes.
    `uml_dir=${dir}`,
  ];
  const uml = spawn('linux.uml', args, {
    stdio: ['ignore', consoleFd, consoleFd],
    detached: true,
    env: { ...process.env, LD_PRELOAD: path.join(dir, 'shim.so'), TMPDIR: dir },
  });
  fs.closeSync(consoleFd);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      try {
        process.kill(-uml.pid!, 'SIGKILL'); // UML's host-side helpers share its process group
      } catch {
        /* gone */
      }
    }, 150_000);
    uml.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    uml.on('exit', () => {
      clearTimeout(timer);
      try {
        process.kill(-uml.pid!, 'SIGKILL');
      } catch {
        /* all gone, as expected */
      }
      resolve();
    });
  });
}

test.before(async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocirt-uml-'));
  const t0 = Date.now();
  try {
    await boot(dir);
    const f = path.join(dir, 'results.json');
    if (fs.existsSync(f)) results = JSON.parse(fs.readFileSync(f, 'utf8'));
    else {
      const tail = (n: string) => (fs.existsSync(path.join(dir, n)) ? fs.readFileSync(path.join(dir, n), 'utf8').slice(-2000) : '');
      bootError = `no results from the guest\n--- guest.log\n${tail('guest.log')}\n--- console\n${tail('console.log')}`;
    }
    console.log(`# user-mode Linux run: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  } catch (e) {
    bootError = (e as Error).message;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the guest booted and reported', () => {
  assert.is(bootError, '');
  assert.equal(Object.keys(results).sort(), [...CHECKS].sort());
});

for (const name of CHECKS) {
  test(`uml: ${name}`, () => {
    const r = results[name];
    assert.ok(r, `no result for "${name}"`);
    assert.ok(r.ok, r.detail);
  });
}

test.run();

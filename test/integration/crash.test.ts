/**
 * Crash safety: a create killed with SIGKILL at any point, a damaged state dir, racing commands
 * on one id and a full disk under --root leave nothing behind once `delete --force` has run: no
 * state dir, no cgroup in any hierarchy, no mount, no process.
 *
 * The kill points: every point create passes (its OCIRT_FAULT_KILL hook, FAULT_POINTS in
 * src/runtime/create.ts), and syscalls of create's main thread chosen over the whole create
 * from a reference trace, each killed by strace (--inject=SYSCALL:signal=KILL:when=N, N the
 * occurrence of that syscall at that place in the trace): every syscall from create's first
 * touch of the runtime root to its exit, and 20 of Node's start-up before it.
 * OCIRT_CRASH_POINTS=N samples N evenly over the create instead.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { makeBundle, Bundle, mountsUnder, unmountUnder, withBundleRt } from '../helpers/bundle';
import { Runtime, withRuntime, waitFor, OCIRT, cgroupDirsOf } from '../helpers/cli';
import { cgroupParentsMadeHere } from '../helpers/cgroup-parents';
import { FAULT_POINTS } from '../../src/runtime/create';

const parents = cgroupParentsMadeHere(['ocirt-test']);
test.after(() => parents.remove());

/** A number only this file's inits carry in their command line, to find them in /proc. */
const MARK = String(900000 + (process.pid % 90000));

const ERROR_LINE = /^(?:warning: [^\n]*\n)*[^\n]+\n?$/;
/** What a Node error looks like when it escapes: a code and no file ("ENOSPC: ..., write"), or a stack. */
const BARE = /^E[A-Z]+: |\n\s+at |Cannot read properties|is not a function|Maximum call stack/m;


/** Inits that are not the container's under test (a neighbour), which the checks leave alone. */
const spared = new Set<number>();

/**
 * The processes of container `id`: an ocirt or an init before its exec, whose command line ends
 * in the runtime root's create of that id, or an init after it (MARK in its command line).
 */
function processesOf(rt: Runtime, id: string): number[] {
  const out: number[] = [];
  for (const p of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(p) || Number(p) === process.pid || spared.has(Number(p))) continue;
    let argv: string[] = [];
    try {
      argv = fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0').filter(Boolean);
    } catch {
      continue;
    }
    if ((argv.includes(rt.root) && argv[argv.length - 1] === id) || argv.includes(MARK)) out.push(Number(p));
  }
  return out;
}

/** Everything a container of `id` could have left; [] when nothing. */
function leftBehind(rt: Runtime, id: string, b: Bundle): string[] {
  const left: string[] = [];
  if (fs.existsSync(path.join(rt.root, id))) left.push(`state dir ${path.join(rt.root, id)}`);
  for (const d of cgroupDirsOf(id)) left.push(`cgroup ${d}`);
  for (const m of [...mountsUnder(b.dir), ...mountsUnder(rt.root)]) left.push(`mount ${m}`);
  // An init killed a moment ago may still be exiting.
  waitFor(() => processesOf(rt, id).length === 0, 5000);
  for (const p of processesOf(rt, id)) left.push(`process ${p}: ${fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' ')}`);
  return left;
}

/**
 * spawnSync with stderr through a file: an init a create leaves behind inherits the create's
 * stdio, and spawnSync would wait on a pipe it holds until its timeout.
 */
function runQuiet(cmd: string, args: string[], env?: NodeJS.ProcessEnv): { status: number | null; signal: NodeJS.Signals | null; stderr: string } {
  const file = path.join(os.tmpdir(), `ocirt-crash-err-${process.pid}`);
  const fd = fs.openSync(file, 'w+');
  try {
    const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', fd], timeout: 60_000, env: env ?? process.env });
    return { status: r.status, signal: r.signal, stderr: fs.readFileSync(file, 'utf8') + (r.error ? String(r.error) : '') };
  } finally {
    fs.closeSync(fd);
    fs.rmSync(file, { force: true });
  }
}

function sleeper(c: any): void {
  c.process.args = ['/bin/sleep', MARK];
}


/** delete --force, then nothing left; returns what was left for the report. */
function forceDeleteAndCheck(rt: Runtime, id: string, b: Bundle, what: string): string[] {
  const d = rt.run(['delete', '--force', id]);
  assert.is(d.status, 0, `${what}: delete --force: ${d.stderr}`);
  const left = leftBehind(rt, id, b);
  assert.equal(left, [], `${what}: left behind`);
  return left;
}

let killPoints = 0;
let leftCount = 0;

test('SIGKILL at every point create passes, then delete --force: nothing left', () =>
  withBundleRt((c) => {
    sleeper(c);
    // A createContainer hook, so that create passes that sync point too.
    c.hooks = { createContainer: [{ path: '/bin/true' }] };
  }, (rt, b) => {
    for (const point of FAULT_POINTS) {
      // The fd point is passed with a terminal only; the create dies there before it sends the fd.
      const terminal = point === 'fd';
      b.config.process.terminal = terminal;
      b.write();
      const id = `p-${point}`;
      const args = ['create', '--bundle', b.dir, '--pid-file', path.join(b.dir, `${id}.pid`), ...(terminal ? ['--console-socket', path.join(b.dir, 'no.sock')] : []), id];
      const r = rt.run(args, { env: { ...process.env, OCIRT_FAULT_KILL: point } });
      assert.is(r.signal, 'SIGKILL', `create was not killed at ${point}: exit ${r.status} ${r.stderr}`);
      killPoints++;
      // A dead create's remains are stopped (or created, once the record is complete), never creating.
      const st = rt.run(['state', id]);
      if (st.status === 0) assert.ok(['stopped', 'created'].includes(JSON.parse(st.stdout).status), `${point}: state ${st.stdout}`);
      else assert.match(st.stderr, /does not exist/);
      leftCount += forceDeleteAndCheck(rt, id, b, `killed at ${point}`).length;
    }
  }));

/** Syscall names of a trace, in order (strace -o without -f: create's main thread only). */
function syscalls(trace: string): string[] {
  const out: string[] = [];
  for (const line of trace.split('\n')) {
    const m = /^([a-z_0-9]+)\(/.exec(line);
    if (m) out.push(m[1]);
  }
  return out;
}

test('SIGKILL at the Nth syscall over the whole create (strace), then delete --force: nothing left', () =>
  withBundleRt(sleeper, (rt, b) => {
    const traceFile = path.join(b.dir, 'trace');
    const ref = runQuiet('strace', ['-qq', '-o', traceFile, OCIRT, '--root', rt.root, 'create', '--bundle', b.dir, 'ref']);
    assert.is(ref.status, 0, `strace: ${ref.stderr}`);
    const trace = fs.readFileSync(traceFile, 'utf8');
    forceDeleteAndCheck(rt, 'ref', b, 'reference create');
    const names = syscalls(trace);
    // Where create's own work starts: the first syscall on the runtime root (after the execs that name it).
    const lines = trace.split('\n').filter((l) => /^[a-z_0-9]+\(/.test(l));
    const start = Math.max(0, lines.findIndex((l) => !l.startsWith('execve') && l.includes(`"${rt.root}`)));
    assert.ok(names.length > 100 && start > 0, `a trace of ${names.length} syscalls, create from ${start}`);
    const want = process.env.OCIRT_CRASH_POINTS ?? 'all';
    const n = want === 'all' ? names.length - start : Math.min(Number(want), names.length - start);
    // Evenly over the create (every syscall of it by default), plus a sample of Node's start-up before it.
    const picks = new Set<number>();
    for (let i = 0; i < n; i++) picks.add(start + Math.floor((i * (names.length - start)) / n));
    for (let i = 1; i <= 20; i++) picks.add(Math.floor((i * start) / 21));
    let killed = 0;
    for (const k of [...picks].sort((x, y) => x - y)) {
      const name = names[k];
      const nth = names.slice(0, k + 1).filter((x) => x === name).length;
      const id = `s${k}`;
      const r = runQuiet('strace', ['-qq', '-o', '/dev/null', `--inject=${name}:signal=KILL:when=${nth}`, OCIRT, '--root', rt.root, 'create', '--bundle', b.dir, id]);
      // strace dies of the signal that killed its tracee (or exits 128+9).
      if (r.signal === 'SIGKILL' || r.status === 137) killed++;
      else assert.is(r.status, 0, `syscall ${k} (${name} #${nth}): ${r.stderr}`);
      killPoints++;
      leftCount += forceDeleteAndCheck(rt, id, b, `killed at syscall ${k} (${name} #${nth})`).length;
    }
    // The trace of a create varies a little from run to run; most points must still hit.
    assert.ok(killed >= picks.size * 0.8, `${killed} of ${picks.size} syscall points killed create`);
    process.stdout.write(`# crash: ${picks.size} syscall points of ${names.length} (create from ${start}), ${killed} killed create\n`);
  }));

test('a create in progress is "creating"; delete waits for it (--force) or refuses, never tears it down', () =>
  withBundleRt(sleeper, async (rt, b) => {
    const go = path.join(b.dir, 'GO');
    // The create waits in its createRuntime hook (the init cloned, its pid recorded) until the test lets it go.
    b.config.hooks = { createRuntime: [{ path: '/bin/sh', args: ['sh', '-c', `while [ ! -e ${go} ]; do sleep 0.02; done`] }] };
    b.write();
    const create = ocirtAsync(rt, ['create', '--bundle', b.dir, 'busy']);
    assert.ok(waitFor(() => rt.run(['state', 'busy']).stdout.includes('"creating"'), 20_000), 'state says creating');
    const st = rt.state('busy');
    assert.ok(st.pid > 0, 'with the init it has cloned');
    assert.match(rt.run(['delete', 'busy']).stderr, /cannot delete container "busy" that is not stopped: creating/);
    const delErr = path.join(b.dir, 'delete.err');
    const errFd = fs.openSync(delErr, 'w');
    const delProc = spawn(OCIRT, ['--root', rt.root, '--debug', 'delete', '--force', 'busy'], { stdio: ['ignore', 'ignore', errFd] });
    fs.closeSync(errFd);
    const del = new Promise<number | null>((resolve) => delProc.on('exit', resolve));
    assert.ok(waitFor(() => fs.readFileSync(delErr, 'utf8').includes('is locked'), 20_000), 'delete --force waits for the lock');
    // The create goes on under the waiting delete: the container is whole.
    assert.is(rt.state('busy').status, 'creating');
    fs.writeFileSync(go, '');
    const c = await create;
    assert.is(c.code, 0, `create under a waiting delete --force: ${c.err}`);
    assert.is(await del, 0, fs.readFileSync(delErr, 'utf8'));
    assert.equal(leftBehind(rt, 'busy', b), []);
  }));

/** Each way a state.json can be damaged; `rec` is the real record's text, `other` another container's state.json. */
const CORRUPTIONS: [string, (file: string, rec: string, other: string) => void][] = [
  ['empty', (f) => fs.writeFileSync(f, '')],
  ['truncated', (f, rec) => fs.writeFileSync(f, rec.slice(0, rec.length >> 1))],
  ['garbage', (f) => fs.writeFileSync(f, Buffer.from([0x89, 0x50, 0x00, 0xff, 0x7b, 0x22]))],
  ['a symlink to another container\'s record', (f, _rec, other) => (fs.rmSync(f), fs.symlinkSync(other, f))],
  ['a directory', (f) => (fs.rmSync(f), fs.mkdirSync(f))],
  ['null', (f) => fs.writeFileSync(f, 'null')],
  ['[]', (f) => fs.writeFileSync(f, '[]')],
  ['{}', (f) => fs.writeFileSync(f, '{}')],
  ['"cgroup": "x"', (f, rec) => fs.writeFileSync(f, JSON.stringify({ ...JSON.parse(rec), cgroup: 'x' }))],
  ['a cgroup outside the cgroup mount', (f, rec) => fs.writeFileSync(f, JSON.stringify({ ...JSON.parse(rec), cgroup: { version: 1, path: '/etc', dirs: { x: '/etc' } } }))],
  ['garbage, and intent.json too', (f) => (fs.writeFileSync(f, 'x'), fs.writeFileSync(path.join(path.dirname(f), 'intent.json'), '{'))],
  ['null, and intent.json gone', (f) => (fs.writeFileSync(f, 'null'), fs.rmSync(path.join(path.dirname(f), 'intent.json')))],
];

test('a damaged state.json: state and delete name it, delete --force removes everything, a neighbour is untouched', () =>
  withBundleRt(sleeper, (rt, b) => {
    rt.ok(['create', '--bundle', b.dir, 'neighbour']);
    const nb = rt.state('neighbour');
    spared.add(nb.pid);
    const nbCgroups = cgroupDirsOf('neighbour');
    assert.ok(nbCgroups.length > 0);
    let n = 0;
    for (const [what, damage] of CORRUPTIONS) {
      const id = `bad${n++}`;
      rt.ok(['create', '--bundle', b.dir, id]);
      if (n % 2 === 0) rt.ok(['start', id]);
      const init = rt.state(id).pid;
      const file = path.join(rt.root, id, 'state.json');
      damage(file, fs.readFileSync(file, 'utf8'), path.join(rt.root, 'neighbour', 'state.json'));
      const st = rt.run(['state', id]);
      assert.is(st.status, 1, `${what}: state`);
      assert.ok(st.stderr.includes(file) && /corrupt/.test(st.stderr) && !BARE.test(st.stderr), `${what}: state says ${st.stderr}`);
      const d = rt.run(['delete', id]);
      assert.ok(d.status === 1 && d.stderr.includes(file) && d.stderr.includes(`delete --force ${id}`), `${what}: delete says ${d.stderr}`);
      forceDeleteAndCheck(rt, id, b, what);
      assert.ok(waitFor(() => !fs.existsSync(`/proc/${init}`) || /\) [ZX] /.test(fs.readFileSync(`/proc/${init}/stat`, 'utf8'))), `${what}: init ${init} left`);
      assert.is(rt.state('neighbour').status, 'created', `${what}: the neighbour`);
      assert.is(rt.state('neighbour').pid, nb.pid);
      assert.equal(cgroupDirsOf('neighbour'), nbCgroups, `${what}: the neighbour's cgroups`);
    }
    // A record forged to name the neighbour's cgroup: its processes are not ours to kill.
    rt.ok(['create', '--bundle', b.dir, 'forged']);
    const f = path.join(rt.root, 'forged', 'state.json');
    const nbRec = JSON.parse(fs.readFileSync(path.join(rt.root, 'neighbour', 'state.json'), 'utf8'));
    fs.writeFileSync(f, JSON.stringify({ ...JSON.parse(fs.readFileSync(f, 'utf8')), cgroup: nbRec.cgroup }));
    rt.ok(['delete', '--force', 'forged']);
    assert.is(rt.state('neighbour').status, 'created', 'the neighbour survives a record naming its cgroup');
    assert.equal(cgroupDirsOf('neighbour'), nbCgroups);
    assert.equal(cgroupDirsOf('forged'), [], 'the forged container\'s own cgroup (from its intent) is gone');
    spared.delete(nb.pid);
    forceDeleteAndCheck(rt, 'neighbour', b, 'the neighbour');
  }));

/**
 * Runs ocirt without waiting for it; stderr goes to a file, since an init that create leaves
 * behind inherits its stdio and would hold a pipe open long after ocirt exited.
 */
function ocirtAsync(rt: Runtime, args: string[]): Promise<{ code: number | null; err: string }> {
  const errFile = path.join(rt.root, `.err-${Math.random().toString(36).slice(2)}`);
  const fd = fs.openSync(errFile, 'w+');
  return new Promise((resolve) => {
    const p = spawn(OCIRT, ['--root', rt.root, ...args], { stdio: ['ignore', 'ignore', fd] });
    p.on('exit', (code) => {
      fs.closeSync(fd);
      const err = fs.readFileSync(errFile, 'utf8');
      fs.rmSync(errFile);
      resolve({ code, err });
    });
  });
}

/** The answers a command may give when another one changed the container under it. */
const RACE_ANSWERS = /already exists|does not exist|container not running|cannot start|is not stopped|in state (creating|stopped)|was deleted while it was being created|no such process/;

test('concurrent create/start/kill/delete pairs on one id: runc answers only, and nothing left', () =>
  withBundleRt(sleeper, async (rt, b) => {
    const cmd: Record<string, string[]> = {
      create: ['create', '--bundle', b.dir, 'race'],
      start: ['start', 'race'],
      kill: ['kill', 'race', 'KILL'],
      delete: ['delete', '--force', 'race'],
    };
    const names = Object.keys(cmd);
    let runs = 0;
    for (let i = 0; i < names.length; i++) {
      for (let j = i; j < names.length; j++) {
        for (let rep = 0; rep < 3; rep++) {
          const [x, y] = [names[i], names[j]];
          if (x !== 'create' && y !== 'create') rt.ok(cmd.create);
          const [rx, ry] = await Promise.all([ocirtAsync(rt, cmd[x]), ocirtAsync(rt, cmd[y])]);
          for (const [n, r] of [[x, rx], [y, ry]] as const) {
            if (r.code === 0) continue;
            assert.is(r.code, 1, `${x} | ${y}: ${n} exited ${r.code}: ${r.err}`);
            assert.ok(ERROR_LINE.test(r.err) && !BARE.test(r.err) && RACE_ANSWERS.test(r.err), `${x} | ${y}: ${n} said ${r.err}`);
          }
          if (x === 'delete' && y === 'delete') assert.ok(rx.code === 0 && ry.code === 0, `two delete --force: ${rx.err} ${ry.err}`);
          runs++;
          forceDeleteAndCheck(rt, 'race', b, `${x} | ${y}`);
        }
      }
    }
    process.stdout.write(`# crash: ${runs} concurrent pairs\n`);
  }));

test('a full disk under --root: each error names its file, and delete --force leaves nothing', () =>
  withBundleRt(sleeper, (rt, b) => {
    const mnt = fs.mkdtempSync(path.join(os.tmpdir(), 'ocirt-fullroot-'));
    const page = 4096;
    const cases: { opts: string; freePages?: number }[] = [];
    for (let free = 0; free <= 4; free++) cases.push({ opts: 'size=1m,nr_inodes=64', freePages: free });
    for (let inodes = 2; inodes <= 5; inodes++) cases.push({ opts: `size=1m,nr_inodes=${inodes}` });
    let failed = 0;
    try {
      for (const c of cases) {
        const m = spawnSync('mount', ['-t', 'tmpfs', '-o', c.opts, 'ocirt-fullroot', mnt], { encoding: 'utf8' });
        assert.is(m.status, 0, m.stderr);
        try {
          const root = path.join(mnt, 'root');
          fs.mkdirSync(root);
          if (c.freePages !== undefined) {
            // Fill the filesystem, then free what the case leaves.
            const fill = path.join(mnt, 'fill');
            const fd = fs.openSync(fill, 'w');
            try {
              const chunk = Buffer.alloc(page);
              for (;;) fs.writeSync(fd, chunk);
            } catch (e) {
              assert.is((e as NodeJS.ErrnoException).code, 'ENOSPC');
            } finally {
              fs.closeSync(fd);
            }
            fs.truncateSync(fill, Math.max(0, fs.statSync(fill).size - c.freePages * page));
          }
          const run = (args: string[]) => runQuiet(OCIRT, ['--root', root, ...args]);
          const r = run(['create', '--bundle', b.dir, 'full']);
          if (r.status !== 0) {
            failed++;
            assert.is(r.status, 1, `${c.opts} free ${c.freePages}: ${r.stderr}`);
            assert.ok(ERROR_LINE.test(r.stderr) && !BARE.test(r.stderr), `${c.opts}: ${r.stderr}`);
            assert.ok(r.stderr.includes(root) && /no space left on device/.test(r.stderr), `${c.opts} free ${c.freePages}: names no file: ${r.stderr}`);
          }
          const d = run(['delete', '--force', 'full']);
          assert.is(d.status, 0, `${c.opts}: delete --force: ${d.stderr}`);
          assert.ok(!fs.existsSync(path.join(root, 'full')), `${c.opts}: state dir left`);
          assert.equal(cgroupDirsOf('full'), [], `${c.opts}: cgroup left`);
        } finally {
          spawnSync('umount', ['-l', mnt]);
        }
      }
    } finally {
      unmountUnder(mnt);
      fs.rmSync(mnt, { recursive: true, force: true });
    }
    assert.ok(failed >= 4, `only ${failed} of ${cases.length} creates failed for want of space`);
  }));

/** The pids hierarchy's directory for a new cgroup: v1's pids controller, or cgroup2 with pids enabled. */
function pidsCgroup(name: string): string {
  const v1 = '/sys/fs/cgroup/pids';
  if (fs.existsSync(path.join(v1, 'pids.max')) || fs.existsSync(path.join(v1, 'cgroup.procs'))) {
    fs.mkdirSync(path.join(v1, 'ocirt-test', name), { recursive: true });
    return path.join(v1, 'ocirt-test', name);
  }
  const parent = '/sys/fs/cgroup/ocirt-test';
  fs.mkdirSync(parent, { recursive: true });
  fs.writeFileSync('/sys/fs/cgroup/cgroup.subtree_control', '+pids');
  fs.writeFileSync(path.join(parent, 'cgroup.subtree_control'), '+pids');
  fs.mkdirSync(path.join(parent, name));
  return path.join(parent, name);
}

test('no thread for Node (a pids limit): an error naming the limit, not an abort', () => {
  const dir = pidsCgroup(`threads-${process.pid}`);
  try {
    fs.writeFileSync(path.join(dir, 'pids.max'), '1');
    // The shell moves itself in and execs ocirt: one task, which may start no thread.
    const r = spawnSync('/bin/sh', ['-c', `echo $$ > ${dir}/cgroup.procs && exec ${OCIRT} list`], { encoding: 'utf8', timeout: 30_000 });
    assert.is(r.status, 1, `exit ${r.status} ${r.signal}: ${r.stderr}`);
    assert.ok(ERROR_LINE.test(r.stderr) && !BARE.test(r.stderr), r.stderr);
    assert.ok(r.stderr.includes(path.join(dir, 'pids.max')) && /resource temporarily unavailable/.test(r.stderr), r.stderr);
  } finally {
    waitFor(() => fs.readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').trim() === '', 5000);
    fs.rmdirSync(dir);
  }
});

test('limits: the most args and env validate accepts run; 200,000 readonlyPaths create and delete', () =>
  withBundleRt((c) => {
    // 32767 args in all: the shell's own four, then as many words as it counts.
    c.process.args = ['/bin/sh', '-c', 'echo $# ${#V32765}', 'sh', ...Array.from({ length: 32767 - 4 }, () => 'a')];
    c.process.env = Array.from({ length: 32766 }, (_, i) => `V${i}=${i}`);
  }, (rt, b) => {
    const r = rt.run(['run', '--bundle', b.dir, 'many']);
    assert.is(r.status, 0, r.stderr);
    assert.is(r.stdout.trim(), '32763 5');
    b.config.process.args = ['/bin/sleep', MARK];
    b.config.process.env = ['PATH=/bin'];
    b.config.linux.readonlyPaths = Array.from({ length: 200_000 }, (_, i) => `/proc/no-such-${i}`);
    b.write();
    rt.ok(['create', '--bundle', b.dir, 'ro']);
    assert.is(rt.state('ro').status, 'created');
    forceDeleteAndCheck(rt, 'ro', b, '200,000 readonlyPaths');
  }));

test.after(() => {
  process.stdout.write(`# crash: ${killPoints} kill points tried, ${leftCount} left behind\n`);
});

test.run();

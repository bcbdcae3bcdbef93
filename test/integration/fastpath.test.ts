/**
 * The launcher's fast path against Node, differentially: each scenario of a lifecycle matrix
 * runs twice on real containers, once as bin/ocirt runs by default (C answers the plain cases)
 * and once with OCIRT_NO_FASTPATH=1 (Node answers all), and every command's exit code, stdout,
 * stderr and --log records must be the same. OCIRT_FASTPATH_REPORT tells which side answered,
 * so the test also proves that the plain cases were the C side's and the others went to Node.
 * Values that differ between two runs by nature (pids, times, the private --root) are
 * replaced by placeholders before the comparison.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { makeBundle, Bundle } from '../helpers/bundle';
import { Runtime, waitFor, cgroupDirsOf, pidAlive } from '../helpers/cli';

type Side = 'fast' | 'node';

interface Step {
  args: string[];
  status: number | null;
  stdout: string;
  stderr: string;
  log: string;
  side: Side | '?';
}

class Recorder {
  readonly steps: Step[] = [];
  readonly logFile: string;
  private readonly reportFile: string;
  constructor(
    readonly rt: Runtime,
    readonly b: Bundle,
    private readonly fast: boolean,
    private readonly tmp: string,
  ) {
    this.logFile = path.join(tmp, `log-${fast ? 'fast' : 'node'}`);
    this.reportFile = path.join(tmp, `report-${fast ? 'fast' : 'node'}`);
  }

  private env(): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env, OCIRT_FASTPATH_REPORT: this.reportFile };
    if (this.fast) delete env.OCIRT_NO_FASTPATH;
    else env.OCIRT_NO_FASTPATH = '1';
    return env;
  }

  /** Runs one command of the scenario and records what it did. */
  run(args: string[]): Step {
    fs.rmSync(this.reportFile, { force: true });
    fs.rmSync(this.logFile, { force: true });
    const withLog = args.map((a) => a.split('@LOG').join(this.logFile));
    const r = this.rt.run(withLog, { env: this.env() });
    const side: Side | '?' = fs.existsSync(this.reportFile) ? (fs.readFileSync(this.reportFile, 'utf8').trim() as Side) : '?';
    const log = fs.existsSync(this.logFile) ? fs.readFileSync(this.logFile, 'utf8') : '';
    const step: Step = { args: args.map((a) => this.norm(a)), status: r.status, stdout: this.norm(r.stdout), stderr: this.norm(r.stderr), log: this.norm(log), side };
    this.steps.push(step);
    return step;
  }

  /** Setup or waiting that is not compared (always Node, never recorded). */
  quiet(args: string[]): void {
    const r = this.rt.run(args, { env: { ...process.env, OCIRT_NO_FASTPATH: '1' } });
    if (r.status !== 0) throw new Error(`ocirt ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  }

  status(id: string): string {
    const r = this.rt.run(['state', id], { env: { ...process.env, OCIRT_NO_FASTPATH: '1' } });
    return r.status === 0 ? JSON.parse(r.stdout).status : 'gone';
  }

  private norm(text: string): string {
    return text
      .split(this.rt.root)
      .join('<root>')
      .split(this.logFile)
      .join('<log>')
      .replace(/"pid": [1-9]\d*/g, '"pid": <pid>')
      .replace(/"created": "[^"]*"/g, '"created": "<created>"')
      .replace(/time="[^"]*"/g, 'time="<time>"')
      .replace(/"time":"[^"]*"/g, '"time":"<time>"')
      .replace(/\binit \d+ /g, 'init <pid> ');
  }
}

/**
 * Runs `scenario` in the fast and in the Node configuration on the same bundle and compares
 * the transcripts. `expect` lists, per step, the side that must have answered with the fast
 * path on ('fast' or 'node').
 */
function differential(mutate: (c: any) => void, scenario: (r: Recorder) => void, expect: Side[], wrap: string[] = []): void {
  const b = makeBundle(mutate);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ocirt-fastpath-'));
  const transcripts: Step[][] = [];
  try {
    for (const fast of [true, false]) {
      const rt = new Runtime(wrap);
      const r = new Recorder(rt, b, fast, tmp);
      try {
        scenario(r);
      } finally {
        rt.cleanup();
      }
      transcripts.push(r.steps);
    }
  } finally {
    b.cleanup();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const [fast, node] = transcripts;
  assert.is(fast.length, node.length, 'both runs made the same steps');
  for (let i = 0; i < fast.length; i++) {
    const what = `step ${i} (${fast[i].args.join(' ')})`;
    assert.equal({ ...fast[i], side: undefined }, { ...node[i], side: undefined }, `${what}: fast path and Node differ`);
    assert.is(node[i].side, 'node', `${what}: OCIRT_NO_FASTPATH=1 ran Node`);
  }
  assert.equal(
    fast.map((s) => s.side),
    expect,
    'which side answered each step',
  );
}

const sleeper = (c: any) => {
  c.process.args = ['/bin/sleep', '1000'];
};

test('unknown ids, bad flags and log records, in text and JSON', () =>
  differential(
    () => {},
    (r) => {
      r.run(['state', 'nosuch']);
      r.run(['start', 'nosuch']);
      r.run(['kill', 'nosuch']);
      r.run(['kill', 'nosuch', 'KILL']);
      r.run(['delete', 'nosuch']);
      r.run(['delete', '--force', 'nosuch']);
      r.run(['delete', '-f', 'nosuch']);
      r.run(['--log', '@LOG', 'state', 'nosuch']);
      r.run(['--log', '@LOG', '--log-format', 'json', 'delete', 'nosuch']);
      r.run(['--log=@LOG', '--log-format=json', 'start', 'nosuch']);
      r.run(['--debug', 'state', 'nosuch']);
      r.run(['state', 'bad/id']);
      r.run(['state']);
      r.run(['state', 'a', 'b']);
      r.run(['state', '--nosuch', 'x']);
      r.run(['kill', 'nosuch', 'NOSIG']);
      r.run(['kill', 'nosuch', '99']);
    },
    ['fast', 'fast', 'fast', 'fast', 'fast', 'fast', 'fast', 'fast', 'fast', 'fast', 'node', 'node', 'node', 'node', 'node', 'node', 'node'],
  ));

test('create, state, start, kill, delete: every answer and refusal on the way', () =>
  differential(
    sleeper,
    (r) => {
      r.quiet(['create', '--bundle', r.b.dir, 'c1']);
      r.run(['state', 'c1']);
      r.run(['--log', '@LOG', '--log-format', 'json', 'delete', 'c1']); // created, no --force: killed
      r.quiet(['create', '--bundle', r.b.dir, 'c1']);
      r.run(['start', 'c1']);
      assert.ok(waitFor(() => r.status('c1') === 'running'));
      r.run(['state', 'c1']);
      r.run(['start', 'c1']);
      r.run(['--log', '@LOG', 'delete', 'c1']);
      r.run(['kill', 'c1', '0']); // signal 0: Node's
      r.run(['kill', 'c1', 'sigcont']);
      r.run(['kill', 'c1', 'KILL']);
      assert.ok(waitFor(() => r.status('c1') === 'stopped'));
      r.run(['state', 'c1']);
      r.run(['kill', 'c1']);
      r.run(['start', 'c1']);
      r.run(['delete', 'c1']);
      r.run(['state', 'c1']);
    },
    ['fast', 'fast', 'fast', 'fast', 'fast', 'fast', 'node', 'fast', 'fast', 'fast', 'fast', 'fast', 'fast', 'fast'],
  ));

test('annotations, --root=, kill --all and delete --force of a running container', () =>
  differential(
    (c) => {
      sleeper(c);
      c.annotations = { 'org.example/b': 'two "quoted" \\ \u00e9', 'org.example/a': 'one\ttab' };
    },
    (r) => {
      r.quiet(['create', '--bundle', r.b.dir, 'c2']);
      r.run([`--root=${r.rt.root}`, 'state', 'c2']);
      r.run(['start', 'c2']);
      r.run(['kill', '--all', 'c2', 'CONT']); // the cgroup walk: Node
      r.run(['delete', '-f', 'c2']); // running: killed, cgroup and all
      r.run(['state', 'c2']);
      assert.equal(cgroupDirsOf('c2'), [], 'the cgroup of c2 is gone');
    },
    ['fast', 'fast', 'node', 'fast', 'fast'],
  ));

test('a container that exited by itself is deleted by the fast path, cgroup and all', () =>
  differential(
    (c) => {
      c.process.args = ['/bin/true'];
    },
    (r) => {
      r.quiet(['create', '--bundle', r.b.dir, 'c3']);
      r.run(['start', 'c3']);
      assert.ok(waitFor(() => r.status('c3') === 'stopped'));
      r.run(['state', 'c3']);
      r.run(['delete', 'c3']);
      assert.not.ok(fs.existsSync(path.join(r.rt.root, 'c3')), 'state dir left');
      assert.equal(cgroupDirsOf('c3'), [], 'the cgroup of c3 is gone');
    },
    ['fast', 'fast', 'fast'],
  ));

test('hooks, a paused container, a record with a field C does not know, a corrupt record: Node answers', () =>
  differential(
    (c) => {
      sleeper(c);
      c.hooks = { poststart: [{ path: '/bin/true' }], poststop: [{ path: '/bin/true' }] };
    },
    (r) => {
      r.quiet(['create', '--bundle', r.b.dir, 'c4']);
      r.run(['start', 'c4']); // poststart hook
      r.run(['state', 'c4']); // hooks do not matter to state
      r.quiet(['pause', 'c4']);
      r.run(['state', 'c4']);
      r.run(['kill', 'c4', 'CONT']);
      r.run(['delete', 'c4']);
      r.quiet(['resume', 'c4']);
      r.run(['kill', 'c4', 'KILL']);
      assert.ok(waitFor(() => r.status('c4') === 'stopped'));
      r.run(['delete', 'c4']); // poststop hook
      r.quiet(['create', '--bundle', r.b.dir, 'c5']);
      const file = path.join(r.rt.root, 'c5', 'state.json');
      const rec = JSON.parse(fs.readFileSync(file, 'utf8'));
      fs.writeFileSync(file, JSON.stringify({ ...rec, futureField: 1 }));
      r.run(['state', 'c5']);
      fs.writeFileSync(file, JSON.stringify(rec).slice(0, 40));
      r.run(['state', 'c5']);
      fs.writeFileSync(file, JSON.stringify(rec));
      r.run(['delete', '--force', 'c5']); // created, poststop hook: Node
    },
    ['node', 'fast', 'node', 'node', 'node', 'fast', 'node', 'node', 'node', 'node'],
  ));

function rmdirQuiet(d: string): void {
  try {
    fs.rmdirSync(d);
  } catch {
    /* busy a moment longer */
  }
}

function initOf(r: Recorder, id: string): number {
  return JSON.parse(fs.readFileSync(path.join(r.rt.root, id, 'state.json'), 'utf8')).pid;
}

const gone = (pid: number) => waitFor(() => !pidAlive(pid));

test('delete of created and running containers beside a neighbour; a damaged neighbour, a child cgroup: Node', () =>
  differential(
    sleeper,
    (r) => {
      r.quiet(['create', '--bundle', r.b.dir, 'nb']);
      const nbPid = initOf(r, 'nb');
      r.quiet(['create', '--bundle', r.b.dir, 'c6']);
      const c6 = initOf(r, 'c6');
      r.run(['delete', 'c6']); // created: killed without --force
      assert.ok(gone(c6), 'the init of c6 is gone');
      assert.equal(cgroupDirsOf('c6'), []);
      r.quiet(['create', '--bundle', r.b.dir, 'c7']);
      r.quiet(['start', 'c7']);
      const c7 = initOf(r, 'c7');
      r.run(['delete', '-f', 'c7']);
      assert.ok(gone(c7), 'the init of c7 is gone');
      assert.equal(cgroupDirsOf('c7'), []);
      // A neighbour whose record the C reader cannot read: its claim is Node's to weigh.
      fs.mkdirSync(path.join(r.rt.root, 'junk'));
      fs.writeFileSync(path.join(r.rt.root, 'junk', 'state.json'), '{"cgroup": 1.5}');
      r.quiet(['create', '--bundle', r.b.dir, 'c8']);
      r.run(['delete', '-f', 'c8']);
      r.quiet(['delete', '-f', 'junk']);
      // A child cgroup inside the container's: C kills, then leaves the walk to Node.
      r.quiet(['create', '--bundle', r.b.dir, 'c9']);
      fs.mkdirSync(path.join('/sys/fs/cgroup/memory/ocirt/c9/sub'));
      r.run(['delete', '-f', 'c9']);
      assert.equal(cgroupDirsOf('c9'), []);
      assert.ok(fs.existsSync(`/proc/${nbPid}`) && r.status('nb') === 'created', 'the neighbour lives');
      r.run(['delete', '-f', 'nb']);
      assert.ok(gone(nbPid));
    },
    ['fast', 'fast', 'node', 'node', 'fast'],
  ));

/** Rewrites one JSON file of container id's state dir. */
function edit(r: Recorder, id: string, file: string, change: (v: any) => any): void {
  const f = path.join(r.rt.root, id, file);
  fs.writeFileSync(f, JSON.stringify(change(JSON.parse(fs.readFileSync(f, 'utf8')))));
}

test('a record naming a neighbour\'s cgroup, or one around it: never killed by the fast path, the neighbour lives', () =>
  differential(
    sleeper,
    (r) => {
      r.quiet(['create', '--bundle', r.b.dir, 'nb']);
      r.quiet(['start', 'nb']);
      const nbCg = JSON.parse(fs.readFileSync(path.join(r.rt.root, 'nb', 'state.json'), 'utf8')).cgroup;
      const nbDirs = cgroupDirsOf('nb');
      const nbPid = JSON.parse(fs.readFileSync(path.join(r.rt.root, 'nb', 'state.json'), 'utf8')).pid;
      const neighbourLives = (what: string) => {
        assert.is(r.status('nb'), 'running', `${what}: the neighbour runs`);
        assert.ok(fs.existsSync(`/proc/${nbPid}`), `${what}: the neighbour's init`);
        assert.equal(cgroupDirsOf('nb'), nbDirs, `${what}: the neighbour's cgroup`);
      };
      const parent = (cg: any) => ({ ...cg, path: path.posix.dirname(cg.path), dirs: Object.fromEntries(Object.entries(cg.dirs).map(([k, d]) => [k, path.posix.dirname(d as string)])) });
      const forgeries: Array<[string, (id: string) => void]> = [
        // the record alone: its intent names another cgroup
        ['the record', (id) => edit(r, id, 'state.json', (v) => ({ ...v, cgroup: nbCg }))],
        // record and intent agree: only the neighbour's claim tells
        ['record and intent', (id) => (edit(r, id, 'state.json', (v) => ({ ...v, cgroup: nbCg })), edit(r, id, 'intent.json', (v) => ({ ...v, cgroup: { ...nbCg, freezer: undefined } })))],
        // the neighbour's directories under another path: the same cgroup named differently
        ['its directories under another path', (id) => {
          const other = { ...nbCg, path: '/nb', freezer: undefined };
          edit(r, id, 'state.json', (v) => ({ ...v, cgroup: other }));
          edit(r, id, 'intent.json', (v) => ({ ...v, cgroup: other }));
        }],
        // the parent of every container's cgroup
        ['the parent cgroup', (id) => (edit(r, id, 'state.json', (v) => ({ ...v, cgroup: parent(nbCg) })), edit(r, id, 'intent.json', (v) => ({ ...v, cgroup: parent(nbCg) })))],
      ];
      let n = 0;
      for (const [what, forge] of forgeries) {
        const id = `forged${n++}`;
        r.quiet(['create', '--bundle', r.b.dir, id]);
        const own = cgroupDirsOf(id);
        forge(id);
        r.run(['state', id]);
        neighbourLives(what);
        r.run(['delete', '--force', id]);
        // Its own cgroup, which neither file names any more when both were forged, is left to the test.
        for (const d of own) assert.ok(waitFor(() => !fs.existsSync(d) || (rmdirQuiet(d), !fs.existsSync(d))), `${what}: ${d} stays`);
        neighbourLives(what);
        assert.not.ok(fs.existsSync(path.join(r.rt.root, id)), `${what}: the state dir of ${id} is gone`);
      }
      r.run(['delete', '--force', 'nb']);
      assert.equal(cgroupDirsOf('nb'), []);
    },
    // state answers (it kills nothing); every delete of a forged record is Node's
    ['fast', 'node', 'fast', 'node', 'fast', 'node', 'fast', 'node', 'fast'],
  ));

/**
 * A process in its own mount namespace with cgroup2 mounted over /sys/fs/cgroup (this host's
 * layout is hybrid): ocirt run in it through nsenter uses its v2 driver, on the host's unified
 * hierarchy, so a container's cgroup is /sys/fs/cgroup/unified/ocirt/<id> seen from here.
 */
function withCgroup2Namespace(fn: (wrap: string[]) => void): void {
  const holder = spawn('unshare', ['-m', '--propagation', 'private', 'sh', '-c', 'mount -t cgroup2 none /sys/fs/cgroup && exec sleep 100000'], { stdio: 'ignore' });
  try {
    const wrap = ['nsenter', '-t', String(holder.pid), '-m'];
    const ready = waitFor(() => spawnSync(wrap[0], [...wrap.slice(1), 'stat', '-fc', '%T', '/sys/fs/cgroup'], { encoding: 'utf8' }).stdout?.trim() === 'cgroup2fs');
    assert.ok(ready, 'a mount namespace with cgroup2 over /sys/fs/cgroup');
    fn(wrap);
  } finally {
    holder.kill('SIGKILL');
  }
}

test('cgroup v2 (cgroup.kill): delete of created, running and exited containers; a forged record naming a neighbour: Node', () =>
  withCgroup2Namespace((wrap) =>
    differential(
      sleeper,
      (r) => {
        const v2 = (id: string) => JSON.parse(fs.readFileSync(path.join(r.rt.root, id, 'state.json'), 'utf8')).cgroup;
        r.quiet(['create', '--bundle', r.b.dir, 'nb']);
        assert.is(v2('nb').version, 2, 'the v2 driver made the cgroup');
        const nbPid = initOf(r, 'nb');
        r.quiet(['create', '--bundle', r.b.dir, 'd1']);
        const d1 = initOf(r, 'd1');
        r.run(['state', 'd1']);
        r.run(['delete', 'd1']); // created: killed
        assert.ok(gone(d1), 'the init of d1 is gone');
        assert.equal(cgroupDirsOf('d1'), []);
        r.quiet(['create', '--bundle', r.b.dir, 'd2']);
        r.run(['start', 'd2']);
        r.run(['delete', 'd2']); // running, no --force: refused
        r.run(['kill', 'd2', 'KILL']);
        assert.ok(waitFor(() => r.status('d2') === 'stopped'));
        r.run(['delete', 'd2']); // exited
        assert.equal(cgroupDirsOf('d2'), []);
        r.quiet(['create', '--bundle', r.b.dir, 'd3']);
        r.quiet(['start', 'd3']);
        const d3 = initOf(r, 'd3');
        r.run(['delete', '--force', 'd3']);
        assert.ok(gone(d3), 'the init of d3 is gone');
        assert.equal(cgroupDirsOf('d3'), []);
        r.quiet(['create', '--bundle', r.b.dir, 'd4']);
        const own = cgroupDirsOf('d4');
        edit(r, 'd4', 'state.json', (v) => ({ ...v, cgroup: v2('nb') }));
        edit(r, 'd4', 'intent.json', (v) => ({ ...v, cgroup: { ...v2('nb'), freezer: undefined } }));
        r.run(['delete', '--force', 'd4']);
        for (const d of own) assert.ok(waitFor(() => !fs.existsSync(d) || (rmdirQuiet(d), !fs.existsSync(d))), `${d} stays`);
        assert.ok(fs.existsSync(`/proc/${nbPid}`) && r.status('nb') === 'created', 'the neighbour lives');
        r.run(['delete', '--force', 'nb']);
        assert.ok(gone(nbPid));
        assert.equal(cgroupDirsOf('nb'), []);
      },
      ['fast', 'fast', 'fast', 'fast', 'fast', 'fast', 'fast', 'node', 'fast'],
      wrap,
    ),
  ));

test.run();

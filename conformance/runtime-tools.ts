/**
 * Runs the OCI runtime-tools validation suite against ocirt and against runc, side by side.
 *
 *   node dist/conformance/runtime-tools.js [--source TARBALL|DIR] [--only REGEX] [--runtimes ocirt,runc]
 *
 * The suite is an external test suite: it is never copied into this repository. Its source is a
 * tarball (default: shared/conformance/runtime-tools-0105384.tar.gz beside this checkout or one
 * of its parents, or $OCIRT_RUNTIME_TOOLS) or a checkout of the user's. A tarball is built once
 * into a cache ($OCIRT_CACHE_DIR, else $XDG_CACHE_HOME/ocirt or ~/.cache/ocirt) offline with
 * Debian's Go and the suite's vendored modules; a checkout is built in place.
 *
 * Every validation program runs once with RUNTIME=ocirt and once with RUNTIME=runc, each with a
 * state root of its own. The run fails when ocirt fails (or skips) an assertion that runc passes
 * and that runtime-tools-expected.json does not list, when ocirt passes fewer assertions than
 * runc in total, or when a program leaves a mount, a cgroup or a container state dir of ocirt's
 * behind. Whatever is left behind is removed.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';

const REPO = path.resolve(__dirname, '..', '..');
const EXPECTED_FILE = path.join(REPO, 'conformance', 'runtime-tools-expected.json');
const TARBALL = 'runtime-tools-0105384.tar.gz';
const PROGRAM_LIMIT_MS = 120_000;

// ---- TAP ----

export interface Assertion {
  ok: boolean;
  /** `# SKIP` or `# TODO`: neither passed nor failed. */
  pending: boolean;
  desc: string;
}

/** The assertions of one program's TAP output (YAML blocks and comments are not assertions). */
export function parseTap(text: string): Assertion[] {
  const out: Assertion[] = [];
  for (const line of text.split('\n')) {
    const m = /^(not )?ok\b\s*(\d+)?\s*(?:-\s*)?(.*)$/.exec(line);
    if (!m) continue;
    let desc = m[3];
    let pending = false;
    const d = /\s*#\s*(SKIP|TODO)\b\s*(.*)$/i.exec(desc);
    if (d) {
      pending = true;
      desc = `${desc.slice(0, d.index)}${desc.slice(0, d.index) ? ' ' : ''}# ${d[1].toUpperCase()} ${d[2]}`.trim();
    }
    out.push({ ok: !m[1], pending, desc: desc.trim() });
  }
  return out;
}

export interface Counts {
  pass: number;
  fail: number;
  pending: number;
}

export function countOf(list: Assertion[]): Counts {
  const c = { pass: 0, fail: 0, pending: 0 };
  for (const a of list) {
    if (a.pending) c.pending++;
    else if (a.ok) c.pass++;
    else c.fail++;
  }
  return c;
}

/**
 * Assertions keyed by their description and its occurrence: the programs print some groups in
 * Go's map order, so the numbers differ from run to run but the multiset of descriptions not.
 */
export function keyed(list: Assertion[]): Map<string, Assertion> {
  const seen = new Map<string, number>();
  const out = new Map<string, Assertion>();
  for (const a of list) {
    const n = (seen.get(a.desc) ?? 0) + 1;
    seen.set(a.desc, n);
    out.set(`${a.desc} [${n}]`, a);
  }
  return out;
}

// ---- expected differences ----

export interface ExpectedDifference {
  /** The program's name, or a pattern matching the whole name (cgroup tests come in pairs). */
  program: string;
  /** The assertion's description as the program prints it (any occurrence). */
  assertion: string;
  /** What runtime-spec 1.3 says instead, in this project's words. */
  spec: string;
  /** Where: file and section of runtime-spec v1.3.0. */
  reference: string;
}

export function loadExpected(file = EXPECTED_FILE): ExpectedDifference[] {
  const list = JSON.parse(fs.readFileSync(file, 'utf8')) as ExpectedDifference[];
  if (!Array.isArray(list)) throw new Error(`${file}: must be an array`);
  list.forEach((e, i) => {
    for (const k of ['program', 'assertion', 'spec', 'reference'] as const) {
      if (typeof e[k] !== 'string' || !e[k]) throw new Error(`${file}: /${i}/${k} must be a non-empty string`);
    }
  });
  return list;
}

export interface Finding {
  program: string;
  assertion: string;
  /** regression: runc passes it; runc-fails: runc fails or skips it too; unreached: runc never printed it. */
  kind: 'regression' | 'runc-fails' | 'unreached';
  expected?: ExpectedDifference;
}

/** Every assertion ocirt does not pass, classified against runc's result for it. */
export function compareProgram(program: string, ocirt: Assertion[], runc: Assertion[], expected: ExpectedDifference[]): Finding[] {
  const o = keyed(ocirt);
  const r = keyed(runc);
  const out: Finding[] = [];
  const judge = (key: string, desc: string) => {
    const theirs = r.get(key);
    const kind: Finding['kind'] = !theirs ? 'unreached' : theirs.ok && !theirs.pending ? 'regression' : 'runc-fails';
    const exp = expected.find((e) => new RegExp(`^(?:${e.program})$`).test(program) && e.assertion === desc);
    out.push({ program, assertion: desc, kind, expected: exp });
  };
  for (const [key, a] of o) {
    if (a.ok && !a.pending) continue;
    // Both skip it (the config does not set the field): nothing to tell.
    if (a.pending && r.get(key)?.pending) continue;
    judge(key, a.desc);
  }
  // What runc passes and ocirt never printed (the program stopped early under ocirt).
  for (const [key, a] of r) if (a.ok && !a.pending && !o.has(key)) judge(key, a.desc);
  return out;
}

// ---- the suite's source and build ----

function findDefaultSource(): string | undefined {
  if (process.env.OCIRT_RUNTIME_TOOLS) return process.env.OCIRT_RUNTIME_TOOLS;
  for (let d = REPO; ; d = path.dirname(d)) {
    const f = path.join(path.dirname(d), 'shared', 'conformance', TARBALL);
    if (fs.existsSync(f)) return f;
    if (path.dirname(d) === d) return undefined;
  }
}

function cacheDir(): string {
  if (process.env.OCIRT_CACHE_DIR) return process.env.OCIRT_CACHE_DIR;
  return path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'ocirt');
}

function sh(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): void {
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} (in ${cwd}) exited ${r.status}:\n${(r.stdout + r.stderr).slice(-4000)}`);
}

function make(dir: string): void {
  // Offline: the suite vendors its modules; Debian's Go builds it with them.
  const env = { ...process.env, GOFLAGS: '-mod=vendor', GOPROXY: 'off', GO111MODULE: 'on' };
  sh('make', ['runtimetest', 'validation-executables'], dir, env);
}

/** The built suite's directory: a tarball is extracted and built once per content hash. */
export function buildSuite(source: string, log: (s: string) => void): string {
  if (fs.statSync(source).isDirectory()) {
    log(`# building the suite in ${source}`);
    make(source);
    return source;
  }
  const hash = crypto.createHash('sha256').update(fs.readFileSync(source)).digest('hex').slice(0, 16);
  const dir = path.join(cacheDir(), `runtime-tools-${hash}`);
  if (fs.existsSync(path.join(dir, '.built'))) return dir;
  fs.mkdirSync(cacheDir(), { recursive: true });
  const tmp = `${dir}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp);
  const t0 = Date.now();
  try {
    sh('tar', ['-xzf', source, '-C', tmp, '--strip-components=1'], tmp);
    make(tmp);
    fs.writeFileSync(path.join(tmp, '.built'), `${source}\n`);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.renameSync(tmp, dir);
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  log(`# built the suite into ${dir} in ${Math.round((Date.now() - t0) / 1000)} s`);
  return dir;
}

export function programsOf(dir: string): string[] {
  const v = path.join(dir, 'validation');
  return fs.readdirSync(v).filter((n) => fs.existsSync(path.join(v, n, `${n}.t`))).sort();
}

// ---- what a program leaves behind ----

function mountPoints(): Set<string> {
  return new Set(fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4]).filter(Boolean));
}

// systemd's own trees change on their own (services start and stop); containers never go there
// unless a config names them, which no program of the suite does.
const CGROUP_SKIP = new Set(['system.slice', 'user.slice', 'init.scope']);

function cgroupDirs(): Set<string> {
  const out = new Set<string>();
  const walk = (d: string, depth: number) => {
    let ents: fs.Dirent[];
    try {
      ents = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of ents) {
      if (!e.isDirectory() || (depth === 0 && CGROUP_SKIP.has(e.name))) continue;
      const p = path.join(d, e.name);
      out.add(p);
      if (depth < 5) walk(p, depth + 1);
    }
  };
  const base = '/sys/fs/cgroup';
  if (!fs.existsSync(base)) return out;
  if (fs.existsSync(path.join(base, 'cgroup.controllers'))) walk(base, 0);
  else for (const h of fs.readdirSync(base)) if (!fs.lstatSync(path.join(base, h)).isSymbolicLink()) walk(path.join(base, h), 0);
  return out;
}

interface Snapshot {
  mounts: Set<string>;
  cgroups: Set<string>;
  /** The suite's bundle dirs (ocitest<digits> in the tmp dir). */
  bundles: Set<string>;
}

function bundleDirs(): Set<string> {
  return new Set(fs.readdirSync(os.tmpdir()).filter((n) => /^ocitest\d+$/.test(n)).map((n) => path.join(os.tmpdir(), n)));
}

/**
 * The top-level cgroups that existed before the run, ocirt's default parent aside: a new cgroup
 * below one of them is someone else's (a service manager or the machine's own process tracking
 * makes and removes cgroups all the time), while a container's cgroup is either under /ocirt or
 * under a path of the config's that did not exist before.
 */
let foreignTops = new Set<string>();

function topOf(dir: string): string {
  const rel = path.relative('/sys/fs/cgroup', dir).split('/');
  // v1 and hybrid: <controller>/<top>/...; unified: <top>/...
  const hier = fs.existsSync('/sys/fs/cgroup/cgroup.controllers') ? 0 : 1;
  return path.join('/sys/fs/cgroup', ...rel.slice(0, hier + 1));
}

function snapshot(): Snapshot {
  return { mounts: mountPoints(), cgroups: cgroupDirs(), bundles: bundleDirs() };
}

/** What appeared since `before` (and the containers left in `root`), removed again. */
function leftovers(before: Snapshot, root: string, runtime: string[]): string[] {
  const left: string[] = [];
  for (const id of fs.existsSync(root) ? fs.readdirSync(root).filter((d) => !d.startsWith('.')) : []) {
    left.push(`state dir ${path.join(root, id)}`);
    spawnSync(runtime[0], [...runtime.slice(1), 'delete', '--force', id], { stdio: 'ignore', timeout: 30_000 });
    fs.rmSync(path.join(root, id), { recursive: true, force: true });
  }
  const mounts = [...mountPoints()].filter((m) => !before.mounts.has(m));
  for (const m of mounts.sort().reverse()) {
    left.push(`mount ${m}`);
    spawnSync('umount', ['-l', m], { stdio: 'ignore' });
  }
  // A bundle the program could not remove because of those mounts: nothing is mounted there now.
  for (const b of bundleDirs()) {
    if (before.bundles.has(b)) continue;
    left.push(`bundle dir ${b}`);
    fs.rmSync(b, { recursive: true, force: true });
  }
  // ocirt's default parent (/ocirt in each hierarchy) is shared by every container and made on
  // first use: it is not a container's leftover, what is below it is.
  const cgs = [...cgroupDirs()].filter((c) => !before.cgroups.has(c) && !foreignTops.has(topOf(c)) && !(c === topOf(c) && path.basename(c) === 'ocirt'));
  for (const c of cgs.sort().reverse()) {
    left.push(`cgroup ${c}`);
    try {
      for (const pid of fs.readFileSync(path.join(c, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) process.kill(Number(pid), 'SIGKILL');
    } catch {
      /* gone already */
    }
    for (let i = 0; i < 50; i++) {
      try {
        fs.rmdirSync(c);
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') break;
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
      }
    }
  }
  return left;
}

// ---- the run ----

interface RuntimeUnderTest {
  name: string;
  /** Argument vector before the command: the binary and its --root. */
  argv: string[];
  root: string;
  wrapper: string;
  /** Leftovers count against this runtime (ocirt's) or are only reported (runc's). */
  strict: boolean;
}

interface ProgramResult {
  assertions: Assertion[];
  status: number | null;
  ms: number;
  leftovers: string[];
  stderr: string;
}

function runProgram(dir: string, name: string, rt: RuntimeUnderTest): ProgramResult {
  const before = snapshot();
  const t0 = Date.now();
  const r = spawnSync(path.join(dir, 'validation', name, `${name}.t`), [], {
    cwd: dir, // the programs read ./runtimetest and ./rootfs-<arch>.tar.gz
    env: { ...process.env, RUNTIME: rt.wrapper },
    encoding: 'utf8',
    timeout: PROGRAM_LIMIT_MS,
    killSignal: 'SIGKILL',
    maxBuffer: 64 << 20,
  });
  const ms = Date.now() - t0;
  const left = leftovers(before, rt.root, rt.argv);
  const assertions = parseTap(r.stdout ?? '');
  if (r.error || r.signal) assertions.push({ ok: false, pending: false, desc: `(${name} did not finish: ${r.error?.message ?? r.signal})` });
  return { assertions, status: r.status, ms, leftovers: left, stderr: r.stderr ?? '' };
}

function makeRuntime(name: string, work: string): RuntimeUnderTest {
  const root = path.join(work, `${name}-root`);
  fs.mkdirSync(root, { mode: 0o711 });
  const bin = name === 'ocirt' ? path.join(REPO, 'bin', 'ocirt') : name;
  const argv = [bin, '--root', root];
  // RUNTIME names one executable: the wrapper adds the private state root.
  const wrapper = path.join(work, name);
  fs.writeFileSync(wrapper, `#!/bin/sh\nexec ${argv.map((a) => `'${a}'`).join(' ')} "$@"\n`, { mode: 0o755 });
  return { name, argv, root, wrapper, strict: name === 'ocirt' };
}

function pad(s: string | number, n: number): string {
  return String(s).padEnd(n);
}

function fmt(c: Counts | undefined): string {
  return c ? `${c.pass}/${c.fail}/${c.pending}` : '-';
}

export interface Summary {
  totals: Record<string, Counts>;
  findings: Finding[];
  leftovers: string[];
  ok: boolean;
}

export function main(argv: string[], log: (s: string) => void = (s) => process.stdout.write(s + '\n')): Summary {
  let source: string | undefined;
  let only: RegExp | undefined;
  let names = ['ocirt', 'runc'];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--source') source = argv[++i];
    else if (argv[i] === '--only') only = new RegExp(argv[++i]);
    else if (argv[i] === '--runtimes') names = argv[++i].split(',');
    else throw new Error(`unknown argument ${argv[i]}; usage: runtime-tools [--source TARBALL|DIR] [--only REGEX] [--runtimes ocirt,runc]`);
  }
  source = source ?? findDefaultSource();
  if (!source || !fs.existsSync(source)) throw new Error(`no runtime-tools source: give --source or set OCIRT_RUNTIME_TOOLS (looked for shared/conformance/${TARBALL} beside the checkout)`);
  const expected = loadExpected();
  const dir = buildSuite(path.resolve(source), log);
  const programs = programsOf(dir).filter((p) => !only || only.test(p));
  foreignTops = new Set([...cgroupDirs()].map(topOf).filter((t) => path.basename(t) !== 'ocirt'));
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ocirt-rtools-'));
  const runtimes = names.map((n) => makeRuntime(n, work));
  const results: Record<string, Record<string, ProgramResult>> = {};
  const ms: Record<string, number> = {};
  try {
    for (const rt of runtimes) {
      results[rt.name] = {};
      ms[rt.name] = 0;
      for (const p of programs) {
        const r = runProgram(dir, p, rt);
        results[rt.name][p] = r;
        ms[rt.name] += r.ms;
      }
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }

  const width = Math.max(8, ...programs.map((p) => p.length)) + 2;
  log(`# runtime-tools validation (${path.basename(source)}): pass/fail/pending per program`);
  log(`${pad('program', width)}${names.map((n) => pad(n, 16)).join('')}ocirt not passing`);
  const findings: Finding[] = [];
  const totals: Record<string, Counts> = {};
  for (const n of names) totals[n] = { pass: 0, fail: 0, pending: 0 };
  const left: string[] = [];
  for (const p of programs) {
    const counts = names.map((n) => countOf(results[n][p].assertions));
    names.forEach((n, i) => {
      totals[n].pass += counts[i].pass;
      totals[n].fail += counts[i].fail;
      totals[n].pending += counts[i].pending;
    });
    let note = '';
    if (results.ocirt && results.runc) {
      const f = compareProgram(p, results.ocirt[p].assertions, results.runc[p].assertions, expected);
      findings.push(...f);
      const bad = f.filter((x) => x.kind === 'regression' && !x.expected).length;
      note = f.length ? `${f.length}${bad ? ` (${bad} that runc passes)` : ''}` : '';
    }
    // Some programs leak their own bundle dir whatever the runtime (a check that fails in the
    // suite's set-up returns before its clean-up): a bundle dir counts against ocirt only
    // where runc's run of the same program left fewer.
    const suiteBundles = results.runc?.[p]?.leftovers.filter((l) => l.startsWith('bundle dir ')).length ?? 0;
    for (const rt of runtimes) {
      let excused = rt.strict ? suiteBundles : 0;
      for (const l of results[rt.name][p].leftovers) {
        if (rt.strict && excused > 0 && l.startsWith('bundle dir ')) {
          excused--;
          note += ` [${rt.name} left ${l}, as runc did: the suite's own]`;
        } else if (rt.strict) left.push(`${p}: ${l}`);
        else note += ` [${rt.name} left ${l}]`;
      }
    }
    log(`${pad(p, width)}${counts.map((c) => pad(fmt(c), 16)).join('')}${note}`);
  }
  log(`${pad('total', width)}${names.map((n) => pad(fmt(totals[n]), 16)).join('')}`);
  for (const n of names) {
    const t = totals[n];
    log(`# ${n}: ${t.pass} pass, ${t.fail} fail, ${t.pending} pending of ${t.pass + t.fail + t.pending} assertions in ${Math.round(ms[n] / 1000)} s`);
  }

  let ok = true;
  if (findings.length) log('# assertions ocirt does not pass:');
  const said = new Map<string, number>();
  for (const f of findings) {
    const why = f.expected
      ? `expected: spec 1.3 ${f.expected.reference}: ${f.expected.spec}`
      : f.kind === 'regression' ? 'FAILS UNDER OCIRT ONLY (runc passes it)' : f.kind === 'runc-fails' ? 'runc does not pass it either' : 'runc never reached it';
    const line = `#   ${f.program}: ${f.assertion}: ${why}`;
    said.set(line, (said.get(line) ?? 0) + 1);
    if (f.kind === 'regression' && !f.expected) {
      ok = false;
      const err = results.ocirt[f.program].stderr.trim();
      if (err) log(`#     ocirt's stderr: ${err.split('\n').slice(-3).join(' | ').slice(0, 600)}`);
    }
  }
  for (const [line, n] of said) log(n > 1 ? `${line} (${n} times)` : line);
  for (const e of expected) {
    const ran = programs.filter((p) => new RegExp(`^(?:${e.program})$`).test(p));
    if (results.ocirt && ran.length && !findings.some((f) => f.expected === e)) log(`# note: expected difference no longer seen: ${e.program}: ${e.assertion}`);
  }
  if (left.length) {
    ok = false;
    log(`# left behind by ocirt (now removed):\n${left.map((l) => `#   ${l}`).join('\n')}`);
  }
  if (totals.ocirt && totals.runc && totals.ocirt.pass < totals.runc.pass) {
    ok = false;
    log(`# ocirt passes fewer assertions than runc (${totals.ocirt.pass} < ${totals.runc.pass})`);
  }
  log(ok ? '# conformance: ok' : '# conformance: FAILED');
  return { totals, findings, leftovers: left, ok };
}

if (require.main === module) {
  try {
    process.exit(main(process.argv.slice(2)).ok ? 0 : 1);
  } catch (e) {
    process.stderr.write(`runtime-tools: ${(e as Error).message}\n`);
    process.exit(2);
  }
}

#!/usr/bin/env node
'use strict';
/*
 * Builds dist/snapshot/ocirt.blob, a V8 user-land startup snapshot that bin/ocirt starts from.
 * Reading, resolving and compiling our CommonJS modules costs a command like `create` more than
 * Node's own start-up; a snapshot holds them already evaluated.
 *
 *   node scripts/build-snapshot.js [--out FILE]     (after tsc and spec-schemas/build.js)
 *
 * This one file plays two parts. Run plainly, it runs Node with --build-snapshot on itself,
 * checks that the blob answers like the plain CLI, and only then renames it into place, so a
 * blob that cannot start never replaces a working one. Run as the snapshot's builder, it is
 * a small module system over the tsc output, the generated validators and build-info.json: it
 * evaluates the modules the frequent commands use (PRELOAD) and registers the function each
 * start from the blob runs. The other modules are in the blob as text, evaluated when required.
 *
 * What a snapshot cannot hold is required at run time through a real require made then: the
 * addon (native code), node_modules (yargs, on the slow path of help and errors), builtins Node
 * does not support in snapshots (child_process, tty...), and anything outside the bundle.
 *
 * A snapshot freezes whatever module code computed while loading: an environment variable, the
 * pid, a file's contents, the time. While the modules load, those sources are trapped, and the
 * build fails naming the module rather than ship a blob that would give every run the values of
 * the build.
 */
const fs = require('fs');
const path = require('path');
const v8 = require('v8');

const ROOT = path.resolve(__dirname, '..');
const DIST = path.join(ROOT, 'dist');
const SRC = path.join(DIST, 'src');
const MAIN = path.join(SRC, 'cli', 'main.js');
/** Besides dist/src/**: what the CLI requires by path and the snapshot can hold. */
const EXTRA = [path.join(DIST, 'spec-schemas', 'validators.js'), path.join(DIST, 'build-info.json')];
/**
 * Evaluated into the snapshot, with what they require while loading (relative to dist/src; a
 * trailing / is every module of the directory): what create, start, state, kill, delete, run
 * and list use, including what they require lazily. Not main.js: loading it runs the command.
 * Each module more makes every start read and deserialize a larger heap, so rare commands
 * (and yargs, for help and errors) stay out.
 */
const PRELOAD = [
  ...['create', 'start', 'state', 'kill', 'delete', 'run', 'list'].map((c) => `cli/commands/${c}.js`),
  'cli/fast-parse.js',
  'runtime/',
  'state/',
  'spec/load.js',
  'spec/validate.js',
  '../spec-schemas/validators.js',
  'plan/build.js',
  'plan/rootfs.js',
  'cgroups/index.js',
  'seccomp/index.js',
  'native.js',
  '../build-info.json',
];
/**
 * Builtins that module code may load while the snapshot is built. Node does not vouch for the
 * others (child_process, tty, vm...) coming out of a snapshot in step with the process, so a
 * module that needs one while loading is left to run time.
 */
const SNAPSHOT_SAFE_BUILTINS = new Set(['fs', 'path', 'os', 'util', 'events', 'buffer', 'string_decoder', 'url', 'assert', 'constants']);

if (v8.startupSnapshot.isBuildingSnapshot()) builder();
else if (require.main === module) build();

// ---- the build ----------------------------------------------------------------------------

function build() {
  const { spawnSync } = require('child_process');
  const outAt = process.argv.indexOf('--out');
  const blob = outAt > 0 ? path.resolve(process.argv[outAt + 1]) : path.join(DIST, 'snapshot', 'ocirt.blob');
  fs.mkdirSync(path.dirname(blob), { recursive: true });
  const tmp = `${blob}.${process.pid}.tmp`;
  const probeDir = `${tmp}.probe`;
  const fail = (msg) => {
    fs.rmSync(tmp, { force: true });
    fs.rmSync(`${tmp}.node-mtime`, { force: true });
    fs.rmSync(probeDir, { recursive: true, force: true });
    process.stderr.write(`scripts/build-snapshot.js: ${msg}\n`);
    process.exit(1);
  };
  // Not --build-snapshot-config's withoutCodeCache, though it halves the blob: Node then builds
  // with V8's FunctionCodeHandling::kClear, and on Node 20 a class field initializer compiled
  // after such a start resolves the module's constants wrongly (seccomp's Rev got an empty
  // Uint32Array). The default keeps the compiled code, and the probe below runs that path.
  // A clean environment: the traps must see module code, not a caller's NODE_OPTIONS.
  const env = { PATH: process.env.PATH };
  const made = spawnSync(process.execPath, ['--snapshot-blob', tmp, '--build-snapshot', __filename], { env, encoding: 'utf8' });
  if (made.status !== 0) fail(`building the snapshot failed (${made.status ?? made.signal}):\n${made.stderr}${made.stdout}`);
  process.stderr.write(made.stderr);

  // The blob must answer as the plain CLI does before it may replace anything: commands that
  // need no root, over a bundle with a seccomp profile, a broken one and a missing container.
  // With OCIRT_SNAPSHOT_DEBUG a blob that does not use its own modules says so, and differs.
  const probeEnv = { ...env, OCIRT_SNAPSHOT_DEBUG: '1' };
  const plain = (args, cwd) => spawnSync(process.execPath, [MAIN, ...args], { env: probeEnv, encoding: 'utf8', cwd });
  const snap = (args, cwd) => spawnSync(process.execPath, ['--snapshot-blob', tmp, MAIN, ...args], { env: probeEnv, encoding: 'utf8', cwd });
  // Timings that commands print (seccomp dump's compile time) differ run to run.
  const stable = (t) => t.replace(/compiled in [\d.]+ ms/g, 'compiled in N ms');
  const show = (r) => `exit ${r.status ?? r.signal}, stdout ${JSON.stringify(stable(r.stdout))}, stderr ${JSON.stringify(r.stderr)}`;
  fs.rmSync(probeDir, { recursive: true, force: true });
  const good = path.join(probeDir, 'good');
  const bad = path.join(probeDir, 'bad');
  for (const d of [good, bad]) fs.mkdirSync(path.join(d, 'rootfs'), { recursive: true });
  if (plain(['spec'], good).status !== 0) fail(`"ocirt spec" fails: ${plain(['spec'], good).stderr}`);
  const config = JSON.parse(fs.readFileSync(path.join(good, 'config.json'), 'utf8'));
  config.linux.seccomp = {
    defaultAction: 'SCMP_ACT_ERRNO',
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_AARCH64'],
    syscalls: [{ names: ['read', 'write', 'mkdir'], action: 'SCMP_ACT_ALLOW' }, { names: ['kill'], action: 'SCMP_ACT_ERRNO', args: [{ index: 1, value: 9, op: 'SCMP_CMP_EQ' }] }],
  };
  fs.writeFileSync(path.join(good, 'config.json'), JSON.stringify(config, null, 2));
  fs.writeFileSync(path.join(bad, 'config.json'), JSON.stringify({ ...config, ociVersion: 5, process: { ...config.process, args: [1] } }, null, 2));
  const noRoot = path.join(probeDir, 'no-such-root');
  const probes = [
    ['--version'],
    ['--root', noRoot, 'state', 'no-such-container'],
    ['--root', noRoot, 'list', '--format', 'json'],
    ['validate', '--bundle', good],
    ['validate', '--bundle', bad],
    ['seccomp', '--bundle', good, 'dump'],
    ['seccomp', '--bundle', good, 'explain', 'kill', '1', '9'],
  ];
  for (const args of probes) {
    const p = show(plain(args)), s = show(snap(args));
    if (p !== s) fail(`the snapshot answers "ocirt ${args.join(' ')}" differently:\n  plain:    ${p}\n  snapshot: ${s}`);
  }
  fs.rmSync(probeDir, { recursive: true, force: true });

  // A blob made by another node build makes node exit at start-up, before any JavaScript could
  // fall back. So node-mtime, next to the blob, gets the mtime of the node that made it, and
  // bin/ocirt uses the blob only with a node of that very mtime (touch -r keeps the nanoseconds
  // that utimes rounds away: then the blob is simply not used).
  const stamp = `${tmp}.node-mtime`;
  fs.writeFileSync(stamp, '');
  if (spawnSync('touch', ['-r', process.execPath, stamp]).status !== 0) {
    const st = fs.statSync(process.execPath);
    fs.utimesSync(stamp, st.atime, st.mtime);
  }
  // bin/ocirt compares the blob's mtime with main.js's and validators.js's (tsc and
  // spec-schemas/build.js rewrite them each build): it carries the newest mtime among the files
  // it was made from, as the builder saw them, so a file written since is newer.
  const newest = /(\d+\.\d{9})\s*$/.exec(made.stdout)?.[1];
  if (!newest) fail(`the builder did not say when its newest file was written: ${JSON.stringify(made.stdout)}`);
  if (spawnSync('touch', ['-d', `@${newest}`, tmp]).status !== 0) {
    const t = Number(newest) + 1e-6; // utimes rounds: never older than the newest file
    fs.utimesSync(tmp, t, t);
  }
  fs.renameSync(stamp, path.join(path.dirname(blob), 'node-mtime'));
  fs.renameSync(tmp, blob);
  process.stdout.write(`${path.relative(process.cwd(), blob)}: ${(fs.statSync(blob).size / 1048576).toFixed(1)} MiB\n`);
}

// ---- the snapshot's builder ---------------------------------------------------------------

function builder() {
  // Node's require for a snapshot builder: builtins only.
  const builtinRequire = require;

  /** file -> { source } of every module in the bundle. */
  const files = new Map();
  const walk = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.js')) files.set(p, null);
    }
  };
  walk(SRC);
  for (const f of EXTRA) files.set(f, null);
  let newest = 0n;
  for (const f of [...files.keys()].sort()) {
    // mtime first: a file rewritten meanwhile looks newer than the blob, never older.
    const { mtimeNs } = fs.statSync(f, { bigint: true });
    if (mtimeNs > newest) newest = mtimeNs;
    files.set(f, { source: fs.readFileSync(f, 'utf8') });
  }

  const cache = Object.create(null);
  let building = true;
  /** Thrown while building when module code needs what the snapshot should not hold. */
  class Deferred extends Error {}
  let realRequire;
  const real = () => realRequire || (realRequire = builtinRequire('module').createRequire(MAIN));
  /** Requests that are not modules of the bundle. */
  const outside = (request) => {
    if (building) {
      if (!SNAPSHOT_SAFE_BUILTINS.has(request.replace(/^node:/, ''))) throw new Deferred(request);
      return builtinRequire(request);
    }
    if (path.isAbsolute(request)) return real()(request);
    try {
      // A builtin needs no resolution, and no Module machinery.
      return builtinRequire(request);
    } catch (e) {
      if (e && e.code === 'MODULE_NOT_FOUND') return real()(request);
      throw e;
    }
  };

  function resolveInBundle(from, request) {
    const base = path.resolve(from, request);
    for (const c of [base, base + '.js', base + '.json', path.join(base, 'index.js')]) if (files.has(c)) return c;
    return undefined;
  }

  const relative = (request) => request.startsWith('./') || request.startsWith('../') || request.startsWith('/');

  function makeRequire(dir) {
    const req = (request) => {
      if (typeof request !== 'string' || !relative(request)) return outside(request);
      const file = resolveInBundle(dir, request);
      return file ? load(file) : outside(path.resolve(dir, request));
    };
    req.cache = cache;
    req.resolve = (request) => (relative(request) && resolveInBundle(dir, request)) || real().resolve(request.startsWith('.') ? path.resolve(dir, request) : request);
    return req;
  }

  function load(file) {
    const hit = cache[file];
    if (hit) return hit.exports;
    const entry = files.get(file);
    const mod = { id: file, filename: file, path: path.dirname(file), exports: {}, loaded: false };
    mod.require = makeRequire(mod.path);
    cache[file] = mod;
    try {
      if (file.endsWith('.json')) mod.exports = JSON.parse(entry.source);
      else {
        // Indirect eval named by sourceURL: stack traces give the real file and line, as without
        // the snapshot (vm, which could name it too, is not supported in a snapshot builder).
        const fn = (0, eval)(`(function (exports, require, module, __filename, __dirname) {${entry.source}\n})\n//# sourceURL=${file}`);
        fn.call(mod.exports, mod.exports, mod.require, mod, file, mod.path);
      }
    } catch (e) {
      delete cache[file];
      throw e;
    }
    mod.loaded = true;
    // The compiled script keeps its own copy of the text: one copy in the blob is enough.
    entry.source = undefined;
    return mod.exports;
  }

  const deferred = [];
  const missing = [];
  const hits = withTraps(() => {
    for (const p of PRELOAD) {
      const abs = path.join(SRC, p);
      const list = p.endsWith('/') ? [...files.keys()].filter((f) => path.dirname(f) === abs.replace(/\/$/, '')) : [abs];
      if (list.length === 0 || !list.every((f) => files.has(f))) missing.push(p);
      for (const f of list.filter((x) => files.has(x))) {
        try {
          load(f);
        } catch (e) {
          if (!(e instanceof Deferred)) throw e;
          // load() took the module, and those that were loading it, out of the cache again.
          deferred.push(`${path.relative(SRC, f)} (needs ${e.message})`);
        }
      }
    }
  });
  // Run the hot pure code once: V8 compiles a function only when it first runs, and what it
  // compiled here is in the blob, so a command does not pay for it again (a first seccomp
  // compile, the config's parse and checks, the plan). Only pure calls: the traps stay on.
  if (!hits.length) hits.push(...withTraps(warmUp));
  building = false;
  if (hits.length) {
    process.stderr.write(
      'module code reads run-time state while it loads, and the snapshot would keep the value of the build; make it lazy:\n' +
        [...new Set(hits)].map((h) => `  ${h}\n`).join(''),
    );
    process.exit(1);
  }
  if (missing.length) process.stderr.write(`warning: PRELOAD names what dist/src does not have: ${missing.join(', ')}\n`);
  if (deferred.length) process.stderr.write(`warning: left to run time: ${deferred.join(', ')}\n`);

  fs.writeSync(1, `${newest / 1000000000n}.${String(newest % 1000000000n).padStart(9, '0')}\n`);

  function warmUp() {
    const mod = (rel) => load(path.join(SRC, rel));
    const { defaultSpec } = mod('spec/default.js');
    const { parseJsonWithPositions } = mod('spec/json-positions.js');
    const { schemaProblems } = mod('spec/validate.js');
    const { semanticCheck } = mod('spec/semantic.js');
    const { buildPlan } = mod('plan/build.js');
    const { compile, cacheKey } = mod('seccomp/index.js');
    const config = defaultSpec({ cgroupNamespace: false });
    config.process.terminal = false;
    // A cgroup mount needs the host's cgroup layout, which only a run may read.
    config.mounts = config.mounts.filter((m) => m.type !== 'cgroup');
    config.linux.resources = { memory: { limit: 1 << 26 }, pids: { limit: 64 }, devices: [{ allow: false, access: 'rwm' }] };
    const ops = ['SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ'];
    config.linux.seccomp = {
      defaultAction: 'SCMP_ACT_ERRNO',
      defaultErrnoRet: 1,
      architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
      syscalls: [
        { names: ['read', 'write', 'openat', 'close', 'mmap', 'execve', 'exit_group', 'clone', 'clone3'], action: 'SCMP_ACT_ALLOW' },
        ...ops.map((op, i) => ({ names: ['personality', 'socket'][i % 2] ? [['personality', 'socket'][i % 2]] : [], action: 'SCMP_ACT_ALLOW', args: [{ index: i % 6, value: 2 ** 40 + i, valueTwo: i, op }] })),
        { names: ['kill'], action: 'SCMP_ACT_KILL_PROCESS' },
        { names: ['mkdir'], action: 'SCMP_ACT_LOG' },
      ],
    };
    const text = JSON.stringify(config, null, 2);
    const parsed = parseJsonWithPositions(text);
    schemaProblems('config', parsed.value);
    semanticCheck(parsed.value);
    compile(config.linux.seccomp, { arch: 'x86_64' });
    cacheKey(config.linux.seccomp, { arch: 'x86_64' });
    buildPlan(config, { bundle: '/nonexistent-bundle', noPivot: false, preserveFds: 0, listenFds: 0, host: { apparmor: false, selinux: false } });
  }

  v8.startupSnapshot.setDeserializeMainFunction(() => {
    // bin/ocirt passes main.js as the first argument, so argv is what `node main.js ...` gives
    // once the path is made absolute as Node does for a main script. The blob is no Node option
    // the CLI was given.
    process.argv[1] = path.resolve(process.argv[1]);
    process.execArgv = [];
    if (process.argv[1] !== MAIN) {
      // The tree was moved since the blob was made: the files on disk are the truth.
      if (process.env.OCIRT_SNAPSHOT_DEBUG) process.stderr.write(`ocirt: the startup snapshot was made for ${MAIN}; loading ${process.argv[1]}\n`);
      builtinRequire('module').createRequire(process.argv[1])(process.argv[1]);
      return;
    }
    load(MAIN);
  });
}

/**
 * Runs fn with the sources of run-time state trapped; returns what module code used, as
 * "<file>: <what>", the file being the first one on the stack that is not this one.
 */
function withTraps(fn) {
  const hits = [];
  const undo = [];
  let noting = false;
  const note = (what) => {
    if (noting) return;
    noting = true;
    const saved = Error.stackTraceLimit;
    Error.stackTraceLimit = 30;
    const stack = new Error().stack || '';
    Error.stackTraceLimit = saved;
    const frame = stack.split('\n').find((l) => /\/[^\s():]+\.js(on)?:\d+:\d+/.test(l) && !l.includes(__filename)) || '';
    const m = /(\/[^\s():]+\.js(on)?):\d+:\d+/.exec(frame);
    hits.push(`${m ? path.relative(ROOT, m[1]) : 'a module'}: ${what}`);
    noting = false;
  };
  const wrapFunctions = (obj, label, names = Object.keys(obj)) => {
    for (const k of names) {
      const d = Object.getOwnPropertyDescriptor(obj, k);
      if (!d || !d.configurable || typeof d.value !== 'function' || /^[A-Z]/.test(k)) continue;
      const orig = d.value;
      Object.defineProperty(obj, k, {
        ...d,
        value: function (...a) {
          note(`${label}.${k}()`);
          return orig.apply(this, a);
        },
      });
      undo.push(() => Object.defineProperty(obj, k, d));
    }
  };
  const wrapGetter = (obj, k, label) => {
    const d = Object.getOwnPropertyDescriptor(obj, k);
    if (!d || !d.configurable) return;
    Object.defineProperty(obj, k, {
      configurable: true,
      enumerable: d.enumerable,
      get() {
        note(label);
        return d.get ? d.get.call(obj) : d.value;
      },
      set(v) {
        note(label);
        if (d.set) d.set.call(obj, v);
      },
    });
    undo.push(() => Object.defineProperty(obj, k, d));
  };
  wrapFunctions(require('fs'), 'fs');
  wrapFunctions(require('os'), 'os');
  wrapFunctions(process, 'process', [
    'cwd', 'chdir', 'umask', 'getuid', 'geteuid', 'getgid', 'getegid', 'getgroups', 'hrtime', 'uptime', 'memoryUsage',
    'cpuUsage', 'resourceUsage', 'on', 'once', 'addListener', 'prependListener', 'kill', 'exit', 'emitWarning',
  ]);
  for (const k of ['argv', 'argv0', 'execArgv', 'pid', 'ppid', 'title', 'stdout', 'stderr', 'stdin', 'exitCode']) wrapGetter(process, k, `process.${k}`);
  const envDesc = Object.getOwnPropertyDescriptor(process, 'env');
  const env = envDesc.value;
  Object.defineProperty(process, 'env', {
    ...envDesc,
    value: new Proxy(env, {
      get(t, k) {
        if (typeof k === 'string') note(`process.env.${k}`);
        return Reflect.get(t, k);
      },
      has(t, k) {
        note(`process.env (${String(k)} in)`);
        return Reflect.has(t, k);
      },
      ownKeys(t) {
        note('process.env (its names)');
        return Reflect.ownKeys(t);
      },
    }),
  });
  undo.push(() => Object.defineProperty(process, 'env', envDesc));
  wrapFunctions(Math, 'Math', ['random']);
  wrapFunctions(Date, 'Date', ['now']);
  const RealDate = Date;
  globalThis.Date = new Proxy(RealDate, {
    construct(t, args, nt) {
      if (args.length === 0) note('new Date()');
      return Reflect.construct(t, args, nt);
    },
    apply(t, self, args) {
      note('Date()');
      return Reflect.apply(t, self, args);
    },
  });
  undo.push(() => {
    globalThis.Date = RealDate;
  });
  for (const k of ['setTimeout', 'setInterval', 'setImmediate', 'queueMicrotask']) {
    const orig = globalThis[k];
    globalThis[k] = function (...a) {
      note(`${k}()`);
      return orig.apply(this, a);
    };
    undo.push(() => {
      globalThis[k] = orig;
    });
  }
  try {
    fn();
  } finally {
    for (const u of undo.reverse()) u();
  }
  return hits;
}

#!/usr/bin/env node
'use strict';
/*
 * Builds dist/bundle/{core,rest}.js, the modules of dist/src in two scripts, and a V8 code cache
 * of each ({core,rest}.cache), which src/boot.ts (what bin/ocirt runs) loads the CLI from. The
 * core is what the short commands require (CORE_ROOTS and all they require, lazily or not), so
 * that they neither read nor deserialize the code of create.
 *
 *   node scripts/build-bundle.js        (after tsc and spec-schemas/build.js)
 *
 * V8 compiles a function only when it first runs, and a code cache made after running code
 * holds what was compiled. So before the cache is made, this script loads the modules of the
 * frequent commands and runs their hot pure code once (config parse and checks, the plan, a
 * seccomp compile): a command then finds that code compiled. Nothing of the build's state goes
 * into the cache, only code, so nothing run here can leak into a command.
 */
const fs = require('fs');
const path = require('path');
const vm = require('vm');
const crypto = require('crypto');

const ROOT = path.resolve(__dirname, '..');
const DIST = path.join(ROOT, 'dist');
const SRC = path.join(DIST, 'src');
const { wrapBundle, moduleEntry, moduleTable, PARTS, cacheOf } = require(path.join(SRC, 'boot.js'));
/** Not in the bundle: the module that loads it. */
const OUTSIDE = new Set([path.join(SRC, 'boot.js')]);
/** The short commands: the core holds them and what they require. */
const CORE_ROOTS = ['cli/main.js', ...['state', 'start', 'kill', 'delete', 'list', 'pause', 'resume', 'ps', 'events'].map((c) => `cli/commands/${c}.js`)];
/** Loaded before the caches are made: what create, start, state, kill, delete, run, exec and list use. */
const WARM = ['create', 'start', 'state', 'kill', 'delete', 'run', 'exec', 'list'].map((c) => `cli/commands/${c}.js`);

function sources() {
  const files = [];
  const walk = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.js') && !OUTSIDE.has(p)) files.push(p);
    }
  };
  walk(SRC);
  return files.sort();
}

/** The files `roots` require, by relative string literals (lazy requires too), transitively. */
function closure(roots, known) {
  const seen = new Set();
  const todo = roots.map((r) => path.join(SRC, r));
  while (todo.length) {
    const f = todo.pop();
    if (seen.has(f) || !known.has(f)) continue;
    seen.add(f);
    for (const m of fs.readFileSync(f, 'utf8').matchAll(/require\((["'])(\.{1,2}\/[^"']+)\1\)/g)) {
      const base = path.resolve(path.dirname(f), m[2]);
      const hit = [base, `${base}.js`, path.join(base, 'index.js')].find((c) => known.has(c));
      if (hit) todo.push(hit);
    }
  }
  return seen;
}

function main() {
  const files = sources();
  const known = new Set(files);
  const core = closure(CORE_ROOTS, known);
  const parts = { core: files.filter((f) => core.has(f)), rest: files.filter((f) => !core.has(f)) };
  const bodies = {};
  for (const [name, list] of Object.entries(parts)) {
    bodies[name] = '';
    for (const f of list) {
      const text = fs.readFileSync(f, 'utf8');
      // boot.ts reads the bundle as latin1, which is cheaper than utf8 and right only for ASCII.
      if (/[^\x00-\x7f]/.test(text)) fail(`${path.relative(ROOT, f)} has a non-ASCII character; write it as an escape`);
      bodies[name] += moduleEntry(f, text);
    }
  }
  const id = crypto.createHash('sha256').update(bodies.core).update(bodies.rest).digest('hex').slice(0, 16);
  const sources_ = { core: wrapBundle(id, bodies.core, parts.rest), rest: wrapBundle(id, bodies.rest, parts.core) };
  const scripts = {};
  for (const name of ['core', 'rest']) scripts[name] = new vm.Script(sources_[name], { filename: PARTS[name] });
  const load = moduleTable(scripts.core.runInThisContext()(), require, () => scripts.rest.runInThisContext()());
  // Not main.js: loading it runs the CLI.
  for (const m of [...CORE_ROOTS.filter((r) => r !== 'cli/main.js'), ...WARM]) load(path.join(SRC, m));
  warmUp((rel) => load(path.join(SRC, rel)));

  fs.mkdirSync(path.dirname(PARTS.core), { recursive: true });
  const tmp = (p) => `${p}.${process.pid}.tmp`;
  const sizes = [];
  // The rest first and the core last: boot.ts takes the core's mtime for the bundle's.
  for (const name of ['rest', 'core']) {
    const source = sources_[name];
    const cache = scripts[name].createCachedData();
    fs.writeFileSync(tmp(PARTS[name]), source, 'latin1');
    fs.writeFileSync(tmp(cacheOf(PARTS[name])), Buffer.concat([Buffer.from(source.slice(0, source.indexOf('\n') + 1), 'latin1'), cache]));
    fs.renameSync(tmp(cacheOf(PARTS[name])), cacheOf(PARTS[name]));
    fs.renameSync(tmp(PARTS[name]), PARTS[name]);
    sizes.unshift(`${name} ${parts[name].length} modules, ${(source.length / 1024).toFixed(0)} KiB, code cache ${(cache.length / 1024).toFixed(0)} KiB`);
  }
  process.stdout.write(`${path.relative(process.cwd(), path.dirname(PARTS.core))}: ${sizes.join('; ')}\n`);
}

/** The hot pure code of create, on a config that exercises most of it. */
function warmUp(mod) {
  const { defaultSpec } = mod('spec/default.js');
  const { parseJsonWithPositions } = mod('spec/json-positions.js');
  const { schemaProblems } = mod('spec/validate.js');
  const { semanticCheck } = mod('spec/semantic.js');
  const { buildPlan } = mod('plan/build.js');
  const { compile, cacheKey } = mod('seccomp/index.js');
  const { fastParse } = mod('cli/fast-parse.js');
  fastParse(['--root', '/run/x', '--log', '/x/log.json', '--log-format', 'json', 'create', '--bundle', '/b', '--pid-file', '/p', 'id']);
  fastParse(['--root', '/run/x', 'state', 'id']);
  const config = defaultSpec({ cgroupNamespace: false });
  config.process.terminal = false;
  // A cgroup mount needs the host's cgroup layout; the plan would read it.
  config.mounts = config.mounts.filter((m) => m.type !== 'cgroup');
  config.linux.resources = { memory: { limit: 1 << 26 }, pids: { limit: 64 }, devices: [{ allow: false, access: 'rwm' }] };
  const ops = ['SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ'];
  config.linux.seccomp = {
    defaultAction: 'SCMP_ACT_ERRNO',
    defaultErrnoRet: 1,
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
    syscalls: [
      { names: ['read', 'write', 'openat', 'close', 'mmap', 'execve', 'exit_group', 'clone', 'clone3'], action: 'SCMP_ACT_ALLOW' },
      ...ops.map((op, i) => ({ names: [i % 2 ? 'personality' : 'socket'], action: 'SCMP_ACT_ALLOW', args: [{ index: i % 6, value: 2 ** 40 + i, valueTwo: i, op }] })),
      { names: ['kill'], action: 'SCMP_ACT_KILL_PROCESS' },
      { names: ['mkdir'], action: 'SCMP_ACT_LOG' },
    ],
  };
  const parsed = parseJsonWithPositions(JSON.stringify(config, null, 2));
  schemaProblems('config', parsed.value);
  semanticCheck(parsed.value);
  compile(config.linux.seccomp, { arch: 'x86_64' });
  cacheKey(config.linux.seccomp, { arch: 'x86_64' });
  const { encodePlan } = mod('plan/encode.js');
  encodePlan(buildPlan(config, { bundle: '/nonexistent-bundle', noPivot: false, preserveFds: 0, listenFds: 0, host: { apparmor: false, selinux: false } }));
}

function fail(msg) {
  process.stderr.write(`scripts/build-bundle.js: ${msg}\n`);
  process.exit(1);
}

main();

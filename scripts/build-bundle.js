#!/usr/bin/env node
'use strict';
/*
 * Builds dist/bundle/ocirt.js, every module of dist/src in one script, and dist/bundle/ocirt.cache,
 * V8's code cache of it, which src/boot.ts (what bin/ocirt runs) loads the CLI from.
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
const { wrapBundle, moduleEntry, moduleTable } = require(path.join(SRC, 'bundle.js'));
const { BUNDLE, CACHE } = require(path.join(SRC, 'boot.js'));
/** Not in the bundle: the two modules that load it. */
const OUTSIDE = new Set([path.join(SRC, 'bundle.js'), path.join(SRC, 'boot.js')]);
/** Loaded before the cache is made: what create, start, state, kill, delete, run, exec and list use. */
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

function main() {
  let body = '';
  for (const f of sources()) {
    const text = fs.readFileSync(f, 'utf8');
    // boot.ts reads the bundle as latin1, which is cheaper than utf8 and right only for ASCII.
    if (/[^\x00-\x7f]/.test(text)) fail(`${path.relative(ROOT, f)} has a non-ASCII character; write it as an escape`);
    body += moduleEntry(f, text);
  }
  const id = crypto.createHash('sha256').update(body).digest('hex').slice(0, 16);
  const source = wrapBundle(id, body);

  const script = new vm.Script(source, { filename: BUNDLE });
  const load = moduleTable(script.runInThisContext()(), require);
  for (const m of WARM) load(path.join(SRC, m));
  warmUp((rel) => load(path.join(SRC, rel)));
  const cache = script.createCachedData();

  fs.mkdirSync(path.dirname(BUNDLE), { recursive: true });
  const tmp = (p) => `${p}.${process.pid}.tmp`;
  fs.writeFileSync(tmp(BUNDLE), source, 'latin1');
  fs.writeFileSync(tmp(CACHE), Buffer.concat([Buffer.from(source.slice(0, source.indexOf('\n') + 1), 'latin1'), cache]));
  // The cache first: a bundle never meets a cache older than itself except through its id check.
  fs.renameSync(tmp(CACHE), CACHE);
  fs.renameSync(tmp(BUNDLE), BUNDLE);
  process.stdout.write(`${path.relative(process.cwd(), BUNDLE)}: ${(source.length / 1024).toFixed(0)} KiB, code cache ${(cache.length / 1024).toFixed(0)} KiB\n`);
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
  buildPlan(config, { bundle: '/nonexistent-bundle', noPivot: false, preserveFds: 0, listenFds: 0, host: { apparmor: false, selinux: false } });
}

function fail(msg) {
  process.stderr.write(`scripts/build-bundle.js: ${msg}\n`);
  process.exit(1);
}

main();

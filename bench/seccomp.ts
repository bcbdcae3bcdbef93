/**
 * Seccomp compile time for podman's default profile (default caps, x86_64 + x86 + x32), next
 * to libseccomp, and program length in instructions. Run: node dist/bench/seccomp.js
 *
 * Every ocirt command is a fresh node process, so "first in process" is what a cache miss costs:
 * each sample is a new `node` running a small script that reads the profile (not timed), then
 * times with hrtime require('src/seccomp') plus one compile(); the figure is the median over
 * FIRST (30) processes. The same for a cache hit (require plus compileFromCache on a warm cache),
 * and, for scale, a fresh process requiring an empty module (node's own cost of a first
 * require, part of both). In-process figures (warm compile, warm cache hit) are medians over
 * ROUNDS (300) calls. libseccomp is timed in Python (python3-seccomp): time.perf_counter around
 * building the filter and exporting BPF, median over min(ROUNDS, 200) builds after two warm-ups,
 * and its first build after import.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEFAULT_CAPS, PODMAN_PROFILE, ROOT, resolveEngineProfile } from '../test/helpers/seccomp-diff';

const N = Number(process.env.ROUNDS ?? 300);
const FIRST = Number(process.env.FIRST ?? 30);
const ARCH = 'x86_64';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}
const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;

const profile = resolveEngineProfile(PODMAN_PROFILE, DEFAULT_CAPS, 'SCMP_ARCH_X86_64');
const modulePath = require.resolve('../src/seccomp');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocirt-seccomp-bench-'));

/** The script of one fresh-process sample: argv = module, profile file, mode (compile, cached, empty), cache dir. */
const CHILD = `'use strict';
const fs = require('fs');
const [, , mod, profileFile, mode, cacheDir] = process.argv;
const profile = JSON.parse(fs.readFileSync(profileFile, 'utf8'));
const t0 = process.hrtime.bigint();
const s = require(mod);
const t1 = process.hrtime.bigint();
// As create does: the program, then store (which writes only on a miss: the first run fills the cache).
const c = mode === 'cached' ? s.compileFromCache(profile, { arch: '${ARCH}', cacheDir }) : undefined;
if (c) c.store(cacheDir);
const r = mode === 'compile' ? s.compile(profile, { arch: '${ARCH}' }) : c ? c.result : undefined;
const t2 = process.hrtime.bigint();
process.stdout.write(JSON.stringify({ require: Number(t1 - t0) / 1e6, call: Number(t2 - t1) / 1e6, instructions: r ? r.instructions : 0 }));
`;

interface Sample { require: number; call: number; instructions: number }

function fresh(mode: 'compile' | 'cached' | 'empty', cacheDir = ''): Sample {
  const mod = mode === 'empty' ? path.join(dir, 'empty.js') : modulePath;
  const r = spawnSync(process.execPath, [path.join(dir, 'child.js'), mod, path.join(dir, 'profile.json'), mode, cacheDir], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`bench child (${mode}) failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Sample;
}

try {
  fs.writeFileSync(path.join(dir, 'child.js'), CHILD);
  fs.writeFileSync(path.join(dir, 'empty.js'), '');
  fs.writeFileSync(path.join(dir, 'profile.json'), JSON.stringify(profile));

  // Fresh processes, interleaved so that load on the machine hits all three alike.
  const cacheDir = path.join(dir, 'cache');
  fresh('cached', cacheDir); // fills the cache
  const first: Sample[] = [], hit: Sample[] = [], empty: Sample[] = [];
  for (let i = 0; i < FIRST; i++) {
    first.push(fresh('compile'));
    hit.push(fresh('cached', cacheDir));
    empty.push(fresh('empty'));
  }

  // As ocirt itself pays it: a fresh `bin/ocirt` (from its bundle and code cache when built,
  // where src/seccomp's code is already compiled) compiling the profile once; it prints the time.
  const bundle = path.join(dir, 'bundle');
  fs.mkdirSync(path.join(bundle, 'rootfs'), { recursive: true });
  const cfg = JSON.parse(spawnSync(path.join(ROOT, 'bin/ocirt'), ['spec', '--bundle', bundle], { encoding: 'utf8' }).status === 0 ? fs.readFileSync(path.join(bundle, 'config.json'), 'utf8') : '{}');
  cfg.linux.seccomp = profile;
  fs.writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(cfg));
  const inOcirt: number[] = [];
  for (let i = 0; i < FIRST; i++) {
    const r = spawnSync(path.join(ROOT, 'bin/ocirt'), ['seccomp', '--bundle', bundle, '--arch', ARCH, 'dump'], { encoding: 'utf8', maxBuffer: 64 << 20 });
    const m = /compiled in ([\d.]+) ms/.exec(r.stdout);
    if (r.status !== 0 || !m) throw new Error(`ocirt seccomp dump failed: ${r.stderr}`);
    inOcirt.push(Number(m[1]));
  }
  // src/boot.ts takes the bundle only when it is not older than the code.
  const bundleJs = path.join(ROOT, 'dist/bundle/core.js');
  const bundled = fs.existsSync(bundleJs) && fs.statSync(bundleJs).mtimeMs >= fs.statSync(path.join(ROOT, 'dist/src/cli/main.js')).mtimeMs;

  // In this process: warm compile and warm cache hits.
  const seccomp = require('../src/seccomp') as typeof import('../src/seccomp');
  const result = seccomp.compile(profile, { arch: ARCH });
  const warm: number[] = [];
  for (let i = 0; i < N; i++) {
    const t0 = process.hrtime.bigint();
    seccomp.compile(profile, { arch: ARCH });
    warm.push(ms(t0));
  }
  const cached: number[] = [];
  for (let i = 0; i < N; i++) {
    const t0 = process.hrtime.bigint();
    seccomp.compileFromCache(profile, { arch: ARCH, cacheDir }).store(cacheDir);
    cached.push(ms(t0));
  }

  const py = spawnSync('/usr/bin/python3', [path.join(ROOT, 'test/helpers/seccomp_libseccomp.py')], {
    input: JSON.stringify([profile]), encoding: 'utf8', env: { ...process.env, SECCOMP_BENCH: String(Math.min(N, 200)) },
  });
  if (py.status !== 0) throw new Error(py.stderr);
  const lib = JSON.parse(py.stdout) as { ms: number; first: number; instructions: number };

  const total = (s: Sample) => s.require + s.call;
  const firstMs = median(first.map(total)), hitMs = median(hit.map(total)), emptyMs = median(empty.map((s) => s.require));
  const w = median(warm), c = median(cached);
  const fmt = (x: number) => x.toFixed(3).padStart(8) + ' ms';
  const ratio = (x: number) => `ratio libseccomp/ocirt ${(lib.ms / x).toFixed(1)}x`;
  console.log(`podman default profile, ${ARCH} (+x86, x32); medians: fresh processes over ${FIRST}, in-process over ${N} rounds`);
  console.log(`libseccomp (python3-seccomp, build+export)     ${fmt(lib.ms)}   (first build after import ${lib.first.toFixed(3)} ms)`);
  console.log(`ocirt compile, first in process (fresh node)   ${fmt(firstMs)}   ${ratio(firstMs)}`);
  console.log(`  of which require('src/seccomp')              ${fmt(median(first.map((s) => s.require)))}`);
  console.log(`  of which compile()                           ${fmt(median(first.map((s) => s.call)))}`);
  console.log(`  node alone: require of an empty module       ${fmt(emptyMs)}`);
  const io = median(inOcirt);
  console.log(`ocirt compile, first in a fresh bin/ocirt${bundled ? ' (bundle)' : ''}    ${fmt(io)}   ${ratio(io)}`);
  console.log(`ocirt compile, warm (in process)               ${fmt(w)}   ${ratio(w)}`);
  console.log(`ocirt cache hit, fresh node (+require)         ${fmt(hitMs)}   (compileFromCache() alone ${median(hit.map((s) => s.call)).toFixed(3)} ms)`);
  console.log(`ocirt cache hit, warm (in process)            ${fmt(c)}`);
  console.log(`instructions: ocirt ${result.instructions}, libseccomp ${lib.instructions} (ratio ${(result.instructions / lib.instructions).toFixed(2)})`);
  if (first.some((s) => s.instructions !== result.instructions)) throw new Error('fresh-process compile gave another program length');
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}

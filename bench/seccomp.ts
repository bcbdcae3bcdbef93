/**
 * Seccomp compile time for podman's default profile (default caps, x86_64 + x86 + x32):
 * ocirt uncached (first call in the process, tables included, and warm), ocirt cached load,
 * and libseccomp through python3-seccomp (time.perf_counter around building the filter and
 * exporting BPF, in Python). Also program length in instructions. Run: node dist/bench/seccomp.js
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEFAULT_CAPS, PODMAN_PROFILE, ROOT, resolveEngineProfile } from '../test/helpers/seccomp-diff';

const N = Number(process.env.ROUNDS ?? 300);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}
const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;

const profile = resolveEngineProfile(PODMAN_PROFILE, DEFAULT_CAPS, 'SCMP_ARCH_X86_64');

let t0 = process.hrtime.bigint();
const seccomp = require('../src/seccomp') as typeof import('../src/seccomp');
const first = seccomp.compile(profile, { arch: 'x86_64' });
const cold = ms(t0);

const warm: number[] = [];
for (let i = 0; i < N; i++) {
  t0 = process.hrtime.bigint();
  seccomp.compile(profile, { arch: 'x86_64' });
  warm.push(ms(t0));
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocirt-seccomp-bench-'));
const cached: number[] = [];
try {
  seccomp.compileCached(profile, { arch: 'x86_64', cacheDir: dir });
  for (let i = 0; i < N; i++) {
    t0 = process.hrtime.bigint();
    seccomp.compileCached(profile, { arch: 'x86_64', cacheDir: dir });
    cached.push(ms(t0));
  }
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}

const py = spawnSync('/usr/bin/python3', [path.join(ROOT, 'test/helpers/seccomp_libseccomp.py')], {
  input: JSON.stringify([profile]), encoding: 'utf8', env: { ...process.env, SECCOMP_BENCH: String(Math.min(N, 200)) },
});
if (py.status !== 0) throw new Error(py.stderr);
const lib = JSON.parse(py.stdout) as { ms: number; instructions: number };

const w = median(warm), c = median(cached);
const fmt = (x: number) => x.toFixed(3).padStart(8) + ' ms';
console.log(`podman default profile, x86_64 (+x86, x32), ${N} rounds, medians`);
console.log(`libseccomp (python3-seccomp, build+export) ${fmt(lib.ms)}`);
console.log(`ocirt compile, first in process           ${fmt(cold)}   ratio libseccomp/ocirt ${(lib.ms / cold).toFixed(1)}x`);
console.log(`ocirt compile, warm                        ${fmt(w)}   ratio libseccomp/ocirt ${(lib.ms / w).toFixed(1)}x`);
console.log(`ocirt compileCached, hit                   ${fmt(c)}   ratio libseccomp/ocirt ${(lib.ms / c).toFixed(1)}x`);
console.log(`instructions: ocirt ${first.instructions}, libseccomp ${lib.instructions} (ratio ${(first.instructions / lib.instructions).toFixed(2)})`);

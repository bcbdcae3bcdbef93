/**
 * Builds the static probe (conformance/probe.c) once into build/probe, so that the demo and
 * the tests can drop it into any rootfs. Rebuilt when the source is newer.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';

const REPO = path.resolve(__dirname, '..', '..');

export function probePath(): string {
  const src = path.join(REPO, 'conformance', 'probe.c');
  const out = path.join(REPO, 'build', 'probe');
  if (fs.existsSync(out) && fs.statSync(out).mtimeMs >= fs.statSync(src).mtimeMs) return out;
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const tmp = `${out}.${process.pid}`;
  try {
    execFileSync('gcc', ['-static', '-O2', '-o', tmp, src], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    throw new Error(`cannot build the probe with "gcc -static" (install gcc and libc6-dev): ${(e as Error).message}`);
  }
  fs.renameSync(tmp, out);
  return out;
}

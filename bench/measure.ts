/**
 * Side-by-side timing: every candidate runs in the same rounds, interleaved, so the noise of a
 * shared machine falls on all of them alike. Reports medians and ratios against a baseline.
 */
import { spawnSync } from 'node:child_process';

export interface Candidate {
  name: string;
  /** One timed run; returns false when the run failed. */
  run: () => boolean;
  /** Untimed work before each run (e.g. remove what the last run left). */
  before?: () => void;
}

export interface Result {
  name: string;
  median: number;
  p10: number;
  p90: number;
  failures: number;
}

export function command(argv: string[], env?: NodeJS.ProcessEnv): () => boolean {
  return () => spawnSync(argv[0], argv.slice(1), { stdio: 'ignore', env: env ?? process.env }).status === 0;
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

export function measure(cands: Candidate[], rounds: number, warmup = 3): Result[] {
  const times: number[][] = cands.map(() => []);
  const failures = cands.map(() => 0);
  for (let r = -warmup; r < rounds; r++) {
    cands.forEach((c, i) => {
      c.before?.();
      const t0 = process.hrtime.bigint();
      const ok = c.run();
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (r < 0) return;
      if (!ok) failures[i]++;
      times[i].push(ms);
    });
  }
  return cands.map((c, i) => {
    const s = times[i].sort((a, b) => a - b);
    return { name: c.name, median: quantile(s, 0.5), p10: quantile(s, 0.1), p90: quantile(s, 0.9), failures: failures[i] };
  });
}

export function report(title: string, results: Result[], baseline: string): string {
  const base = results.find((r) => r.name === baseline)!;
  const lines = [`## ${title}`, '', `| command | median ms | p10 | p90 | ratio to ${baseline} | failures |`, '|---|---|---|---|---|---|'];
  for (const r of results) {
    lines.push(`| ${r.name} | ${r.median.toFixed(1)} | ${r.p10.toFixed(1)} | ${r.p90.toFixed(1)} | ${(r.median / base.median).toFixed(2)} | ${r.failures} |`);
  }
  return lines.join('\n') + '\n';
}

export function have(bin: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' }).status === 0;
}

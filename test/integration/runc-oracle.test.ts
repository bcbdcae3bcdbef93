/**
 * The differential test: every config of the corpus runs under runc and under ocirt (see
 * helpers/oracle.ts), and the process must see the same under both. The corpus: what `runc spec`
 * and `crun spec` write on this machine, the integration tests' configs
 * (test/fixtures/oracle/itest-*.json, with the base of helpers/bundle.ts live), and the configs
 * Docker, podman, buildah and containerd sent, captured once into test/fixtures/engine-configs
 * (see capture.js there).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { defaultTestConfig } from '../helpers/bundle';
import { REPO } from '../helpers/cli';
import { cgroupParentsMadeHere } from '../helpers/cgroup-parents';
import { ORACLE_CGROUP_PARENT, Seen, knownCauses, runBoth, runUnder } from '../helpers/oracle';
import { DELIBERATE } from '../helpers/runc-deviations';

const parents = cgroupParentsMadeHere([ORACLE_CGROUP_PARENT]);
test.after(() => parents.remove());

/** The config a runtime's `spec` command writes. */
function specOf(bin: string): any {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocitest-spec-'));
  try {
    const r = spawnSync(bin, ['spec'], { cwd: dir, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${bin} spec: ${r.stderr}`);
    return JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function fixtures(dir: string): [string, any][] {
  const d = path.join(REPO, 'test/fixtures', dir);
  if (!fs.existsSync(d)) return [];
  return fs.readdirSync(d).filter((f) => f.endsWith('.json')).sort().map((f) => [`${dir}/${f}`, JSON.parse(fs.readFileSync(path.join(d, f), 'utf8'))]);
}

const compared = (s: Seen) => ({ create: s.create, report: s.report, cgroup: s.cgroup });

/** runc and ocirt see the same, or ocirt refuses a config runc-deviations.ts says it refuses. */
async function same(config: any): Promise<Seen> {
  const { runc, ocirt } = await runBoth(config);
  assert.is(runc.create, 0, `runc refused the config: ${runc.error}`);
  const refusal = DELIBERATE.find((d) => d.refuses?.(config));
  if (refusal) {
    assert.is.not(ocirt.create, 0, `ocirt ran a config it refuses on purpose (${refusal.what})`);
    return runc;
  }
  const causes = knownCauses(runc, ocirt);
  const why = [ocirt.error ? `ocirt: ${ocirt.error}` : '', causes.length ? `looks like: ${causes.join('; ')}` : ''].filter(Boolean).join('; ');
  assert.equal(compared(ocirt), compared(runc), `ocirt saw otherwise than runc${why ? ` (${why})` : ''}`);
  return runc;
}

const corpus: [string, any][] = [
  ['runc spec', specOf('runc')],
  ['crun spec', specOf('crun')],
  ['the integration tests\' base config', defaultTestConfig()],
  ...fixtures('oracle'),
  ...fixtures('engine-configs'),
];

for (const [name, config] of corpus) {
  test(`${name}: the process sees under ocirt what it sees under runc`, async () => {
    const seen = await same(config);
    assert.ok(seen.report && seen.report.Uid !== undefined, `the probe did not report under runc: ${JSON.stringify(seen.report)}`);
  });
}

test('a terminal of a non-root process belongs to that process', async () => {
  const c = defaultTestConfig();
  c.process.terminal = true;
  c.process.user = { uid: 1000, gid: 1000, additionalGids: [5] };
  const seen = await same(c);
  assert.is.not(seen.report.tty, null);
});

test('the oracle sees a difference where there is one', async () => {
  // Guards the harness itself: two configs that differ in every compared area must not compare equal.
  const a = defaultTestConfig();
  const b = defaultTestConfig();
  b.hostname = 'other';
  b.process.env.push('EXTRA=1');
  b.process.cwd = '/tmp';
  b.process.rlimits = [{ type: 'RLIMIT_NOFILE', hard: 512, soft: 256 }];
  b.mounts.push({ destination: '/mnt', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] });
  b.linux.resources = { memory: { limit: 64 << 20 }, pids: { limit: 50 } };
  const runc = await runUnder('runc', a);
  const other = await runUnder('runc', b);
  for (const k of ['hostname', 'env', 'cwd', 'rlimits', 'mounts']) assert.not.equal(other.report[k], runc.report[k], `${k} did not change`);
  assert.not.equal(other.cgroup, runc.cgroup, 'cgroup files did not change');
});

test.run();

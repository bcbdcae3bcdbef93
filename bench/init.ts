/**
 * Issue 9's figure: what the init as its own program (a sealed memfd copy exec'd right after
 * clone) costs create and exec, side by side with runc, in interleaved rounds.
 *   - create of a container whose process is /bin/true (the delete before each round is untimed)
 *   - exec of /bin/true into a running container
 * OCIRT_COMPARE=<path of another bin/ocirt> adds that build's figures (e.g. one whose init is a
 * clone of node) to the same rounds.
 *   node dist/bench/init.js [rounds]
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { Candidate, command, have, measure, report } from './measure';
import { makeBundle } from '../test/helpers/bundle';
import { cgroupParentsMadeHere } from '../test/helpers/cgroup-parents';

const REPO = path.resolve(__dirname, '..', '..');
const rounds = Number(process.argv[2] ?? 20);
const env = { ...process.env };
delete env.NODE_EXTRA_CA_CERTS;

cgroupParentsMadeHere(['ocirt']);
const root = fs.mkdtempSync('/tmp/ocirt-bench-');
const b = makeBundle((c) => {
  c.process.args = ['/bin/true'];
});
const long = makeBundle((c) => {
  c.process.args = ['/bin/sleep', '1000'];
});

const runtimes = [{ name: 'ocirt', argv: [path.join(REPO, 'bin', 'ocirt'), '--root', path.join(root, 'ocirt')] }];
if (process.env.OCIRT_COMPARE) runtimes.push({ name: 'ocirt (compare)', argv: [process.env.OCIRT_COMPARE, '--root', path.join(root, 'compare')] });
if (have('runc')) runtimes.push({ name: 'runc', argv: ['runc', '--root', path.join(root, 'runc')] });

const sh = (argv: string[]) => spawnSync(argv[0], argv.slice(1), { stdio: 'ignore', env }).status === 0;

try {
  const cands: Candidate[] = [{ name: 'node -e 0', run: command(['node', '-e', '0'], env) }];
  // Ids differ per runtime: the default cgroup path is named after the id.
  const ids = (rt: { name: string }, what: string) => `bench-${what}-${runtimes.indexOf(rt as any)}-${process.pid}`;
  for (const rt of runtimes) {
    const id = ids(rt, 'create');
    cands.push({ name: `${rt.name} create`, before: () => sh([...rt.argv, 'delete', '-f', id]), run: () => sh([...rt.argv, 'create', '-b', b.dir, id]) });
  }
  for (const rt of runtimes) {
    const id = ids(rt, 'exec');
    if (!sh([...rt.argv, 'run', '-d', '-b', long.dir, id])) throw new Error(`${rt.name} run -d failed`);
    cands.push({ name: `${rt.name} exec`, run: () => sh([...rt.argv, 'exec', id, '/bin/true']) });
  }
  process.stdout.write(report(`create and exec, ${rounds} rounds`, measure(cands, rounds), 'node -e 0'));
} finally {
  for (const rt of runtimes) {
    for (const what of ['create', 'exec']) sh([...rt.argv, 'delete', '-f', `bench-${what}-${runtimes.indexOf(rt)}-${process.pid}`]);
  }
  b.cleanup();
  long.cleanup();
  fs.rmSync(root, { recursive: true, force: true });
}

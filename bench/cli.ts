/**
 * Issue 2's figure: `ocirt state` and `ocirt validate` next to `runc state`, on a real created
 * container for each runtime. `node -e 0` shows what Node's start-up alone costs, so the work
 * ocirt adds on top of it can be read off.
 *   node dist/bench/cli.js [rounds]
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { makeBundle } from '../test/helpers/bundle';
import { cgroupParentsMadeHere } from '../test/helpers/cgroup-parents';
import { measure, report, command, have } from './measure';

const REPO = path.resolve(__dirname, '..', '..');
const OCIRT = path.join(REPO, 'bin', 'ocirt');
const rounds = Number(process.argv[2] ?? 30);
const env = { ...process.env };
delete env.NODE_EXTRA_CA_CERTS; // the launcher drops it too; keep the node baseline honest

const root = fs.mkdtempSync('/tmp/ocirt-bench-');
// ocirt's default parent cgroup, when this run made it, goes at exit.
cgroupParentsMadeHere(['ocirt']);
const b = makeBundle((c) => {
  c.process.args = ['/bin/sleep', '1000'];
});
const id = 'bench-state';
const made: Array<() => void> = [];
try {
  const cands = [{ name: 'node -e 0', run: command(['node', '-e', '0'], env) }];
  const oc = spawnSync(OCIRT, ['--root', root, 'create', '-b', b.dir, id], { stdio: 'inherit' });
  if (oc.status === 0) {
    made.push(() => spawnSync(OCIRT, ['--root', root, 'delete', '-f', id], { stdio: 'inherit' }));
  } else {
    // Before create works, state reads a stopped container's record: same files, same code path.
    fs.mkdirSync(path.join(root, id));
    fs.writeFileSync(path.join(root, id, 'state.json'), JSON.stringify({ ociVersion: '1.3.0', id, pid: 0, initStartTime: '', bundle: b.dir, rootfs: b.rootfs, created: new Date().toISOString(), owner: '' }));
  }
  cands.push({ name: 'ocirt state', run: command([OCIRT, '--root', root, 'state', id], env) });
  cands.push({ name: 'ocirt validate', run: command([OCIRT, 'validate', '-b', b.dir], env) });
  if (have('runc')) {
    const rroot = path.join(root, 'runc');
    if (spawnSync('runc', ['--root', rroot, 'create', '-b', b.dir, id], { stdio: 'inherit' }).status === 0) {
      made.push(() => spawnSync('runc', ['--root', rroot, 'delete', '-f', id], { stdio: 'inherit' }));
      cands.push({ name: 'runc state', run: command(['runc', '--root', rroot, 'state', id], env) });
    }
  }
  const results = measure(cands, rounds);
  process.stdout.write(report('state and validate', results, results.some((r) => r.name === 'runc state') ? 'runc state' : 'node -e 0'));
  const node = results.find((r) => r.name === 'node -e 0')!;
  for (const r of results.filter((x) => x.name.startsWith('ocirt'))) {
    process.stdout.write(`${r.name}: ${(r.median - node.median).toFixed(1)} ms beyond a bare node start\n`);
  }
} finally {
  for (const m of made.reverse()) m();
  b.cleanup();
  fs.rmSync(root, { recursive: true, force: true });
}

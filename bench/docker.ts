/**
 * Issue 11's figure: `docker run --rm IMAGE true` with ocirt and with runc, interleaved in one
 * run, through a private dockerd (test/helpers/engine.ts) that has ocirt added beside runc.
 * Run as root under the test lock:
 *   flock /tmp/ocirt-itest.lock node dist/bench/docker.js [rounds]
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DOCKER, DOCKER_CGROUP_PARENT, imageTar, startDockerd } from '../test/helpers/engine';
import { cgroupParentsMadeHere } from '../test/helpers/cgroup-parents';
import { unmountUnder } from '../test/helpers/bundle';
import { OCIRT } from '../test/helpers/cli';
import { command, measure, report } from './measure';

const rounds = Number(process.argv[2] ?? 30);
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ocirt-bench-docker-'));
const parents = cgroupParentsMadeHere([DOCKER_CGROUP_PARENT]);
const d = startDockerd(path.join(work, 'd'), { ocirt: OCIRT });
try {
  d.ok('import', imageTar(work), 'ocirt-bb');
  const run = (rt: string) => command([DOCKER, '-H', `unix://${d.sock}`, 'run', '--rm', '--runtime', rt, '--network', 'none', 'ocirt-bb', 'true']);
  const results = measure([{ name: 'docker run --rm (runc)', run: run('runc') }, { name: 'docker run --rm (ocirt)', run: run('ocirt') }], rounds);
  console.log(report(`docker run --rm IMAGE true, ${rounds} rounds, ${new Date().toISOString().slice(0, 10)}`, results, 'docker run --rm (runc)'));
} finally {
  d.stop();
  unmountUnder(work);
  fs.rmSync(work, { recursive: true, force: true });
  parents.remove();
}

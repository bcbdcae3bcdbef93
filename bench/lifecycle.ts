/**
 * Issue 3's figure: the lifecycle of a container side by side with runc (and crun where the
 * host lets it run: crun refuses hybrid cgroup hosts), in interleaved rounds.
 *   - `run` of /bin/true (create + start + wait + delete in one command)
 *   - create, start, wait for exit, delete: four commands, as an engine drives them
 * `node -e 0` is the floor every ocirt command pays; the report says how much of ocirt's
 * time is beyond that floor, per command.
 *   node dist/bench/lifecycle.js [rounds]
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { makeBundle } from '../test/helpers/bundle';
import { cgroupParentsMadeHere } from '../test/helpers/cgroup-parents';
import { measure, report, command, have, Candidate } from './measure';

const REPO = path.resolve(__dirname, '..', '..');
const OCIRT = path.join(REPO, 'bin', 'ocirt');
const rounds = Number(process.argv[2] ?? 20);
const env = { ...process.env };
delete env.NODE_EXTRA_CA_CERTS; // the launcher drops it too; keep the node baseline honest

// ocirt's default parent cgroup, when this run made it, goes at exit.
cgroupParentsMadeHere(['ocirt']);
const b = makeBundle((c) => {
  c.process.args = ['/bin/true'];
});
const root = fs.mkdtempSync('/tmp/ocirt-bench-');

interface Runtime {
  name: string;
  argv: string[];
}

const runtimes: Runtime[] = [{ name: 'ocirt', argv: [OCIRT, '--root', path.join(root, 'ocirt')] }];
if (have('runc')) runtimes.push({ name: 'runc', argv: ['runc', '--root', path.join(root, 'runc')] });
if (have('crun')) runtimes.push({ name: 'crun', argv: ['crun', '--root', path.join(root, 'crun')] });

function sh(argv: string[]): boolean {
  return spawnSync(argv[0], argv.slice(1), { stdio: 'ignore', env }).status === 0;
}

/** Whether a runtime can run a container on this host at all (crun on a hybrid host cannot). */
function works(rt: Runtime): boolean {
  const ok = sh([...rt.argv, 'run', '-b', b.dir, 'probe-works']);
  sh([...rt.argv, 'delete', '-f', 'probe-works']);
  return ok;
}

/** Commands each runtime ran in its cycles: the state polls vary, and each ocirt command is one Node start. */
const commandsRun: Record<string, number> = {};
const cyclesRun: Record<string, number> = {};

function waitStopped(rt: Runtime, id: string): boolean {
  for (let i = 0; i < 2000; i++) {
    commandsRun[rt.name] = (commandsRun[rt.name] ?? 0) + 1;
    const r = spawnSync(rt.argv[0], [...rt.argv.slice(1), 'state', id], { encoding: 'utf8', env });
    if (r.status !== 0) return false;
    if (JSON.parse(r.stdout).status === 'stopped') return true;
  }
  return false;
}

let n = 0;
try {
  const usable = runtimes.filter((rt) => {
    const ok = works(rt);
    if (!ok) process.stdout.write(`${rt.name}: cannot run a container on this host; left out\n`);
    return ok;
  });
  const runCands: Candidate[] = [{ name: 'node -e 0', run: command(['node', '-e', '0'], env) }];
  const cycleCands: Candidate[] = [];
  for (const rt of usable) {
    runCands.push({ name: `${rt.name} run`, run: () => sh([...rt.argv, 'run', '-b', b.dir, `r${n++}`]) });
    cycleCands.push({
      name: `${rt.name} create+start+wait+delete`,
      run: () => {
        const id = `c${n++}`;
        commandsRun[rt.name] = (commandsRun[rt.name] ?? 0) + 3;
        cyclesRun[rt.name] = (cyclesRun[rt.name] ?? 0) + 1;
        const ok = sh([...rt.argv, 'create', '-b', b.dir, id]) && sh([...rt.argv, 'start', id]) && waitStopped(rt, id);
        return sh([...rt.argv, 'delete', '-f', id]) && ok;
      },
    });
  }
  const base = usable.some((r) => r.name === 'runc') ? 'runc' : usable[0]?.name;
  const r1 = measure(runCands, rounds);
  process.stdout.write(report('run of /bin/true', r1, `${base} run`));
  const r2 = measure(cycleCands, rounds);
  process.stdout.write(report('create, start, wait, delete', r2, `${base} create+start+wait+delete`));
  const node = r1.find((r) => r.name === 'node -e 0')!.median;
  const oc = r1.find((r) => r.name === 'ocirt run');
  const rc = r1.find((r) => r.name === 'runc run');
  if (oc && rc) process.stdout.write(`ocirt run beyond one bare node start: ${(oc.median - node).toFixed(1)} ms; runc run: ${rc.median.toFixed(1)} ms\n`);
  const occ = r2.find((r) => r.name === 'ocirt create+start+wait+delete');
  const rcc = r2.find((r) => r.name === 'runc create+start+wait+delete');
  if (occ && rcc) {
    const perCycle = commandsRun.ocirt / cyclesRun.ocirt;
    process.stdout.write(
      `ocirt cycle beyond its ${perCycle.toFixed(1)} bare node starts (one per command): ${(occ.median - perCycle * node).toFixed(1)} ms; runc cycle: ${rcc.median.toFixed(1)} ms\n`,
    );
  }
} finally {
  for (const rt of runtimes) {
    const dir = rt.argv[rt.argv.length - 1];
    if (fs.existsSync(dir)) for (const id of fs.readdirSync(dir)) sh([...rt.argv, 'delete', '-f', id]);
  }
  b.cleanup();
  fs.rmSync(root, { recursive: true, force: true });
}

/**
 * Issue 13's figures: each short command alone, as engines run them, next to runc and crun,
 * with ocirt twice: as bin/ocirt runs by default (the launcher's C fast path answers the plain
 * cases) and with OCIRT_NO_FASTPATH=1 (Node answers all).
 *   - state of a created container; start of a created one; kill (SIGKILL) of a running one;
 *     delete of one that has exited; delete --force of a running one; and create + start +
 *     delete --force of /bin/true.
 * Each timed command gets its container from untimed work before it, in interleaved rounds.
 *
 * crun cannot run on this host's hybrid cgroup layout, so it runs in a private mount namespace
 * with cgroup2 mounted over /sys/fs/cgroup, held by one long-lived process, and each crun
 * command enters it with nsenter; `nsenter true` is timed too, so its cost can be read off.
 * Its bundle has no device rules (crun's device program on cgroup2 needs a memlock limit this
 * machine cannot raise) and says ociVersion 1.0.2 (crun 1.8 refuses 1.3.0).
 *   node dist/bench/fastpath.js [rounds]
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { makeBundle, Bundle } from '../test/helpers/bundle';
import { cgroupParentsMadeHere } from '../test/helpers/cgroup-parents';
import { measure, report, have, Candidate } from './measure';

const REPO = path.resolve(__dirname, '..', '..');
const OCIRT = path.join(REPO, 'bin', 'ocirt');
const rounds = Number(process.argv[2] ?? 20);
const env = { ...process.env };
delete env.NODE_EXTRA_CA_CERTS; // Node reads it before any script (70 ms here); the launcher drops it too
delete env.OCIRT_NO_FASTPATH;

cgroupParentsMadeHere(['ocirt']);

interface Runtime {
  name: string;
  argv: string[];
  env: NodeJS.ProcessEnv;
  sleeper: Bundle;
  truer: Bundle;
}

const root = fs.mkdtempSync('/tmp/ocirt-bench-');
const bundles: Bundle[] = [];
const bundle = (args: string[], forCrun: boolean): Bundle => {
  const b = makeBundle((c) => {
    c.process.args = args;
    if (forCrun) c.ociVersion = '1.0.2';
  });
  bundles.push(b);
  return b;
};

/** A process in its own mount namespace with cgroup2 over /sys/fs/cgroup; crun runs in it. */
function crunNamespace(): { pid: number; stop: () => void } | undefined {
  const holder = spawn('unshare', ['-m', '--propagation', 'private', 'sh', '-c', 'mount -t cgroup2 none /sys/fs/cgroup && echo ready && exec sleep 100000'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const stop = () => {
    try {
      process.kill(holder.pid!, 'SIGKILL');
    } catch {
      /* gone */
    }
  };
  // Wait for "ready" without an event loop turn per poll: the namespace is up once the mount is.
  for (let i = 0; i < 500; i++) {
    const r = spawnSync('nsenter', ['-t', String(holder.pid), '-m', 'stat', '-fc', '%T', '/sys/fs/cgroup'], { encoding: 'utf8' });
    if (r.stdout.trim() === 'cgroup2fs') return { pid: holder.pid!, stop };
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
  }
  stop();
  return undefined;
}

const ns = have('crun') && have('nsenter') && have('unshare') ? crunNamespace() : undefined;
const runtimes: Runtime[] = [
  { name: 'ocirt', argv: [OCIRT, '--root', path.join(root, 'ocirt')], env, sleeper: bundle(['/bin/sleep', '1000'], false), truer: bundle(['/bin/true'], false) },
];
runtimes.push({ ...runtimes[0], name: 'ocirt (Node)', argv: [OCIRT, '--root', path.join(root, 'ocirt-node')], env: { ...env, OCIRT_NO_FASTPATH: '1' } });
if (have('runc')) runtimes.push({ ...runtimes[0], name: 'runc', argv: ['runc', '--root', path.join(root, 'runc')] });
if (ns) {
  runtimes.push({
    name: 'crun',
    argv: ['nsenter', '-t', String(ns.pid), '-m', 'crun', '--root', path.join(root, 'crun')],
    env,
    sleeper: bundle(['/bin/sleep', '1000'], true),
    truer: bundle(['/bin/true'], true),
  });
}

function sh(rt: Runtime, args: string[]): boolean {
  return spawnSync(rt.argv[0], [...rt.argv.slice(1), ...args], { stdio: 'ignore', env: rt.env }).status === 0;
}

function status(rt: Runtime, id: string): string {
  const r = spawnSync(rt.argv[0], [...rt.argv.slice(1), 'state', id], { encoding: 'utf8', env: rt.env });
  return r.status === 0 ? JSON.parse(r.stdout).status : 'gone';
}

function waitStatus(rt: Runtime, id: string, want: string): void {
  for (let i = 0; i < 1000 && status(rt, id) !== want; i++) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2);
}

let n = 0;
const fresh = () => `b${n++}`;

try {
  const usable = runtimes.filter((rt) => {
    const ok = sh(rt, ['run', '-b', rt.truer.dir, 'probe']);
    sh(rt, ['delete', '-f', 'probe']);
    if (!ok) process.stdout.write(`${rt.name}: cannot run a container on this host; left out\n`);
    return ok;
  });
  const base = usable.some((r) => r.name === 'runc') ? 'runc' : usable[0].name;
  const per = (what: string, make: (rt: Runtime) => Candidate): Candidate[] => usable.map((rt) => ({ ...make(rt), name: `${rt.name} ${what}` }));
  const sections: Array<{ title: string; cands: Candidate[]; baseline: string }> = [];

  // state: one created container per runtime, asked again and again.
  // Ids differ per runtime: ocirt's two configurations share the default cgroup parent.
  const stId = (rt: Runtime) => `st${usable.indexOf(rt)}`;
  for (const rt of usable) sh(rt, ['create', '-b', rt.sleeper.dir, stId(rt)]);
  const state = per('state', (rt) => ({ name: '', run: () => sh(rt, ['state', stId(rt)]) }));
  if (ns) state.push({ name: 'nsenter true (part of every crun figure)', run: () => spawnSync('nsenter', ['-t', String(ns.pid), '-m', 'true']).status === 0 });
  state.push({ name: 'node -e 0', run: () => spawnSync(process.execPath, ['-e', '0'], { env }).status === 0 });
  sections.push({ title: 'state of a created container', cands: state, baseline: `${base} state` });

  const ids = new Map<string, string>();
  const cleanup = (rt: Runtime) => {
    const old = ids.get(rt.name);
    if (old) sh(rt, ['delete', '-f', old]);
    ids.delete(rt.name);
  };
  const prepared = (rt: Runtime, setup: (id: string) => boolean) => () => {
    cleanup(rt);
    const id = fresh();
    ids.set(rt.name, id);
    setup(id);
  };
  const current = (rt: Runtime) => ids.get(rt.name)!;

  sections.push({
    title: 'start of a created container',
    cands: per('start', (rt) => ({ name: '', before: prepared(rt, (id) => sh(rt, ['create', '-b', rt.sleeper.dir, id])), run: () => sh(rt, ['start', current(rt)]) })),
    baseline: `${base} start`,
  });
  sections.push({
    title: 'kill (SIGKILL) of a running container',
    cands: per('kill', (rt) => ({
      name: '',
      before: prepared(rt, (id) => sh(rt, ['run', '-d', '-b', rt.sleeper.dir, id])),
      run: () => sh(rt, ['kill', current(rt), 'KILL']),
    })),
    baseline: `${base} kill`,
  });
  sections.push({
    title: 'delete of a container that has exited',
    cands: per('delete', (rt) => ({
      name: '',
      before: prepared(rt, (id) => {
        const ok = sh(rt, ['create', '-b', rt.truer.dir, id]) && sh(rt, ['start', id]);
        waitStatus(rt, id, 'stopped');
        return ok;
      }),
      run: () => {
        const ok = sh(rt, ['delete', current(rt)]);
        ids.delete(rt.name);
        return ok;
      },
    })),
    baseline: `${base} delete`,
  });
  sections.push({
    title: 'delete --force of a running container',
    cands: per('delete -f', (rt) => ({
      name: '',
      before: prepared(rt, (id) => sh(rt, ['run', '-d', '-b', rt.sleeper.dir, id])),
      run: () => {
        const ok = sh(rt, ['delete', '-f', current(rt)]);
        ids.delete(rt.name);
        return ok;
      },
    })),
    baseline: `${base} delete -f`,
  });
  sections.push({
    title: 'create + start + delete --force of /bin/true',
    cands: per('create+start+delete', (rt) => ({
      name: '',
      before: () => cleanup(rt),
      run: () => {
        const id = fresh();
        ids.set(rt.name, id);
        const ok = sh(rt, ['create', '-b', rt.truer.dir, id]) && sh(rt, ['start', id]);
        const deleted = sh(rt, ['delete', '-f', id]);
        if (deleted) ids.delete(rt.name);
        return ok && deleted;
      },
    })),
    baseline: `${base} create+start+delete`,
  });

  for (const s of sections) {
    const results = measure(s.cands, rounds);
    for (const rt of usable) cleanup(rt);
    process.stdout.write(report(s.title, results, s.baseline) + '\n');
  }
} finally {
  for (const rt of runtimes) {
    const dir = rt.argv[rt.argv.length - 1];
    if (fs.existsSync(dir)) for (const id of fs.readdirSync(dir)) sh(rt, ['delete', '-f', id]);
  }
  ns?.stop();
  for (const b of bundles) b.cleanup();
  fs.rmSync(root, { recursive: true, force: true });
}

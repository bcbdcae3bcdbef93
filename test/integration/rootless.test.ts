/**
 * Rootless: ocirt run by an unprivileged user (nobody, through setpriv) on a config from
 * `ocirt spec --rootless`, as a runc user would. The user may not write the cgroup tree, so the
 * container stays in ocirt's cgroups; limits are refused rather than dropped.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { makeRootfs } from '../helpers/bundle';
import { REPO, waitFor, pidAlive } from '../helpers/cli';

const UID = 65534;
const GID = 65534;
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ocirt-rootless-'));
fs.chmodSync(work, 0o755);
const state = path.join(work, 'state');
fs.mkdirSync(state);
fs.chownSync(state, UID, GID);

/**
 * The user must reach bin/ocirt: a checkout under a directory it cannot enter (/root, say)
 * is copied, build outputs included, into the test's own directory.
 */
function reachableRepo(): string {
  const probe = spawnSync('setpriv', [`--reuid=${UID}`, `--regid=${GID}`, '--clear-groups', '--', 'test', '-r', path.join(REPO, 'dist/src/cli/main.js')]);
  if (probe.status === 0) return REPO;
  const copy = path.join(work, 'ocirt');
  fs.mkdirSync(path.join(copy, 'build'), { recursive: true });
  for (const d of ['bin', 'dist', 'node_modules', 'package.json']) fs.cpSync(path.join(REPO, d), path.join(copy, d), { recursive: true });
  fs.cpSync(path.join(REPO, 'build/Release'), path.join(copy, 'build/Release'), { recursive: true });
  return copy;
}
const OCIRT = path.join(reachableRepo(), 'bin/ocirt');

interface Out {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** ocirt as nobody; output through files (a detached container holds its stdio). */
function asUser(args: string[], cwd = work): Out {
  const o = path.join(work, 'out'), e = path.join(work, 'err');
  const fo = fs.openSync(o, 'w'), fe = fs.openSync(e, 'w');
  try {
    const r = spawnSync('setpriv', [`--reuid=${UID}`, `--regid=${GID}`, '--clear-groups', '--', OCIRT, '--root', state, ...args], {
      cwd,
      stdio: ['ignore', fo, fe],
      env: { PATH: process.env.PATH, HOME: work },
      timeout: 60_000,
    });
    return { status: r.status, stdout: fs.readFileSync(o, 'utf8'), stderr: fs.readFileSync(e, 'utf8') };
  } finally {
    fs.closeSync(fo);
    fs.closeSync(fe);
  }
}

function bundle(name: string, args: string[], mutate?: (c: any) => void): string {
  const dir = path.join(work, name);
  fs.mkdirSync(dir);
  makeRootfs(path.join(dir, 'rootfs'));
  fs.chownSync(dir, UID, GID);
  const r = asUser(['spec', '--rootless'], dir);
  assert.is(r.status, 0, r.stderr);
  const c = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
  c.process.terminal = false;
  c.process.args = args;
  mutate?.(c);
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(c));
  return dir;
}

test.after(() => {
  for (const id of fs.existsSync(state) ? fs.readdirSync(state).filter((d) => !d.startsWith('.')) : []) asUser(['delete', '--force', id]);
  fs.rmSync(work, { recursive: true, force: true });
});

test('run as an unprivileged user: root inside maps to the user, the exit code comes back', () => {
  const b = bundle('b1', ['/bin/sh', '-c', 'id -u; cat /proc/self/uid_map; exit 3']);
  const r = asUser(['run', '--bundle', b, 'rl-run']);
  assert.is(r.status, 3, r.stderr);
  const lines = r.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/).join(' '));
  assert.equal(lines, ['0', `0 ${UID} 1`]);
  assert.equal(fs.readdirSync(state).filter((d) => !d.startsWith('.')), [], 'state left');
});

test('create, start, state, delete as the user; cgroup commands say there is no cgroup', () => {
  const b = bundle('b2', ['/bin/sleep', '30']);
  let r = asUser(['create', '--bundle', b, 'rl-life']);
  assert.is(r.status, 0, r.stderr);
  const st = JSON.parse(asUser(['state', 'rl-life']).stdout);
  assert.is(st.status, 'created');
  assert.is(asUser(['start', 'rl-life']).status, 0);
  assert.is(JSON.parse(asUser(['state', 'rl-life']).stdout).status, 'running');
  r = asUser(['ps', 'rl-life']);
  assert.is(r.status, 1);
  assert.match(r.stderr, /has no cgroup/);
  assert.is(asUser(['kill', 'rl-life', 'KILL']).status, 0);
  assert.ok(waitFor(() => JSON.parse(asUser(['state', 'rl-life']).stdout).status === 'stopped', 10_000));
  assert.is(asUser(['delete', 'rl-life']).status, 0);
  assert.not.ok(pidAlive(st.pid), 'the init outlived delete');
});

test('a limit the user cannot apply is refused by pointer, and nothing is left', () => {
  const b = bundle('b3', ['/bin/true'], (c) => (c.linux.resources = { pids: { limit: 10 } }));
  const r = asUser(['run', '--bundle', b, 'rl-limit']);
  assert.is(r.status, 1);
  assert.match(r.stderr, /\/linux\/resources \(pids\) need a cgroup this user may write/);
  assert.equal(fs.readdirSync(state).filter((d) => !d.startsWith('.')), []);
});

test.run();

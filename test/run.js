#!/usr/bin/env node
'use strict';
// Runs every uvu suite and ends with the one line CI reads: "N passed, N failed".
// Unit tests run in one uvu process. Integration files (root) each run in their own process
// group with a time limit, so one hung container cannot eat CI's whole budget: on timeout
// the group is killed and the file counts as failed. A suite that cannot run (no root, a
// crash) counts as a failure, never as a skip. Afterwards a sweep checks that no test left a
// container, cgroup or mount behind, and a leftover is a failure too.
const { spawn } = require('node:child_process');
const path = require('node:path');
const fs = require('node:fs');
const os = require('node:os');

const root = path.resolve(__dirname, '..');
const uvu = path.join(root, 'node_modules', 'uvu', 'bin.js');
const only = process.argv[2]; // optional: unit | integration | security | <regex on file names>
const SUITES = ['unit', 'integration', 'security'];
const FILE_LIMIT_MS = Number(process.env.OCIRT_TEST_FILE_LIMIT_MS || 6 * 60_000);
// The runtime-tools suite runs every program twice (ocirt, runc) and, on a fresh machine,
// builds the suite first: about 3 minutes here, more on a cold Go cache.
const FILE_LIMITS_MS = { 'conformance.test.js': Math.max(FILE_LIMIT_MS, 15 * 60_000) };

function runUvu(dir, pattern, limitMs) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, [uvu, dir, pattern], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' },
      detached: true, // its own process group, so a timeout reaches every container it started
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      process.stdout.write(d);
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try { process.kill(-child.pid, 'SIGKILL'); } catch {}
    }, limitMs);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ out, status, timedOut, ms: Date.now() - started });
    });
  });
}

function count(out, label) {
  const m = new RegExp(`${label}:\\s+(\\d+)`).exec(out);
  return m ? Number(m[1]) : 0;
}

// Parent cgroups the tests make (ocirt's default parent, the driver tests', the engines').
const PARENTS = ['ocirt', 'ocirt-test', 'ocirt-engines', 'libpod_parent', 'ocirt-docker', 'ocirt-buildah', 'ocirt-oracle'];
function parentCgroups() {
  const out = [];
  for (const h of fs.existsSync('/sys/fs/cgroup') ? fs.readdirSync('/sys/fs/cgroup') : []) {
    for (const n of PARENTS) if (fs.existsSync(path.join('/sys/fs/cgroup', h, n))) out.push(path.join('/sys/fs/cgroup', h, n));
  }
  return out;
}
const parentsBefore = new Set(parentCgroups());

/** Containers, cgroups and mounts a test run left behind; each is reported and removed. */
function sweep() {
  const left = [];
  const ocirt = path.join(root, 'bin', 'ocirt');
  for (const name of fs.readdirSync(os.tmpdir())) {
    if (!name.startsWith('ocirt-root-')) continue;
    const r = path.join(os.tmpdir(), name);
    for (const id of fs.readdirSync(r).filter((d) => !d.startsWith('.'))) {
      left.push(`container ${id} under ${r}`);
      require('node:child_process').spawnSync(ocirt, ['--root', r, 'delete', '--force', id], { stdio: 'ignore', timeout: 30_000 });
    }
    fs.rmSync(r, { recursive: true, force: true });
  }
  for (const ctrl of fs.existsSync('/sys/fs/cgroup') ? fs.readdirSync('/sys/fs/cgroup') : []) {
    const parent = path.join('/sys/fs/cgroup', ctrl, 'ocirt');
    if (!fs.existsSync(parent)) continue;
    for (const d of fs.readdirSync(parent, { withFileTypes: true })) {
      if (!d.isDirectory()) continue;
      const dir = path.join(parent, d.name);
      left.push(`cgroup ${dir}`);
      try {
        for (const pid of fs.readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
          try { process.kill(Number(pid), 'SIGKILL'); } catch {}
        }
      } catch {}
      for (let i = 0; i < 50; i++) {
        try { fs.rmdirSync(dir); break; } catch { require('node:child_process').spawnSync('sleep', ['0.1']); }
      }
    }
  }
  for (const d of parentCgroups().filter((p) => !parentsBefore.has(p))) {
    left.push(`cgroup ${d}`);
    try {
      require(path.join(root, 'dist/src/cgroups/files.js')).removeTree(d, 5000);
    } catch {
      /* reported */
    }
  }
  const mounts = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
    .map((l) => l.split(' ')[4]).filter((m) => m && /\/(ocitest-|ocirt-)/.test(m));
  for (const m of mounts) left.push(`mount ${m}`);
  return left;
}

async function main() {
  const suites = [
    { name: 'unit', dir: 'dist/test/unit', needsRoot: false, perFile: false },
    { name: 'integration', dir: 'dist/test/integration', needsRoot: true, perFile: true },
    { name: 'security', dir: 'dist/test/security', needsRoot: true, perFile: true },
  ];
  let passed = 0;
  let failed = 0;
  const notes = [];
  let ranRootSuite = false;
  for (const s of suites) {
    if (only && SUITES.includes(only) && only !== s.name) continue;
    const dir = path.join(root, s.dir);
    if (!fs.existsSync(dir)) continue;
    if (s.needsRoot && process.getuid && process.getuid() !== 0) {
      console.log(`# ${s.name}: needs root; counted as failed`);
      failed += 1;
      continue;
    }
    const pattern = only && !SUITES.includes(only) ? new RegExp(only) : /\.test\.js$/;
    const files = fs.readdirSync(dir).filter((f) => /\.test\.js$/.test(f) && pattern.test(f)).sort();
    if (files.length === 0) continue;
    console.log(`# ${s.name} tests`);
    if (s.needsRoot) ranRootSuite = true;
    const batches = s.perFile ? files.map((f) => [f]) : [files];
    for (const batch of batches) {
      const re = batch.length === 1 ? `^${batch[0].replace(/\./g, '\\.')}$` : `(${batch.map((f) => f.replace(/\./g, '\\.')).join('|')})`;
      const r = await runUvu(dir, re, s.perFile ? FILE_LIMITS_MS[batch[0]] ?? FILE_LIMIT_MS : 2 * FILE_LIMIT_MS);
      const total = count(r.out, 'Total');
      const ok = count(r.out, 'Passed');
      const skipped = count(r.out, 'Skipped');
      let bad = total - ok; // a skip is a failure here
      if (r.timedOut) {
        bad = Math.max(bad, 1);
        notes.push(`${batch.join(', ')}: killed after ${Math.round(r.ms / 1000)} s`);
        console.log(`\n# ${batch.join(', ')}: timed out after ${Math.round(r.ms / 1000)} s; counted as failed`);
      } else if (r.status !== 0 && bad === 0) {
        bad = 1; // the suite crashed before counting
        notes.push(`${batch.join(', ')}: exited ${r.status} before counting`);
      }
      if (skipped) notes.push(`${batch.join(', ')}: ${skipped} skipped, counted as failed`);
      if (s.perFile) console.log(`# ${batch[0]}: ${Math.round(r.ms / 100) / 10} s`);
      passed += ok;
      failed += bad;
    }
  }
  // Only a run that made containers sweeps: a unit-only run must not take away what another
  // run on this machine (a developer's, a parallel checkout's) has made.
  if (ranRootSuite && process.getuid && process.getuid() === 0) {
    const left = sweep();
    if (left.length) {
      console.log(`# left behind by the tests (now removed):\n${left.map((l) => `#   ${l}`).join('\n')}`);
      failed += 1;
      notes.push(`${left.length} leftovers`);
    }
  }
  for (const n of notes) console.log(`# ${n}`);
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
}

main();

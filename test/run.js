#!/usr/bin/env node
'use strict';
// Runs every uvu suite (unit always; integration as root) and ends with the one line CI
// reads: "N passed, N failed". A suite that cannot run (no root in CI, a crash) counts as a
// failure, never as a skip.
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const fs = require('node:fs');

const root = path.resolve(__dirname, '..');
const uvu = path.join(root, 'node_modules', 'uvu', 'bin.js');
const only = process.argv[2]; // optional: unit | integration | <regex on file names>

const suites = [
  { name: 'unit', dir: 'dist/test/unit', needsRoot: false },
  { name: 'integration', dir: 'dist/test/integration', needsRoot: true },
];

let passed = 0;
let failed = 0;
for (const s of suites) {
  if (only && (only === 'unit' || only === 'integration') && only !== s.name) continue;
  const dir = path.join(root, s.dir);
  if (!fs.existsSync(dir)) continue;
  if (s.needsRoot && process.getuid && process.getuid() !== 0) {
    console.log(`# ${s.name}: needs root; counted as failed`);
    failed += 1;
    continue;
  }
  const pattern = only && only !== 'unit' && only !== 'integration' ? only : '\\.test\\.js$';
  console.log(`# ${s.name} tests`);
  const r = spawnSync(process.execPath, [uvu, dir, pattern], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
    env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' },
    maxBuffer: 256 * 1024 * 1024,
  });
  process.stdout.write(r.stdout || '');
  const num = (label) => {
    const m = new RegExp(`${label}:\\s+(\\d+)`).exec(r.stdout || '');
    return m ? Number(m[1]) : 0;
  };
  const total = num('Total');
  const ok = num('Passed');
  let bad = total - ok - num('Skipped');
  if (num('Skipped') > 0) bad += num('Skipped'); // a skip is a failure here
  if (r.status !== 0 && bad === 0) bad = 1; // the suite crashed before counting
  passed += ok;
  failed += bad;
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);

'use strict';
/*
 * The entry of ocirt's V8 startup snapshot (dist/bundle/ocirt.blob), which bin/ocirt starts Node
 * from: `node --snapshot-blob dist/bundle/ocirt.blob dist/src/boot.js ARGS`. scripts/build-bundle.js
 * runs it as `node --snapshot-blob F --build-snapshot scripts/snapshot-entry.js`.
 *
 * Here, at build time, both parts of the bundle are compiled from their code caches and the
 * modules a command loads are evaluated; the snapshot keeps that heap, so a command starts with
 * them loaded instead of deserializing and running them (4-5 ms of every create otherwise).
 *
 * What a snapshot holds is the build's heap: so only modules whose loading reads nothing of the
 * host, the environment or the command line are loaded here (each reads those when called), and
 * nothing of them is run. A builder may require builtins only: the addon, yargs, the schema
 * validators and the rest of node_modules load at run time, through the require made in main.
 *
 * At run time main serves only when the snapshot is of the tree it runs from: boot.js the one it
 * was built from (argv[1], which the launcher passes) and the bundle not rebuilt nor main.js
 * recompiled since. Otherwise it starts the CLI as boot.js does without a snapshot.
 */
const fs = require('fs');
const path = require('path');
const vm = require('vm');
const v8 = require('v8');

const ROOT = path.resolve(__dirname, '..');
const BOOT = path.join(ROOT, 'dist', 'src', 'boot.js');

/** Loads boot.js as a CommonJS module would, with this builder's require (builtins). */
function loadBoot() {
  const mod = { exports: {} };
  const wrapper = vm.runInThisContext(`(function (exports, require, module, __filename, __dirname) {${fs.readFileSync(BOOT, 'utf8')}\n})`, { filename: BOOT });
  wrapper.call(mod.exports, mod.exports, require, mod, BOOT, path.dirname(BOOT));
  return mod.exports;
}

/** What a command loads that runs nothing host-, environment- or argv-dependent while loading. */
const PRELOAD = [
  'cli/fast-parse.js',
  'cli/table.js',
  'log.js',
  'errors.js',
  'stdio.js',
  ...['state', 'start', 'kill', 'delete', 'list', 'create', 'run', 'exec'].map((c) => `cli/commands/${c}.js`),
  'runtime/create.js',
  'spec/load.js',
  'spec/validate.js',
  'spec/semantic.js',
  'spec/json-positions.js',
  'plan/build.js',
  'plan/encode.js',
  'seccomp/index.js',
  'cgroups/index.js',
  'state/store.js',
];

const boot = loadBoot();
// The require of the command, set in main; until then (the build) a builtin-only one.
let runRequire;
const nodeRequire = Object.assign((request) => (runRequire || require)(request), {
  resolve: (request, options) => (runRequire || require).resolve(request, options),
  cache: Object.create(null),
});
const bundle = boot.bundleForSnapshot(nodeRequire);
if (!bundle) {
  process.stderr.write(`scripts/snapshot-entry.js: the bundle is missing or older than ${path.join(ROOT, 'dist', 'src', 'cli', 'main.js')}: run "npm run build:bundle"\n`);
  process.exit(1);
}
const SRC = path.dirname(BOOT);
for (const m of PRELOAD) {
  const file = path.join(SRC, m);
  if (fs.existsSync(file)) bundle.load(file);
}
// The schema validators (generated code, no requires): loaded by a first validation, whose result
// is dropped.
const validate = bundle.load(path.join(SRC, 'spec/validate.js'));
validate.schemaProblems('state', {});
const validatorsMtimeMs = fs.statSync(validate.VALIDATORS_FILE).mtimeMs;

v8.startupSnapshot.setDeserializeMainFunction(() => {
  const { createRequire } = require('module');
  const argvBoot = process.argv[1];
  let current = argvBoot === BOOT && !process.env.OCIRT_NO_BUNDLE;
  if (current) {
    try {
      current = fs.statSync(bundle.main).mtimeMs <= bundle.coreMtimeMs && fs.statSync(path.join(ROOT, 'dist', 'bundle', 'core.js')).mtimeMs === bundle.coreMtimeMs &&
        fs.statSync(validate.VALIDATORS_FILE).mtimeMs === validatorsMtimeMs;
    } catch {
      current = false;
    }
  }
  if (current) {
    runRequire = createRequire(BOOT);
    bundle.load(bundle.main);
  } else {
    // Another tree, or this one rebuilt: its own boot.js, as without a snapshot.
    const req = createRequire(argvBoot);
    req(argvBoot).start(req);
  }
});

/**
 * How bin/ocirt starts: the C launcher (addon/launcher.c), the bundle's module system
 * (src/boot.ts) and the built bundle itself, which must answer exactly as the module files do.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { moduleTable, wrapBundle, moduleEntry, BundlePart, PARTS } from '../../src/boot';

const REPO = path.resolve(__dirname, '..', '..', '..');
const OCIRT = path.join(REPO, 'bin', 'ocirt');
const BOOT = path.join(REPO, 'dist', 'src', 'boot.js');

/** A bundle part made from sources in memory, evaluated as boot.ts evaluates the real ones. */
function part(files: Record<string, string>, elsewhere: string[] = []): BundlePart {
  const body = Object.entries(files)
    .map(([f, src]) => moduleEntry(f, src))
    .join('');
  return (0, eval)(wrapBundle('test', body, elsewhere).split('\n').slice(1).join('\n'))();
}

test('module table: relative requires, one instance per module, require.cache, exports of a cycle', () => {
  const load = moduleTable(
    part({
      '/b/main.js': "exports.a = require('./lib/a'); exports.again = require('./lib/a.js'); exports.cached = Object.keys(require.cache);",
      '/b/lib/a.js': "exports.n = (global.__loads = (global.__loads || 0) + 1); exports.b = require('../b').name;",
      '/b/b.js': "exports.name = 'b'; exports.path = require('node:path').sep;",
    }),
    require,
  ) as (f: string) => any;
  const m = load('/b/main.js');
  assert.is(m.a, m.again, 'one instance');
  assert.is(m.a.n, 1);
  assert.is(m.a.b, 'b');
  assert.ok(m.cached.includes('/b/lib/a.js'));
  delete (global as any).__loads;
});

test('module table: the other part is compiled only when a module of it is required', () => {
  let compiled = 0;
  const other = () => {
    compiled++;
    return part({ '/b/late.js': "exports.v = require('./early').v + 1;" }, ['/b/early.js']);
  };
  const load = moduleTable(
    part({ '/b/early.js': 'exports.v = 41;', '/b/first.js': "exports.late = () => require('./late').v; exports.fs = typeof require('node:fs').readFileSync;" }, [
      '/b/late.js',
    ]),
    require,
    other,
  ) as (f: string) => any;
  const first = load('/b/first.js');
  assert.is(first.fs, 'function', 'builtins come from Node');
  assert.is(compiled, 0, 'not compiled for a module of the first part');
  assert.is(first.late(), 42, 'the other part shares the first part\'s modules');
  assert.is(compiled, 1);
});

test('module table: an error while loading leaves the module loadable again', () => {
  (global as any).__fail = true;
  const load = moduleTable(part({ '/b/x.js': "if (global.__fail) throw new Error('boom'); exports.ok = true;" }), require) as (f: string) => any;
  assert.throws(() => load('/b/x.js'), /boom/);
  (global as any).__fail = false;
  assert.is(load('/b/x.js').ok, true);
  delete (global as any).__fail;
});

test('the built bundle answers as the module files do, and both code caches are taken', () => {
  assert.ok(fs.existsSync(PARTS.core) && fs.existsSync(PARTS.rest), 'npm run build:bundle has run');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocirt-boot-'));
  try {
    const good = path.join(dir, 'good');
    const bad = path.join(dir, 'bad');
    for (const d of [good, bad]) fs.mkdirSync(path.join(d, 'rootfs'), { recursive: true });
    const env = { PATH: process.env.PATH };
    const run = (args: string[], extra: NodeJS.ProcessEnv = {}) => spawnSync(process.execPath, [BOOT, ...args], { env: { ...env, ...extra }, encoding: 'utf8', cwd: good });
    assert.is(run(['spec']).status, 0);
    const config = JSON.parse(fs.readFileSync(path.join(good, 'config.json'), 'utf8'));
    config.linux.seccomp = { defaultAction: 'SCMP_ACT_ERRNO', architectures: ['SCMP_ARCH_X86_64'], syscalls: [{ names: ['read', 'write'], action: 'SCMP_ACT_ALLOW' }] };
    fs.writeFileSync(path.join(good, 'config.json'), JSON.stringify(config, null, 2));
    fs.writeFileSync(path.join(bad, 'config.json'), JSON.stringify({ ...config, ociVersion: 5 }, null, 2));
    // Checked first: with a stale bundle both sides would be the module files.
    const dbg = run(['validate', '--bundle', good], { OCIRT_BUNDLE_DEBUG: '1' }).stderr;
    assert.match(dbg, /core\.js: code cache used/, `the bundle is used (built after tsc?): ${dbg}`);
    assert.match(dbg, /rest\.js: code cache used/);
    const root = path.join(dir, 'no-root');
    const probes = [
      ['--version'],
      ['--root', root, 'state', 'nosuch'],
      ['--root', root, 'list', '--format', 'json'],
      ['validate', '--bundle', good],
      ['validate', '--bundle', bad],
      ['plan', '--bundle', good],
      ['seccomp', '--bundle', good, 'explain', 'write'],
      ['frobnicate'],
    ];
    for (const args of probes) {
      const b = run(args);
      const f = run(args, { OCIRT_NO_BUNDLE: '1' });
      assert.equal([b.status, b.stdout, b.stderr], [f.status, f.stdout, f.stderr], `ocirt ${args.join(' ')}`);
    }
    assert.not.match(run(['--root', root, 'list'], { OCIRT_BUNDLE_DEBUG: '1' }).stderr, /rest\.js/, 'a short command does not load the rest');
    // `ocirt spec`'s cgroup mount plans on this host too (a v1 host binds the container's own
    // directories, which plan shows as create would make them), and plan makes none of them.
    const p = run(['plan', '--bundle', good]);
    assert.is(p.status, 0, p.stderr);
    assert.ok(fs.existsSync('/sys/fs/cgroup/cpu') ? /bind mount \/sys\/fs\/cgroup\/cpu\/ocirt\/<id> on/.test(p.stdout) : /mount cgroup2 on/.test(p.stdout), p.stdout);
    assert.not.ok(fs.existsSync('/sys/fs/cgroup/cpu/ocirt/<id>'), 'plan touched the host');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('bin/ocirt: Node options and extra CA certificates of the caller do not reach Node; its NOFILE limit is handed over', () => {
  const r = spawnSync('/bin/sh', ['-c', 'ulimit -Sn 777; exec "$0" "$@"', OCIRT, '--version'], {
    env: { PATH: process.env.PATH, NODE_OPTIONS: '--no-such-node-flag', NODE_EXTRA_CA_CERTS: '/nonexistent.pem' },
    encoding: 'utf8',
  });
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /^ocirt version /);
  assert.is(r.stderr, '', 'Node warns about a missing NODE_EXTRA_CA_CERTS file when it sees one');
  // What Node receives, read back from a copy of the launcher whose boot.js prints it. A `node`
  // first in PATH must not be what runs: the launcher runs the node it was built with.
  const probe = fs.mkdtempSync(path.join(os.tmpdir(), 'ocirt-launch-'));
  try {
    fs.mkdirSync(path.join(probe, 'build', 'Release'), { recursive: true });
    fs.mkdirSync(path.join(probe, 'dist', 'src'), { recursive: true });
    fs.mkdirSync(path.join(probe, 'path'));
    const launcher = path.join(probe, 'build', 'Release', 'ocirt-launcher');
    fs.copyFileSync(fs.realpathSync(OCIRT), launcher);
    fs.chmodSync(launcher, 0o755);
    fs.writeFileSync(
      path.join(probe, 'dist', 'src', 'boot.js'),
      'const e = process.env;\n' +
        'console.log([process.execPath, process.argv.slice(1).join(" "), `NOFILE=${e.OCIRT_CALLER_NOFILE} OPTS=${e.NODE_OPTIONS ?? "unset"} CA=${e.NODE_EXTRA_CA_CERTS ?? "unset"}`].join("\\n"));\n',
    );
    fs.writeFileSync(path.join(probe, 'path', 'node'), '#!/bin/sh\necho HOSTILE\n', { mode: 0o755 });
    const p = spawnSync('/bin/sh', ['-c', 'ulimit -Sn 777; exec "$0" "$@"', launcher, 'state', 'a b'], {
      env: { PATH: `${path.join(probe, 'path')}:${process.env.PATH}`, NODE_OPTIONS: '--x', NODE_EXTRA_CA_CERTS: '/y' },
      encoding: 'utf8',
    });
    assert.is(p.status, 0, p.stderr);
    const lines = p.stdout.split('\n');
    assert.is(lines[0], process.execPath, 'the node the project was built with, not the one first in PATH');
    assert.is(lines[1], `${path.join(probe, 'dist', 'src', 'boot.js')} state a b`);
    assert.match(lines[2], /^NOFILE=777:(\d+|unlimited) OPTS=unset CA=unset$/);
  } finally {
    fs.rmSync(probe, { recursive: true, force: true });
  }
});

test.run();

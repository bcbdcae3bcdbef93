/** The CLI surface through bin/ocirt, without root and without containers. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Runtime } from '../helpers/cli';

function withTmp(fn: (dir: string, rt: Runtime) => void): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocirt-cli-'));
  const rt = new Runtime();
  try {
    fn(dir, rt);
  } finally {
    rt.cleanup();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('--version prints the three parseable lines', () =>
  withTmp((_d, rt) => {
    const lines = rt.ok(['--version']).stdout.trim().split('\n');
    assert.match(lines[0], /^ocirt version \d+\.\d+\.\d+$/);
    assert.match(lines[1], /^commit: \S+$/);
    assert.is(lines[2], 'spec: 1.3.0');
  }));

test('state of an unknown id: runc phrase, exit 1, and a json log record', () =>
  withTmp((dir, rt) => {
    const log = path.join(dir, 'log.json');
    const r = rt.run(['--log', log, '--log-format', 'json', 'state', 'nosuch']);
    assert.is(r.status, 1);
    assert.is(r.stderr.trim(), 'container "nosuch" does not exist');
    const rec = JSON.parse(fs.readFileSync(log, 'utf8').trim().split('\n').pop()!);
    assert.is(rec.level, 'error');
    assert.is(rec.msg, 'container "nosuch" does not exist');
    assert.ok(!Number.isNaN(Date.parse(rec.time)));
  }));

test('spec writes a config that validate accepts; a second spec refuses to overwrite', () =>
  withTmp((dir, rt) => {
    rt.ok(['spec', '--bundle', dir]);
    const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    assert.is(cfg.ociVersion, '1.3.0');
    assert.equal(cfg.process.args, ['sh']);
    assert.is(rt.run(['validate', '-b', dir]).status, 0);
    assert.match(rt.run(['spec', '--bundle', dir]).stderr, /exists/);
    fs.rmSync(path.join(dir, 'config.json'));
    rt.ok(['spec', '--rootless', `--bundle=${dir}`]);
    const rl = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    assert.ok(rl.linux.namespaces.some((n: any) => n.type === 'user'));
    assert.is(rt.run(['validate', '-b', dir]).status, 0);
  }));

test('validate prints all three problems of a config with line:column', () =>
  withTmp((dir, rt) => {
    rt.ok(['spec', '--bundle', dir]);
    const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    cfg.process.args = [];
    cfg.linux.namespaces[0].type = 'pids';
    cfg.root.readonly = 'yes';
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(cfg, null, 2));
    const r = rt.run(['validate', '-b', dir]);
    assert.is(r.status, 1);
    const lines = r.stdout.trim().split('\n');
    assert.is(lines.length, 3, r.stdout);
    assert.ok(lines.some((l) => /^config\.json:\d+:\d+ \/process\/args: /.test(l)), r.stdout);
    assert.ok(lines.some((l) => /^config\.json:\d+:\d+ \/linux\/namespaces\/0\/type: .*pids/.test(l)), r.stdout);
    assert.ok(lines.some((l) => /^config\.json:\d+:\d+ \/root\/readonly: /.test(l)), r.stdout);
  }));

test('a missing bundle or config is one clear line, never a stack trace', () =>
  withTmp((dir, rt) => {
    const r1 = rt.run(['validate', '-b', path.join(dir, 'nope')]);
    assert.is(r1.status, 1);
    assert.is(r1.stderr.trim().split('\n').length, 1, r1.stderr);
    const r2 = rt.run(['validate', '-b', dir]);
    assert.is(r2.status, 1);
    assert.match(r2.stderr, /config\.json/);
    assert.not.match(r2.stderr, /    at /);
    fs.writeFileSync(path.join(dir, 'config.json'), '{"ociVersion": "1.3.0",\n  "root": {"path": "rootfs"\n');
    const r3 = rt.run(['validate', '-b', dir]);
    assert.is(r3.status, 1);
    assert.match(r3.stdout + r3.stderr, /config\.json:\d+:\d+/);
  }));

test('checkpoint and restore say plainly that they are not supported, and exit 1', () =>
  withTmp((_d, rt) => {
    for (const cmd of [['checkpoint', 'x'], ['restore', 'x']]) {
      const r = rt.run(cmd);
      assert.is(r.status, 1);
      assert.match(r.stderr, new RegExp(`"${cmd[0]}" is not supported: ocirt does not drive CRIU`));
    }
  }));

test('bad flags and arity use runc\'s words', () =>
  withTmp((_d, rt) => {
    assert.match(rt.run(['--bogus', 'state', 'x']).stderr, /flag provided but not defined: -bogus/);
    assert.match(rt.run(['state']).stderr, /"state" requires exactly 1 argument\(s\)/);
    assert.match(rt.run(['state', 'a', 'b']).stderr, /"state" requires exactly 1 argument\(s\)/);
    assert.match(rt.run(['state', '../x']).stderr, /invalid container id/);
  }));

test('list of an empty root: table header, [] and nothing', () =>
  withTmp((_d, rt) => {
    assert.match(rt.ok(['list']).stdout, /^ID\s+PID\s+STATUS\s+BUNDLE\s+CREATED\s+OWNER\n$/);
    assert.is(rt.ok(['list', '--format=json']).stdout.trim(), '[]');
    assert.is(rt.ok(['list', '-q']).stdout, '');
  }));

test('features is JSON with a linux object and the hooks', () =>
  withTmp((_d, rt) => {
    const f = JSON.parse(rt.ok(['features']).stdout);
    assert.is(f.ociVersionMax, '1.3.0');
    assert.ok(f.linux && typeof f.linux === 'object');
    assert.ok(f.hooks.includes('createRuntime'));
  }));

test.run();

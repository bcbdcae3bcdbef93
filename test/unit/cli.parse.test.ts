import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fastParse } from '../../src/cli/fast-parse';
import { COMMANDS } from '../../src/cli/table';

test('go-runc order of global flags, both spellings', () => {
  const inv = fastParse(['--root', '/run/x', '--debug', '--log=/b/log.json', '--log-format', 'json', '--systemd-cgroup', '--rootless=false', 'state', 'c1'])!;
  assert.ok(inv);
  assert.is(inv.command, 'state');
  assert.equal(inv.positionals, ['c1']);
  assert.is(inv.globals.root, '/run/x');
  assert.is(inv.globals.log, '/b/log.json');
  assert.is(inv.globals['log-format'], 'json');
  assert.is(inv.globals.debug, true);
  assert.is(inv.globals['systemd-cgroup'], true);
  assert.is(inv.globals.rootless, 'false');
});

test('defaults apply when flags are absent', () => {
  const inv = fastParse(['create', 'c1'])!;
  assert.is(inv.globals.root, '/run/ocirt');
  assert.is(inv.flags.bundle, '.');
  assert.is(inv.flags['preserve-fds'], 0);
  assert.is(inv.flags['no-pivot'], false);
});

test('create as containerd and conmon pass it', () => {
  const inv = fastParse(['create', '--bundle', '/b', '--pid-file=/b/pid', '--console-socket', '/tmp/s', '--no-pivot', '--preserve-fds', '2', 'c1'])!;
  assert.is(inv.flags.bundle, '/b');
  assert.is(inv.flags['pid-file'], '/b/pid');
  assert.is(inv.flags['console-socket'], '/tmp/s');
  assert.is(inv.flags['no-pivot'], true);
  assert.is(inv.flags['preserve-fds'], 2);
  assert.equal(inv.positionals, ['c1']);
});

test('short forms: -b, -d, -f, -a', () => {
  assert.is(fastParse(['run', '-b', '/b', '-d', 'c'])!.flags.detach, true);
  assert.is(fastParse(['delete', '-f', 'c'])!.flags.force, true);
  const k = fastParse(['kill', '-a', 'c', 'KILL'])!;
  assert.is(k.flags.all, true);
  assert.equal(k.positionals, ['c', 'KILL']);
});

test('boolean flags take =true/=false', () => {
  assert.is(fastParse(['delete', '--force=false', 'c'])!.flags.force, false);
  assert.is(fastParse(['delete', '--force=maybe', 'c']), undefined);
});

test('exec keeps the command and its flags as positionals', () => {
  const inv = fastParse(['exec', '-t', '--env', 'A=1', '-e', 'B=2', 'c', 'sh', '-c', 'echo hi'])!;
  assert.is(inv.flags.tty, true);
  assert.equal(inv.flags.env, ['A=1', 'B=2']);
  assert.equal(inv.positionals, ['c', 'sh', '-c', 'echo hi']);
});

test('seccomp takes its flags among the action and the syscall, as the README writes it; the call\'s arguments are payload', () => {
  for (const argv of [['seccomp', 'explain', '-b', 'B', 'write', '1', '-2'], ['seccomp', '-b', 'B', 'explain', 'write', '1', '-2']]) {
    const inv = fastParse(argv)!;
    assert.is(inv.flags.bundle, 'B', argv.join(' '));
    assert.equal(inv.positionals, ['explain', 'write', '1', '-2'], argv.join(' '));
  }
  const ps = fastParse(['ps', 'c', '-ef'])!;
  assert.equal(ps.positionals, ['c', '-ef'], 'ps arguments after the id are ps\'s own');
});

test('anything unusual is left to yargs', () => {
  for (const argv of [[], ['--help'], ['state'], ['state', 'a', 'b'], ['nosuch'], ['--bogus', 'state', 'x'], ['state', '--bogus', 'x'], ['list', '--format', 'yaml']]) {
    assert.is(fastParse(argv), undefined, JSON.stringify(argv));
  }
});

test('every command has a description and well-formed flags', () => {
  for (const [name, spec] of Object.entries(COMMANDS)) {
    assert.ok(spec.describe, name);
    for (const [flag, f] of Object.entries(spec.flags)) {
      assert.ok(/^[a-z][a-z-]*$/.test(flag), `${name} --${flag}`);
      if (f.alias) assert.is(f.alias.length, 1);
    }
  }
});

test.run();

/**
 * Seccomp in real containers: the project's compiled program is loaded last, and its verdicts
 * are what the process meets: ERRNO, KILL_PROCESS, LOG, NOTIFY (through a listener that
 * answers), and the filter shows in /proc/self/status.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { makeBundle, Bundle, withBundleRt } from '../helpers/bundle';
import { Runtime, withRuntime, waitFor, REPO } from '../helpers/cli';

const ARCHES = ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'];

function profile(action: string, extra: Record<string, unknown> = {}): any {
  return { defaultAction: 'SCMP_ACT_ALLOW', architectures: ARCHES, syscalls: [{ names: ['mkdir', 'mkdirat'], action, ...extra }] };
}


test('ERRNO: mkdir fails with EPERM inside; the filter shows in /proc/self/status', () =>
  withBundleRt(
    (c) => {
      c.process.args = ['/bin/sh', '-c', '/bin/mkdir /tmp/d; echo rc=$?; grep ^Seccomp /proc/self/status'];
      c.linux.seccomp = profile('SCMP_ACT_ERRNO', { errnoRet: 1 });
    },
    (rt, b) => {
      const r = rt.run(['run', '--bundle', b.dir, 's1']);
      assert.is(r.status, 0, r.stderr);
      assert.match(r.stdout, /rc=1/);
      assert.match(r.stderr, /Operation not permitted/);
      assert.match(r.stdout, /Seccomp:\s+2/);
      assert.match(r.stdout, /Seccomp_filters:\s+1/);
      assert.not.ok(fs.existsSync(path.join(b.rootfs, 'tmp/d')));
    },
  ));

test('without a profile the process has Seccomp: 0', () =>
  withBundleRt(
    (c) => (c.process.args = ['/bin/grep', '^Seccomp:', '/proc/self/status']),
    (rt, b) => {
      const r = rt.run(['run', '--bundle', b.dir, 's0']);
      assert.is(r.status, 0, r.stderr);
      assert.match(r.stdout, /Seccomp:\s+0/);
    },
  ));

test('KILL_PROCESS kills the process with SIGSYS (exit 128+31)', () =>
  withBundleRt(
    (c) => {
      c.process.args = ['/bin/mkdir', '/tmp/k'];
      c.linux.seccomp = profile('SCMP_ACT_KILL_PROCESS');
    },
    (rt, b) => {
      const r = rt.run(['run', '--bundle', b.dir, 's2']);
      assert.is(r.status, 128 + 31, r.stderr);
      assert.not.ok(fs.existsSync(path.join(b.rootfs, 'tmp/k')));
    },
  ));

test('LOG allows the call and leaves an audit record in the kernel log', () =>
  withBundleRt(
    (c) => {
      c.process.args = ['/bin/mkdir', '/tmp/logged'];
      c.linux.seccomp = profile('SCMP_ACT_LOG');
    },
    (rt, b) => {
      const r = rt.run(['run', '--bundle', b.dir, 's3']);
      assert.is(r.status, 0, r.stderr);
      assert.ok(fs.existsSync(path.join(b.rootfs, 'tmp/logged')), 'LOG lets the call through');
      const logged = () => /type=1326 .*comm="mkdir".*syscall=(83|258)/.test(spawnSync('dmesg', { encoding: 'utf8' }).stdout);
      assert.ok(waitFor(logged), 'no seccomp audit record for mkdir in dmesg');
    },
  ));

test('NOTIFY: the listener gets the state message and the fd, and its answer is what mkdir returns', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocirt-notify-'));
  const sock = path.join(dir, 'agent.sock');
  const out = path.join(dir, 'agent');
  const agent = spawn('/usr/bin/python3', [path.join(REPO, 'test/helpers/seccomp_agent.py'), sock, out], { stdio: ['ignore', 'inherit', 'inherit'] });
  try {
    assert.ok(waitFor(() => fs.existsSync(out + '.ready')), 'agent did not start');
    await withBundleRt(
      (c) => {
        c.process.args = ['/bin/sh', '-c', '/bin/mkdir /tmp/n; echo rc=$?'];
        c.linux.seccomp = { ...profile('SCMP_ACT_NOTIFY'), listenerPath: sock, listenerMetadata: 'meta-1' };
      },
      (rt, b) => {
        const r = rt.run(['run', '--bundle', b.dir, 's4']);
        assert.is(r.status, 0, r.stderr);
        assert.match(r.stdout, /rc=0/, 'the agent answered success');
        assert.not.ok(fs.existsSync(path.join(b.rootfs, 'tmp/n')), 'the agent did not make the dir: the kernel did not run the call');
        const msg = JSON.parse(fs.readFileSync(out + '.json', 'utf8'));
        assert.equal(msg.fds, ['seccompFd']);
        assert.is(msg.metadata, 'meta-1');
        assert.is(msg.state.id, 's4');
        assert.ok(msg.pid > 0);
        assert.ok(/^(83|258)$/m.test(fs.readFileSync(out + '.log', 'utf8')), 'the agent saw mkdir');
      },
    );
  } finally {
    agent.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a bad profile is refused before anything is made, pointing into config.json', () =>
  withBundleRt(
    (c) => (c.linux.seccomp = profile('SCMP_ACT_BOGUS')),
    (rt, b) => {
      const r = rt.run(['create', '--bundle', b.dir, 's5']);
      assert.is(r.status, 1);
      assert.match(r.stderr, /\/linux\/seccomp\/syscalls\/0\/action/);
      assert.is(rt.ids().length, 0, 'no state dir');
    },
  ));

test.run();

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runHooks } from '../../src/hooks/run';

const state = JSON.stringify({ ociVersion: '1.3.0', id: 'x', pad: 'y'.repeat(1 << 20) });

const fails = (fn: () => void, re: RegExp) => {
  try {
    fn();
  } catch (e) {
    assert.match((e as Error).message, re);
    return;
  }
  assert.unreachable('no error');
};

test('a hook that never reads its state still succeeds (EPIPE on its stdin is not a failure)', () => {
  for (let i = 0; i < 10; i++) runHooks('poststart', [{ path: '/bin/true' }], state);
});

test('a hook gets the state on stdin', () => {
  runHooks('createRuntime', [{ path: '/bin/sh', args: ['sh', '-c', 'grep -q "\\"id\\":\\"x\\"" || exit 9'] }], state);
});

test('failures name the phase, the pointer, and what happened', () => {
  fails(() => runHooks('createRuntime', [{ path: '/bin/true' }, { path: '/bin/sh', args: ['sh', '-c', 'echo broke >&2; exit 4'] }], state),
    /^createRuntime hook \/bin\/sh \(config\.json \/hooks\/createRuntime\/1\): exit status 4: broke$/);
  fails(() => runHooks('prestart', [{ path: '/no/such/hook' }], state), /prestart hook \/no\/such\/hook \(config\.json \/hooks\/prestart\/0\): no such file or directory/);
  fails(() => runHooks('poststart', [{ path: '/bin/sleep', args: ['sleep', '5'], timeout: 1 }], state), /poststart hook \/bin\/sleep .*: timed out after 1s/);
});

test('a hook without env gets the runtime\'s environment; an empty env list gives none', () => {
  const dir = require('node:fs').mkdtempSync(require('node:path').join(require('node:os').tmpdir(), 'ocirt-hookenv-'));
  const out = require('node:path').join(dir, 'env');
  process.env.OCIRT_HOOK_TEST_VAR = 'from-the-runtime';
  try {
    runHooks('createRuntime', [{ path: '/bin/sh', args: ['sh', '-c', `/usr/bin/env > ${out}`] }], state);
    assert.match(require('node:fs').readFileSync(out, 'utf8'), /^OCIRT_HOOK_TEST_VAR=from-the-runtime$/m);
    runHooks('createRuntime', [{ path: '/bin/sh', args: ['sh', '-c', `/usr/bin/env > ${out}`], env: [] }], state);
    assert.not.match(require('node:fs').readFileSync(out, 'utf8'), /OCIRT_HOOK_TEST_VAR/);
    runHooks('createRuntime', [{ path: '/bin/sh', args: ['sh', '-c', `/usr/bin/env > ${out}`], env: ['ONLY=this'] }], state);
    assert.match(require('node:fs').readFileSync(out, 'utf8'), /^ONLY=this$/m);
    assert.not.match(require('node:fs').readFileSync(out, 'utf8'), /OCIRT_HOOK_TEST_VAR/);
  } finally {
    delete process.env.OCIRT_HOOK_TEST_VAR;
    require('node:fs').rmSync(dir, { recursive: true, force: true });
  }
});

test('with onFailure (poststop) every hook runs and each failure is reported; without, the first failure stops the phase', () => {
  const dir = require('node:fs').mkdtempSync(require('node:path').join(require('node:os').tmpdir(), 'ocirt-poststop-'));
  const mark = (n: number) => ({ path: '/bin/sh', args: ['sh', '-c', `echo ${n} >> ${dir}/ran`] });
  const hooks = [mark(1), { path: '/bin/sh', args: ['sh', '-c', 'echo no >&2; exit 3'] }, mark(2), { path: '/no/such' }, mark(3)];
  try {
    const failures: string[] = [];
    runHooks('poststop', hooks, state, (m) => failures.push(m));
    assert.is(require('node:fs').readFileSync(`${dir}/ran`, 'utf8'), '1\n2\n3\n');
    assert.equal(failures, [
      'poststop hook /bin/sh (config.json /hooks/poststop/1): exit status 3: no',
      'poststop hook /no/such (config.json /hooks/poststop/3): no such file or directory',
    ]);
    require('node:fs').rmSync(`${dir}/ran`);
    fails(() => runHooks('poststart', hooks, state), /poststart hook \/bin\/sh \(config\.json \/hooks\/poststart\/1\): exit status 3/);
    assert.is(require('node:fs').readFileSync(`${dir}/ran`, 'utf8'), '1\n');
  } finally {
    require('node:fs').rmSync(dir, { recursive: true, force: true });
  }
});

test.run();

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runHooks, hookFailure, signalText } from '../../src/hooks/run';
import { OcirtError } from '../../src/errors';

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
  fails(() => runHooks('poststart', [{ path: '/bin/sleep', args: ['sleep', '5'], timeout: 1 }], state), /^poststart hook \/bin\/sleep \(config\.json \/hooks\/poststart\/0\): hook ran past specified timeout of 1\.0s$/);
  fails(() => runHooks('prestart', [{ path: '/bin/sh', args: ['sh', '-c', 'echo gone >&2; kill -9 $$'] }], state), /^prestart hook \/bin\/sh \(config\.json \/hooks\/prestart\/0\): signal: killed: gone$/);
  fails(() => runHooks('prestart', [{ path: '/bin/sh', args: ['sh', '-c', 'kill -15 $$'] }], state), /^prestart hook \/bin\/sh \(config\.json \/hooks\/prestart\/0\): signal: terminated$/);
});

test('what the hook wrote, stdout then stderr, follows the reason', () => {
  fails(() => runHooks('createRuntime', [{ path: '/bin/sh', args: ['sh', '-c', 'echo out; echo err >&2; exit 2'] }], state),
    /^createRuntime hook \/bin\/sh \(config\.json \/hooks\/createRuntime\/0\): exit status 2: out\nerr$/);
});

test('one wording for every way of starting a hook (runc\'s: exit status, signal, timeout), with the pointer and the errno code carried', () => {
  const h = { path: '/x', timeout: 2 };
  assert.is(hookFailure('createContainer', h, 1, { status: 0, output: 'fine' }), undefined);
  const cases: Array<[Parameters<typeof hookFailure>[3], string]> = [
    [{ status: 3, output: 'no\n' }, 'exit status 3: no'],
    [{ signal: 9 }, 'signal: killed'],
    [{ signal: 6 }, 'signal: aborted'],
    [{ signal: 40 }, 'signal: signal 40'],
    [{ timedOut: true, output: 'partial' }, 'hook ran past specified timeout of 2.0s: partial'],
    [{ startError: { errno: 2 } }, 'no such file or directory'],
    [{ startError: { errno: 'EACCES' } }, 'permission denied'],
    [{ startError: { errno: 2, message: 'open /proc/1/ns/mnt: no such file or directory' } }, 'open /proc/1/ns/mnt: no such file or directory'],
  ];
  for (const [outcome, why] of cases) {
    const e = hookFailure('createContainer', h, 1, outcome)!;
    assert.instance(e, OcirtError);
    assert.is(e.message, `createContainer hook /x (config.json /hooks/createContainer/1): ${why}`);
    assert.is(e.pointer, '/hooks/createContainer/1');
  }
  assert.is(hookFailure('prestart', h, 0, { startError: { errno: 2 } })!.code, 'ENOENT');
  assert.is(hookFailure('prestart', h, 0, { startError: { errno: 'EACCES' } })!.code, 'EACCES');
  assert.is(signalText(15), 'terminated');
});

test('runHooks starts each hook through the given exec, in order, and stops at the first failure', () => {
  const seen: string[] = [];
  const exec = (h: { path: string }, stdin: string) => {
    seen.push(`${h.path} ${stdin}`);
    return h.path === '/b' ? { signal: 9 } : { status: 0 };
  };
  fails(() => runHooks('createContainer', [{ path: '/a' }, { path: '/b' }, { path: '/c' }], '{}', undefined, exec), /^createContainer hook \/b \(config\.json \/hooks\/createContainer\/1\): signal: killed$/);
  assert.equal(seen, ['/a {}', '/b {}']);
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

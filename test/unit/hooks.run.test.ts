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

test.run();

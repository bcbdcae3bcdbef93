import * as assert from 'uvu/assert';

/** Asserts that `fn` throws, with a message matching `re` (uvu's throws takes no message pattern). */
export function throwsMsg(fn: () => void, re: RegExp): void {
  try {
    fn();
  } catch (e) {
    assert.match((e as Error).message, re);
    return;
  }
  assert.unreachable(`expected an error matching ${re}`);
}

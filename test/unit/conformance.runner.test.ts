import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseTap, countOf, keyed, compareProgram, loadExpected } from '../../conformance/runtime-tools';

const tap = (lines: string[]) => ['TAP version 13', ...lines, `1..${lines.length}`].join('\n');

test('parseTap: ok, not ok, SKIP and TODO; YAML blocks and comments are not assertions', () => {
  const a = parseTap(
    [
      'TAP version 13',
      'ok 1 - has expected hostname',
      '  ---',
      '  { "actual": "x" }',
      '  ...',
      '# expect: 1, actual: 1',
      'not ok 2 - memory kernel is set correctly',
      'ok 3 # SKIP linux.sysctl not set',
      'not ok 4 - later # TODO not done',
      '1..4',
    ].join('\n'),
  );
  assert.equal(a.map((x) => [x.ok, x.pending]), [[true, false], [false, false], [true, true], [false, true]]);
  assert.is(a[0].desc, 'has expected hostname');
  assert.is(a[2].desc, '# SKIP linux.sysctl not set');
  assert.equal(countOf(a), { pass: 1, fail: 1, pending: 2 });
});

test('keyed: repeated descriptions are told apart by occurrence, not by number', () => {
  const k = keyed(parseTap(tap(['ok 1 - a', 'ok 2 - b', 'ok 3 - a'])));
  assert.equal([...k.keys()], ['a [1]', 'b [1]', 'a [2]']);
});

test('compareProgram: classifies what ocirt does not pass against runc', () => {
  const runc = parseTap(tap(['ok 1 - x', 'not ok 2 - y', 'ok 3 - z', 'ok 4 - w', 'ok 5 # SKIP unset']));
  const ocirt = parseTap(tap(['ok 1 - w', 'not ok 2 - x', 'not ok 3 - y', 'not ok 4 - only here', 'ok 5 # SKIP unset']));
  const f = compareProgram('p', ocirt, runc, []);
  assert.equal(
    f.map((x) => [x.assertion, x.kind]),
    [['x', 'regression'], ['y', 'runc-fails'], ['only here', 'unreached'], ['z', 'regression']],
  );
});

test('compareProgram: an expected difference names its spec section; program patterns match whole names', () => {
  const exp = [{ program: 'linux_cgroups(_relative)?_memory', assertion: 'k', spec: 'why', reference: 'config-linux.md#memory' }];
  const runc = parseTap(tap(['ok 1 - k']));
  const ocirt = parseTap(tap(['not ok 1 - k']));
  assert.is(compareProgram('linux_cgroups_relative_memory', ocirt, runc, exp)[0].expected, exp[0]);
  assert.is(compareProgram('linux_cgroups_memory_x', ocirt, runc, exp)[0].expected, undefined);
});

test('the expected-differences file is well formed: each entry has the spec words and a section', () => {
  const list = loadExpected();
  assert.ok(list.length > 0);
  for (const e of list) {
    assert.ok(new RegExp(e.program), e.program);
    assert.match(e.reference, /\.md#/);
    assert.ok(e.spec.length > 40, e.spec);
  }
});

test.run();

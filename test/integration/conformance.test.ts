/**
 * The OCI runtime-tools validation suite, run by conformance/runtime-tools.ts against ocirt and
 * runc: ocirt must pass every assertion runc passes (save the spec 1.3 differences listed in
 * conformance/runtime-tools-expected.json), at least as many in total, and leave no mount,
 * cgroup or state dir behind. The suite's source is the shared tarball (or $OCIRT_RUNTIME_TOOLS);
 * it is built once into ~/.cache/ocirt, so the first run on a machine also builds it.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { main } from '../../conformance/runtime-tools';
import { cgroupParentsMadeHere } from '../helpers/cgroup-parents';

// ocirt's default parent, when the suite's containers are the first to make it.
const parents = cgroupParentsMadeHere(['ocirt']);

test('runtime-tools: ocirt passes all that runc passes and leaves nothing behind', () => {
  const lines: string[] = [];
  const s = main([], (l) => {
    lines.push(l);
    process.stdout.write(l + '\n');
  });
  assert.ok(s.totals.ocirt && s.totals.runc, 'both runtimes ran');
  // A suite that did not run at all would pass this test vacuously.
  assert.ok(s.totals.runc.pass > 1000, `runc passed only ${s.totals.runc.pass} assertions: the suite did not run`);
  const bad = s.findings.filter((f) => f.kind === 'regression' && !f.expected).map((f) => `${f.program}: ${f.assertion}`);
  assert.equal(bad, [], 'assertions runc passes and ocirt fails');
  assert.equal(s.leftovers, [], 'left behind by ocirt');
  assert.ok(s.totals.ocirt.pass >= s.totals.runc.pass, `ocirt ${s.totals.ocirt.pass} < runc ${s.totals.runc.pass}`);
  assert.ok(s.ok);
});

test.after(() => parents.remove());

test.run();

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MS, MOUNT_ATTR, parseMountOptions, tableMountOptions, RootfsOp } from '../../src/plan/mount-ops';

test('flags set and cleared, later options win', () => {
  const p = parseMountOptions(['nosuid', 'ro', 'nodev', 'rw', 'bind']);
  assert.is(p.flags, MS.NOSUID | MS.NODEV | MS.BIND);
  assert.is(p.clear, MS.RDONLY);
  assert.is(p.data, '');
});

test('unknown options become the data string', () => {
  const p = parseMountOptions(['nosuid', 'size=65536k', 'mode=755']);
  assert.is(p.flags, MS.NOSUID);
  assert.is(p.data, 'size=65536k,mode=755');
});

test('propagation kept in order, separate from flags', () => {
  const p = parseMountOptions(['rbind', 'rslave', 'private']);
  assert.is(p.flags, MS.BIND | MS.REC);
  assert.equal(p.propagation, [MS.SLAVE | MS.REC, MS.PRIVATE]);
});

test('recursive attributes map to mount_setattr, atime is one field', () => {
  const p = parseMountOptions(['rro', 'rnosuid', 'rexec', 'rnoatime', 'rstrictatime']);
  assert.is(p.attrSet, MOUNT_ATTR.RDONLY | MOUNT_ATTR.NOSUID | MOUNT_ATTR.STRICTATIME);
  assert.is(p.attrClr, MOUNT_ATTR.NOEXEC | MOUNT_ATTR._ATIME);
  assert.is(p.flags, 0);
});

test('idmap, ridmap and tmpcopyup are not mount(2) options', () => {
  const p = parseMountOptions(['ridmap', 'idmap', 'tmpcopyup']);
  assert.equal([p.idmap, p.idmapRecursive, p.copyup, p.data], [true, false, true, '']);
  assert.equal(p.unsupported, []);
  const s = tableMountOptions();
  assert.ok(s.includes('rro') && s.includes('rbind') && s.includes('runbindable') && s.includes('idmap') && s.includes('ridmap'));
  assert.ok(s.includes('tmpcopyup'));
});

test('op kinds lie in 100..199', () => {
  for (const k of Object.values(RootfsOp)) assert.ok(k >= 100 && k <= 199);
});

test('edge cases: empty, repeats, toggles, prototype names, data order kept', () => {
  const e = parseMountOptions(undefined);
  assert.equal([e.flags, e.clear, e.attrSet, e.attrClr, e.data, e.propagation.length], [0, 0, 0, 0, '', 0]);
  const a = parseMountOptions(['rw', 'ro']);
  assert.is(a.flags, MS.RDONLY);
  assert.is(a.clear, 0);
  const b = parseMountOptions(['noatime', 'atime']);
  assert.is(b.flags & MS.NOATIME, 0);
  assert.is(b.clear, MS.NOATIME);
  assert.is(parseMountOptions(['rbind', 'bind']).flags, MS.BIND | MS.REC);
  assert.is(parseMountOptions(['size=1m', 'mode=1777', 'size=2m']).data, 'size=1m,mode=1777,size=2m');
  const p = parseMountOptions(['constructor', 'toString', '__proto__']);
  assert.is(p.data, 'constructor,toString,__proto__');
  assert.is(p.flags, 0);
});

test('recursive toggles: a later option undoes an earlier one; ratime clears the whole atime field', () => {
  const p = parseMountOptions(['rro', 'rrw', 'rnosuid']);
  assert.is(p.attrSet, MOUNT_ATTR.NOSUID);
  assert.is(p.attrClr, MOUNT_ATTR.RDONLY);
  const q = parseMountOptions(['rnoatime', 'ratime']);
  assert.is(q.attrSet, 0);
  assert.is(q.attrClr, MOUNT_ATTR._ATIME);
  assert.is(parseMountOptions(['rrelatime']).attrSet, MOUNT_ATTR.RELATIME);
});

test.run();

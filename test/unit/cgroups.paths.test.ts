import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { detect, openManager } from '../../src/cgroups';
import { parseMountinfo, normalizeCgroupsPath } from '../../src/cgroups/mounts';
import { throwsMsg } from '../helpers/throws';

const HYBRID = `31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
`;
const UNIFIED = `30 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n`;
const LEGACY = HYBRID.split('\n').filter((l) => !l.includes('cgroup2')).join('\n');


test('detect: unified, hybrid, legacy from mountinfo', () => {
  assert.is(detect('/sys/fs/cgroup', UNIFIED), 'unified');
  assert.is(detect('/sys/fs/cgroup', HYBRID), 'hybrid');
  assert.is(detect('/sys/fs/cgroup', LEGACY), 'legacy');
  throwsMsg(() => detect('/elsewhere', UNIFIED), /no cgroup filesystem is mounted at \/elsewhere/);
});

test('detect: this host (hybrid, per the brief) from the real mountinfo', () => {
  assert.ok(['unified', 'hybrid', 'legacy'].includes(detect()));
});

test('mountinfo: controllers without mount options, name= kept', () => {
  const ms = parseMountinfo(HYBRID);
  assert.equal(ms.map((m) => m.controllers), [['cpu', 'cpuacct'], ['memory'], ['name=systemd'], []]);
  assert.equal(ms.map((m) => m.v2), [false, false, false, true]);
});

test('cgroupsPath: absent, absolute, relative, and refusals', () => {
  const base = () => '/user.slice/me';
  assert.is(normalizeCgroupsPath('abc', undefined, base), '/ocirt/abc');
  assert.is(normalizeCgroupsPath('abc', '/kubepods/pod1/abc/', base), '/kubepods/pod1/abc');
  assert.is(normalizeCgroupsPath('abc', 'box/abc', base), '/user.slice/me/box/abc');
  throwsMsg(() => normalizeCgroupsPath('abc', '/a/../../etc', base), /^\/linux\/cgroupsPath: "\/a\/\.\.\/\.\.\/etc" must not contain "\.\."/);
  throwsMsg(() => normalizeCgroupsPath('abc', '..', base), /must not contain/);
  throwsMsg(() => normalizeCgroupsPath('abc', '/', base), /names the root cgroup/);
});

test('relative paths: under the caller\'s cgroup on v1, under its parent on v2', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ocirt-cgp-'));
  try {
    const mi = `30 23 0:26 / ${root} rw - cgroup2 cgroup2 rw\n`;
    const m = openManager({ id: 'x', cgroupsPath: 'box/x', root, mountinfo: mi, selfCgroup: '0::/user.slice/sess.scope\n' });
    assert.is(m.path, '/user.slice/box/x');
    assert.is(m.v2Dir, path.join(root, 'user.slice/box/x'));
    const mi1 = `31 1 0:29 / ${root}/memory rw - cgroup cgroup rw,memory\n`;
    const m1 = openManager({ id: 'x', cgroupsPath: 'box/x', root, mountinfo: mi1, selfCgroup: '4:memory:/m\n0::/user.slice/sess.scope\n' });
    assert.is(m1.path, '/user.slice/sess.scope/box/x');
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('a failed create-and-apply leaves no cgroup behind after destroy', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ocirt-cgp-'));
  try {
    fs.writeFileSync(path.join(root, 'cgroup.controllers'), '');
    const mi = `30 23 0:26 / ${root} rw - cgroup2 cgroup2 rw\n`;
    const m = openManager({ id: 'x', cgroupsPath: '/a/b/x', root, mountinfo: mi, host: { warn: () => {} } });
    m.create();
    assert.ok(fs.existsSync(path.join(root, 'a/b/x')));
    throwsMsg(() => m.apply({ pids: { limit: 1 } }), /^\/linux\/resources\/pids\/limit: the pids controller is not available/);
    m.destroy();
    assert.not.ok(fs.existsSync(path.join(root, 'a/b/x')));
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test.run();

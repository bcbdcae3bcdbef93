/**
 * createContainer hooks run in the container's mount namespace before the pivot. A runtime that
 * only joins that namespace leaves the hook's cwd at the namespace's root, which is still the
 * host's /: a hook from the bundle that writes a relative path (`touch ./lib/x`) then writes into
 * the host's /usr/lib. runc runs these hooks with cwd <bundle>/rootfs, and so must we.
 *
 * The hook here writes only when its cwd holds a marker file that exists in the rootfs alone, so
 * against a naive runtime it writes nothing on the host; it reports where it ran.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ID, withCase } from '../helpers/exploit';
import { cgroupParentsMadeHere } from '../helpers/cgroup-parents';

const parents = cgroupParentsMadeHere(['ocirt-test']);
test.after(() => parents.remove());

test('a createContainer hook runs with the rootfs as its cwd, never the host\'s /', () => {
  const marker = `ocitest-rootfs-marker-${process.pid}`;
  let out = '';
  return withCase(
    (c, b) => {
      out = path.join(b.dir, 'hook-out');
      c.hooks = {
        createContainer: [
          {
            path: '/bin/sh',
            args: ['sh', '-c', `pwd -P > ${out}; stat -c %d:%i . >> ${out}; if [ -e ./${marker} ]; then touch ./hook-was-here; fi`],
          },
        ],
      };
    },
    (rt, b) => {
      const id = ID('hookcwd');
      rt.ok(['create', '--bundle', b.dir, id]);
      rt.ok(['delete', '--force', id]);
      const [cwd, devIno] = fs.readFileSync(out, 'utf8').trim().split('\n');
      const st = fs.statSync(b.rootfs);
      assert.is(cwd, fs.realpathSync(b.rootfs), 'the hook\'s cwd');
      assert.is(devIno, `${st.dev}:${st.ino}`, 'the cwd is the rootfs directory itself');
      assert.ok(fs.existsSync(path.join(b.rootfs, 'hook-was-here')), 'a relative write lands in the rootfs');
    },
    (b) => fs.writeFileSync(path.join(b.rootfs, marker), ''),
  );
});

test('a createContainer hook\'s cwd follows root.path (a rootfs not named rootfs)', () => {
  let out = '';
  return withCase(
    (c, b) => {
      out = path.join(b.dir, 'hook-out');
      c.root.path = 'image';
      c.hooks = { createContainer: [{ path: '/bin/sh', args: ['sh', '-c', `pwd -P > ${out}`] }] };
    },
    (rt, b) => {
      const id = ID('hookcwd2');
      rt.ok(['create', '--bundle', b.dir, id]);
      rt.ok(['delete', '--force', id]);
      assert.is(fs.readFileSync(out, 'utf8').trim(), fs.realpathSync(path.join(b.dir, 'image')));
    },
    (b) => fs.renameSync(b.rootfs, path.join(b.dir, 'image')),
  );
});

test.run();

/**
 * Device rules. The device cgroup is what stops a container with CAP_MKNOD (or a device node in
 * its image) from opening host devices, so the config's denies must hold:
 *   - a runtime that appends an allow for every linux.devices entry after the config's rules
 *     lets a container that lists /dev/kmsg open it although the config denies c 1:11;
 *   - a runtime whose default set allows c 5:1 lets it mknod the host's /dev/console and open it;
 *   - a runtime that appends its defaults after the config (runc) lets them override a deny of
 *     a default device.
 * The container only opens the devices (in a subshell, which cannot take a controlling tty); it
 * never writes to them.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ID, withCase, runOut, addCaps } from '../helpers/exploit';
import { cgroupParentsMadeHere } from '../helpers/cgroup-parents';

const parents = cgroupParentsMadeHere(['ocirt', 'ocirt-test']);
test.after(() => parents.remove());

/** sh that prints "<name> ok" or "<name> denied" for opening each path with the given mode. */
function opens(list: [string, string, '<' | '>'][]): string {
  return list.map(([name, p, m]) => `if (exec 3${m}${p}) 2>/dev/null; then echo "${name} ok"; else echo "${name} denied"; fi`).join('; ');
}

test('a device the config lists in linux.devices but denies cannot be opened (c 1:11, /dev/kmsg)', () =>
  withCase(
    (c) => {
      c.linux.resources = { devices: [{ allow: false, access: 'rwm' }, { allow: false, type: 'c', major: 1, minor: 11, access: 'rwm' }] };
      c.linux.devices = [{ path: '/dev/kmsg', type: 'c', major: 1, minor: 11, fileMode: 0o600, uid: 0, gid: 0 }];
      c.process.args = ['/bin/sh', '-c', `stat -c '%t:%T' /dev/kmsg; ${opens([['kmsg-read', '/dev/kmsg', '<'], ['kmsg-write', '/dev/kmsg', '>'], ['null', '/dev/null', '>']])}`];
    },
    (rt, b) => {
      const r = runOut(rt, b, ID('kmsg'));
      assert.is(r.status, 0, r.err);
      assert.equal(r.out.trim().split('\n'), ['1:b', 'kmsg-read denied', 'kmsg-write denied', 'null ok']);
    },
  ));

test('no default access to the host console (c 5:1), even with CAP_MKNOD and only "deny all" in the config', () =>
  withCase(
    (c) => {
      addCaps(c, 'CAP_MKNOD');
      c.linux.resources = { devices: [{ allow: false, access: 'rwm' }] };
      c.process.args = ['/bin/sh', '-c', `mknod /tmp/console c 5 1 && echo mknod ok; ${opens([['console-read', '/tmp/console', '<'], ['console-write', '/tmp/console', '>'], ['tty', '/dev/tty', '<'], ['zero', '/dev/zero', '<']])}`];
    },
    (rt, b) => {
      const r = runOut(rt, b, ID('console'));
      assert.is(r.status, 0, r.err);
      // /dev/tty opens only with a controlling terminal: the cgroup allows it, the tty layer says no.
      const lines = r.out.trim().split('\n').filter((l) => !l.startsWith('tty '));
      assert.equal(lines, ['mknod ok', 'console-read denied', 'console-write denied', 'zero ok']);
    },
  ));

test('a deny of a default device in the config wins over the defaults (write to /dev/zero, all of /dev/full)', () =>
  withCase(
    (c) => {
      c.linux.resources = {
        devices: [
          { allow: false, access: 'rwm' },
          { allow: false, type: 'c', major: 1, minor: 5, access: 'w' },
          { allow: false, type: 'c', major: 1, minor: 7, access: 'rwm' },
        ],
      };
      c.process.args = ['/bin/sh', '-c', opens([['zero-read', '/dev/zero', '<'], ['zero-write', '/dev/zero', '>'], ['full-read', '/dev/full', '<'], ['urandom', '/dev/urandom', '<']])];
    },
    (rt, b) => {
      const r = runOut(rt, b, ID('deny'));
      assert.is(r.status, 0, r.err);
      assert.equal(r.out.trim().split('\n'), ['zero-read ok', 'zero-write denied', 'full-read denied', 'urandom ok']);
    },
  ));

test.run();

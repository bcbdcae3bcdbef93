/**
 * delete must end the init itself. A process with access to the cgroup tree can move a
 * container's init out of the container's freezer cgroup (into another one, frozen or not). A
 * runtime that only signals the processes of the container's own cgroup then never reaches the
 * init: delete reports success or gives up, and the init (with whatever it holds) runs on, or
 * resumes as soon as that other cgroup is thawed. delete holds the init by a pidfd (its start
 * time checked), kills it, and waits for it, without thawing the other cgroup's processes.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { ID, withCase } from '../helpers/exploit';
import { pidAlive, waitFor } from '../helpers/cli';
import { cgroupParentsMadeHere } from '../helpers/cgroup-parents';

const parents = cgroupParentsMadeHere(['ocirt', 'ocirt-test']);
test.after(() => parents.remove());

// v1 freezer (legacy and hybrid hosts) or cgroup2's cgroup.freeze.
const V1 = fs.existsSync('/sys/fs/cgroup/freezer/tasks');
const V2ROOT = fs.existsSync('/sys/fs/cgroup/cgroup.procs') ? '/sys/fs/cgroup' : '/sys/fs/cgroup/unified';

/** A freezer cgroup of the test's own, outside the container's: moves, freezes, thaws, goes. */
function foreignCgroup(name: string) {
  const dir = V1 ? path.join('/sys/fs/cgroup/freezer/ocirt-test', name) : path.join(V2ROOT, 'ocirt-test', name);
  fs.mkdirSync(dir, { recursive: true });
  const frozen = () => (V1 ? fs.readFileSync(path.join(dir, 'freezer.state'), 'utf8').trim() === 'FROZEN' : /frozen 1/.test(fs.readFileSync(path.join(dir, 'cgroup.events'), 'utf8')));
  return {
    dir,
    add: (pid: number) => fs.writeFileSync(path.join(dir, V1 ? 'tasks' : 'cgroup.procs'), String(pid)),
    freeze() {
      fs.writeFileSync(path.join(dir, V1 ? 'freezer.state' : 'cgroup.freeze'), V1 ? 'FROZEN' : '1');
      assert.ok(waitFor(frozen), 'the foreign cgroup froze');
    },
    frozen,
    remove() {
      try {
        fs.writeFileSync(path.join(dir, V1 ? 'freezer.state' : 'cgroup.freeze'), V1 ? 'THAWED' : '0');
      } catch {
        /* gone */
      }
      const pids = () => fs.readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
      for (const p of pids()) {
        try {
          process.kill(p, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      waitFor(() => pids().length === 0);
      fs.rmdirSync(dir);
    },
  };
}

test('delete of a created container kills an init that was moved into another freezer cgroup', () =>
  withCase(
    (c) => (c.process.args = ['/bin/sleep', '1000']),
    (rt, b) => {
      const id = ID('moved');
      rt.ok(['create', '--bundle', b.dir, id]);
      const pid = rt.state(id).pid;
      const cg = foreignCgroup(`${id}-foreign`);
      try {
        cg.add(pid);
        rt.ok(['delete', id]);
        assert.ok(waitFor(() => !pidAlive(pid)), `init ${pid} survived delete`);
        assert.not.ok(fs.existsSync(path.join(rt.root, id)));
      } finally {
        cg.remove();
      }
    },
  ));

test('delete --force kills an init frozen in another freezer cgroup, and leaves that cgroup frozen', () =>
  withCase(
    (c) => (c.process.args = ['/bin/sleep', '1000']),
    async (rt, b) => {
      const id = ID('frozen');
      rt.ok(['create', '--bundle', b.dir, id]);
      rt.ok(['start', id]);
      const pid = rt.state(id).pid;
      // A bystander of the host in the same frozen cgroup: delete must not thaw it.
      const bystander = spawn('/bin/sleep', ['1000'], { stdio: 'ignore' });
      const cg = foreignCgroup(`${id}-foreign`);
      try {
        cg.add(pid);
        cg.add(bystander.pid!);
        cg.freeze();
        rt.ok(['delete', '--force', id]);
        assert.ok(waitFor(() => !pidAlive(pid)), `init ${pid} survived delete`);
        assert.ok(cg.frozen(), 'the foreign cgroup is still frozen');
        assert.ok(pidAlive(bystander.pid!), 'the bystander is still there');
        assert.not.ok(fs.existsSync(path.join(rt.root, id)));
      } finally {
        cg.remove();
        bystander.kill('SIGKILL');
      }
    },
  ));

test.run();

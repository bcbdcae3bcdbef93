/**
 * Parent cgroups that tests make on the host as a side effect: /ocirt (ocirt's default parent),
 * /ocirt-test (the cgroup driver tests), and what engines make (containerd's namespace, podman's
 * libpod_parent). Each is noted as absent when the test file loads, and removed at the end if it
 * appeared since, children included, even when a test failed.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { removeTree } from '../../src/cgroups/files';

const ROOT = '/sys/fs/cgroup';

function hierarchies(): string[] {
  try {
    return fs.readdirSync(ROOT).map((h) => path.join(ROOT, h));
  } catch {
    return [];
  }
}

/** Notes which of `names` are absent now; remove() takes away those that appeared since. */
export function cgroupParentsMadeHere(names: string[]): { remove(): void } {
  const absent = hierarchies().flatMap((h) => names.map((n) => path.join(h, n))).filter((d) => !fs.existsSync(d));
  let done = false;
  const remove = () => {
    if (done) return;
    done = true;
    for (const d of absent) {
      try {
        removeTree(d, 5000);
      } catch {
        /* still in use: test/run.js reports it */
      }
    }
  };
  // At exit too: a test that failed before its own cleanup still leaves nothing.
  process.on('exit', remove);
  return { remove };
}

/**
 * What a create of an id may have made outside its state dir, found for delete from every
 * source there is, so that a create killed at any point, or a state dir damaged since, is
 * still cleaned up completely:
 *   - state.json, when it is a valid record: the cgroup as create made it;
 *   - intent.json, which create writes before it makes any cgroup and never rewrites: the
 *     cgroup directories in every hierarchy, made or not (a kill mid-mkdir leaves some);
 *   - with neither readable but evidence that create got that far (either file, or the saved
 *     config, exists): the cgroup the saved config names, or the default one.
 * The init is found through the record (pid and start time), or as a process of the cgroup.
 *
 * Nothing another container owns is touched: a cgroup that another container of this root
 * names in its intent or record is left alone (two configs may share a cgroupsPath), and so
 * are its processes; only our init is then killed, by pid.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readIntent, readRecord, readSavedConfig, listIds, validCgroupDesc, Intent } from '../state/store';
import { INTENT_FILE, STATE_FILE, SAVED_CONFIG } from '../state/paths';
import type { Container } from './container';
import type { CgroupManager } from '../cgroups';
import { warn } from '../log';

function cgroups(): typeof import('../cgroups') {
  return require('../cgroups');
}

export interface Remains {
  intent?: Intent;
  /** The cgroups to destroy (every process in them is the container's). */
  owned: CgroupManager[];
  /** Cgroups this container names that another one names too: left as they are. */
  shared: string[];
}

/** The cgroup paths the other containers of `root` name in their intent or record. */
function claimedByOthers(root: string, id: string): Set<string> {
  const out = new Set<string>();
  for (const other of listIds(root)) {
    if (other === id) continue;
    const dir = path.join(path.resolve(root), other);
    const intent = readIntent(dir, other);
    if (intent?.cgroup) out.add(intent.cgroup.path);
    try {
      const rec = readRecord(root, other);
      if (rec?.cgroup) out.add(rec.cgroup.path);
    } catch {
      /* a damaged neighbour claims nothing we can read */
    }
  }
  return out;
}

/** The cgroup a damaged container's saved config names, or the default one. */
function fallbackCgroup(c: Container): CgroupManager | undefined {
  let cgroupsPath: string | undefined;
  try {
    const cfg = readSavedConfig(c.dir) as any;
    if (typeof cfg?.linux?.cgroupsPath === 'string') cgroupsPath = cfg.linux.cgroupsPath;
  } catch {
    /* unreadable too: the default path */
  }
  try {
    return cgroups().openManager({ id: c.id, cgroupsPath });
  } catch (e) {
    warn(`container "${c.id}": cgroup ${cgroupsPath ?? '(default)'} of ${path.join(c.dir, SAVED_CONFIG)}: ${(e as Error).message}`);
    return undefined;
  }
}

export function findRemains(root: string, c: Container): Remains {
  const intent = readIntent(c.dir, c.id);
  const candidates: CgroupManager[] = [];
  const seen = new Set<string>();
  const add = (m: CgroupManager | undefined) => {
    if (!m || seen.has(m.path)) return;
    seen.add(m.path);
    candidates.push(m);
  };
  const recorded = (desc: unknown) => (validCgroupDesc(desc) ? cgroups().recordedManager(desc) : undefined);
  add(recorded(c.record?.cgroup));
  add(recorded(intent?.cgroup));
  if (!c.record && !intent) {
    const evidence = [STATE_FILE, INTENT_FILE, SAVED_CONFIG].some((f) => fs.existsSync(path.join(c.dir, f)));
    if (evidence) add(fallbackCgroup(c));
  }
  if (candidates.length === 0) return { intent, owned: [], shared: [] };
  const claimed = claimedByOthers(root, c.id);
  const owned = candidates.filter((m) => !claimed.has(m.path));
  const shared = candidates.filter((m) => claimed.has(m.path)).map((m) => m.path);
  return { intent, owned, shared };
}

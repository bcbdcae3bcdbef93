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
 * are its processes, and so is a cgroup inside or around one it names, or one that shares a
 * directory with it under another path; only our init is then killed, by pid.
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

/** A cgroup as another container of the root names it: its path and its directories. */
interface Claim {
  path: string;
  dirs: string[];
}

/** The cgroups the other containers of `root` name in their intent or record. */
function claimedByOthers(root: string, id: string): Claim[] {
  const out: Claim[] = [];
  const add = (cg: { path: string; dirs: Record<string, string> } | undefined) => cg && out.push({ path: cg.path, dirs: Object.values(cg.dirs) });
  for (const other of listIds(root)) {
    if (other === id) continue;
    const dir = path.join(path.resolve(root), other);
    add(readIntent(dir, other)?.cgroup);
    try {
      add(readRecord(root, other)?.cgroup);
    } catch {
      /* a damaged neighbour claims nothing we can read */
    }
  }
  return out;
}

/** Two cgroup paths (or directories) that are one, or one inside the other. */
function nested(a: string, b: string): boolean {
  const [short, long] = a.length <= b.length ? [a, b] : [b, a];
  return long.startsWith(short) && (long.length === short.length || long[short.length] === '/' || short.endsWith('/'));
}

/**
 * Whether killing or removing `m` could reach what a claim names: the same path, the same
 * directory under another path (a forged record may spell a neighbour's cgroup so), or a cgroup
 * inside or around it (killing a parent kills its children).
 */
function meets(m: CgroupManager, claims: Claim[]): boolean {
  const mine = Object.values(m.dirs);
  return claims.some((c) => nested(c.path, m.path) || c.dirs.some((d) => mine.some((x) => nested(d, x))));
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
  // A systemd container's scope is stopped through systemd (SystemdManager.destroy), as runc does:
  // removing its cgroup alone leaves the unit to systemd's own clean-up, some time later. The
  // intent has no flag of its own; the record's tells for both.
  const systemd = !!c.record?.systemdCgroup;
  const recorded = (desc: unknown) => (validCgroupDesc(desc) ? cgroups().recordedManager(desc, undefined, systemd) : undefined);
  add(recorded(c.record?.cgroup));
  add(recorded(intent?.cgroup));
  if (!c.record && !intent) {
    const evidence = [STATE_FILE, INTENT_FILE, SAVED_CONFIG].some((f) => fs.existsSync(path.join(c.dir, f)));
    if (evidence) add(fallbackCgroup(c));
  }
  if (candidates.length === 0) return { intent, owned: [], shared: [] };
  const claimed = claimedByOthers(root, c.id);
  const owned: CgroupManager[] = [];
  const shared: string[] = [];
  for (const m of candidates) {
    if (meets(m, claimed)) shared.push(m.path);
    else owned.push(m);
  }
  return { intent, owned, shared };
}

/**
 * --systemd-cgroup's cgroupsPath, "slice:prefix:name", as engines send it (Docker, podman,
 * containerd for the kubelet): the transient scope to make, the slice it goes in, and the cgroup
 * path systemd gives it. Pure: no bus, no I/O.
 */
import { OcirtError } from '../errors';

const P = '/linux/cgroupsPath';

export interface SystemdPath {
  /** The parent slice, e.g. system.slice or kubepods-burstable-pod1.slice; "-.slice" is the root. */
  slice: string;
  /** The transient scope: "<prefix>-<name>.scope", or "<name>.scope" without a prefix. */
  unit: string;
  /** The scope's cgroup below systemd's root, e.g. /kubepods.slice/kubepods-burstable.slice/cri-x.scope. */
  cgroup: string;
}

function bad(cgroupsPath: string, why: string): never {
  throw new OcirtError(`${P}: ${JSON.stringify(cgroupsPath)}: ${why} (--systemd-cgroup takes "slice:prefix:name")`, { pointer: P });
}

/** Unit name characters systemd accepts (unit_name_is_valid), less "@" (templates) and "\\" (escapes). */
const UNIT_CHARS = /^[A-Za-z0-9:_.-]+$/;

/**
 * The cgroup path of a slice, as systemd nests slices: "a-b-c.slice" is a.slice/a-b.slice/a-b-c.slice,
 * "-.slice" is the root. Dashes at the ends of the name or doubled are not valid slice names.
 */
export function expandSlice(slice: string, cgroupsPath = slice): string {
  if (!slice.endsWith('.slice')) bad(cgroupsPath, `the slice ${JSON.stringify(slice)} does not end in ".slice"`);
  if (slice === '-.slice') return '/';
  const stem = slice.slice(0, -'.slice'.length);
  if (stem === '' || !UNIT_CHARS.test(stem) || stem.includes(':')) bad(cgroupsPath, `${JSON.stringify(slice)} is not a valid slice name`);
  if (stem.startsWith('-') || stem.endsWith('-') || stem.includes('--')) bad(cgroupsPath, `${JSON.stringify(slice)} is not a valid slice name (stray "-")`);
  const parts = stem.split('-');
  let out = '';
  for (let i = 1; i <= parts.length; i++) out += `/${parts.slice(0, i).join('-')}.slice`;
  return out;
}

/**
 * Parses slice:prefix:name. An empty value (no cgroupsPath) is system.slice:ocirt:<id>, and an
 * empty slice is system.slice, as runc does for its own prefix.
 */
export function parseSystemdPath(cgroupsPath: string | undefined, id: string): SystemdPath {
  const raw = cgroupsPath === undefined || cgroupsPath === '' ? `system.slice:ocirt:${id}` : cgroupsPath;
  const parts = raw.split(':');
  if (parts.length !== 3) bad(raw, `expected 3 fields separated by ":", got ${parts.length}`);
  const [sliceField, prefix, name] = parts;
  const slice = sliceField === '' ? 'system.slice' : sliceField;
  if (name === '') bad(raw, 'the name is empty');
  if (name.endsWith('.slice')) bad(raw, 'a slice as the container unit is not supported; give a scope name');
  if (!UNIT_CHARS.test(name) || (prefix !== '' && !UNIT_CHARS.test(prefix))) bad(raw, 'the prefix and name may hold only letters, digits and ":_.-"');
  const unit = `${prefix ? prefix + '-' : ''}${name}.scope`;
  if (unit.length > 255) bad(raw, 'the unit name is longer than 255 characters');
  const base = expandSlice(slice, raw);
  return { slice, unit, cgroup: `${base === '/' ? '' : base}/${unit}` };
}

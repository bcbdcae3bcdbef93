/** The device allow-list in its v1 form (devices.allow / devices.deny lines). */
import { OcirtError } from '../errors';
import type { DeviceRule } from './types';

export interface NormalRule {
  allow: boolean;
  type: 'a' | 'b' | 'c';
  /** -1 for "all" (the spec's unset, the v1 `*`). */
  major: number;
  minor: number;
  access: string;
}

export function normalizeRules(rules: DeviceRule[], pointer: string): NormalRule[] {
  return rules.map((r, i) => {
    const p = `${pointer}/${i}`;
    const type = (r.type ?? 'a') as NormalRule['type'];
    if (!['a', 'b', 'c'].includes(type)) throw new OcirtError(`${p}/type: invalid device type ${JSON.stringify(r.type)} (a, b or c)`, { pointer: `${p}/type` });
    const access = r.access ?? 'rwm';
    if (!/^[rwm]*$/.test(access)) throw new OcirtError(`${p}/access: invalid access ${JSON.stringify(r.access)} (a combination of r, w, m)`, { pointer: `${p}/access` });
    const num = (v: number | null | undefined) => (v === undefined || v === null || v < 0 ? -1 : v);
    return { allow: !!r.allow, type, major: num(r.major), minor: num(r.minor), access: access === '' ? 'rwm' : access };
  });
}

/**
 * The devices every container may use whatever its config says (runc's default set): mknod of
 * any node, and /dev/null, zero, full, random, urandom, tty, ptmx, pts/* and net/tun. Not
 * /dev/console (c 5:1, the host's console): a container's console is a bind of its pty, which
 * pts/* covers.
 */
export const DEFAULT_ALLOWED_DEVICES: DeviceRule[] = [
  { allow: true, type: 'c', access: 'm' },
  { allow: true, type: 'b', access: 'm' },
  ...[
    [1, 3],
    [1, 5],
    [1, 7],
    [1, 8],
    [1, 9],
    [5, 0],
    [5, 2],
    [10, 200],
  ].map(([major, minor]) => ({ allow: true, type: 'c', major, minor, access: 'rwm' })),
  { allow: true, type: 'c', major: 136, access: 'rwm' },
];

/**
 * The device rules to apply at create: the config's linux.resources.devices and the default
 * set, with the defaults placed right after the config's last "all devices" rule (at the start
 * when it has none). Every rule before an "a" rule is void (both the kernel's v1 lists and the
 * v2 program start over at it), so the defaults survive a leading "deny all", and every later
 * rule of the config still wins over them: a config that denies c 1:5 gets no /dev/zero. runc
 * appends the defaults after all of the config instead, so there a deny of a default device
 * does not hold; that is the one difference. As with runc, linux.devices only makes nodes: a
 * device it lists is usable only where the rules allow it.
 */
export function effectiveDeviceRules(resourceDevices: DeviceRule[] | undefined): DeviceRule[] {
  const rules = resourceDevices ?? [];
  let lastAll = -1;
  rules.forEach((r, i) => {
    if ((r.type ?? 'a') === 'a') lastAll = i;
  });
  return [...rules.slice(0, lastAll + 1), ...DEFAULT_ALLOWED_DEVICES, ...rules.slice(lastAll + 1)];
}

/** The v1 line: "c 1:3 rwm", with `*` for "all". */
export function v1Line(r: NormalRule): string {
  if (r.type === 'a') return 'a';
  const n = (x: number) => (x < 0 ? '*' : String(x));
  return `${r.type} ${n(r.major)}:${n(r.minor)} ${r.access}`;
}

/** The exceptions of a default-deny v1 device cgroup: "type major:minor" -> access letters. */
export type V1Exceptions = Map<string, Set<string>>;

/**
 * Parses devices.list. Returns undefined for an allow-all list ("a *:* rwm"), which is the only
 * other state the kernel shows.
 */
export function parseDevicesList(text: string): V1Exceptions | undefined {
  const out: V1Exceptions = new Map();
  for (const line of text.split('\n')) {
    const [type, num, access] = line.trim().split(/\s+/);
    if (!type) continue;
    if (type === 'a') return undefined;
    out.set(`${type} ${num}`, new Set(access ?? ''));
  }
  return out;
}

/**
 * What the kernel's list becomes after "deny all" and then the rules, when the rules start with
 * a deny-all and use no other `a` rule; undefined otherwise (then only a full reset is exact).
 * A v1 deny in a default-deny cgroup removes access bits from the exception with the same
 * type, major and minor only.
 */
export function v1Target(rules: NormalRule[]): V1Exceptions | undefined {
  if (rules.length === 0 || rules[0].type !== 'a' || rules[0].allow) return undefined;
  const out: V1Exceptions = new Map();
  for (const r of rules.slice(1)) {
    if (r.type === 'a') return undefined;
    const key = v1Line(r).split(' ').slice(0, 2).join(' ');
    const cur = out.get(key) ?? new Set<string>();
    for (const c of r.access) {
      if (r.allow) cur.add(c);
      else cur.delete(c);
    }
    if (cur.size > 0) out.set(key, cur);
    else out.delete(key);
  }
  return out;
}

/**
 * The writes that turn `current` into `target` without a moment of "deny all" (which would
 * break a running container's /dev/null during `update`): allow what is missing, deny what is
 * extra, per device.
 */
export function v1Diff(current: V1Exceptions, target: V1Exceptions): { file: 'devices.allow' | 'devices.deny'; line: string }[] {
  const out: { file: 'devices.allow' | 'devices.deny'; line: string }[] = [];
  const letters = (s: Set<string>) => ['r', 'w', 'm'].filter((c) => s.has(c)).join('');
  for (const [key, want] of target) {
    const have = current.get(key) ?? new Set<string>();
    const add = new Set([...want].filter((c) => !have.has(c)));
    if (add.size) out.push({ file: 'devices.allow', line: `${key} ${letters(add)}` });
  }
  for (const [key, have] of current) {
    const want = target.get(key) ?? new Set<string>();
    const drop = new Set([...have].filter((c) => !want.has(c)));
    if (drop.size) out.push({ file: 'devices.deny', line: `${key} ${letters(drop)}` });
  }
  return out;
}

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

/** The v1 line: "c 1:3 rwm", with `*` for "all". */
export function v1Line(r: NormalRule): string {
  if (r.type === 'a') return 'a';
  const n = (x: number) => (x < 0 ? '*' : String(x));
  return `${r.type} ${n(r.major)}:${n(r.minor)} ${r.access}`;
}

/**
 * LinuxResources as systemd unit properties, for StartTransientUnit and SetUnitProperties. The
 * cgroup files are written as well afterwards (by the v1 or v2 driver), so that what systemd
 * cannot express (and the exact values where systemd rounds) is still applied, as runc does.
 * Pure: unit tests check it.
 */
import * as fs from 'node:fs';
import { sharesToWeight, blkioWeightToIoWeight } from './convert';
import type { Prop } from './systemd-bus-worker';
import type { DeviceRule, Resources } from './types';

const U64_MAX = 18446744073709551615n;
const u64 = (n: number): bigint => (n < 0 ? U64_MAX : BigInt(n));

/** "0-2,5" as the byte mask AllowedCPUs/AllowedMemoryNodes take (bit n of byte n/8). */
export function cpuMask(list: string): Uint8Array {
  const bits: number[] = [];
  for (const part of list.trim().split(',').filter(Boolean)) {
    const [a, b] = part.split('-').map(Number);
    for (let i = a; i <= (b ?? a); i++) bits.push(i);
  }
  const out = new Uint8Array(bits.length ? Math.floor(Math.max(...bits) / 8) + 1 : 0);
  for (const i of bits) out[i >> 3] |= 1 << (i & 7);
  return out;
}

/**
 * The quota as systemd takes it, per second of CPU time. systemd keeps it in steps of 10 ms per
 * second (1%), so it is rounded up to one, never down (a lower limit than asked is worse).
 */
export function quotaPerSecUSec(quota: number, period: number): bigint {
  const perSec = Math.ceil((quota * 1_000_000) / period);
  return BigInt(Math.ceil(perSec / 10_000) * 10_000);
}

/** Major numbers to driver names, from /proc/devices, for DeviceAllow's "char-NAME". */
export function deviceNames(text?: string): { char: Map<number, string>; block: Map<number, string> } {
  const out = { char: new Map<number, string>(), block: new Map<number, string>() };
  let cur: Map<number, string> | undefined;
  let t = text;
  if (t === undefined) {
    try {
      t = fs.readFileSync('/proc/devices', 'utf8');
    } catch {
      t = '';
    }
  }
  for (const line of t.split('\n')) {
    if (/^Character devices:/.test(line)) cur = out.char;
    else if (/^Block devices:/.test(line)) cur = out.block;
    else {
      const m = /^\s*(\d+)\s+(\S+)/.exec(line);
      if (m && cur && !cur.has(Number(m[1]))) cur.set(Number(m[1]), m[2]);
    }
  }
  return out;
}

/**
 * The device rules as DevicePolicy and DeviceAllow. systemd has only allow-lists: rules that
 * start with "deny all" and then only allow become DevicePolicy=strict with one entry each;
 * anything else (a deny after an allow, an allow-all) is left to the files and the device
 * program, with DevicePolicy=auto so that systemd's own program does not get in their way.
 */
export function deviceProps(rules: DeviceRule[], names = deviceNames()): Prop[] {
  const isAll = (r: DeviceRule) => (r.type ?? 'a') === 'a' && r.major == null && r.minor == null;
  const first = rules.findIndex((r) => !r.allow && isAll(r));
  const rest = first < 0 ? [] : rules.slice(first + 1);
  if (first < 0 || rest.some((r) => !r.allow || isAll(r) || (r.type ?? 'a') === 'a')) return [['DevicePolicy', 's', 'auto']];
  const allow: [string, string][] = [];
  for (const r of rest) {
    const kind = r.type === 'b' ? 'block' : 'char';
    const access = (r.access ?? 'rwm').replace(/[^rwm]/g, '');
    if (!access) continue;
    let spec: string | undefined;
    if (r.major == null) spec = `${kind}-*`;
    else if (r.minor == null) spec = (kind === 'block' ? names.block : names.char).has(r.major) ? `${kind}-${(kind === 'block' ? names.block : names.char).get(r.major)}` : undefined;
    else spec = `/dev/${kind}/${r.major}:${r.minor}`;
    // A major number the kernel has no driver for cannot be named; the files still allow it.
    if (spec === undefined) return [['DevicePolicy', 's', 'auto']];
    allow.push([spec, access]);
  }
  return [
    ['DevicePolicy', 's', 'strict'],
    ['DeviceAllow', 'a(ss)', allow],
  ];
}

/** The unit properties for the resources systemd knows, for cgroup v2 (names) or v1 (the legacy ones). */
export function resourceProps(r: Resources, version: 1 | 2, o: { devices?: boolean; deviceNames?: ReturnType<typeof deviceNames> } = {}): Prop[] {
  const out: Prop[] = [];
  const m = r.memory;
  if (m?.limit !== undefined && m.limit !== 0) out.push([version === 2 ? 'MemoryMax' : 'MemoryLimit', 't', u64(m.limit)]);
  if (version === 2 && m?.reservation !== undefined && m.reservation !== 0) out.push(['MemoryLow', 't', u64(m.reservation)]);
  if (version === 2 && m?.swap !== undefined && m.swap !== 0) {
    if (m.swap === -1) out.push(['MemorySwapMax', 't', U64_MAX]);
    else if (m.limit !== undefined && m.limit > 0 && m.swap >= m.limit) out.push(['MemorySwapMax', 't', BigInt(m.swap - m.limit)]);
  }
  const c = r.cpu;
  if (c?.shares !== undefined && c.shares !== 0) {
    out.push(version === 2 ? ['CPUWeight', 't', BigInt(sharesToWeight(c.shares))] : ['CPUShares', 't', BigInt(c.shares)]);
  }
  if (c?.quota !== undefined && c.quota !== 0) {
    const period = c.period && c.period > 0 ? c.period : 100_000;
    out.push(['CPUQuotaPerSecUSec', 't', c.quota > 0 ? quotaPerSecUSec(c.quota, period) : U64_MAX]);
  }
  if (c?.period !== undefined && c.period !== 0) out.push(['CPUQuotaPeriodUSec', 't', BigInt(c.period)]);
  if (version === 2 && c?.cpus) out.push(['AllowedCPUs', 'ay', cpuMask(c.cpus)]);
  if (version === 2 && c?.mems) out.push(['AllowedMemoryNodes', 'ay', cpuMask(c.mems)]);
  if (r.pids?.limit !== undefined && r.pids.limit !== 0) out.push(['TasksMax', 't', u64(r.pids.limit)]);
  const w = r.blockIO?.weight;
  if (w !== undefined && w !== 0) out.push(version === 2 ? ['IOWeight', 't', BigInt(blkioWeightToIoWeight(w))] : ['BlockIOWeight', 't', BigInt(w)]);
  if (o.devices && r.devices) out.push(...deviceProps(r.devices, o.deviceNames));
  return out;
}

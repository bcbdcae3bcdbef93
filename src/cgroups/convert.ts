/** Value conversions between the spec's (v1-shaped) numbers and cgroup2 files, as runc does them. */
import { OcirtError } from '../errors';

/** cpu.shares [2, 262144] -> cpu.weight [1, 10000], runc's linear map (0 means unset). */
export function sharesToWeight(shares: number): number {
  if (shares === 0) return 0;
  return Math.floor(1 + ((shares - 2) * 9999) / 262142);
}

/** blkio.weight [10, 1000] -> io.weight [1, 10000], runc's linear map (0 means unset). */
export function blkioWeightToIoWeight(weight: number): number {
  if (weight === 0) return 0;
  return Math.floor(1 + ((weight - 10) * 9999) / 990);
}

/** A memory value for a cgroup2 file: -1 is "max". */
export function v2Bytes(n: number): string {
  return n === -1 ? 'max' : String(n);
}

/**
 * The spec's swap is memory+swap (the v1 memsw meaning); cgroup2's memory.swap.max is swap alone,
 * so it is swap - limit. Returns undefined when nothing is to be written.
 */
export function swapToV2(swap: number | undefined, limit: number | undefined, pointer: string): string | undefined {
  if (swap === undefined || swap === 0) return undefined;
  if (swap === -1) return 'max';
  if (limit === undefined || limit === 0 || limit === -1) {
    throw new OcirtError(`${pointer}/swap: a swap limit needs a memory limit (${pointer}/limit)`, { pointer: `${pointer}/swap` });
  }
  if (swap < limit) {
    throw new OcirtError(`${pointer}/swap: memory+swap limit (${swap}) must be >= the memory limit (${limit})`, { pointer: `${pointer}/swap` });
  }
  return String(swap - limit);
}

/** "0-3,7" style lists; the kernel's own error (EINVAL) is vaguer than this check. */
export function checkCpuList(value: string, pointer: string, available?: string): void {
  const ok = /^\s*$/.test(value) || /^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(value.trim());
  if (!ok) throw new OcirtError(`${pointer}: invalid list ${JSON.stringify(value)} (expected e.g. "0-3,7")`, { pointer });
  for (const part of value.trim().split(',').filter(Boolean)) {
    const [a, b] = part.split('-').map(Number);
    if (b !== undefined && b < a) throw new OcirtError(`${pointer}: invalid range "${part}" in ${JSON.stringify(value)}`, { pointer });
  }
  if (available === undefined || available.trim() === '') return;
  const have = expandList(available);
  for (const n of expandList(value)) {
    if (!have.has(n)) throw new OcirtError(`${pointer}: ${n} in ${JSON.stringify(value)} is not available (have "${available.trim()}")`, { pointer });
  }
}

function expandList(s: string): Set<number> {
  const out = new Set<number>();
  for (const part of s.trim().split(',').filter(Boolean)) {
    const [a, b] = part.split('-').map(Number);
    for (let i = a; i <= (b ?? a); i++) out.add(i);
  }
  return out;
}

/** "2MB" -> the name part of hugetlb.<size>.* files, which is the spec's pageSize itself. */
export function checkPageSize(pageSize: string, pointer: string): string {
  if (!/^\d+[KMG]B$/.test(pageSize)) throw new OcirtError(`${pointer}: invalid page size ${JSON.stringify(pageSize)} (expected e.g. 2MB)`, { pointer });
  return pageSize;
}

/** An OOM-able value check for update: the new limit must not be below the current usage. */
export function checkNotBelowUsage(limit: number | undefined, usage: number | undefined, pointer: string): void {
  if (limit === undefined || limit <= 0 || usage === undefined) return;
  if (limit < usage) {
    throw new OcirtError(`${pointer}: new limit ${limit} is below the current usage ${usage} (checkBeforeUpdate)`, { pointer });
  }
}

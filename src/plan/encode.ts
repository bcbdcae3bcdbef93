/**
 * Plan -> the one buffer the addon decodes (wire format in addon/plan.h):
 *   u32 magic "OCIP", u32 version 1, u32 op count;
 *   per op: u16 kind, u16 nint, u16 nstr, u16 0, nint x i64, nstr x (u32 len, bytes, '\0').
 * Little-endian. Numbers must be integers (a bigint for values past 2^53).
 */
import type { PlanOp } from './op';

export const PLAN_MAGIC = 0x5049434f;
export const PLAN_VERSION = 1;

function toBig(v: number | bigint, where: string): bigint {
  if (typeof v === 'bigint') return BigInt.asIntN(64, v);
  if (!Number.isInteger(v)) throw new TypeError(`${where}: ${v} is not an integer`);
  return BigInt.asIntN(64, BigInt(v));
}

export function encodePlan(plan: { ops: PlanOp[] }): Buffer {
  const parts: Buffer[] = [];
  const head = Buffer.alloc(12);
  head.writeUInt32LE(PLAN_MAGIC, 0);
  head.writeUInt32LE(PLAN_VERSION, 4);
  head.writeUInt32LE(plan.ops.length, 8);
  parts.push(head);
  plan.ops.forEach((op, i) => {
    if (op.ints.length > 0xffff || op.strs.length > 0xffff) throw new RangeError(`op ${i}: too many values`);
    const h = Buffer.alloc(8 + 8 * op.ints.length);
    h.writeUInt16LE(op.kind, 0);
    h.writeUInt16LE(op.ints.length, 2);
    h.writeUInt16LE(op.strs.length, 4);
    op.ints.forEach((v, j) => h.writeBigInt64LE(toBig(v, `op ${i} int ${j}`), 8 + 8 * j));
    parts.push(h);
    for (const s of op.strs) {
      const bytes = typeof s === 'string' ? Buffer.from(s, 'utf8') : s;
      const len = Buffer.alloc(4);
      len.writeUInt32LE(bytes.length, 0);
      parts.push(len, bytes, Buffer.alloc(1));
    }
  });
  return Buffer.concat(parts);
}

/**
 * Plan -> the one buffer the addon decodes (wire format in addon/plan.h):
 *   u32 magic "OCIP", u32 version (the contract's hash), u32 op count;
 *   per op: u16 kind, u16 nint, u16 nstr, u16 0, nint x i64, nstr x (u32 len, bytes, '\0').
 * Little-endian. Numbers must be integers (a bigint for values past 2^53).
 */
import type { PlanOp } from './op';
import { CONTRACT_HASH } from './contract.gen';
import { OcirtError } from '../errors';

export const PLAN_MAGIC = 0x5049434f;
/** The hash of contract/contract.json: an init or addon built from another contract refuses the plan. */
export const PLAN_VERSION = CONTRACT_HASH;

function toBig(v: number | bigint, where: string): bigint {
  if (typeof v === 'bigint') return BigInt.asIntN(64, v);
  if (!Number.isInteger(v)) throw new TypeError(`${where}: ${v} is not an integer`);
  return BigInt.asIntN(64, BigInt(v));
}

export function encodePlan(plan: { ops: PlanOp[] }): Buffer {
  // Sizes first, so the plan is written into one buffer.
  const strs = plan.ops.map((op) => op.strs.map((x) => (typeof x === 'string' ? Buffer.from(x, 'utf8') : x)));
  let size = 12;
  plan.ops.forEach((op, i) => {
    if (op.ints.length > 0xffff || op.strs.length > 0xffff) {
      // Validation refuses the configs that get here (spec/semantic.ts); this names the place if one slips through.
      const where = op.pointer ? ` (config.json ${op.pointer})` : '';
      throw new OcirtError(`${op.what}${where}: ${Math.max(op.ints.length, op.strs.length)} values, more than the 65535 one operation carries`, { pointer: op.pointer || undefined });
    }
    size += 8 + 8 * op.ints.length;
    for (const b of strs[i]) size += 4 + b.length + 1;
  });
  const out = Buffer.alloc(size);
  // A DataView's setters are V8 builtins; Buffer's write* are JavaScript that a fresh process
  // compiles first (most of a create's encode time).
  const dv = new DataView(out.buffer, out.byteOffset, out.length);
  dv.setUint32(0, PLAN_MAGIC, true);
  dv.setUint32(4, PLAN_VERSION, true);
  dv.setUint32(8, plan.ops.length, true);
  let at = 12;
  plan.ops.forEach((op, i) => {
    dv.setUint16(at, op.kind, true);
    dv.setUint16(at + 2, op.ints.length, true);
    dv.setUint16(at + 4, op.strs.length, true);
    at += 8;
    op.ints.forEach((v, j) => {
      dv.setBigInt64(at, toBig(v, `op ${i} int ${j}`), true);
      at += 8;
    });
    for (const b of strs[i]) {
      dv.setUint32(at, b.length, true);
      out.set(b, at + 4);
      at += 4 + b.length + 1; // the NUL is the zero the buffer starts with
    }
  });
  return out;
}

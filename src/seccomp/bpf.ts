/**
 * Classic BPF as seccomp uses it: the encoding, an emulator over struct seccomp_data, and a
 * disassembler. Programs are arrays of struct sock_filter {u16 code; u8 jt; u8 jf; u32 k},
 * 8 bytes each, in the host's byte order (as seccomp(2) reads them, and as index.ts writes them).
 */
/**
 * Opcodes and return values as const enums: tsc inlines them, so the compiler (index.ts) uses
 * them without loading this module, which only disassemble and explain need.
 */
export const enum Op {
  LD_W_ABS = 0x20, LD_IMM = 0x00, LDX_IMM = 0x01, LD_MEM = 0x60, LDX_MEM = 0x61, ST = 0x02, STX = 0x03,
  AND_K = 0x54, JA = 0x05, JEQ_K = 0x15, JGT_K = 0x25, JGE_K = 0x35, JSET_K = 0x45, RET_K = 0x06, RET_A = 0x16,
  TAX = 0x07, TXA = 0x87,
}
export const enum Ret {
  KILL_PROCESS = 0x80000000, KILL_THREAD = 0, TRAP = 0x00030000, ERRNO = 0x00050000,
  USER_NOTIF = 0x7fc00000, TRACE = 0x7ff00000, LOG = 0x7ffc0000, ALLOW = 0x7fff0000,
}

export const BPF = {
  LD_W_ABS: Op.LD_W_ABS, LD_IMM: Op.LD_IMM, LDX_IMM: Op.LDX_IMM, LD_MEM: Op.LD_MEM, LDX_MEM: Op.LDX_MEM, ST: Op.ST, STX: Op.STX,
  AND_K: Op.AND_K, JA: Op.JA, JEQ_K: Op.JEQ_K, JGT_K: Op.JGT_K, JGE_K: Op.JGE_K, JSET_K: Op.JSET_K, RET_K: Op.RET_K, RET_A: Op.RET_A,
  TAX: Op.TAX, TXA: Op.TXA,
} as const;

export const RET = {
  KILL_PROCESS: Ret.KILL_PROCESS, KILL_THREAD: Ret.KILL_THREAD, TRAP: Ret.TRAP, ERRNO: Ret.ERRNO,
  USER_NOTIF: Ret.USER_NOTIF, TRACE: Ret.TRACE, LOG: Ret.LOG, ALLOW: Ret.ALLOW,
} as const;

/** BPF_MAXINSNS: the kernel refuses longer programs. */
export const MAX_INSNS = 4096;

export interface Insn { code: number; jt: number; jf: number; k: number }

const LE_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export function encode(insns: Insn[]): Buffer {
  const b = Buffer.alloc(insns.length * 8);
  insns.forEach((x, i) => {
    if (LE_HOST) b.writeUInt16LE(x.code, i * 8);
    else b.writeUInt16BE(x.code, i * 8);
    b.writeUInt8(x.jt, i * 8 + 2);
    b.writeUInt8(x.jf, i * 8 + 3);
    if (LE_HOST) b.writeUInt32LE(x.k >>> 0, i * 8 + 4);
    else b.writeUInt32BE(x.k >>> 0, i * 8 + 4);
  });
  return b;
}

export function decode(p: Buffer): Insn[] {
  const out: Insn[] = [];
  for (let o = 0; o + 8 <= p.length; o += 8) {
    out.push({ code: LE_HOST ? p.readUInt16LE(o) : p.readUInt16BE(o), jt: p[o + 2], jf: p[o + 3], k: LE_HOST ? p.readUInt32LE(o + 4) : p.readUInt32BE(o + 4) });
  }
  return out;
}

/** struct seccomp_data in the byte order of the arch that made the call. */
export function seccompData(nr: number, arch: number, args: bigint[] = [], littleEndian = true, ip = 0n): Buffer {
  const d = Buffer.alloc(64);
  const u32 = (v: number, o: number) => (littleEndian ? d.writeUInt32LE(v >>> 0, o) : d.writeUInt32BE(v >>> 0, o));
  const u64 = (v: bigint, o: number) => (littleEndian ? d.writeBigUInt64LE(BigInt.asUintN(64, v), o) : d.writeBigUInt64BE(BigInt.asUintN(64, v), o));
  u32(nr, 0);
  u32(arch, 4);
  u64(ip, 8);
  for (let i = 0; i < 6; i++) u64(args[i] ?? 0n, 16 + 8 * i);
  return d;
}

export interface RunResult { ret: number; trace: number[] }

/** Runs a program like the kernel's seccomp_run_filters; loads read the data in the host's order. */
export function run(program: Buffer | Insn[], data: Buffer, littleEndian = true): RunResult {
  const p = Buffer.isBuffer(program) ? decode(program) : program;
  const mem = new Uint32Array(16);
  let A = 0, X = 0, pc = 0;
  const trace: number[] = [];
  for (let steps = 0; steps <= p.length; steps++) {
    if (pc >= p.length) throw new Error(`bpf: pc ${pc} past the end`);
    trace.push(pc);
    const { code, jt, jf, k } = p[pc];
    const cls = code & 0x07;
    if (cls === 0x06) return { ret: ((code & 0x18) === 0x10 ? A : k) >>> 0, trace };
    if (cls === 0x05) {
      const op = code & 0xf0, src = code & 0x08 ? X : k;
      if (op === 0x00) { pc += 1 + k; continue; }
      let c: boolean;
      if (op === 0x10) c = A === src >>> 0;
      else if (op === 0x20) c = A > src >>> 0;
      else if (op === 0x30) c = A >= src >>> 0;
      else if (op === 0x40) c = (A & src) !== 0;
      else throw new Error(`bpf: bad jump 0x${code.toString(16)} at ${pc}`);
      pc += 1 + (c ? jt : jf);
      continue;
    }
    if (code === BPF.LD_W_ABS) {
      if (k + 4 > data.length || k % 4) throw new Error(`bpf: bad load offset ${k} at ${pc}`);
      A = littleEndian ? data.readUInt32LE(k) : data.readUInt32BE(k);
    } else if (code === BPF.LD_IMM) A = k >>> 0;
    else if (code === BPF.LDX_IMM) X = k >>> 0;
    else if (code === BPF.LD_MEM) A = mem[k];
    else if (code === BPF.LDX_MEM) X = mem[k];
    else if (code === BPF.ST) mem[k] = A;
    else if (code === BPF.STX) mem[k] = X;
    else if (code === BPF.TAX) X = A;
    else if (code === BPF.TXA) A = X;
    else if (cls === 0x04) {
      const src = (code & 0x08 ? X : k) >>> 0, op = code & 0xf0;
      switch (op) {
        case 0x00: A = (A + src) >>> 0; break;
        case 0x10: A = (A - src) >>> 0; break;
        case 0x20: A = Math.imul(A, src) >>> 0; break;
        case 0x30: A = src ? Math.floor(A / src) >>> 0 : 0; break;
        case 0x40: A = (A | src) >>> 0; break;
        case 0x50: A = (A & src) >>> 0; break;
        case 0x60: A = src < 32 ? (A << src) >>> 0 : 0; break;
        case 0x70: A = src < 32 ? A >>> src : 0; break;
        case 0x80: A = -A >>> 0; break;
        case 0x90: A = src ? (A % src) >>> 0 : 0; break;
        case 0xa0: A = (A ^ src) >>> 0; break;
        default: throw new Error(`bpf: bad alu 0x${code.toString(16)} at ${pc}`);
      }
    } else throw new Error(`bpf: unsupported opcode 0x${code.toString(16)} at ${pc}`);
    pc++;
  }
  throw new Error('bpf: no return');
}

const RET_NAMES: [number, string][] = [
  [RET.KILL_PROCESS, 'KILL_PROCESS'], [RET.KILL_THREAD, 'KILL_THREAD'], [RET.TRAP, 'TRAP'], [RET.ERRNO, 'ERRNO'],
  [RET.USER_NOTIF, 'NOTIFY'], [RET.TRACE, 'TRACE'], [RET.LOG, 'LOG'], [RET.ALLOW, 'ALLOW'],
];

/** A seccomp return value as "ERRNO(1)", "ALLOW", ... */
export function retName(v: number): { action: string; data: number } {
  const action = (v & 0xffff0000) >>> 0, data = v & 0xffff;
  const n = RET_NAMES.find(([a]) => a === action)?.[1] ?? `0x${action.toString(16)}`;
  return { action: n, data };
}
function retText(v: number): string {
  const { action, data } = retName(v);
  return action === 'ERRNO' || action === 'TRACE' ? `${action}(${data})` : data ? `${action}(${data})` : action;
}

/**
 * Readable listing: one instruction a line, jump targets as labels, seccomp_data fields by name,
 * and syscall numbers by name when `names` knows them (per the arch block they are compared in).
 */
export function disassemble(program: Buffer, names?: (k: number, pc: number) => string | undefined): string {
  const p = decode(program);
  const targets = new Set<number>();
  p.forEach((x, i) => {
    if ((x.code & 0x07) !== 0x05) return;
    if ((x.code & 0xf0) === 0) targets.add(i + 1 + x.k);
    else { targets.add(i + 1 + x.jt); targets.add(i + 1 + x.jf); }
  });
  const label = (i: number) => `L${i}`;
  const field = (k: number) => k === 0 ? 'nr' : k === 4 ? 'arch' : k === 8 ? 'ip_lo' : k === 12 ? 'ip_hi' : k >= 16 && k < 64 ? `args[${(k - 16) >> 3}].${(k & 4) ? 'w1' : 'w0'}` : String(k);
  const lines: string[] = [];
  p.forEach((x, i) => {
    const pre = (targets.has(i) ? `${label(i)}:` : '').padEnd(7) + String(i).padStart(4) + '  ';
    const cls = x.code & 0x07, hex = `0x${x.k.toString(16)}`;
    let s: string;
    if (x.code === BPF.LD_W_ABS) s = `ld  [${field(x.k)}]`;
    else if (cls === 0x06) s = (x.code & 0x18) === 0x10 ? 'ret A' : `ret ${retText(x.k)}`;
    else if (cls === 0x05) {
      const op = x.code & 0xf0;
      if (op === 0) s = `ja  ${label(i + 1 + x.k)}`;
      else {
        const mn = { 0x10: 'jeq', 0x20: 'jgt', 0x30: 'jge', 0x40: 'jset' }[op] ?? `j?${op}`;
        const sym = names?.(x.k, i);
        s = `${mn} ${hex}${sym ? ` (${sym})` : ''}, ${label(i + 1 + x.jt)}, ${label(i + 1 + x.jf)}`;
      }
    } else if (x.code === BPF.AND_K) s = `and ${hex}`;
    else s = `op 0x${x.code.toString(16)} jt=${x.jt} jf=${x.jf} k=${hex}`;
    lines.push(pre + s);
  });
  return lines.join('\n');
}

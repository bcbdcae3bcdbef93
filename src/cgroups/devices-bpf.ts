/**
 * The cgroup2 device allow-list: an eBPF BPF_PROG_TYPE_CGROUP_DEVICE program. The kernel runs
 * it on each device access with a context of three u32 (struct bpf_cgroup_dev_ctx):
 *   access_type = (BPF_DEVCG_ACC_* << 16) | BPF_DEVCG_DEV_*, major, minor
 * and allows the access when it returns 1.
 *
 * The spec applies rules in order, a later rule overriding an earlier one, so the program tests
 * them last to first and returns at the first match. With no match the access is allowed: that
 * is a cgroup's default until a rule of type `a` (the usual leading deny-all) replaces it, as on
 * v1. A rule matches when type,
 * major and minor match (or are wildcards) and the requested access bits are all within the
 * rule's. The program calls no helpers, so its license string does not matter to the verifier.
 */
import { normalizeRules, NormalRule } from './devices';
import type { DeviceRule } from './types';

export const DEV_BLOCK = 1;
export const DEV_CHAR = 2;
export const ACC_MKNOD = 1;
export const ACC_READ = 2;
export const ACC_WRITE = 4;

// eBPF opcodes (instruction class | operation | source), from linux/bpf.h and bpf_common.h.
const LDX_MEM_W = 0x61; // BPF_LDX | BPF_MEM | BPF_W
const ALU32_AND_K = 0x54; // BPF_ALU | BPF_AND | BPF_K
const ALU32_RSH_K = 0x74; // BPF_ALU | BPF_RSH | BPF_K
const ALU32_MOV_X = 0xbc; // BPF_ALU | BPF_MOV | BPF_X
const ALU64_MOV_K = 0xb7; // BPF_ALU64 | BPF_MOV | BPF_K
const JMP32_JNE_K = 0x56; // BPF_JMP32 | BPF_JNE | BPF_K
const EXIT = 0x95; // BPF_JMP | BPF_EXIT

export interface Insn {
  code: number;
  dst: number;
  src: number;
  off: number;
  imm: number;
}

const ins = (code: number, dst: number, src: number, off: number, imm: number): Insn => ({ code, dst, src, off, imm: imm | 0 });

// Registers: r1 ctx then scratch, r2 device type, r3 requested access, r4 major, r5 minor.
function prologue(): Insn[] {
  return [
    ins(LDX_MEM_W, 2, 1, 0, 0),
    ins(ALU32_MOV_X, 3, 2, 0, 0),
    ins(ALU32_AND_K, 2, 0, 0, 0xffff),
    ins(ALU32_RSH_K, 3, 0, 0, 16),
    ins(LDX_MEM_W, 4, 1, 4, 0),
    ins(LDX_MEM_W, 5, 1, 8, 0),
  ];
}

function accessMask(access: string): number {
  let m = 0;
  if (access.includes('m')) m |= ACC_MKNOD;
  if (access.includes('r')) m |= ACC_READ;
  if (access.includes('w')) m |= ACC_WRITE;
  return m;
}

function ruleBlock(r: NormalRule): Insn[] {
  // Each test jumps past the rest of the block; offsets are filled in once its length is known.
  const tests: Insn[][] = [];
  if (r.type !== 'a') tests.push([ins(JMP32_JNE_K, 2, 0, 0, r.type === 'b' ? DEV_BLOCK : DEV_CHAR)]);
  if (r.major >= 0) tests.push([ins(JMP32_JNE_K, 4, 0, 0, r.major)]);
  if (r.minor >= 0) tests.push([ins(JMP32_JNE_K, 5, 0, 0, r.minor)]);
  const mask = accessMask(r.access);
  if (mask !== (ACC_MKNOD | ACC_READ | ACC_WRITE)) {
    tests.push([ins(ALU32_MOV_X, 1, 3, 0, 0), ins(ALU32_AND_K, 1, 0, 0, ~mask & 0xffff), ins(JMP32_JNE_K, 1, 0, 0, 0)]);
  }
  const verdict = [ins(ALU64_MOV_K, 0, 0, 0, r.allow ? 1 : 0), ins(EXIT, 0, 0, 0, 0)];
  const flat = [...tests.flat(), ...verdict];
  flat.forEach((x, i) => {
    if (x.code === JMP32_JNE_K) x.off = flat.length - i - 1;
  });
  return flat;
}

export function buildDeviceProgram(rules: DeviceRule[], pointer = '/linux/resources/devices'): Insn[] {
  const norm = normalizeRules(rules, pointer);
  const out = prologue();
  for (let i = norm.length - 1; i >= 0; i--) {
    const block = ruleBlock(norm[i]);
    out.push(...block);
    // An unconditional rule decides everything: what would follow is unreachable, and the
    // verifier rejects unreachable instructions.
    if (block.length === 2) return out;
  }
  out.push(ins(ALU64_MOV_K, 0, 0, 0, 1), ins(EXIT, 0, 0, 0, 0));
  return out;
}

/** struct bpf_insn as the kernel reads it: u8 code, u8 dst:4|src:4, s16 off, s32 imm (little-endian host). */
export function encode(insns: Insn[]): Buffer {
  const b = Buffer.alloc(insns.length * 8);
  insns.forEach((x, i) => {
    b.writeUInt8(x.code, i * 8);
    b.writeUInt8((x.src << 4) | (x.dst & 0xf), i * 8 + 1);
    b.writeInt16LE(x.off, i * 8 + 2);
    b.writeInt32LE(x.imm, i * 8 + 4);
  });
  return b;
}

export function decode(b: Buffer): Insn[] {
  const out: Insn[] = [];
  for (let i = 0; i + 8 <= b.length; i += 8) {
    const regs = b.readUInt8(i + 1);
    out.push({ code: b.readUInt8(i), dst: regs & 0xf, src: regs >> 4, off: b.readInt16LE(i + 2), imm: b.readInt32LE(i + 4) });
  }
  return out;
}

/**
 * SCMP_ARCH_* names, their AUDIT_ARCH_* values, and lazily loaded syscall tables.
 * x32 shares x86_64's audit value; its syscalls carry __X32_SYSCALL_BIT.
 */
export const X32_SYSCALL_BIT = 0x40000000;

export interface ArchInfo {
  name: string; // SCMP_ARCH_ name
  audit: number;
  bits: 32 | 64; // argument width libseccomp compares (x32 counts as 32, as libseccomp has it)
  table: string; // module under ./tables
}

const A64 = 0x80000000, LE = 0x40000000;
const list: ArchInfo[] = [
  { name: 'SCMP_ARCH_X86_64', audit: (A64 | LE | 62) >>> 0, bits: 64, table: 'x86_64' },
  { name: 'SCMP_ARCH_X86', audit: (LE | 3) >>> 0, bits: 32, table: 'x86' },
  { name: 'SCMP_ARCH_X32', audit: (A64 | LE | 62) >>> 0, bits: 32, table: 'x32' },
  { name: 'SCMP_ARCH_AARCH64', audit: (A64 | LE | 183) >>> 0, bits: 64, table: 'aarch64' },
  { name: 'SCMP_ARCH_ARM', audit: (LE | 40) >>> 0, bits: 32, table: 'arm' },
  { name: 'SCMP_ARCH_RISCV64', audit: (A64 | LE | 243) >>> 0, bits: 64, table: 'riscv64' },
  { name: 'SCMP_ARCH_PPC64LE', audit: (A64 | LE | 21) >>> 0, bits: 64, table: 'ppc64le' },
  { name: 'SCMP_ARCH_PPC64', audit: (A64 | 21) >>> 0, bits: 64, table: 'ppc64' },
  { name: 'SCMP_ARCH_PPC', audit: 20, bits: 32, table: 'ppc' },
  { name: 'SCMP_ARCH_S390X', audit: (A64 | 22) >>> 0, bits: 64, table: 's390x' },
  { name: 'SCMP_ARCH_S390', audit: 22, bits: 32, table: 's390' },
  { name: 'SCMP_ARCH_MIPS', audit: 8, bits: 32, table: 'mips' },
  { name: 'SCMP_ARCH_MIPSEL', audit: (LE | 8) >>> 0, bits: 32, table: 'mipsel' },
  { name: 'SCMP_ARCH_MIPS64', audit: (A64 | 8) >>> 0, bits: 64, table: 'mips64' },
  { name: 'SCMP_ARCH_MIPSEL64', audit: (A64 | LE | 8) >>> 0, bits: 64, table: 'mipsel64' },
  { name: 'SCMP_ARCH_MIPS64N32', audit: (A64 | 0x20000000 | 8) >>> 0, bits: 32, table: 'mips64n32' },
  { name: 'SCMP_ARCH_MIPSEL64N32', audit: (A64 | LE | 0x20000000 | 8) >>> 0, bits: 32, table: 'mipsel64n32' },
  { name: 'SCMP_ARCH_PARISC', audit: 15, bits: 32, table: 'parisc' },
  { name: 'SCMP_ARCH_PARISC64', audit: (A64 | 15) >>> 0, bits: 64, table: 'parisc64' },
];
export const ARCHS: ReadonlyMap<string, ArchInfo> = new Map(list.map((a) => [a.name, a]));

/** node's process.arch to the SCMP_ARCH_ name of the native arch. */
export function nativeArch(): string {
  const m: Record<string, string> = {
    x64: 'SCMP_ARCH_X86_64', ia32: 'SCMP_ARCH_X86', arm64: 'SCMP_ARCH_AARCH64', arm: 'SCMP_ARCH_ARM',
    riscv64: 'SCMP_ARCH_RISCV64', ppc64: 'SCMP_ARCH_PPC64LE', s390x: 'SCMP_ARCH_S390X', s390: 'SCMP_ARCH_S390',
    mips: 'SCMP_ARCH_MIPS', mipsel: 'SCMP_ARCH_MIPSEL', ppc: 'SCMP_ARCH_PPC',
  };
  return m[process.arch] ?? 'SCMP_ARCH_X86_64';
}

/** Accepts SCMP_ARCH_X86_64, x86_64, amd64, x64 ... and returns the SCMP_ARCH_ name, or undefined. */
export function archName(a: string): string | undefined {
  const up = a.toUpperCase();
  if (ARCHS.has(up)) return up;
  const alias: Record<string, string> = { AMD64: 'X86_64', X64: 'X86_64', I386: 'X86', I686: 'X86', IA32: 'X86', ARM64: 'AARCH64' };
  const n = 'SCMP_ARCH_' + (alias[up] ?? up);
  return ARCHS.has(n) ? n : undefined;
}

export interface SyscallTable {
  byName: Map<string, number>;
  byNumber: Map<number, string>;
}
const loaded = new Map<string, SyscallTable>();

/** Syscall numbers of an arch (x32 numbers include the x32 bit), parsed on first use. */
export function syscallTable(arch: ArchInfo): SyscallTable {
  let t = loaded.get(arch.name);
  if (t) return t;
  const mod = require('./tables/' + arch.table) as { base: number; table: string };
  const parts = mod.table.split(' ');
  t = { byName: new Map(), byNumber: new Map() };
  for (let i = 0; i < parts.length; i += 2) {
    const n = (mod.base + Number(parts[i + 1])) >>> 0;
    t.byName.set(parts[i], n);
    if (!t.byNumber.has(n)) t.byNumber.set(n, parts[i]);
  }
  loaded.set(arch.name, t);
  return t;
}

/**
 * LinuxSeccomp to a classic BPF program.
 *
 * Layout: load arch, dispatch per audit arch (x86_64 and x32 share one value and are split on
 * __X32_SYSCALL_BIT), then per arch an ENOSYS guard for numbers above the highest the profile
 * names, then a binary search over ranges of syscall numbers. A range whose syscall has
 * argument rules ends in a chain of 32-bit half comparisons. The program is built back to
 * front so that every jump target is already placed; jumps farther than 255 get a fresh
 * `ret` or an unconditional `ja` stepping stone.
 */
import { OcirtError } from '../errors';
import { debug } from '../log';
import { ARCHS, ArchInfo, X32_SYSCALL_BIT, archName, nativeArch, syscallTable } from './arch';
import { BPF, Insn, MAX_INSNS, RET, encode } from './bpf';
import type { SeccompArg, SeccompProfile } from './profile';

export const COMPILER_VERSION = '1';
const EPERM = 1, ENOSYS = 38;

export const ACTIONS = [
  'SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_TRAP', 'SCMP_ACT_ERRNO',
  'SCMP_ACT_TRACE', 'SCMP_ACT_ALLOW', 'SCMP_ACT_LOG', 'SCMP_ACT_NOTIFY',
];
export const OPERATORS = ['SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ'];
export const FLAGS: Record<string, number> = {
  SECCOMP_FILTER_FLAG_TSYNC: 1,
  SECCOMP_FILTER_FLAG_LOG: 2,
  SECCOMP_FILTER_FLAG_SPEC_ALLOW: 4,
  SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV: 32,
};
export const FLAG_NEW_LISTENER = 8;
/** SCMP_ARCH_ names libseccomp knows that ocirt has no table for: skipped, not refused. */
const KNOWN_UNSUPPORTED = new Set(['SCMP_ARCH_LOONGARCH64', 'SCMP_ARCH_M68K', 'SCMP_ARCH_SH', 'SCMP_ARCH_SHEB', 'SCMP_ARCH_SPARC', 'SCMP_ARCH_SPARC64']);

export interface CompileOptions {
  /** The arch the program is for (native when absent); the profile's architectures are added. */
  arch?: string;
  /** Where the profile sits in config.json, for error messages. */
  pointer?: string;
}
export interface CompileResult {
  program: Buffer;
  flags: number;
  notify: boolean;
  instructions: number;
  /** Syscall names, "arch:name", the tables did not know (skipped as runc does). */
  skipped: string[];
  /** The arches the program dispatches on, SCMP_ARCH_ names. */
  archs: string[];
}

type Cmp = { index: number; op: string; value: bigint; valueTwo: bigint };
interface Rule { id: number; conds: Cmp[]; ret: number }

function u64(v: unknown, where: string): bigint {
  if (typeof v === 'bigint') return BigInt.asUintN(64, v);
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt.asUintN(64, BigInt(v));
  if (v === undefined || v === null) return 0n;
  throw new OcirtError(`${where}: seccomp argument value ${JSON.stringify(v)} is not an integer`, { pointer: where });
}

function errnoOf(v: unknown, where: string): number {
  if (v === undefined || v === null) return EPERM;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffff) {
    throw new OcirtError(`${where}: bad errnoRet ${JSON.stringify(v)}: must be an integer from 0 to 65535`, { pointer: where });
  }
  return v;
}

function actionRet(action: unknown, errno: number, where: string): number {
  switch (action) {
    case 'SCMP_ACT_KILL':
    case 'SCMP_ACT_KILL_THREAD': return RET.KILL_THREAD;
    case 'SCMP_ACT_KILL_PROCESS': return RET.KILL_PROCESS;
    case 'SCMP_ACT_TRAP': return RET.TRAP;
    case 'SCMP_ACT_ERRNO': return (RET.ERRNO | errno) >>> 0;
    case 'SCMP_ACT_TRACE': return (RET.TRACE | errno) >>> 0;
    case 'SCMP_ACT_ALLOW': return RET.ALLOW;
    case 'SCMP_ACT_LOG': return RET.LOG;
    case 'SCMP_ACT_NOTIFY': return RET.USER_NOTIF;
  }
  throw new OcirtError(`${where}: unknown seccomp action ${JSON.stringify(action)}`, { pointer: where });
}

/** Back-to-front assembler. A label is the count of instructions from it to the end. */
class Rev {
  private code: Insn[] = [];
  private retAt = new Map<number, number>();
  private isRet = new Map<number, number>();
  get pos(): number { return this.code.length; }
  private put(x: Insn): number {
    this.code.push(x);
    return this.code.length;
  }
  ret(v: number): number {
    const l = this.retAt.get(v);
    if (l !== undefined) return l;
    return this.freshRet(v);
  }
  private freshRet(v: number): number {
    const l = this.put({ code: BPF.RET_K, jt: 0, jf: 0, k: v });
    this.retAt.set(v, l);
    this.isRet.set(l, v);
    return l;
  }
  /** Makes the next instruction placed fall through into `next`. */
  private at(next: number): void {
    if (next !== this.pos) this.near(next);
  }
  ld(off: number, next: number): number {
    this.at(next);
    return this.put({ code: BPF.LD_W_ABS, jt: 0, jf: 0, k: off });
  }
  and(k: number, next: number): number {
    this.at(next);
    return this.put({ code: BPF.AND_K, jt: 0, jf: 0, k: k >>> 0 });
  }
  /** Offset from a new instruction to label t. */
  private off(t: number): number { return this.pos - t; }
  private near(t: number): number {
    const r = this.isRet.get(t);
    if (r !== undefined) return this.freshRet(r);
    if (this.pos - t === 0) return t;
    return this.put({ code: BPF.JA, jt: 0, jf: 0, k: this.off(t) });
  }
  jump(code: number, k: number, t: number, f: number): number {
    for (;;) {
      if (this.off(t) > 255) t = this.near(t);
      else if (this.off(f) > 255) f = this.near(f);
      else break;
    }
    if (t === f) return t;
    return this.put({ code, jt: this.off(t), jf: this.off(f), k: k >>> 0 });
  }
  finish(): Insn[] { return this.code.slice().reverse(); }
}

interface ArchPlan { arch: ArchInfo; rules: Map<number, Rule[]>; max: number }

export function compile(seccomp: SeccompProfile, opts: CompileOptions = {}): CompileResult {
  const P = opts.pointer ?? '/linux/seccomp';
  if (!seccomp || typeof seccomp !== 'object') throw new OcirtError(`${P}: seccomp profile must be an object`, { pointer: P });
  const native = opts.arch === undefined ? nativeArch() : archName(opts.arch);
  if (!native) throw new OcirtError(`unknown architecture "${opts.arch}"`);

  const archNames: string[] = [native];
  (seccomp.architectures ?? []).forEach((a, i) => {
    const where = `${P}/architectures/${i}`;
    const n = typeof a === 'string' ? a : '';
    if (ARCHS.has(n)) { if (!archNames.includes(n)) archNames.push(n); }
    else if (KNOWN_UNSUPPORTED.has(n)) debug(`seccomp: skipping architecture ${n}: no syscall table`);
    else throw new OcirtError(`${where}: unknown seccomp architecture ${JSON.stringify(a)}`, { pointer: where });
  });

  let flags = 0;
  (seccomp.flags ?? []).forEach((f, i) => {
    const where = `${P}/flags/${i}`;
    const v = FLAGS[f as string];
    if (v === undefined) throw new OcirtError(`${where}: unknown seccomp flag ${JSON.stringify(f)}`, { pointer: where });
    flags |= v;
  });

  const defRet = actionRet(seccomp.defaultAction, errnoOf(seccomp.defaultErrnoRet, `${P}/defaultErrnoRet`), `${P}/defaultAction`);
  let notify = defRet === RET.USER_NOTIF;

  // Parse rules once; resolve names per arch afterwards.
  const parsed: { names: string[]; rule: Rule; useless: boolean }[] = [];
  (seccomp.syscalls ?? []).forEach((s, i) => {
    const where = `${P}/syscalls/${i}`;
    const ret = actionRet(s.action, errnoOf(s.errnoRet, `${where}/errnoRet`), `${where}/action`);
    if (ret === RET.USER_NOTIF) notify = true;
    const conds: Cmp[] = [];
    (s.args ?? []).forEach((a: SeccompArg, j) => {
      const aw = `${where}/args/${j}`;
      if (!OPERATORS.includes(a.op)) throw new OcirtError(`${aw}/op: unknown seccomp operator ${JSON.stringify(a.op)}`, { pointer: `${aw}/op` });
      if (!Number.isInteger(a.index) || a.index < 0 || a.index > 5) throw new OcirtError(`${aw}/index: seccomp argument index ${JSON.stringify(a.index)} is not 0 to 5`, { pointer: `${aw}/index` });
      conds.push({ index: a.index, op: a.op, value: u64(a.value, `${aw}/value`), valueTwo: u64(a.valueTwo, `${aw}/valueTwo`) });
    });
    // A rule whose action is the default changes nothing; libseccomp refuses it and runc drops it.
    parsed.push({ names: Array.isArray(s.names) ? s.names : [], rule: { id: i, conds, ret }, useless: ret === defRet });
  });
  if (notify) flags |= FLAG_NEW_LISTENER;

  const skipped: string[] = [];
  const plans: ArchPlan[] = archNames.map((n) => {
    const arch = ARCHS.get(n)!;
    const table = syscallTable(arch);
    const rules = new Map<number, Rule[]>();
    let max = -1;
    for (const p of parsed) {
      for (const name of p.names) {
        const nr = table.byName.get(name);
        if (nr === undefined) {
          skipped.push(`${n}:${name}`);
          continue;
        }
        if (nr > max) max = nr;
        if (p.useless) continue;
        let l = rules.get(nr);
        if (!l) rules.set(nr, (l = []));
        l.push(p.rule);
      }
    }
    return { arch, rules, max };
  });
  if (skipped.length) debug(`seccomp: skipping syscalls unknown to their arch: ${skipped.join(', ')}`);

  const enosys = defRet !== RET.ALLOW && defRet !== RET.LOG && defRet !== ((RET.ERRNO | ENOSYS) >>> 0);
  const asm = new Rev();
  const badArch = asm.ret(RET.KILL_THREAD);

  const body = (plan: ArchPlan): number => {
    const base = plan.arch.name === 'SCMP_ARCH_X32' ? X32_SYSCALL_BIT : 0;
    const tree = emitTree(asm, plan, defRet, base);
    if (!enosys || plan.max < 0) return tree;
    return asm.jump(BPF.JGT_K, plan.max, asm.ret((RET.ERRNO | ENOSYS) >>> 0), tree);
  };

  // Group arches by audit value (x86_64 and x32 share one), in first-seen order.
  const groups: { audit: number; plans: ArchPlan[] }[] = [];
  for (const p of plans) {
    const g = groups.find((x) => x.audit === p.arch.audit);
    if (g) g.plans.push(p);
    else groups.push({ audit: p.arch.audit, plans: [p] });
  }
  const entries: number[] = [];
  for (let gi = groups.length - 1; gi >= 0; gi--) {
    const g = groups[gi];
    const x32 = g.plans.find((p) => p.arch.name === 'SCMP_ARCH_X32');
    const other = g.plans.find((p) => p.arch.name !== 'SCMP_ARCH_X32');
    let entry: number;
    if (g.audit === ARCHS.get('SCMP_ARCH_X86_64')!.audit) {
      const hi = x32 ? body(x32) : badArch;
      const lo = other ? body(other) : badArch;
      entry = asm.jump(BPF.JGE_K, X32_SYSCALL_BIT, hi, lo);
    } else entry = body(other!);
    entries[gi] = asm.ld(0, entry);
  }
  // Dispatch chain: the first group's test comes first.
  let next = badArch;
  for (let gi = groups.length - 1; gi >= 0; gi--) next = asm.jump(BPF.JEQ_K, groups[gi].audit, entries[gi], next);
  asm.ld(4, next);

  const insns = asm.finish();
  if (insns.length > MAX_INSNS) {
    throw new OcirtError(`${P}/syscalls: seccomp program would be ${insns.length} instructions, more than the kernel's limit of ${MAX_INSNS}`, { pointer: `${P}/syscalls` });
  }
  return { program: encode(insns), flags, notify, instructions: insns.length, skipped, archs: archNames };
}

/** Ranges [lo, next.lo) of syscall numbers with one outcome: a plain ret or a syscall's rules. */
interface Seg { lo: number; ret?: number; rules?: Rule[] }

function emitTree(asm: Rev, plan: ArchPlan, defRet: number, base: number): number {
  const nrs = [...plan.rules.keys()].sort((a, b) => a - b);
  const segs: Seg[] = [];
  const add = (s: Seg) => {
    let last = segs[segs.length - 1];
    if (last && last.lo === s.lo) {
      segs.pop();
      last = segs[segs.length - 1];
    }
    if (last && last.ret !== undefined && s.ret !== undefined && last.ret === s.ret) return;
    segs.push(s);
  };
  add({ lo: base, ret: defRet });
  for (const nr of nrs) {
    const rules = plan.rules.get(nr)!;
    const first = rules[0];
    if (first.conds.length === 0) add({ lo: nr, ret: first.ret });
    else add({ lo: nr, rules });
    add({ lo: nr + 1, ret: defRet });
  }
  if (segs[0].lo > base) segs.unshift({ lo: base, ret: defRet });
  const le = (plan.arch.audit & 0x40000000) !== 0;
  const wide = plan.arch.bits === 64;

  // Syscalls named together share their rules, so they share one chain.
  const chains = new Map<string, number>();
  const leaf = (s: Seg): number => {
    if (s.ret !== undefined) return asm.ret(s.ret);
    const key = s.rules!.map((r) => r.id).join(',');
    const done = chains.get(key);
    if (done !== undefined) return done;
    const entry = chain(s.rules!);
    chains.set(key, entry);
    return entry;
  };
  const chain = (rules: Rule[]): number => {
    let entry = asm.ret(defRet);
    // Rules are tried in profile order; an unconditional one ends the chain.
    let cut = rules.findIndex((r) => r.conds.length === 0);
    if (cut < 0) cut = rules.length;
    else entry = asm.ret(rules[cut].ret);
    for (let i = cut - 1; i >= 0; i--) {
      const r = rules[i];
      let ok = asm.ret(r.ret);
      for (let j = r.conds.length - 1; j >= 0; j--) ok = emitCmp(asm, r.conds[j], ok, entry, le, wide);
      entry = ok;
    }
    return entry;
  };
  const node = (a: number, b: number): number => {
    if (a === b) return leaf(segs[a]);
    const mid = (a + b + 1) >> 1;
    const r = node(mid, b);
    const l = node(a, mid - 1);
    return asm.jump(BPF.JGE_K, segs[mid].lo, r, l);
  };
  return node(0, segs.length - 1);
}

/** One comparison on a 64-bit argument as 32-bit halves (only the low half on 32-bit arches). */
function emitCmp(asm: Rev, c: Cmp, succ: number, fail: number, le: boolean, wide: boolean): number {
  const base = 16 + 8 * c.index;
  const loOff = le ? base : base + 4, hiOff = le ? base + 4 : base;
  const lo = (v: bigint) => Number(v & 0xffffffffn), hi = (v: bigint) => Number((v >> 32n) & 0xffffffffn);
  const v = c.value;
  switch (c.op) {
    case 'SCMP_CMP_EQ':
    case 'SCMP_CMP_NE': {
      const [s, f] = c.op === 'SCMP_CMP_EQ' ? [succ, fail] : [fail, succ];
      const l = asm.ld(loOff, asm.jump(BPF.JEQ_K, lo(v), s, f));
      if (!wide) return l;
      return asm.ld(hiOff, asm.jump(BPF.JEQ_K, hi(v), l, c.op === 'SCMP_CMP_EQ' ? fail : succ));
    }
    case 'SCMP_CMP_GT':
    case 'SCMP_CMP_GE':
    case 'SCMP_CMP_LT':
    case 'SCMP_CMP_LE': {
      // LT is not GE and LE is not GT: swap the outcomes.
      const strict = c.op === 'SCMP_CMP_GT' || c.op === 'SCMP_CMP_LE';
      const [s, f] = c.op === 'SCMP_CMP_GT' || c.op === 'SCMP_CMP_GE' ? [succ, fail] : [fail, succ];
      const l = asm.ld(loOff, asm.jump(strict ? BPF.JGT_K : BPF.JGE_K, lo(v), s, f));
      if (!wide) return l;
      const eq = asm.jump(BPF.JEQ_K, hi(v), l, f);
      return asm.ld(hiOff, asm.jump(BPF.JGT_K, hi(v), s, eq));
    }
    case 'SCMP_CMP_MASKED_EQ': {
      // libseccomp compares against datum & mask, so bits outside the mask never matter.
      const m = c.value, d = c.valueTwo & c.value;
      const l = asm.ld(loOff, asm.and(lo(m), asm.jump(BPF.JEQ_K, lo(d), succ, fail)));
      if (!wide) return l;
      return asm.ld(hiOff, asm.and(hi(m), asm.jump(BPF.JEQ_K, hi(d), l, fail)));
    }
  }
  throw new OcirtError(`unknown seccomp operator "${c.op}"`);
}

/**
 * The seccomp compiler, LinuxSeccomp to a classic BPF program, and its public face: compile,
 * compileFromCache, disassemble, explain, and the features the runtime reports. Loading the
 * program is the addon's job.
 *
 * Layout: load arch, dispatch per audit arch (x86_64 and x32 share one value and are split on
 * __X32_SYSCALL_BIT), then per arch an ENOSYS guard for numbers above the highest the profile
 * names, then a binary search over ranges of syscall numbers. A range whose syscall has
 * argument rules ends in a chain of 32-bit half comparisons. The program is built back to
 * front so that every jump target is already placed; jumps farther than 255 get a fresh
 * `ret` or an unconditional `ja` stepping stone.
 *
 * Cold start. Every ocirt command is a fresh process, so a cache miss costs loading this module
 * and running it once, in V8's interpreter, and on a slow machine parsing and compiling the code
 * costs as much as running it. Hence: the compile path is this module and ./arch only (errors,
 * log, bpf, inspect, features, node:crypto never load for it; bpf's opcodes are const enums that
 * tsc inlines); error messages are built apart (refuse), so compile() only tests; few functions;
 * names resolved once per profile, not per arch; each arch's syscalls walked once in number
 * order, so nothing is sorted; no BigInt unless a value needs it; and the cache keyed by a small
 * hash whose key is stored in the file and compared on a hit, since loading node:crypto alone
 * costs more than a compile.
 */
import { ARCHS, ArchInfo, SYSCALL_NAMES, X32_SYSCALL_BIT, archName, archTable, nativeArch, syscallNames } from './arch';
import { Op, Ret } from './bpf'; // const enums only: no require() is emitted
import type { SeccompProfile, SeccompSyscall } from './profile';

export type { SeccompProfile, SeccompSyscall, SeccompArg } from './profile';

export const COMPILER_VERSION = '2';
const ENOSYS_RET = (Ret.ERRNO | 38) >>> 0;
const MAX_INSNS = 4096;

export const ACTIONS = [
  'SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_TRAP', 'SCMP_ACT_ERRNO',
  'SCMP_ACT_TRACE', 'SCMP_ACT_ALLOW', 'SCMP_ACT_LOG', 'SCMP_ACT_NOTIFY',
];
export const OPERATORS = ['SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ'];
const enum Cmp { NE, LT, LE, EQ, GE, GT, MASKED_EQ } // OPERATORS' indexes

const TSYNC = 1, WAIT_KILLABLE_RECV = 32;
export const FLAGS: Record<string, number> = {
  SECCOMP_FILTER_FLAG_TSYNC: TSYNC,
  SECCOMP_FILTER_FLAG_LOG: 2,
  SECCOMP_FILTER_FLAG_SPEC_ALLOW: 4,
  SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV: WAIT_KILLABLE_RECV,
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
  /** seccomp(2) flags: the profile's where the kernel takes them (see compile), and NEW_LISTENER for NOTIFY. */
  flags: number;
  notify: boolean;
  instructions: number;
  /** Syscall names, "arch:name", the tables did not know (skipped as runc does). */
  skipped: string[];
  /** The arches the program dispatches on, SCMP_ARCH_ names. */
  archs: string[];
}

/** The seccomp return value of an action, or -1 when the action or the errno is not valid. */
function actionRet(action: unknown, errno: unknown): number {
  if (errno === undefined || errno === null) errno = 1;
  else if (typeof errno !== 'number' || !Number.isInteger(errno) || errno < 0 || errno > 0xffff) return -1;
  switch (action) {
    case 'SCMP_ACT_KILL':
    case 'SCMP_ACT_KILL_THREAD': return Ret.KILL_THREAD;
    case 'SCMP_ACT_KILL_PROCESS': return Ret.KILL_PROCESS;
    case 'SCMP_ACT_TRAP': return Ret.TRAP;
    case 'SCMP_ACT_ERRNO': return (Ret.ERRNO | (errno as number)) >>> 0;
    case 'SCMP_ACT_TRACE': return (Ret.TRACE | (errno as number)) >>> 0;
    case 'SCMP_ACT_ALLOW': return Ret.ALLOW;
    case 'SCMP_ACT_LOG': return Ret.LOG;
    case 'SCMP_ACT_NOTIFY': return Ret.USER_NOTIF;
  }
  return -1;
}

/**
 * A u64 argument value as 32-bit halves [lo, hi] (BigInt only when a number will not do), or
 * undefined when it is no integer from 0 to 2^64 - 1 (runc reads it into a Go uint64, which
 * takes nothing else; wrapping it would compare against another value than the one written).
 */
function u64(v: unknown): [number, number] | undefined {
  if (typeof v === 'number' && v >= 0 && v <= Number.MAX_SAFE_INTEGER && Number.isInteger(v)) {
    const hi = Math.floor(v / 4294967296);
    return [v - hi * 4294967296, hi];
  }
  if (v === undefined || v === null) return [0, 0];
  // A double above 2^53 stands for a range of integers: only a bigint says which one.
  if (typeof v !== 'bigint' || v < 0n || v > 0xffffffffffffffffn) return undefined;
  return [Number(v & 0xffffffffn), Number(v >> 32n)];
}

/**
 * Why compile() refused a profile: the first problem in reading order, thrown as an OcirtError
 * with its pointer (or, with `count`, the program's length). Apart from compile(), which only
 * tests, because it runs only on the way to an error.
 */
function refuse(seccomp: SeccompProfile, opts: CompileOptions, count?: number): never {
  const { OcirtError } = require('../errors') as typeof import('../errors');
  const P = opts.pointer ?? '/linux/seccomp';
  const no = (message: string, pointer?: string): never => {
    throw new OcirtError(message, pointer === undefined ? {} : { pointer });
  };
  if (count !== undefined) no(`${P}/syscalls: seccomp program would be ${count} instructions, more than the kernel's limit of ${MAX_INSNS}`, `${P}/syscalls`);
  if (!seccomp || typeof seccomp !== 'object') no(`${P}: seccomp profile must be an object`, P);
  if (opts.arch !== undefined && !archName(opts.arch)) no(`unknown architecture "${opts.arch}"`);
  (seccomp.architectures ?? []).forEach((a, i) => {
    const w = `${P}/architectures/${i}`;
    if (!ARCHS.has(a) && !KNOWN_UNSUPPORTED.has(a)) no(`${w}: unknown seccomp architecture ${JSON.stringify(a)}`, w);
  });
  (seccomp.flags ?? []).forEach((f, i) => {
    if (typeof FLAGS[f] !== 'number') no(`${P}/flags/${i}: unknown seccomp flag ${JSON.stringify(f)}`, `${P}/flags/${i}`);
  });
  const action = (action: unknown, errno: unknown, where: string, errnoWhere: string) => {
    if (actionRet('SCMP_ACT_ALLOW', errno) < 0) no(`${errnoWhere}: bad errnoRet ${JSON.stringify(errno)}: must be an integer from 0 to 65535`, errnoWhere);
    if (actionRet(action, errno) < 0) no(`${where}: unknown seccomp action ${JSON.stringify(action)}`, where);
  };
  action(seccomp.defaultAction, seccomp.defaultErrnoRet, `${P}/defaultAction`, `${P}/defaultErrnoRet`);
  (seccomp.syscalls ?? []).forEach((s, i) => {
    const w = `${P}/syscalls/${i}`;
    action(s.action, s.errnoRet, `${w}/action`, `${w}/errnoRet`);
    // The runtime and the agent write to the container's stdio and logs: a notified write
    // could wait on an agent that waits on that write (runc refuses it with these words).
    if (actionRet(s.action, s.errnoRet) === Ret.USER_NOTIF && Array.isArray(s.names)) {
      const j = s.names.indexOf('write');
      if (j >= 0) no(`${w}/names/${j}: SCMP_ACT_NOTIFY cannot be used for the write syscall`, `${w}/names/${j}`);
    }
    (s.args ?? []).forEach((a, j) => {
      const aw = `${w}/args/${j}`;
      if (!OPERATORS.includes(a.op)) no(`${aw}/op: unknown seccomp operator ${JSON.stringify(a.op)}`, `${aw}/op`);
      if (!Number.isInteger(a.index) || a.index < 0 || a.index > 5) no(`${aw}/index: seccomp argument index ${JSON.stringify(a.index)} is not 0 to 5`, `${aw}/index`);
      const range = (v: unknown, k: string) => {
        if (!u64(v)) no(`${aw}/${k}: seccomp argument value ${typeof v === 'bigint' ? v : JSON.stringify(v)} is not an integer from 0 to 18446744073709551615`, `${aw}/${k}`);
      };
      range(a.value, 'value');
      range(a.valueTwo, 'valueTwo');
    });
  });
  throw new Error('seccomp: compile() refused a profile refuse() finds nothing wrong with');
}

/**
 * log.ts's debug(), when log.ts is loaded. Debug output is off until configureLog() turns it on,
 * so when nothing has loaded log.ts there is nothing to write, and no reason to load it here.
 */
function debug(message: () => string): void {
  const log = require.cache[__dirname.slice(0, __dirname.lastIndexOf('/')) + '/log.js']?.exports as typeof import('../log') | undefined;
  if (log) log.debug(message());
}

/** One argument comparison: the value (for MASKED_EQ the mask) and the datum, in 32-bit halves. */
interface Arg { index: number; op: Cmp; lo: number; hi: number; dlo: number; dhi: number }

/** The profile's rules by index, parsed once for all arches (see parseRules). */
interface Rules {
  ret: number[];
  args: Arg[][];
  defRet: number;
  /** By name index, all rules (not the default action) of names whose first such rule has arguments. */
  lists: Map<number, number[]>;
  /** Some rule is SCMP_ACT_NOTIFY. */
  notify: boolean;
  /** By name index: the first rule not the default action, plus one; named by any rule. */
  first: Int32Array;
  named: Uint8Array;
  syscalls: SeccompSyscall[];
  /** The name index of every name of every rule, in order (-1: no arch has it). */
  index: Int32Array;
}

/**
 * One arch's ranges [lo[i], lo[i + 1]) of syscall numbers with one outcome: ret[i], or when that
 * is -1 the rules of the syscall with name index who[i]; and the highest number the profile names.
 */
interface Ranges { arch: ArchInfo; lo: number[]; ret: number[]; who: number[]; max: number }

/** struct sock_filter's first word (code, jt, jf) as a u32 in this host's byte order. */
const LE_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Back-to-front assembler. A label is the count of instructions from it to the end. The program
 * is written where it ends up, from the end of a buffer backwards, as struct sock_filter in the
 * host's byte order (what seccomp(2) reads); longer programs are only counted (and refused).
 */
class Rev {
  n = 0;
  private w = new Uint32Array(2 * MAX_INSNS);
  /** By label, the value of the `ret` placed there. */
  private isRet: number[] = [];
  private retAt = new Map<number, number>();
  private put(code: number, jt: number, jf: number, k: number): number {
    const i = 2 * (MAX_INSNS - 1 - this.n);
    if (i >= 0) {
      this.w[i] = LE_HOST ? code | (jt << 16) | (jf << 24) : (code << 16) | (jt << 8) | jf;
      this.w[i + 1] = k;
    }
    return ++this.n;
  }
  /** A `ret v`: the one placed last, or a new one. */
  ret(v: number, fresh = false): number {
    const l = fresh ? undefined : this.retAt.get(v);
    if (l !== undefined) return l;
    const m = this.put(Op.RET_K, 0, 0, v);
    this.retAt.set(v, m);
    this.isRet[m] = v;
    return m;
  }
  /** `ld` or `and` (code), falling through to next. */
  op(code: number, k: number, next: number): number {
    if (next !== this.n) this.near(next);
    return this.put(code, 0, 0, k);
  }
  /** A label the next instruction can reach: t itself, a copy of its `ret`, or a `ja` to it. */
  private near(t: number): number {
    const r = this.isRet[t];
    if (r !== undefined) return this.ret(r, true);
    if (this.n === t) return t;
    return this.put(Op.JA, 0, 0, this.n - t);
  }
  jump(code: number, k: number, t: number, f: number): number {
    for (;;) {
      if (this.n - t > 255) t = this.near(t);
      else if (this.n - f > 255) f = this.near(f);
      else break;
    }
    if (t === f) return t;
    return this.put(code, this.n - t, this.n - f, k);
  }
  /** The program, first instruction first (at most MAX_INSNS of them). */
  program(): Buffer {
    return Buffer.from(this.w.buffer, 8 * (MAX_INSNS - this.n), 8 * this.n);
  }
}

// The bigger functions every compile runs are in parentheses: V8 then compiles them with the
// module, instead of preparsing them there and parsing them again on the first call.

export const compile = (function compile(seccomp: SeccompProfile, opts: CompileOptions = {}): CompileResult {
  const native = opts.arch === undefined ? nativeArch() : archName(opts.arch);
  if (!seccomp || typeof seccomp !== 'object' || !native) refuse(seccomp, opts);
  const archNames: string[] = [native];
  for (const a of seccomp.architectures ?? []) {
    if (ARCHS.has(a)) {
      if (!archNames.includes(a)) archNames.push(a);
    } else if (KNOWN_UNSUPPORTED.has(a)) debug(() => `seccomp: skipping architecture ${a}: no syscall table`);
    else refuse(seccomp, opts);
  }
  let flags = 0;
  for (const f of seccomp.flags ?? []) {
    const v = FLAGS[f];
    if (typeof v !== 'number') refuse(seccomp, opts);
    flags |= v;
  }
  const defRet = actionRet(seccomp.defaultAction, seccomp.defaultErrnoRet);
  if (defRet < 0) refuse(seccomp, opts);

  const rules = parseRules(seccomp, opts, defRet);
  const notify = defRet === Ret.USER_NOTIF || rules.notify;
  if (notify) {
    flags |= FLAG_NEW_LISTENER;
    // The kernel refuses TSYNC with a listener (unless with TSYNC_ESRCH, 5.7); the container's
    // init is single-threaded when it loads the filter, so TSYNC has nothing to do (runc drops it).
    flags &= ~TSYNC;
  } else {
    // Only meaningful with a listener and refused without one (EINVAL); libseccomp drops it too.
    flags &= ~WAIT_KILLABLE_RECV;
  }
  const skipped: string[] = [];
  const plans: Ranges[] = [];
  for (const an of archNames) plans.push(archRanges(ARCHS.get(an)!, rules, skipped));
  if (skipped.length) {
    // A rule split by splitSameArgument names its syscalls once per part.
    const once = [...new Set(skipped)];
    skipped.length = 0;
    skipped.push(...once);
    debug(() => `seccomp: skipping syscalls unknown to their arch: ${skipped.join(', ')}`);
  }

  const enosys = defRet !== Ret.ALLOW && defRet !== Ret.LOG && defRet !== ENOSYS_RET;
  const asm = new Rev();
  const badArch = asm.ret(Ret.KILL_THREAD);
  // Group arches by audit value (x86_64 and x32 share one), in first-seen order.
  const audits: number[] = [], groups: Ranges[][] = [];
  for (const p of plans) {
    const g = audits.indexOf(p.arch.audit);
    if (g >= 0) groups[g].push(p);
    else {
      audits.push(p.arch.audit);
      groups.push([p]);
    }
  }
  const entries: number[] = [];
  for (let g = audits.length - 1; g >= 0; g--) {
    let x32: Ranges | undefined, other: Ranges | undefined;
    for (const p of groups[g]) {
      if (p.arch.name === 'SCMP_ARCH_X32') x32 ??= p;
      else other ??= p;
    }
    let entry: number;
    if (x32) {
      const hi = emitArch(asm, x32, rules, enosys);
      const lo = other ? emitArch(asm, other, rules, enosys) : badArch;
      entry = asm.jump(Op.JGE_K, X32_SYSCALL_BIT, hi, lo);
    } else if (audits[g] === X86_64_AUDIT) entry = asm.jump(Op.JGE_K, X32_SYSCALL_BIT, badArch, emitArch(asm, other!, rules, enosys));
    else entry = emitArch(asm, other!, rules, enosys);
    entries[g] = asm.op(Op.LD_W_ABS, 0, entry);
  }
  // Dispatch chain: the first group's test comes first.
  let next = badArch;
  for (let g = audits.length - 1; g >= 0; g--) next = asm.jump(Op.JEQ_K, audits[g], entries[g], next);
  asm.op(Op.LD_W_ABS, 4, next);

  if (asm.n > MAX_INSNS) refuse(seccomp, opts, asm.n);
  return { program: asm.program(), flags, notify, instructions: asm.n, skipped, archs: archNames };
});

/**
 * The rules, once for all arches. Per name index: named at all (for the ENOSYS guard), and its
 * first rule that is not the default action, plus one (and, when that rule has arguments, all of
 * them in lists). Loops run in functions of their own, as small as may be: V8 runs a function
 * without feedback (slowly) until it has run some multiple of its size, and compiles one that
 * loops a lot to baseline code, both cheaper the smaller it is.
 */
const parseRules = (function parseRules(seccomp: SeccompProfile, opts: CompileOptions, defRet: number): Rules {
  const syscalls = splitSameArgument(seccomp.syscalls ?? []);
  let total = 0;
  for (const s of syscalls) if (Array.isArray(s.names)) total += s.names.length;
  const rules: Rules = {
    ret: [], args: [], defRet, lists: new Map(), notify: false, syscalls,
    first: new Int32Array(SYSCALL_NAMES), named: new Uint8Array(SYSCALL_NAMES), index: new Int32Array(total),
  };
  const byName = syscallNames();
  for (let i = 0, o = 0; i < syscalls.length; i++) {
    const s = syscalls[i];
    const ret = actionRet(s.action, s.errnoRet);
    if (ret < 0) refuse(seccomp, opts);
    if (ret === Ret.USER_NOTIF) {
      rules.notify = true;
      if (Array.isArray(s.names) && s.names.includes('write')) refuse(seccomp, opts);
    }
    const args: Arg[] = [];
    for (const a of s.args ?? []) {
      const op = OPERATORS.indexOf(a.op), v = u64(a.value), w = u64(a.valueTwo);
      if (op < 0 || !(a.index >= 0 && a.index <= 5 && Number.isInteger(a.index)) || !v || !w) refuse(seccomp, opts);
      // libseccomp compares against datum & mask, so bits outside the mask never matter.
      args.push({ index: a.index, op, lo: v[0], hi: v[1], dlo: (w[0] & v[0]) >>> 0, dhi: (w[1] & v[1]) >>> 0 });
    }
    rules.ret.push(ret);
    rules.args.push(args);
    // A rule whose action is the default changes nothing; libseccomp refuses it and runc drops it.
    if (Array.isArray(s.names)) o = ruleNames(rules, byName, s.names, i, ret === defRet, args.length !== 0, o);
  }
  return rules;
});

/**
 * runc's reading of a rule with two or more conditions on one argument (arg0 == 100 and
 * arg0 == 200 can never both hold): every condition of that rule becomes a rule of its own, so
 * the conditions are ORed; profiles are written for that. Other rules keep their conditions
 * ANDed. The list is copied only when some rule needs it.
 */
function splitSameArgument(syscalls: SeccompSyscall[]): SeccompSyscall[] {
  let out: SeccompSyscall[] | undefined;
  for (let i = 0; i < syscalls.length; i++) {
    const s = syscalls[i];
    const args = s.args;
    let split = false;
    if (args && args.length > 1) {
      let seen = 0;
      for (const a of args) {
        const bit = 1 << (a?.index & 7);
        if (seen & bit) split = true;
        seen |= bit;
      }
    }
    if (split && !out) out = syscalls.slice(0, i);
    if (!out) continue;
    if (split) for (const a of args!) out.push({ ...s, args: [a] });
    else out.push(s);
  }
  return out ?? syscalls;
}

/** parseRules' loop over the names of rule i (loops run faster cold in small functions). */
const ruleNames = (function ruleNames(rules: Rules, byName: ReadonlyMap<string, number>, names: string[], i: number, useless: boolean, args: boolean, o: number): number {
  const { first, named, index } = rules;
  for (let j = 0; j < names.length; j++) {
    const ix = byName.get(names[j]) ?? -1;
    index[o++] = ix;
    if (ix < 0) continue;
    named[ix] = 1;
    if (useless) continue;
    if (first[ix] === 0) {
      first[ix] = i + 1;
      if (args) rules.lists.set(ix, [i]);
    } else rules.lists.get(ix)?.push(i);
  }
  return o;
});

/**
 * One arch's ranges, from its syscalls in the order of their numbers: the default from the
 * arch's first number, each syscall with a rule a range of its own followed by the default
 * again, where equal plain outcomes merge. Adds the profile's names the arch lacks to skipped.
 */
const archRanges = (function archRanges(arch: ArchInfo, rules: Rules, skipped: string[]): Ranges {
  const { base, calls } = archTable(arch);
  const { first, named, defRet } = rules;
  const present = new Uint8Array(SYSCALL_NAMES);
  const lo = [arch.name === 'SCMP_ARCH_X32' ? X32_SYSCALL_BIT : 0], ret = [defRet], who = [-1];
  let n = 1, max = -1, v = base - 1;
  for (let k = 0; k < calls.length; k += 3) {
    // As archCalls() decodes them: name index, step (or 31 and the number - base).
    const ix = (calls.charCodeAt(k) - 48) * 32 + calls.charCodeAt(k + 1) - 48;
    const step = calls.charCodeAt(k + 2) - 48;
    if (step < 31) v += step + 1;
    else {
      v = base + (((calls.charCodeAt(k + 3) - 48) * 32 + calls.charCodeAt(k + 4) - 48) * 32 + calls.charCodeAt(k + 5) - 48) * 32 + calls.charCodeAt(k + 6) - 48;
      k += 4;
    }
    present[ix] = 1;
    if (named[ix] === 0) continue;
    max = v;
    if (first[ix] === 0) continue;
    const r = first[ix] - 1;
    if (lo[n - 1] === v) n--; // the default range after the previous number, or the first one
    if (rules.args[r].length !== 0) {
      lo[n] = v;
      ret[n] = -1;
      who[n++] = ix;
    } else if (n === 0 || ret[n - 1] !== rules.ret[r]) {
      lo[n] = v;
      ret[n] = rules.ret[r];
      who[n++] = -1;
    }
    lo[n] = v + 1;
    ret[n] = defRet;
    who[n++] = -1;
  }
  lo.length = ret.length = who.length = n;
  unknownTo(arch, rules, present, skipped);
  return { arch, lo, ret, who, max };
});

/** Adds the profile's names that `arch` lacks (present: by name index) to skipped, "arch:name". */
const unknownTo = (function unknownTo(arch: ArchInfo, rules: Rules, present: Uint8Array, skipped: string[]): void {
  const { index, syscalls } = rules;
  for (let i = 0, o = 0; i < syscalls.length; i++) {
    const names = Array.isArray(syscalls[i].names) ? syscalls[i].names : [];
    for (let j = 0; j < names.length; j++, o++) if (index[o] < 0 || present[index[o]] === 0) skipped.push(`${arch.name}:${names[j]}`);
  }
});

const X86_64_AUDIT = ARCHS.get('SCMP_ARCH_X86_64')!.audit;

/**
 * One arch: the ENOSYS guard (when the default is restrictive) and the search tree over its
 * ranges, where a range with rules ends in their chain.
 */
const emitArch = (function emitArch(asm: Rev, plan: Ranges, rules: Rules, enosys: boolean): number {
  const { lo, ret, who } = plan;
  const defRet = rules.defRet;
  const le = (plan.arch.audit & 0x40000000) !== 0;
  const wide = plan.arch.bits === 64;

  // Syscalls named together share their rules, so they share one chain. Rules are tried in
  // profile order; an unconditional one ends the chain.
  const chains = new Map<string, number>();
  const leaf = (s: number): number => {
    if (ret[s] >= 0) return asm.ret(ret[s]);
    const list = rules.lists.get(who[s])!;
    const key = list.join(',');
    let entry = chains.get(key);
    if (entry !== undefined) return entry;
    entry = asm.ret(defRet);
    let cut = 0;
    while (cut < list.length && rules.args[list[cut]].length !== 0) cut++;
    if (cut < list.length) entry = asm.ret(rules.ret[list[cut]]);
    for (let i = cut - 1; i >= 0; i--) {
      const args = rules.args[list[i]];
      let ok = asm.ret(rules.ret[list[i]]);
      for (let j = args.length - 1; j >= 0; j--) ok = emitCmp(asm, args[j], ok, entry, le, wide);
      entry = ok;
    }
    chains.set(key, entry);
    return entry;
  };
  const node = (a: number, b: number): number => {
    if (a === b) return leaf(a);
    const mid = (a + b + 1) >> 1;
    const r = node(mid, b);
    const l = node(a, mid - 1);
    return asm.jump(Op.JGE_K, lo[mid], r, l);
  };
  const tree = node(0, lo.length - 1);
  if (!enosys || plan.max < 0) return tree;
  return asm.jump(Op.JGT_K, plan.max, asm.ret(ENOSYS_RET), tree);
});

/** One comparison on a 64-bit argument as 32-bit halves (only the low half on 32-bit arches). */
const emitCmp = (function emitCmp(asm: Rev, c: Arg, succ: number, fail: number, le: boolean, wide: boolean): number {
  const base = 16 + 8 * c.index;
  const loOff = le ? base : base + 4, hiOff = le ? base + 4 : base;
  if (c.op === Cmp.MASKED_EQ) {
    const l = asm.op(Op.LD_W_ABS, loOff, asm.op(Op.AND_K, c.lo, asm.jump(Op.JEQ_K, c.dlo, succ, fail)));
    if (!wide) return l;
    return asm.op(Op.LD_W_ABS, hiOff, asm.op(Op.AND_K, c.hi, asm.jump(Op.JEQ_K, c.dhi, l, fail)));
  }
  if (c.op === Cmp.EQ || c.op === Cmp.NE) {
    const eq = c.op === Cmp.EQ;
    const l = asm.op(Op.LD_W_ABS, loOff, asm.jump(Op.JEQ_K, c.lo, eq ? succ : fail, eq ? fail : succ));
    if (!wide) return l;
    return asm.op(Op.LD_W_ABS, hiOff, asm.jump(Op.JEQ_K, c.hi, l, eq ? fail : succ));
  }
  // GT, GE, LT, LE. LT is not GE and LE is not GT: swap the outcomes.
  const strict = c.op === Cmp.GT || c.op === Cmp.LE;
  const up = c.op === Cmp.GT || c.op === Cmp.GE;
  const s = up ? succ : fail, f = up ? fail : succ;
  const l = asm.op(Op.LD_W_ABS, loOff, asm.jump(strict ? Op.JGT_K : Op.JGE_K, c.lo, s, f));
  if (!wide) return l;
  const eq = asm.jump(Op.JEQ_K, c.hi, l, f);
  return asm.op(Op.LD_W_ABS, hiOff, asm.jump(Op.JGT_K, c.hi, s, eq));
});

const jsonBig = (_k: string, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v);

/** What a cache entry is for: compiler version, target arch, pointer and the profile as JSON. */
function keyText(seccomp: SeccompProfile, opts: CompileOptions): string {
  const arch = opts.arch === undefined ? nativeArch() : archName(opts.arch) ?? opts.arch;
  let json: string;
  try {
    json = JSON.stringify(seccomp);
  } catch {
    json = JSON.stringify(seccomp, jsonBig); // BigInt values (programmatic callers)
  }
  return `${COMPILER_VERSION}\0${arch}\0${opts.pointer ?? ''}\0${json}`;
}

/**
 * The cache file's name for a key (keyText as UTF-8): its length and a 32-bit multiplicative hash
 * over at most 1024 of its words, evenly spread. Not cryptographic, not even complete, and need
 * not be: the file holds the whole key, compared natively on a hit, so a clash costs a compile,
 * never a wrong program. Hashing all of a 40 KB profile in cold JavaScript took most of a hit.
 */
function cacheName(key: Buffer): string {
  if (key.byteOffset & 3) key = Buffer.from(key);
  const words = key.length >>> 2;
  const w = new Int32Array(key.buffer, key.byteOffset, words);
  const step = Math.max(1, Math.ceil(words / 1024));
  let h = key.length | 0;
  for (let i = 0; i < words; i += step) {
    h = Math.imul(h ^ w[i], 0x5bd1e995);
    h ^= h >>> 15;
  }
  for (let i = words * 4; i < key.length; i++) h = Math.imul(h ^ key[i], 0x5bd1e995);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return `v3-${key.length.toString(16)}-${((h ^ (h >>> 16)) >>> 0).toString(16).padStart(8, '0')}`;
}

/** The cache file's name (without .bpf) for a profile and a target. */
export function cacheKey(seccomp: SeccompProfile, opts: CompileOptions = {}): string {
  return cacheName(Buffer.from(keyText(seccomp, opts), 'utf8'));
}

const MAGIC = 0x3262636f; // "ocb2"

/**
 * compile() with a file cache in cacheDir. <cacheKey()>.bpf holds magic (u32 LE), flags (u32 LE),
 * notify (u8), three pad bytes, the key's length (u32 LE), the key (keyText, UTF-8), then the
 * program. A hit is one read and a byte comparison of the key, so a hash collision can only
 * cost a compile, never return another profile's program.
 */
/**
 * The program now, from the cache in `cacheDir` (when there is one) or compiled, and `store` to
 * write a compiled one into a cache directory later. Nothing is written before store: create
 * changes nothing on the host before its plan is known good.
 */
export function compileFromCache(seccomp: SeccompProfile, opts: CompileOptions & { cacheDir?: string }): { result: CompileResult; store(cacheDir: string): void } {
  const fs = require('node:fs') as typeof import('node:fs');
  const key = Buffer.from(keyText(seccomp, opts), 'utf8');
  const name = `${cacheName(key)}.bpf`;
  let data: Buffer | undefined;
  try {
    if (opts.cacheDir) data = fs.readFileSync(`${opts.cacheDir}/${name}`);
  } catch {
    // A miss: compile below.
  }
  const at = 16 + key.length;
  if (data && data.length >= at + 8 && (data.length - at) % 8 === 0 && data.readUInt32LE(0) === MAGIC &&
      data.readUInt32LE(12) === key.length && data.compare(key, 0, key.length, 16, at) === 0) {
    const program = data.subarray(at);
    return { result: { program, flags: data.readUInt32LE(4), notify: data[8] === 1, instructions: program.length / 8, skipped: [], archs: [] }, store() {} };
  }
  const r = compile(seccomp, opts);
  const store = (cacheDir: string) => {
    const file = `${cacheDir}/${name}`;
    try {
      fs.mkdirSync(cacheDir, { recursive: true, mode: 0o700 });
      const head = Buffer.alloc(16);
      head.writeUInt32LE(MAGIC, 0);
      head.writeUInt32LE(r.flags >>> 0, 4);
      head[8] = r.notify ? 1 : 0;
      head.writeUInt32LE(key.length, 12);
      const tmp = `${file}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, Buffer.concat([head, key, r.program]), { mode: 0o600 });
      fs.renameSync(tmp, file);
    } catch {
      // The cache only saves time; a read-only or full disk must not fail the container.
    }
  };
  return { result: r, store };
}

/** Readable BPF, one instruction a line, with labels and syscall names where the arch is known. */
export function disassemble(program: Buffer): string {
  return (require('./inspect') as typeof import('./inspect')).disassemble(program);
}

/** What the compiled program does to one call from `arch` (the program is built for that arch). */
export function explain(
  seccomp: SeccompProfile,
  q: { arch?: string; syscall: string | number; args?: bigint[] },
): { action: string; errno?: number; path: string[]; nr: number; ret: number } {
  return (require('./inspect') as typeof import('./inspect')).explain(seccomp, q);
}

/** What features.json says about seccomp (see features.ts). */
export function seccompFeatures(): import('./features').SeccompFeatures {
  return (require('./features') as typeof import('./features')).seccompFeatures();
}

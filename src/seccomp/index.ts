/**
 * The seccomp compiler's public face: compile, compileCached, disassemble, explain, and the
 * features the runtime reports. Loading the program is the addon's job.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { OcirtError } from '../errors';
import { ARCHS, X32_SYSCALL_BIT, archName, nativeArch, syscallTable } from './arch';
import { BPF, decode, disassemble as listing, retName, run, seccompData } from './bpf';
import { ACTIONS, COMPILER_VERSION, CompileOptions, CompileResult, FLAGS, OPERATORS, compile } from './compile';
import type { SeccompProfile } from './profile';

export { compile, COMPILER_VERSION } from './compile';
export type { CompileOptions, CompileResult } from './compile';
export type { SeccompProfile, SeccompSyscall, SeccompArg } from './profile';

const jsonBig = (_k: string, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v);

/** sha256 of the profile, the target arch and the compiler version. */
export function cacheKey(seccomp: SeccompProfile, opts: CompileOptions = {}): string {
  const arch = opts.arch === undefined ? nativeArch() : archName(opts.arch) ?? opts.arch;
  const crypto = require('node:crypto') as typeof import('node:crypto');
  return crypto.createHash('sha256').update(`${COMPILER_VERSION}\0${arch}\0${opts.pointer ?? ''}\0`).update(JSON.stringify(seccomp, jsonBig)).digest('hex');
}

/**
 * compile() with a file cache in cacheDir: <sha256>.bpf holds flags (u32 LE), notify (u8),
 * three pad bytes, then the program. A hit costs a hash and one read.
 */
export function compileCached(seccomp: SeccompProfile, opts: CompileOptions & { cacheDir: string }): CompileResult {
  const file = path.join(opts.cacheDir, cacheKey(seccomp, opts) + '.bpf');
  let data: Buffer | undefined;
  try {
    data = fs.readFileSync(file);
  } catch {
    // A miss: compile below.
  }
  if (data && data.length >= 16 && (data.length - 8) % 8 === 0) {
    const program = data.subarray(8);
    return { program, flags: data.readUInt32LE(0), notify: data[4] === 1, instructions: program.length / 8, skipped: [], archs: [] };
  }
  const r = compile(seccomp, opts);
  try {
    fs.mkdirSync(opts.cacheDir, { recursive: true, mode: 0o700 });
    const head = Buffer.alloc(8);
    head.writeUInt32LE(r.flags >>> 0, 0);
    head[4] = r.notify ? 1 : 0;
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, Buffer.concat([head, r.program]), { mode: 0o600 });
    fs.renameSync(tmp, file);
  } catch {
    // The cache only saves time; a read-only or full disk must not fail the container.
  }
  return r;
}

/** Per instruction, the arch block it belongs to (by audit value and the x32 split), for names. */
function archAt(program: Buffer): ((k: number, pc: number) => string | undefined) {
  const p = decode(program);
  type St = { audit?: number; x32?: boolean; nr?: boolean } | null;
  const st: St[] = new Array(p.length).fill(undefined);
  st[0] = {};
  const merge = (i: number, s: St) => {
    if (i >= p.length) return;
    const cur = st[i];
    if (cur === undefined) st[i] = s ? { ...s } : null;
    else if (cur && s && (cur.audit !== s.audit || cur.x32 !== s.x32 || cur.nr !== s.nr)) st[i] = null;
  };
  const archNameOf = (s: NonNullable<St>) => {
    for (const a of ARCHS.values()) if (a.audit === s.audit && (a.name === 'SCMP_ARCH_X32') === !!s.x32) return a;
    return undefined;
  };
  let lastArchLoad = false;
  p.forEach((x, i) => {
    const s = st[i];
    if (s === undefined) return;
    if (x.code === BPF.LD_W_ABS) {
      lastArchLoad = x.k === 4;
      merge(i + 1, s && { ...s, nr: x.k === 0 });
      return;
    }
    if ((x.code & 7) === 6) return;
    if ((x.code & 7) !== 5) { merge(i + 1, s && { ...s, nr: false }); return; }
    if ((x.code & 0xf0) === 0) { merge(i + 1 + x.k, s); return; }
    let t = s, f = s;
    if (s && lastArchLoad && x.code === BPF.JEQ_K) t = { ...s, audit: x.k };
    if (s && s.nr && x.code === BPF.JGE_K && x.k === X32_SYSCALL_BIT) { t = { ...s, x32: true }; f = { ...s, x32: false }; }
    merge(i + 1 + x.jt, t);
    merge(i + 1 + x.jf, f);
  });
  return (k, pc) => {
    const s = st[pc];
    if (!s || !s.nr || s.audit === undefined) return undefined;
    const a = archNameOf(s);
    return a ? syscallTable(a).byNumber.get(k >>> 0) : undefined;
  };
}

/** Readable BPF, one instruction a line, with labels and syscall names where the arch is known. */
export function disassemble(program: Buffer): string {
  return listing(program, archAt(program));
}

const ACTION_OF: Record<string, string> = {
  KILL_PROCESS: 'SCMP_ACT_KILL_PROCESS', KILL_THREAD: 'SCMP_ACT_KILL_THREAD', TRAP: 'SCMP_ACT_TRAP', ERRNO: 'SCMP_ACT_ERRNO',
  NOTIFY: 'SCMP_ACT_NOTIFY', TRACE: 'SCMP_ACT_TRACE', LOG: 'SCMP_ACT_LOG', ALLOW: 'SCMP_ACT_ALLOW',
};

/** What the compiled program does to one call from `arch` (the program is built for that arch). */
export function explain(
  seccomp: SeccompProfile,
  q: { arch?: string; syscall: string | number; args?: bigint[] },
): { action: string; errno?: number; path: string[]; nr: number; ret: number } {
  const archN = q.arch === undefined ? nativeArch() : archName(q.arch);
  if (!archN) throw new OcirtError(`unknown architecture "${q.arch}"`);
  const arch = ARCHS.get(archN)!;
  let nr: number;
  if (typeof q.syscall === 'number') nr = archN === 'SCMP_ARCH_X32' && q.syscall < X32_SYSCALL_BIT ? q.syscall + X32_SYSCALL_BIT : q.syscall;
  else {
    const n = syscallTable(arch).byName.get(q.syscall);
    if (n === undefined) throw new OcirtError(`unknown syscall "${q.syscall}" on ${archN}`);
    nr = n;
  }
  const c = compile(seccomp, { arch: archN });
  const le = (arch.audit & 0x40000000) !== 0;
  const r = run(c.program, seccompData(nr, arch.audit, q.args ?? [], le), le);
  const lines = disassemble(c.program).split('\n');
  const { action, data } = retName(r.ret);
  return {
    action: ACTION_OF[action] ?? action,
    errno: action === 'ERRNO' || action === 'TRACE' ? data : undefined,
    path: r.trace.map((pc) => lines[pc].trim()),
    nr,
    ret: r.ret,
  };
}

/** Flags this kernel accepts, by the release that added each one. */
function kernelFlags(): string[] {
  const m = /^(\d+)\.(\d+)/.exec(os.release());
  const v = m ? Number(m[1]) * 1000 + Number(m[2]) : 0;
  const since: Record<string, number> = {
    SECCOMP_FILTER_FLAG_TSYNC: 3017, SECCOMP_FILTER_FLAG_LOG: 4014, SECCOMP_FILTER_FLAG_SPEC_ALLOW: 4017, SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV: 5019,
  };
  return Object.keys(FLAGS).filter((f) => v >= since[f]);
}

export function seccompFeatures(): { enabled: true; actions: string[]; operators: string[]; archs: string[]; knownFlags: string[]; supportedFlags: string[] } {
  return { enabled: true, actions: [...ACTIONS], operators: [...OPERATORS], archs: [...ARCHS.keys()], knownFlags: Object.keys(FLAGS), supportedFlags: kernelFlags() };
}

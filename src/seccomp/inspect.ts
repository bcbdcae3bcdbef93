/**
 * Reading programs: disassembly with syscall names per arch block, and explain (one call run
 * through the compiled program). Loaded by index.ts on first use, not on the compile path.
 */
import { OcirtError } from '../errors';
import { ARCHS, X32_SYSCALL_BIT, archName, nativeArch, syscallTable } from './arch';
import { BPF, decode, disassemble as listing, retName, run, seccompData } from './bpf';
import { compile } from './index';
import type { SeccompProfile } from './profile';

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

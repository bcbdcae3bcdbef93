import type { Invocation } from '../table';
import { OcirtError } from '../../errors';
import { loadBundle } from '../../spec/load';
import { stdout } from '../../stdio';

/**
 * `ocirt seccomp dump` prints the bundle's profile as the BPF program ocirt loads;
 * `ocirt seccomp explain SYSCALL [ARG...]` says what that program does to one call.
 */
export function run(inv: Invocation): number {
  const [action, syscall, ...rawArgs] = inv.positionals;
  const b = loadBundle(inv.flags.bundle as string);
  const profile = (b.config as any).linux?.seccomp;
  if (!profile) throw new OcirtError(`${b.configPath}: no /linux/seccomp profile`);
  const seccomp = require('../../seccomp') as typeof import('../../seccomp');
  const arch = inv.flags.arch as string | undefined;
  if (action === 'dump') {
    const t0 = process.hrtime.bigint();
    const c = seccomp.compile(profile, { arch });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    stdout(seccomp.disassemble(c.program) + '\n');
    // The compile time is that of this process, as create pays it (bench/seccomp.ts reads it).
    stdout(`# ${c.instructions} instructions, flags 0x${c.flags.toString(16)}, compiled in ${ms.toFixed(3)} ms\n`);
    return 0;
  }
  if (action === 'explain') {
    if (!syscall) throw new OcirtError('"seccomp explain" requires a syscall name or number');
    const args = rawArgs.map((a) => {
      try {
        return BigInt(a);
      } catch {
        throw new OcirtError(`argument "${a}" is not an integer`);
      }
    });
    const r = seccomp.explain(profile, { arch, syscall: /^\d+$/.test(syscall) ? Number(syscall) : syscall, args });
    stdout(`${r.action}${r.errno !== undefined ? ` (errno ${r.errno})` : ''}\n`);
    for (const step of r.path) stdout(`  ${step}\n`);
    return 0;
  }
  throw new OcirtError(`unknown seccomp action "${action}": use dump or explain`);
}

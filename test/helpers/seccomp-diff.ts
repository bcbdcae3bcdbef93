/**
 * Differential testing of ocirt's seccomp compiler against libseccomp (python3-seccomp):
 * podman's default profile resolved for a capability set, random profiles, libseccomp's
 * programs for the same input, and verdicts of both through the BPF emulator.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { SeccompProfile, SeccompSyscall } from '../../src/seccomp/profile';

export const ROOT = path.resolve(__dirname, '../../..');
export const PODMAN_PROFILE = '/usr/share/containers/seccomp.json';

/** podman's default capabilities (containers.conf default_capabilities). */
export const DEFAULT_CAPS = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_NET_BIND_SERVICE',
  'CAP_SETFCAP', 'CAP_SETGID', 'CAP_SETPCAP', 'CAP_SETUID', 'CAP_SYS_CHROOT',
];

const GO_ARCH: Record<string, string> = {
  SCMP_ARCH_X86_64: 'amd64', SCMP_ARCH_X86: '386', SCMP_ARCH_AARCH64: 'arm64', SCMP_ARCH_ARM: 'arm',
  SCMP_ARCH_PPC64LE: 'ppc64le', SCMP_ARCH_S390X: 's390x', SCMP_ARCH_RISCV64: 'riscv64',
};

/**
 * An engine-format profile (archMap, includes/excludes) to an OCI LinuxSeccomp the way
 * containers/common resolves it: the native arch and its sub-arches, entries kept when all
 * included caps are held and the arch is listed (if any), dropped when an excluded cap is held
 * or the arch is excluded.
 */
export function resolveEngineProfile(file: string, caps: string[], nativeScmp: string): SeccompProfile {
  const d = JSON.parse(fs.readFileSync(file, 'utf8'));
  const goArch = GO_ARCH[nativeScmp];
  const archs: string[] = [];
  for (const m of d.archMap ?? []) if (m.architecture === nativeScmp) archs.push(m.architecture, ...(m.subArchitectures ?? []));
  const syscalls: SeccompSyscall[] = [];
  for (const s of d.syscalls ?? []) {
    const inc = s.includes ?? {}, exc = s.excludes ?? {};
    if (inc.caps?.length && !inc.caps.every((c: string) => caps.includes(c))) continue;
    if (inc.arches?.length && !inc.arches.includes(goArch)) continue;
    if (exc.caps?.length && exc.caps.some((c: string) => caps.includes(c))) continue;
    if (exc.arches?.length && exc.arches.includes(goArch)) continue;
    const e: SeccompSyscall = { names: s.names, action: s.action };
    if (s.errnoRet !== undefined && s.errnoRet !== null) e.errnoRet = s.errnoRet;
    if (s.args?.length) e.args = s.args.map((a: any) => ({ index: a.index, value: a.value, valueTwo: a.valueTwo ?? 0, op: a.op }));
    syscalls.push(e);
  }
  const p: SeccompProfile = { defaultAction: d.defaultAction, architectures: archs, syscalls };
  if (d.defaultErrnoRet !== undefined) p.defaultErrnoRet = d.defaultErrnoRet;
  return p;
}


/** libseccomp's BPF for each profile (one python run for all of them). */
export function libseccompPrograms(profiles: SeccompProfile[]): Buffer[] {
  const input = JSON.stringify(profiles, (k, v) => (typeof v === 'bigint' ? `__big${v}` : v)).replace(/"__big(\d+)"/g, '$1');
  const r = spawnSync('/usr/bin/python3', [path.join(ROOT, 'test/helpers/seccomp_libseccomp.py')], { input, encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`seccomp_libseccomp.py failed: ${r.stderr}`);
  const lines = r.stdout.trim().split('\n');
  if (lines.length !== profiles.length) throw new Error(`seccomp_libseccomp.py returned ${lines.length} programs for ${profiles.length} profiles`);
  return lines.map((h) => Buffer.from(h, 'hex'));
}

/** Small deterministic PRNG (mulberry32) so that failures can be replayed by seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

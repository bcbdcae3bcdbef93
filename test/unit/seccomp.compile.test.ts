import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { OcirtError } from '../../src/errors';
import { spawnSync } from 'node:child_process';
import { cacheKey, compile, compileFromCache, disassemble, explain, seccompFeatures, CompileOptions, CompileResult } from '../../src/seccomp';

/** The program through the cache, stored at once (create stores later, once its plan is good). */
function compileCached(p: any, opts: CompileOptions & { cacheDir: string }): CompileResult {
  const r = compileFromCache(p, opts);
  r.store(opts.cacheDir);
  return r.result;
}
import type { SeccompProfile, SeccompSyscall } from '../../src/seccomp/profile';
import { ARCHS, syscallTable } from '../../src/seccomp/arch';
import { PODMAN_PROFILE, DEFAULT_CAPS, resolveEngineProfile } from '../helpers/seccomp-diff';

const base = (over: Partial<SeccompProfile> = {}): SeccompProfile => ({
  defaultAction: 'SCMP_ACT_ALLOW',
  syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }],
  ...over,
});

function throwsAt(f: () => unknown, pointer: string, text: RegExp): void {
  try {
    f();
  } catch (e) {
    assert.instance(e, OcirtError);
    assert.is((e as OcirtError).pointer, pointer);
    assert.ok((e as Error).message.startsWith(pointer + ': '), (e as Error).message);
    assert.match((e as Error).message, text);
    return;
  }
  assert.unreachable('no error');
}

test('bad input points into config.json', () => {
  throwsAt(() => compile(base({ syscalls: [{ names: ['a'], action: 'SCMP_ACT_ALLOW' }, { names: ['b'], action: 'SCMP_ACT_FOO' }] })), '/linux/seccomp/syscalls/1/action', /unknown seccomp action "SCMP_ACT_FOO"/);
  throwsAt(() => compile(base({ defaultAction: 'NOPE' })), '/linux/seccomp/defaultAction', /unknown seccomp action "NOPE"/);
  throwsAt(() => compile(base({ syscalls: [{ names: ['read'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 1, op: 'SCMP_CMP_XX' }] }] })), '/linux/seccomp/syscalls/0/args/0/op', /unknown seccomp operator "SCMP_CMP_XX"/);
  throwsAt(() => compile(base({ syscalls: [{ names: ['read'], action: 'SCMP_ACT_ERRNO', args: [{ index: 6, value: 1, op: 'SCMP_CMP_EQ' }] }] })), '/linux/seccomp/syscalls/0/args/0/index', /index 6/);
  throwsAt(() => compile(base({ architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_VAX'] })), '/linux/seccomp/architectures/1', /unknown seccomp architecture "SCMP_ARCH_VAX"/);
  throwsAt(() => compile(base({ flags: ['SECCOMP_FILTER_FLAG_BOGUS'] })), '/linux/seccomp/flags/0', /unknown seccomp flag/);
  throwsAt(() => compile(base({ syscalls: [{ names: ['read'], action: 'SCMP_ACT_ERRNO', errnoRet: -1 }] })), '/linux/seccomp/syscalls/0/errnoRet', /bad errnoRet -1/);
  throwsAt(() => compile(base({ defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 1.5 })), '/linux/seccomp/defaultErrnoRet', /bad errnoRet/);
  throwsAt(() => compile(base(), { pointer: '/x' }).program && compile(base({ defaultAction: 'BAD' }), { pointer: '/x' }), '/x/defaultAction', /BAD/);
});

test('several conditions on one argument are alternatives (one rule each, as runc reads them); on different arguments all must hold', () => {
  const p = (args: any[]): SeccompProfile => ({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['process_vm_readv'], action: 'SCMP_ACT_ERRNO', errnoRet: 9, args }] });
  const either = p([{ index: 0, value: 100, op: 'SCMP_CMP_EQ' }, { index: 0, value: 200, op: 'SCMP_CMP_EQ' }]);
  const v = (prof: SeccompProfile, args: bigint[]) => explain(prof, { arch: 'x86_64', syscall: 'process_vm_readv', args }).action;
  assert.is(v(either, [100n]), 'SCMP_ACT_ERRNO');
  assert.is(v(either, [200n]), 'SCMP_ACT_ERRNO');
  assert.is(v(either, [300n]), 'SCMP_ACT_ALLOW');
  // Once split, a condition on another argument of the same rule is an alternative too (runc).
  const mixed = p([{ index: 0, value: 100, op: 'SCMP_CMP_EQ' }, { index: 0, value: 200, op: 'SCMP_CMP_EQ' }, { index: 1, value: 7, op: 'SCMP_CMP_EQ' }]);
  assert.is(v(mixed, [300n, 7n]), 'SCMP_ACT_ERRNO');
  const both = p([{ index: 0, value: 100, op: 'SCMP_CMP_EQ' }, { index: 1, value: 7, op: 'SCMP_CMP_EQ' }]);
  assert.is(v(both, [100n, 7n]), 'SCMP_ACT_ERRNO');
  assert.is(v(both, [100n, 8n]), 'SCMP_ACT_ALLOW');
  assert.is(v(both, [300n, 7n]), 'SCMP_ACT_ALLOW');
});

test('argument values: the full 64 bits; past 2^64 - 1, below 0 or a double past 2^53 refused by pointer', () => {
  const p = (value: any): SeccompProfile => ({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['personality'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value, op: 'SCMP_CMP_EQ' }] }] });
  const max = 18446744073709551615n;
  const v = (prof: SeccompProfile, a: bigint) => explain(prof, { arch: 'x86_64', syscall: 'personality', args: [a] }).action;
  assert.is(v(p(max), max), 'SCMP_ACT_ERRNO');
  assert.is(v(p(max), max - 1n), 'SCMP_ACT_ALLOW');
  assert.is(v(p(2n ** 53n + 1n), 2n ** 53n + 1n), 'SCMP_ACT_ERRNO');
  assert.is(v(p(2n ** 53n + 1n), 2n ** 53n), 'SCMP_ACT_ALLOW');
  const at = '/linux/seccomp/syscalls/0/args/0/value';
  throwsAt(() => compile(p(max + 1n)), at, /18446744073709551616 is not an integer from 0 to 18446744073709551615/);
  throwsAt(() => compile(p(-1)), at, /-1 is not an integer from 0/);
  throwsAt(() => compile(p(2 ** 60)), at, /not an integer from 0/);
});

test('a program over 4096 instructions is refused with a pointer', () => {
  const names = [...syscallTable(ARCHS.get('SCMP_ARCH_X86_64')!).byName.keys()].slice(0, 300);
  const syscalls: SeccompSyscall[] = names.map((n, i) => ({
    names: [n], action: 'SCMP_ACT_ALLOW',
    args: [0, 1, 2].map((index) => ({ index, value: BigInt(i + index) << 33n, op: 'SCMP_CMP_GT' })),
  }));
  throwsAt(() => compile({ defaultAction: 'SCMP_ACT_ERRNO', syscalls }, { arch: 'x86_64' }), '/linux/seccomp/syscalls', /more than the kernel's limit of 4096/);
});

test('unknown syscall names are skipped; known-but-tableless arches are skipped', () => {
  const c = compile(base({ architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_LOONGARCH64'], syscalls: [{ names: ['mkdir', 'no_such_call'], action: 'SCMP_ACT_ERRNO' }] }), { arch: 'x86_64' });
  assert.ok(c.skipped.includes('SCMP_ARCH_X86_64:no_such_call'));
  assert.equal(c.archs, ['SCMP_ARCH_X86_64']);
});

test('flags, NOTIFY adds NEW_LISTENER; only combinations the kernel takes', () => {
  const all = ['SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW', 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'];
  // Without a listener the kernel refuses WAIT_KILLABLE_RECV (EINVAL): dropped, as libseccomp does.
  assert.is(compile(base({ flags: all })).flags, 1 | 2 | 4);
  const n = compile(base({ syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }] }));
  assert.ok(n.notify);
  assert.is(n.flags & 8, 8);
  assert.not.ok(compile(base()).notify);
  // With one it refuses TSYNC (without TSYNC_ESRCH): dropped, the init is single-threaded.
  assert.is(compile(base({ flags: all, syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }] })).flags, 2 | 4 | 8 | 32);
  assert.is(compile(base({ defaultAction: 'SCMP_ACT_NOTIFY', flags: ['SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'] })).flags, 8 | 32);
  throwsAt(() => compile(base({ flags: ['toString'] })), '/linux/seccomp/flags/0', /unknown seccomp flag "toString"/);
});

test('features: actions this kernel has, flags its seccomp(2) takes', () => {
  const f = seccompFeatures();
  assert.ok(f.enabled);
  assert.ok(f.operators.includes('SCMP_CMP_MASKED_EQ') && f.operators.length === 7);
  assert.ok(f.archs.includes('SCMP_ARCH_X32') && f.archs.includes('SCMP_ARCH_S390X'));
  assert.equal(f.knownFlags, ['SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW', 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV']);
  let avail: string[] | undefined;
  try {
    avail = fs.readFileSync('/proc/sys/kernel/seccomp/actions_avail', 'utf8').trim().split(/\s+/);
  } catch {
    // no procfs entry: the list goes by release
  }
  if (avail) {
    assert.is(f.actions.includes('SCMP_ACT_NOTIFY'), avail.includes('user_notif'));
    assert.is(f.actions.includes('SCMP_ACT_KILL_PROCESS'), avail.includes('kill_process'));
    assert.is(f.actions.includes('SCMP_ACT_LOG'), avail.includes('log'));
  }
  assert.ok(f.actions.includes('SCMP_ACT_ERRNO') && f.actions.includes('SCMP_ACT_ALLOW'));
  // seccomp(2) refuses flags newer than the kernel: WAIT_KILLABLE_RECV came with 5.19.
  const [major, minor] = os.release().split('.').map(Number);
  const v = major * 1000 + minor;
  assert.is(f.supportedFlags.includes('SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'), v >= 5019);
  assert.is(f.supportedFlags.includes('SECCOMP_FILTER_FLAG_SPEC_ALLOW'), v >= 4017);
  assert.ok(f.supportedFlags.every((x) => f.knownFlags.includes(x)));
});

test('explain: errno, default, ENOSYS above the profile, x32 and foreign arches', () => {
  const p: SeccompProfile = {
    defaultAction: 'SCMP_ACT_ERRNO',
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X32'],
    syscalls: [
      { names: ['read', 'write', 'exit_group'], action: 'SCMP_ACT_ALLOW' },
      { names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 },
      { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0xffffffff, op: 'SCMP_CMP_EQ' }] },
    ],
  };
  assert.is(explain(p, { arch: 'x86_64', syscall: 'read' }).action, 'SCMP_ACT_ALLOW');
  assert.equal(explain(p, { arch: 'x86_64', syscall: 'mkdir' }).errno, 13);
  assert.equal(explain(p, { arch: 'x86_64', syscall: 'getpid' }).errno, 1);
  // clone3 (435) is above personality (135), the highest named: ENOSYS so libc falls back to clone.
  assert.equal(explain(p, { arch: 'x86_64', syscall: 'clone3' }).errno, 38);
  assert.is(explain(p, { arch: 'x86_64', syscall: 'personality', args: [0xffffffffn] }).action, 'SCMP_ACT_ALLOW');
  assert.equal(explain(p, { arch: 'x86_64', syscall: 'personality', args: [0x1ffffffffn] }).errno, 1);
  assert.is(explain(p, { arch: 'x32', syscall: 'read' }).action, 'SCMP_ACT_ALLOW');
  assert.is(explain(p, { arch: 'x32', syscall: 'read' }).nr, 0x40000000);
  const noX32 = { ...p, architectures: ['SCMP_ARCH_X86_64'] };
  assert.is(compile(noX32, { arch: 'x86_64' }).archs.length, 1);
  const r = explain(p, { arch: 'aarch64', syscall: 'read' });
  assert.is(r.action, 'SCMP_ACT_ALLOW'); // explain builds the program for the asked arch
  assert.ok(r.path.length > 2 && r.path[0].includes('ld  [arch]'));
  // ALLOW by default: no ENOSYS guard.
  assert.is(explain(base(), { arch: 'x86_64', syscall: 'clone3' }).action, 'SCMP_ACT_ALLOW');
  assert.equal(explain(base(), { arch: 'x86_64', syscall: 'mkdir' }).errno, 1);
});

test('disassemble names syscalls per arch and labels jump targets', () => {
  const c = compile(base({ architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_AARCH64'] }), { arch: 'x86_64' });
  const text = disassemble(c.program);
  assert.is(text.split('\n').length, c.instructions);
  assert.match(text, /ld  \[arch\]/);
  assert.match(text, /\(mkdir\)/); // x86_64 mkdir 83
  assert.match(text, /\(mkdirat\)/);
  assert.match(text, /ret ERRNO\(1\)/);
  assert.match(text, /^L\d+:/m);
});

test('podman default: decision tree within limits; cache hit returns the same program', () => {
  const p = resolveEngineProfile(PODMAN_PROFILE, DEFAULT_CAPS, 'SCMP_ARCH_X86_64');
  const c = compile(p, { arch: 'x86_64' });
  assert.ok(c.instructions < 1000, `${c.instructions}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocirt-seccomp-'));
  try {
    const first = compileCached(p, { arch: 'x86_64', cacheDir: dir });
    assert.equal(fs.readdirSync(dir), [cacheKey(p, { arch: 'x86_64' }) + '.bpf']);
    const second = compileCached(p, { arch: 'x86_64', cacheDir: dir });
    assert.ok(second.program.equals(c.program) && first.program.equals(c.program));
    assert.is(second.flags, c.flags);
    assert.is(second.instructions, c.instructions);
    compileCached({ ...p, flags: ['SECCOMP_FILTER_FLAG_LOG'] }, { arch: 'x86_64', cacheDir: dir });
    assert.equal(fs.readdirSync(dir).length, 2);
    assert.is(compileCached({ ...p, flags: ['SECCOMP_FILTER_FLAG_LOG'] }, { arch: 'x86_64', cacheDir: dir }).flags, 2);
    const n = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }] };
    compileCached(n, { arch: 'x86_64', cacheDir: dir });
    const hit = compileCached(n, { arch: 'x86_64', cacheDir: dir });
    assert.ok(hit.notify && hit.program.equals(compile(n, { arch: 'x86_64' }).program));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('cache: a file under another profile\'s name (a hash collision) or a damaged one is not used', () => {
  const p = base(), q = base({ syscalls: [{ names: ['rmdir'], action: 'SCMP_ACT_ERRNO' }] });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocirt-seccomp-'));
  try {
    compileCached(p, { cacheDir: dir });
    const fp = path.join(dir, cacheKey(p) + '.bpf'), fq = path.join(dir, cacheKey(q) + '.bpf');
    fs.copyFileSync(fp, fq);
    assert.ok(compileCached(q, { cacheDir: dir }).program.equals(compile(q).program));
    assert.not.ok(compileCached(q, { cacheDir: dir }).program.equals(compile(p).program));
    // A cut file is a miss, compiled and written again.
    fs.truncateSync(fq, 20);
    assert.ok(compileCached(q, { cacheDir: dir }).program.equals(compile(q).program));
    assert.ok(fs.statSync(fq).size > 20);
    // The key covers the arch and the compiler version.
    assert.is.not(cacheKey(p, { arch: 'x86_64' }), cacheKey(p, { arch: 'aarch64' }));
    assert.is(cacheKey(p, { arch: 'x86_64' }), cacheKey(p, { arch: 'amd64' }));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('cold start: compile() and a cache hit load only index.js and arch.js of src/', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocirt-seccomp-'));
  try {
    const mod = require.resolve('../../src/seccomp');
    const src = path.dirname(path.dirname(mod));
    const script = `const s = require(${JSON.stringify(mod)});
      const p = JSON.parse(process.argv[1]);
      s.compile(p, { arch: 'x86_64' });
      s.compileFromCache(p, { arch: 'x86_64', cacheDir: ${JSON.stringify(dir)} }).store(${JSON.stringify(dir)});
      s.compileFromCache(p, { arch: 'x86_64', cacheDir: ${JSON.stringify(dir)} }).store(${JSON.stringify(dir)});
      process.stdout.write(JSON.stringify(Object.keys(require.cache)));`;
    const p = resolveEngineProfile(PODMAN_PROFILE, DEFAULT_CAPS, 'SCMP_ARCH_X86_64');
    const r = spawnSync(process.execPath, ['-e', script, JSON.stringify(p)], { encoding: 'utf8' });
    assert.is(r.status, 0, r.stderr);
    const loaded = (JSON.parse(r.stdout) as string[]).filter((f) => f.startsWith(src + path.sep)).map((f) => path.relative(src, f)).sort();
    assert.equal(loaded, ['seccomp/arch.js', 'seccomp/index.js']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test.run();

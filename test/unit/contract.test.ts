/**
 * The contract between TypeScript and the C++ side (contract/contract.json, generated for both
 * at build time) and what the init program links:
 *  - the generated files are the generator's output for the contract in the tree;
 *  - a contract with a duplicate or out-of-range number is refused by the generator, and one whose
 *    errno or capability numbers disagree with the system headers does not compile;
 *  - a plan encoded against another contract is refused before any op runs;
 *  - ocirt-init is static, and the libc symbols its objects import are the allowlist below (the
 *    interpreter makes raw syscalls through syscalls.h only), and the shipped addon holds no
 *    interpreter and no dry-run recorder.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { nativeTest } from '../helpers/native-test';
import { encodePlan } from '../../src/plan/encode';
import { ProcessOp as P } from '../../src/plan/ops';

const REPO = path.resolve(__dirname, '..', '..', '..');
const GEN = path.join(REPO, 'scripts', 'gen-contract.js');
const CONTRACT = path.join(REPO, 'contract', 'contract.json');
const RELEASE = path.join(REPO, 'build', 'Release');

/** What the init's objects may take from libc: the syscall entry of the seam, errno, and what the compiler emits. */
const LIBC_ALLOWED = ['syscall', '__errno_location', 'memset', 'memcpy', 'memmove', 'strlen', '_GLOBAL_OFFSET_TABLE_'];

function withTmp<T>(fn: (dir: string) => T): T {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocirt-contract-'));
  try {
    return fn(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function generate(contract: any, dir: string) {
  const file = path.join(dir, 'contract.json');
  fs.writeFileSync(file, JSON.stringify(contract));
  return spawnSync(process.execPath, [GEN, '--contract', file, '--out', dir], { encoding: 'utf8' });
}

const contract = () => JSON.parse(fs.readFileSync(CONTRACT, 'utf8'));

test('the generated header and module are the generator\'s output for the contract in the tree', () =>
  withTmp((dir) => {
    const r = generate(contract(), dir);
    assert.is(r.status, 0, r.stderr);
    assert.is(fs.readFileSync(path.join(dir, 'contract.gen.h'), 'utf8'), fs.readFileSync(path.join(REPO, 'addon', 'contract.gen.h'), 'utf8'));
    assert.is(fs.readFileSync(path.join(dir, 'contract.gen.ts'), 'utf8'), fs.readFileSync(path.join(REPO, 'src', 'plan', 'contract.gen.ts'), 'utf8'));
  }));

test('a duplicate op number, or a process op in the rootfs range, stops the build', () =>
  withTmp((dir) => {
    const dup = contract();
    dup.processOps.Exec = dup.processOps.Seccomp;
    let r = generate(dup, dir);
    assert.is(r.status, 1);
    assert.match(r.stderr, /processOps\.(Exec|Seccomp) and processOps\.(Exec|Seccomp) are both 28/);
    const range = contract();
    range.processOps.Exec = 102;
    r = generate(range, dir);
    assert.is(r.status, 1);
    assert.match(r.stderr, /processOps\.Exec = 102 is outside 1\.\.99/);
  }));

test('errno and capability numbers that disagree with the system headers do not compile', () =>
  withTmp((dir) => {
    const compile = () => spawnSync('g++', ['-std=c++17', '-fsyntax-only', '-x', 'c++', path.join(dir, 'contract.gen.h')], { encoding: 'utf8' });
    assert.is(generate(contract(), dir).status, 0);
    assert.is(compile().status, 0, compile().stderr);
    const badErrno = contract();
    badErrno.errno = badErrno.errno.map((e: any[]) => (e[1] === 'EPERM' ? [99, e[1], e[2]] : e));
    assert.is(generate(badErrno, dir).status, 0);
    assert.match(compile().stderr, /errno EPERM/);
    const badCap = contract();
    badCap.caps.CAP_SYS_ADMIN = 20;
    badCap.caps.CAP_SYS_PACCT = 21;
    assert.is(generate(badCap, dir).status, 0);
    assert.match(compile().stderr, /CAP_SYS_ADMIN/);
  }));

test('a plan encoded against another contract is refused before any op runs', () => {
  const buf = encodePlan({ ops: [{ kind: P.Namespaces, ints: [0, 1], strs: [], pointer: '', what: '' }] });
  buf.writeUInt32LE((buf.readUInt32LE(4) + 1) >>> 0, 4);
  assert.throws(() => nativeTest().childDryRun(buf), /plan: unknown version/);
});

test('ocirt-init is static and imports from libc only the allowlist', () => {
  const init = path.join(RELEASE, 'ocirt-init');
  const elf = spawnSync('readelf', ['-l', init], { encoding: 'utf8' });
  assert.is(elf.status, 0, elf.stderr);
  assert.not.match(elf.stdout, /INTERP|DYNAMIC/, 'ocirt-init has a dynamic loader or dynamic section');
  const objDir = path.join(RELEASE, 'obj.target', 'ocirt-init', 'addon');
  const objs = fs.readdirSync(objDir).filter((f) => f.endsWith('.o')).map((f) => path.join(objDir, f));
  assert.ok(objs.length >= 7, `objects of ocirt-init: ${objs.join(', ')}`);
  const sym = (flag: string) => {
    const r = spawnSync('nm', [flag, ...objs], { encoding: 'utf8' });
    assert.is(r.status, 0, r.stderr);
    return new Set(r.stdout.split('\n').map((l) => l.trim().split(/\s+/).pop() ?? '').filter((s) => s && !s.endsWith(':')));
  };
  const defined = sym('--defined-only');
  const imported = [...sym('-u')].filter((s) => !defined.has(s)).sort();
  assert.equal(imported.filter((s) => !LIBC_ALLOWED.includes(s)), [], `imports beyond the allowlist: ${imported.join(' ')}`);
  assert.ok(imported.includes('syscall'), 'the seam\'s syscall entry is not among the imports: is this the init?');
});

test('the shipped addon holds neither the interpreter nor the dry-run recorder', () => {
  const r = spawnSync('nm', ['-C', path.join(RELEASE, 'ocirt.node')], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  for (const s of ['ocirt::ChildMain', 'ocirt::RunRootfsOp', 'ocirt::RunProcessOp', 'ChildDryRun']) {
    assert.not.ok(r.stdout.includes(s), `ocirt.node has ${s}`);
  }
  assert.ok(r.stdout.includes('ocirt::DecodePlan'), 'nm sees no symbols of ocirt.node');
});

test.run();

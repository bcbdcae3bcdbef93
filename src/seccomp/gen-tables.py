#!/usr/bin/python3
# Dev script, run once: regenerates the syscall tables at the end of src/seccomp/arch.ts (between
# the BEGIN/END GENERATED lines) from the installed libseccomp (Debian python3-seccomp), by
# resolving every candidate syscall number per arch to its name.
# Usage: /usr/bin/python3 src/seccomp/gen-tables.py
#
# Output (read by archCalls() in arch.ts and the walk in index.ts's archRanges()): NAMES, every
# syscall name of any arch, space separated, in first-seen order, and their count SYSCALL_NAMES
# (name indexes are below it); BASES, the arches' bases other than 0; CALLS, per arch its syscalls
# in the order of their numbers, each as its name index (two base-32 digits, '0' + 0..31) and the
# step from the previous number (one digit: step - 1; the first step is from base - 1), or the
# digit ESCAPE and four digits of number - base when the step is larger than 31.
import os, seccomp
here = os.path.dirname(os.path.abspath(__file__))
target = os.path.join(here, 'arch.ts')
bases = {'MIPS': 4000, 'MIPSEL': 4000, 'MIPS64': 5000, 'MIPSEL64': 5000, 'MIPS64N32': 6000, 'MIPSEL64N32': 6000, 'X32': 0x40000000}
extra = {'ARM': range(0x0f0000, 0x0f0010)}
ARCHS = ['X86_64', 'X86', 'X32', 'AARCH64', 'ARM', 'RISCV64', 'PPC64LE', 'PPC64', 'PPC', 'S390X', 'S390',
         'MIPS', 'MIPSEL', 'MIPS64', 'MIPSEL64', 'MIPS64N32', 'MIPSEL64N32', 'PARISC', 'PARISC64']
ESCAPE = 31

tables = {}
names, index = [], {}
for name in ARCHS:
    arch = getattr(seccomp.Arch, name)
    base = bases.get(name, 0)
    pairs = []
    for n in list(range(base, base + 1200)) + list(extra.get(name, [])):
        try:
            s = seccomp.resolve_syscall(arch, n)
        except Exception:
            continue
        if s and not s.startswith(b'UNKNOWN'):
            s = s.decode()
            assert ' ' not in s and s not in [p[0] for p in pairs], (name, s)
            pairs.append((s, n))
            if s not in index:
                index[s] = len(names)
                names.append(s)
    tables[name] = (base, pairs)
    print(name, len(pairs))
assert len(names) < 32 * 32


def digits(v, width):
    out = ''
    for _ in range(width):
        out = chr(48 + v % 32) + out
        v //= 32
    assert v == 0
    return out


out = ['/** How many distinct syscall names the tables hold (name indexes are below it). */',
       'export const SYSCALL_NAMES = %d;' % len(names), "const NAMES = '%s';" % ' '.join(names),
       'const BASES: Record<string, number> = { %s };' % ', '.join('%s: %d' % (a.lower(), b) for a, b in bases.items()),
       'const CALLS: Record<string, string> = {']
for name in ARCHS:
    base, pairs = tables[name]
    calls, prev = [], base - 1
    for s, n in sorted(pairs, key=lambda p: p[1]):
        step = n - prev
        assert step >= 1
        calls.append(digits(index[s], 2) + (digits(step - 1, 1) if step <= ESCAPE else digits(ESCAPE, 1) + digits(n - base, 4)))
        prev = n
    out.append("  %s: '%s'," % (name.lower(), ''.join(calls)))
out.append('};')

src = open(target).read()
begin = src.index('// BEGIN GENERATED')
begin = src.index('\n', begin) + 1
end = src.index('// END GENERATED')
with open(target, 'w') as f:
    f.write(src[:begin] + '\n'.join(out) + '\n' + src[end:])

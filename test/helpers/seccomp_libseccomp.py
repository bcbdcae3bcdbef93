#!/usr/bin/python3
# Builds OCI LinuxSeccomp profiles with libseccomp (Debian python3-seccomp) the way runc does
# (rules whose action is the default are dropped, unknown names skipped, native arch always in,
# several conditions on one argument split into one rule each)
# and prints each exported BPF program as hex, one per line. Input: a JSON list of profiles on stdin.
# SECCOMP_BENCH=n: times building the first one instead; SECCOMP_RESOLVE=1: syscall numbers per arch.
import json, os, statistics, sys, tempfile, time, seccomp

def action(name, errno):
    if name in ('SCMP_ACT_KILL', 'SCMP_ACT_KILL_THREAD'): return seccomp.KILL
    if name == 'SCMP_ACT_KILL_PROCESS': return seccomp.KILL_PROCESS
    if name == 'SCMP_ACT_TRAP': return seccomp.TRAP
    if name == 'SCMP_ACT_ERRNO': return seccomp.ERRNO(errno)
    if name == 'SCMP_ACT_TRACE': return seccomp.TRACE(errno)
    if name == 'SCMP_ACT_ALLOW': return seccomp.ALLOW
    if name == 'SCMP_ACT_LOG': return seccomp.LOG
    if name == 'SCMP_ACT_NOTIFY': return seccomp.NOTIFY
    raise ValueError(name)

OPS = {'SCMP_CMP_NE': seccomp.NE, 'SCMP_CMP_LT': seccomp.LT, 'SCMP_CMP_LE': seccomp.LE, 'SCMP_CMP_EQ': seccomp.EQ,
       'SCMP_CMP_GE': seccomp.GE, 'SCMP_CMP_GT': seccomp.GT, 'SCMP_CMP_MASKED_EQ': seccomp.MASKED_EQ}

def key(name, errno):
    return (name.replace('SCMP_ACT_KILL_THREAD', 'SCMP_ACT_KILL'), errno if name in ('SCMP_ACT_ERRNO', 'SCMP_ACT_TRACE') else 0)

def build(p):
    derr = p.get('defaultErrnoRet', 1) if p.get('defaultErrnoRet') is not None else 1
    f = seccomp.SyscallFilter(defaction=action(p['defaultAction'], derr))
    for a in p.get('architectures') or []:
        arch = getattr(seccomp.Arch, a[len('SCMP_ARCH_'):])
        if arch != seccomp.Arch.NATIVE and not f.exist_arch(arch):
            f.add_arch(arch)
    for s in p.get('syscalls') or []:
        err = s.get('errnoRet') if s.get('errnoRet') is not None else 1
        if key(s['action'], err) == key(p['defaultAction'], derr):
            continue
        act = action(s['action'], err)
        args = [seccomp.Arg(a['index'], OPS[a['op']], int(a['value']), int(a.get('valueTwo') or 0)) for a in (s.get('args') or [])]
        # runc: when two conditions test the same argument, each condition becomes a rule of its
        # own (ORed); otherwise one rule with all of them (ANDed).
        indexes = [a['index'] for a in (s.get('args') or [])]
        groups = [[a] for a in args] if len(set(indexes)) < len(indexes) else [args]
        for n in s['names']:
            for g in groups:
                try:
                    f.add_rule(act, n, *g)
                except (RuntimeError, ValueError, OSError):
                    # runc skips names the arch does not know; nothing else may fail silently.
                    if seccomp.resolve_syscall(seccomp.Arch.NATIVE, n) >= 0:
                        raise
    return f

def export(f):
    with tempfile.TemporaryFile() as t:
        f.export_bpf(t)
        t.seek(0)
        return t.read()

def resolve(query):
    # {"archs": [SCMP_ARCH_...], "names": [...], "numbers": {arch: [...]}} -> per arch, "byName": each
    # name's number (negative: none) and the name that number resolves back to (a multiplexer such as
    # socketcall for the socket calls of x86), and "byNumber": each number's name
    def name_of(arch, nr):
        try:
            return seccomp.resolve_syscall(arch, nr).decode()
        except Exception:
            return None
    out = {}
    for a in query['archs']:
        arch = getattr(seccomp.Arch, a[len('SCMP_ARCH_'):])
        by_name = []
        for n in query['names']:
            nr = seccomp.resolve_syscall(arch, n)
            by_name.append([nr, name_of(arch, nr) if nr >= 0 else None])
        out[a] = {'byName': by_name, 'byNumber': [name_of(arch, nr) for nr in query['numbers'][a]]}
    return out

def main():
    jobs = json.load(sys.stdin)
    if os.environ.get('SECCOMP_RESOLVE'):
        print(json.dumps(resolve(jobs)))
        return
    if os.environ.get('SECCOMP_BENCH'):
        # Median of n timed builds (build + export) after two warm-ups, and the first build after import.
        n = int(os.environ['SECCOMP_BENCH'])
        t0 = time.perf_counter()
        export(build(jobs[0]))
        first = time.perf_counter() - t0
        export(build(jobs[0]))
        times = []
        for i in range(n):
            t0 = time.perf_counter()
            prog = export(build(jobs[0]))
            times.append(time.perf_counter() - t0)
        print(json.dumps({'ms': statistics.median(times) * 1000, 'first': first * 1000, 'instructions': len(prog) // 8}))
        return
    for p in jobs:
        print(export(build(p)).hex())

main()

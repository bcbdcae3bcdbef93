#!/bin/sh
# PID 1 of the user-mode Linux guest for the cgroup v2 tests. The guest's root is the host's
# real filesystem (hostfs), so everything it writes goes to a tmpfs it mounts itself, except the
# results, which go to the host tmp dir the test made ($OCIRT_OUT, from the kernel command line).
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t cgroup2 cgroup2 /sys/fs/cgroup
mount -t tmpfs tmpfs /run
# The guest keeps only AVX state per thread (see ptrace-xstate-shim.c): keep glibc and simdutf off AVX-512.
GLIBC_TUNABLES=glibc.cpu.hwcaps=-AVX512F,-AVX512VL,-AVX512BW,-AVX512DQ,-AVX512CD,-AVX512ER,-AVX512PF
SIMDUTF_FORCE_IMPLEMENTATION=haswell
# Scratch space is the guest's own tmpfs, never the host's /tmp (which holds $OCIRT_OUT).
TMPDIR=/run
export GLIBC_TUNABLES SIMDUTF_FORCE_IMPLEMENTATION TMPDIR
node "$OCIRT_REPO/dist/test/uml/checks.js" "$OCIRT_OUT/results.json" >"$OCIRT_OUT/guest.log" 2>&1
echo "exit $?" >>"$OCIRT_OUT/guest.log"
# Halt through the kernel, not poweroff: on this host poweroff is systemctl, which (through the
# shared hostfs root) would append a shutdown record to the host's /var/log/wtmp.
echo o >/proc/sysrq-trigger

#!/bin/sh
# A systemd host for the systemd cgroup driver tests: Debian's systemd as PID 1 of a container
# with its own pid, mount, cgroup, uts and ipc namespaces. Its root is a tmpfs holding the host's
# /usr read-only, a minimal /etc whose default target starts only D-Bus, and the repository and
# the test's directory at their host paths, so that ocirt can run inside (nsenter) and talk to
# this systemd over its system bus.
#
#   host.sh start DIR MODE   MODE hybrid (v1 controllers + cgroup2) or unified (cgroup2 only);
#                            prints the host pid of the container's systemd
#   host.sh stop DIR         kills it and removes its cgroups
#
# The container's cgroups sit below this shell's own cgroup in every hierarchy, and its cgroup
# namespace is rooted there: the systemd inside can neither see nor change anything above (the
# kernel refuses release_agent and other root-only files outside the initial cgroup namespace).
set -eu
cmd=$1 dir=$2
name=ocirt-systemd-$(basename "$dir")

hierarchies() {
  # mount point and own path of every cgroup hierarchy of the host
  sed -n 's/^[^ ]* [^ ]* [^ ]* [^ ]* \([^ ]*\) .* - \(cgroup2\{0,1\}\) .*/\1/p' /proc/self/mountinfo | while read -r m; do
    if [ "$(stat -f -c %T "$m")" = cgroup2fs ]; then key=""; else key=$(basename "$m"); fi
    own=$(awk -F: -v k="$key" -v m="$m" '
      k == "" && $2 == "" {print $3; exit}
      k != "" {n = split($2, c, ","); for (i = 1; i <= n; i++) if (c[i] == k || c[i] == "name=" k) {print $3; exit}}' /proc/self/cgroup)
    [ -n "$own" ] && echo "$m$own"
  done
}

case $cmd in
start)
  mode=$3
  mkdir -p "$dir/root"
  : >"$dir/cgroups"
  for base in $(hierarchies); do
    mkdir -p "$base/$name"
    # A new v1 cpuset cgroup is empty, which refuses tasks: it takes its parent's sets.
    if [ -f "$base/cpuset.cpus" ]; then
      cat "$base/cpuset.cpus" >"$base/$name/cpuset.cpus"
      cat "$base/cpuset.mems" >"$base/$name/cpuset.mems"
    fi
    echo "$base/$name" >>"$dir/cgroups"
  done
  # Into the new cgroups, then the namespaces: the cgroup namespace is rooted at $name.
  (
    for c in $(cat "$dir/cgroups"); do echo 0 >"$c/cgroup.procs" || { echo "cannot enter $c" >&2; exit 1; }; done
    exec unshare --cgroup --mount --pid --uts --ipc --fork --propagation private \
      /bin/sh "$0" inner "$dir" "$mode" >"$dir/systemd.log" 2>&1 </dev/null
  ) &
  sh_pid=$!
  # The container's PID 1 is unshare's child (the subshell becomes unshare by exec).
  i=0
  while :; do
    pid=
    if [ "$(readlink /proc/$sh_pid/exe 2>/dev/null)" = /usr/bin/unshare ]; then
      pid=$(cat /proc/$sh_pid/task/$sh_pid/children 2>/dev/null | awk '{print $1}')
    fi
    [ -n "$pid" ] && break
    kill -0 $sh_pid 2>/dev/null || { echo "the container did not start" >&2; exit 1; }
    i=$((i + 1)); [ $i -gt 500 ] && { echo "container did not start" >&2; exit 1; }
    sleep 0.01
  done
  echo "$pid" >"$dir/pid"
  echo "$sh_pid" >"$dir/unshare-pid"
  # Ready when the system bus answers for systemd.
  i=0
  until nsenter -t "$pid" -m -p -- busctl --system call org.freedesktop.systemd1 /org/freedesktop/systemd1 org.freedesktop.DBus.Peer Ping >/dev/null 2>&1; do
    i=$((i + 1))
    if [ $i -gt 300 ] || ! kill -0 "$pid" 2>/dev/null; then echo "systemd did not come up:" >&2; tail -n 30 "$dir/systemd.log" >&2; exit 1; fi
    sleep 0.05
  done
  echo "$pid"
  ;;
inner)
  mode=$3
  r=$dir/root
  mount -t tmpfs -o mode=755 tmpfs "$r"
  mkdir -p "$r/usr" "$r/etc/systemd/system" "$r/proc" "$r/sys" "$r/dev" "$r/run" "$r/tmp" "$r/var" "$r/root" "$r/.old"
  mount --bind -o ro /usr "$r/usr"
  mount -o remount,bind,ro "$r/usr"
  for l in bin sbin lib lib64; do [ -e "/usr/$l" ] && ln -s "usr/$l" "$r/$l"; done
  # What tmpfiles (masked below) would make: /var/run is where D-Bus clients look by default.
  mkdir -p "$r/var/tmp" "$r/var/lib"
  chmod 1777 "$r/var/tmp"
  ln -s ../run "$r/var/run"
  cp /etc/passwd /etc/group /etc/nsswitch.conf "$r/etc/"
  ln -s ../usr/lib/os-release "$r/etc/os-release"
  cat /proc/sys/kernel/random/uuid | tr -d - >"$r/etc/machine-id"
  cat >"$r/etc/systemd/system/ocirt-test.target" <<'UNIT'
[Unit]
Description=ocirt systemd driver tests
Wants=dbus.socket dbus.service
UNIT
  ln -s ocirt-test.target "$r/etc/systemd/system/default.target"
  # Units that would reach beyond the container: tmpfiles would empty /tmp at boot (Debian's
  # tmp.conf; the test's directory is below it); sysctl, binfmt, modules-load and random-seed
  # write kernel-wide settings (the network and the kernel are the host's).
  for u in systemd-tmpfiles-setup.service systemd-tmpfiles-clean.timer systemd-tmpfiles-setup-dev.service \
    systemd-sysctl.service systemd-binfmt.service proc-sys-fs-binfmt_misc.automount proc-sys-fs-binfmt_misc.mount \
    systemd-modules-load.service systemd-random-seed.service kmod-static-nodes.service systemd-udevd.service \
    systemd-udev-trigger.service systemd-networkd.service systemd-resolved.service systemd-timesyncd.service; do
    ln -s /dev/null "$r/etc/systemd/system/$u"
  done
  mount -t proc proc "$r/proc"
  # Kernel-wide knobs stay out of reach, whatever a unit tries (as nspawn and runc do).
  for p in sys sysrq-trigger; do
    [ -e "$r/proc/$p" ] || continue
    mount --bind "$r/proc/$p" "$r/proc/$p"
    mount -o remount,bind,ro "$r/proc/$p"
  done
  mount -t sysfs -o ro sysfs "$r/sys"
  if [ "$mode" = unified ]; then
    mount -t cgroup2 cgroup2 "$r/sys/fs/cgroup"
  else
    mount -t tmpfs -o mode=755 tmpfs "$r/sys/fs/cgroup"
    sed -n 's/.* - cgroup [^ ]* \([^ ]*\)$/\1/p' /proc/self/mountinfo | tr , '\n' | grep -v -e '^rw$' -e '^ro$' -e '=' -e '^xattr$' -e '^clone_children$' -e '^noprefix$' | sort -u | while read -r c; do
      mkdir -p "$r/sys/fs/cgroup/$c"
      mount -t cgroup -o "$c" cgroup "$r/sys/fs/cgroup/$c"
    done
    mkdir -p "$r/sys/fs/cgroup/systemd" "$r/sys/fs/cgroup/unified"
    mount -t cgroup -o none,name=systemd cgroup "$r/sys/fs/cgroup/systemd"
    mount -t cgroup2 cgroup2 "$r/sys/fs/cgroup/unified"
  fi
  mount -t tmpfs -o mode=755 tmpfs "$r/dev"
  for d in null zero full random urandom tty; do touch "$r/dev/$d"; mount --bind "/dev/$d" "$r/dev/$d"; done
  mkdir -p "$r/dev/pts" "$r/dev/shm"
  mount -t devpts -o newinstance,ptmxmode=0666,mode=620 devpts "$r/dev/pts"
  ln -s pts/ptmx "$r/dev/ptmx"
  # The repository (ocirt, node's modules) and the test's directory, at their host paths.
  repo=$(cd "$(dirname "$0")/../.." && pwd)
  for p in "$repo" "$dir"; do mkdir -p "$r$p"; mount --bind "$p" "$r$p"; done
  mount -o remount,bind,ro "$r$repo"
  cd "$r"
  pivot_root . .old
  umount -l /.old
  rmdir /.old
  export container=ocirt
  exec /lib/systemd/systemd --log-target=console
  ;;
stop)
  pid=$(cat "$dir/pid" 2>/dev/null || true)
  [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true
  sh_pid=$(cat "$dir/unshare-pid" 2>/dev/null || true)
  i=0
  while [ -n "$sh_pid" ] && kill -0 "$sh_pid" 2>/dev/null && [ $i -lt 500 ]; do i=$((i + 1)); sleep 0.01; done
  # Deepest first; a cgroup may need a moment to empty after the kill.
  for c in $(cat "$dir/cgroups" 2>/dev/null); do
    [ -d "$c" ] || continue
    i=0
    until find "$c" -depth -type d -exec rmdir {} + 2>/dev/null; [ ! -d "$c" ]; do
      i=$((i + 1)); [ $i -gt 200 ] && { echo "cannot remove $c" >&2; break; }
      sleep 0.02
    done
  done
  ;;
esac

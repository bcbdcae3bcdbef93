import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildRootfsOps, bindSourcesToOpen, hostCgroupMounts, idmapRequests, sysctlPath, supportedMountOptions, CgroupMountHost } from '../../src/plan/rootfs';
import { MS, MOUNT_ATTR, MountBits, PivotMode, RootfsOp } from '../../src/plan/mount-ops';
import { defaultTestConfig } from '../helpers/bundle';
import type { PlanOp } from '../../src/plan/op';
import type { Mount, Spec } from '../../src/spec/types';

const K = RootfsOp;
const bundle = '/b';
const build = (mut?: (c: any) => void, opts: { noPivot?: boolean; cgroup?: CgroupMountHost } = {}): PlanOp[] => {
  const c = defaultTestConfig();
  if (mut) mut(c);
  return buildRootfsOps(c, { bundle, noPivot: !!opts.noPivot, cgroup: opts.cgroup });
};
const kinds = (ops: PlanOp[]) => ops.map((o) => o.kind);
const of = (ops: PlanOp[], kind: number) => ops.filter((o) => o.kind === kind);
const idx = (ops: PlanOp[], kind: number) => ops.findIndex((o) => o.kind === kind);
const throwsAt = (fn: () => unknown, pointer: string, re: RegExp) => {
  try {
    fn();
  } catch (e: any) {
    assert.is(e.pointer, pointer);
    assert.match(e.message, re);
    return;
  }
  assert.unreachable(`expected an error at ${pointer}`);
};

test('default config: runc order, pointers and what', () => {
  const ops = build();
  assert.is(ops[0].kind, K.OpenRootfs);
  assert.equal(ops[0].strs, ['/b/rootfs']);
  assert.is(ops[1].kind, K.RootPropagation);
  assert.equal(ops[1].ints, [MS.SLAVE | MS.REC, MS.SLAVE]);
  const mounts = of(ops, K.Mount);
  assert.equal(mounts.map((m) => m.pointer), ['/mounts/0', '/mounts/1', '/mounts/2', '/mounts/3', '/mounts/4', '/mounts/5']);
  assert.is(mounts[0].what, 'mount proc on /proc');
  // mounts, then devices, then symlinks, then the pivot
  const firstDev = idx(ops, K.Device);
  assert.ok(firstDev > ops.indexOf(mounts[5]));
  assert.equal(of(ops, K.Device).map((d) => d.strs[0]), ['/dev/null', '/dev/zero', '/dev/full', '/dev/tty', '/dev/urandom', '/dev/random']);
  assert.equal(of(ops, K.Device)[0].ints, [1, 3, 0o666, 0, 0, 'c'.charCodeAt(0), 0]);
  const links = of(ops, K.Symlink).map((s) => `${s.strs[1]}->${s.strs[0]}:${s.ints[0]}`);
  assert.equal(links, ['/dev/ptmx->pts/ptmx:1', '/dev/fd->/proc/self/fd:0', '/dev/stdin->/proc/self/fd/0:0', '/dev/stdout->/proc/self/fd/1:0', '/dev/stderr->/proc/self/fd/2:0', '/dev/core->/proc/kcore:2']);
  const pivot = idx(ops, K.Pivot);
  assert.ok(pivot > idx(ops, K.Symlink));
  assert.equal(ops[pivot].ints, [PivotMode.PivotRoot, 0]);
  // after the pivot: hostname, (sysctl), readonly paths, masks
  const after = kinds(ops.slice(pivot + 1));
  assert.equal(after, [K.Hostname, ...Array(5).fill(K.ReadonlyPath), ...Array(9).fill(K.MaskPath)]);
  assert.is(of(ops, K.ReadonlyPath)[3].pointer, '/linux/readonlyPaths/3');
  assert.is(of(ops, K.MaskPath)[8].pointer, '/linux/maskedPaths/8');
  assert.is(of(ops, K.Hostname)[0].strs[0], 'ocirt-test');
});

test('mount flags, data and bits of the default mounts', () => {
  const m = of(build(), K.Mount);
  // proc: no symlinks on the way, may sit on /proc
  assert.equal(m[0].ints, [0, 0, 0, 0, MountBits.NoSymlinks | MountBits.MayTargetProc, -1]);
  assert.equal(m[0].strs, ['proc', '/proc', 'proc', '', '']);
  // /dev tmpfs: nosuid|strictatime, data kept, mode inherited first
  assert.is(m[1].ints[0], MS.NOSUID | MS.STRICTATIME);
  assert.is(m[1].ints[4], MountBits.TmpfsInheritMode);
  assert.is(m[1].strs[3], 'mode=755,size=65536k');
  assert.is(m[2].strs[3], 'newinstance,ptmxmode=0666,mode=0620,gid=5');
  assert.is(m[2].ints[0], MS.NOSUID | MS.NOEXEC);
  // sysfs in a new netns: ro, no fallback
  assert.is(m[5].ints[0], MS.NOSUID | MS.NOEXEC | MS.NODEV | MS.RDONLY);
  assert.is(m[5].ints[4], MountBits.NoSymlinks);
});

test('no /dev mount: devices still made (runc); a /dev bind: none', () => {
  const a = build((c) => (c.mounts = c.mounts.filter((m: any) => m.destination !== '/dev')));
  assert.is(of(a, K.Device).length, 6);
  const b = build((c) => {
    c.mounts = c.mounts.filter((m: any) => m.destination !== '/dev');
    c.mounts.push({ destination: '/dev/', source: '/dev', options: ['rbind'] });
  });
  assert.is(of(b, K.Device).length, 0);
  assert.is(of(b, K.Symlink).length, 0);
});

test('linux.devices: config replaces a default of the same path, modes and owners', () => {
  const ops = build((c) => {
    c.linux.devices = [
      { path: '/dev/null', type: 'c', major: 1, minor: 3, fileMode: 0o20600, uid: 1, gid: 2 },
      { path: '/dev/fuse', type: 'u', major: 10, minor: 229 },
      { path: '/dev/ptmx', type: 'c', major: 5, minor: 2 },
      { path: '/dev/fifo', type: 'p' },
    ];
  });
  const devs = of(ops, K.Device);
  assert.equal(devs.map((d) => d.strs[0]), ['/dev/zero', '/dev/full', '/dev/tty', '/dev/urandom', '/dev/random', '/dev/null', '/dev/fuse', '/dev/fifo']);
  const nul = devs[5];
  assert.equal(nul.ints, [1, 3, 0o600, 1, 2, 'c'.charCodeAt(0), 0]);
  assert.is(nul.pointer, '/linux/devices/0');
  assert.is(devs[6].ints[5], 'c'.charCodeAt(0));
  assert.is(devs[7].ints[5], 'p'.charCodeAt(0));
});

test('user namespace: devices are bound from the host', () => {
  const ops = build((c) => c.linux.namespaces.push({ type: 'user' }));
  assert.ok(of(ops, K.Device).every((d) => d.ints[6] === 1 && d.strs[1] === d.strs[0]));
});

test('root.readonly: after the pivot and the deferred remounts, before the hostname', () => {
  const ops = build((c) => {
    c.root.readonly = true;
    c.mounts[1].options.push('ro');
  });
  const pivot = idx(ops, K.Pivot);
  assert.equal(kinds(ops.slice(pivot + 1, pivot + 4)), [K.ReadonlyPath, K.RootReadonly, K.Hostname]);
  assert.equal(ops[pivot + 1].ints, [1]);
  assert.is(ops[pivot + 1].pointer, '/mounts/1');
  assert.is(ops[pivot + 2].pointer, '/root/readonly');
  const dev = of(ops, K.Mount)[1];
  assert.ok(Number(dev.ints[4]) & MountBits.DeferRo);
});

test('tmpfs with ro is deferred; a bind with ro is not', () => {
  const ops = build((c) => {
    c.mounts.push({ destination: '/run/x', type: 'tmpfs', source: 'tmpfs', options: ['ro', 'mode=700'] });
    c.mounts.push({ destination: '/data', type: 'bind', source: 'data', options: ['rbind', 'ro', 'rro', 'rnosuid'] });
  });
  const m = of(ops, K.Mount);
  assert.ok(Number(m[6].ints[4]) & MountBits.DeferRo);
  assert.is(Number(m[6].ints[0]) & MS.RDONLY, MS.RDONLY);
  assert.equal(m[7].ints.slice(0, 5), [MS.BIND | MS.REC | MS.RDONLY, 0, MOUNT_ATTR.RDONLY | MOUNT_ATTR.NOSUID, 0, MountBits.Bind]);
  assert.equal(m[7].strs, ['/b/data', '/data', '', '', '']);
  assert.is(m[7].what, 'bind mount /b/data on /data');
  const ro = of(ops, K.ReadonlyPath).filter((o) => o.ints[0] === 1);
  assert.equal(ro.map((o) => o.pointer), ['/mounts/6']);
});

test('propagation options follow the mount flags in order', () => {
  const ops = build((c) => c.mounts.push({ destination: '/s', type: 'tmpfs', source: 'tmpfs', options: ['rshared', 'slave'] }));
  assert.equal(of(ops, K.Mount)[6].ints.slice(6), [MS.SHARED | MS.REC, MS.SLAVE]);
});

test('rootfsPropagation: flags for /, its parent and after the pivot', () => {
  const p = (v: string) => {
    const ops = build((c) => (c.linux.rootfsPropagation = v));
    return [...ops[1].ints, ops[idx(ops, K.Pivot)].ints[1]];
  };
  assert.equal(p('rprivate'), [MS.PRIVATE | MS.REC, MS.PRIVATE, 0]);
  assert.equal(p('slave'), [MS.SLAVE, MS.SLAVE, 0]);
  assert.equal(p('shared'), [MS.SHARED, MS.PRIVATE, MS.SHARED]);
  assert.equal(p('runbindable'), [MS.UNBINDABLE | MS.REC, MS.PRIVATE, MS.UNBINDABLE | MS.REC]);
  assert.is(build((c) => (c.linux.rootfsPropagation = 'shared'))[1].pointer, '/linux/rootfsPropagation');
});

test('--no-pivot: MS_MOVE + chroot; [r]private refused as in runc', () => {
  const ops = build(undefined, { noPivot: true });
  assert.equal(ops[idx(ops, K.Pivot)].ints, [PivotMode.MoveChroot, 0]);
  throwsAt(() => build((c) => (c.linux.rootfsPropagation = 'rprivate'), { noPivot: true }), '/linux/rootfsPropagation', /not safe without pivot_root/);
});

test('no mount namespace: chroot only; mounts go to the inherited namespace, masks are errors', () => {
  const bare = (c: any) => {
    c.linux.namespaces = c.linux.namespaces.filter((n: any) => n.type !== 'mount');
    c.mounts = [];
    c.linux.maskedPaths = [];
    c.linux.readonlyPaths = [];
  };
  const ops = build(bare);
  assert.equal(kinds(ops), [K.OpenRootfs, K.Pivot, K.Hostname]);
  assert.equal(ops[1].ints, [PivotMode.ChrootOnly, 0]);
  throwsAt(() => build((c) => (c.linux.namespaces = c.linux.namespaces.filter((n: any) => n.type !== 'mount'))), '/linux/maskedPaths', /mount namespace/);
  const withMounts = build((c) => (bare(c), (c.mounts = [{ destination: '/proc', type: 'proc', source: 'proc' }])));
  assert.equal(kinds(withMounts).slice(0, 1), [K.OpenRootfs]);
  assert.ok(withMounts.some((o) => o.pointer === '/mounts/0'));
});

test('sysctl: before readonlyPaths (/proc/sys), names mapped, pointers escaped', () => {
  const ops = build((c) => (c.linux.sysctl = { 'net.ipv4.ip_forward': '1', 'net/ipv4/conf/eth0.100/rp_filter': '2', 'kernel.shmmax': '9' }));
  const s = of(ops, K.Sysctl);
  assert.equal(s.map((o) => o.strs), [['sys/net/ipv4/ip_forward', '1'], ['sys/net/ipv4/conf/eth0.100/rp_filter', '2'], ['sys/kernel/shmmax', '9']]);
  assert.is(s[1].pointer, '/linux/sysctl/net~1ipv4~1conf~1eth0.100~1rp_filter');
  assert.ok(idx(ops, K.Sysctl) < idx(ops, K.ReadonlyPath));
  assert.ok(idx(ops, K.Sysctl) > idx(ops, K.Hostname));
});

test('sysctlPath: dotted and slashed forms, bad names', () => {
  assert.is(sysctlPath('net.ipv4.conf.eno2/100.rp_filter', '/p'), 'sys/net/ipv4/conf/eno2.100/rp_filter');
  assert.is(sysctlPath('net/ipv4/conf/eno2.100/rp_filter', '/p'), 'sys/net/ipv4/conf/eno2.100/rp_filter');
  assert.is(sysctlPath('kernel', '/p'), 'sys/kernel');
  for (const bad of ['kernel..x', 'net/../../etc', '.x', 'a/']) assert.throws(() => sysctlPath(bad, '/p'), /invalid sysctl name/);
});

test('hostname and domainname (their UTS namespace is semantic.ts\'s rule)', () => {
  const ops = build((c) => (c.domainname = 'example.org'));
  assert.equal(of(ops, K.Domainname)[0].strs, ['example.org']);
});

test('masked paths: duplicates dropped (by clean path)', () => {
  const ops = build((c) => (c.linux.maskedPaths = ['/proc/kcore', '/proc//kcore/', '/proc/keys']));
  assert.equal(of(ops, K.MaskPath).map((o) => o.pointer), ['/linux/maskedPaths/0', '/linux/maskedPaths/2']);
});

test('sysfs without a new network namespace falls back to binding /sys', () => {
  const ops = build((c) => (c.linux.namespaces = c.linux.namespaces.filter((n: any) => n.type !== 'network')));
  const sys = of(ops, K.Mount)[5];
  assert.ok(Number(sys.ints[4]) & MountBits.Fallback);
  assert.is(sys.strs[4], '/sys');
  const joined = build((c) => (c.linux.namespaces = c.linux.namespaces.map((n: any) => (n.type === 'network' ? { type: 'network', path: '/proc/1/ns/net' } : n))));
  assert.ok(Number(of(joined, K.Mount)[5].ints[4]) & MountBits.Fallback);
});

test('idmapped mounts: the fd and the recursive bit in the op; refusals by pointer', () => {
  const maps = [{ containerID: 0, hostID: 1000, size: 10 }];
  const ops = buildRootfsOps(
    (() => {
      const c = defaultTestConfig();
      c.mounts.push({ destination: '/a', source: '/x', options: ['bind', 'idmap'], uidMappings: maps, gidMappings: maps });
      c.mounts.push({ destination: '/b', source: '/x', options: ['rbind', 'ridmap'], uidMappings: maps, gidMappings: maps });
      return c;
    })(),
    { bundle: '/b', noPivot: false, idmapFds: new Map([[6, 41], [7, 42]]) },
  );
  const m = of(ops, K.Mount);
  assert.equal([Number(m[6].ints[4]) & (MountBits.Idmap | MountBits.IdmapRecursive), m[6].ints[5]], [MountBits.Idmap, 41]);
  assert.equal([Number(m[7].ints[4]) & (MountBits.Idmap | MountBits.IdmapRecursive), m[7].ints[5]], [MountBits.Idmap | MountBits.IdmapRecursive, 42]);
  assert.is(m[0].ints[5], -1);
  assert.equal(idmapRequests({ ociVersion: '1.3.0', mounts: [{ destination: '/a', source: '/x', options: ['bind'], uidMappings: maps, gidMappings: [{ containerID: 1, hostID: 2, size: 3 }] }] }), [{ mountIndex: 0, uidMap: '0 1000 10\n', gidMap: '1 2 3\n' }]);
  // in a container with its own user namespace: refused (the child could not attach it)
  const userns: Spec = { ociVersion: '1.3.0', linux: { namespaces: [{ type: 'user' }], uidMappings: maps, gidMappings: maps }, mounts: [{ destination: '/a', source: '/x', options: ['bind', 'idmap'] }] };
  throwsAt(() => idmapRequests(userns), '/mounts/0/options', /own user namespace are not supported:/);
  throwsAt(() => build((c) => c.mounts.push({ destination: '/x', source: '/x', options: ['rbind', 'idmap'] })), '/mounts/6/options/1', /needs a new user namespace/);
  throwsAt(() => build((c) => c.mounts.push({ destination: '/x', type: 'tmpfs', source: 't', options: ['idmap'], uidMappings: maps, gidMappings: maps })), '/mounts/6/options', /bind mounts only/);
  throwsAt(() => build((c) => c.mounts.push({ destination: '/x', source: '/x', options: ['rbind'], uidMappings: maps })), '/mounts/6/gidMappings', /go together/);
});

test('destinations: "/" refused (also "" made "/" by semantic.ts), /proc guarded', () => {
  throwsAt(() => build((c) => c.mounts.push({ destination: '//', type: 'tmpfs', source: 't' })), '/mounts/6/destination', /root of the container/);
  throwsAt(() => build((c) => c.mounts.push({ destination: '', type: 'tmpfs', source: 't' })), '/mounts/6/destination', /root of the container/);
  const lx = of(build((c) => c.mounts.push({ destination: '/proc/meminfo', source: '/var/lib/lxcfs/proc/meminfo', options: ['bind'] })), K.Mount)[6];
  assert.ok(Number(lx.ints[4]) & MountBits.MayTargetProc);
  const other = of(build((c) => c.mounts.push({ destination: '/proc/sys/x', type: 'tmpfs', source: 't' })), K.Mount)[6];
  assert.not.ok(Number(other.ints[4]) & MountBits.MayTargetProc);
  throwsAt(() => build((c) => c.mounts.push({ destination: '/x', source: '' , options: ['bind'] })), '/mounts/6/source', /needs a source/);
  throwsAt(() => build((c) => c.mounts.push({ destination: '/x' })), '/mounts/6/type', /needs a type/);
});

const cgroupMount = { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] };

test('cgroup mount on a unified host: cgroup2, falling back to a bind', () => {
  const ops = build((c) => c.mounts.push(cgroupMount), { cgroup: { layout: 'unified', v1: [], v2Dir: '/sys/fs/cgroup/ocirt/x' } });
  const m = of(ops, K.Mount)[6];
  assert.is(m.strs[2], 'cgroup2');
  assert.is(m.strs[4], '/sys/fs/cgroup/ocirt/x'); // the default config has a cgroup namespace
  assert.ok(Number(m.ints[4]) & MountBits.Fallback);
  assert.is(Number(m.ints[0]) & MS.RDONLY, MS.RDONLY);
});

test('cgroup mount on a v1 host: tmpfs, one mount per hierarchy, merged symlinks, ro deferred', () => {
  const host: CgroupMountHost = {
    layout: 'hybrid',
    v1: [
      { mountPoint: '/sys/fs/cgroup/cpu,cpuacct', controllers: ['cpu', 'cpuacct'], dir: '/sys/fs/cgroup/cpu,cpuacct/ocirt/x' },
      { mountPoint: '/sys/fs/cgroup/systemd', controllers: ['name=systemd'], dir: '/sys/fs/cgroup/systemd/ocirt/x' },
    ],
  };
  const ops = build((c) => c.mounts.push(cgroupMount), { cgroup: host });
  const m = of(ops, K.Mount).slice(6);
  assert.equal(m.map((x) => [x.strs[1], x.strs[2], x.strs[3]]), [
    ['/sys/fs/cgroup', 'tmpfs', 'mode=755'],
    ['/sys/fs/cgroup/cpu,cpuacct', 'cgroup', 'cpu,cpuacct'],
    ['/sys/fs/cgroup/systemd', 'cgroup', 'name=systemd'],
  ]);
  assert.ok(Number(m[0].ints[4]) & MountBits.DeferRo);
  assert.is(Number(m[1].ints[0]) & MS.RDONLY, MS.RDONLY);
  assert.ok(m.every((x) => x.pointer === '/mounts/6'));
  const links = of(ops, K.Symlink).filter((s) => s.pointer === '/mounts/6').map((s) => `${s.strs[1]}->${s.strs[0]}`);
  assert.equal(links, ['/sys/fs/cgroup/cpu->cpu,cpuacct', '/sys/fs/cgroup/cpuacct->cpu,cpuacct']);
  assert.ok(of(ops, K.ReadonlyPath).some((o) => o.ints[0] === 1 && o.strs[0] === '/sys/fs/cgroup'));
  // without a cgroup namespace: binds of the container's own directories
  const noNs = build((c) => {
    c.mounts.push(cgroupMount);
    c.linux.namespaces = c.linux.namespaces.filter((n: any) => n.type !== 'cgroup');
  }, { cgroup: host });
  const b = of(noNs, K.Mount)[7];
  assert.equal(b.strs.slice(0, 2), ['/sys/fs/cgroup/cpu,cpuacct/ocirt/x', '/sys/fs/cgroup/cpu,cpuacct']);
  assert.is(b.ints[4], MountBits.Bind);
});

test('hostCgroupMounts reads the layout from mountinfo', () => {
  const mi = [
    '31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755',
    '32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct',
    '40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd',
    '41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
  ].join('\n');
  const h = hostCgroupMounts({ cpu: '/sys/fs/cgroup/cpu,cpuacct/x', systemd: '/sys/fs/cgroup/systemd/x' }, '/sys/fs/cgroup', mi);
  assert.is(h.layout, 'hybrid');
  assert.equal(h.v1, [
    { mountPoint: '/sys/fs/cgroup/cpu,cpuacct', controllers: ['cpu', 'cpuacct'], dir: '/sys/fs/cgroup/cpu,cpuacct/x' },
    { mountPoint: '/sys/fs/cgroup/systemd', controllers: ['name=systemd'], dir: '/sys/fs/cgroup/systemd/x' },
  ]);
});

test('features mountOptions: the applied table, with rro, idmap and tmpcopyup', () => {
  const o = supportedMountOptions();
  for (const x of ['rro', 'rbind', 'nosymfollow', 'rshared', 'strictatime']) assert.ok(o.includes(x), x);
  for (const x of ['idmap', 'ridmap', 'tmpcopyup']) assert.ok(o.includes(x), x);
});

test('tmpcopyup: a bit on tmpfs mounts only, never in the data; a read-only root makes the cwd first', () => {
  const ops = build((c) => {
    c.mounts.push({ destination: '/x', type: 'tmpfs', source: 't', options: ['tmpcopyup', 'size=1m'] });
    c.mounts.push({ destination: '/y', type: 'bind', source: '/tmp', options: ['rbind', 'tmpcopyup'] });
    c.root.readonly = true;
    c.process.cwd = '/w/d';
  });
  const m = of(ops, K.Mount);
  assert.ok(Number(m[6].ints[4]) & MountBits.Tmpcopyup);
  assert.is(m[6].strs[3], 'size=1m');
  assert.not.ok(Number(m[7].ints[4]) & MountBits.Tmpcopyup);
  const kinds = ops.map((o) => o.kind);
  const mk = kinds.indexOf(K.MkdirInRoot);
  assert.ok(mk > kinds.indexOf(K.Pivot) && mk === kinds.indexOf(K.RootReadonly) - 1, 'after the pivot, just before / goes read-only');
  assert.equal(ops[mk].strs, ['/w/d']);
  assert.is(of(build((c) => (c.process.cwd = '/w/d')), K.MkdirInRoot).length, 0, 'a writable root leaves it to the cwd op');
});

test('bind sources ocirt opens for a user namespace: not on a read-only mount, not a recursive bind over submounts', () => {
  const mi = [
    '1 0 8:1 / / rw,relatime - ext4 /dev/sda1 rw',
    '2 1 0:5 / /ro rw,relatime - ext4 /dev/sdb ro',
    '3 1 0:6 / /ro ro,relatime - ext4 /dev/sdb ro',
    '4 1 0:7 / /data/with\\040sub/inner rw - tmpfs t rw',
  ].join('\n');
  const config = (mounts: Mount[], userns = true): Spec => ({ ociVersion: '1.3.0', mounts, linux: { namespaces: userns ? [{ type: 'user' }, { type: 'mount' }] : [{ type: 'mount' }] } });
  const mounts = [
    { destination: '/a', source: '/srv/vol', options: ['rbind'] },
    { destination: '/b', source: '/ro/vol', options: ['bind'] },
    { destination: '/c', source: '/data/with sub', options: ['rbind'] },
    { destination: '/d', source: '/data/with sub', options: ['bind'] },
    { destination: '/e', type: 'tmpfs', source: 'tmpfs' },
  ];
  const sources = new Map(mounts.map((m, i) => [i, m.source]));
  assert.equal(bindSourcesToOpen(config(mounts), sources, mi), [
    { mountIndex: 0, source: '/srv/vol', recursive: true },
    { mountIndex: 3, source: '/data/with sub', recursive: false },
  ]);
  assert.equal(bindSourcesToOpen(config(mounts, false), sources, mi), [], 'only with a new user namespace');
  const ops = buildRootfsOps(
    (() => {
      const c = defaultTestConfig();
      c.mounts.push({ destination: '/a', source: '/srv/vol', options: ['rbind'] });
      return c;
    })(),
    { bundle: '/b', noPivot: false, bindSourceFds: new Map([[6, 44]]) },
  );
  const m = of(ops, K.Mount)[6];
  assert.ok(Number(m.ints[4]) & MountBits.SourceFd);
  assert.is(m.ints[5], 44);
});

test.run();

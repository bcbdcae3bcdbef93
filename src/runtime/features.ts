/**
 * features.json (runtime-spec features.md), honest about this build and this host: every list
 * is asked of the module that implements it, never written down twice. containerd dereferences
 * `linux`, and CRI turns `mountOptions` (rro), `namespaces` (user) and idmap into Kubernetes
 * capabilities, so nothing appears here that does not work.
 */
import * as fs from 'node:fs';
import { SPEC_VERSION } from '../cli/main-constants';
import { HOOK_PHASES } from '../hooks/phases';
import { MPOL_FLAGS, MPOL_MODES, NAMESPACES } from '../plan/ops';
import type { Features } from '../spec/types';

function lsmEnabled(name: 'apparmor' | 'selinux'): boolean {
  try {
    if (name === 'apparmor') return fs.readFileSync('/sys/module/apparmor/parameters/enabled', 'utf8').trim() === 'Y';
    return fs.existsSync('/sys/fs/selinux/enforce');
  } catch {
    return false;
  }
}

export function features(): Features {
  const { supportedMountOptions } = require('../plan/rootfs') as typeof import('../plan/rootfs');
  const { seccompFeatures } = require('../seccomp') as typeof import('../seccomp');
  const { cgroupFeatures } = require('../cgroups') as typeof import('../cgroups');
  const { CAPABILITIES } = require('../spec/capabilities') as typeof import('../spec/capabilities');
  return {
    ociVersionMin: '1.0.0',
    ociVersionMax: SPEC_VERSION,
    hooks: [...HOOK_PHASES],
    mountOptions: supportedMountOptions(),
    linux: {
      namespaces: Object.keys(NAMESPACES).sort(),
      capabilities: [...CAPABILITIES],
      cgroup: cgroupFeatures(),
      seccomp: seccompFeatures(),
      apparmor: { enabled: lsmEnabled('apparmor') },
      selinux: { enabled: lsmEnabled('selinux') },
      // Not applied yet (and this project's hosts have no resctrl): a config with it is refused.
      intelRdt: { enabled: false },
      memoryPolicy: {
        modes: Object.keys(MPOL_MODES).filter((m) => m !== 'MPOL_WEIGHTED_INTERLEAVE' || fs.existsSync('/sys/kernel/mm/mempolicy/weighted_interleave')),
        flags: Object.keys(MPOL_FLAGS),
      },
      // idmap/ridmap work, and are listed in mountOptions, for containers without a user
      // namespace of their own. CRI reads this flag as "idmapped mounts for user-namespaced
      // pods", which ocirt refuses yet, so it stays false.
      mountExtensions: { idmap: { enabled: false } },
      // Moved with ip(8) and nsenter(1) (src/runtime/net-devices.ts).
      netDevices: { enabled: ['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip', '/bin/ip'].some((p) => fs.existsSync(p)) && fs.existsSync('/usr/bin/nsenter') },
    },
    annotations: {
      'org.opencontainers.runtime-spec.features.v1.ocirt.version': require('../../build-info.json').version,
    },
  };
}

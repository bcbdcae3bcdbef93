/**
 * The lifecycle's view of the cgroup drivers: open the container's cgroup from its config at
 * create, or from its record afterwards, and describe it in the record so that `state` can tell
 * `paused` with one file read and no driver.
 */
import type { ContainerRecord } from '../state/store';
import type { CgroupManager } from '../cgroups';

function cgroups(): typeof import('../cgroups') {
  return require('../cgroups');
}

export function cgroupForCreate(id: string, cgroupsPath: string | undefined, systemd: boolean): CgroupManager {
  return cgroups().openManager({ id, cgroupsPath, systemd });
}

export function cgroupOf(rec: ContainerRecord): CgroupManager {
  return (rec.cgroup && cgroups().recordedManager(rec.cgroup, undefined, !!rec.systemdCgroup)) || cgroups().openManager({ id: rec.id, cgroupsPath: rec.cgroup?.path, systemd: rec.systemdCgroup });
}

export function describeCgroup(m: CgroupManager, cgroupsPath: string): NonNullable<ContainerRecord['cgroup']> {
  return { version: m.version, path: cgroupsPath, dirs: { ...m.dirs }, freezer: m.freezerProbe };
}

/**
 * A container as commands see it: its directory, its record and its derived status, and the
 * state JSON that `state`, `list` and hooks print. Cheap: no addon, no cgroup driver.
 */
import * as fs from 'node:fs';
import { OcirtError } from '../errors';
import { containerDir } from '../state/paths';
import { ContainerRecord, readRecord } from '../state/store';
import { Status, deriveStatus } from '../state/status';

export interface Container {
  id: string;
  dir: string;
  record?: ContainerRecord;
  status: Status;
}

export function notExist(id: string): OcirtError {
  return new OcirtError(`container "${id}" does not exist`);
}

/** `locked`: the caller holds the container's lock, so no create can be in progress. */
export function loadContainer(root: string, id: string, opts: { locked?: boolean } = {}): Container {
  const dir = containerDir(root, id);
  const record = readRecord(root, id);
  if (!record && !fs.existsSync(dir)) throw notExist(id);
  return { id, dir, record, status: deriveStatus(dir, record, opts.locked ? () => false : undefined) };
}

/** The OCI state (runtime.md) plus runc's extras (rootfs, created, owner). */
export interface OciState {
  ociVersion: string;
  id: string;
  pid: number;
  status: Status;
  bundle: string;
  rootfs: string;
  created: string;
  owner: string;
  annotations?: Record<string, string>;
}

export function ociState(c: Container): OciState {
  const r = c.record;
  const st: OciState = {
    ociVersion: r?.ociVersion ?? '1.3.0',
    id: c.id,
    pid: r && (c.status === 'creating' || c.status === 'created' || c.status === 'running' || c.status === 'paused') ? r.pid : 0,
    status: c.status,
    bundle: r?.bundle ?? '',
    rootfs: r?.rootfs ?? '',
    created: r?.created ?? '',
    owner: r?.owner ?? '',
  };
  if (r?.annotations && Object.keys(r.annotations).length) st.annotations = r.annotations;
  return st;
}

/** runc's message for a command that needs another state. */
export function wrongState(c: Container, action: string): OcirtError {
  if (c.status === 'stopped') return new OcirtError(`cannot ${action} container "${c.id}": container not running`);
  return new OcirtError(`cannot ${action} container "${c.id}" in state ${c.status}`);
}

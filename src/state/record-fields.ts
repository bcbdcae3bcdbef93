/**
 * The container record (store.ts ContainerRecord) as data: its fields, their kinds and which may
 * be absent. scripts/gen-record-h.js turns this into the C header the launcher's fast path reads
 * records with (addon/fastpath.c), and the type checks below fail the TypeScript build when
 * ContainerRecord gains, loses or renames a field this table does not list, so the C reader
 * cannot drift from the record create writes. The C side answers only for records that match
 * this table exactly; any other field or kind sends the command to Node.
 */
import type { ContainerRecord } from './store';

export type FieldKind = 'string' | 'integer' | 'boolean' | 'array' | 'map' | 'object';

export interface FieldSpec {
  kind: FieldKind;
  optional?: boolean;
  /** For 'object': its fields. For 'map': values are strings. For 'array': elements of any kind. */
  fields?: Record<string, FieldSpec>;
}

const str: FieldSpec = { kind: 'string' };

const freezer = { file: str, frozen: str };
const cgroup = {
  version: { kind: 'integer' },
  path: str,
  dirs: { kind: 'map' },
  freezer: { kind: 'object', optional: true, fields: freezer },
} satisfies Record<string, FieldSpec>;
const hooks = {
  poststart: { kind: 'array', optional: true },
  poststop: { kind: 'array', optional: true },
} satisfies Record<string, FieldSpec>;

const hostMounts = {
  rootfs: str,
  keep: { kind: 'array' },
} satisfies Record<string, FieldSpec>;

export const RECORD_FIELDS = {
  ociVersion: str,
  id: str,
  pid: { kind: 'integer' },
  initStartTime: str,
  bundle: str,
  rootfs: str,
  created: str,
  owner: str,
  annotations: { kind: 'map', optional: true },
  cgroup: { kind: 'object', optional: true, fields: cgroup },
  hooks: { kind: 'object', optional: true, fields: hooks },
  systemdCgroup: { kind: 'boolean', optional: true },
  creating: { kind: 'boolean', optional: true },
  hostMounts: { kind: 'object', optional: true, fields: hostMounts },
} satisfies Record<string, FieldSpec>;

// Compile-time agreement between the table and ContainerRecord: same keys, same optional keys,
// at every level the table describes.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type OptionalKeys<T> = { [K in keyof T]-?: undefined extends T[K] ? K : never }[keyof T];
type TableOptional<T> = { [K in keyof T]: T[K] extends { optional: true } ? K : never }[keyof T];
type Agree<Table, Rec> = Same<keyof Table, keyof Rec> extends true ? Same<TableOptional<Table>, OptionalKeys<Rec>> : false;
type Cg = NonNullable<ContainerRecord['cgroup']>;

export const RECORD_TABLE_AGREES: [
  Agree<typeof RECORD_FIELDS, ContainerRecord>,
  Agree<typeof cgroup, Cg>,
  Agree<typeof freezer, NonNullable<Cg['freezer']>>,
  Agree<typeof hooks, NonNullable<ContainerRecord['hooks']>>,
  Agree<typeof hostMounts, NonNullable<ContainerRecord['hostMounts']>>,
] = [true, true, true, true, true];

/**
 * metadata.managedFields as the API server keeps it (k8s.io/apimachinery/pkg/util/managedfields):
 * one entry per manager identity, which is (manager, operation, subresource) plus the apiVersion for
 * `Update` entries; entries sorted by operation, time, manager, apiVersion, subresource; at most
 * {@link DEFAULT_MAX_UPDATE_MANAGERS} `Update` entries, older ones merged into `ancient-changes`.
 */
import type { ManagedFieldsEntry } from 'kubernetes-types/meta/v1.js';
import { compareStrings, isObject } from './go-json.js';
import { isEmptySet, sortFields, union, validateFieldsV1, type FieldsTree } from './fieldpath.js';

export type { ManagedFieldsEntry };

/** Kubernetes' DefaultMaxUpdateManagers. */
export const DEFAULT_MAX_UPDATE_MANAGERS = 10;
/** The bucket the oldest `Update` entries are merged into past the cap. */
export const ANCIENT_CHANGES_MANAGER = 'ancient-changes';

/** One decoded entry. `entry` is the original wire object, reused while nothing about it changes. */
export interface ManagerRecord {
  readonly manager: string;
  readonly operation: 'Apply' | 'Update';
  readonly apiVersion: string;
  readonly subresource: string;
  readonly time: string | undefined;
  readonly set: FieldsTree;
  readonly entry?: ManagedFieldsEntry;
}

/** Manager identity → record. */
export type Managed = Map<string, ManagerRecord>;

/**
 * BuildManagerIdentifier: the entry's JSON without fieldsType, fieldsV1, time, and without apiVersion
 * for appliers (so one applier keeps one entry across versions). Keys in ManagedFieldsEntry's order.
 */
export function managerIdentifier(e: { manager?: string; operation?: string; apiVersion?: string; subresource?: string }): string {
  const o: Record<string, string> = {};
  if (e.manager) o.manager = e.manager;
  if (e.operation) o.operation = e.operation;
  if (e.apiVersion && e.operation !== 'Apply') o.apiVersion = e.apiVersion;
  if (e.subresource) o.subresource = e.subresource;
  return JSON.stringify(o);
}

/** The fields an identifier was built from. */
export function parseIdentifier(id: string): { manager: string; operation: string; apiVersion: string; subresource: string } {
  const o = JSON.parse(id) as Record<string, string | undefined>;
  return { manager: o.manager ?? '', operation: o.operation ?? '', apiVersion: o.apiVersion ?? '', subresource: o.subresource ?? '' };
}

/** isResetManagedFields: a present but empty list, or a list holding one empty entry. */
export function isResetManagedFields(v: unknown): boolean {
  if (!Array.isArray(v)) return false;
  if (v.length === 0) return true;
  return v.length === 1 && isObject(v[0]) && Object.keys(v[0]).length === 0;
}

/** DecodeManagedFields; throws an Error (with upstream wording) on an invalid entry. */
export function decodeManagedFields(entries: unknown): Managed {
  const managed: Managed = new Map();
  if (entries === undefined || entries === null) return managed;
  if (!Array.isArray(entries)) throw new Error('managedFields must be a list');
  entries.forEach((e: unknown, i) => {
    if (!isObject(e)) throw new Error(`managed fields entry ${i} is not an object`);
    const operation = e.operation;
    if (operation !== 'Apply' && operation !== 'Update') throw new Error('operation must be `Apply` or `Update`');
    const apiVersion = typeof e.apiVersion === 'string' ? e.apiVersion : '';
    if (!apiVersion) throw new Error('apiVersion must not be empty');
    if (e.fieldsType === undefined || e.fieldsType === '') throw new Error(`missing fieldsType in managed fields entry ${i}`);
    if (e.fieldsType !== 'FieldsV1') throw new Error(`invalid fieldsType ${JSON.stringify(e.fieldsType)} in managed fields entry ${i}`);
    const manager = typeof e.manager === 'string' ? e.manager : '';
    const subresource = typeof e.subresource === 'string' ? e.subresource : '';
    let set: FieldsTree;
    try {
      set = e.fieldsV1 === undefined || e.fieldsV1 === null ? {} : validateFieldsV1(e.fieldsV1);
    } catch (err) {
      throw new Error(`error decoding versioned set from entry ${i}: error decoding set: ${(err as Error).message}`);
    }
    const time = typeof e.time === 'string' ? e.time : undefined;
    managed.set(managerIdentifier({ manager, operation, apiVersion, subresource }), {
      manager,
      operation,
      apiVersion,
      subresource,
      time,
      set,
      entry: e as ManagedFieldsEntry,
    });
  });
  return managed;
}

function seconds(time: string | undefined): number {
  if (!time) return 0;
  const ms = Date.parse(time);
  return Number.isNaN(ms) ? 0 : Math.floor(ms / 1000);
}

/** metav1.Time as serialized: RFC 3339, UTC, whole seconds. */
export function formatTime(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function encodeRecord(r: ManagerRecord): ManagedFieldsEntry {
  if (r.entry) return r.entry;
  const e: ManagedFieldsEntry = {};
  if (r.manager) e.manager = r.manager;
  e.operation = r.operation;
  e.apiVersion = r.apiVersion;
  if (r.time) e.time = r.time;
  e.fieldsType = 'FieldsV1';
  e.fieldsV1 = sortFields(r.set) as ManagedFieldsEntry['fieldsV1'];
  if (r.subresource) e.subresource = r.subresource;
  return e;
}

/** encodeManagedFields: wire entries in Kubernetes' order; undefined when there are none. */
export function encodeManagedFields(managed: Managed): ManagedFieldsEntry[] | undefined {
  if (managed.size === 0) return undefined;
  const records = [...managed.values()];
  records.sort((p, q) => {
    if (p.operation !== q.operation) return compareStrings(p.operation, q.operation);
    const ps = seconds(p.time);
    const qs = seconds(q.time);
    if (ps !== qs) return ps - qs;
    if (p.manager !== q.manager) return compareStrings(p.manager, q.manager);
    if (p.apiVersion !== q.apiVersion) return compareStrings(p.apiVersion, q.apiVersion);
    return compareStrings(p.subresource, q.subresource);
  });
  return records.map(encodeRecord);
}

/** A record with a new set (and optionally time/apiVersion); drops the cached wire entry. */
export function withSet(r: ManagerRecord, set: FieldsTree, changes: { time?: string; apiVersion?: string } = {}): ManagerRecord {
  return { manager: r.manager, operation: r.operation, apiVersion: changes.apiVersion ?? r.apiVersion, subresource: r.subresource, time: changes.time ?? r.time, set };
}

/**
 * capUpdateManagers: while more than `max` Update entries exist, the oldest are merged, per
 * apiVersion, into an `ancient-changes` bucket (which takes the time of the newest entry merged).
 */
export function capUpdateManagers(managed: Managed, max = DEFAULT_MAX_UPDATE_MANAGERS): void {
  const updaters = [...managed.entries()].filter(([, r]) => r.operation === 'Update').map(([id]) => id);
  if (updaters.length <= max) return;
  updaters.sort((a, b) => {
    const ta = seconds(managed.get(a)?.time);
    const tb = seconds(managed.get(b)?.time);
    return ta !== tb ? ta - tb : compareStrings(a, b);
  });
  const firstForVersion = new Map<string, string>();
  let length = updaters.length;
  for (let i = 0; i < updaters.length && length > max; i++) {
    const id = updaters[i] as string;
    const r = managed.get(id);
    if (!r) continue;
    const bucket = managerIdentifier({ manager: ANCIENT_CHANGES_MANAGER, operation: 'Update', apiVersion: r.apiVersion });
    const first = firstForVersion.get(r.apiVersion);
    if (first === undefined) {
      firstForVersion.set(r.apiVersion, id);
      continue;
    }
    if (!managed.has(bucket)) {
      const f = managed.get(first);
      managed.delete(first);
      if (f) managed.set(bucket, { ...withSet(f, f.set), manager: ANCIENT_CHANGES_MANAGER, subresource: '' });
    }
    const b = managed.get(bucket) as ManagerRecord;
    managed.set(bucket, { ...withSet(b, union(r.set, b.set), { time: r.time }), manager: ANCIENT_CHANGES_MANAGER, subresource: '', apiVersion: r.apiVersion });
    managed.delete(id);
    length--;
  }
}

/** Drops records whose set became empty. */
export function dropEmpty(managed: Managed): void {
  for (const [id, r] of managed) if (isEmptySet(r.set)) managed.delete(id);
}

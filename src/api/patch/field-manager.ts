/**
 * The core of Kubernetes' field manager (structured-merge-diff's Updater, wrapped the way
 * k8s.io/apimachinery/pkg/util/managedfields/internal wraps it): ownership bookkeeping for updates,
 * and the apply merge with pruning and conflict detection. Works on decoded {@link Managed} maps;
 * update-managed-fields.ts and server-side-apply.ts do the decoding, encoding and error mapping.
 */
import { isObject, jsonEqual, type JsonObject } from './go-json.js';
import {
  difference,
  intersection,
  isEmptySet,
  memberPaths,
  union,
  withoutPrefixes,
  type FieldsTree,
} from './fieldpath.js';
import { managerIdentifier, withSet, type Managed, type ManagerRecord } from './managed-fields.js';
import type { Shape } from './patch-schema.js';
import type { TypedOps } from './typed.js';

/** Paths StripMetaManager keeps out of every manager's set (exact paths, not their children). */
const STRIP_SET: FieldsTree = {
  'f:apiVersion': {},
  'f:kind': {},
  'f:metadata': {
    '.': {},
    'f:name': {},
    'f:namespace': {},
    'f:creationTimestamp': {},
    'f:selfLink': {},
    'f:uid': {},
    'f:clusterName': {},
    'f:generation': {},
    'f:managedFields': {},
    'f:resourceVersion': {},
  },
};

/** The manager SkipNonAppliedManager records existing fields under before an object's first apply. */
export const BEFORE_FIRST_APPLY_MANAGER = 'before-first-apply';

export interface FieldManagerContext {
  readonly ops: TypedOps;
  readonly shape: Shape;
  /** group/version of the request (`apps/v1`, `v1`). */
  readonly apiVersion: string;
  readonly subresource: string;
  /** Timestamp for entries touched by this operation. */
  readonly time: string;
  /** Fields the strategy resets, which nobody owns (`status` on the main resource). */
  readonly resetPaths: readonly (readonly string[])[];
}

/** One manager's conflicting path. */
export interface Conflict {
  readonly managerId: string;
  readonly path: readonly string[];
}

/** Thrown when an apply without force would change fields other managers own. */
export class ApplyConflictError extends Error {
  constructor(readonly conflicts: readonly Conflict[]) {
    super(`${conflicts.length} apply conflict(s)`);
  }
}

/** The object without metadata.managedFields (never part of ownership). */
export function withoutManagedFields(obj: unknown): JsonObject {
  if (!isObject(obj)) return {};
  const meta = obj.metadata;
  if (!isObject(meta) || !('managedFields' in meta)) return obj;
  const { managedFields: _, ...rest } = meta;
  return { ...obj, metadata: rest };
}

/**
 * A shallow copy without top-level fields nobody may own (`status`, `spec`): their changes are
 * filtered out anyway, so the comparison need not walk them (a controller's status write then costs
 * a walk of `status` only).
 */
function withoutResetTopLevel(ctx: FieldManagerContext, obj: unknown): unknown {
  if (!isObject(obj)) return obj;
  let out: JsonObject | undefined;
  for (const p of ctx.resetPaths) {
    const key = p[0];
    if (p.length !== 1 || key === undefined || !(key in obj)) continue;
    out ??= { ...obj };
    delete out[key];
  }
  return out ?? obj;
}

function strip(set: FieldsTree): FieldsTree {
  return difference(set, STRIP_SET);
}

/**
 * Ownership for a non-apply write (ManagedFieldsUpdater over Updater.Update): the fields this write
 * added or changed move to `manager`'s Update entry (merged with its previous fields, time bumped);
 * other managers lose changed and removed fields. `live` and `next` carry no managedFields.
 */
export function recordUpdate(ctx: FieldManagerContext, live: unknown, next: unknown, managed: Managed, manager: string): void {
  const cmp = ctx.ops.compare(withoutResetTopLevel(ctx, live), withoutResetTopLevel(ctx, next), ctx.shape);
  const added = withoutPrefixes(cmp.added, ctx.resetPaths);
  const modified = withoutPrefixes(cmp.modified, ctx.resetPaths);
  const removed = withoutPrefixes(cmp.removed, ctx.resetPaths);
  const changed = union(added, modified);
  // Updates run as "current-operation" with force: every existing entry, the writer's own included,
  // gives up what was changed or removed.
  if (!isEmptySet(changed) || !isEmptySet(removed)) {
    for (const [id, r] of managed) {
      const rest = difference(difference(r.set, changed), removed);
      if (rest === r.set) continue;
      if (isEmptySet(rest)) managed.delete(id);
      else managed.set(id, withSet(r, rest));
    }
  }
  const current = strip(changed);
  if (isEmptySet(current)) return;
  const id = managerIdentifier({ manager, operation: 'Update', apiVersion: ctx.apiVersion, subresource: ctx.subresource });
  const previous = managed.get(id);
  const record: ManagerRecord = previous
    ? withSet(previous, union(current, previous.set), { time: ctx.time, apiVersion: ctx.apiVersion })
    : { manager, operation: 'Update', apiVersion: ctx.apiVersion, subresource: ctx.subresource, time: ctx.time, set: current };
  managed.set(id, record);
}

/**
 * Updater.Apply: merges `applied` into `live`, prunes what the applier applied last time and no longer
 * applies (unless someone else owns it), then takes ownership of changed fields, failing with the
 * conflicts unless `force`. Returns the new object, or undefined when it equals `live` (no-op).
 * `configSet` is the applied configuration's field set.
 */
export function recordApply(
  ctx: FieldManagerContext,
  live: JsonObject,
  applied: JsonObject,
  configSet: FieldsTree,
  managed: Managed,
  manager: string,
  force: boolean,
): JsonObject | undefined {
  const id = managerIdentifier({ manager, operation: 'Apply', subresource: ctx.subresource });
  const lastSet = managed.get(id)?.set;
  let merged = (ctx.ops.merge(live, applied, ctx.shape) ?? {}) as JsonObject;
  managed.set(id, { manager, operation: 'Apply', apiVersion: ctx.apiVersion, subresource: ctx.subresource, time: managed.get(id)?.time, set: withoutPrefixes(configSet, ctx.resetPaths) });
  if (lastSet && !isEmptySet(lastSet)) merged = prune(ctx, merged, managed, lastSet);

  const cmp = ctx.ops.compare(withoutResetTopLevel(ctx, live), withoutResetTopLevel(ctx, merged), ctx.shape);
  const changed = withoutPrefixes(union(cmp.added, cmp.modified), ctx.resetPaths);
  const removed = withoutPrefixes(cmp.removed, ctx.resetPaths);
  const conflicts: Conflict[] = [];
  const taken = new Map<string, FieldsTree>();
  for (const [other, r] of managed) {
    if (other === id) continue;
    const c = intersection(r.set, changed);
    if (!isEmptySet(c)) {
      taken.set(other, c);
      for (const path of memberPaths(c)) conflicts.push({ managerId: other, path });
    }
  }
  if (conflicts.length > 0 && !force) throw new ApplyConflictError(conflicts);
  for (const [other, r] of managed) {
    if (other === id) continue;
    const rest = difference(difference(r.set, taken.get(other) ?? {}), removed);
    if (rest === r.set) continue;
    if (isEmptySet(rest)) managed.delete(other);
    else managed.set(other, withSet(r, rest));
  }
  const own = managed.get(id) as ManagerRecord;
  const stripped = strip(own.set);
  if (isEmptySet(stripped)) managed.delete(id);
  else managed.set(id, withSet(own, stripped));

  if (jsonEqual(live, merged)) return undefined;
  const mine = managed.get(id);
  if (mine) managed.set(id, withSet(mine, mine.set, { time: ctx.time }));
  return merged;
}

/**
 * Updater.prune with addBackOwnedItems and addBackDanglingItems: removes what the applier owned last
 * time (`lastSet`) and does not own now, unless another manager owns it; never removes fields the
 * applier did not own, even below a removed parent's siblings.
 */
function prune(ctx: FieldManagerContext, merged: JsonObject, managed: Managed, lastSet: FieldsTree): JsonObject {
  const { ops, shape } = ctx;
  const ensure = (s: FieldsTree) => ops.ensureNamedFieldsAreMembers(s, shape);
  const setOf = (v: unknown) => ensure(ops.fieldSet(v, shape, { allowDuplicates: true }));
  const last = ensure(lastSet);
  const pruned1 = ops.removeItems(merged, last, shape) ?? {};
  let owned: FieldsTree = {};
  for (const r of managed.values()) owned = union(owned, r.set);
  const mergedSet = setOf(merged);
  const pruned2 = ops.removeItems(merged, difference(mergedSet, union(setOf(pruned1), ensure(owned))), shape) ?? {};
  const dangling = intersection(difference(mergedSet, setOf(pruned2)), last);
  return (ops.removeItems(merged, dangling, shape) ?? {}) as JsonObject;
}

/** Runs SkipNonAppliedManager's first-apply step: existing fields go to `before-first-apply`. */
export function recordBeforeFirstApply(ctx: FieldManagerContext, live: JsonObject, managed: Managed): void {
  if (managed.size > 0) return;
  recordUpdate(ctx, {}, live, managed, BEFORE_FIRST_APPLY_MANAGER);
}

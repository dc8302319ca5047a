/**
 * managedFields bookkeeping for every non-apply write (create, update, and JSON / merge / strategic
 * patches), as the API server's FieldManager.UpdateNoErrors does it:
 * - managedFields sent by the client are used when valid and non-empty (so clients such as kubectl's
 *   client-side-apply upgrade can rewrite them), else the live object's are kept; `[]` or `[{}]`
 *   resets them; on a subresource the request's managedFields are ignored;
 * - the fields the write added or changed are recorded under `manager` with operation Update (and the
 *   subresource), other managers lose what was changed or removed;
 * - an existing object without managedFields stays untracked until its first apply (Kubernetes'
 *   SkipNonAppliedManager); new objects are always tracked;
 * - any internal failure keeps the live object's managedFields instead of failing the write.
 */
import type { KubeObject } from '../object.js';
import type { TypeSchema } from '../schema/types.js';
import { isObject, type JsonObject } from './go-json.js';
import { recordUpdate, withoutManagedFields, type FieldManagerContext } from './field-manager.js';
import { capUpdateManagers, decodeManagedFields, encodeManagedFields, formatTime, isResetManagedFields, DEFAULT_MAX_UPDATE_MANAGERS, type Managed, type ManagedFieldsEntry } from './managed-fields.js';
import { registryPatchSchema, resolverFor, type PatchSchema } from './patch-schema.js';
import { TypedOps } from './typed.js';

/** Options shared by {@link updateManagedFields} and serverSideApply. */
export interface FieldManagerOptions {
  /** The field manager (`fieldManager` query parameter, else {@link managerFromUserAgent}). */
  manager: string;
  /** group/version the request was made in: `apps/v1`, `v1`. */
  apiVersion: string;
  /** `status`, `scale`, …; empty for the main resource. */
  subresource?: string;
  /** The type of the object (schema registry), for list keys and map semantics. */
  rootType?: TypeSchema;
  schema?: PatchSchema;
  /** Clock for entry timestamps. */
  now?: Date;
  /**
   * Field paths the strategy resets and so nobody owns (Kubernetes' GetResetFields): usually
   * `[['status']]` on a main resource with a status subresource, `[['spec']]` on `/status`.
   */
  resetPaths?: readonly (readonly string[])[];
  maxUpdateManagers?: number;
}

export function contextFor(opts: FieldManagerOptions): FieldManagerContext {
  const schema = opts.schema ?? registryPatchSchema;
  const resolver = resolverFor(schema);
  return {
    ops: new TypedOps(resolver),
    shape: resolver.root(opts.rootType),
    apiVersion: opts.apiVersion,
    subresource: opts.subresource ?? '',
    time: formatTime(opts.now ?? new Date()),
    resetPaths: opts.resetPaths ?? [],
  };
}

function metaOf(obj: unknown): JsonObject | undefined {
  return isObject(obj) && isObject(obj.metadata) ? obj.metadata : undefined;
}

/** decodeLiveOrNew: which managedFields a write starts from. */
function startingManaged(live: KubeObject | undefined, next: KubeObject, ignoreRequest: boolean): Managed {
  const fromLive = () => {
    try {
      return decodeManagedFields(metaOf(live)?.managedFields);
    } catch {
      return new Map() as Managed;
    }
  };
  if (ignoreRequest) return fromLive();
  const requested = metaOf(next)?.managedFields;
  if (isResetManagedFields(requested)) return new Map();
  try {
    const m = decodeManagedFields(requested);
    if (m.size > 0) return m;
  } catch {
    // Invalid managedFields from the client: fall back to the live object's.
  }
  return fromLive();
}

/** Sets (or removes) metadata.managedFields on a copy-on-write object. */
export function withManagedFields<T extends KubeObject>(obj: T, entries: ManagedFieldsEntry[] | undefined): T {
  const meta = { ...(metaOf(obj) ?? {}) } as JsonObject;
  if (entries) meta.managedFields = entries as unknown as JsonObject[string];
  else delete meta.managedFields;
  return { ...obj, metadata: meta } as T;
}

/**
 * Returns `next` with its managedFields brought up to date for a write by `opts.manager` that turns
 * `live` (undefined for a create) into `next`. Never throws and never modifies its inputs; the result
 * is a shallow copy of `next` (new top level and metadata) whose managedFields entries may be shared
 * with `live`/`next` when unchanged, so treat them as read-only.
 */
export function updateManagedFields<T extends KubeObject>(live: KubeObject | undefined, next: T, opts: FieldManagerOptions): T {
  try {
    const ctx = contextFor(opts);
    const managed = startingManaged(live, next, ctx.subresource !== '');
    const liveBare = live ? withoutManagedFields(live) : {};
    const nextBare = withoutManagedFields(next);
    const exists = live !== undefined && typeof metaOf(live)?.uid === 'string' && metaOf(live)?.uid !== '';
    // SkipNonAppliedManager: an existing object nobody tracks stays untracked until it is applied.
    if (managed.size === 0 && exists) return withManagedFields(next, undefined);
    recordUpdate(ctx, liveBare, nextBare, managed, opts.manager);
    capUpdateManagers(managed, opts.maxUpdateManagers ?? DEFAULT_MAX_UPDATE_MANAGERS);
    return withManagedFields(next, encodeManagedFields(managed));
  } catch {
    // FieldManager.UpdateNoErrors: keep the live object's managedFields rather than fail the write.
    const kept = metaOf(live)?.managedFields;
    return withManagedFields(next, Array.isArray(kept) ? (kept as ManagedFieldsEntry[]) : undefined);
  }
}

/**
 * The manager name Kubernetes uses when a request has no `fieldManager`: the User-Agent up to the
 * first `/`, without unprintable characters, at most 128 bytes (prefixFromUserAgent).
 */
export function managerFromUserAgent(userAgent: string): string {
  const head = userAgent.split('/')[0] ?? '';
  let out = '';
  let bytes = 0;
  for (const ch of head) {
    // Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space.
    if (ch !== ' ' && !/[\p{L}\p{M}\p{N}\p{P}\p{S}]/u.test(ch)) continue;
    const len = Buffer.byteLength(ch);
    if (bytes + len > FIELD_MANAGER_MAX_LENGTH) break;
    out += ch;
    bytes += len;
  }
  return out;
}

/** apimachinery validation.FieldManagerMaxLength. */
export const FIELD_MANAGER_MAX_LENGTH = 128;

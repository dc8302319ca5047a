/**
 * Server-side apply (`application/apply-patch+yaml`), as Kubernetes' FieldManager.Apply with its
 * default wrappers does it:
 * - the applied object must have the endpoint's apiVersion and kind (400 `invalid object type: …`)
 *   and no metadata.managedFields (400);
 * - before the first apply of an object nobody tracks, its fields go to `before-first-apply`;
 * - the applied configuration is merged into the live object following list types and map types,
 *   fields the manager applied before and no longer applies are removed unless someone else owns
 *   them, and fields whose value changes while another manager owns them are conflicts: a 409 listing
 *   them, unless `force`, which takes ownership instead;
 * - for the manager `kubectl`, conflicts on fields still as the last client-side apply left them
 *   (the `kubectl.kubernetes.io/last-applied-configuration` annotation) are forced, and that
 *   annotation, when present, is rewritten to the applied configuration (LastAppliedManager and
 *   LastAppliedUpdater: the client-side → server-side apply upgrade path).
 */
import { parseAllDocuments } from 'yaml';
import type { GroupVersionKind } from '../schema/types.js';
import type { KubeObject } from '../object.js';
import { StatusError, badRequest } from '../errors.js';
import { cloneJson, goJson, isObject, jsonKindWord, type JsonObject } from './go-json.js';
import { difference, hasPath, pathToString, type FieldsTree } from './fieldpath.js';
import { ApplyConflictError, recordApply, recordBeforeFirstApply, withoutManagedFields, type Conflict, type FieldManagerContext } from './field-manager.js';
import { capUpdateManagers, decodeManagedFields, encodeManagedFields, parseIdentifier, DEFAULT_MAX_UPDATE_MANAGERS, type Managed, type ManagedFieldsEntry } from './managed-fields.js';
import { TypedValueError } from './typed.js';
import { contextFor, withManagedFields, type FieldManagerOptions } from './update-managed-fields.js';

/** The annotation kubectl's client-side apply keeps. */
export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';
/** The manager name kubectl uses for `apply --server-side` (the only one the upgrade logic serves). */
export const KUBECTL_APPLY_MANAGER = 'kubectl';
/** apimachinery's TotalAnnotationSizeLimitB. */
export const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;

export interface ServerSideApplyOptions extends Omit<FieldManagerOptions, 'apiVersion'> {
  /** The stored object, or undefined when the apply creates it. */
  live: KubeObject | undefined;
  /** The decoded request body (see {@link parseApplyPatch}). */
  applied: unknown;
  /** `force=true`: take ownership of conflicting fields instead of failing. */
  force?: boolean;
  /** The kind served at the endpoint. */
  gvk: GroupVersionKind;
}

export interface ServerSideApplyResult {
  /** The new object, managedFields included (not yet defaulted or validated). */
  object: KubeObject;
  managedFields: ManagedFieldsEntry[];
  /** False when the apply changed nothing but (possibly) ownership. */
  changed: boolean;
}

/** GroupVersionKind.String(): `apps/v1, Kind=Deployment`, `/v1, Kind=Pod`. */
export function gvkString(gvk: GroupVersionKind): string {
  return `${gvk.group}/${gvk.version}, Kind=${gvk.kind}`;
}

function gvkOf(obj: JsonObject): GroupVersionKind {
  const apiVersion = typeof obj.apiVersion === 'string' ? obj.apiVersion : '';
  const slash = apiVersion.indexOf('/');
  return {
    group: slash < 0 ? '' : apiVersion.slice(0, slash),
    version: slash < 0 ? apiVersion : apiVersion.slice(slash + 1),
    kind: typeof obj.kind === 'string' ? obj.kind : '',
  };
}

/**
 * Decodes an apply body (YAML, of which JSON is a subset) the way sigs.k8s.io/yaml does: YAML 1.1
 * scalars, first document only. `strict` (fieldValidation=Strict) rejects duplicate keys.
 */
export function parseApplyPatch(body: string | Uint8Array, opts: { strict?: boolean } = {}): JsonObject {
  const text = typeof body === 'string' ? body : Buffer.from(body).toString('utf8');
  const docs = parseAllDocuments(text, { version: '1.1', merge: true, uniqueKeys: opts.strict ?? false });
  const first = Array.isArray(docs) ? docs[0] : undefined;
  if (first && first.errors.length > 0) {
    const msg = first.errors[0]?.message ?? 'invalid YAML';
    throw badRequest(`${opts.strict ? 'error strict decoding YAML' : 'error decoding YAML'}: ${msg}`);
  }
  const value: unknown = first ? first.toJS({ maxAliasCount: 100 }) : null;
  if (value === null || value === undefined) return {};
  if (!isObject(value)) {
    throw badRequest(`error decoding YAML: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal ${jsonKindWord(value)} into Go value of type map[string]interface {}`);
  }
  return value;
}

/** printManager: `"name"`, `"name" with subresource "status"`, `"name" using apps/v1`. */
function printManager(id: string): string {
  let m: ReturnType<typeof parseIdentifier>;
  try {
    m = parseIdentifier(id);
  } catch {
    return JSON.stringify(id);
  }
  let s = JSON.stringify(m.manager);
  if (m.subresource) s += ` with subresource ${JSON.stringify(m.subresource)}`;
  if (m.operation === 'Update') s += ` using ${m.apiVersion}`;
  return s;
}

/** The 409 Kubernetes returns for apply conflicts (NewConflictError), causes per path. */
export function applyConflictStatus(conflicts: readonly Conflict[]): StatusError {
  const sorted = [...conflicts].sort((a, b) => (a.managerId < b.managerId ? -1 : a.managerId > b.managerId ? 1 : 0));
  const causes = sorted.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with ${printManager(c.managerId)}`, field: pathToString(c.path) }));
  let message: string;
  if (sorted.length === 1) {
    const c = sorted[0] as Conflict;
    message = `Apply failed with 1 conflict: conflict with ${printManager(c.managerId)}: ${pathToString(c.path)}`;
  } else {
    const lines: string[] = [];
    let current: string | undefined;
    for (const c of sorted) {
      if (c.managerId !== current) {
        current = c.managerId;
        lines.push(`conflicts with ${printManager(c.managerId)}:`);
      }
      lines.push(`- ${pathToString(c.path)}`);
    }
    message = `Apply failed with ${sorted.length} conflicts: ${lines.join('\n')}`;
  }
  return new StatusError(409, 'Conflict', message, { causes });
}

function typedError(obj: JsonObject, gvk: GroupVersionKind, what: string, err: Error): StatusError {
  const meta = isObject(obj.metadata) ? obj.metadata : {};
  const nn = `${typeof meta.namespace === 'string' ? meta.namespace : ''}/${typeof meta.name === 'string' ? meta.name : ''}`;
  return new StatusError(500, '', `failed to create typed ${what} object (${nn}; ${gvkString(gvk)}): ${err.message}`);
}

/**
 * Applies `opts.applied` for `opts.manager`. Returns the merged object with its managedFields, or
 * throws a StatusError: 400 for a malformed or mismatched body, 409 for conflicts, 500 where
 * Kubernetes reports a plain error (an applied list with duplicate or missing keys).
 */
export function serverSideApply(opts: ServerSideApplyOptions): ServerSideApplyResult {
  const applied = opts.applied;
  if (!isObject(applied)) {
    throw badRequest(`error decoding YAML: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal ${jsonKindWord(applied)} into Go value of type map[string]interface {}`);
  }
  const appliedGvk = gvkOf(applied);
  const { gvk } = opts;
  if (appliedGvk.group !== gvk.group || appliedGvk.version !== gvk.version || appliedGvk.kind !== gvk.kind) {
    throw badRequest(`invalid object type: ${gvkString(appliedGvk)}`);
  }
  if (isObject(applied.metadata) && applied.metadata.managedFields !== undefined && applied.metadata.managedFields !== null) {
    throw badRequest('metadata.managedFields must be nil');
  }
  const apiVersion = gvk.group ? `${gvk.group}/${gvk.version}` : gvk.version;
  const ctx = contextFor({ ...opts, apiVersion });
  const live = opts.live ? withoutManagedFields(opts.live) : {};
  let decoded: Managed;
  try {
    decoded = decodeManagedFields(isObject(opts.live?.metadata) ? opts.live.metadata.managedFields : undefined);
  } catch (e) {
    throw new StatusError(500, '', `failed to decode managed fields: ${(e as Error).message}`);
  }
  let configSet: FieldsTree;
  try {
    configSet = ctx.ops.fieldSet(applied, ctx.shape, { allowDuplicates: false });
  } catch (e) {
    if (e instanceof TypedValueError) throw typedError(applied, gvk, 'patch', e);
    throw e;
  }
  try {
    ctx.ops.fieldSet(live, ctx.shape, { allowDuplicates: true });
  } catch (e) {
    if (e instanceof TypedValueError) throw typedError(live, gvk, 'live', e);
    throw e;
  }

  const attempt = (force: boolean) => {
    const managed: Managed = new Map(decoded);
    recordBeforeFirstApply(ctx, live, managed);
    const merged = recordApply(ctx, live, applied, configSet, managed, opts.manager, force);
    capUpdateManagers(managed, opts.maxUpdateManagers ?? DEFAULT_MAX_UPDATE_MANAGERS);
    return { merged, managed };
  };

  let outcome: ReturnType<typeof attempt>;
  try {
    outcome = attempt(opts.force ?? false);
  } catch (e) {
    if (!(e instanceof ApplyConflictError)) throw e;
    if (opts.manager !== KUBECTL_APPLY_MANAGER) throw applyConflictStatus(e.conflicts);
    const allowed = allowedConflictsFromLastApplied(ctx, live);
    const remaining = allowed ? e.conflicts.filter((c) => !hasPath(allowed, c.path)) : e.conflicts;
    if (remaining.length > 0) throw applyConflictStatus(remaining);
    outcome = attempt(true);
  }

  let object: JsonObject = outcome.merged ?? live;
  if (opts.manager === KUBECTL_APPLY_MANAGER) object = syncLastApplied(object, applied);
  const changed = outcome.merged !== undefined || object !== live;
  // The merge shares unchanged subtrees with the live object; hand back a private copy, since the
  // API server goes on to default and edit it.
  const managedFields = cloneJson(encodeManagedFields(outcome.managed) ?? []);
  return {
    object: withManagedFields(cloneJson(object) as KubeObject, managedFields.length > 0 ? managedFields : undefined),
    managedFields,
    changed,
  };
}

/**
 * The fields the last client-side apply set that still hold the values it set: kubectl may take them
 * over without conflicts (lastAppliedManager.allowedConflictsFromLastApplied).
 */
function allowedConflictsFromLastApplied(ctx: FieldManagerContext, live: JsonObject): FieldsTree | undefined {
  const annotations = isObject(live.metadata) && isObject(live.metadata.annotations) ? live.metadata.annotations : undefined;
  const raw = annotations?.[LAST_APPLIED_ANNOTATION];
  if (typeof raw !== 'string' || raw === '') return undefined;
  try {
    const last = JSON.parse(raw) as unknown;
    if (!isObject(last) || last.apiVersion !== ctx.apiVersion) return undefined;
    const set = ctx.ops.fieldSet(last, ctx.shape, { allowDuplicates: false });
    const cmp = ctx.ops.compare(last, live, ctx.shape);
    return difference(difference(difference(set, cmp.modified), cmp.added), cmp.removed);
  } catch {
    return undefined;
  }
}

/** LastAppliedUpdater: rewrites an existing last-applied annotation to the applied configuration. */
function syncLastApplied(obj: JsonObject, applied: JsonObject): JsonObject {
  const meta = isObject(obj.metadata) ? obj.metadata : undefined;
  const annotations = meta && isObject(meta.annotations) ? meta.annotations : undefined;
  const current = annotations?.[LAST_APPLIED_ANNOTATION];
  if (!meta || !annotations || typeof current !== 'string' || current === '') return obj;
  const next: Record<string, unknown> = { ...annotations, [LAST_APPLIED_ANNOTATION]: buildLastApplied(applied) };
  let size = 0;
  for (const [k, v] of Object.entries(next)) size += Buffer.byteLength(k) + (typeof v === 'string' ? Buffer.byteLength(v) : 0);
  if (size > TOTAL_ANNOTATION_SIZE_LIMIT) delete next[LAST_APPLIED_ANNOTATION];
  return { ...obj, metadata: { ...meta, annotations: next as JsonObject } };
}

/** The applied object without the annotation itself, as Go's JSON encoder writes it (with "\n"). */
export function buildLastApplied(applied: Readonly<Record<string, unknown>>): string {
  let copy = applied;
  const meta = isObject(applied.metadata) ? applied.metadata : undefined;
  if (meta && isObject(meta.annotations) && LAST_APPLIED_ANNOTATION in meta.annotations) {
    const { [LAST_APPLIED_ANNOTATION]: _, ...rest } = meta.annotations;
    copy = { ...applied, metadata: { ...meta, annotations: rest } };
  }
  return `${goJson(copy)}\n`;
}

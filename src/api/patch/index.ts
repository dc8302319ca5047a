/**
 * Every PATCH type the Kubernetes API accepts, as pure functions for the API server:
 *
 * | Content-Type                              | function                                   |
 * |-------------------------------------------|--------------------------------------------|
 * | `application/json-patch+json`             | {@link applyJsonPatch}                     |
 * | `application/merge-patch+json`            | {@link applyMergePatch}                    |
 * | `application/strategic-merge-patch+json`  | {@link applyStrategicMergePatch}           |
 * | `application/apply-patch+yaml`            | {@link serverSideApply} (+ {@link parseApplyPatch}) |
 *
 * After a JSON, merge or strategic patch (and on every create and update) the API server calls
 * {@link updateManagedFields} so managedFields stay right; server-side apply maintains them itself.
 * None of these functions does I/O or modifies its arguments; errors are StatusErrors with the codes
 * Kubernetes uses.
 */
import { badRequest } from '../errors.js';
import type { TypeSchema } from '../schema/types.js';
import { applyJsonPatch } from './json-patch.js';
import { applyMergePatch } from './merge-patch.js';
import { applyStrategicMergePatch } from './strategic-merge-patch.js';
import type { PatchSchema } from './patch-schema.js';

export { applyJsonPatch, MAX_JSON_PATCH_OPERATIONS, JSON_PATCH_INVALID_MESSAGE, type JsonPatchOperation } from './json-patch.js';
export { applyMergePatch } from './merge-patch.js';
export { applyStrategicMergePatch } from './strategic-merge-patch.js';
export {
  serverSideApply,
  parseApplyPatch,
  applyConflictStatus,
  buildLastApplied,
  gvkString,
  LAST_APPLIED_ANNOTATION,
  KUBECTL_APPLY_MANAGER,
  type ServerSideApplyOptions,
  type ServerSideApplyResult,
} from './server-side-apply.js';
export { updateManagedFields, managerFromUserAgent, FIELD_MANAGER_MAX_LENGTH, type FieldManagerOptions } from './update-managed-fields.js';
export { DEFAULT_MAX_UPDATE_MANAGERS, type ManagedFieldsEntry } from './managed-fields.js';
export { BEFORE_FIRST_APPLY_MANAGER } from './field-manager.js';
export { registryPatchSchema, schemaFromTypes, rootTypeForKind, LIST_MAP_KEY_DEFAULTS, type PatchSchema } from './patch-schema.js';

/** The patch media types, as sent in Content-Type. */
export const PATCH_CONTENT_TYPES = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
} as const;

export type PatchType = keyof typeof PATCH_CONTENT_TYPES;

/** Reset fields for the usual strategies (GetResetFields): status on the main resource, spec on /status. */
export const MAIN_RESOURCE_RESET_PATHS: readonly (readonly string[])[] = [['status']];
export const STATUS_SUBRESOURCE_RESET_PATHS: readonly (readonly string[])[] = [['spec']];

/** The patch type of a Content-Type header (parameters ignored), or undefined (→ 415). */
export function patchTypeOf(contentType: string | undefined): PatchType | undefined {
  const media = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  for (const [type, ct] of Object.entries(PATCH_CONTENT_TYPES)) if (ct === media) return type as PatchType;
  return undefined;
}

/** Decodes a JSON patch body (json, merge, strategic); syntax errors are 400 as Kubernetes reports them. */
export function parsePatchBody(type: Exclude<PatchType, 'apply'>, body: string | Uint8Array): unknown {
  const text = typeof body === 'string' ? body : Buffer.from(body).toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    const msg = (e as Error).message;
    throw badRequest(type === 'merge' ? `error decoding patch: ${msg}` : msg);
  }
}

/** Applies a decoded JSON, merge or strategic merge patch to `doc`. */
export function applyPatch<T>(type: Exclude<PatchType, 'apply'>, doc: T, patch: unknown, opts: { rootType?: TypeSchema; schema?: PatchSchema } = {}): T {
  switch (type) {
    case 'json':
      return applyJsonPatch(doc, patch);
    case 'merge':
      return applyMergePatch(doc, patch);
    case 'strategic':
      return applyStrategicMergePatch(doc, patch, opts.rootType, opts.schema);
  }
}

/**
 * `application/merge-patch+json` (RFC 7386) as the Kubernetes API server applies it with
 * evanphx/json-patch's MergePatch: objects merge recursively, `null` deletes a key, everything else
 * (arrays included) replaces. Nulls inside newly added objects are pruned, also inside objects held
 * by arrays (the library's pruneNulls), while null array elements are kept.
 *
 * Errors: a body that is not a JSON object is rejected with 400 as Kubernetes does when it decodes the
 * patch into `map[string]interface{}` (fieldValidation Strict/Warn, kubectl's default), and a `null`
 * body is the library's ErrBadJSONPatch ("Invalid JSON Patch").
 */
import { badRequest } from '../errors.js';
import { cloneJson, isObject, jsonKindWord, type JsonObject } from './go-json.js';

/** evanphx/json-patch's ErrBadJSONPatch message. */
export const BAD_JSON_PATCH_MESSAGE = 'Invalid JSON Patch';

/** Applies a JSON merge patch and returns the merged copy; neither argument is modified. */
export function applyMergePatch<T>(doc: T, patch: unknown): T {
  if (patch === null || patch === undefined) throw badRequest(BAD_JSON_PATCH_MESSAGE);
  if (!isObject(patch)) {
    throw badRequest(`error decoding patch: json: cannot unmarshal ${jsonKindWord(patch)} into Go value of type map[string]interface {}`);
  }
  // The result must not share structure with the input: callers go on to edit it (metadata, status).
  const base = isObject(doc) ? cloneJson(doc as JsonObject) : {};
  return mergeObjects(base, patch) as T;
}

/** Merges `patch` into `out` in place (`out` is a private copy). */
function mergeObjects(out: JsonObject, patch: JsonObject): JsonObject {
  for (const key of Object.keys(patch)) {
    const pv = patch[key];
    if (pv === null || pv === undefined) {
      delete out[key];
      continue;
    }
    const dv = out[key];
    if (isObject(pv) && isObject(dv)) {
      out[key] = mergeObjects(dv, pv);
    } else {
      out[key] = pruneNulls(pv);
    }
  }
  return out;
}

/** A copy of a patch value with null object members removed at every depth (pruneNulls). */
function pruneNulls<T>(v: T): T {
  if (Array.isArray(v)) return v.map((e: unknown) => (e === null ? null : pruneNulls(e))) as T;
  if (!isObject(v)) return cloneJson(v);
  const out: JsonObject = {};
  for (const k of Object.keys(v)) {
    const e = v[k];
    if (e !== null && e !== undefined) out[k] = pruneNulls(e);
  }
  return out as T;
}

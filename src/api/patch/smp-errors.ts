/**
 * Strategic merge patch errors with the HTTP mapping of the API server's
 * interpretStrategicMergePatchError: malformed directives are 400 BadRequest; "lists of lists" and
 * "patch content doesn't match retainKeys list" are 422 built by NewGenericServerResponse (whose
 * message is fixed); every other error is a plain Go error, which the API server serves as a 500 with
 * an empty reason and the error text (kubectl prints `Error from server: <text>`).
 */
import { StatusError, badRequest } from '../errors.js';
import { goFormat, goTypeName } from './go-json.js';
import { JSON_PATCH_INVALID_MESSAGE } from './json-patch.js';

/** apimachinery/pkg/util/mergepatch error texts. */
export const SMP_ERRORS = {
  badJSONDoc: 'invalid JSON document',
  noListOfLists: 'lists of lists are not supported',
  badPatchFormatForPrimitiveList: 'invalid patch format of primitive list',
  badPatchFormatForRetainKeys: 'invalid patch format of retainKeys',
  badPatchFormatForSetElementOrderList: 'invalid patch format of setElementOrder list',
  patchContentNotMatchRetainKeys: "patch content doesn't match retainKeys list",
} as const;

/** 400 for a malformed directive. */
export function smpBadRequest(message: string): StatusError {
  return badRequest(message);
}

/** 422 with NewGenericServerResponse's fixed message; the specific text is kept as `cause`. */
export function smpInvalid(detail: string): StatusError {
  const err = new StatusError(422, 'Invalid', JSON_PATCH_INVALID_MESSAGE, {});
  (err as Error).cause = new Error(detail);
  return err;
}

/** A plain Go error surfacing as 500 with no reason. */
export function smpInternal(message: string): StatusError {
  return new StatusError(500, '', message);
}

/** mergepatch.ErrNoMergeKey. */
export function errNoMergeKey(m: unknown, key: string): StatusError {
  return smpInternal(`map: ${goFormat(m)} does not contain declared merge key: ${key}`);
}

/** mergepatch.ErrBadArgType. */
export function errBadArgType(expected: 'map' | 'slice', actual: unknown): StatusError {
  const want = expected === 'map' ? 'map[string]interface {}' : '[]interface {}';
  return smpInternal(`expected a ${want}, but received a ${goTypeName(actual)}`);
}

/** mergepatch.ErrBadPatchType. */
export function errBadPatchType(directive: unknown, m: unknown): StatusError {
  return smpInternal(`unknown patch type: ${goFormat(directive)} in map: ${goFormat(m)}`);
}

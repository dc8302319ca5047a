/**
 * `application/json-patch+json` (RFC 6902) as the Kubernetes API server applies it: with
 * gopkg.in/evanphx/json-patch.v4, whose behaviour (including its quirks) clients have come to rely on.
 *
 * Errors as Kubernetes reports them (staging/src/k8s.io/apiserver/pkg/endpoints/handlers/patch.go):
 * - a body that is not a list of operations → 400 BadRequest with the decoder's message;
 * - more than {@link MAX_JSON_PATCH_OPERATIONS} operations → 413;
 * - any operation that fails (a failed `test`, a missing path, a bad index) → 422 Invalid built with
 *   `NewGenericServerResponse`, whose message is the fixed "the server rejected our request due to an
 *   error in our request": the library's own wording never reaches the client. We keep it as the
 *   error's `cause` for logs.
 */
import { StatusError, badRequest } from '../errors.js';
import { cloneJson, isObject, jsonEqual, jsonKindWord } from './go-json.js';

/** Kubernetes' `maxJSONPatchOperations`. */
export const MAX_JSON_PATCH_OPERATIONS = 10000;

/** One RFC 6902 operation as sent on the wire. */
export interface JsonPatchOperation {
  op: string;
  path: string;
  from?: string;
  value?: unknown;
}

/** The message NewGenericServerResponse gives every 422. */
export const JSON_PATCH_INVALID_MESSAGE = 'the server rejected our request due to an error in our request';

class PatchFailure extends Error {}

type Container = Record<string, unknown> | unknown[];

/**
 * Applies an RFC 6902 patch to a document and returns the patched copy; `doc` is not modified.
 * `ops` is the decoded request body (anything: it is validated here).
 */
export function applyJsonPatch<T>(doc: T, ops: unknown): T {
  const patch = decodeJsonPatch(ops);
  let root = cloneJson(doc) as unknown;
  if (typeof root !== 'object' || root === null) throw applyFailed('document is not an object or array');
  try {
    for (const op of patch) root = applyOne(root as Container, op);
  } catch (e) {
    if (e instanceof PatchFailure) throw applyFailed(e.message);
    throw e;
  }
  return root as T;
}

function applyFailed(detail: string): StatusError {
  const err = new StatusError(422, 'Invalid', JSON_PATCH_INVALID_MESSAGE, {});
  (err as Error).cause = new Error(detail);
  return err;
}

/** Checks the body's shape the way `jsonpatch.DecodePatch` (encoding/json into []map) does. */
export function decodeJsonPatch(ops: unknown): Record<string, unknown>[] {
  if (!Array.isArray(ops)) {
    if (ops === null) return [];
    throw badRequest(`json: cannot unmarshal ${jsonKindWord(ops)} into Go value of type jsonpatch.Patch`);
  }
  for (const op of ops) {
    if (op !== null && !isObject(op)) {
      throw badRequest(`json: cannot unmarshal ${jsonKindWord(op)} into Go value of type jsonpatch.Operation`);
    }
  }
  if (ops.length > MAX_JSON_PATCH_OPERATIONS) {
    throw new StatusError(
      413,
      'RequestEntityTooLarge',
      `Request entity too large: The allowed maximum operations in a JSON patch is ${MAX_JSON_PATCH_OPERATIONS}, got ${ops.length}`,
    );
  }
  return ops.map((o) => (o ?? {}) as Record<string, unknown>);
}

function stringField(op: Record<string, unknown>, name: string): string | undefined {
  const v = op[name];
  return typeof v === 'string' ? v : undefined;
}

/** Applies one operation; returns the (possibly replaced) root. */
function applyOne(root: Container, op: Record<string, unknown>): Container {
  const kind = stringField(op, 'op') ?? 'unknown';
  switch (kind) {
    case 'add':
      add(root, requirePath(op, 'add operation failed to decode path'), valueOf(op));
      break;
    case 'remove':
      remove(root, requirePath(op, 'remove operation failed to decode path'));
      break;
    case 'replace': {
      const path = requirePath(op, 'replace operation failed to decode path');
      const value = valueOf(op);
      // v4 lets `replace` with the empty path swap the whole document for an object or array.
      if (path === '') {
        if (typeof value !== 'object' || value === null) throw new PatchFailure('replace operation value must be object or array');
        return value as Container;
      }
      replace(root, path, value);
      break;
    }
    case 'move':
      move(root, op);
      break;
    case 'copy':
      copy(root, op);
      break;
    case 'test':
      test(root, requirePath(op, 'test operation failed to decode path'), op);
      break;
    default:
      throw new PatchFailure(`Unexpected kind: ${kind}`);
  }
  return root;
}

function requirePath(op: Record<string, unknown>, message: string, field = 'path'): string {
  const p = stringField(op, field);
  if (p === undefined) throw new PatchFailure(`${message}: missing value`);
  return p;
}

/** A missing `value` is a JSON null in v4 (the raw message pointer is nil). */
function valueOf(op: Record<string, unknown>): unknown {
  return op.value === undefined ? null : cloneJson(op.value);
}

/** RFC 6901 token decoding: `~1` → `/`, then `~0` → `~`, in one left-to-right pass. */
function decodeToken(t: string): string {
  return t.indexOf('~') < 0 ? t : t.replace(/~[01]/g, (m) => (m === '~1' ? '/' : '~'));
}

/**
 * v4's findObject: the first segment is ignored (so a path must start with `/` to mean the root), every
 * middle segment must lead to an object or array, and the last one is the key to act on.
 */
function findObject(root: Container, path: string): { con: Container; key: string } | undefined {
  const split = path.split('/');
  if (split.length < 2) return undefined;
  let con: Container = root;
  for (let i = 1; i < split.length - 1; i++) {
    const next = get(con, decodeToken(split[i] ?? ''));
    if (next === undefined || next === null || typeof next !== 'object') return undefined;
    con = next as Container;
  }
  return { con, key: decodeToken(split[split.length - 1] ?? '') };
}

/** Go's strconv.Atoi: optional sign, decimal digits only. */
function atoi(key: string): number | undefined {
  return /^[+-]?\d+$/.test(key) ? Number(key) : undefined;
}

function index(key: string): number {
  const i = atoi(key);
  if (i === undefined) throw new PatchFailure(`strconv.Atoi: parsing ${JSON.stringify(key)}: invalid syntax`);
  return i;
}

/** Reads a child; `undefined` when absent (an out-of-range array index is an error, as in v4). */
function get(con: Container, key: string): unknown {
  if (!Array.isArray(con)) return Object.prototype.hasOwnProperty.call(con, key) ? con[key] : undefined;
  const i = atoi(key);
  if (i === undefined || i < 0) return undefined;
  if (i >= con.length) throw new PatchFailure(`Unable to access invalid index: ${i}: invalid index referenced`);
  return con[i];
}

function insert(con: Container, key: string, value: unknown, path: string): void {
  if (!Array.isArray(con)) {
    con[key] = value;
    return;
  }
  if (key === '-') {
    con.push(value);
    return;
  }
  let i: number;
  try {
    i = index(key);
  } catch (e) {
    throw new PatchFailure(`error in add for path: '${path}': value was not a proper array index: '${key}': ${(e as Error).message}`);
  }
  // v4 accepts negative indices counted from the end (SupportNegativeIndices defaults to true).
  const size = con.length + 1;
  if (i >= size || i < -size) throw new PatchFailure(`error in add for path: '${path}': Unable to access invalid index: ${i}: invalid index referenced`);
  if (i < 0) i += size;
  con.splice(i, 0, value);
}

function add(root: Container, path: string, value: unknown): void {
  const found = findObject(root, path);
  if (!found) throw new PatchFailure(`add operation does not apply: doc is missing path: "${path}": missing value`);
  insert(found.con, found.key, value, path);
}

function removeKey(con: Container, key: string, path: string): unknown {
  if (!Array.isArray(con)) {
    if (!Object.prototype.hasOwnProperty.call(con, key)) {
      throw new PatchFailure(`error in remove for path: '${path}': Unable to remove nonexistent key: ${key}: missing value`);
    }
    const v = con[key];
    delete con[key];
    return v;
  }
  let i = index(key);
  if (i >= con.length || i < -con.length) {
    throw new PatchFailure(`error in remove for path: '${path}': Unable to access invalid index: ${i}: invalid index referenced`);
  }
  if (i < 0) i += con.length;
  return con.splice(i, 1)[0];
}

function remove(root: Container, path: string): void {
  const found = findObject(root, path);
  if (!found) throw new PatchFailure(`remove operation does not apply: doc is missing path: "${path}": missing value`);
  removeKey(found.con, found.key, path);
}

function replace(root: Container, path: string, value: unknown): void {
  const found = findObject(root, path);
  if (!found) throw new PatchFailure(`replace operation does not apply: doc is missing path: ${path}: missing value`);
  const { con, key } = found;
  if (Array.isArray(con)) {
    const i = atoi(key);
    if (i === undefined || i < 0 || i >= con.length) {
      throw new PatchFailure(`replace operation does not apply: doc is missing key: ${path}: missing value`);
    }
    con[i] = value;
    return;
  }
  // Quirk kept from v4: partialDoc.get never fails, so `replace` of a missing object key adds it.
  con[key] = value;
}

function move(root: Container, op: Record<string, unknown>): void {
  const from = requirePath(op, 'move operation failed to decode from', 'from');
  const src = findObject(root, from);
  if (!src) throw new PatchFailure(`move operation does not apply: doc is missing from path: ${from}: missing value`);
  get(src.con, src.key);
  const value = removeKey(src.con, src.key, src.key);
  const path = requirePath(op, 'move operation failed to decode path');
  const dst = findObject(root, path);
  if (!dst) throw new PatchFailure(`move operation does not apply: doc is missing destination path: ${path}: missing value`);
  insert(dst.con, dst.key, value, path);
}

function copy(root: Container, op: Record<string, unknown>): void {
  const from = requirePath(op, 'copy operation failed to decode from', 'from');
  const src = findObject(root, from);
  if (!src) throw new PatchFailure(`copy operation does not apply: doc is missing from path: ${from}: missing value`);
  // Quirk kept from v4: copying a missing object key copies a null.
  const value = get(src.con, src.key);
  const path = requirePath(op, 'copy operation failed to decode path');
  const dst = findObject(root, path);
  if (!dst) throw new PatchFailure(`copy operation does not apply: doc is missing destination path: ${path}: missing value`);
  insert(dst.con, dst.key, cloneJson(value === undefined ? null : value), path);
}

function test(root: Container, path: string, op: Record<string, unknown>): void {
  if (path === '') {
    if (v4Equal(root, op.value === undefined ? null : op.value)) return;
    throw new PatchFailure(`testing value ${path} failed: test failed`);
  }
  const found = findObject(root, path);
  if (!found) throw new PatchFailure(`test operation does not apply: is missing path: ${path}: missing value`);
  const actual = get(found.con, found.key);
  const expected = op.value === undefined ? null : op.value;
  // v4 stores JSON nulls as absent nodes, so "null" and "missing" test equal to each other.
  if (actual === undefined || actual === null) {
    if (expected === null) return;
  } else if (v4Equal(actual, expected)) {
    return;
  }
  throw new PatchFailure(`testing value ${path} failed: test failed`);
}

/**
 * v4's lazyNode.equal: arrays compare element by element, but an object only needs each of its own
 * keys to be in the expected object with an equal value (extra expected keys are not noticed), and
 * null and missing members are alike.
 */
function v4Equal(actual: unknown, expected: unknown): boolean {
  if (isObject(actual)) {
    if (!isObject(expected)) return false;
    for (const k of Object.keys(actual)) {
      if (!(k in expected)) return false;
      const a = actual[k];
      const e = expected[k];
      if ((a === null || a === undefined) && (e === null || e === undefined)) continue;
      if (a === null || a === undefined || !v4Equal(a, e)) return false;
    }
    return true;
  }
  if (Array.isArray(actual)) {
    if (!Array.isArray(expected) || actual.length !== expected.length) return false;
    return actual.every((a, i) => (a === null ? expected[i] === null : v4Equal(a, expected[i])));
  }
  return jsonEqual(actual, expected);
}

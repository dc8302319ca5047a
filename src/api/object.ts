/**
 * The generic object shape every stored resource shares. Concrete kinds use the types from
 * `kubernetes-types`; code that handles any kind (storage, the API server, informers) uses these.
 */
import type { ObjectMeta as K8sObjectMeta, OwnerReference, ListMeta } from 'kubernetes-types/meta/v1.js';

export type { OwnerReference, ListMeta };

/** Removes `readonly` (kubernetes-types marks system fields read-only; the server writes them). */
export type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** ObjectMeta with system fields writable. */
export type ObjectMeta = Mutable<K8sObjectMeta>;

/** Any Kubernetes object: typed metadata, everything else open. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  [field: string]: unknown;
}

/** A KubeObject whose metadata is known to be present (everything read back from the API). */
export interface StoredObject extends KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta & { name: string; uid: string; resourceVersion: string; creationTimestamp: string };
}

export interface KubeList<T extends KubeObject = KubeObject> {
  apiVersion: string;
  kind: string;
  metadata: ListMeta;
  items: T[];
}

/** A watch event as on the wire. BOOKMARK and ERROR objects carry only what Kubernetes sends. */
export interface WatchEvent<T extends KubeObject = KubeObject> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

/** `namespace/name`, or `name` for cluster-scoped objects: the key controllers queue. */
export function objectKey(obj: KubeObject): string {
  const ns = obj.metadata?.namespace;
  const name = obj.metadata?.name ?? '';
  return ns ? `${ns}/${name}` : name;
}

/** Splits a queue key back into namespace and name. */
export function splitKey(key: string): { namespace: string; name: string } {
  const i = key.indexOf('/');
  return i < 0 ? { namespace: '', name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

/** The ownerReference with `controller: true`, if any. */
export function controllerRef(obj: KubeObject): OwnerReference | undefined {
  return obj.metadata?.ownerReferences?.find((r) => r.controller === true);
}

/**
 * A deep copy of a JSON-compatible value; cached objects are immutable, so edit a clone.
 *
 * Plain objects and arrays are copied by hand, which is several times faster than
 * structuredClone (it serialises through V8's value serializer) and is on every write's path;
 * the result is the same for such values, `undefined` properties included. Anything else (a
 * Date, a Map, bytes) is handed to structuredClone.
 */
export function clone<T>(value: T): T {
  return copyValue(value) as T;
}

function copyValue(v: unknown): unknown {
  if (typeof v !== 'object' || v === null) return v;
  if (Array.isArray(v)) {
    const out = new Array<unknown>(v.length);
    for (let i = 0; i < v.length; i++) out[i] = copyValue(v[i]);
    return out;
  }
  const proto: unknown = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return structuredClone(v);
  const src = v as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(src)) {
    // A "__proto__" key (legal in a ConfigMap's data, say) must stay an own property.
    if (k === '__proto__') Object.defineProperty(out, k, { value: copyValue(src[k]), enumerable: true, writable: true, configurable: true });
    else out[k] = copyValue(src[k]);
  }
  return out;
}

/** Freezes a JSON value recursively (tests freeze cached objects to catch mutation). */
export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as Record<string, unknown>)) deepFreeze(v);
  }
  return value;
}

/** The one empty object frozen objects share (see deepFreezeSharing). */
const EMPTY_OBJECT: Readonly<Record<string, never>> = Object.freeze({});

function isEmptyPlainObject(v: unknown): boolean {
  if (!v || typeof v !== 'object' || Array.isArray(v) || Object.getPrototypeOf(v) !== Object.prototype) return false;
  for (const _ in v) return false;
  return true;
}

/**
 * deepFreeze for parsed JSON that many copies stay in memory of (the watch cache): every empty
 * object becomes one shared frozen `{}`. Managed fields are mostly such leaves (`"f:image": {}`):
 * a pod carries about a hundred, a quarter of its parsed size.
 */
export function deepFreezeSharing<T>(value: T): T {
  if (!value || typeof value !== 'object' || Object.isFrozen(value)) return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      if (isEmptyPlainObject(v)) value[i] = EMPTY_OBJECT;
      else deepFreezeSharing(v);
    }
  } else {
    const o = value as Record<string, unknown>;
    for (const k in o) {
      const v = o[k];
      if (isEmptyPlainObject(v)) o[k] = EMPTY_OBJECT;
      else deepFreezeSharing(v);
    }
  }
  return Object.freeze(value);
}

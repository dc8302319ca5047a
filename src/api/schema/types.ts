/**
 * Skiff's own schema tables describe every type it serves: field names and types, protobuf field
 * numbers (wire facts, needed to decode the protobuf bodies kubectl 1.32+ sends), strategic merge
 * patch strategies and merge keys, list/map types for server-side apply, and which fields are
 * required. From these the API server generates its OpenAPI v2/v3 documents, decodes protobuf,
 * rejects unknown fields (fieldValidation=Strict) and applies patches.
 */

/** Scalar JSON/protobuf types. */
export type ScalarType = 'string' | 'int32' | 'int64' | 'boolean' | 'double' | 'bytes';

/**
 * Types with special JSON/protobuf encodings (apimachinery's well-known types):
 * - Time / MicroTime: RFC 3339 string; protobuf message {1: int64 seconds, 2: int32 nanos}
 * - Quantity: string like "100m" or "1Gi" (numbers accepted in JSON); protobuf message {1: string}
 * - IntOrString: number or string; protobuf {1: int32 type, 2: int32 intVal, 3: string strVal}
 * - RawExtension: any JSON object; protobuf {1: bytes raw}
 * - FieldsV1: any JSON object; protobuf {1: bytes Raw}
 * - Duration: string like "1m0s"; protobuf {1: int64 duration (ns)}
 * - JSON: any JSON value (apiextensions JSON); protobuf {1: bytes raw}
 */
export type SpecialType = 'Time' | 'MicroTime' | 'Quantity' | 'IntOrString' | 'RawExtension' | 'FieldsV1' | 'Duration' | 'JSON';

/** A field's value type: a scalar, a special type, or the full name of another TypeSchema. */
export type TypeRef = ScalarType | SpecialType | string;

export interface FieldSchema {
  /** JSON name (protobuf field names in Kubernetes are the same lowerCamel names). */
  name: string;
  /** Protobuf field number in the object's message. */
  tag: number;
  /** Element type (for lists and maps, the type of each element/value). */
  type: TypeRef;
  /** `repeated` in protobuf, JSON array. */
  list?: boolean;
  /** `map<string, type>` in protobuf, JSON object with arbitrary keys. */
  map?: boolean;
  required?: boolean;
  /** Strategic merge patch strategy (`x-kubernetes-patch-strategy`). */
  patchStrategy?: 'merge' | 'retainKeys' | 'merge,retainKeys' | 'replace';
  /** Strategic merge patch key for lists of objects (`x-kubernetes-patch-merge-key`). */
  patchMergeKey?: string;
  /** Server-side apply list semantics (`x-kubernetes-list-type`). */
  listType?: 'atomic' | 'set' | 'map';
  /** Keys for listType=map (`x-kubernetes-list-map-keys`). */
  listMapKeys?: string[];
  /** `x-kubernetes-map-type` for maps and structs. */
  mapType?: 'atomic' | 'granular';
  /** Allowed values, when the field is an enum. */
  enum?: string[];
  /** Human description for `kubectl explain`. */
  description?: string;
  /**
   * Go's `json:",inline"`: the field's type is embedded, so its fields appear at this level in JSON,
   * while protobuf still nests them under `tag` (e.g. Volume.volumeSource, Probe.handler).
   * `name` is then the protobuf field name, not a JSON key.
   */
  inline?: boolean;
  /**
   * A Go pointer field (`*int32`, `*bool`, `*string`): unset is distinct from the zero value, so a
   * zero (`replicas: 0`, `optional: false`, `storageClassName: ""`) is meaningful. Protobuf carries
   * non-pointer fields even when zero; decoders drop those zeros as a JSON client would omit them.
   */
  pointer?: boolean;
}

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

export interface TypeSchema {
  /** OpenAPI definition name, e.g. `io.k8s.api.core.v1.Container`. */
  name: string;
  description?: string;
  fields: FieldSchema[];
  /** For top-level kinds: the GVKs this type is served as (`x-kubernetes-group-version-kind`). */
  gvk?: GroupVersionKind[];
  /** `x-kubernetes-map-type: atomic` structs are replaced whole by apply. */
  mapType?: 'atomic' | 'granular';
}

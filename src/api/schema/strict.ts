/**
 * Strict decoding of built-in types against the schema tables, as the API server's JSON decoder does
 * for `fieldValidation`: unknown fields are dropped (Ignore), reported as warnings (Warn), or rejected
 * with 400 BadRequest (Strict); JSON values of the wrong type are 400 in every mode.
 *
 * The walk is one pass over the object with precomputed per-type field maps (registry), so it is
 * cheap enough to run on every write.
 */
import { badRequest, type StatusError } from '../errors.js';
import { hasTypeMeta, isScalarType, jsonFieldsOf, mustGetType, typeForKind } from './registry.js';
import type { FieldSchema, GroupVersionKind, ScalarType, SpecialType, TypeSchema } from './types.js';

export interface CheckResult {
  /** Paths of unknown fields, as Kubernetes prints them: `spec.foo`, `spec.template.spec.containers[0].bogus`. */
  unknownFields: string[];
  /**
   * Type mismatches, each worded like Go's encoding/json:
   * `json: cannot unmarshal string into Go struct field ReplicaSetSpec.spec.replicas of type int32`.
   */
  typeErrors: string[];
}

export type FieldValidation = 'Ignore' | 'Warn' | 'Strict';

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/** Go's name for a JSON value's kind in UnmarshalTypeError (`string`, `number`, `bool`, `array`, `object`). */
function jsonKind(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  switch (typeof value) {
    case 'string':
      return 'string';
    case 'number':
      return 'number';
    case 'boolean':
      return 'bool';
    default:
      return 'object';
  }
}

/** Short Go package name of a schema type (`v1`, `resource`, `intstr`). */
function goTypeName(type: string): string {
  const dot = type.lastIndexOf('.');
  const pkg = type.slice(0, dot).split('.').pop() ?? '';
  return `${pkg}.${type.slice(dot + 1)}`;
}

const GO_SCALAR: Record<ScalarType, string> = {
  string: 'string',
  int32: 'int32',
  int64: 'int64',
  boolean: 'bool',
  double: 'float64',
  bytes: '[]uint8',
};

const GO_SPECIAL: Record<SpecialType, string> = {
  Time: 'string',
  MicroTime: 'string',
  Duration: 'string',
  Quantity: 'resource.Quantity',
  IntOrString: 'intstr.IntOrString',
  RawExtension: 'runtime.RawExtension',
  FieldsV1: 'v1.FieldsV1',
  JSON: 'v1.JSON',
};

function goElemType(type: string): string {
  if (isScalarType(type)) return GO_SCALAR[type];
  if (type in GO_SPECIAL) return GO_SPECIAL[type as SpecialType];
  return goTypeName(type);
}

function goFieldType(field: FieldSchema): string {
  const elem = goElemType(field.type);
  if (field.list) return `[]${elem}`;
  if (field.map) return `map[string]${elem}`;
  return elem;
}

class Checker {
  readonly unknown: string[] = [];
  readonly typeErrors: string[] = [];

  constructor(private readonly prune: boolean) {}

  /** `structName` / `fieldPath` name the Go struct and dotted JSON path (no indices), as Go's errors do. */
  private typeError(value: unknown, structName: string, fieldPath: string, goType: string, numberDetail = false): void {
    const v = numberDetail ? `number ${String(value)}` : jsonKind(value);
    this.typeErrors.push(`json: cannot unmarshal ${v} into Go struct field ${structName}.${fieldPath} of type ${goType}`);
  }

  object(type: TypeSchema, value: Record<string, unknown>, path: string, goPath: string, root: boolean): void {
    const fields = jsonFieldsOf(type);
    const structName = type.name.slice(type.name.lastIndexOf('.') + 1);
    const typeMeta = root || hasTypeMeta(type);
    for (const key of Object.keys(value)) {
      const child = value[key];
      const field = fields.get(key);
      if (!field) {
        if (typeMeta && (key === 'apiVersion' || key === 'kind')) {
          if (child !== null && typeof child !== 'string') this.typeError(child, structName, goPath ? `${goPath}.${key}` : key, 'string');
          continue;
        }
        this.unknown.push(path ? `${path}.${key}` : key);
        if (this.prune) delete value[key];
        continue;
      }
      if (child === null || child === undefined) continue; // Go leaves the zero value for null.
      this.field(field, child, path ? `${path}.${key}` : key, goPath ? `${goPath}.${key}` : key, structName);
    }
  }

  private field(field: FieldSchema, value: unknown, path: string, goPath: string, structName: string): void {
    if (field.list) {
      if (!Array.isArray(value)) {
        this.typeError(value, structName, goPath, goFieldType(field));
        return;
      }
      value.forEach((item, i) => {
        if (item !== null) this.value(field, item, `${path}[${i}]`, goPath, structName);
      });
      return;
    }
    if (field.map) {
      if (typeof value !== 'object' || Array.isArray(value)) {
        this.typeError(value, structName, goPath, goFieldType(field));
        return;
      }
      for (const [k, item] of Object.entries(value as Record<string, unknown>)) {
        if (item !== null) this.value(field, item, `${path}.${k}`, goPath, structName);
      }
      return;
    }
    this.value(field, value, path, goPath, structName);
  }

  /** One element (or the value of a non-collection field) of `field.type`. */
  private value(field: FieldSchema, value: unknown, path: string, goPath: string, structName: string): void {
    const type = field.type;
    switch (type) {
      case 'string':
      case 'Time':
      case 'MicroTime':
      case 'Duration':
        if (typeof value !== 'string') this.typeError(value, structName, goPath, goElemType(type));
        return;
      case 'bytes':
        // []byte is base64 text in JSON.
        if (typeof value !== 'string') this.typeError(value, structName, goPath, goElemType(type));
        return;
      case 'boolean':
        if (typeof value !== 'boolean') this.typeError(value, structName, goPath, 'bool');
        return;
      case 'int32':
      case 'int64':
        if (typeof value !== 'number') this.typeError(value, structName, goPath, type);
        else if (!Number.isInteger(value) || (type === 'int32' && (value < INT32_MIN || value > INT32_MAX))) {
          this.typeError(value, structName, goPath, type, true);
        }
        return;
      case 'double':
        if (typeof value !== 'number') this.typeError(value, structName, goPath, 'float64');
        return;
      case 'Quantity':
        if (typeof value !== 'string' && typeof value !== 'number') this.typeError(value, structName, goPath, 'resource.Quantity');
        return;
      case 'IntOrString':
        if (typeof value === 'number' && !Number.isInteger(value)) this.typeError(value, structName, goPath, 'int32', true);
        else if (typeof value !== 'string' && typeof value !== 'number') this.typeError(value, structName, goPath, 'intstr.IntOrString');
        return;
      case 'RawExtension':
      case 'JSON':
        return; // Any JSON value: embedded objects are decoded (and checked) by their own kind.
      case 'FieldsV1':
        if (typeof value !== 'object' || Array.isArray(value)) this.typeError(value, structName, goPath, 'v1.FieldsV1');
        return;
      default: {
        if (typeof value !== 'object' || value === null || Array.isArray(value)) {
          this.typeError(value, structName, goPath, goTypeName(type));
          return;
        }
        // Field types always exist: the registry validates references when it builds.
        this.object(mustGetType(type), value as Record<string, unknown>, path, goPath, false);
      }
    }
  }
}

function rootType(gvk: GroupVersionKind): TypeSchema {
  const t = typeForKind(gvk.group, gvk.version, gvk.kind);
  if (!t) throw new Error(`no schema for ${gvk.group}/${gvk.version} ${gvk.kind}`);
  return t;
}

function run(gvk: GroupVersionKind, obj: unknown, prune: boolean): Checker {
  const checker = new Checker(prune);
  const t = rootType(gvk);
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
    checker.typeErrors.push(`json: cannot unmarshal ${jsonKind(obj)} into Go value of type ${goTypeName(t.name)}`);
    return checker;
  }
  checker.object(t, obj as Record<string, unknown>, '', '', true);
  return checker;
}

/** Finds unknown fields and type errors in an object of a served kind, without changing it. */
export function checkObject(gvk: GroupVersionKind, obj: unknown): CheckResult {
  const c = run(gvk, obj, false);
  return { unknownFields: c.unknown, typeErrors: c.typeErrors };
}

/** Removes unknown fields in place (fieldValidation=Ignore) and returns the same object. */
export function pruneUnknownFields<T>(gvk: GroupVersionKind, obj: T): T {
  run(gvk, obj, true);
  return obj;
}

/** The prefix Kubernetes puts on every body decoding error: `ReplicaSet in version "v1" cannot be handled as a ReplicaSet`. */
export function decodeErrorPrefix(gvk: GroupVersionKind): string {
  return `${gvk.kind} in version "${gvk.version}" cannot be handled as a ${gvk.kind}`;
}

/** 400 for unknown fields under fieldValidation=Strict. */
export function strictDecodingError(gvk: GroupVersionKind, unknownFields: readonly string[]): StatusError {
  const list = unknownFields.map((p) => `unknown field "${p}"`).join(', ');
  return badRequest(`${decodeErrorPrefix(gvk)}: strict decoding error: ${list}`);
}

/** 400 for a JSON value of the wrong type (any fieldValidation); Go reports the first one. */
export function typeDecodingError(gvk: GroupVersionKind, typeErrors: readonly string[]): StatusError {
  return badRequest(`${decodeErrorPrefix(gvk)}: ${typeErrors[0] ?? 'invalid object'}`);
}

/**
 * Applies a fieldValidation mode to a decoded request body: throws 400 for type errors (always) and
 * unknown fields (Strict); otherwise prunes unknown fields in place and returns the warnings to send
 * (`unknown field "spec.foo"`, only for Warn).
 */
export function validateFields(gvk: GroupVersionKind, obj: unknown, mode: FieldValidation): { warnings: string[] } {
  const c = run(gvk, obj, mode !== 'Strict');
  if (c.typeErrors.length > 0) throw typeDecodingError(gvk, c.typeErrors);
  if (c.unknown.length === 0) return { warnings: [] };
  if (mode === 'Strict') throw strictDecodingError(gvk, c.unknown);
  return { warnings: mode === 'Warn' ? c.unknown.map((p) => `unknown field "${p}"`) : [] };
}

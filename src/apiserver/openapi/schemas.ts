/**
 * OpenAPI schema objects for the schema tables, in the two shapes Kubernetes publishes: Swagger 2.0
 * `definitions` (`$ref` next to a description) and OpenAPI 3 `components.schemas` (a `$ref` with
 * siblings is wrapped in `allOf`, as kube-openapi does). Carries the Kubernetes extensions kubectl and
 * clients read: group-version-kind, patch strategy/merge key, list type/map keys and map type.
 */
import { fieldOf, getType, hasTypeMeta, isScalarType, isSpecialType, jsonFieldsOf, mustGetType } from '../../api/schema/registry.js';
import type { FieldSchema, ScalarType, SpecialType, TypeSchema } from '../../api/schema/types.js';
import { loadSchemaDocs, type SchemaDocs } from './docs.js';

export type Flavor = 'v2' | 'v3';
export type JsonSchema = Record<string, unknown>;

/** Definition names of apimachinery's well-known types, as upstream names them. */
const SPECIAL_NAMES: Partial<Record<SpecialType, string>> = {
  Time: 'io.k8s.apimachinery.pkg.apis.meta.v1.Time',
  MicroTime: 'io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime',
  Quantity: 'io.k8s.apimachinery.pkg.api.resource.Quantity',
  IntOrString: 'io.k8s.apimachinery.pkg.util.intstr.IntOrString',
  RawExtension: 'io.k8s.apimachinery.pkg.runtime.RawExtension',
  FieldsV1: 'io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1',
};

/** The PATCH body type every patch operation references. */
export const PATCH_DEFINITION = 'io.k8s.apimachinery.pkg.apis.meta.v1.Patch';

function specialDefinition(type: SpecialType, flavor: Flavor, docs: SchemaDocs): JsonSchema {
  const name = SPECIAL_NAMES[type];
  const description = name ? docs[name]?.d : undefined;
  const withDesc = (s: JsonSchema): JsonSchema => (description ? { description, ...s } : s);
  switch (type) {
    case 'Time':
    case 'MicroTime':
      return withDesc({ type: 'string', format: 'date-time' });
    case 'Quantity':
      return withDesc({ type: 'string' });
    case 'IntOrString':
      return withDesc(
        flavor === 'v2'
          ? { type: 'string', format: 'int-or-string' }
          : { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] },
      );
    default:
      return withDesc({ type: 'object' });
  }
}

const SCALAR_SCHEMAS: Record<ScalarType, JsonSchema> = {
  string: { type: 'string' },
  int32: { type: 'integer', format: 'int32' },
  int64: { type: 'integer', format: 'int64' },
  boolean: { type: 'boolean' },
  double: { type: 'number', format: 'double' },
  bytes: { type: 'string', format: 'byte' },
};

/** The definition name a field type refers to, or undefined for inline schemas (scalars, Duration). */
export function definitionName(type: string): string | undefined {
  if (isScalarType(type)) return undefined;
  if (isSpecialType(type)) return SPECIAL_NAMES[type];
  return type;
}

export function refTo(name: string, flavor: Flavor): JsonSchema {
  return { $ref: flavor === 'v2' ? `#/definitions/${name}` : `#/components/schemas/${name}` };
}

function elementSchema(type: string, flavor: Flavor): JsonSchema {
  if (isScalarType(type)) return { ...SCALAR_SCHEMAS[type] };
  const name = definitionName(type);
  if (!name) return type === 'Duration' ? { type: 'string' } : {};
  return refTo(name, flavor);
}

function fieldSchema(field: FieldSchema, description: string | undefined, flavor: Flavor): JsonSchema {
  const elem = elementSchema(field.type, flavor);
  let s: JsonSchema;
  if (field.list) s = { type: 'array', items: elem };
  else if (field.map) s = { type: 'object', additionalProperties: elem };
  else if ('$ref' in elem && flavor === 'v3') s = description ? { allOf: [elem] } : elem;
  else s = { ...elem };
  if (description) s = { description, ...s };
  if (field.enum) s.enum = field.enum;
  if (field.patchStrategy) s['x-kubernetes-patch-strategy'] = field.patchStrategy;
  if (field.patchMergeKey) s['x-kubernetes-patch-merge-key'] = field.patchMergeKey;
  if (field.listType) s['x-kubernetes-list-type'] = field.listType;
  if (field.listMapKeys) s['x-kubernetes-list-map-keys'] = field.listMapKeys;
  if (field.mapType) s['x-kubernetes-map-type'] = field.mapType;
  return s;
}

function fieldDescription(docs: SchemaDocs, owner: TypeSchema, json: string): string | undefined {
  const direct = docs[owner.name]?.f?.[json];
  if (direct) return direct;
  // Inline embeddings: the embedded type may carry the text (e.g. EphemeralContainerCommon).
  for (const f of owner.fields) {
    if (f.inline && fieldOf(f.type, json)) {
      const inner = getType(f.type);
      if (inner) {
        const d = fieldDescription(docs, inner, json);
        if (d) return d;
      }
    }
  }
  return undefined;
}

/** The schema object of one type. */
export function typeDefinition(type: TypeSchema, flavor: Flavor, docs: SchemaDocs = loadSchemaDocs()): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  const fields = [...jsonFieldsOf(type)];
  if (hasTypeMeta(type)) {
    for (const key of ['apiVersion', 'kind']) {
      const d = docs[type.name]?.f?.[key];
      properties[key] = d ? { description: d, type: 'string' } : { type: 'string' };
    }
  }
  for (const [json, field] of fields) {
    properties[json] = fieldSchema(field, fieldDescription(docs, type, json), flavor);
    if (field.required) required.push(json);
  }
  const sorted: Record<string, JsonSchema> = {};
  for (const k of Object.keys(properties).sort()) sorted[k] = properties[k] as JsonSchema;
  const def: JsonSchema = {};
  const d = docs[type.name]?.d;
  if (d) def.description = d;
  def.type = 'object';
  if (fields.length > 0 || hasTypeMeta(type)) def.properties = sorted;
  if (required.length > 0) def.required = required.sort();
  if (type.gvk) def['x-kubernetes-group-version-kind'] = type.gvk.map((g) => ({ group: g.group, kind: g.kind, version: g.version }));
  if (type.mapType) def['x-kubernetes-map-type'] = type.mapType;
  return def;
}

/** Every type name reachable from `roots` (JSON view: inline embeddings are flattened away). */
export function reachableTypes(roots: Iterable<string>): Set<string> {
  const seen = new Set<string>();
  const stack = [...roots];
  while (stack.length > 0) {
    const name = stack.pop() as string;
    if (seen.has(name)) continue;
    if (isScalarType(name) || isSpecialType(name)) {
      seen.add(name);
      continue;
    }
    seen.add(name);
    for (const f of jsonFieldsOf(name).values()) stack.push(f.type);
  }
  return seen;
}

/** Definitions for the closure of `roots`, sorted by name, plus the PATCH body type. */
export function buildDefinitions(roots: Iterable<string>, flavor: Flavor): Record<string, JsonSchema> {
  const docs = loadSchemaDocs();
  const out: Record<string, JsonSchema> = {};
  for (const name of [...reachableTypes(roots)].sort()) {
    if (isScalarType(name)) continue;
    if (isSpecialType(name)) {
      const def = SPECIAL_NAMES[name];
      if (def) out[def] = specialDefinition(name, flavor, docs);
      continue;
    }
    out[name] = typeDefinition(mustGetType(name), flavor, docs);
  }
  out[PATCH_DEFINITION] = { description: 'The body of a PATCH request; its shape depends on the patch content type.', type: 'object' };
  const sorted: Record<string, JsonSchema> = {};
  for (const k of Object.keys(out).sort()) sorted[k] = out[k] as JsonSchema;
  return sorted;
}

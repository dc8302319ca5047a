/**
 * The schema registry: every type Skiff serves, looked up by OpenAPI name, by GVK, and field by field.
 * Strategic merge patch, server-side apply, strict decoding, protobuf decoding and the OpenAPI
 * documents all read the tables through this module.
 *
 * The tables are parsed once, on first use, and per-type field maps are precomputed so that lookups
 * on the write path are O(1) map reads.
 */
import { RESOURCES } from '../resources.js';
import { parseTable, SCALAR_TYPES, SPECIAL_TYPES, type TypeTable } from './dsl.js';
import type { FieldSchema, GroupVersionKind, ScalarType, SpecialType, TypeSchema } from './types.js';
import { META_V1_TABLES } from './tables/meta-v1.js';
import { CORE_V1_POD_TABLES } from './tables/core-v1-pod.js';
import { CORE_V1_POD_STATUS_TABLES } from './tables/core-v1-pod-status.js';
import { CORE_V1_CONTAINER_TABLES } from './tables/core-v1-container.js';
import { CORE_V1_SCHEDULING_TABLES } from './tables/core-v1-scheduling.js';
import { CORE_V1_VOLUME_TABLES } from './tables/core-v1-volume.js';
import { CORE_V1_STORAGE_TABLES } from './tables/core-v1-storage.js';
import { CORE_V1_NODE_TABLES } from './tables/core-v1-node.js';
import { CORE_V1_SERVICE_TABLES } from './tables/core-v1-service.js';
import { CORE_V1_MISC_TABLES } from './tables/core-v1-misc.js';
import { APPS_V1_TABLES } from './tables/apps-v1.js';
import { BATCH_V1_TABLES } from './tables/batch-v1.js';
import { SMALL_GROUPS_TABLES } from './tables/small-groups.js';

const ALL_TABLES: readonly (readonly TypeTable[])[] = [
  META_V1_TABLES,
  CORE_V1_POD_TABLES,
  CORE_V1_POD_STATUS_TABLES,
  CORE_V1_CONTAINER_TABLES,
  CORE_V1_SCHEDULING_TABLES,
  CORE_V1_VOLUME_TABLES,
  CORE_V1_STORAGE_TABLES,
  CORE_V1_NODE_TABLES,
  CORE_V1_SERVICE_TABLES,
  CORE_V1_MISC_TABLES,
  APPS_V1_TABLES,
  BATCH_V1_TABLES,
  SMALL_GROUPS_TABLES,
];

export const META_V1 = 'io.k8s.apimachinery.pkg.apis.meta.v1';

/** OpenAPI package of a served group-version: `io.k8s.api.apps.v1`, `io.k8s.api.core.v1`. */
export function packageFor(group: string, version: string): string {
  if (group === '') return `io.k8s.api.core.${version}`;
  return `io.k8s.api.${group.split('.')[0] ?? group}.${version}`;
}

interface Registry {
  types: Map<string, TypeSchema>;
  byGvk: Map<string, TypeSchema>;
  /** JSON name → field, with inline embeddings flattened, per type. */
  jsonFields: Map<string, Map<string, FieldSchema>>;
  /** Protobuf number → field (inline fields stay nested, as on the wire), per type. */
  protoFields: Map<string, Map<number, FieldSchema>>;
  /** Types that embed TypeMeta, so JSON may carry `apiVersion` and `kind`. */
  typeMeta: Set<string>;
}

let registry: Registry | undefined;

const gvkKey = (group: string, version: string, kind: string) => `${group}/${version}/${kind}`;

/** Every group-version served, for the GVKs of meta types registered in each (DeleteOptions, WatchEvent). */
function servedGroupVersions(): Array<{ group: string; version: string }> {
  const seen = new Map<string, { group: string; version: string }>();
  const add = (group: string, version: string) => seen.set(`${group}/${version}`, { group, version });
  for (const r of RESOURCES) {
    add(r.group, r.version);
    for (const s of r.subresources) add(s.group, s.version);
  }
  return [...seen.values()];
}

function build(): Registry {
  const types = new Map<string, TypeSchema>();
  for (const group of ALL_TABLES) {
    for (const table of group) {
      for (const t of parseTable(table)) {
        if (types.has(t.name)) throw new Error(`schema type ${t.name} is defined twice`);
        types.set(t.name, t);
      }
    }
  }
  // Every referenced type must exist: a dangling reference is a bug in a table.
  for (const t of types.values()) {
    for (const f of t.fields) {
      if (!SCALAR_TYPES.has(f.type) && !SPECIAL_TYPES.has(f.type) && !types.has(f.type)) {
        throw new Error(`schema type ${t.name}.${f.name} refers to unknown type ${f.type}`);
      }
    }
  }

  const byGvk = new Map<string, TypeSchema>();
  const assign = (typeName: string, gvk: GroupVersionKind) => {
    const t = types.get(typeName);
    if (!t) return;
    (t.gvk ??= []).push(gvk);
    byGvk.set(gvkKey(gvk.group, gvk.version, gvk.kind), t);
  };
  const kinds = new Map<string, GroupVersionKind>();
  for (const r of RESOURCES) {
    kinds.set(gvkKey(r.group, r.version, r.kind), { group: r.group, version: r.version, kind: r.kind });
    kinds.set(gvkKey(r.group, r.version, r.listKind), { group: r.group, version: r.version, kind: r.listKind });
    for (const s of r.subresources) kinds.set(gvkKey(s.group, s.version, s.kind), { group: s.group, version: s.version, kind: s.kind });
  }
  for (const gvk of kinds.values()) assign(`${packageFor(gvk.group, gvk.version)}.${gvk.kind}`, gvk);
  // meta/v1 types Kubernetes registers in every group-version (as `x-kubernetes-group-version-kind` shows).
  for (const gv of servedGroupVersions()) {
    assign(`${META_V1}.DeleteOptions`, { ...gv, kind: 'DeleteOptions' });
    assign(`${META_V1}.WatchEvent`, { ...gv, kind: 'WatchEvent' });
  }
  assign(`${META_V1}.Status`, { group: '', version: 'v1', kind: 'Status' });
  assign(`${META_V1}.List`, { group: '', version: 'v1', kind: 'List' });

  const typeMeta = new Set<string>();
  for (const t of types.values()) {
    // WatchEvent has no TypeMeta of its own (the kind is on the event's object).
    if (t.gvk && !t.name.endsWith('.WatchEvent')) typeMeta.add(t.name);
  }
  for (const n of ['PartialObjectMetadata', 'PartialObjectMetadataList']) if (types.has(`${META_V1}.${n}`)) typeMeta.add(`${META_V1}.${n}`);

  const jsonFields = new Map<string, Map<string, FieldSchema>>();
  const flatten = (t: TypeSchema, into: Map<string, FieldSchema>, depth: number) => {
    if (depth > 4) throw new Error(`schema type ${t.name}: inline embedding too deep`);
    for (const f of t.fields) {
      if (f.inline) {
        const inner = types.get(f.type);
        if (inner) flatten(inner, into, depth + 1);
      } else {
        into.set(f.name, f);
      }
    }
  };
  const protoFields = new Map<string, Map<number, FieldSchema>>();
  for (const t of types.values()) {
    const m = new Map<string, FieldSchema>();
    flatten(t, m, 0);
    jsonFields.set(t.name, m);
    protoFields.set(t.name, new Map(t.fields.map((f) => [f.tag, f])));
  }
  return { types, byGvk, jsonFields, protoFields, typeMeta };
}

function reg(): Registry {
  registry ??= build();
  return registry;
}

/** A type by its OpenAPI name (`io.k8s.api.core.v1.Container`). */
export function getType(name: string): TypeSchema | undefined {
  return reg().types.get(name);
}

/** A type by its OpenAPI name, throwing if unknown. */
export function mustGetType(name: string): TypeSchema {
  const t = reg().types.get(name);
  if (!t) throw new Error(`unknown schema type ${name}`);
  return t;
}

/** Every type in the registry. */
export function allTypes(): TypeSchema[] {
  return [...reg().types.values()];
}

/** The type served for a kind: `typeForKind('apps', 'v1', 'Deployment')`, also list kinds and Scale/Eviction. */
export function typeForKind(group: string, version: string, kind: string): TypeSchema | undefined {
  return reg().byGvk.get(gvkKey(group, version, kind));
}

/** The type for an `apiVersion` (`apps/v1`, `v1`) and kind. */
export function typeForApiVersionKind(apiVersion: string, kind: string): TypeSchema | undefined {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? typeForKind('', apiVersion, kind) : typeForKind(apiVersion.slice(0, slash), apiVersion.slice(slash + 1), kind);
}

function typeName(type: TypeSchema | string): string {
  return typeof type === 'string' ? type : type.name;
}

/**
 * The field a JSON key names in a type, looking through inline embeddings
 * (`fieldOf('io.k8s.api.core.v1.Volume', 'configMap')` is VolumeSource's field).
 * `apiVersion`/`kind` are not schema fields; see {@link hasTypeMeta}.
 */
export function fieldOf(type: TypeSchema | string, jsonName: string): FieldSchema | undefined {
  return reg().jsonFields.get(typeName(type))?.get(jsonName);
}

/** All JSON-visible fields of a type (inline embeddings flattened), keyed by JSON name. */
export function jsonFieldsOf(type: TypeSchema | string): ReadonlyMap<string, FieldSchema> {
  const m = reg().jsonFields.get(typeName(type));
  if (!m) throw new Error(`unknown schema type ${typeName(type)}`);
  return m;
}

/** The fields of a type by protobuf number (inline embeddings are nested messages on the wire). */
export function protoFieldsOf(type: TypeSchema | string): ReadonlyMap<number, FieldSchema> {
  const m = reg().protoFields.get(typeName(type));
  if (!m) throw new Error(`unknown schema type ${typeName(type)}`);
  return m;
}

/** True when the type embeds TypeMeta, so `apiVersion` and `kind` are valid JSON keys in it. */
export function hasTypeMeta(type: TypeSchema | string): boolean {
  return reg().typeMeta.has(typeName(type));
}

export function isScalarType(type: string): type is ScalarType {
  return SCALAR_TYPES.has(type);
}

export function isSpecialType(type: string): type is SpecialType {
  return SPECIAL_TYPES.has(type);
}

/** What a position in an object holds. */
export type SchemaNode =
  | { kind: 'object'; type: TypeSchema }
  | { kind: 'scalar'; type: ScalarType | SpecialType }
  | { kind: 'list'; field: FieldSchema; element: SchemaNode }
  | { kind: 'map'; field: FieldSchema; value: SchemaNode };

function nodeForType(type: string): SchemaNode {
  if (isScalarType(type) || isSpecialType(type)) return { kind: 'scalar', type };
  return { kind: 'object', type: mustGetType(type) };
}

/** The node a field's value is: a list or map wrapper around its element type, or the type itself. */
export function nodeForField(field: FieldSchema): SchemaNode {
  if (field.list) return { kind: 'list', field, element: nodeForType(field.type) };
  if (field.map) return { kind: 'map', field, value: nodeForType(field.type) };
  return nodeForType(field.type);
}

/** The node of a whole type (the root of an object). */
export function nodeForTypeName(type: TypeSchema | string): SchemaNode {
  return nodeForType(typeName(type));
}

/**
 * Walks a path of JSON names from a type: strings select fields of objects (or keys of maps), numbers
 * (or any segment) select list elements. Returns the node at the end and the last field crossed, or
 * undefined when the path leaves the schema (unknown field, or into a scalar/open value).
 *
 *     walkPath('io.k8s.api.apps.v1.Deployment', ['spec', 'template', 'spec', 'containers', 0, 'ports'])
 */
export function walkPath(
  root: TypeSchema | string,
  path: readonly (string | number)[],
): { node: SchemaNode; field: FieldSchema | undefined } | undefined {
  let node: SchemaNode = nodeForType(typeName(root));
  let field: FieldSchema | undefined;
  for (const seg of path) {
    switch (node.kind) {
      case 'object': {
        const f = typeof seg === 'string' ? fieldOf(node.type, seg) : undefined;
        if (!f) return undefined;
        field = f;
        node = nodeForField(f);
        break;
      }
      case 'list':
        node = node.element;
        break;
      case 'map':
        if (typeof seg !== 'string') return undefined;
        node = node.value;
        break;
      case 'scalar':
        return undefined;
    }
  }
  return { node, field };
}

/**
 * The effective server-side-apply list type of a list field: the explicit `+listType`, else what
 * Kubernetes derives from the strategic-merge tags (merge with a key → map keyed by it, merge on
 * scalars → set), else atomic.
 */
export function effectiveListType(field: FieldSchema): { listType: 'atomic' | 'set' | 'map'; keys: string[] } {
  if (field.listType === 'map') return { listType: 'map', keys: field.listMapKeys ?? [] };
  if (field.listType) return { listType: field.listType, keys: [] };
  if (field.patchStrategy?.split(',').includes('merge')) {
    return field.patchMergeKey ? { listType: 'map', keys: [field.patchMergeKey] } : { listType: 'set', keys: [] };
  }
  return { listType: 'atomic', keys: [] };
}

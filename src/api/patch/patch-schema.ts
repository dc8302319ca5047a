/**
 * What the patch engines need from the schema tables: for every position in an object, whether it is
 * a scalar, a struct (with known fields), a map, or a list (with its strategic-merge strategy and
 * merge key, and its server-side-apply list type and keys). The tables themselves live in
 * src/api/schema; this module resolves them into cached {@link Shape}s so the per-write walks are map
 * lookups only.
 */
import { effectiveListType, fieldOf, getType, typeForKind } from '../schema/registry.js';
import type { FieldSchema, TypeSchema } from '../schema/types.js';

/** The lookups the patch engines use; {@link registryPatchSchema} serves the real tables. */
export interface PatchSchema {
  /** A type by its OpenAPI name. */
  type(name: string): TypeSchema | undefined;
  /** The field a JSON key names in a struct type, looking through inline embeddings. */
  field(type: TypeSchema, jsonName: string): FieldSchema | undefined;
}

/** The registry of every served type (src/api/schema/registry.ts). */
export const registryPatchSchema: PatchSchema = { type: getType, field: fieldOf };

/** The root type of a kind, from the registry. */
export function rootTypeForKind(group: string, version: string, kind: string): TypeSchema | undefined {
  return typeForKind(group, version, kind);
}

/** A PatchSchema over a hand-made list of types (tests, and kinds outside the registry). */
export function schemaFromTypes(types: readonly TypeSchema[]): PatchSchema {
  const byName = new Map(types.map((t) => [t.name, t]));
  const fieldIn = (type: TypeSchema, jsonName: string, depth: number): FieldSchema | undefined => {
    for (const f of type.fields) {
      if (f.inline) {
        const inner = byName.get(f.type);
        const found = inner && depth < 4 ? fieldIn(inner, jsonName, depth + 1) : undefined;
        if (found) return found;
      } else if (f.name === jsonName) {
        return f;
      }
    }
    return undefined;
  };
  return { type: (name) => byName.get(name), field: (type, jsonName) => fieldIn(type, jsonName, 0) };
}

/** A resolved position in an object. */
export type Shape =
  | { readonly kind: 'scalar' }
  /** No schema: maps merge key by key, lists are atomic (structured-merge-diff's deduced type). */
  | { readonly kind: 'deduced' }
  | { readonly kind: 'atomic' }
  | { readonly kind: 'struct'; readonly type: TypeSchema }
  | { readonly kind: 'map'; readonly value: Shape }
  | {
      readonly kind: 'list';
      readonly element: Shape;
      /** Server-side apply relationship: atomic lists are leaves, set/map lists are merged by item. */
      readonly listType: 'atomic' | 'set' | 'map';
      readonly keys: readonly string[];
      /** Strategic merge patch strategy and key, from the field's tags. */
      readonly patchStrategy: string;
      readonly patchMergeKey: string;
    };

/** A struct field or map value: its shape and, for struct fields, its schema entry. */
export interface Child {
  readonly shape: Shape;
  readonly field: FieldSchema | undefined;
  /** True when the key is a declared field of a struct (apply ownership of map entries differs). */
  readonly declared: boolean;
}

export const SCALAR: Shape = Object.freeze({ kind: 'scalar' });
export const DEDUCED: Shape = Object.freeze({ kind: 'deduced' });
const ATOMIC: Shape = Object.freeze({ kind: 'atomic' });

const SCALAR_NAMES = new Set(['string', 'int32', 'int64', 'boolean', 'double', 'bytes', 'Time', 'MicroTime', 'Quantity', 'IntOrString', 'Duration']);
/** Free-form JSON positions (`x-kubernetes-preserve-unknown-fields`). */
const FREE_FORM_NAMES = new Set(['RawExtension', 'JSON', 'FieldsV1']);

/**
 * OpenAPI `default`s of list-map key fields. structured-merge-diff fills a missing key from the
 * schema default (so `ports` items without `protocol` key as TCP); the schema tables carry no
 * defaults, and `protocol` is the only defaulted list-map key in the served types.
 */
export const LIST_MAP_KEY_DEFAULTS: Readonly<Record<string, unknown>> = Object.freeze({ protocol: 'TCP' });

/** Resolves and caches shapes for one PatchSchema. */
export class ShapeResolver {
  private readonly typeShapes = new Map<string, Shape>();
  private readonly fieldShapes = new WeakMap<FieldSchema, Shape>();
  private readonly children = new WeakMap<TypeSchema, Map<string, Child>>();
  private readonly valueChildren = new WeakMap<Shape, Child>();

  constructor(readonly schema: PatchSchema) {}

  /** The shape of a whole object of this type. */
  root(type: TypeSchema | undefined): Shape {
    return type ? this.typeShape(type.name) : DEDUCED;
  }

  typeShape(name: string): Shape {
    let s = this.typeShapes.get(name);
    if (s) return s;
    if (SCALAR_NAMES.has(name)) s = SCALAR;
    else if (FREE_FORM_NAMES.has(name)) s = DEDUCED;
    else {
      const t = this.schema.type(name);
      s = !t ? DEDUCED : t.mapType === 'atomic' ? ATOMIC : { kind: 'struct', type: t };
    }
    this.typeShapes.set(name, s);
    return s;
  }

  fieldShape(f: FieldSchema): Shape {
    let s = this.fieldShapes.get(f);
    if (s) return s;
    if (f.list) {
      const lt = effectiveListType(f);
      s = {
        kind: 'list',
        element: this.typeShape(f.type),
        listType: lt.listType,
        keys: lt.keys,
        patchStrategy: f.patchStrategy ?? '',
        patchMergeKey: f.patchMergeKey ?? '',
      };
    } else if (f.map) {
      s = f.mapType === 'atomic' ? ATOMIC : { kind: 'map', value: this.typeShape(f.type) };
    } else {
      s = f.mapType === 'atomic' ? ATOMIC : this.typeShape(f.type);
    }
    this.fieldShapes.set(f, s);
    return s;
  }

  /** The child at `key` of a struct, map or free-form object. */
  child(shape: Shape, key: string): Child {
    if (shape.kind === 'struct') {
      let m = this.children.get(shape.type);
      if (!m) this.children.set(shape.type, (m = new Map()));
      let c = m.get(key);
      if (!c) {
        const f = this.schema.field(shape.type, key);
        // apiVersion and kind come from TypeMeta, which the tables do not list as fields.
        c = f
          ? { shape: this.fieldShape(f), field: f, declared: true }
          : { shape: key === 'apiVersion' || key === 'kind' ? SCALAR : DEDUCED, field: undefined, declared: false };
        m.set(key, c);
      }
      return c;
    }
    if (shape.kind === 'map') {
      let c = this.valueChildren.get(shape);
      if (!c) this.valueChildren.set(shape, (c = { shape: shape.value, field: undefined, declared: false }));
      return c;
    }
    return DEDUCED_CHILD;
  }
}

const DEDUCED_CHILD: Child = Object.freeze({ shape: DEDUCED, field: undefined, declared: false });

const resolvers = new WeakMap<PatchSchema, ShapeResolver>();

/** The (cached) resolver for a schema. */
export function resolverFor(schema: PatchSchema): ShapeResolver {
  let r = resolvers.get(schema);
  if (!r) resolvers.set(schema, (r = new ShapeResolver(schema)));
  return r;
}

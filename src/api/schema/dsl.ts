/**
 * The compact notation Skiff's schema tables are written in, and its parser.
 *
 * A table is `defineTypes(package, { TypeName: body })`. A body has one field per line:
 *
 *     <json> <tag> <type>[suffix] [flags...]
 *
 * - `json`: the JSON name; `...name` marks a Go `json:",inline"` embedding (protobuf field `name`).
 * - `tag`: the protobuf field number.
 * - `type`: a scalar (`string int32 int64 boolean double bytes`), a special type (`Time`, `Quantity`,
 *   `IntOrString`, …), a type of the same package (`PodSpec`) or of another one through an alias
 *   (`meta.ObjectMeta`, `core.PodTemplateSpec`). Suffix `[]` = list, `{}` = map with string keys.
 * - flags: `!` required · `merge=<key>` strategic-merge list merged by key · `patch=<strategy>` and
 *   `mergeKey=<key>` for other strategies · `list=atomic|set|map:<k1>,<k2>` (`x-kubernetes-list-type`
 *   and `-list-map-keys`) · `map=atomic|granular` · `enum=A|B|C` · `ptr` a Go pointer field (its zero
 *   value is meaningful).
 *
 * A body whose first line is `@atomic` describes a `+structType=atomic` struct.
 */
import type { FieldSchema, ScalarType, SpecialType, TypeSchema } from './types.js';

/** A table as written in a `tables/*.ts` file: parsed lazily by the registry. */
export interface TypeTable {
  /** OpenAPI package prefix, e.g. `io.k8s.api.core.v1`. */
  pkg: string;
  types: Record<string, string>;
}

/** Declares a group of types of one package (see the module comment for the notation). */
export function defineTypes(pkg: string, types: Record<string, string>): TypeTable {
  return { pkg, types };
}

/** Package aliases usable in type references. */
export const PACKAGE_ALIASES: Readonly<Record<string, string>> = {
  meta: 'io.k8s.apimachinery.pkg.apis.meta.v1',
  core: 'io.k8s.api.core.v1',
  apps: 'io.k8s.api.apps.v1',
  batch: 'io.k8s.api.batch.v1',
  coordination: 'io.k8s.api.coordination.v1',
  discovery: 'io.k8s.api.discovery.v1',
  events: 'io.k8s.api.events.v1',
  autoscaling: 'io.k8s.api.autoscaling.v1',
  policy: 'io.k8s.api.policy.v1',
};

export const SCALAR_TYPES: ReadonlySet<string> = new Set<ScalarType>(['string', 'int32', 'int64', 'boolean', 'double', 'bytes']);
export const SPECIAL_TYPES: ReadonlySet<string> = new Set<SpecialType>([
  'Time',
  'MicroTime',
  'Quantity',
  'IntOrString',
  'RawExtension',
  'FieldsV1',
  'Duration',
  'JSON',
]);

const PATCH_STRATEGIES = new Set(['merge', 'retainKeys', 'merge,retainKeys', 'replace']);

function resolveTypeRef(pkg: string, ref: string, where: string): string {
  if (SCALAR_TYPES.has(ref) || SPECIAL_TYPES.has(ref)) return ref;
  const dot = ref.indexOf('.');
  if (dot < 0) return `${pkg}.${ref}`;
  const alias = PACKAGE_ALIASES[ref.slice(0, dot)];
  if (!alias) throw new Error(`schema table ${where}: unknown package alias in type "${ref}"`);
  return `${alias}.${ref.slice(dot + 1)}`;
}

function parseField(pkg: string, line: string, where: string): FieldSchema {
  const [rawName, rawTag, rawType, ...flags] = line.split(/\s+/);
  if (!rawName || !rawTag || !rawType) throw new Error(`schema table ${where}: malformed field line "${line}"`);
  const tag = Number(rawTag);
  if (!Number.isInteger(tag) || tag <= 0) throw new Error(`schema table ${where}: bad protobuf tag in "${line}"`);
  let typeText = rawType;
  const field: FieldSchema = { name: rawName, tag, type: '' };
  if (rawName.startsWith('...')) {
    field.name = rawName.slice(3);
    field.inline = true;
  }
  if (typeText.endsWith('[]')) {
    field.list = true;
    typeText = typeText.slice(0, -2);
  } else if (typeText.endsWith('{}')) {
    field.map = true;
    typeText = typeText.slice(0, -2);
  }
  field.type = resolveTypeRef(pkg, typeText, where);
  for (const flag of flags) {
    const eq = flag.indexOf('=');
    const key = eq < 0 ? flag : flag.slice(0, eq);
    const value = eq < 0 ? '' : flag.slice(eq + 1);
    switch (key) {
      case '!':
        field.required = true;
        break;
      case 'merge':
        field.patchStrategy = 'merge';
        if (value) field.patchMergeKey = value;
        break;
      case 'patch':
        if (!PATCH_STRATEGIES.has(value)) throw new Error(`schema table ${where}: unknown patch strategy "${value}"`);
        field.patchStrategy = value as NonNullable<FieldSchema['patchStrategy']>;
        break;
      case 'mergeKey':
        field.patchMergeKey = value;
        break;
      case 'list': {
        const [kind, keys] = value.split(':');
        if (kind !== 'atomic' && kind !== 'set' && kind !== 'map') throw new Error(`schema table ${where}: bad list type "${value}"`);
        field.listType = kind;
        if (kind === 'map') field.listMapKeys = (keys ?? '').split(',').filter(Boolean);
        break;
      }
      case 'map':
        if (value !== 'atomic' && value !== 'granular') throw new Error(`schema table ${where}: bad map type "${value}"`);
        field.mapType = value;
        break;
      case 'ptr':
        field.pointer = true;
        break;
      case 'enum':
        field.enum = value.split('|');
        break;
      default:
        throw new Error(`schema table ${where}: unknown flag "${flag}"`);
    }
  }
  return field;
}

/** Parses every type of a table into TypeSchemas. Throws on any malformed line (tables are code). */
export function parseTable(table: TypeTable): TypeSchema[] {
  const out: TypeSchema[] = [];
  for (const [shortName, body] of Object.entries(table.types)) {
    const name = `${table.pkg}.${shortName}`;
    const schema: TypeSchema = { name, fields: [] };
    for (const raw of body.split('\n')) {
      const line = raw.trim();
      if (!line) continue;
      if (line === '@atomic') {
        schema.mapType = 'atomic';
        continue;
      }
      schema.fields.push(parseField(table.pkg, line, name));
    }
    out.push(schema);
  }
  return out;
}

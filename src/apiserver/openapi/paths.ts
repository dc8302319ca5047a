/**
 * OpenAPI `paths` for the served resources: one path item per collection, object and subresource,
 * one operation per verb. Each PATCH carries `x-kubernetes-group-version-kind` and a `fieldValidation`
 * query parameter: that pair is what kubectl 1.27+ looks for before it relies on server-side field
 * validation (kubectl-wire.md §1.9).
 */
import { groupVersion, RESOURCES, type ResourceInfo, type SubresourceInfo } from '../../api/resources.js';
import { packageFor } from '../../api/schema/registry.js';
import type { GroupVersionKind } from '../../api/schema/types.js';
import { PATCH_DEFINITION, refTo, type Flavor, type JsonSchema } from './schemas.js';

const STATUS = 'io.k8s.apimachinery.pkg.apis.meta.v1.Status';
const DELETE_OPTIONS = 'io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions';

/** Query parameters, with the meaning Kubernetes gives them. */
const QUERY: Record<string, string> = {
  pretty: "If 'true', then the output is pretty printed.",
  dryRun: 'When present, indicates that modifications should not be persisted. Valid value: All.',
  fieldManager: 'A name associated with the actor or entity that is making these changes.',
  fieldValidation:
    'How the server handles fields in the request object that it does not know: Ignore drops them, Warn drops them and returns a warning for each, Strict fails the request.',
  force: 'Force is used to take ownership of conflicting fields in an apply request; it must be unset otherwise.',
  labelSelector: 'A selector to restrict the list of returned objects by their labels.',
  fieldSelector: 'A selector to restrict the list of returned objects by their fields.',
  limit: 'The maximum number of items to return in one page of a list.',
  continue: 'The continue token from a previous page of the same list.',
  resourceVersion: 'Sets a constraint on what resource versions a request may be served from.',
  watch: 'Watch for changes to the described resources and return them as a stream of events.',
  timeoutSeconds: 'Timeout for the list/watch call.',
  gracePeriodSeconds: 'The duration in seconds before the object should be deleted.',
  propagationPolicy: 'Whether and how garbage collection will be performed: Orphan, Background or Foreground.',
};

function param(flavor: Flavor, name: string, where: 'query' | 'path'): JsonSchema {
  const description = where === 'path' ? `${name} of the resource` : QUERY[name] ?? name;
  const type = name === 'limit' || name === 'timeoutSeconds' || name === 'gracePeriodSeconds' ? 'integer' : name === 'watch' || name === 'force' ? 'boolean' : 'string';
  const base: JsonSchema = { name, in: where, description };
  if (where === 'path') base.required = true;
  if (flavor === 'v2') return { ...base, type, uniqueItems: true };
  return { ...base, schema: { type, uniqueItems: true } };
}

function bodyParam(flavor: Flavor, schema: string): JsonSchema {
  return flavor === 'v2' ? { name: 'body', in: 'body', required: true, schema: refTo(schema, flavor) } : {};
}

const GROUP_IDS: Record<string, string> = { '': 'Core' };
function groupId(group: string): string {
  const id = GROUP_IDS[group];
  if (id) return id;
  const first = group.split('.')[0] ?? group;
  return first.charAt(0).toUpperCase() + first.slice(1);
}

interface OpSpec {
  verb: string;
  action: string;
  idVerb: string;
  gvk: GroupVersionKind;
  idSuffix: string;
  query: string[];
  body?: string;
  patch?: boolean;
  response: string;
  created?: boolean;
}

function operation(flavor: Flavor, r: ResourceInfo, spec: OpSpec): JsonSchema {
  const gv = `${groupId(r.group)}${r.version.charAt(0).toUpperCase()}${r.version.slice(1)}`;
  const op: JsonSchema = {
    description: `${spec.action} ${spec.idSuffix}`,
    operationId: `${spec.idVerb}${gv}${spec.idSuffix}`,
    tags: [r.group ? `${groupId(r.group).toLowerCase()}_${r.version}` : `core_${r.version}`],
  };
  const parameters: JsonSchema[] = [];
  if (spec.body && flavor === 'v2') parameters.push(bodyParam(flavor, spec.body));
  for (const q of spec.query) parameters.push(param(flavor, q, 'query'));
  op.parameters = parameters;
  const responseSchema = refTo(spec.response, flavor);
  const responses: Record<string, JsonSchema> = {};
  const codes = spec.created ? ['200', '201'] : ['200'];
  for (const code of codes) {
    responses[code] =
      flavor === 'v2'
        ? { description: code === '201' ? 'Created' : 'OK', schema: responseSchema }
        : {
            description: code === '201' ? 'Created' : 'OK',
            content: Object.fromEntries(['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'].map((t) => [t, { schema: responseSchema }])),
          };
  }
  responses['401'] = { description: 'Unauthorized' };
  op.responses = responses;
  if (flavor === 'v3' && spec.body) {
    const types = spec.patch
      ? ['application/apply-patch+yaml', 'application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json']
      : ['*/*'];
    op.requestBody = { content: Object.fromEntries(types.map((t) => [t, { schema: refTo(spec.body as string, flavor) }])), required: true };
  }
  if (flavor === 'v2') {
    op.consumes = spec.patch
      ? ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/apply-patch+yaml']
      : ['*/*'];
    op.produces = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'];
    op.schemes = ['https'];
  }
  op['x-kubernetes-action'] = spec.action;
  op['x-kubernetes-group-version-kind'] = { group: spec.gvk.group, kind: spec.gvk.kind, version: spec.gvk.version };
  return op;
}

const WRITE_QUERY = ['dryRun', 'fieldManager', 'fieldValidation'];
const PATCH_QUERY = ['dryRun', 'fieldManager', 'fieldValidation', 'force'];
const LIST_QUERY = ['continue', 'fieldSelector', 'labelSelector', 'limit', 'resourceVersion', 'timeoutSeconds', 'watch'];
const DELETE_QUERY = ['dryRun', 'gracePeriodSeconds', 'propagationPolicy'];

/** Path items for one resource, keyed by path. */
function resourcePaths(flavor: Flavor, r: ResourceInfo): Record<string, JsonSchema> {
  const base = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
  const collection = r.namespaced ? `${base}/namespaces/{namespace}/${r.resource}` : `${base}/${r.resource}`;
  const item = `${collection}/{name}`;
  const pkg = packageFor(r.group, r.version);
  const kindType = `${pkg}.${r.kind}`;
  const listType = `${pkg}.${r.listKind}`;
  const gvk = { group: r.group, version: r.version, kind: r.kind };
  const ns = r.namespaced ? 'Namespaced' : '';
  const has = (v: string) => r.verbs.includes(v as ResourceInfo['verbs'][number]);
  const pathParams = (names: string[]) => [...names.map((n) => param(flavor, n, 'path')), param(flavor, 'pretty', 'query')];
  const out: Record<string, JsonSchema> = {};

  const coll: JsonSchema = {};
  if (has('list')) coll.get = operation(flavor, r, { verb: 'get', action: 'list', idVerb: 'list', gvk, idSuffix: `${ns}${r.kind}`, query: LIST_QUERY, response: listType });
  if (has('create')) {
    coll.post = operation(flavor, r, { verb: 'post', action: 'post', idVerb: 'create', gvk, idSuffix: `${ns}${r.kind}`, query: WRITE_QUERY, body: kindType, response: kindType, created: true });
  }
  if (has('deletecollection')) {
    coll.delete = operation(flavor, r, { verb: 'delete', action: 'deletecollection', idVerb: 'deleteCollection', gvk, idSuffix: `${ns}${r.kind}`, query: [...DELETE_QUERY, ...LIST_QUERY], body: DELETE_OPTIONS, response: STATUS });
  }
  if (Object.keys(coll).length > 0) {
    coll.parameters = pathParams(r.namespaced ? ['namespace'] : []);
    out[collection] = coll;
  }

  const obj: JsonSchema = {};
  if (has('get')) obj.get = operation(flavor, r, { verb: 'get', action: 'get', idVerb: 'read', gvk, idSuffix: `${ns}${r.kind}`, query: [], response: kindType });
  if (has('update')) obj.put = operation(flavor, r, { verb: 'put', action: 'put', idVerb: 'replace', gvk, idSuffix: `${ns}${r.kind}`, query: WRITE_QUERY, body: kindType, response: kindType, created: true });
  if (has('patch')) {
    obj.patch = operation(flavor, r, { verb: 'patch', action: 'patch', idVerb: 'patch', gvk, idSuffix: `${ns}${r.kind}`, query: PATCH_QUERY, body: PATCH_DEFINITION, patch: true, response: kindType, created: true });
  }
  if (has('delete')) obj.delete = operation(flavor, r, { verb: 'delete', action: 'delete', idVerb: 'delete', gvk, idSuffix: `${ns}${r.kind}`, query: DELETE_QUERY, body: DELETE_OPTIONS, response: STATUS });
  if (Object.keys(obj).length > 0) {
    obj.parameters = pathParams(r.namespaced ? ['name', 'namespace'] : ['name']);
    out[item] = obj;
  }

  if (r.namespaced && has('list')) {
    out[`${base}/${r.resource}`] = {
      get: operation(flavor, r, { verb: 'get', action: 'list', idVerb: 'list', gvk, idSuffix: `${r.kind}ForAllNamespaces`, query: LIST_QUERY, response: listType }),
      parameters: [param(flavor, 'pretty', 'query')],
    };
  }

  for (const s of r.subresources) {
    const sub = subresourceItem(flavor, r, s, ns);
    if (sub) {
      sub.parameters = pathParams(r.namespaced ? ['name', 'namespace'] : ['name']);
      out[`${item}/${s.name}`] = sub;
    }
  }
  return out;
}

/** Subresources whose bodies are typed objects: status, scale, binding, eviction. */
function subresourceItem(flavor: Flavor, r: ResourceInfo, s: SubresourceInfo, ns: string): JsonSchema | undefined {
  const suffix = `${ns}${r.kind}${s.name.charAt(0).toUpperCase()}${s.name.slice(1)}`;
  const gvk = { group: s.group, version: s.version, kind: s.kind };
  const type = `${packageFor(s.group, s.version)}.${s.kind}`;
  if (s.name === 'status' || s.name === 'scale') {
    return {
      get: operation(flavor, r, { verb: 'get', action: 'get', idVerb: 'read', gvk, idSuffix: suffix, query: [], response: type }),
      put: operation(flavor, r, { verb: 'put', action: 'put', idVerb: 'replace', gvk, idSuffix: suffix, query: WRITE_QUERY, body: type, response: type, created: true }),
      patch: operation(flavor, r, { verb: 'patch', action: 'patch', idVerb: 'patch', gvk, idSuffix: suffix, query: PATCH_QUERY, body: PATCH_DEFINITION, patch: true, response: type, created: true }),
    };
  }
  if (s.name === 'binding' || s.name === 'eviction') {
    return { post: operation(flavor, r, { verb: 'post', action: 'post', idVerb: 'create', gvk, idSuffix: suffix, query: WRITE_QUERY, body: type, response: type, created: true }) };
  }
  return undefined;
}

/** Paths of every resource in one group-version (`''`/`v1`, `apps`/`v1`), sorted. */
export function groupVersionPaths(flavor: Flavor, group: string, version: string): Record<string, JsonSchema> {
  const out: Record<string, JsonSchema> = {};
  for (const r of RESOURCES) if (r.group === group && r.version === version) Object.assign(out, resourcePaths(flavor, r));
  const sorted: Record<string, JsonSchema> = {};
  for (const k of Object.keys(out).sort()) sorted[k] = out[k] as JsonSchema;
  return sorted;
}

/** The types a group-version's document must define: its kinds, lists, subresource kinds and meta bodies. */
export function groupVersionRoots(group: string, version: string): string[] {
  const roots = new Set<string>([STATUS, DELETE_OPTIONS]);
  for (const r of RESOURCES) {
    if (groupVersion(r) !== groupVersion({ group, version })) continue;
    const pkg = packageFor(r.group, r.version);
    roots.add(`${pkg}.${r.kind}`);
    if (r.verbs.includes('list')) roots.add(`${pkg}.${r.listKind}`);
    for (const s of r.subresources) if (['status', 'scale', 'binding', 'eviction'].includes(s.name)) roots.add(`${packageFor(s.group, s.version)}.${s.kind}`);
  }
  return [...roots];
}

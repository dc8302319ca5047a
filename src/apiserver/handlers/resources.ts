/**
 * The REST handler for resource paths: GET/LIST/WATCH/POST/PUT/PATCH/DELETE/DELETECOLLECTION on
 * every served resource and its subresources, with Kubernetes' query parameters (dryRun,
 * fieldManager, fieldValidation, selectors, paging, resourceVersion, watch options, includeObject)
 * and representations (JSON objects and lists, meta.k8s.io Tables, watch event streams).
 */
import type { ApiRequest, ApiResponse } from '../../api/http.js';
import type { KubeObject, StoredObject } from '../../api/object.js';
import { groupVersion, type ResourceInfo } from '../../api/resources.js';
import { StatusError, badRequest, methodNotAllowed, notFoundPath } from '../../api/errors.js';
import { validateFields, type FieldValidation } from '../../api/schema/strict.js';
import { buildTable } from '../printers/index.js';
import type { IncludeObjectPolicy } from '../printers/index.js';
import type { ResourceRequest } from '../request-info.js';
import type { Registry } from '../registry/registry.js';
import { listObjects } from '../registry/list.js';
import { buildFilter } from '../registry/filters.js';
import { deleteObject, type DeleteOptions } from '../registry/deletion.js';
import { storageResource } from '../registry/keys.js';
import { watchCache, type StreamItem } from '../watch/watch-stream.js';
import { negotiateOutput, type OutputFormat } from './negotiate.js';
import { decodeObjectBody, decodeOptionalJson, decodePatchBody, type ProtobufDecoder } from './body.js';
import { JSON_TYPE, jsonResponse, listBody, objectJson, streamResponse, successStatus, valueResponse } from './respond.js';
import { entryJson } from '../registry/object-cache.js';
import { patchObject } from './patch-object.js';
import type { SubresourceHandlers } from './subresources.js';
import { conversionFor, type Conversion } from '../conversion.js';

export interface ResourceHandlerDeps {
  registry: Registry;
  protobuf?: ProtobufDecoder;
  subresources: SubresourceHandlers;
  /** Called to count/limit concurrent watches; returns a release function or throws 429. */
  admitWatch: () => () => void;
}

/** Field managers are limited to 128 characters, as Kubernetes validates. */
const MAX_FIELD_MANAGER = 128;

interface Ctx {
  req: ApiRequest;
  ri: ResourceRequest;
  /** The resource as served (what the client asked for). */
  info: ResourceInfo;
  /** The resource as stored (differs when a conversion applies, e.g. events.k8s.io Events). */
  storage: ResourceInfo;
  conv: Conversion | undefined;
  deps: ResourceHandlerDeps;
  warnings: string[];
}

export async function handleResource(deps: ResourceHandlerDeps, req: ApiRequest, ri: ResourceRequest): Promise<ApiResponse> {
  const info = ri.info;
  if (!info) throw notFoundPath();
  if (info.namespaced && ri.namespace === '' && ri.name !== '' && ri.verb !== 'list' && ri.verb !== 'watch') {
    // `/api/v1/pods/x` is not a valid path for a namespaced resource.
    throw notFoundPath();
  }
  if (!info.namespaced && ri.namespace !== '') throw notFoundPath();
  const conv = conversionFor(info);
  const ctx: Ctx = { req, ri, info, storage: conv?.storage ?? info, conv, deps, warnings: [] };
  if (ri.subresource) return deps.subresources.handle(ctx.req, ri, info);
  if (!info.verbs.includes(ri.verb)) throw methodNotAllowed(req.method, info.resource);
  let res: ApiResponse;
  switch (ri.verb) {
    case 'get':
      // No resourceVersion: the newest state, as a quorum read from etcd would give it.
      if (!req.query.get('resourceVersion')) await deps.registry.cache.syncLatest();
      res = getOne(ctx);
      break;
    case 'list':
      res = await list(ctx);
      break;
    case 'watch':
      res = watch(ctx);
      break;
    case 'create':
      if (ri.name) throw methodNotAllowed('POST', `${info.resource}/${ri.name}`);
      res = await create(ctx);
      break;
    case 'update':
      res = await update(ctx);
      break;
    case 'patch':
      res = await patch(ctx);
      break;
    case 'delete':
      res = await remove(ctx);
      break;
    case 'deletecollection':
      res = await removeCollection(ctx);
      break;
  }
  return withWarnings(res, ctx.warnings);
}

export function withWarnings(res: ApiResponse, warnings: string[]): ApiResponse {
  if (warnings.length === 0) return res;
  // HTTP warning headers (RFC 7234 299), as Kubernetes sends them; kubectl prints "Warning: …".
  res.headers.warning = warnings.map((w) => `299 - ${JSON.stringify(w)}`).join(', ');
  return res;
}

/** The object as served to the client. */
function served(ctx: Ctx, obj: StoredObject): StoredObject {
  return ctx.conv ? (ctx.conv.fromStorage(obj) as StoredObject) : obj;
}

function output(ctx: Ctx): OutputFormat {
  return negotiateOutput(ctx.req.headers.accept, true);
}

function includeObjectPolicy(q: URLSearchParams): IncludeObjectPolicy {
  const v = q.get('includeObject');
  if (v === null || v === '') return 'Metadata';
  if (v === 'None' || v === 'Metadata' || v === 'Object') return v;
  throw badRequest(`includeObject: Unsupported value: "${v}": supported values: "None", "Metadata", "Object"`);
}

function tableResponse(ctx: Ctx, objects: KubeObject[], listMeta: { resourceVersion?: string; continue?: string; remainingItemCount?: number }) {
  const table = buildTable(ctx.info, objects, { now: new Date(ctx.deps.registry.now()), includeObject: includeObjectPolicy(ctx.req.query), listMeta });
  return jsonResponse(200, table);
}

function getOne(ctx: Ctx): ApiResponse {
  const entry = ctx.deps.registry.get(ctx.storage, ctx.ri.namespace, ctx.ri.name);
  const fmt = output(ctx);
  if (fmt.kind === 'table') return tableResponse(ctx, [served(ctx, entry.obj)], { resourceVersion: entry.obj.metadata.resourceVersion });
  if (ctx.conv) return jsonResponse(200, served(ctx, entry.obj));
  // The cached object itself, its JSON shared with every other reader of this version.
  return valueResponse(200, { 'content-type': JSON_TYPE }, entry.obj, () => objectJson(entry));
}

/**
 * The response for an object just written: the cached object, whose JSON the watch fan-out
 * encodes anyway, so the response shares that text instead of serialising the object again.
 */
function writtenResponse(ctx: Ctx, status: number, obj: StoredObject): ApiResponse {
  if (ctx.conv) return jsonResponse(status, served(ctx, obj));
  const entry = ctx.deps.registry.peek(ctx.storage, obj.metadata.namespace ?? '', obj.metadata.name);
  if (entry?.obj !== obj) return jsonResponse(status, obj);
  return valueResponse(status, { 'content-type': JSON_TYPE }, obj, () => entryJson(entry));
}

function intParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  if (!/^-?\d+$/.test(v)) throw badRequest(`${name}: invalid value "${v}": must be an integer`);
  return Number(v);
}

function boolParam(q: URLSearchParams, name: string): boolean | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw badRequest(`${name}: invalid value "${v}": must be true or false`);
}

async function list(ctx: Ctx): Promise<ApiResponse> {
  const q = ctx.req.query;
  const filter = servedFilter(ctx, buildFilter(ctx.info, q.get('labelSelector'), q.get('fieldSelector')));
  const limit = intParam(q, 'limit');
  if (limit !== undefined && limit < 0) throw badRequest('limit: must be a non-negative integer');
  const fmt = output(ctx);
  const result = await listObjects(ctx.deps.registry, ctx.storage, {
    namespace: ctx.ri.namespace,
    filter: filter.matches,
    filtered: filter.selective,
    ...(limit !== undefined ? { limit } : {}),
    ...(q.get('continue') ? { continueToken: q.get('continue')! } : {}),
    ...(q.get('resourceVersion') !== null ? { resourceVersion: q.get('resourceVersion')! } : {}),
    ...(q.get('resourceVersionMatch') ? { resourceVersionMatch: q.get('resourceVersionMatch')! } : {}),
  });
  const meta: { resourceVersion: string; continue?: string; remainingItemCount?: number } = { resourceVersion: String(result.resourceVersion) };
  if (result.continueToken) meta.continue = result.continueToken;
  if (result.remainingItemCount !== undefined) meta.remainingItemCount = result.remainingItemCount;
  if (fmt.kind === 'table') return tableResponse(ctx, result.items.map((e) => served(ctx, e.obj)), meta);
  if (ctx.conv) {
    return jsonResponse(200, { kind: ctx.info.listKind, apiVersion: groupVersion(ctx.info), metadata: meta, items: result.items.map((e) => served(ctx, e.obj)) });
  }
  // In-process callers get the cached objects themselves; over HTTP the body is assembled from
  // their shared JSON.
  const gv = groupVersion(ctx.info);
  const value = ctx.req.acceptsValues ? { kind: ctx.info.listKind, apiVersion: gv, metadata: meta, items: result.items.map((e) => e.obj) } : undefined;
  if (value) return valueResponse(200, { 'content-type': JSON_TYPE }, value, () => listBody(gv, ctx.info.listKind, meta, result.items));
  return jsonResponse(200, listBody(gv, ctx.info.listKind, meta, result.items));
}

/** Selectors are evaluated on the served shape (events.k8s.io selects on `regarding.*`). */
function servedFilter(ctx: Ctx, f: ReturnType<typeof buildFilter>): ReturnType<typeof buildFilter> {
  if (!ctx.conv || !f.selective) return f;
  const conv = ctx.conv;
  return { ...f, matches: (obj) => f.matches(conv.fromStorage(obj) as StoredObject) };
}

function watch(ctx: Ctx): ApiResponse {
  const q = ctx.req.query;
  const filter = servedFilter(ctx, buildFilter(ctx.info, q.get('labelSelector'), q.get('fieldSelector')));
  const fmt = output(ctx);
  const timeoutSeconds = intParam(q, 'timeoutSeconds');
  const sendInitialEvents = boolParam(q, 'sendInitialEvents');
  const allowBookmarks = boolParam(q, 'allowWatchBookmarks') ?? false;
  if (sendInitialEvents !== undefined) {
    // Kubernetes requires these together for the watch-list protocol.
    if (q.get('resourceVersionMatch') !== 'NotOlderThan') {
      throw badRequest('sendInitialEvents: Forbidden: sendInitialEvents is forbidden for watch unless resourceVersionMatch is set to NotOlderThan');
    }
    if (sendInitialEvents && !allowBookmarks) throw badRequest('allowWatchBookmarks: Forbidden: sendInitialEvents requires setting allowWatchBookmarks to true');
  }
  const release = ctx.deps.admitWatch();
  const items = watchCache(ctx.deps.registry.cache, {
    resource: storageResource(ctx.storage),
    namespace: ctx.ri.namespace,
    filter: filter.matches,
    ...(filter.trigger !== undefined && !ctx.conv ? { trigger: filter.trigger } : {}),
    resourceVersion: q.get('resourceVersion') ?? undefined,
    allowBookmarks,
    sendInitialEvents,
    timeoutSeconds,
    signal: ctx.req.signal,
  });
  if (ctx.req.acceptsValues && fmt.kind === 'json' && !ctx.conv) {
    // An in-process watcher (an informer in this process) gets the cached objects themselves:
    // nothing is encoded for it and nothing parsed on its side.
    const values = watchValues(ctx, items, release);
    return { ...streamResponse(encodeValues(values)), values };
  }
  return streamResponse(encodeWatch(ctx, fmt, items, release));
}

/** Watch events as values: frozen cached objects, shared with the cache and every such watcher. */
async function* watchValues(ctx: Ctx, items: AsyncGenerator<StreamItem>, release: () => void): AsyncGenerator<unknown> {
  const gv = groupVersion(ctx.info);
  try {
    for await (const item of items) {
      if (item.kind === 'event') {
        const d = item.delivery;
        let obj: StoredObject = d.entry.obj;
        if (d.rev !== d.entry.rev) {
          // The event's resourceVersion differs from the object's (it left the selector): a copy
          // with that version; its subtrees are the frozen cached ones.
          obj = Object.freeze({ ...obj, metadata: Object.freeze({ ...obj.metadata, resourceVersion: String(d.rev) }) });
        }
        yield { type: d.type, object: obj };
      } else if (item.kind === 'bookmark') {
        const meta: Record<string, unknown> = { resourceVersion: String(item.rev) };
        if (item.initialEventsEnd) meta.annotations = { 'k8s.io/initial-events-end': 'true' };
        yield { type: 'BOOKMARK', object: { kind: ctx.info.kind, apiVersion: gv, metadata: meta } };
      } else {
        yield { type: 'ERROR', object: new StatusError(item.code, item.reason, item.message).toStatus() };
      }
    }
  } finally {
    release();
    await items.return(undefined);
  }
}

/** The JSON lines of watch event values (the `stream` view of a values response). */
async function* encodeValues(values: AsyncGenerator<unknown>): AsyncGenerator<string> {
  for await (const v of values) yield `${JSON.stringify(v)}\n`;
}

async function* encodeWatch(ctx: Ctx, fmt: OutputFormat, items: AsyncGenerator<StreamItem>, release: () => void): AsyncGenerator<string> {
  const gv = groupVersion(ctx.info);
  let first = true;
  const policy = fmt.kind === 'table' ? includeObjectPolicy(ctx.req.query) : 'Metadata';
  try {
    for await (const item of items) {
      let line: string;
      if (item.kind === 'event') {
        const d = item.delivery;
        if (fmt.kind === 'table' || ctx.conv) {
          const raw = d.rev === d.entry.rev ? d.entry.obj : { ...d.entry.obj, metadata: { ...d.entry.obj.metadata, resourceVersion: String(d.rev) } };
          const obj = served(ctx, raw);
          if (fmt.kind !== 'table') {
            yield `{"type":"${d.type}","object":${JSON.stringify(obj)}}\n`;
            continue;
          }
          const table = buildTable(ctx.info, [obj], {
            now: new Date(ctx.deps.registry.now()),
            includeObject: policy,
            noHeaders: !first,
            listMeta: { resourceVersion: String(d.rev) },
          });
          first = false;
          line = `{"type":"${d.type}","object":${JSON.stringify(table)}}\n`;
        } else {
          line = `{"type":"${d.type}","object":${objectJson(d.entry, d.rev === d.entry.rev ? undefined : String(d.rev))}}\n`;
        }
      } else if (item.kind === 'bookmark') {
        const meta: Record<string, unknown> = { resourceVersion: String(item.rev) };
        if (item.initialEventsEnd) meta.annotations = { 'k8s.io/initial-events-end': 'true' };
        const obj = fmt.kind === 'table' ? { kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata: meta, rows: [] } : { kind: ctx.info.kind, apiVersion: gv, metadata: meta };
        line = `{"type":"BOOKMARK","object":${JSON.stringify(obj)}}\n`;
      } else {
        const status = new StatusError(item.code, item.reason, item.message).toStatus();
        line = `{"type":"ERROR","object":${JSON.stringify(status)}}\n`;
      }
      yield line;
    }
  } finally {
    release();
    await items.return(undefined);
  }
}

function fieldManagerOf(ctx: Ctx, required: boolean): string {
  const q = ctx.req.query.get('fieldManager');
  if (q !== null && q !== '') {
    if (q.length > MAX_FIELD_MANAGER) throw badRequest(`fieldManager: Too long: may not be more than ${MAX_FIELD_MANAGER} bytes`);
    if (!/^[\x20-\x7e]+$/.test(q)) throw badRequest(`fieldManager: Invalid value: ${JSON.stringify(q)}: must be made of printable characters`);
    return q;
  }
  if (required) {
    throw badRequest(`PATCH ${ctx.req.path}: fieldManager is required for apply requests`);
  }
  // Kubernetes names an unnamed manager after the client's user agent, up to the first '/'.
  const ua = ctx.req.headers['user-agent'] ?? '';
  return ua.split('/')[0]!.slice(0, MAX_FIELD_MANAGER) || 'unknown';
}

function dryRunOf(q: URLSearchParams): boolean {
  const values = q.getAll('dryRun');
  for (const v of values) {
    if (v !== 'All') throw badRequest(`dryRun: Unsupported value: "${v}": supported values: "All"`);
  }
  return values.length > 0;
}

function fieldValidationOf(q: URLSearchParams): FieldValidation {
  const v = q.get('fieldValidation');
  if (v === null || v === '') return 'Warn';
  if (v === 'Ignore' || v === 'Warn' || v === 'Strict') return v;
  throw badRequest(`fieldValidation: Unsupported value: "${v}": supported values: "Ignore", "Warn", "Strict"`);
}

/** Strict decoding of the body against the kind's schema (unknown fields and wrong types). */
function checkFields(ctx: Ctx, obj: KubeObject): void {
  const mode = fieldValidationOf(ctx.req.query);
  const { warnings } = validateFields({ group: ctx.info.group, version: ctx.info.version, kind: ctx.info.kind }, obj, mode);
  ctx.warnings.push(...warnings);
}

async function create(ctx: Ctx): Promise<ApiResponse> {
  const body = decodeObjectBody(ctx.req, ctx.deps.protobuf);
  checkFields(ctx, body);
  const obj = await ctx.deps.registry.create(ctx.storage, ctx.ri.namespace, ctx.conv ? ctx.conv.toStorage(body) : body, {
    dryRun: dryRunOf(ctx.req.query),
    fieldManager: fieldManagerOf(ctx, false),
  });
  return writtenResponse(ctx, 201, obj);
}

async function update(ctx: Ctx): Promise<ApiResponse> {
  const body = decodeObjectBody(ctx.req, ctx.deps.protobuf);
  checkFields(ctx, body);
  const { obj, created } = await ctx.deps.registry.update(ctx.storage, ctx.ri.namespace, ctx.ri.name, ctx.conv ? ctx.conv.toStorage(body) : body, {
    dryRun: dryRunOf(ctx.req.query),
    fieldManager: fieldManagerOf(ctx, false),
  });
  return writtenResponse(ctx, created ? 201 : 200, obj);
}

async function patch(ctx: Ctx): Promise<ApiResponse> {
  const decoded = decodePatchBody(ctx.req);
  const q = ctx.req.query;
  const force = boolParam(q, 'force');
  if (force !== undefined && decoded.type !== 'apply') throw badRequest('force: Forbidden: may not be specified for non-apply patch');
  const result = await patchObject(ctx.deps.registry, ctx.info, ctx.ri.namespace, ctx.ri.name, decoded, {
    ...(ctx.conv ? { conversion: ctx.conv } : {}),
    dryRun: dryRunOf(q),
    fieldManager: fieldManagerOf(ctx, decoded.type === 'apply'),
    force: force ?? false,
    fieldValidation: fieldValidationOf(q),
    subresource: '',
    warnings: ctx.warnings,
  });
  return writtenResponse(ctx, result.created ? 201 : 200, result.obj);
}

/** DeleteOptions from the body (kubectl) or the query (curl-style clients). */
export function deleteOptionsOf(req: ApiRequest): DeleteOptions {
  const body = decodeOptionalJson(req) ?? {};
  const q = req.query;
  const opts: DeleteOptions = {};
  const grace = body.gracePeriodSeconds ?? (q.get('gracePeriodSeconds') !== null ? Number(q.get('gracePeriodSeconds')) : undefined);
  if (grace !== undefined) {
    if (typeof grace !== 'number' || !Number.isInteger(grace)) throw badRequest('gracePeriodSeconds: must be an integer');
    opts.gracePeriodSeconds = grace;
  }
  const policy = body.propagationPolicy ?? q.get('propagationPolicy') ?? undefined;
  if (policy !== undefined) opts.propagationPolicy = policy as DeleteOptions['propagationPolicy'];
  const orphan = body.orphanDependents ?? boolParam(q, 'orphanDependents');
  if (orphan !== undefined) opts.orphanDependents = Boolean(orphan);
  if (body.preconditions && typeof body.preconditions === 'object') opts.preconditions = body.preconditions as DeleteOptions['preconditions'];
  const dry = Array.isArray(body.dryRun) ? (body.dryRun as string[]) : q.getAll('dryRun');
  if (dry.length > 0) opts.dryRun = dry;
  return opts;
}

async function remove(ctx: Ctx): Promise<ApiResponse> {
  const opts = deleteOptionsOf(ctx.req);
  const { obj, deleted } = await deleteObject(ctx.deps.registry, ctx.storage, ctx.ri.namespace, ctx.ri.name, opts);
  return deletedResponse(ctx.info, served(ctx, obj), deleted);
}

/** Kinds whose DELETE returns the object rather than a Status (Kubernetes' ReturnDeletedObject). */
const RETURNS_DELETED_OBJECT = new Set(['pods', 'namespaces', 'services', 'nodes']);

function deletedResponse(info: ResourceInfo, obj: StoredObject, deleted: boolean): ApiResponse {
  if (!deleted || RETURNS_DELETED_OBJECT.has(info.resource)) return jsonResponse(200, obj);
  return jsonResponse(
    200,
    successStatus({ name: obj.metadata.name, group: info.group, kind: info.resource, uid: obj.metadata.uid }),
  );
}

async function removeCollection(ctx: Ctx): Promise<ApiResponse> {
  const q = ctx.req.query;
  const filter = servedFilter(ctx, buildFilter(ctx.info, q.get('labelSelector'), q.get('fieldSelector')));
  const opts = deleteOptionsOf(ctx.req);
  const reg = ctx.deps.registry;
  const listed = await listObjects(reg, ctx.storage, { namespace: ctx.ri.namespace, filter: filter.matches, filtered: filter.selective });
  const deleted: StoredObject[] = [];
  // Sequential on purpose: bounded work per request, no unbounded Promise.all over a list.
  for (const e of listed.items) {
    try {
      const r = await deleteObject(reg, ctx.storage, e.namespace, e.obj.metadata.name, opts);
      deleted.push(served(ctx, r.obj));
    } catch (err) {
      if (err instanceof StatusError && err.code === 404) continue;
      throw err;
    }
  }
  return jsonResponse(200, {
    kind: ctx.info.listKind,
    apiVersion: groupVersion(ctx.info),
    metadata: { resourceVersion: String(reg.cache.revision) },
    items: deleted,
  });
}

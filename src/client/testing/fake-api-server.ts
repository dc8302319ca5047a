/**
 * A scripted, in-memory stand-in for the API server, for the client's own tests. It speaks the
 * Kubernetes REST wire protocol for what those tests exercise: object CRUD with uid/
 * resourceVersion/generateName, 409 on a stale resourceVersion, merge patches, paging with
 * continue tokens served from a consistent snapshot, label/field selectors (equality), and watch
 * from a resourceVersion (history replay, then live; synthetic ADDED for RV 0/""; bookmarks;
 * 410 once history is compacted). Tests also use it to break things: drop every watch, inject
 * garbage into streams, fail the next requests.
 *
 * It is not the Skiff API server; integration tests use the real one.
 */
import type { ApiHandler, ApiRequest, ApiResponse } from '../../api/http.js';
import type { Status } from '../../api/errors.js';
import { alreadyExists, conflict, expired, notFound, STALE_OBJECT_MESSAGE, StatusError } from '../../api/errors.js';
import type { KubeObject } from '../../api/object.js';

interface Parsed {
  prefix: string; // `/api/v1` or `/apis/g/v`
  apiVersion: string;
  namespace: string | undefined;
  resource: string;
  name: string | undefined;
  sub: string | undefined;
}

interface HistoryEntry {
  rv: number;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  key: string; // prefix/resource/ns/name
  obj: KubeObject;
}

interface Watcher {
  collection: string; // prefix/resource
  namespace: string | undefined;
  labels: string;
  fields: string;
  bookmarks: boolean;
  queue: string[];
  wake: (() => void) | undefined;
  closed: boolean;
}

/** A fault the next matching request gets instead of normal handling. */
export interface InjectedFault {
  match?: (req: ApiRequest) => boolean;
  status: number;
  body?: string;
  headers?: Record<string, string>;
}

const KINDS: Record<string, string> = {
  pods: 'Pod',
  nodes: 'Node',
  namespaces: 'Namespace',
  configmaps: 'ConfigMap',
  events: 'Event',
  leases: 'Lease',
  replicasets: 'ReplicaSet',
  deployments: 'Deployment',
  services: 'Service',
  secrets: 'Secret',
};
const CLUSTER_SCOPED = new Set(['nodes', 'namespaces', 'persistentvolumes']);

export class FakeApiServer {
  /** Every request received, in order. */
  readonly requests: ApiRequest[] = [];
  private rv = 1;
  private compactedRV = 0;
  private readonly objects = new Map<string, KubeObject>();
  private history: HistoryEntry[] = [];
  private readonly watchers = new Set<Watcher>();
  private faults: InjectedFault[] = [];
  private uidCounter = 0;
  private nameCounter = 0;
  /** Answer a watch from a compacted RV with HTTP 410 instead of a 200 + ERROR event. */
  expiredWatchAsHttpError = false;
  /** Current time for creationTimestamp (tests may pin it). */
  now: () => number = () => Date.now();

  readonly handler: ApiHandler = (req) => this.handle(req);

  /** The current resourceVersion. */
  get resourceVersion(): number {
    return this.rv;
  }

  /** Number of watches currently open. */
  get openWatches(): number {
    return this.watchers.size;
  }

  /** Forgets history: watches and continue tokens from before now get 410. */
  compact(): void {
    this.compactedRV = this.rv;
    this.history = [];
  }

  /** Closes every open watch stream normally (as a server restart or timeout would). */
  dropWatches(): void {
    for (const w of this.watchers) this.closeWatcher(w);
  }

  /** Writes `line` verbatim into every open watch (e.g. garbage, to test decode errors). */
  injectIntoWatches(line: string): void {
    for (const w of this.watchers) this.push(w, line);
  }

  /** Sends a BOOKMARK at the current resourceVersion to watches that asked for them. */
  bookmark(): void {
    for (const w of this.watchers) {
      if (!w.bookmarks) continue;
      this.push(w, JSON.stringify({ type: 'BOOKMARK', object: { kind: KINDS[w.collection.split('/').pop() ?? ''] ?? '', apiVersion: 'v1', metadata: { resourceVersion: String(this.rv) } } }));
    }
  }

  /** The next request matching `fault.match` (default: any) fails with the given status. */
  injectFault(fault: InjectedFault): void {
    this.faults.push(fault);
  }

  /** Seeds an object directly (as if created), returning the stored copy. */
  seed(path: string, obj: KubeObject): KubeObject {
    const p = parsePath(path);
    if (!p) throw new Error(`bad path ${path}`);
    return this.create(p, structuredClone(obj));
  }

  /** Direct writes for tests (bypassing HTTP): update, delete. */
  put(path: string, obj: KubeObject): KubeObject {
    const p = parsePath(path);
    if (!p?.name) throw new Error(`bad path ${path}`);
    return this.update(p, structuredClone(obj), false);
  }
  remove(path: string): KubeObject {
    const p = parsePath(path);
    if (!p?.name) throw new Error(`bad path ${path}`);
    return this.delete(p);
  }
  /** The stored object at `path`, if any. */
  get(path: string): KubeObject | undefined {
    const p = parsePath(path);
    return p?.name ? this.objects.get(objKey(p, p.name)) : undefined;
  }
  /** Stored objects of a collection path. */
  list(path: string): KubeObject[] {
    const p = parsePath(path);
    if (!p) return [];
    return [...this.objects.entries()].filter(([k]) => inCollection(k, p)).map(([, o]) => o);
  }

  private async handle(req: ApiRequest): Promise<ApiResponse> {
    this.requests.push(req);
    const fi = this.faults.findIndex((f) => !f.match || f.match(req));
    if (fi >= 0) {
      const f = this.faults[fi] as InjectedFault;
      this.faults.splice(fi, 1);
      return { status: f.status, headers: { 'content-type': 'application/json', ...f.headers }, body: f.body ?? JSON.stringify(statusFor(f.status)) };
    }
    try {
      return this.route(req);
    } catch (err) {
      if (err instanceof StatusError) return json(err.code, err.toStatus());
      throw err;
    }
  }

  private route(req: ApiRequest): ApiResponse {
    const p = parsePath(req.path);
    if (!p) return json(404, statusFor(404));
    const body = req.body ? (JSON.parse(Buffer.from(req.body).toString('utf8')) as KubeObject) : undefined;
    switch (req.method) {
      case 'GET':
        if (p.name && p.sub === undefined) {
          const obj = this.objects.get(objKey(p, p.name));
          if (!obj) throw notFound({ group: groupOf(p), resource: p.resource }, p.name);
          return json(200, obj);
        }
        if (p.name && p.sub === 'log') return { status: 200, headers: { 'content-type': 'text/plain' }, body: `log of ${p.name}\n` };
        if (req.query.get('watch') === 'true' || req.query.get('watch') === '1') return this.watch(p, req);
        return json(200, this.listCollection(p, req.query));
      case 'POST':
        if (p.name && p.sub === 'binding') {
          const key = objKey(p, p.name);
          const pod = this.objects.get(key);
          if (!pod) throw notFound({ group: '', resource: 'pods' }, p.name);
          const target = (body as { target?: { name?: string } }).target?.name;
          const next = structuredClone(pod) as KubeObject & { spec?: Record<string, unknown> };
          next.spec = { ...next.spec, nodeName: target };
          this.write(key, p, next, 'MODIFIED');
          return json(201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
        }
        return json(201, this.create(p, body as KubeObject));
      case 'PUT':
        if (!p.name) return json(405, statusFor(405));
        return json(200, this.update(p, body as KubeObject, p.sub === 'status'));
      case 'PATCH': {
        if (!p.name) return json(405, statusFor(405));
        const ct = req.headers['content-type'] ?? '';
        const key = objKey(p, p.name);
        const current = this.objects.get(key);
        if (!current) {
          if (ct.startsWith('application/apply-patch')) return json(201, this.create(p, body as KubeObject));
          throw notFound({ group: groupOf(p), resource: p.resource }, p.name);
        }
        const merged = mergePatch(structuredClone(current), body) as KubeObject;
        return json(200, this.update(p, merged, p.sub === 'status', true));
      }
      case 'DELETE':
        if (!p.name) {
          for (const o of this.list(req.path)) this.delete({ ...p, namespace: o.metadata?.namespace, name: o.metadata?.name });
          return json(200, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 200 });
        }
        return json(200, this.delete(p));
      default:
        return json(405, statusFor(405));
    }
  }

  private create(p: Parsed, obj: KubeObject): KubeObject {
    const meta = (obj.metadata ??= {});
    if (!meta.name && meta.generateName) meta.name = `${meta.generateName}${(++this.nameCounter).toString(36).padStart(5, 'x')}`;
    if (!meta.name) throw new StatusError(422, 'Invalid', 'name or generateName is required');
    if (!CLUSTER_SCOPED.has(p.resource)) meta.namespace = p.namespace ?? meta.namespace;
    const key = objKey(p, meta.name);
    if (this.objects.has(key)) throw alreadyExists({ group: groupOf(p), resource: p.resource }, meta.name);
    meta.uid = `uid-${++this.uidCounter}`;
    meta.creationTimestamp = new Date(this.now()).toISOString().replace(/\.\d+Z$/, 'Z');
    obj.apiVersion = p.apiVersion;
    obj.kind = KINDS[p.resource] ?? p.resource;
    return this.write(key, p, obj, 'ADDED');
  }

  private update(p: Parsed, obj: KubeObject, statusOnly: boolean, patched = false): KubeObject {
    const name = p.name as string;
    const key = objKey(p, name);
    const current = this.objects.get(key);
    if (!current) throw notFound({ group: groupOf(p), resource: p.resource }, name);
    const wantRV = obj.metadata?.resourceVersion;
    if (!patched && wantRV && wantRV !== current.metadata?.resourceVersion) {
      throw conflict({ group: groupOf(p), resource: p.resource }, name, STALE_OBJECT_MESSAGE);
    }
    let next: KubeObject;
    if (statusOnly) next = { ...structuredClone(current), status: obj['status'] };
    else next = { ...obj, metadata: { ...obj.metadata, uid: current.metadata?.uid, creationTimestamp: current.metadata?.creationTimestamp, name, ...(current.metadata?.namespace ? { namespace: current.metadata.namespace } : {}) } } as KubeObject;
    next.apiVersion = current.apiVersion;
    next.kind = current.kind;
    return this.write(key, p, next, 'MODIFIED');
  }

  private delete(p: Parsed): KubeObject {
    const name = p.name as string;
    const key = objKey(p, name);
    const current = this.objects.get(key);
    if (!current) throw notFound({ group: groupOf(p), resource: p.resource }, name);
    return this.write(key, p, structuredClone(current), 'DELETED');
  }

  private write(key: string, _p: Parsed, obj: KubeObject, type: HistoryEntry['type']): KubeObject {
    const prev = this.objects.get(key);
    this.rv++;
    (obj.metadata ??= {}).resourceVersion = String(this.rv);
    if (type === 'DELETED') this.objects.delete(key);
    else this.objects.set(key, obj);
    this.history.push({ rv: this.rv, type, key, obj });
    for (const w of this.watchers) this.deliver(w, key, type, obj, prev);
    return obj;
  }

  private deliver(w: Watcher, key: string, type: HistoryEntry['type'], obj: KubeObject, prev: KubeObject | undefined): void {
    if (!inCollection(key, { collection: w.collection, namespace: w.namespace })) return;
    const now = type !== 'DELETED' && matches(obj, w.labels, w.fields);
    const before = prev !== undefined && matches(prev, w.labels, w.fields);
    let out: HistoryEntry['type'] | undefined;
    if (type === 'DELETED') out = before ? 'DELETED' : undefined;
    else if (now && before) out = 'MODIFIED';
    else if (now) out = 'ADDED';
    else if (before) out = 'DELETED'; // left the selector: Kubernetes sends DELETED
    if (out) this.push(w, JSON.stringify({ type: out, object: obj }));
  }

  private listCollection(p: Parsed, q: URLSearchParams): Record<string, unknown> {
    const limit = Number(q.get('limit') ?? 0);
    const token = q.get('continue');
    let atRV = this.rv;
    let after = '';
    if (token) {
      const t = JSON.parse(Buffer.from(token, 'base64').toString()) as { rv: number; after: string };
      if (t.rv < this.compactedRV) throw expired('The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.');
      atRV = t.rv;
      after = t.after;
    }
    const state = atRV === this.rv ? this.objects : this.stateAt(atRV);
    const coll = { collection: `${p.prefix}/${p.resource}`, namespace: p.namespace };
    const keys = [...state.keys()].filter((k) => inCollection(k, coll)).sort();
    const items: KubeObject[] = [];
    let next: string | undefined;
    for (const k of keys) {
      if (after && k <= after) continue;
      const obj = state.get(k) as KubeObject;
      if (!matches(obj, q.get('labelSelector') ?? '', q.get('fieldSelector') ?? '')) continue;
      if (limit > 0 && items.length === limit) {
        next = Buffer.from(JSON.stringify({ rv: atRV, after: keyOfLast(items, p) })).toString('base64');
        break;
      }
      // Real servers omit TypeMeta on list items; so does this fake, so clients must cope.
      const { apiVersion: _a, kind: _k, ...rest } = obj;
      items.push(rest as KubeObject);
    }
    const kind = `${KINDS[p.resource] ?? p.resource}List`;
    return { kind, apiVersion: p.apiVersion, metadata: { resourceVersion: String(atRV), ...(next ? { continue: next } : {}) }, items };
  }

  /** Reconstructs the objects as of `rv` by undoing history newer than it. */
  private stateAt(rv: number): Map<string, KubeObject> {
    const state = new Map(this.objects);
    for (let i = this.history.length - 1; i >= 0; i--) {
      const e = this.history[i] as HistoryEntry;
      if (e.rv <= rv) break;
      // Find the object's previous version in history (or none: it did not exist).
      let prev: HistoryEntry | undefined;
      for (let j = i - 1; j >= 0; j--) if ((this.history[j] as HistoryEntry).key === e.key) {
        prev = this.history[j];
        break;
      }
      if (prev && prev.type !== 'DELETED') state.set(e.key, prev.obj);
      else state.delete(e.key);
    }
    return state;
  }

  private watch(p: Parsed, req: ApiRequest): ApiResponse {
    const rvParam = req.query.get('resourceVersion') ?? '';
    const w: Watcher = {
      collection: `${p.prefix}/${p.resource}`,
      namespace: p.namespace,
      labels: req.query.get('labelSelector') ?? '',
      fields: req.query.get('fieldSelector') ?? '',
      bookmarks: req.query.get('allowWatchBookmarks') === 'true',
      queue: [],
      wake: undefined,
      closed: false,
    };
    if (rvParam === '' || rvParam === '0') {
      for (const [k, o] of this.objects) if (inCollection(k, w) && matches(o, w.labels, w.fields)) w.queue.push(JSON.stringify({ type: 'ADDED', object: o }));
    } else {
      const from = Number(rvParam);
      if (from < this.compactedRV) {
        const st = expired(`too old resource version: ${from} (${this.compactedRV})`).toStatus();
        if (this.expiredWatchAsHttpError) return json(410, st);
        return { status: 200, headers: { 'content-type': 'application/json' }, stream: once(JSON.stringify({ type: 'ERROR', object: st }) + '\n') };
      }
      // Replay history after `from`, with the previous version for selector transitions.
      const seen = new Map<string, KubeObject | undefined>();
      const state = this.stateAt(from);
      for (const e of this.history) {
        if (e.rv <= from) continue;
        const prev = seen.has(e.key) ? seen.get(e.key) : state.get(e.key);
        this.deliver(w, e.key, e.type, e.obj, prev);
        seen.set(e.key, e.type === 'DELETED' ? undefined : e.obj);
      }
    }
    this.watchers.add(w);
    req.signal.addEventListener('abort', () => this.closeWatcher(w), { once: true });
    return { status: 200, headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' }, stream: this.drain(w) };
  }

  private async *drain(w: Watcher): AsyncGenerator<string> {
    try {
      for (;;) {
        while (w.queue.length > 0) yield (w.queue.shift() as string) + '\n';
        if (w.closed) return;
        await new Promise<void>((resolve) => (w.wake = resolve));
        w.wake = undefined;
      }
    } finally {
      this.watchers.delete(w);
    }
  }

  private push(w: Watcher, line: string): void {
    if (w.closed) return;
    w.queue.push(line);
    w.wake?.();
  }

  private closeWatcher(w: Watcher): void {
    w.closed = true;
    this.watchers.delete(w);
    w.wake?.();
  }
}

function parsePath(path: string): Parsed | undefined {
  const seg = path.split('/').filter(Boolean).map(decodeURIComponent);
  let prefix: string;
  let apiVersion: string;
  let rest: string[];
  if (seg[0] === 'api' && seg[1]) {
    prefix = `/api/${seg[1]}`;
    apiVersion = seg[1];
    rest = seg.slice(2);
  } else if (seg[0] === 'apis' && seg[1] && seg[2]) {
    prefix = `/apis/${seg[1]}/${seg[2]}`;
    apiVersion = `${seg[1]}/${seg[2]}`;
    rest = seg.slice(3);
  } else return undefined;
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [resource, name, sub] = rest;
  if (!resource) return undefined;
  return { prefix, apiVersion, namespace, resource, name, sub };
}

function groupOf(p: Parsed): string {
  return p.prefix.startsWith('/apis/') ? (p.prefix.split('/')[2] as string) : '';
}

function objKey(p: Parsed, name: string): string {
  return `${p.prefix}/${p.resource}/${CLUSTER_SCOPED.has(p.resource) ? '' : (p.namespace ?? '')}/${name}`;
}

function keyOfLast(items: KubeObject[], p: Parsed): string {
  const last = items[items.length - 1] as KubeObject;
  return `${p.prefix}/${p.resource}/${CLUSTER_SCOPED.has(p.resource) ? '' : (last.metadata?.namespace ?? '')}/${last.metadata?.name ?? ''}`;
}

function inCollection(key: string, c: { collection?: string; prefix?: string; resource?: string; namespace: string | undefined }): boolean {
  const coll = c.collection ?? `${c.prefix}/${c.resource}`;
  if (!key.startsWith(`${coll}/`)) return false;
  if (!c.namespace) return true;
  return key.startsWith(`${coll}/${c.namespace}/`);
}

/** Equality-based label (`a=b,c!=d`, `a`, `!a`) and field (`spec.nodeName=x`) selector matching. */
function matches(obj: KubeObject, labels: string, fields: string): boolean {
  const l = obj.metadata?.labels ?? {};
  for (const term of labels.split(',').filter(Boolean)) {
    const m = /^(!?)([^=!]+)(?:(==|=|!=)(.*))?$/.exec(term.trim());
    if (!m) return false;
    const [, neg, key, op, value] = m as unknown as [string, string, string, string | undefined, string | undefined];
    if (!op) {
      if (neg ? key in l : !(key in l)) return false;
    } else if (op === '!=') {
      if (l[key] === value) return false;
    } else if (l[key] !== value) return false;
  }
  for (const term of fields.split(',').filter(Boolean)) {
    const m = /^([^=!]+)(==|=|!=)(.*)$/.exec(term.trim());
    if (!m) return false;
    const [, path, op, value] = m as unknown as [string, string, string, string];
    let v: unknown = obj;
    for (const part of path.split('.')) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[part] : undefined;
    const s = v === undefined || v === null ? '' : String(v);
    if (op === '!=' ? s === value : s !== value) return false;
  }
  return true;
}

/** RFC 7386 JSON merge patch (also used for strategic merge patches of simple objects). */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!patch || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> = target && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [k, v] of Object.entries(patch as Record<string, unknown>)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

function json(status: number, body: unknown): ApiResponse {
  return { status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

function statusFor(code: number): Status {
  const reason = code === 404 ? 'NotFound' : code === 409 ? 'Conflict' : code === 429 ? 'TooManyRequests' : code === 405 ? 'MethodNotAllowed' : code >= 500 ? 'InternalError' : 'BadRequest';
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `injected ${code}`, reason, code };
}

async function* once(s: string): AsyncGenerator<string> {
  yield s;
}

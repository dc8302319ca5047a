/**
 * The generic resource client: one API resource, optionally scoped to a namespace, with every
 * verb Kubernetes serves on it. Paths, query parameters, bodies and content types are the
 * Kubernetes wire protocol, so the same calls work against Skiff and against a real cluster.
 *
 *   client.resource<ReplicaSet>(rsInfo).namespace('default').get('web')
 *   client.pods('default').patch('web-x', 'merge', { metadata: { labels: { a: 'b' } } })
 */
import type { Status } from '../api/errors.js';
import type { KubeObject } from '../api/object.js';
import type { ResourceInfo } from '../api/resources.js';
import { findResource, groupVersion } from '../api/resources.js';
import type { Scale } from 'kubernetes-types/autoscaling/v1.js';
import type { RestClient, RestRequest } from './rest-client.js';
import type { DeleteOptions, ListOptions, PatchOptions, WatchOptions, WriteOptions } from './query.js';
import { deleteOptionsBody, encodeListOptions, encodeWriteOptions } from './query.js';
import type { ObjectLike, ObjectList, WatchEvent } from './types.js';
import { toWatchEvent } from './watch-decoder.js';
import { isGone } from '../api/errors.js';

/** Identifies a resource: a served ResourceInfo, or group/version/plural for anything else. */
export type ResourceRef = ResourceInfo | { group: string; version: string; resource: string; namespaced?: boolean; kind?: string };

/** What the client needs to know about a resource to build requests. */
export interface ResolvedResource {
  group: string;
  version: string;
  resource: string;
  namespaced: boolean;
  /** The Kind, when known; stamped onto list items that arrive without TypeMeta. */
  kind: string | undefined;
  /** `pods`, `replicasets.apps`: for messages. */
  groupResource: string;
}

/** Resolves a ResourceRef against the served-resources table. */
export function resolveResource(ref: ResourceRef): ResolvedResource {
  const known = findResource(ref.group, ref.version, ref.resource);
  const namespaced = ('namespaced' in ref && ref.namespaced !== undefined ? ref.namespaced : known?.namespaced) ?? true;
  const kind = ('kind' in ref && ref.kind ? ref.kind : known?.kind) ?? undefined;
  return {
    group: ref.group,
    version: ref.version,
    resource: ref.resource,
    namespaced,
    kind,
    groupResource: ref.group ? `${ref.resource}.${ref.group}` : ref.resource,
  };
}

/** Patch types by their short names, and the content type each is sent with. */
export const PATCH_CONTENT_TYPES = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
} as const;
export type PatchType = keyof typeof PATCH_CONTENT_TYPES;

/** Page size used when a list does not give one (kubectl and client-go's pager use 500). */
export const DEFAULT_PAGE_SIZE = 500;

/** Settings shared by every resource client of one Client. */
export interface ResourceClientDefaults {
  fieldManager?: string;
}

/** A client for one resource, scoped to one namespace or to all. */
export class ResourceClient<T extends ObjectLike = KubeObject> {
  constructor(
    protected readonly rest: RestClient,
    readonly info: ResolvedResource,
    /** The namespace requests go to; undefined = all namespaces (list/watch) or cluster-scoped. */
    readonly namespaceName: string | undefined,
    protected readonly defaults: ResourceClientDefaults = {},
  ) {}

  /** The same resource in namespace `ns`. */
  namespace(ns: string): this {
    if (!this.info.namespaced) throw new Error(`${this.info.groupResource} is cluster-scoped; it has no namespace ${JSON.stringify(ns)}`);
    return this.scoped(ns);
  }

  /** The same resource across all namespaces (list and watch only, for namespaced resources). */
  allNamespaces(): this {
    return this.scoped(undefined);
  }

  protected scoped(ns: string | undefined): this {
    const ctor = this.constructor as new (rest: RestClient, info: ResolvedResource, ns: string | undefined, d: ResourceClientDefaults) => this;
    return new ctor(this.rest, this.info, ns, this.defaults);
  }

  /** The collection path (`/apis/apps/v1/namespaces/default/replicasets`). */
  collectionPath(ns: string | undefined = this.namespaceName): string {
    const base = this.info.group ? `/apis/${this.info.group}/${this.info.version}` : `/api/${this.info.version}`;
    return this.info.namespaced && ns ? `${base}/namespaces/${encodeURIComponent(ns)}/${this.info.resource}` : `${base}/${this.info.resource}`;
  }

  /** The path of one object, or of its subresource. */
  objectPath(name: string, subresource?: string, ns: string | undefined = this.namespaceName): string {
    if (!name) throw new Error(`a name is required for ${this.info.groupResource}`);
    if (this.info.namespaced && !ns) throw new Error(`a namespace is required for ${this.info.groupResource} "${name}"`);
    return `${this.collectionPath(ns)}/${encodeURIComponent(name)}${subresource ? `/${subresource}` : ''}`;
  }

  /** GET one object. */
  async get(name: string, opts: { resourceVersion?: string; signal?: AbortSignal } = {}): Promise<T> {
    const query = new URLSearchParams();
    if (opts.resourceVersion) query.set('resourceVersion', opts.resourceVersion);
    return this.stamp(await this.call<T>({ method: 'GET', path: this.objectPath(name), query, ...sig(opts) }, 'get', name));
  }

  /**
   * LIST, following `continue` tokens until complete; the result carries the resourceVersion of
   * the snapshot every page came from. If a continue token expires mid-way (410), the list is
   * restarted without paging, as client-go's pager does, so the result is always consistent.
   */
  async list(opts: ListOptions = {}): Promise<ObjectList<T>> {
    let result: ObjectList<T> | undefined;
    for await (const page of this.pages(opts)) {
      if (!result) result = page;
      else for (const item of page.items) result.items.push(item);
      result.metadata = { ...page.metadata };
    }
    const out = result as ObjectList<T>;
    delete out.metadata.continue;
    delete out.metadata.remainingItemCount;
    return out;
  }

  /** LIST one page (`limit` items from `continue`). */
  async listPage(opts: ListOptions = {}): Promise<ObjectList<T>> {
    const query = encodeListOptions(new URLSearchParams(), opts);
    const list = await this.call<ObjectList<T>>({ method: 'GET', path: this.collectionPath(), query, ...sig(opts), ...(opts.sharedObjects ? { sharedObjects: true } : {}) }, 'list');
    if (!Array.isArray(list.items)) list.items = [];
    list.metadata ??= {};
    this.stampList(list);
    return list;
  }

  /** Yields the pages of a LIST in order (constant memory for large collections). */
  async *pages(opts: ListOptions = {}): AsyncGenerator<ObjectList<T>> {
    const limit = opts.limit ?? DEFAULT_PAGE_SIZE;
    let token = opts.continue;
    let paged = false;
    for (;;) {
      let page: ObjectList<T>;
      try {
        page = await this.listPage({ ...opts, limit, ...(token ? { continue: token } : {}) });
      } catch (err) {
        if (paged && isGone(err)) {
          // The snapshot behind the continue token was compacted: restart with one full list.
          this.rest.logger.warn('continue token expired; relisting without paging', { resource: this.info.groupResource });
          const { continue: _c, ...rest } = opts;
          yield await this.listPage({ ...rest, limit: 0 });
          return;
        }
        throw err;
      }
      yield page;
      token = page.metadata.continue;
      if (!token) return;
      paged = true;
    }
  }

  /** POST a new object (namespace from the client, else from the object). */
  async create(obj: T, opts: WriteOptions = {}): Promise<T> {
    const ns = this.namespaceFor(obj);
    const query = encodeWriteOptions(new URLSearchParams(), opts, this.defaults.fieldManager);
    return this.stamp(await this.call<T>({ method: 'POST', path: this.collectionPath(ns), query, body: obj, ...sig(opts), ...shared(opts) }, 'create', obj.metadata?.name));
  }

  /** PUT an object; its metadata.resourceVersion (if set) is the optimistic-concurrency precondition. */
  async update(obj: T, opts: WriteOptions = {}): Promise<T> {
    return this.put(obj, undefined, opts);
  }

  /** PUT the /status subresource (only status changes are kept by the server). */
  async updateStatus(obj: T, opts: WriteOptions = {}): Promise<T> {
    return this.put(obj, 'status', opts);
  }

  private async put(obj: T, sub: string | undefined, opts: WriteOptions): Promise<T> {
    const name = mustName(obj, this.info.groupResource);
    const query = encodeWriteOptions(new URLSearchParams(), opts, this.defaults.fieldManager);
    const path = this.objectPath(name, sub, this.namespaceFor(obj));
    return this.stamp(await this.call<T>({ method: 'PUT', path, query, body: obj, ...sig(opts), ...shared(opts) }, 'update', name));
  }

  /** PATCH an object (or a subresource: `{ subresource: 'status' }`) with a patch of `type`. */
  async patch(name: string, type: PatchType, patch: unknown, opts: PatchOptions & { subresource?: string } = {}): Promise<T> {
    const query = encodeWriteOptions(new URLSearchParams(), opts, this.defaults.fieldManager);
    if (type === 'apply' && !query.has('fieldManager')) throw new Error('server-side apply needs a fieldManager (set one on the client or in the options)');
    const req: RestRequest = {
      method: 'PATCH',
      path: this.objectPath(name, opts.subresource),
      query,
      body: patch,
      contentType: PATCH_CONTENT_TYPES[type],
      ...sig(opts),
      ...shared(opts),
    };
    return this.stamp(await this.call<T>(req, 'patch', name));
  }

  /** PATCH the /status subresource. */
  async patchStatus(name: string, type: PatchType, patch: unknown, opts: PatchOptions = {}): Promise<T> {
    return this.patch(name, type, patch, { ...opts, subresource: 'status' });
  }

  /** Server-side apply of `obj` (a partial object with apiVersion, kind and metadata.name). */
  async apply(obj: T, opts: PatchOptions = {}): Promise<T> {
    const withNs = this.namespaceFor(obj);
    const client = withNs === this.namespaceName ? this : this.scoped(withNs);
    return client.patch(mustName(obj, this.info.groupResource), 'apply', obj, opts);
  }

  /** Server-side apply to the /status subresource. */
  async applyStatus(obj: T, opts: PatchOptions = {}): Promise<T> {
    const withNs = this.namespaceFor(obj);
    const client = withNs === this.namespaceName ? this : this.scoped(withNs);
    return client.patch(mustName(obj, this.info.groupResource), 'apply', obj, { ...opts, subresource: 'status' });
  }

  /**
   * DELETE one object with DeleteOptions. Resolves to the object when it still exists (graceful
   * deletion or finalizers pending), or to the server's Success Status once it is gone.
   */
  async delete(name: string, opts: DeleteOptions = {}): Promise<T | Status> {
    const query = new URLSearchParams();
    if (opts.dryRun) query.set('dryRun', 'All');
    return this.call<T | Status>({ method: 'DELETE', path: this.objectPath(name), query, body: deleteOptionsBody(opts), ...sig(opts) }, 'delete', name);
  }

  /** DELETE every object matching the list options. */
  async deleteCollection(opts: DeleteOptions & Omit<ListOptions, 'signal'> = {}): Promise<Status | ObjectList<T>> {
    const query = encodeListOptions(new URLSearchParams(), opts);
    if (opts.dryRun) query.set('dryRun', 'All');
    return this.call<Status | ObjectList<T>>({ method: 'DELETE', path: this.collectionPath(), query, body: deleteOptionsBody(opts), ...sig(opts) }, 'deletecollection');
  }

  /**
   * WATCH from `opts.resourceVersion`. Iterating starts the request; the iteration ends when the
   * server closes the stream or `opts.signal` aborts, and breaking out of it closes the stream.
   * An ERROR event is thrown as its StatusError (410 Expired: the resourceVersion is too old).
   */
  watch(opts: WatchOptions = {}): AsyncIterable<WatchEvent<T>> {
    return { [Symbol.asyncIterator]: () => this.watchEvents(opts) };
  }

  private async *watchEvents(opts: WatchOptions): AsyncGenerator<WatchEvent<T>> {
    const conn = new AbortController();
    const onAbort = (): void => conn.abort(opts.signal?.reason);
    if (opts.signal?.aborted) return;
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const query = encodeListOptions(new URLSearchParams({ watch: 'true' }), { ...opts, signal: conn.signal });
      const values = await this.rest.streamJson({
        method: 'GET',
        path: this.collectionPath(),
        query,
        signal: conn.signal,
        describe: { verb: 'watch', resource: this.info.groupResource },
        ...(opts.sharedObjects ? { sharedObjects: true } : {}),
      });
      for await (const value of values) {
        const ev = toWatchEvent<T>(value);
        if (ev.type !== 'BOOKMARK') this.stamp(ev.object);
        yield ev;
      }
    } catch (err) {
      if (opts.signal?.aborted) return;
      throw err;
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
      conn.abort();
    }
  }

  /** GET a subresource (`scale`, `status`, …). */
  async getSubresource<S>(name: string, subresource: string, opts: { signal?: AbortSignal } = {}): Promise<S> {
    return this.call<S>({ method: 'GET', path: this.objectPath(name, subresource), ...sig(opts) }, 'get', name);
  }

  /** POST to a subresource (`binding`, `eviction`). */
  async createSubresource<S>(name: string, subresource: string, body: unknown, opts: WriteOptions = {}): Promise<S> {
    const query = encodeWriteOptions(new URLSearchParams(), opts, this.defaults.fieldManager);
    return this.call<S>({ method: 'POST', path: this.objectPath(name, subresource), query, body, ...sig(opts) }, 'create', name);
  }

  /** PUT a subresource. */
  async updateSubresource<S>(name: string, subresource: string, body: unknown, opts: WriteOptions = {}): Promise<S> {
    const query = encodeWriteOptions(new URLSearchParams(), opts, this.defaults.fieldManager);
    return this.call<S>({ method: 'PUT', path: this.objectPath(name, subresource), query, body, ...sig(opts) }, 'update', name);
  }

  /** GET the autoscaling/v1 Scale of a scalable resource. */
  getScale(name: string, opts: { signal?: AbortSignal } = {}): Promise<Scale> {
    return this.getSubresource<Scale>(name, 'scale', opts);
  }

  /** PUT a Scale (its resourceVersion, if set, is a precondition). */
  updateScale(name: string, scale: Scale, opts: WriteOptions = {}): Promise<Scale> {
    return this.updateSubresource<Scale>(name, 'scale', scale, opts);
  }

  /** PATCH the Scale, e.g. `patchScale('web', 'merge', { spec: { replicas: 3 } })` as `kubectl scale` does. */
  async patchScale(name: string, type: PatchType, patch: unknown, opts: PatchOptions = {}): Promise<Scale> {
    const query = encodeWriteOptions(new URLSearchParams(), opts, this.defaults.fieldManager);
    return this.call<Scale>({ method: 'PATCH', path: this.objectPath(name, 'scale'), query, body: patch, contentType: PATCH_CONTENT_TYPES[type], ...sig(opts) }, 'patch', name);
  }

  protected call<R>(req: RestRequest, verb: string, name?: string): Promise<R> {
    return this.rest.json<R>({ ...req, describe: { verb, resource: this.info.groupResource, ...(name ? { name } : {}) } });
  }

  /** The namespace a write of `obj` goes to: the client's, else the object's own. */
  protected namespaceFor(obj: ObjectLike): string | undefined {
    if (!this.info.namespaced) return undefined;
    const own = obj.metadata?.namespace;
    if (this.namespaceName && own && own !== this.namespaceName) {
      throw new Error(`${this.info.groupResource} "${obj.metadata?.name ?? ''}" is in namespace "${own}", not "${this.namespaceName}"`);
    }
    const ns = this.namespaceName ?? own;
    if (!ns) throw new Error(`a namespace is required for ${this.info.groupResource} "${obj.metadata?.name ?? obj.metadata?.generateName ?? ''}"`);
    return ns;
  }

  /** Fills apiVersion/kind where the server left them out (list items do). */
  protected stamp<O extends ObjectLike>(obj: O): O {
    if (obj && typeof obj === 'object' && this.info.kind && (obj as ObjectLike).kind === undefined && !Object.isFrozen(obj)) {
      const o = obj as ObjectLike;
      o.apiVersion ??= groupVersion(this.info);
      o.kind = this.info.kind;
    }
    return obj;
  }

  private stampList(list: ObjectList<T>): void {
    const kind = this.info.kind ?? (list.kind?.endsWith('List') ? list.kind.slice(0, -4) : undefined);
    const apiVersion = list.apiVersion ?? groupVersion(this.info);
    if (!kind) return;
    for (const item of list.items) {
      if (item.kind === undefined) {
        item.apiVersion ??= apiVersion;
        item.kind = kind;
      }
    }
  }
}

function sig(opts: { signal?: AbortSignal }): { signal?: AbortSignal } {
  return opts.signal ? { signal: opts.signal } : {};
}

function shared(opts: { readOnlyResult?: boolean }): { sharedObjects?: true } {
  return opts.readOnlyResult ? { sharedObjects: true } : {};
}

function mustName(obj: ObjectLike, gr: string): string {
  const name = obj.metadata?.name;
  if (!name) throw new Error(`${gr}: the object has no metadata.name`);
  return name;
}

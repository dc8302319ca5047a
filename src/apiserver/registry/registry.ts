/**
 * The generic registry: Kubernetes' `genericregistry.Store` for every resource. It turns API
 * verbs into store operations with Kubernetes' semantics — system metadata, defaulting and
 * validation through the kind's strategy, resourceVersion preconditions (409 Conflict),
 * no-op updates that write nothing, status subresources, finalizers and deletion.
 */
import type { Store, KeyValue } from '../../storage/store.js';
import { KeyExistsError, KeyNotFoundError, RevisionConflictError } from '../../storage/store.js';
import type { KubeObject, ObjectMeta, StoredObject } from '../../api/object.js';
import { clone } from '../../api/object.js';
import { groupVersion, findResource, type ResourceInfo } from '../../api/resources.js';
import {
  StatusError,
  alreadyExists,
  badRequest,
  conflict,
  fieldErrorToCause,
  invalid,
  notFound,
  STALE_OBJECT_MESSAGE,
  type FieldError,
} from '../../api/errors.js';
import type { ObjectCache, CacheEntry } from './object-cache.js';
import { objectKeyFor, storageResource } from './keys.js';
import { generateName, newUID, rfc3339 } from './system-fields.js';
import type { AllocationHook, Strategy } from './strategy-contract.js';
import { validateFinalizers, validateObjectMetaUpdate } from '../../api/validation/object-meta.js';
import { FieldPath } from '../../api/validation/field-errors.js';

/** How many times a write retries after losing an optimistic-concurrency race it did not ask for. */
export const MAX_UPDATE_RETRIES = 16;
/** generateName collisions are retried with a new suffix this many times (Kubernetes ≥1.30 retries too). */
export const GENERATE_NAME_RETRIES = 8;

/** Resources whose PUT creates a missing object (Kubernetes' AllowCreateOnUpdate). */
const CREATE_ON_UPDATE = new Set(['events', 'endpoints', 'leases', 'endpointslices']);

export interface WriteOptions {
  dryRun?: boolean;
  fieldManager?: string;
  /** '' for the main resource, or 'status'. */
  subresource?: string;
  /** Server-side apply writes its own managedFields; everything else is an `Update`. */
  operation?: 'Update' | 'Apply';
}

/** Hook that maintains `metadata.managedFields` on every write (server-side apply bookkeeping). */
export type ManagedFieldsHook = (args: {
  oldObj: KubeObject | undefined;
  newObj: KubeObject;
  manager: string;
  operation: 'Update' | 'Apply';
  subresource: string;
  now: number;
}) => void;

export interface RegistryOptions {
  store: Store;
  cache: ObjectCache;
  strategyFor: (info: ResourceInfo) => Strategy;
  managedFields?: ManagedFieldsHook;
  /** Allocations some kinds make on write (Service cluster IPs and node ports). */
  allocationsFor?: (info: ResourceInfo) => AllocationHook | undefined;
  now?: () => number;
}

/** A mutation for guaranteedUpdate: given the current object, return the next one. */
export type UpdateFn = (current: StoredObject) => KubeObject | Promise<KubeObject>;

export class Registry {
  readonly store: Store;
  readonly cache: ObjectCache;
  private readonly strategyFor: (info: ResourceInfo) => Strategy;
  private readonly managedFields: ManagedFieldsHook | undefined;
  private readonly allocationsFor: ((info: ResourceInfo) => AllocationHook | undefined) | undefined;
  readonly now: () => number;

  constructor(opts: RegistryOptions) {
    this.store = opts.store;
    this.cache = opts.cache;
    this.strategyFor = opts.strategyFor;
    this.managedFields = opts.managedFields;
    this.allocationsFor = opts.allocationsFor;
    this.now = opts.now ?? Date.now;
  }

  strategy(info: ResourceInfo): Strategy {
    return this.strategyFor(info);
  }

  key(info: ResourceInfo, namespace: string, name: string): string {
    return objectKeyFor(info, namespace, name);
  }

  /** The current object, or undefined. */
  peek(info: ResourceInfo, namespace: string, name: string): CacheEntry | undefined {
    return this.cache.get(storageResource(info), this.key(info, namespace, name));
  }

  /** The current object; 404 if missing. */
  get(info: ResourceInfo, namespace: string, name: string): CacheEntry {
    const e = this.peek(info, namespace, name);
    if (!e) throw notFound(info, name);
    return e;
  }

  /**
   * The current object, or undefined. When the store is shared by several API servers (etcd),
   * an object missing from this cache may have just been written through another server: the
   * cache catches up once before the answer is "not there" (Kubernetes' cacher falls back to
   * etcd in that case). Immediate with SQLite.
   */
  async peekFresh(info: ResourceInfo, namespace: string, name: string): Promise<CacheEntry | undefined> {
    const e = this.peek(info, namespace, name);
    if (e) return e;
    await this.cache.syncLatest();
    return this.peek(info, namespace, name);
  }

  /** The current object as peekFresh finds it; 404 if missing. */
  async getFresh(info: ResourceInfo, namespace: string, name: string): Promise<CacheEntry> {
    const e = await this.peekFresh(info, namespace, name);
    if (!e) throw notFound(info, name);
    return e;
  }

  /** Catches the cache up when the request's namespace is not in it (NamespaceLifecycle's live lookup). */
  private async freshNamespace(info: ResourceInfo, namespace: string): Promise<void> {
    if (!info.namespaced || this.cache.get('namespaces', `/registry/namespaces/${namespace}`)) return;
    await this.cache.syncLatest();
  }

  /** Encodes an object for storage: everything but resourceVersion, which comes from the store. */
  private encode(obj: KubeObject): string {
    const meta = obj.metadata;
    if (meta && meta.resourceVersion !== undefined) {
      const { resourceVersion: _rv, ...rest } = meta;
      return JSON.stringify({ ...obj, metadata: rest });
    }
    return JSON.stringify(obj);
  }

  /** Waits until the cache has applied a write and returns the cached object. */
  private async settle(info: ResourceInfo, kv: KeyValue, deleted = false): Promise<StoredObject> {
    await this.cache.waitForRevision(kv.modRevision);
    if (!deleted) {
      const e = this.cache.get(storageResource(info), kv.key);
      if (e && e.rev === kv.modRevision) return e.obj;
    }
    // Not in the cache any more (changed again meanwhile, or deleted): decode the write itself.
    const obj = JSON.parse(kv.value) as StoredObject;
    obj.metadata.resourceVersion = String(kv.modRevision);
    return obj;
  }

  /** Ensures the namespace exists and is not terminating (NamespaceLifecycle admission). */
  checkNamespace(info: ResourceInfo, namespace: string, forCreateOf?: string): void {
    if (!info.namespaced) return;
    const ns = this.cache.get('namespaces', `/registry/namespaces/${namespace}`);
    if (!ns) throw notFound({ group: '', resource: 'namespaces' }, namespace);
    if (forCreateOf !== undefined && ns.obj.metadata.deletionTimestamp) {
      const gr = `${info.resource}${info.group ? '.' + info.group : ''}`;
      throw new StatusError(403, 'Forbidden', `${gr} "${forCreateOf}" is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`, {
        name: forCreateOf,
        group: info.group,
        kind: info.resource,
        causes: [
          {
            reason: 'NamespaceTerminating',
            message: `namespace ${namespace} is being terminated`,
            field: 'metadata.namespace',
          },
        ],
      });
    }
  }

  /** Sets apiVersion/kind and reconciles the object's namespace with the request's. */
  normalize(info: ResourceInfo, namespace: string, obj: KubeObject): KubeObject {
    const out = obj;
    const gv = groupVersion(info);
    if (out.apiVersion && out.apiVersion !== gv) {
      throw badRequest(`the API version in the data (${out.apiVersion}) does not match the expected API version (${gv})`);
    }
    if (out.kind && out.kind !== info.kind) {
      throw badRequest(`the kind in the data (${out.kind}) does not match the expected kind (${info.kind})`);
    }
    out.apiVersion = gv;
    out.kind = info.kind;
    const meta = (out.metadata ??= {});
    if (info.namespaced) {
      if (meta.namespace && meta.namespace !== namespace) {
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      meta.namespace = namespace;
    } else {
      delete meta.namespace;
    }
    return out;
  }

  private throwIfInvalid(info: ResourceInfo, obj: KubeObject, errors: FieldError[]): void {
    if (errors.length === 0) return;
    throw invalid(info.group, info.kind, obj.metadata?.name ?? '', errors.map(fieldErrorToCause));
  }

  /** POST: creates an object (Kubernetes' Store.Create). */
  async create(info: ResourceInfo, namespace: string, body: KubeObject, opts: WriteOptions = {}): Promise<StoredObject> {
    const obj = this.normalize(info, namespace, clone(body));
    const meta = obj.metadata!;
    await this.freshNamespace(info, namespace);
    this.checkNamespace(info, namespace, meta.name ?? meta.generateName ?? '');
    if (meta.resourceVersion) {
      throw badRequest('resourceVersion should not be set on objects to be created');
    }
    const generated = !meta.name && !!meta.generateName;
    if (generated) meta.name = generateName(meta.generateName!);
    if (!meta.name) {
      throw invalid(info.group, info.kind, '', [
        { reason: 'FieldValueRequired', message: 'Required value: name or generateName is required', field: 'metadata.name' },
      ]);
    }
    const now = this.now();
    meta.uid = newUID();
    meta.creationTimestamp = rfc3339(now);
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    delete meta.selfLink;
    delete meta.generation;
    dropEmptyMetadataLists(meta);
    const strategy = this.strategy(info);
    strategy.applyDefaults(obj);
    strategy.prepareForCreate(obj);
    this.throwIfInvalid(info, obj, strategy.validateCreate(obj));
    this.managedFields?.({ oldObj: undefined, newObj: obj, manager: opts.fieldManager ?? '', operation: opts.operation ?? 'Update', subresource: '', now });

    if (opts.dryRun) {
      if (this.peek(info, namespace, meta.name)) throw alreadyExists(info, meta.name);
      this.allocationsFor?.(info)?.allocate(obj, undefined, true);
      return obj as StoredObject;
    }
    const release = this.allocationsFor?.(info)?.allocate(obj, undefined, false);
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          const kv = await this.store.create(this.key(info, namespace, meta.name), this.encode(obj), ttlFor(info));
          return await this.settle(info, kv);
        } catch (err) {
          if (!(err instanceof KeyExistsError)) throw err;
          if (!generated || attempt >= GENERATE_NAME_RETRIES) throw alreadyExists(info, meta.name);
          meta.name = generateName(meta.generateName!);
        }
      }
    } finally {
      release?.();
    }
  }

  /**
   * The shared update path (PUT, PATCH, status, scale): reads the current object, computes the
   * next one, validates it and writes it with the current revision as precondition, retrying when
   * another writer got there first — unless the caller pinned a resourceVersion, which is then a
   * 409 Conflict (Kubernetes' GuaranteedUpdate).
   */
  async guaranteedUpdate(
    info: ResourceInfo,
    namespace: string,
    name: string,
    mutate: UpdateFn,
    opts: WriteOptions & { onMissing?: () => Promise<StoredObject> } = {},
  ): Promise<StoredObject> {
    await this.freshNamespace(info, namespace);
    this.checkNamespace(info, namespace);
    for (let attempt = 0; ; attempt++) {
      const cur = attempt === 0 ? await this.peekFresh(info, namespace, name) : this.peek(info, namespace, name);
      if (!cur) {
        if (opts.onMissing) return opts.onMissing();
        throw notFound(info, name);
      }
      const next = this.normalize(info, namespace, clone(await mutate(cur.obj)));
      const pinnedRV = next.metadata?.resourceVersion;
      if (pinnedRV && pinnedRV !== cur.obj.metadata.resourceVersion) {
        // The client may have read a newer version through another API server on the same
        // etcd: give this cache a moment to catch up before calling the client's copy stale.
        if (attempt === 0 && /^\d+$/.test(pinnedRV) && Number(pinnedRV) > cur.rev && (await this.cache.waitForRevision(Number(pinnedRV), 3000))) continue;
        throw conflict(info, name, STALE_OBJECT_MESSAGE);
      }
      const prepared = this.prepareUpdate(info, cur.obj, next, opts);
      const allocations = opts.subresource ? undefined : this.allocationsFor?.(info);
      if (sameObject(prepared, cur.obj)) return cur.obj;
      if (opts.dryRun) {
        allocations?.allocate(prepared, cur.obj, true);
        return prepared as StoredObject;
      }
      const release = allocations?.allocate(prepared, cur.obj, false);
      try {
        const kv = await this.store.update(cur.key, this.encode(prepared), cur.rev, ttlFor(info));
        const written = await this.settle(info, kv);
        return await this.finishIfDeleting(info, written, kv);
      } catch (err) {
        // Another writer got there first. With a shared store (etcd) the cache may not have
        // seen that write yet: wait for it, so the retry starts from the object that won.
        if (err instanceof RevisionConflictError) {
          if (pinnedRV || attempt >= MAX_UPDATE_RETRIES) throw conflict(info, name, STALE_OBJECT_MESSAGE);
          await this.cache.waitForRevision(err.actual, 3000);
          continue;
        }
        if (err instanceof KeyNotFoundError) {
          if (pinnedRV) throw conflict(info, name, STALE_OBJECT_MESSAGE);
          if (attempt >= MAX_UPDATE_RETRIES) throw notFound(info, name);
          await this.cache.syncLatest();
          continue;
        }
        throw err;
      } finally {
        release?.();
      }
    }
  }

  /** PUT: replaces an object (or its status). */
  async update(info: ResourceInfo, namespace: string, name: string, body: KubeObject, opts: WriteOptions = {}): Promise<{ obj: StoredObject; created: boolean }> {
    const obj = this.normalize(info, namespace, clone(body));
    if (obj.metadata?.name && obj.metadata.name !== name) {
      throw badRequest(`the name of the object (${obj.metadata.name}) does not match the name on the URL (${name})`);
    }
    obj.metadata!.name = name;
    let created = false;
    const out = await this.guaranteedUpdate(info, namespace, name, () => obj, {
      ...opts,
      onMissing:
        CREATE_ON_UPDATE.has(info.resource) && !opts.subresource
          ? async () => {
              created = true;
              const fresh = clone(obj);
              delete fresh.metadata!.resourceVersion;
              return this.create(info, namespace, fresh, opts);
            }
          : undefined,
    });
    return { obj: out, created };
  }

  /**
   * Applies system-field rules, the strategy's preparation and validation to an update
   * (Kubernetes' BeforeUpdate + ValidateObjectMetaUpdate).
   */
  prepareUpdate(info: ResourceInfo, old: StoredObject, next: KubeObject, opts: WriteOptions): KubeObject {
    const meta = next.metadata!;
    const oldMeta = old.metadata;
    const errors: FieldError[] = [];
    const immutable = (field: string, a: unknown, b: unknown) => {
      if (a !== undefined && a !== '' && a !== b) {
        errors.push({ type: 'FieldValueInvalid', field, message: `Invalid value: ${JSON.stringify(a)}: field is immutable` });
      }
    };
    immutable('metadata.name', meta.name, oldMeta.name);
    immutable('metadata.uid', meta.uid, oldMeta.uid);
    meta.name = oldMeta.name;
    meta.uid = oldMeta.uid;
    meta.creationTimestamp = oldMeta.creationTimestamp;
    if (oldMeta.deletionTimestamp) meta.deletionTimestamp = oldMeta.deletionTimestamp;
    else delete meta.deletionTimestamp;
    if (oldMeta.deletionGracePeriodSeconds !== undefined) meta.deletionGracePeriodSeconds = oldMeta.deletionGracePeriodSeconds;
    else delete meta.deletionGracePeriodSeconds;
    if (oldMeta.generation !== undefined) meta.generation = oldMeta.generation;
    else delete meta.generation;
    delete meta.selfLink;
    meta.resourceVersion = oldMeta.resourceVersion;
    if (oldMeta.deletionTimestamp) {
      const added = (meta.finalizers ?? []).filter((f) => !(oldMeta.finalizers ?? []).includes(f));
      if (added.length > 0) {
        errors.push({
          type: 'FieldValueForbidden',
          field: 'metadata.finalizers',
          message: `Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{${added.map((f) => JSON.stringify(f)).join(', ')}}`,
        });
      }
    }
    if (errors.length > 0) this.throwIfInvalid(info, next, errors);
    dropEmptyMetadataLists(meta);

    // Binding is a system write of spec.nodeName and the PodScheduled condition together; like
    // Kubernetes' BindingREST it goes straight to storage: no defaulting, strategy or field manager.
    if (opts.subresource === 'binding') return next;

    const strategy = this.strategy(info);
    strategy.applyDefaults(next);
    if (opts.subresource === 'finalize') {
      // namespaces/finalize (namespaceFinalizeStrategy): the whole object but its status is
      // written, which is the only way spec.finalizers can change.
      const status = (old as { status?: unknown }).status;
      if (status === undefined) delete (next as { status?: unknown }).status;
      else (next as { status?: unknown }).status = clone(status as KubeObject);
      const spec = (next as { spec?: { finalizers?: string[] } }).spec;
      if (spec?.finalizers?.length === 0) delete spec.finalizers;
      this.throwIfInvalid(info, next, [
        ...validateObjectMetaUpdate(next.metadata),
        ...validateFinalizers((next as { spec?: { finalizers?: string[] } }).spec?.finalizers, FieldPath.root('spec').child('finalizers')),
      ]);
    } else if (opts.subresource === 'status') {
      strategy.prepareForStatusUpdate(next, old);
      this.throwIfInvalid(info, next, strategy.validateStatusUpdate(next, old));
    } else {
      strategy.prepareForUpdate(next, old);
      if (oldMeta.generation !== undefined && strategy.generationChanged(next, old)) meta.generation = oldMeta.generation + 1;
      this.throwIfInvalid(info, next, strategy.validateUpdate(next, old));
    }
    this.managedFields?.({
      oldObj: old,
      newObj: next,
      manager: opts.fieldManager ?? '',
      operation: opts.operation ?? 'Update',
      subresource: opts.subresource ?? '',
      now: this.now(),
    });
    return next;
  }

  /**
   * An object being deleted whose last finalizer was just removed is deleted for real
   * (Kubernetes' ShouldDeleteDuringUpdate: deletionTimestamp set, deletionGracePeriodSeconds
   * absent or 0, no finalizers left — and for a namespace, no spec.finalizers either).
   */
  private async finishIfDeleting(info: ResourceInfo, obj: StoredObject, kv: KeyValue): Promise<StoredObject> {
    const meta = obj.metadata;
    if (!meta.deletionTimestamp || (meta.finalizers?.length ?? 0) > 0 || (meta.deletionGracePeriodSeconds ?? 0) !== 0) return obj;
    if (info.group === '' && info.resource === 'namespaces' && ((obj as { spec?: { finalizers?: string[] } }).spec?.finalizers?.length ?? 0) > 0) return obj;
    try {
      const gone = await this.store.delete(kv.key, kv.modRevision);
      return await this.settle(info, gone, true);
    } catch (err) {
      if (err instanceof RevisionConflictError || err instanceof KeyNotFoundError) return obj;
      throw err;
    }
  }

  /**
   * Writes `next` over `entry` at its revision without strategy processing (system updates such as
   * deletion bookkeeping). Store conflicts surface as RevisionConflictError/KeyNotFoundError.
   */
  async writeRaw(info: ResourceInfo, entry: CacheEntry, next: KubeObject): Promise<StoredObject> {
    const kv = await this.store.update(entry.key, this.encode(next), entry.rev, ttlFor(info));
    const written = await this.settle(info, kv);
    return this.finishIfDeleting(info, written, kv);
  }

  /** Removes an object from the store at a revision (the last step of every deletion path). */
  async remove(info: ResourceInfo, entry: CacheEntry): Promise<StoredObject> {
    try {
      const kv = await this.store.delete(entry.key, entry.rev);
      return await this.settle(info, kv, true);
    } catch (err) {
      if (err instanceof RevisionConflictError) throw conflict(info, entry.obj.metadata.name, STALE_OBJECT_MESSAGE);
      if (err instanceof KeyNotFoundError) throw notFound(info, entry.obj.metadata.name);
      throw err;
    }
  }

  /** Looks up the ResourceInfo of an owner or related object by apiVersion/kind. */
  resourceFor(group: string, version: string, resource: string): ResourceInfo | undefined {
    return findResource(group, version, resource);
  }
}

/**
 * Empty ownerReferences and finalizers lists are not stored: Kubernetes' ObjectMeta marks them
 * omitempty, so a patch that removes the last owner reference leaves no `ownerReferences: []`.
 */
function dropEmptyMetadataLists(meta: ObjectMeta): void {
  if (meta.ownerReferences?.length === 0) delete meta.ownerReferences;
  if (meta.finalizers?.length === 0) delete meta.finalizers;
}

/** Events expire after an hour, as with Kubernetes' default --event-ttl. */
export const EVENT_TTL_SECONDS = 3600;

function ttlFor(info: ResourceInfo): { ttlSeconds: number } | undefined {
  return info.resource === 'events' ? { ttlSeconds: EVENT_TTL_SECONDS } : undefined;
}

/** Structural equality of two JSON objects, ignoring key order. */
export function sameObject(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameObject(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ak = Object.keys(a as object).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const bk = Object.keys(b as object).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ak.length !== bk.length) return false;
  for (const k of ak) if (!sameObject((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  return true;
}

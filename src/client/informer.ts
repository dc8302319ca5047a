/**
 * A shared informer: one list+watch per resource (and selector) feeding a cache and any number
 * of event handlers, after client-go's sharedIndexInformer and the contract of
 * kubernetes-client/javascript's cache.ts.
 *
 * Guarantees to handlers:
 * - the cache already reflects an event when its handler runs;
 * - per object, handlers see a consistent history: add, updates, delete — never an update
 *   before its add, never a second add, never a delete of something they were not told about;
 * - after a relist (410 Expired, undecodable stream) the difference between the cache and the
 *   fresh list arrives as adds, updates and deletes; a delete found this way carries the last
 *   known object and `finalStateUnknown: true` (client-go's DeletedFinalStateUnknown);
 * - a relist is applied in one synchronous step, so no reader ever sees half of it;
 * - duplicate deliveries (same resourceVersion) are dropped.
 *
 * Cached objects are frozen (STYLE.md: cached objects are immutable) and stored once: the object
 * parsed from the wire is the one cached and the one handed to handlers.
 */
import type { Clock } from './clock.js';
import type { IndexFunc, Lister } from './indexer.js';
import { Indexer, keyOf } from './indexer.js';
import type { Logger } from './log.js';
import { silentLogger } from './log.js';
import type { FieldSelectorInput, LabelSelectorInput } from './query.js';
import type { ListAccumulator, ReflectorSink } from './reflector.js';
import { Reflector } from './reflector.js';
import type { ResourceClient } from './resource-client.js';
import type { ObjectLike, WatchEvent } from './types.js';

export interface DeleteInfo {
  /** True when the delete was inferred from a relist: the object is the last state we saw, not its final state. */
  finalStateUnknown: boolean;
}

/** Callbacks for cache changes. They run synchronously: enqueue keys, never do I/O. */
export interface EventHandlers<T> {
  onAdd?(obj: T, isInInitialList: boolean): void;
  onUpdate?(oldObj: T, newObj: T): void;
  onDelete?(obj: T, info: DeleteInfo): void;
}

export interface HandlerRegistration {
  /** Stops delivering events to this handler. */
  remove(): void;
  /** True once the handler has been told about every object of the initial list. */
  hasSynced(): boolean;
}

export interface InformerOptions<T extends ObjectLike> {
  labelSelector?: LabelSelectorInput;
  fieldSelector?: FieldSelectorInput;
  indexers?: Record<string, IndexFunc<T>>;
  /** Freeze cached objects (default true). Turning it off saves CPU on huge caches; never mutate either way. */
  freeze?: boolean;
  pageSize?: number;
  logger?: Logger;
  clock?: Clock;
}

/** A cache of one resource kept current by list+watch, with event handlers. */
export class SharedInformer<T extends ObjectLike> {
  private readonly indexer: Indexer<T>;
  private readonly reflector: Reflector<T>;
  private readonly handlers: Array<EventHandlers<T>> = [];
  private readonly logger: Logger;
  private synced = false;
  private syncWaiters: Array<() => void> = [];
  private running: Promise<void> | undefined;
  private initialListDone = false;

  constructor(
    readonly client: ResourceClient<T>,
    private readonly opts: InformerOptions<T> = {},
  ) {
    this.logger = (opts.logger ?? silentLogger).child({ informer: client.info.groupResource });
    this.indexer = new Indexer<T>(opts.indexers ?? {}, this.logger);
    const sink: ReflectorSink<T> = { beginList: () => this.beginList(), watchEvent: (ev) => this.applyWatchEvent(ev) };
    this.reflector = new Reflector<T>(client, sink, {
      ...(opts.labelSelector !== undefined ? { labelSelector: opts.labelSelector } : {}),
      ...(opts.fieldSelector !== undefined ? { fieldSelector: opts.fieldSelector } : {}),
      ...(opts.pageSize !== undefined ? { pageSize: opts.pageSize } : {}),
      ...(opts.clock ? { clock: opts.clock } : {}),
      logger: opts.logger ?? silentLogger,
      // A frozen cache may hold the API server's own (frozen) objects: no copy, no parse.
      sharedObjects: opts.freeze !== false,
    });
  }

  /** The cache (read-only). */
  get store(): Lister<T> {
    return this.indexer;
  }

  /** Adds indexes; allowed at any time. */
  addIndexers(indexers: Record<string, IndexFunc<T>>): void {
    this.indexer.addIndexers(indexers);
  }

  /**
   * Registers handlers. Objects already cached are delivered to the new handler as adds right
   * away (synchronously), so it starts from the same state as every other handler.
   */
  addEventHandler(handlers: EventHandlers<T>): HandlerRegistration {
    this.handlers.push(handlers);
    if (this.indexer.size > 0 && handlers.onAdd) {
      for (const obj of this.indexer.list()) this.call('add', () => handlers.onAdd?.(obj, true));
    }
    return {
      remove: () => {
        const i = this.handlers.indexOf(handlers);
        if (i >= 0) this.handlers.splice(i, 1);
      },
      hasSynced: () => this.synced,
    };
  }

  /** Starts list+watch (once); resolves when `signal` aborts and the loop has stopped. */
  run(signal: AbortSignal): Promise<void> {
    this.running ??= this.reflector.run(signal);
    return this.running;
  }

  /** True once the initial list has been applied to the cache and handlers. */
  hasSynced(): boolean {
    return this.synced;
  }

  /** Resolves true once synced, or false if `signal` aborts first. */
  waitForSync(signal?: AbortSignal): Promise<boolean> {
    if (this.synced) return Promise.resolve(true);
    if (signal?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const onAbort = (): void => resolve(false);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.syncWaiters.push(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve(true);
      });
    });
  }

  /** The resourceVersion the cache reflects. */
  lastSyncResourceVersion(): string {
    return this.reflector.lastSyncResourceVersion();
  }

  private beginList(): ListAccumulator<T> {
    // Only objects that differ from the cache are kept while the pages arrive; for the rest the
    // key is remembered and the freshly parsed copy dropped, so a relist of a mostly unchanged
    // 100k-object cache costs little more than the cache itself.
    const seen = new Set<string>();
    const changed: T[] = [];
    return {
      page: (items) => {
        for (const obj of items) {
          const key = keyOf(obj);
          seen.add(key);
          const old = this.indexer.get(key);
          if (!old || old.metadata?.resourceVersion !== obj.metadata?.resourceVersion) changed.push(obj);
        }
      },
      end: () => this.replace(seen, changed),
    };
  }

  /** Applies a complete list: adds/updates for what changed, deletes for what disappeared. */
  private replace(seen: Set<string>, changed: T[]): void {
    const initial = !this.initialListDone;
    let adds = 0;
    let updates = 0;
    for (const obj of changed) {
      const key = keyOf(obj);
      const current = this.indexer.get(key);
      // Re-check: a page could list the same key twice only on a server bug, but be exact anyway.
      if (current && current.metadata?.resourceVersion === obj.metadata?.resourceVersion) continue;
      this.store_(key, obj);
      if (current) {
        updates++;
        this.dispatchUpdate(current, obj);
      } else {
        adds++;
        this.dispatchAdd(obj, initial);
      }
    }
    const gone: string[] = [];
    for (const key of this.indexer.keys()) if (!seen.has(key)) gone.push(key);
    for (const key of gone) {
      const last = this.indexer.delete(key) as T;
      this.dispatchDelete(last, { finalStateUnknown: true });
    }
    if (!initial) this.logger.info('relisted', { adds, updates, deletes: gone.length, size: this.indexer.size });
    this.initialListDone = true;
    if (!this.synced) {
      this.synced = true;
      const waiters = this.syncWaiters;
      this.syncWaiters = [];
      for (const w of waiters) w();
    }
  }

  private applyWatchEvent(ev: WatchEvent<T>): void {
    const obj = ev.object;
    const key = keyOf(obj);
    const current = this.indexer.get(key);
    if (ev.type === 'DELETED') {
      if (!current) return;
      this.indexer.delete(key);
      this.freeze(obj);
      this.dispatchDelete(obj, { finalStateUnknown: false });
      return;
    }
    if (current && current.metadata?.resourceVersion === obj.metadata?.resourceVersion) return;
    this.store_(key, obj);
    if (current) this.dispatchUpdate(current, obj);
    else this.dispatchAdd(obj, false);
  }

  private store_(key: string, obj: T): void {
    this.freeze(obj);
    this.indexer.set(key, obj);
  }

  private freeze(obj: T): void {
    if (this.opts.freeze !== false) freezeJson(obj);
  }

  private dispatchAdd(obj: T, initial: boolean): void {
    for (const h of this.handlers) if (h.onAdd) this.call('add', () => h.onAdd?.(obj, initial));
  }
  private dispatchUpdate(oldObj: T, newObj: T): void {
    for (const h of this.handlers) if (h.onUpdate) this.call('update', () => h.onUpdate?.(oldObj, newObj));
  }
  private dispatchDelete(obj: T, info: DeleteInfo): void {
    for (const h of this.handlers) if (h.onDelete) this.call('delete', () => h.onDelete?.(obj, info));
  }

  private call(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      // One faulty handler must neither stop the informer nor starve the other handlers.
      this.logger.error(`${what} handler threw`, { error: err });
    }
  }
}

/**
 * Deep-freezes a value parsed from JSON (plain objects, arrays, primitives). Faster than a
 * generic deep freeze on large caches: no per-object `Object.values` arrays, and already-frozen
 * subtrees (shared with a previous version) are skipped.
 */
export function freezeJson(value: unknown): void {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return;
  Object.freeze(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      if (v !== null && typeof v === 'object') freezeJson(v);
    }
    return;
  }
  const rec = value as Record<string, unknown>;
  for (const k in rec) {
    const v = rec[k];
    if (v !== null && typeof v === 'object') freezeJson(v);
  }
}

/** Resolves true once every informer has synced, false if `signal` aborts first. */
export async function waitForCacheSync(signal: AbortSignal | undefined, ...informers: Array<{ waitForSync(signal?: AbortSignal): Promise<boolean> }>): Promise<boolean> {
  return waitAll(informers, signal);
}

/**
 * Waits for every informer with a single abort listener on `signal` (a listener per informer and
 * per caller would pile up on a shared signal: the garbage collector alone watches ~20 resources).
 */
export async function waitAll(informers: Array<{ waitForSync(signal?: AbortSignal): Promise<boolean> }>, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return false;
  const all = Promise.all(informers.map((i) => i.waitForSync())).then((r) => r.every(Boolean));
  if (!signal) return all;
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<boolean>((resolve) => {
    onAbort = () => resolve(false);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([all, aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort!);
  }
}

/**
 * The API server's watch cache (Kubernetes' "cacher"), one for the whole store: it lists every
 * object once at start, then follows a single store watch and keeps, per resource, the current
 * objects (parsed, frozen, with resourceVersion set) and a window of recent events. Gets, lists
 * and watches are served from it; writes go to the store and come back through the watch.
 *
 * Consistency: the store notifies watchers inside its write path, so by the time a write's
 * promise resolves the cache has applied it. `waitForRevision` covers stores that notify later
 * (etcd, whose events arrive after the write returns), and `syncLatest` stores shared with other
 * API servers, whose writes this one learns of only through the watch.
 *
 * If the store watch ends (an etcd outage outlived etcd's history, so the watch cannot resume)
 * the cache relists and starts over, ending every client watch so clients re-watch or relist
 * (Kubernetes' cacher does the same when its reflector relists).
 */
import type { Store, StoreEvent, KeyValue } from '../../storage/store.js';
import { CompactedError } from '../../storage/store.js';
import type { StoredObject } from '../../api/object.js';
import { StatusError } from '../../api/errors.js';
import { deepFreezeSharing } from '../../api/object.js';
import { REGISTRY_PREFIX, resourceOfKey } from './keys.js';

/**
 * The window of recent events kept per resource for watches that resume from a resourceVersion,
 * sized as Kubernetes' watch cache is: at least HISTORY_MIN_EVENTS, events younger than
 * HISTORY_MIN_AGE_MS (its eventFreshDuration, 75 s) beyond that, never more than
 * HISTORY_MAX_EVENTS (its maximum capacity, 100 × 1024). Each event holds a version of an object,
 * so the window is memory: five minutes of a 150,000-pod bulk create kept every pod three times.
 */
export const HISTORY_MIN_EVENTS = 10_000;
export const HISTORY_MIN_AGE_MS = 75_000;
export const HISTORY_MAX_EVENTS = 100 * 1024;

export interface CacheEntry {
  key: string;
  namespace: string;
  obj: StoredObject;
  rev: number;
  /** JSON encoding of `obj`, computed once on first use and shared by every reader. */
  json?: string;
}

/** The JSON text of an entry's object (computed once). */
export function entryJson(e: CacheEntry): string {
  return (e.json ??= JSON.stringify(e.obj));
}

export type CacheEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface CacheEvent {
  type: CacheEventType;
  rev: number;
  entry: CacheEntry;
  prev?: CacheEntry;
  at: number;
}

/** What a watcher receives: the event type as the watcher sees it, and the object to send. */
export interface WatchDelivery {
  type: CacheEventType;
  entry: CacheEntry;
  /** The event's revision; differs from entry.rev when an object left the watcher's selector. */
  rev: number;
}

/**
 * Trigger fields, as Kubernetes' cacher has them (pods: `spec.nodeName`): a watcher whose field
 * selector pins the field to one value is only offered events of objects with that value (before
 * or after the change), and its initial state comes from an index. Without this every pod event
 * would be filtered by every node's watch — O(nodes) per write.
 */
export const TRIGGER_FIELDS: Readonly<Record<string, { field: string; value: (obj: StoredObject) => string }>> = {
  pods: { field: 'spec.nodeName', value: (obj) => (obj as { spec?: { nodeName?: string } }).spec?.nodeName ?? '' },
};

export interface CacheWatcher {
  /** Only objects in this namespace ('' = all). */
  namespace: string;
  /** The value of the resource's trigger field this watcher selects on (undefined: any). */
  trigger?: string;
  /** Selector filter (labels, fields). */
  matches(obj: StoredObject): boolean;
  deliver(events: WatchDelivery[]): void;
  /** Called when the cache stops (server shutdown). */
  close(err?: Error): void;
}

class ResourceState {
  readonly entries = new Map<string, CacheEntry>();
  readonly byNamespace = new Map<string, Map<string, CacheEntry>>();
  /** Watchers without a trigger value: offered every event. */
  readonly untriggered = new Set<CacheWatcher>();
  /** Watchers by trigger value, and entries by trigger value (only for resources with one). */
  readonly triggered = new Map<string, Set<CacheWatcher>>();
  readonly byTrigger = new Map<string, Map<string, CacheEntry>>();
  history: CacheEvent[] = [];
  /** History covers every event with rev > oldestRev. */
  oldestRev: number;
  lastChangeRev = 0;
  sortedKeys: string[] | undefined;

  constructor(
    startRev: number,
    readonly trigger: ((obj: StoredObject) => string) | undefined,
  ) {
    this.oldestRev = startRev;
  }

  put(e: CacheEntry): CacheEntry | undefined {
    const prev = this.entries.get(e.key);
    if (!prev) this.sortedKeys = undefined;
    this.entries.set(e.key, e);
    let ns = this.byNamespace.get(e.namespace);
    if (!ns) this.byNamespace.set(e.namespace, (ns = new Map()));
    ns.set(e.key, e);
    if (this.trigger) {
      if (prev) this.unindex(prev);
      const v = this.trigger(e.obj);
      let bucket = this.byTrigger.get(v);
      if (!bucket) this.byTrigger.set(v, (bucket = new Map()));
      bucket.set(e.key, e);
    }
    return prev;
  }

  remove(key: string): CacheEntry | undefined {
    const prev = this.entries.get(key);
    if (!prev) return undefined;
    this.entries.delete(key);
    this.sortedKeys = undefined;
    const ns = this.byNamespace.get(prev.namespace);
    ns?.delete(key);
    if (ns && ns.size === 0) this.byNamespace.delete(prev.namespace);
    if (this.trigger) this.unindex(prev);
    return prev;
  }

  private unindex(e: CacheEntry): void {
    const v = this.trigger!(e.obj);
    const bucket = this.byTrigger.get(v);
    bucket?.delete(e.key);
    if (bucket && bucket.size === 0) this.byTrigger.delete(v);
  }

  addWatcher(w: CacheWatcher): void {
    if (!this.trigger || w.trigger === undefined) return void this.untriggered.add(w);
    let set = this.triggered.get(w.trigger);
    if (!set) this.triggered.set(w.trigger, (set = new Set()));
    set.add(w);
  }

  removeWatcher(w: CacheWatcher): void {
    this.untriggered.delete(w);
    if (w.trigger === undefined) return;
    const set = this.triggered.get(w.trigger);
    set?.delete(w);
    if (set && set.size === 0) this.triggered.delete(w.trigger);
  }

  /** Every watcher of the resource. */
  *watchers(): Generator<CacheWatcher> {
    yield* this.untriggered;
    for (const set of this.triggered.values()) yield* set;
  }

  get watcherCount(): number {
    let n = this.untriggered.size;
    for (const set of this.triggered.values()) n += set.size;
    return n;
  }

  clearWatchers(): void {
    this.untriggered.clear();
    this.triggered.clear();
  }

  /** Offers a batch of events to the watchers that may want them. */
  dispatch(evs: CacheEvent[]): void {
    for (const w of this.untriggered) {
      const out = filterForWatcher(w, evs);
      if (out.length > 0) w.deliver(out);
    }
    if (this.triggered.size === 0) return;
    const values = new Set<string>();
    for (const ev of evs) {
      values.add(this.trigger!(ev.entry.obj));
      if (ev.prev) values.add(this.trigger!(ev.prev.obj));
    }
    for (const v of values) {
      const set = this.triggered.get(v);
      if (!set) continue;
      for (const w of set) {
        const out = filterForWatcher(w, evs);
        if (out.length > 0) w.deliver(out);
      }
    }
  }

  record(ev: CacheEvent): void {
    this.history.push(ev);
    this.lastChangeRev = ev.rev;
    if (this.history.length > HISTORY_MIN_EVENTS) this.trim(ev.at);
  }

  private trim(now: number): void {
    // Drop in chunks so trimming is amortised O(1) per event.
    const over = this.history.length - HISTORY_MIN_EVENTS;
    if (over < 1024 && this.history.length < HISTORY_MAX_EVENTS) return;
    let drop = 0;
    const limit = this.history.length - HISTORY_MIN_EVENTS;
    while (drop < limit) {
      const ev = this.history[drop]!;
      if (now - ev.at < HISTORY_MIN_AGE_MS && this.history.length - drop <= HISTORY_MAX_EVENTS) break;
      drop++;
    }
    if (drop > 0) {
      this.oldestRev = this.history[drop - 1]!.rev;
      this.history = this.history.slice(drop);
    }
  }

  /** Keys in storage order (sorted), cached until the key set changes. */
  keysSorted(): string[] {
    return (this.sortedKeys ??= [...this.entries.keys()].sort());
  }
}

function namespaceOfKey(key: string, resource: string): string {
  // /registry/<resource>/<ns>/<name> has two segments after the resource; cluster-scoped has one.
  const rest = key.slice(REGISTRY_PREFIX.length + resource.length + 1);
  const slash = rest.indexOf('/');
  return slash < 0 ? '' : rest.slice(0, slash);
}

export interface ObjectCacheOptions {
  log?: (msg: string) => void;
}

export class ObjectCache {
  private resources = new Map<string, ResourceState>();
  private rev = 0;
  private startRev = 0;
  private readonly revWaiters: Array<{ rev: number; resolve: () => void }> = [];
  private readonly abort = new AbortController();
  private readonly log: (msg: string) => void;
  private started = false;
  private reloading: Promise<void> | undefined;

  constructor(
    private readonly store: Store,
    opts: ObjectCacheOptions = {},
  ) {
    this.log = opts.log ?? (() => {});
  }

  /** The newest revision the cache has applied. */
  get revision(): number {
    return this.rev;
  }

  /** Loads every object and starts following the store. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await this.load();
  }

  private async load(): Promise<void> {
    const listed = await this.store.list(REGISTRY_PREFIX);
    // Build the new state aside and swap it in whole: readers never see a half-loaded cache.
    const fresh = new Map<string, ResourceState>();
    for (const kv of listed.items) {
      const resource = resourceOfKey(kv.key);
      const entry = resource ? this.toEntry(kv, kv.modRevision) : undefined;
      if (!resource || !entry) continue;
      let st = fresh.get(resource);
      if (!st) fresh.set(resource, (st = new ResourceState(listed.revision, TRIGGER_FIELDS[resource]?.value)));
      st.put(entry);
    }
    // Watchers that registered while a relist was under way follow the old state: end them too,
    // so they come back on the new one.
    this.closeWatchers(new Error('the watch cache relisted'));
    this.resources = fresh;
    this.rev = this.startRev = listed.revision;
    this.wakeRevisionWaiters();
    await this.store.watch(REGISTRY_PREFIX, {
      afterRevision: listed.revision,
      signal: this.abort.signal,
      onEvents: (events) => this.apply(events),
      onClose: (err) => {
        if (this.abort.signal.aborted) return;
        this.log(`watch cache: store watch ended unexpectedly: ${err?.message ?? 'closed'}`);
        this.closeWatchers(err);
        if (err && err.name !== 'StoreClosedError') this.reload();
      },
    });
  }

  /**
   * Starts over from a fresh list after the store watch ended, retrying while the store is away.
   * Until it has, consistent reads wait (`syncLatest`), as Kubernetes' cacher blocks reads while
   * it is not ready.
   */
  private reload(): void {
    if (this.reloading) return;
    this.reloading = new Promise<void>((resolve) => {
      const attempt = (delayMs: number) => {
        const timer = setTimeout(() => {
          if (this.abort.signal.aborted) return resolve();
          this.load().then(
            () => {
              this.log(`watch cache: relisted at revision ${this.rev}`);
              this.reloading = undefined;
              resolve();
            },
            (err: unknown) => {
              this.log(`watch cache: relist failed, retrying: ${(err as Error).message}`);
              attempt(Math.min(Math.max(delayMs * 2, 500), 5000));
            },
          );
        }, delayMs);
        timer.unref();
      };
      attempt(0);
    });
  }

  /**
   * Waits until the cache reflects every write the store had acknowledged when called — writes
   * made through other API servers included — for stores shared between servers (etcd). Used
   * before reads that must be current (Kubernetes' consistent reads from the watch cache).
   * Immediate for stores that notify inside their write path.
   */
  async syncLatest(): Promise<void> {
    if (this.reloading) await this.reloading;
    if (!this.store.syncWatches) return;
    try {
      await this.store.syncWatches();
    } catch (err) {
      throw new StatusError(504, 'Timeout', `the watch cache could not catch up with the datastore: ${(err as Error).message}`, { retryAfterSeconds: 1 });
    }
  }

  stop(): void {
    this.abort.abort();
    this.closeWatchers();
  }

  private closeWatchers(err?: Error): void {
    for (const s of this.resources.values()) {
      for (const w of [...s.watchers()]) w.close(err);
      s.clearWatchers();
    }
  }

  private state(resource: string): ResourceState {
    let s = this.resources.get(resource);
    if (!s) this.resources.set(resource, (s = new ResourceState(this.startRev, TRIGGER_FIELDS[resource]?.value)));
    return s;
  }

  private toEntry(kv: KeyValue, rev: number): CacheEntry | undefined {
    const resource = resourceOfKey(kv.key);
    if (!resource) return undefined;
    let obj: StoredObject;
    try {
      obj = JSON.parse(kv.value) as StoredObject;
    } catch (err) {
      this.log(`watch cache: skipping unparseable value at ${kv.key}: ${(err as Error).message}`);
      return undefined;
    }
    obj.metadata ??= {} as StoredObject['metadata'];
    obj.metadata.resourceVersion = String(rev);
    return { key: kv.key, namespace: namespaceOfKey(kv.key, resource), obj: deepFreezeSharing(obj), rev };
  }

  private apply(events: StoreEvent[]): void {
    const now = Date.now();
    const byResource = new Map<ResourceState, CacheEvent[]>();
    for (const ev of events) {
      const resource = resourceOfKey(ev.kv.key);
      const rev = ev.kv.modRevision;
      if (rev > this.rev) this.rev = rev;
      if (!resource) continue;
      const s = this.state(resource);
      let cacheEvent: CacheEvent | undefined;
      if (ev.type === 'put') {
        const entry = this.toEntry(ev.kv, rev);
        if (!entry) continue;
        const prev = s.put(entry);
        cacheEvent = { type: prev ? 'MODIFIED' : 'ADDED', rev, entry, at: now, ...(prev ? { prev } : {}) };
      } else {
        const prev = s.remove(ev.kv.key);
        // The DELETED event carries the last state with the deletion's resourceVersion.
        const entry = this.toEntry(ev.kv, rev);
        if (!entry) continue;
        cacheEvent = { type: 'DELETED', rev, entry, at: now, ...(prev ? { prev } : {}) };
      }
      s.record(cacheEvent);
      let list = byResource.get(s);
      if (!list) byResource.set(s, (list = []));
      list.push(cacheEvent);
    }
    for (const [s, evs] of byResource) s.dispatch(evs);
    this.wakeRevisionWaiters();
  }

  private wakeRevisionWaiters(): void {
    if (this.revWaiters.length === 0) return;
    for (let i = this.revWaiters.length - 1; i >= 0; i--) {
      const w = this.revWaiters[i]!;
      if (w.rev <= this.rev) {
        this.revWaiters.splice(i, 1);
        w.resolve();
      }
    }
  }

  /** Resolves once the cache has applied `rev` (immediately if it has). */
  waitForRevision(rev: number, timeoutMs = 5000): Promise<boolean> {
    if (rev <= this.rev) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter = { rev, resolve: () => (clearTimeout(timer), resolve(true)) };
      const timer = setTimeout(() => {
        const i = this.revWaiters.indexOf(waiter);
        if (i >= 0) this.revWaiters.splice(i, 1);
        resolve(false);
      }, timeoutMs);
      timer.unref();
      this.revWaiters.push(waiter);
    });
  }

  get(resource: string, key: string): CacheEntry | undefined {
    return this.resources.get(resource)?.entries.get(key);
  }

  /** Number of objects of a resource (in a namespace, or all). */
  count(resource: string, namespace = ''): number {
    const s = this.resources.get(resource);
    if (!s) return 0;
    return namespace ? (s.byNamespace.get(namespace)?.size ?? 0) : s.entries.size;
  }

  /**
   * Entries of a resource in key order, starting after `afterKey`. Namespaced lists walk only the
   * namespace's entries.
   */
  *scan(resource: string, namespace: string, afterKey = ''): Generator<CacheEntry> {
    const s = this.resources.get(resource);
    if (!s) return;
    if (namespace) {
      const ns = s.byNamespace.get(namespace);
      if (!ns) return;
      const keys = [...ns.keys()].sort();
      for (const k of keys) if (k > afterKey) yield ns.get(k)!;
      return;
    }
    const keys = s.keysSorted();
    let lo = 0;
    if (afterKey) {
      // Binary search for the first key > afterKey.
      let hi = keys.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (keys[mid]! <= afterKey) lo = mid + 1;
        else hi = mid;
      }
    }
    for (let i = lo; i < keys.length; i++) {
      const e = s.entries.get(keys[i]!);
      if (e) yield e;
    }
  }

  /**
   * Entries whose trigger field has `value` (in no particular order), when the resource has a
   * trigger field; undefined otherwise (the caller scans).
   */
  scanTrigger(resource: string, namespace: string, value: string): CacheEntry[] | undefined {
    const s = this.resources.get(resource);
    if (!s) return TRIGGER_FIELDS[resource] ? [] : undefined;
    if (!s.trigger) return undefined;
    const bucket = s.byTrigger.get(value);
    if (!bucket) return [];
    const out: CacheEntry[] = [];
    for (const e of bucket.values()) if (!namespace || e.namespace === namespace) out.push(e);
    return out;
  }

  /** Revision of the last change to a resource (0 if none since start). */
  lastChange(resource: string): number {
    return this.resources.get(resource)?.lastChangeRev ?? 0;
  }

  /**
   * Registers a watcher and replays events after `fromRev` (when given). Throws CompactedError if
   * the history window no longer reaches back that far (the client must relist: 410 Gone).
   */
  addWatcher(resource: string, watcher: CacheWatcher, fromRev: number | undefined): () => void {
    const s = this.state(resource);
    if (fromRev !== undefined) {
      if (fromRev < s.oldestRev) throw new CompactedError(fromRev, s.oldestRev);
      const replay: CacheEvent[] = [];
      // History is in revision order; find the first event after fromRev.
      let lo = 0;
      let hi = s.history.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (s.history[mid]!.rev <= fromRev) lo = mid + 1;
        else hi = mid;
      }
      for (let i = lo; i < s.history.length; i++) replay.push(s.history[i]!);
      const out = filterForWatcher(watcher, replay);
      if (out.length > 0) watcher.deliver(out);
    }
    s.addWatcher(watcher);
    return () => {
      s.removeWatcher(watcher);
    };
  }

  /** Number of active watchers across all resources. */
  watcherCount(): number {
    let n = 0;
    for (const s of this.resources.values()) n += s.watcherCount;
    return n;
  }
}

/**
 * Converts cache events into what one watcher sees, as Kubernetes' cacheWatcher does: an object
 * that starts matching the selector arrives as ADDED, one that stops matching as DELETED (with
 * its previous content and the event's resourceVersion).
 */
export function filterForWatcher(w: CacheWatcher, events: CacheEvent[]): WatchDelivery[] {
  const out: WatchDelivery[] = [];
  for (const ev of events) {
    if (w.namespace && ev.entry.namespace !== w.namespace) continue;
    if (ev.type === 'ADDED') {
      if (w.matches(ev.entry.obj)) out.push({ type: 'ADDED', entry: ev.entry, rev: ev.rev });
    } else if (ev.type === 'DELETED') {
      const subject = ev.prev ?? ev.entry;
      if (w.matches(subject.obj)) out.push({ type: 'DELETED', entry: ev.entry, rev: ev.rev });
    } else {
      const now = w.matches(ev.entry.obj);
      const before = ev.prev ? w.matches(ev.prev.obj) : false;
      if (now && before) out.push({ type: 'MODIFIED', entry: ev.entry, rev: ev.rev });
      else if (now) out.push({ type: 'ADDED', entry: ev.entry, rev: ev.rev });
      else if (before) out.push({ type: 'DELETED', entry: ev.prev!, rev: ev.rev });
    }
  }
  return out;
}

/**
 * The informer's cache: objects by key (`namespace/name`, or `name` when cluster-scoped) plus
 * secondary indexes, like client-go's ThreadSafeStore + Indexers. The `namespace` index is always
 * present; components add their own (pods by `spec.nodeName`, children by owner UID) so lookups
 * that would scan 100k objects read one small set instead.
 *
 * Only the informer writes; everyone else gets the read-only `Lister` view. Objects are shared,
 * never copied: callers must treat them as immutable (the informer freezes them).
 */
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import type { Selector } from '../api/labels.js';
import { labelSelectorAsSelector, parseSelector, selectorFromSet } from '../api/labels.js';
import type { Logger } from './log.js';
import { silentLogger } from './log.js';
import type { ObjectLike } from './types.js';

/** Computes the index values of an object (zero, one or several). */
export type IndexFunc<T> = (obj: T) => string[];

/** The built-in index: objects by `metadata.namespace`. */
export const NAMESPACE_INDEX = 'namespace';

/** Index pods (or anything with `spec.nodeName`) by node: `{ byNode: indexByNodeName }`. */
export const indexByNodeName: IndexFunc<ObjectLike> = (obj) => {
  const node = (obj as { spec?: { nodeName?: string } }).spec?.nodeName;
  return node ? [node] : [];
};

/** Index objects by the UIDs of their owners: `{ byOwner: indexByOwnerUid }`. */
export const indexByOwnerUid: IndexFunc<ObjectLike> = (obj) => (obj.metadata?.ownerReferences ?? []).map((r) => r.uid);

/** Index objects by the UID of their controller owner only. */
export const indexByControllerUid: IndexFunc<ObjectLike> = (obj) => {
  const ref = obj.metadata?.ownerReferences?.find((r) => r.controller === true);
  return ref ? [ref.uid] : [];
};

/** The key of an object in caches and work queues: `namespace/name`, or `name`. */
export function keyOf(obj: ObjectLike): string {
  const ns = obj.metadata?.namespace;
  const name = obj.metadata?.name ?? '';
  return ns ? `${ns}/${name}` : name;
}

/** Read access to an informer's cache. Returned objects are frozen and shared: clone before editing. */
export interface Lister<T extends ObjectLike> {
  /** The object with this key (`ns/name` or `name`). */
  get(key: string): T | undefined;
  /** The object named `name` in `namespace` (`''` for cluster-scoped). */
  getByName(namespace: string, name: string): T | undefined;
  has(key: string): boolean;
  /** Every cached object (a new array; the objects are shared). */
  list(): T[];
  /** Objects in one namespace, via the namespace index. */
  listByNamespace(namespace: string): T[];
  /** Objects whose index `indexName` contains `value`. */
  byIndex(indexName: string, value: string): T[];
  /**
   * Objects whose labels match `selector` (a parsed Selector, selector string, metav1.LabelSelector
   * or label map), within `namespace` if given. An empty LabelSelector matches everything.
   */
  select(selector: Selector | string | LabelSelector | Record<string, string>, namespace?: string): T[];
  /** Keys whose index `indexName` contains `value`. */
  indexKeys(indexName: string, value: string): string[];
  /** Every value present in an index. */
  indexValues(indexName: string): string[];
  keys(): string[];
  readonly size: number;
}

/** The writable cache behind a Lister. */
export class Indexer<T extends ObjectLike> implements Lister<T> {
  private readonly items = new Map<string, T>();
  private readonly indexFuncs = new Map<string, IndexFunc<T>>();
  /** index name → index value → keys */
  private readonly indices = new Map<string, Map<string, Set<string>>>();

  constructor(
    indexers: Record<string, IndexFunc<T>> = {},
    private readonly logger: Logger = silentLogger,
  ) {
    this.addIndexers({ [NAMESPACE_INDEX]: (o: T) => (o.metadata?.namespace ? [o.metadata.namespace] : []), ...indexers });
  }

  /** Adds indexes (also after objects were added: the new indexes are built from the contents). */
  addIndexers(indexers: Record<string, IndexFunc<T>>): void {
    for (const [name, fn] of Object.entries(indexers)) {
      const existing = this.indexFuncs.get(name);
      if (existing) {
        if (existing === fn) continue;
        throw new Error(`index ${JSON.stringify(name)} already exists with a different function`);
      }
      this.indexFuncs.set(name, fn);
      const index = new Map<string, Set<string>>();
      this.indices.set(name, index);
      for (const [key, obj] of this.items) for (const v of this.values(name, fn, obj)) addTo(index, v, key);
    }
  }

  get size(): number {
    return this.items.size;
  }
  get(key: string): T | undefined {
    return this.items.get(key);
  }
  getByName(namespace: string, name: string): T | undefined {
    return this.items.get(namespace ? `${namespace}/${name}` : name);
  }
  has(key: string): boolean {
    return this.items.has(key);
  }
  list(): T[] {
    return [...this.items.values()];
  }
  keys(): string[] {
    return [...this.items.keys()];
  }
  listByNamespace(namespace: string): T[] {
    return this.byIndex(NAMESPACE_INDEX, namespace);
  }
  byIndex(indexName: string, value: string): T[] {
    const out: T[] = [];
    for (const key of this.index(indexName).get(value) ?? []) {
      const obj = this.items.get(key);
      if (obj) out.push(obj);
    }
    return out;
  }
  indexKeys(indexName: string, value: string): string[] {
    return [...(this.index(indexName).get(value) ?? [])];
  }
  select(selector: Selector | string | LabelSelector | Record<string, string>, namespace?: string): T[] {
    const sel = toSelector(selector);
    const candidates = namespace === undefined ? this.items.values() : this.listByNamespace(namespace);
    const out: T[] = [];
    for (const obj of candidates) if (sel.matches(obj.metadata?.labels)) out.push(obj);
    return out;
  }
  indexValues(indexName: string): string[] {
    return [...this.index(indexName).keys()];
  }

  /** Iterates entries without copying (for the informer's relist diff). */
  entries(): IterableIterator<[string, T]> {
    return this.items.entries();
  }

  /** Stores `obj` under `key`, updating indexes; returns the previous object. */
  set(key: string, obj: T): T | undefined {
    const old = this.items.get(key);
    this.items.set(key, obj);
    for (const [name, fn] of this.indexFuncs) {
      const index = this.indices.get(name) as Map<string, Set<string>>;
      const before = old ? this.values(name, fn, old) : [];
      const after = this.values(name, fn, obj);
      if (before.length === 1 && after.length === 1 && before[0] === after[0]) continue;
      for (const v of before) if (!after.includes(v)) removeFrom(index, v, key);
      for (const v of after) addTo(index, v, key);
    }
    return old;
  }

  /** Removes `key`; returns the removed object. */
  delete(key: string): T | undefined {
    const old = this.items.get(key);
    if (old === undefined) return undefined;
    this.items.delete(key);
    for (const [name, fn] of this.indexFuncs) {
      const index = this.indices.get(name) as Map<string, Set<string>>;
      for (const v of this.values(name, fn, old)) removeFrom(index, v, key);
    }
    return old;
  }

  private index(name: string): Map<string, Set<string>> {
    const index = this.indices.get(name);
    if (!index) throw new Error(`no index named ${JSON.stringify(name)} (have: ${[...this.indices.keys()].join(', ')})`);
    return index;
  }

  private values(name: string, fn: IndexFunc<T>, obj: T): string[] {
    try {
      return fn(obj);
    } catch (err) {
      // A buggy index function must not wedge the cache; the object is simply absent from that index.
      this.logger.error('index function failed', { index: name, key: keyOf(obj), error: err });
      return [];
    }
  }
}

function toSelector(s: Selector | string | LabelSelector | Record<string, string>): Selector {
  if (typeof s === 'string') return parseSelector(s);
  if (typeof (s as Selector).matches === 'function') return s as Selector;
  const keys = Object.keys(s);
  if (keys.length === 0 || keys.every((k) => k === 'matchLabels' || k === 'matchExpressions')) return labelSelectorAsSelector(s as LabelSelector);
  return selectorFromSet(s as Record<string, string>);
}

function addTo(index: Map<string, Set<string>>, value: string, key: string): void {
  let set = index.get(value);
  if (!set) index.set(value, (set = new Set()));
  set.add(key);
}

function removeFrom(index: Map<string, Set<string>>, value: string, key: string): void {
  const set = index.get(value);
  if (!set) return;
  set.delete(key);
  if (set.size === 0) index.delete(value);
}

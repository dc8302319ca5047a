/**
 * Copies a datastore into another through the Store contract — SQLite to etcd and back, or any
 * other pair — as k3s users ask for in both directions. Every live key is copied with its latest
 * value, read as one consistent snapshot (paged at the source's revision at the start).
 *
 * What does not carry over: history and revisions. The target numbers the writes itself, so every
 * object gets a new resourceVersion; clients must relist (informers do so on their own when their
 * watch fails) and the cluster should be stopped while migrating. TTLs are not readable through
 * the Store contract: the caller says which keys get which TTL again (Events: an hour).
 *
 * A target that already holds keys is refused unless `force` is set, which replaces its content
 * (keys not in the source are deleted).
 */
import { KeyExistsError, KeyNotFoundError, RevisionConflictError, type KeyValue, type Store } from '../store.js';

/** Keys read per page from the source. */
export const MIGRATE_PAGE_KEYS = 500;
/** Writes in flight to the target at once. */
export const MIGRATE_CONCURRENCY = 32;
/** Backend-private keys never copied: etcd's compaction coordination key (Kubernetes'). */
export const BACKEND_PRIVATE_KEYS = new Set(['compact_rev_key']);

export interface MigrateOptions {
  /** Replace the content of a non-empty target. */
  force?: boolean;
  /** TTL in seconds to give a copied key, or undefined for none. */
  ttlFor?: (key: string) => number | undefined;
  /** Called after every page with the number of keys copied so far. */
  onProgress?: (copied: number) => void;
}

export interface MigrateResult {
  /** Keys written to the target. */
  copied: number;
  /** Keys removed from the target first (with `force`). */
  deleted: number;
  /** The source revision the copy reflects. */
  sourceRevision: number;
}

/** The target has keys and `force` was not given. */
export class TargetNotEmptyError extends Error {
  constructor(
    readonly keys: number,
    readonly sample: string[],
  ) {
    super(`the target datastore is not empty (${keys} keys, e.g. ${sample.join(', ')}): pass --force to replace its content`);
    this.name = 'TargetNotEmptyError';
  }
}

function copied(key: string): boolean {
  return !BACKEND_PRIVATE_KEYS.has(key);
}

/** Every copyable key of a store, page by page at one revision. */
async function* scan(store: Store): AsyncGenerator<KeyValue[], number> {
  let afterKey: string | undefined;
  let revision = 0;
  for (;;) {
    const page = await store.list('', { limit: MIGRATE_PAGE_KEYS, ...(afterKey !== undefined ? { afterKey } : {}), ...(revision ? { revision } : {}) });
    revision = page.revision;
    const items = page.items.filter((kv) => copied(kv.key));
    if (items.length > 0) yield items;
    if (!page.more || page.items.length === 0) return revision;
    afterKey = page.items[page.items.length - 1]?.key;
  }
}

/** Runs `fn` over `items` with at most `limit` calls in flight. */
async function pool<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Copies every key of `source` into `target`. */
export async function migrateStore(source: Store, target: Store, opts: MigrateOptions = {}): Promise<MigrateResult> {
  const existing: string[] = [];
  const it = scan(target);
  for (let r = await it.next(); !r.done; r = await it.next()) for (const kv of r.value) existing.push(kv.key);
  if (existing.length > 0 && !opts.force) throw new TargetNotEmptyError(existing.length, existing.slice(0, 3));

  // With force: the target ends up holding exactly the source's keys.
  let deleted = 0;
  const sourceKeys = new Set<string>();
  let count = 0;
  const src = scan(source);
  let r = await src.next();
  for (; !r.done; r = await src.next()) {
    await pool(r.value, MIGRATE_CONCURRENCY, async (kv) => {
      sourceKeys.add(kv.key);
      const ttl = opts.ttlFor?.(kv.key);
      const wopts = ttl ? { ttlSeconds: ttl } : {};
      try {
        await target.create(kv.key, kv.value, wopts);
      } catch (err) {
        if (!(err instanceof KeyExistsError) || !opts.force) throw err;
        for (;;) {
          const cur = await target.get(kv.key);
          if (!cur) {
            await target.create(kv.key, kv.value, wopts);
            break;
          }
          try {
            await target.update(kv.key, kv.value, cur.modRevision, wopts);
            break;
          } catch (e) {
            if (!(e instanceof RevisionConflictError) && !(e instanceof KeyNotFoundError)) throw e;
          }
        }
      }
    });
    count += r.value.length;
    opts.onProgress?.(count);
  }
  const stale = existing.filter((k) => !sourceKeys.has(k));
  await pool(stale, MIGRATE_CONCURRENCY, async (key) => {
    try {
      await target.delete(key);
      deleted++;
    } catch (err) {
      if (!(err instanceof KeyNotFoundError)) throw err;
    }
  });
  return { copied: count, deleted, sourceRevision: r.value };
}

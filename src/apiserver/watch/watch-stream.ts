/**
 * Serves one watch from the watch cache as a stream of encoded events, as Kubernetes' cacheWatcher
 * does: optional initial state (synthetic ADDED events, `sendInitialEvents` with its end bookmark),
 * replay from a resourceVersion, live events, periodic BOOKMARKs, `timeoutSeconds`, and an ERROR
 * event with 410 Expired when the requested history is gone.
 */
import type { StoredObject } from '../../api/object.js';
import { CompactedError } from '../../storage/store.js';
import type { ObjectCache, CacheEntry, WatchDelivery, CacheWatcher } from '../registry/object-cache.js';

/** A watcher whose client reads slower than events arrive is cut off past this many queued events. */
export const MAX_QUEUED_EVENTS = 50_000;
/** Bookmarks go out at least this often when the client allows them. */
export const BOOKMARK_INTERVAL_MS = 60_000;

export interface WatchParams {
  resource: string;
  namespace: string;
  filter: (obj: StoredObject) => boolean;
  /** The value the selector pins the resource's trigger field to (see TRIGGER_FIELDS). */
  trigger?: string;
  /** undefined/'' and '0' mean "start with the current state". */
  resourceVersion: string | undefined;
  allowBookmarks: boolean;
  sendInitialEvents: boolean | undefined;
  timeoutSeconds: number | undefined;
  signal: AbortSignal;
  bookmarkIntervalMs?: number;
}

export type StreamItem =
  | { kind: 'event'; delivery: WatchDelivery }
  | { kind: 'bookmark'; rev: number; initialEventsEnd?: boolean }
  | { kind: 'error'; code: number; reason: string; message: string };

/**
 * Opens a watch and yields items until the client goes away, the timeout passes or the cache stops.
 * Registration and the initial snapshot happen synchronously, so no event can fall between them.
 */
export async function* watchCache(cache: ObjectCache, p: WatchParams): AsyncGenerator<StreamItem> {
  const queue: StreamItem[] = [];
  let wake: (() => void) | undefined;
  let ended = false;
  let endReason: StreamItem | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const watcher: CacheWatcher = {
    namespace: p.namespace,
    ...(p.trigger !== undefined ? { trigger: p.trigger } : {}),
    matches: p.filter,
    deliver(events) {
      if (ended) return;
      for (const d of events) queue.push({ kind: 'event', delivery: d });
      if (queue.length > MAX_QUEUED_EVENTS) {
        ended = true;
        endReason = { kind: 'error', code: 410, reason: 'Expired', message: 'watch closed: the client is too slow to keep up with events; relist and watch again' };
      }
      notify();
    },
    close() {
      ended = true;
      notify();
    },
  };

  const rvParam = p.resourceVersion ?? '';
  const fromState = rvParam === '' || rvParam === '0' || p.sendInitialEvents === true;
  // With a store shared by several API servers, the client may know a newer revision than this
  // cache (from another server): wait for it, as Kubernetes' cacher does before serving a watch,
  // so the replay below neither misses nor repeats events. RV unset means "the newest state".
  if (rvParam === '') await cache.syncLatest();
  else if (/^\d+$/.test(rvParam) && Number(rvParam) > cache.revision && !(await cache.waitForRevision(Number(rvParam), 3000))) {
    yield { kind: 'error', code: 504, reason: 'Timeout', message: `Too large resource version: ${rvParam}, current: ${cache.revision}` };
    return;
  }
  let unregister: (() => void) | undefined;
  try {
    if (fromState) {
      const rev = cache.revision;
      const indexed = p.trigger !== undefined ? cache.scanTrigger(p.resource, p.namespace, p.trigger) : undefined;
      for (const e of indexed ?? cache.scan(p.resource, p.namespace)) {
        if (p.filter(e.obj)) queue.push({ kind: 'event', delivery: { type: 'ADDED', entry: e, rev: e.rev } });
      }
      if (p.sendInitialEvents) queue.push({ kind: 'bookmark', rev, initialEventsEnd: true });
      unregister = cache.addWatcher(p.resource, watcher, undefined);
    } else {
      if (!/^\d+$/.test(rvParam)) {
        yield { kind: 'error', code: 400, reason: 'BadRequest', message: `invalid resource version: ${rvParam}` };
        return;
      }
      try {
        unregister = cache.addWatcher(p.resource, watcher, Number(rvParam));
      } catch (err) {
        if (err instanceof CompactedError) {
          yield { kind: 'error', code: 410, reason: 'Expired', message: `too old resource version: ${rvParam} (${err.compacted})` };
          return;
        }
        throw err;
      }
    }
  } catch (err) {
    unregister?.();
    throw err;
  }

  const onAbort = () => {
    ended = true;
    notify();
  };
  p.signal.addEventListener('abort', onAbort, { once: true });
  const timers: NodeJS.Timeout[] = [];
  if (p.timeoutSeconds !== undefined && p.timeoutSeconds > 0) {
    timers.push(setTimeout(onAbort, p.timeoutSeconds * 1000));
  }
  if (p.allowBookmarks) {
    const t = setInterval(() => {
      queue.push({ kind: 'bookmark', rev: cache.revision });
      notify();
    }, p.bookmarkIntervalMs ?? BOOKMARK_INTERVAL_MS);
    timers.push(t);
  }
  for (const t of timers) t.unref();

  try {
    for (;;) {
      while (queue.length > 0 && !p.signal.aborted) {
        // Hand out what is queued in one go; the consumer encodes and writes it.
        const batch = queue.splice(0, queue.length);
        for (const item of batch) yield item;
      }
      if (ended || p.signal.aborted) break;
      await new Promise<void>((resolve) => (wake = resolve));
    }
    if (endReason) yield endReason;
  } finally {
    for (const t of timers) clearTimeout(t);
    p.signal.removeEventListener('abort', onAbort);
    unregister?.();
  }
}

/** The object to send for a delivery, with the event's resourceVersion when it differs. */
export function deliveredObject(d: WatchDelivery): { entry: CacheEntry; rvOverride?: string } {
  return d.rev === d.entry.rev ? { entry: d.entry } : { entry: d.entry, rvOverride: String(d.rev) };
}

/**
 * The list-then-watch loop behind an informer, after client-go's Reflector:
 *
 * 1. LIST (paged, 500 per page, consistent read) and hand the complete result to the sink at once;
 * 2. WATCH from the list's resourceVersion with bookmarks and a random 5–10 minute server timeout;
 * 3. when a watch ends or breaks, WATCH again from the last resourceVersion seen (an event's or a
 *    bookmark's), so nothing is missed or repeated;
 * 4. when the server says that resourceVersion is gone (410 Expired/Gone), or the stream could not
 *    be decoded, LIST again and let the sink diff;
 * 5. every failure waits an exponential, jittered back-off (0.8 s doubling to 30 s, reset after
 *    2 minutes of health) and the loop goes on: it only ends when its signal aborts.
 */
import { isGone, StatusError } from '../api/errors.js';
import { Backoff } from './backoff.js';
import type { Clock } from './clock.js';
import { realClock, sleepUnlessAborted } from './clock.js';
import type { Logger } from './log.js';
import { silentLogger } from './log.js';
import type { FieldSelectorInput, LabelSelectorInput } from './query.js';
import type { ResourceClient } from './resource-client.js';
import { DEFAULT_PAGE_SIZE } from './resource-client.js';
import type { ObjectLike, WatchEvent } from './types.js';
import { WatchDecodeError } from './watch-decoder.js';

/** client-go reflector back-off: 800 ms initial, 30 s cap, factor 2, full jitter, reset after 2 min. */
export const REFLECTOR_BACKOFF = { initialMs: 800, maxMs: 30_000, factor: 2, jitter: 1, resetAfterMs: 120_000 };
/** Watch requests ask the server to end them after a random time in this range (client-go: 5–10 min). */
export const MIN_WATCH_TIMEOUT_SECONDS = 300;
/** A watch that ends this quickly with no events is treated as a failure, not a normal close. */
export const SHORT_WATCH_MS = 1000;

/** Receives what the reflector reads. Calls are synchronous and never overlap. */
export interface ReflectorSink<T extends ObjectLike> {
  /** A complete list at `resourceVersion`, page by page: `page` may be called many times, then `end`. */
  beginList(): ListAccumulator<T>;
  /** One watch event (never BOOKMARK or ERROR). */
  watchEvent(ev: WatchEvent<T>): void;
}

export interface ListAccumulator<T extends ObjectLike> {
  page(items: T[]): void;
  end(resourceVersion: string): void;
}

export interface ReflectorOptions {
  labelSelector?: LabelSelectorInput;
  fieldSelector?: FieldSelectorInput;
  pageSize?: number;
  logger?: Logger;
  clock?: Clock;
  random?: () => number;
  /**
   * The sink takes objects frozen and shared with other readers (an informer that freezes its
   * cache): an in-process transport then hands over the API server's cached objects uncopied.
   */
  sharedObjects?: boolean;
}

/** Runs list+watch for one resource client into a sink. */
export class Reflector<T extends ObjectLike> {
  private lastRV = '';
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly random: () => number;

  constructor(
    private readonly client: ResourceClient<T>,
    private readonly sink: ReflectorSink<T>,
    private readonly opts: ReflectorOptions = {},
  ) {
    this.logger = (opts.logger ?? silentLogger).child({ resource: client.info.groupResource, ...(client.namespaceName ? { namespace: client.namespaceName } : {}) });
    this.clock = opts.clock ?? realClock;
    this.random = opts.random ?? Math.random;
  }

  /** The resourceVersion the cache reflects (last list, event or bookmark). */
  lastSyncResourceVersion(): string {
    return this.lastRV;
  }

  /** Lists and watches until `signal` aborts. Never rejects. */
  async run(signal: AbortSignal): Promise<void> {
    const backoff = new Backoff({ ...REFLECTOR_BACKOFF, clock: this.clock, random: this.random });
    let needList = true;
    while (!signal.aborted) {
      try {
        if (needList) {
          await this.list(signal);
          needList = false;
        }
        const outcome = await this.watch(signal);
        if (outcome === 'short') {
          this.logger.warn('watch closed immediately without events; backing off', { resourceVersion: this.lastRV });
          if (!(await sleepUnlessAborted(this.clock, backoff.next(), signal))) break;
        }
      } catch (err) {
        if (signal.aborted) break;
        if (isGone(err)) {
          // The resourceVersion we hold was compacted away: only a fresh list can resync us.
          this.logger.info('watch resourceVersion expired; relisting', { resourceVersion: this.lastRV, error: err });
          needList = true;
          continue;
        }
        if (err instanceof WatchDecodeError) {
          this.logger.error('could not decode watch stream; relisting', { resourceVersion: this.lastRV, error: err });
          needList = true;
        } else if (err instanceof StatusError && err.code >= 400 && err.code < 500 && err.code !== 429) {
          // Forbidden, NotFound (resource not served yet), BadRequest (bad selector): retrying the
          // same watch will not help; start over with a list after backing off.
          this.logger.error(needList ? 'list failed' : 'watch failed; relisting', { code: err.code, reason: err.reason, error: err });
          needList = true;
        } else {
          // Connection trouble, 5xx, 429: resume from where we were once the back-off passes.
          this.logger.warn(needList ? 'list failed; retrying' : 'watch failed; resuming', { resourceVersion: this.lastRV, error: err });
        }
        if (!(await sleepUnlessAborted(this.clock, backoff.next(), signal))) break;
      }
    }
  }

  /**
   * Pages through a consistent list and hands the result over in one go. If a continue token
   * expires mid-way the partial result is thrown away and a single unpaged list is made, since
   * pages from two snapshots would resurrect objects deleted between them.
   */
  private async list(signal: AbortSignal): Promise<void> {
    const limit = this.opts.pageSize ?? DEFAULT_PAGE_SIZE;
    let acc = this.sink.beginList();
    let token: string | undefined;
    let paged = false;
    for (;;) {
      let page;
      try {
        page = await this.client.listPage({ ...this.selectors(), limit, ...(token ? { continue: token } : {}), signal, sharedObjects: this.shared() });
      } catch (err) {
        if (!(paged && isGone(err))) throw err;
        this.logger.warn('list continue token expired; relisting without paging');
        acc = this.sink.beginList();
        page = await this.client.listPage({ ...this.selectors(), signal, sharedObjects: this.shared() });
        token = undefined;
      }
      if (signal.aborted) return;
      acc.page(page.items);
      token = page.metadata.continue || undefined;
      if (!token) {
        const rv = page.metadata.resourceVersion ?? '';
        acc.end(rv);
        this.lastRV = rv;
        this.logger.debug('listed', { resourceVersion: rv });
        return;
      }
      paged = true;
    }
  }

  /** One watch request; returns when the server closes it normally. */
  private async watch(signal: AbortSignal): Promise<'closed' | 'short'> {
    const started = this.clock.now();
    let events = 0;
    const timeoutSeconds = Math.floor(MIN_WATCH_TIMEOUT_SECONDS * (1 + this.random()));
    const stream = this.client.watch({ ...this.selectors(), resourceVersion: this.lastRV, allowWatchBookmarks: true, timeoutSeconds, signal, sharedObjects: this.shared() });
    for await (const ev of stream) {
      events++;
      const rv = ev.object.metadata?.resourceVersion ?? '';
      if (ev.type !== 'BOOKMARK') this.sink.watchEvent(ev);
      // Recorded only after the sink has the event: a resume never skips an unapplied one.
      if (rv) this.lastRV = rv;
    }
    if (signal.aborted) return 'closed';
    return events === 0 && this.clock.now() - started < SHORT_WATCH_MS ? 'short' : 'closed';
  }

  private shared(): boolean {
    return this.opts.sharedObjects === true;
  }

  private selectors(): { labelSelector?: LabelSelectorInput; fieldSelector?: FieldSelectorInput } {
    return {
      ...(this.opts.labelSelector !== undefined ? { labelSelector: this.opts.labelSelector } : {}),
      ...(this.opts.fieldSelector !== undefined ? { fieldSelector: this.opts.fieldSelector } : {}),
    };
  }
}

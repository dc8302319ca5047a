/**
 * All of an etcd store's watches over one gRPC Watch stream.
 *
 * The feed keeps one etcd watcher on the whole keyspace (with prevKv) and hands each Store watch
 * the events under its prefix, in revision order. Watching every key is what makes progress
 * exact: every etcd revision is at least one event, and etcd never splits a revision across
 * responses (we do not ask for fragments), so after each response the feed knows that every
 * write up to its last event has been delivered. That is the fact a watch cache needs to serve
 * reads that reflect writes made through other API servers (Kubernetes' consistent reads from
 * cache, which on etcd 3.4.23 cannot rely on WatchProgressRequest: its reply may overtake
 * events, etcd-io/etcd#15220).
 *
 * A Store watch that starts in the past catches up through a watcher of its own, created at
 * `afterRevision` (so etcd refuses it exactly when that revision is compacted) and also on the
 * whole keyspace, so the catch-up knows when it has reached the revision the feed was at when the
 * watch began; the feed's events after that, buffered meanwhile, follow.
 *
 * When the stream breaks (etcd restarted, endpoint lost) the feed reconnects, moving through the
 * endpoints, and resumes every watcher after the last revision it delivered: Store watches see no
 * gap. Only if etcd compacted that revision meanwhile are the watches ended with CompactedError.
 */
import type { StoreEvent, WatchOptions } from '../store.js';
import { CompactedError, StoreClosedError } from '../store.js';
import type { EtcdClient, WatchStream } from './etcd-client.js';
import { prefixRange, toKeyValue } from './keys.js';
import { EVENT_PUT, type EventMsg, type WatchResponseMsg } from './proto/messages.js';

/** Pause before reconnecting a broken stream; doubles up to the maximum. */
export const RECONNECT_MIN_MS = 100;
export const RECONNECT_MAX_MS = 3000;

interface Subscriber {
  prefix: string;
  /** Revision of the last event delivered, or where the watch started. */
  after: number;
  onEvents: WatchOptions['onEvents'];
  onClose: WatchOptions['onClose'];
  live: boolean;
  /** While catching up: the feed's position when the watch began. */
  target: number;
  /**
   * While catching up: the highest revision the catch-up watcher has seen; it is (re)created at
   * the next one. Starts at `after - 1`, so the first watcher is created at `after` itself: etcd
   * cancels it exactly when `after` is below the compacted revision, the Store's CompactedError
   * condition (the event at `after` is skipped).
   */
  scanned: number;
  /** While catching up: the feed's events after `target` under the prefix. */
  buffer: StoreEvent[];
  catchupId: number;
  /** Settles `watch()` while catching up. */
  settle?: (err?: Error) => void;
  detach: () => void;
}

/** Converts an etcd event: a delete carries the last value with the delete's revision. */
export function toStoreEvent(ev: EventMsg): StoreEvent {
  const kv = ev.kv;
  if (!kv) throw new Error('etcd watch event without a key-value');
  const prev = ev.prevKv ? toKeyValue(ev.prevKv) : undefined;
  if (ev.type === EVENT_PUT) return prev ? { type: 'put', kv: toKeyValue(kv), prevKv: prev } : { type: 'put', kv: toKeyValue(kv) };
  const last = { key: kv.key.toString('utf8'), value: prev?.value ?? '', modRevision: kv.modRevision, createRevision: prev?.createRevision ?? 0 };
  return prev ? { type: 'delete', kv: last, prevKv: prev } : { type: 'delete', kv: last };
}

const ALL = prefixRange('');

export class WatchFeed {
  private stream: WatchStream | undefined;
  /** Every event with a revision up to this one has been handed to the live subscribers. */
  private position = 0;
  private mainId = 0;
  private nextId = 1;
  private readonly subs = new Set<Subscriber>();
  private readonly catchups = new Map<number, Subscriber>();
  private waiters: Array<{ rev: number; resolve: () => void }> = [];
  private starting: Promise<void> | undefined;
  private mainCreated: (() => void) | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private backoff = RECONNECT_MIN_MS;
  private closed = false;

  constructor(
    private readonly client: EtcdClient,
    private readonly currentRevision: () => Promise<number>,
    private readonly log: (msg: string) => void,
  ) {}

  /** The revision through which every event has been delivered (0 before the feed started). */
  get revision(): number {
    return this.position;
  }

  /** Starts a Store watch (see Store.watch). */
  async watch(prefix: string, opts: WatchOptions): Promise<void> {
    if (opts.signal.aborted) return;
    await this.start();
    if (opts.signal.aborted) return;
    const after = opts.afterRevision > 0 ? opts.afterRevision : await this.currentRevision();
    if (this.closed) throw new StoreClosedError();
    if (opts.signal.aborted) return;
    const sub: Subscriber = {
      prefix,
      after,
      onEvents: opts.onEvents,
      onClose: opts.onClose,
      live: after >= this.position,
      target: this.position,
      scanned: after - 1,
      buffer: [],
      catchupId: 0,
      detach: () => {},
    };
    const onAbort = () => this.remove(sub, undefined, false);
    opts.signal.addEventListener('abort', onAbort, { once: true });
    sub.detach = () => opts.signal.removeEventListener('abort', onAbort);
    this.subs.add(sub);
    if (sub.live) return;
    const done = new Promise<void>((resolve, reject) => {
      sub.settle = (err) => (err ? reject(err) : resolve());
    });
    this.createCatchup(sub);
    return done;
  }

  /** Resolves once every event up to `rev` has been delivered (or rejects after `timeoutMs`). */
  async waitFor(rev: number, timeoutMs: number): Promise<void> {
    await this.start();
    if (rev <= this.position) return;
    await new Promise<void>((resolve, reject) => {
      const waiter = {
        rev,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`etcd watch did not reach revision ${rev} within ${timeoutMs} ms (at ${this.position}, endpoint ${this.client.endpoint})`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** Ends every watch with `err` (StoreClosedError on close) and the stream. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    const err = new StoreClosedError();
    for (const sub of [...this.subs]) this.remove(sub, err, true);
    this.stream?.cancel();
    this.stream = undefined;
  }

  /** Opens the stream and the main watcher once (and again after a compaction reset). */
  private start(): Promise<void> {
    if (this.closed) return Promise.reject(new StoreClosedError());
    this.starting ??= (async () => {
      if (this.position === 0) {
        // First start, or a restart after a compaction ended every watch: nobody is owed the
        // events before now, so whoever waits for an older revision is done.
        this.advance(await this.currentRevision());
      }
      await new Promise<void>((resolve) => {
        this.mainCreated = resolve;
        this.connect();
      });
    })().catch((err: unknown) => {
      this.starting = undefined;
      throw err;
    });
    return this.starting;
  }

  private connect(): void {
    if (this.closed) return;
    const stream = this.client.openWatch();
    this.stream = stream;
    stream.on('data', (resp: WatchResponseMsg) => {
      if (this.stream !== stream) return;
      try {
        this.onResponse(resp);
      } catch (err) {
        this.log(`etcd watch: dropping the stream after a bad response: ${(err as Error).message}`);
        this.broken(stream);
      }
    });
    stream.on('error', (err: Error) => {
      if (this.stream === stream && !this.closed) this.log(`etcd watch stream on ${this.client.endpoint} failed: ${err.message}`);
      this.broken(stream);
    });
    stream.on('end', () => this.broken(stream));
    this.mainId = this.nextId++;
    stream.write({ createRequest: { ...ALL, startRevision: this.position + 1, prevKv: true, progressNotify: true, watchId: this.mainId } });
    for (const sub of [...this.catchups.values()]) this.createCatchup(sub);
  }

  private broken(stream: WatchStream): void {
    if (this.stream !== stream || this.closed) return;
    this.stream = undefined;
    stream.cancel();
    this.client.failover();
    const delay = this.backoff;
    this.backoff = Math.min(this.backoff * 2, RECONNECT_MAX_MS);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.connect();
    }, delay);
    this.reconnectTimer.unref();
  }

  /** (Re)creates a subscriber's catch-up watcher after the last revision it scanned. */
  private createCatchup(sub: Subscriber): void {
    if (sub.catchupId) this.catchups.delete(sub.catchupId);
    sub.catchupId = this.nextId++;
    this.catchups.set(sub.catchupId, sub);
    this.stream?.write({ createRequest: { ...ALL, startRevision: sub.scanned + 1, prevKv: true, watchId: sub.catchupId } });
  }

  private onResponse(resp: WatchResponseMsg): void {
    if (resp.watchId === this.mainId) {
      this.onMain(resp);
      return;
    }
    const sub = this.catchups.get(resp.watchId);
    if (sub) this.onCatchup(sub, resp);
    // Anything else answers a cancel we sent, or is etcd 3.4's stream-wide progress reply
    // (watch_id -1), which may overtake events and is therefore not used.
  }

  private onMain(resp: WatchResponseMsg): void {
    if (resp.created && !resp.canceled) {
      this.backoff = RECONNECT_MIN_MS;
      this.mainCreated?.();
      this.mainCreated = undefined;
    }
    if (resp.canceled) {
      if (resp.compactRevision > 0) {
        this.resetAfterCompaction(resp.compactRevision);
        return;
      }
      throw new Error(`main watcher canceled: ${resp.cancelReason || 'no reason given'}`);
    }
    if (resp.events.length === 0) {
      // A progress notification for this watcher: nothing up to header.revision is pending.
      const rev = resp.header?.revision ?? 0;
      if (!resp.created && rev > this.position) this.advance(rev);
      return;
    }
    const events = resp.events.map(toStoreEvent);
    for (const sub of this.subs) {
      if (sub.live) this.deliver(sub, events);
      else for (const e of events) if (e.kv.key.startsWith(sub.prefix)) sub.buffer.push(e);
    }
    this.advance((events[events.length - 1] as StoreEvent).kv.modRevision);
  }

  private advance(rev: number): void {
    this.position = rev;
    if (this.waiters.length === 0) return;
    const ready = this.waiters.filter((w) => w.rev <= rev);
    if (ready.length === 0) return;
    this.waiters = this.waiters.filter((w) => w.rev > rev);
    for (const w of ready) w.resolve();
  }

  private onCatchup(sub: Subscriber, resp: WatchResponseMsg): void {
    if (resp.canceled) {
      this.catchups.delete(sub.catchupId);
      const err =
        resp.compactRevision > 0
          ? new CompactedError(sub.after, resp.compactRevision)
          : new Error(`etcd canceled a watch: ${resp.cancelReason || 'no reason given'}`);
      this.remove(sub, err, true);
      return;
    }
    if (resp.events.length === 0) return;
    const batch: StoreEvent[] = [];
    let last = sub.scanned;
    for (const ev of resp.events) {
      const rev = ev.kv?.modRevision ?? 0;
      last = Math.max(last, rev);
      if (rev <= sub.after || rev > sub.target) continue;
      const key = ev.kv?.key.toString('utf8') ?? '';
      if (key.startsWith(sub.prefix)) batch.push(toStoreEvent(ev));
    }
    sub.scanned = last;
    if (batch.length > 0 && !this.emit(sub, batch)) return;
    if (last < sub.target) return;
    // Caught up with the feed: stop the catch-up watcher, hand over to the buffered feed events.
    this.catchups.delete(sub.catchupId);
    this.stream?.write({ cancelRequest: { watchId: sub.catchupId } });
    const buffered = sub.buffer;
    sub.buffer = [];
    sub.live = true;
    if (buffered.length > 0 && !this.deliver(sub, buffered)) return;
    sub.settle?.();
    sub.settle = undefined;
  }

  /** Hands a live subscriber the events under its prefix it has not had. */
  private deliver(sub: Subscriber, events: StoreEvent[]): boolean {
    const batch = events.filter((e) => e.kv.modRevision > sub.after && e.kv.key.startsWith(sub.prefix));
    return batch.length === 0 || this.emit(sub, batch);
  }

  private emit(sub: Subscriber, batch: StoreEvent[]): boolean {
    sub.after = (batch[batch.length - 1] as StoreEvent).kv.modRevision;
    try {
      sub.onEvents(batch);
      return true;
    } catch (err) {
      this.log(`etcd watch: a watcher on ${sub.prefix} threw from onEvents; ending it: ${(err as Error).message}`);
      this.remove(sub, err as Error, true);
      return false;
    }
  }

  /**
   * The feed cannot resume: etcd compacted past the last revision it delivered (it was away
   * longer than the history etcd keeps). Every watch ends with CompactedError — their owners
   * relist, as Kubernetes' reflectors do on 410 — and the feed restarts from now.
   */
  private resetAfterCompaction(compactRevision: number): void {
    this.log(`etcd watch: history after revision ${this.position} was compacted (to ${compactRevision}) while disconnected; ending all watches`);
    const err = new CompactedError(this.position, compactRevision);
    for (const sub of [...this.subs]) this.remove(sub, err, true);
    const stream = this.stream;
    this.stream = undefined;
    stream?.cancel();
    this.position = 0;
    this.starting = undefined;
    this.start().catch((e: unknown) => this.log(`etcd watch: restart failed: ${(e as Error).message}`));
  }

  /** Ends a subscriber: `notify` reports `err` through onClose (or rejects a pending watch()). */
  private remove(sub: Subscriber, err: Error | undefined, notify: boolean): void {
    if (!this.subs.delete(sub)) return;
    sub.detach();
    if (sub.catchupId && this.catchups.get(sub.catchupId) === sub) {
      this.catchups.delete(sub.catchupId);
      this.stream?.write({ cancelRequest: { watchId: sub.catchupId } });
    }
    if (sub.settle) {
      // Still inside watch(): it rejects (or, when aborted, resolves) instead of onClose.
      const settle = sub.settle;
      sub.settle = undefined;
      settle(notify ? err : undefined);
      return;
    }
    if (notify) sub.onClose?.(err);
  }
}

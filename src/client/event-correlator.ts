/**
 * Decides what happens to each event before it is written, after client-go's EventCorrelator:
 *
 * 1. Aggregation: events alike except for their message (same source, object, type, reason)
 *    are counted per distinct message; from the 10th distinct message within 10 minutes of the
 *    previous one, they are written as one event whose message starts with
 *    "(combined from similar events): ".
 * 2. De-duplication: an event identical to one written within the last 10 minutes (same source,
 *    object, type, reason, message) is not created again; the existing Event is PATCHed with
 *    `count + 1` and a new `lastTimestamp`.
 * 3. Spam filter: each source+object pair may emit 25 events in a burst, then one per 5 minutes
 *    (a token bucket); the rest are dropped.
 *
 * client-go keeps the de-duplication record until its LRU evicts it; Skiff forgets it 10 minutes
 * after the last occurrence (DEDUPE_WINDOW_MS), so a recurrence after a long quiet period is a
 * new Event rather than a patch of one the server may already have expired.
 */
import type { Event } from 'kubernetes-types/core/v1.js';
import type { Clock } from './clock.js';
import { formatTime } from './clock.js';

/** Distinct messages of similar events before they are combined (client-go maxEvents). */
export const AGGREGATE_MAX_EVENTS = 10;
/** Window for aggregation, measured from the last similar event (client-go 600 s). */
export const AGGREGATE_WINDOW_MS = 600_000;
/** Window for counting identical events into one Event. */
export const DEDUPE_WINDOW_MS = 600_000;
/** Spam filter: burst per source+object (client-go defaultSpamBurst). */
export const SPAM_BURST = 25;
/** Spam filter: refill, one event per 5 minutes (client-go defaultSpamQPS = 1/300). */
export const SPAM_QPS = 1 / 300;
/** Entries kept in each correlation cache (client-go maxLruCacheEntries). */
export const CORRELATOR_CACHE_SIZE = 4096;
/** Prefix of a combined event's message. */
export const COMBINED_PREFIX = '(combined from similar events): ';

export interface CorrelationResult {
  /** The event to write (possibly a combined one, with count/name/timestamps filled in). */
  event: Event;
  /** When set, PATCH the existing Event `event.metadata.name` with this instead of creating it. */
  patch?: { count: number; lastTimestamp: string; message: string };
  /** Drop the event (spam filter). */
  skip: boolean;
}

interface AggregateRecord {
  messages: Set<string>;
  last: number;
}

interface ObservedEvent {
  count: number;
  firstTimestamp: string;
  name: string;
  last: number;
}

interface Bucket {
  tokens: number;
  last: number;
}

/** A small LRU map: `get` refreshes, inserts beyond `max` evict the least recently used. */
class Lru<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly max: number) {}
  get(key: string): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }
  set(key: string, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value as string);
  }
}

export interface CorrelatorOptions {
  clock: Clock;
  maxEvents?: number;
  aggregateWindowMs?: number;
  dedupeWindowMs?: number;
  spamBurst?: number;
  spamQps?: number;
  cacheSize?: number;
}

export class EventCorrelator {
  private readonly aggregates: Lru<AggregateRecord>;
  private readonly observed: Lru<ObservedEvent>;
  private readonly buckets: Lru<Bucket>;
  private nameSeq = 0;

  constructor(private readonly opts: CorrelatorOptions) {
    const size = opts.cacheSize ?? CORRELATOR_CACHE_SIZE;
    this.aggregates = new Lru(size);
    this.observed = new Lru(size);
    this.buckets = new Lru(size);
  }

  /** Correlates a freshly made event (count 1, timestamps = now). */
  correlate(input: Event): CorrelationResult {
    const now = this.opts.clock.now();
    const { event, key } = this.aggregate(input, now);
    const result = this.observe(event, key, now);
    result.skip = !this.allow(event, now);
    return result;
  }

  /** The name for a new Event about `objectName`: `<name>.<hex unix nanos>`, unique per recorder. */
  eventName(objectName: string, now: number): string {
    // Nanosecond resolution from a millisecond clock: add a sequence so names never collide.
    const nanos = BigInt(Math.floor(now)) * 1_000_000n + BigInt(this.nameSeq++ % 1_000_000);
    return `${objectName}.${nanos.toString(16)}`;
  }

  private aggregate(event: Event, now: number): { event: Event; key: string } {
    const aggKey = aggregateKey(event);
    let record = this.aggregates.get(aggKey);
    if (!record || now - record.last > (this.opts.aggregateWindowMs ?? AGGREGATE_WINDOW_MS)) record = { messages: new Set(), last: now };
    record.messages.add(event.message ?? '');
    record.last = now;
    this.aggregates.set(aggKey, record);
    if (record.messages.size < (this.opts.maxEvents ?? AGGREGATE_MAX_EVENTS)) return { event, key: eventKey(event) };
    // Keep the set bounded, as client-go does (PopAny).
    const first = record.messages.values().next().value;
    if (first !== undefined) record.messages.delete(first);
    const ts = formatTime(now);
    const combined: Event = {
      ...event,
      metadata: { name: this.eventName(event.involvedObject.name ?? '', now), namespace: event.metadata.namespace ?? '' },
      count: 1,
      firstTimestamp: ts,
      lastTimestamp: ts,
      message: COMBINED_PREFIX + (event.message ?? ''),
    };
    // All combined events share one identity, so further ones bump its count.
    return { event: combined, key: aggKey };
  }

  private observe(event: Event, key: string, now: number): CorrelationResult {
    const last = this.observed.get(key);
    if (last && now - last.last <= (this.opts.dedupeWindowMs ?? DEDUPE_WINDOW_MS)) {
      const count = last.count + 1;
      const out: Event = { ...event, count, firstTimestamp: last.firstTimestamp, metadata: { ...event.metadata, name: last.name } };
      this.observed.set(key, { ...last, count, last: now });
      return { event: out, patch: { count, lastTimestamp: out.lastTimestamp ?? formatTime(now), message: out.message ?? '' }, skip: false };
    }
    this.observed.set(key, { count: event.count ?? 1, firstTimestamp: event.firstTimestamp ?? formatTime(now), name: event.metadata.name ?? '', last: now });
    return { event, skip: false };
  }

  /** Token bucket per source+object. */
  private allow(event: Event, now: number): boolean {
    const key = spamKey(event);
    const burst = this.opts.spamBurst ?? SPAM_BURST;
    const qps = this.opts.spamQps ?? SPAM_QPS;
    const b = this.buckets.get(key) ?? { tokens: burst, last: now };
    b.tokens = Math.min(burst, b.tokens + ((now - b.last) / 1000) * qps);
    b.last = now;
    const ok = b.tokens >= 1;
    if (ok) b.tokens -= 1;
    this.buckets.set(key, b);
    return ok;
  }
}

const SEP = '\u0000';

function objectParts(e: Event): string[] {
  const o = e.involvedObject;
  return [e.source?.component ?? '', e.source?.host ?? '', o.kind ?? '', o.namespace ?? '', o.name ?? '', o.uid ?? '', o.apiVersion ?? ''];
}

/** client-go getSpamKey: source + involved object. */
export function spamKey(e: Event): string {
  return objectParts(e).join(SEP);
}

/** client-go EventAggregatorByReasonFunc: everything but the message. */
export function aggregateKey(e: Event): string {
  return [...objectParts(e), e.type ?? '', e.reason ?? '', e.reportingComponent ?? '', e.reportingInstance ?? ''].join(SEP);
}

/** client-go getEventKey: source, object (with fieldPath), type, reason and message. */
export function eventKey(e: Event): string {
  return [...objectParts(e), e.involvedObject.fieldPath ?? '', e.type ?? '', e.reason ?? '', e.message ?? ''].join(SEP);
}


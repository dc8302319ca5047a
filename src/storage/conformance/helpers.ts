/**
 * Helpers for the storage conformance suite: a watch event collector that tests can await on
 * (no fixed sleeps), and unique key prefixes so the suite can run against a shared backend.
 */
import type { Store, StoreEvent } from '../store.js';

/** Registers one conformance test: `fn` gets a fresh store and a key prefix of its own. */
export type StoreTest = (title: string, fn: (store: Store, prefix: string) => Promise<void>) => void;

let prefixCounter = 0;

/** A key prefix no other test uses: `/conformance/<n>-<random>/`. */
export function uniquePrefix(): string {
  prefixCounter++;
  return `/conformance/${prefixCounter}-${Math.random().toString(36).slice(2, 8)}/`;
}

/** Records a watch's batches and close; `until` awaits a condition on them. */
export class EventCollector {
  readonly events: StoreEvent[] = [];
  readonly batches: StoreEvent[][] = [];
  closed = false;
  closeError: Error | undefined;
  readonly controller = new AbortController();
  private waiters: Array<() => void> = [];

  readonly onEvents = (batch: StoreEvent[]): void => {
    this.batches.push(batch);
    for (const e of batch) this.events.push(e);
    this.wake();
  };

  readonly onClose = (err?: Error): void => {
    this.closed = true;
    this.closeError = err;
    this.wake();
  };

  /** Stops the watch through its signal. */
  abort(): void {
    this.controller.abort();
  }

  /** Revisions of the events received so far. */
  revisions(): number[] {
    return this.events.map((e) => e.kv.modRevision);
  }

  /** Resolves once `predicate` holds; rejects after `timeoutMs` saying what it waited for. */
  async until(predicate: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; got ${this.events.length} events`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Waits until at least `n` events arrived. */
  untilCount(n: number, timeoutMs?: number): Promise<void> {
    return this.until(() => this.events.length >= n, `${n} events`, timeoutMs);
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}

/** Starts a watch and returns its collector once the watch is established. */
export async function watchInto(store: Store, prefix: string, afterRevision: number): Promise<EventCollector> {
  const c = new EventCollector();
  await store.watch(prefix, {
    afterRevision,
    signal: c.controller.signal,
    onEvents: c.onEvents,
    onClose: c.onClose,
  });
  return c;
}

/** A compact, comparable description of an event for deepEqual. */
export function describeEvent(e: StoreEvent): string {
  const prev = e.prevKv ? ` prev=${e.prevKv.value}@${e.prevKv.modRevision}/${e.prevKv.createRevision}` : '';
  return `${e.type} ${e.kv.key}=${e.kv.value}@${e.kv.modRevision}/${e.kv.createRevision}${prev}`;
}

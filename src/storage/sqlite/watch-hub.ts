/**
 * In-process fan-out of committed events to watchers. The store publishes each commit's events
 * once, in revision order; the hub filters them once per distinct prefix (watchers are grouped by
 * prefix, as the API server keeps one watch per resource prefix) and hands the same frozen batch
 * to every watcher of that prefix. Cost per commit: O(prefixes × events) `startsWith` checks.
 */
import type { StoreEvent, WatchOptions } from '../store.js';

/** One registered watch. Created by the store, which replays history before `attach`ing it. */
export class Watcher {
  /** Highest revision handed to `onEvents`; later deliveries skip anything at or below it. */
  lastRevision: number;
  private closed = false;
  private readonly onAbort = (): void => this.detach();
  private hub: WatchHub | undefined;

  constructor(
    readonly prefix: string,
    afterRevision: number,
    private readonly opts: Pick<WatchOptions, 'onEvents' | 'onClose' | 'signal'>,
  ) {
    this.lastRevision = afterRevision;
  }

  /** True once the signal fired or the watch was closed. */
  get done(): boolean {
    return this.closed || this.opts.signal.aborted;
  }

  /**
   * Delivers events newer than `lastRevision`. A throwing `onEvents` ends this watch (with the
   * error through `onClose`) rather than the commit that published them.
   */
  deliver(events: readonly StoreEvent[]): void {
    if (this.done) return;
    let from = 0;
    while (from < events.length && (events[from] as StoreEvent).kv.modRevision <= this.lastRevision) from++;
    if (from === events.length) return;
    const batch = from === 0 ? (events as StoreEvent[]) : events.slice(from);
    this.lastRevision = (batch[batch.length - 1] as StoreEvent).kv.modRevision;
    try {
      this.opts.onEvents(batch);
    } catch (err) {
      this.close(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /** Registers for live events; the signal detaches it. */
  attach(hub: WatchHub): void {
    if (this.done) return;
    this.hub = hub;
    hub.add(this);
    this.opts.signal.addEventListener('abort', this.onAbort, { once: true });
  }

  /** Ends the watch for a reason other than its signal: `onClose` is called once. */
  close(err?: Error): void {
    if (this.closed) return;
    const aborted = this.opts.signal.aborted;
    this.detach();
    if (!aborted) this.opts.onClose?.(err);
  }

  private detach(): void {
    this.closed = true;
    this.opts.signal.removeEventListener('abort', this.onAbort);
    this.hub?.remove(this);
    this.hub = undefined;
  }
}

/** Watchers grouped by prefix. */
export class WatchHub {
  private readonly groups = new Map<string, Set<Watcher>>();
  private count = 0;

  /** Number of live watchers. */
  get size(): number {
    return this.count;
  }

  add(w: Watcher): void {
    let group = this.groups.get(w.prefix);
    if (!group) {
      group = new Set();
      this.groups.set(w.prefix, group);
    }
    if (!group.has(w)) {
      group.add(w);
      this.count++;
    }
  }

  remove(w: Watcher): void {
    const group = this.groups.get(w.prefix);
    if (group?.delete(w)) {
      this.count--;
      if (group.size === 0) this.groups.delete(w.prefix);
    }
  }

  /** Fans out one commit's events (in revision order) to every matching watcher. */
  publish(events: readonly StoreEvent[]): void {
    if (this.count === 0 || events.length === 0) return;
    for (const [prefix, group] of this.groups) {
      const matched = prefix === '' ? events : events.filter((e) => e.kv.key.startsWith(prefix));
      if (matched.length === 0) continue;
      // One array for every watcher of the prefix: none may change what the others see.
      Object.freeze(matched);
      for (const w of group) w.deliver(matched);
    }
  }

  /** Closes every watcher with `err` (store shutdown). */
  closeAll(err: Error): void {
    for (const group of [...this.groups.values()]) {
      for (const w of [...group]) w.close(err);
    }
  }
}

/**
 * Expiry of keys written with `ttlSeconds` (Kubernetes stores Events and similar objects with an
 * etcd lease so they vanish on their own). Each key's latest TTL'd write is tracked as
 * `(revision, expiresAt)`; one unref'd timer is armed for the earliest expiry. When it fires, the
 * store deletes the key *at that revision*, so a write that raced the timer wins and the delete is
 * dropped (the same guarded delete kine's TTL loop issues).
 */

/** Most expiries handed to the store per timer turn; the rest follow on the next turn. */
export const TTL_EXPIRE_BATCH = 1000;

interface Entry {
  key: string;
  revision: number;
  expiresAt: number;
}

/** A min-heap of expiries with lazy removal: stale entries are skipped when they surface. */
export class TtlScheduler {
  private readonly heap: Entry[] = [];
  private readonly current = new Map<string, Entry>();
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private stopped = false;

  /**
   * @param expire deletes `key` if its modRevision is still `revision`; called from the timer.
   * @param now wall clock in ms (expiries are stored as wall-clock times so they survive restarts).
   */
  constructor(
    private readonly expire: (key: string, revision: number) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** Number of keys with a pending expiry. */
  get size(): number {
    return this.current.size;
  }

  /** Records that `key` at `revision` expires at `expiresAt` (replacing any earlier TTL). */
  set(key: string, revision: number, expiresAt: number): void {
    if (this.stopped) return;
    const entry = { key, revision, expiresAt };
    this.current.set(key, entry);
    this.push(entry);
    // Rewrites leave stale entries behind; rebuild before they outnumber the live ones.
    if (this.heap.length > 2 * this.current.size + 1024) this.rebuild();
    if (expiresAt < this.timerAt) this.arm();
  }

  /** Forgets the key's TTL (it was rewritten without one, or deleted). */
  clear(key: string): void {
    this.current.delete(key);
  }

  /** Puts an expiry back after a failed delete, `delayMs` from now. */
  retry(key: string, revision: number, delayMs: number): void {
    const entry = this.current.get(key);
    // Absent: the timer took it out when handing it over. A newer revision owns the key now.
    if (entry === undefined || entry.revision === revision) this.set(key, revision, this.now() + delayMs);
  }

  /** Cancels the timer; nothing expires afterwards. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.heap.length = 0;
    this.current.clear();
  }

  private arm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
    const top = this.heap[0];
    if (!top || this.stopped) return;
    // setTimeout's delay is a signed 32-bit number of ms; longer TTLs re-arm when it fires.
    const delay = Math.min(Math.max(0, top.expiresAt - this.now()), 0x7fffffff);
    this.timerAt = top.expiresAt;
    this.timer = setTimeout(() => this.fire(), delay);
    this.timer.unref();
  }

  private fire(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    const now = this.now();
    let handed = 0;
    while (this.heap.length > 0 && handed < TTL_EXPIRE_BATCH) {
      const top = this.heap[0] as Entry;
      if (this.current.get(top.key) !== top) {
        this.pop(); // superseded or cleared
        continue;
      }
      if (top.expiresAt > now) break;
      this.pop();
      this.current.delete(top.key);
      handed++;
      this.expire(top.key, top.revision);
    }
    if (this.heap.length > 0 && handed >= TTL_EXPIRE_BATCH) {
      // More are due: give the event loop a turn before the next batch.
      setImmediate(() => {
        if (!this.stopped && this.timer === undefined) this.fire();
      }).unref();
      return;
    }
    this.arm();
  }

  private rebuild(): void {
    this.heap.length = 0;
    for (const e of this.current.values()) this.push(e);
  }

  private push(e: Entry): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((h[parent] as Entry).expiresAt <= e.expiresAt) break;
      h[i] = h[parent] as Entry;
      i = parent;
    }
    h[i] = e;
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop() as Entry;
    if (h.length === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= h.length) break;
      const r = l + 1;
      const c = r < h.length && (h[r] as Entry).expiresAt < (h[l] as Entry).expiresAt ? r : l;
      if ((h[c] as Entry).expiresAt >= last.expiresAt) break;
      h[i] = h[c] as Entry;
      i = c;
    }
    h[i] = last;
  }
}

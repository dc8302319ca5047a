/**
 * RateLimitedTimedQueue (pkg/controller/nodelifecycle/scheduler): the nodes waiting for their
 * NoExecute taint, in order, released through a token bucket — by default 0.1 node per second with
 * a burst of 1 (--node-eviction-rate), so a network blip that makes many nodes unreachable does
 * not evict everything at once. Each zone has its own queue; its rate drops (or stops) when a
 * large share of the zone is unhealthy.
 */
import type { Clock } from '../../client/clock.js';

/** EvictionRateLimiterBurst */
export const EVICTION_RATE_LIMITER_BURST = 1;

/** flowcontrol.TokenBucketRateLimiter.TryAccept: a full bucket refilled at `qps`; qps ≤ 0 never accepts. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    readonly qps: number,
    private readonly burst: number,
    private readonly clock: Clock,
  ) {
    this.tokens = burst;
    this.last = clock.now();
  }

  tryAccept(): boolean {
    if (this.qps <= 0) return false;
    this.refill();
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    return false;
  }

  /** Milliseconds until a token is available (Infinity when the bucket never refills). */
  msUntilToken(): number {
    if (this.qps <= 0) return Infinity;
    this.refill();
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) / this.qps) * 1000);
  }

  private refill(): void {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.qps);
    this.last = now;
  }
}

interface TimedValue {
  value: string;
  uid: string;
  addedAt: number;
  processAt: number;
}

export class RateLimitedTimedQueue {
  private items: TimedValue[] = [];
  private limiter: TokenBucket;

  constructor(
    qps: number,
    private readonly clock: Clock,
  ) {
    this.limiter = new TokenBucket(qps, EVICTION_RATE_LIMITER_BURST, clock);
  }

  get qps(): number {
    return this.limiter.qps;
  }

  /** Adds a node unless queued already; true if added. */
  add(value: string, uid: string): boolean {
    if (this.items.some((i) => i.value === value)) return false;
    const now = this.clock.now();
    this.items.push({ value, uid, addedAt: now, processAt: now });
    this.items.sort((a, b) => a.processAt - b.processAt);
    return true;
  }

  /** Removes a node; true if it was queued. */
  remove(value: string): boolean {
    const n = this.items.length;
    this.items = this.items.filter((i) => i.value !== value);
    return this.items.length !== n;
  }

  has(value: string): boolean {
    return this.items.some((i) => i.value === value);
  }

  get size(): number {
    return this.items.length;
  }

  /** SwapLimiter: a new rate (qps ≤ 0 stops the queue); keeps the items. */
  swapLimiter(qps: number): void {
    if (qps === this.limiter.qps) return;
    this.limiter = new TokenBucket(qps, EVICTION_RATE_LIMITER_BURST, this.clock);
  }

  /**
   * Try: processes due items in order while tokens last. `fn` returns `{ done: true }` to drop the
   * item or a retry delay to keep it. Stops at the first item without a token.
   */
  async try(fn: (value: string, uid: string) => Promise<{ done: true } | { retryAfterMs: number }>): Promise<void> {
    const now = this.clock.now();
    while (this.items.length > 0) {
      const head = this.items[0] as TimedValue;
      if (head.processAt > now) break;
      if (!this.limiter.tryAccept()) break;
      this.items.shift();
      const r = await fn(head.value, head.uid);
      if (!('done' in r)) {
        head.processAt = this.clock.now() + r.retryAfterMs;
        this.items.push(head);
        this.items.sort((a, b) => a.processAt - b.processAt);
      }
    }
  }

  /** When the next item could be processed (ms from now), or undefined when empty or stopped. */
  msUntilNext(): number | undefined {
    const head = this.items[0];
    if (!head) return undefined;
    const wait = Math.max(head.processAt - this.clock.now(), this.limiter.msUntilToken());
    return Number.isFinite(wait) ? wait : undefined;
  }
}

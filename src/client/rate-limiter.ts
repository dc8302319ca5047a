/**
 * Rate limiters for the work queue, as in client-go's workqueue: a per-key exponential back-off
 * (a failing key waits 5 ms, 10 ms, 20 ms … up to 1000 s) combined with an overall token bucket
 * (10 per second, bursts of 100) so a storm of failures cannot hammer the API server.
 */
import type { Clock } from './clock.js';
import { realClock } from './clock.js';

export interface RateLimiter {
  /** How long `key` should wait before it is processed again (records one more failure). */
  when(key: string): number;
  /** Clears the failure history of `key` (after a success). */
  forget(key: string): void;
  /** Failures recorded for `key` since it was last forgotten. */
  numRequeues(key: string): number;
}

/** client-go DefaultControllerRateLimiter: per-key 5 ms base delay. */
export const DEFAULT_BASE_DELAY_MS = 5;
/** client-go DefaultControllerRateLimiter: per-key cap of 1000 s. */
export const DEFAULT_MAX_DELAY_MS = 1000_000;
/** client-go DefaultControllerRateLimiter: overall 10 qps. */
export const DEFAULT_QPS = 10;
/** client-go DefaultControllerRateLimiter: overall burst of 100. */
export const DEFAULT_BURST = 100;

/** baseMs × 2^failures per key, capped at maxMs. */
export class ItemExponentialFailureRateLimiter implements RateLimiter {
  private readonly failures = new Map<string, number>();

  constructor(
    private readonly baseMs = DEFAULT_BASE_DELAY_MS,
    private readonly maxMs = DEFAULT_MAX_DELAY_MS,
  ) {}

  when(key: string): number {
    const exp = this.failures.get(key) ?? 0;
    this.failures.set(key, exp + 1);
    return Math.min(this.baseMs * 2 ** exp, this.maxMs);
  }
  forget(key: string): void {
    this.failures.delete(key);
  }
  numRequeues(key: string): number {
    return this.failures.get(key) ?? 0;
  }
}

/**
 * A token bucket (golang.org/x/time/rate semantics): starts full with `burst` tokens, refills at
 * `qps`; each `when` reserves a token and returns how long until that token exists.
 */
export class BucketRateLimiter implements RateLimiter {
  private tokens: number;
  private last: number;

  constructor(
    private readonly qps = DEFAULT_QPS,
    private readonly burst = DEFAULT_BURST,
    private readonly clock: Clock = realClock,
  ) {
    this.tokens = burst;
    this.last = clock.now();
  }

  when(_key: string): number {
    const now = this.clock.now();
    if (now > this.last) {
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.qps);
      this.last = now;
    }
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.qps) * 1000);
  }
  forget(_key: string): void {}
  numRequeues(_key: string): number {
    return 0;
  }
}

/** The longest delay any of its limiters asks for. */
export class MaxOfRateLimiter implements RateLimiter {
  private readonly limiters: RateLimiter[];
  constructor(...limiters: RateLimiter[]) {
    this.limiters = limiters;
  }
  when(key: string): number {
    let max = 0;
    for (const l of this.limiters) max = Math.max(max, l.when(key));
    return max;
  }
  forget(key: string): void {
    for (const l of this.limiters) l.forget(key);
  }
  numRequeues(key: string): number {
    let max = 0;
    for (const l of this.limiters) max = Math.max(max, l.numRequeues(key));
    return max;
  }
}

/** client-go's DefaultControllerRateLimiter: max(per-key 5 ms…1000 s, bucket 10 qps / 100 burst). */
export function defaultControllerRateLimiter(clock: Clock = realClock): RateLimiter {
  return new MaxOfRateLimiter(new ItemExponentialFailureRateLimiter(), new BucketRateLimiter(DEFAULT_QPS, DEFAULT_BURST, clock));
}

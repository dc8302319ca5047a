/**
 * Exponential back-off with jitter, the shape of apimachinery's `wait.Backoff` and client-go's
 * `ExponentialBackoffManager`: each failure multiplies the delay by `factor` up to `maxMs`; a
 * random `jitter` fraction is added so many clients that failed together do not retry together;
 * after `resetAfterMs` without a failure the delay starts over.
 */
import type { Clock } from './clock.js';
import { realClock } from './clock.js';

export interface BackoffOptions {
  /** First delay. */
  initialMs: number;
  /** Cap on the delay before jitter. */
  maxMs: number;
  /** Multiplier per consecutive failure. Default 2. */
  factor?: number;
  /** Adds up to `jitter × delay` at random. Default 0. */
  jitter?: number;
  /** A failure this long after the previous one starts again from `initialMs`. Default: never. */
  resetAfterMs?: number;
  clock?: Clock;
  /** Random source in [0, 1); injectable for deterministic tests. Default Math.random. */
  random?: () => number;
}

/** Adds up to `factor × ms` of random jitter, as wait.Jitter does. */
export function jitter(ms: number, factor: number, random: () => number = Math.random): number {
  return factor > 0 ? ms + random() * factor * ms : ms;
}

/** Stateful back-off: call `next()` after each failure for the delay to wait, `reset()` on success. */
export class Backoff {
  private current: number;
  private lastFailure = -Infinity;
  private readonly clock: Clock;
  private readonly random: () => number;

  constructor(private readonly opts: BackoffOptions) {
    this.current = opts.initialMs;
    this.clock = opts.clock ?? realClock;
    this.random = opts.random ?? Math.random;
  }

  /** The delay to wait before the next attempt (grows on every call). */
  next(): number {
    const now = this.clock.now();
    if (this.opts.resetAfterMs !== undefined && now - this.lastFailure > this.opts.resetAfterMs) {
      this.current = this.opts.initialMs;
    }
    this.lastFailure = now;
    const delay = Math.min(this.current, this.opts.maxMs);
    this.current = Math.min(this.current * (this.opts.factor ?? 2), this.opts.maxMs);
    return jitter(delay, this.opts.jitter ?? 0, this.random);
  }

  /** Starts over from `initialMs`. */
  reset(): void {
    this.current = this.opts.initialMs;
    this.lastFailure = -Infinity;
  }
}

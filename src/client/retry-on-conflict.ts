/**
 * client-go's `retry.RetryOnConflict`: run a read-modify-write function, and when the write loses
 * an optimistic-concurrency race (409 Conflict), back off briefly and run the whole function
 * again, so it re-reads the latest object before re-applying its change.
 *
 *   await retryOnConflict(async () => {
 *     const node = clone(await client.nodes().get('n1'));
 *     node.spec = { ...node.spec, unschedulable: true };
 *     return client.nodes().update(node);
 *   });
 */
import { isConflict } from '../api/errors.js';
import type { Clock } from './clock.js';
import { realClock, sleep } from './clock.js';
import { jitter } from './backoff.js';

export interface RetryBackoff {
  /** Attempts in total (the first try included). */
  steps: number;
  durationMs: number;
  factor: number;
  jitter: number;
}

/** client-go's retry.DefaultRetry: 5 attempts, 10 ms apart, ±10% jitter. */
export const DEFAULT_RETRY: Readonly<RetryBackoff> = { steps: 5, durationMs: 10, factor: 1, jitter: 0.1 };

export interface RetryOptions {
  backoff?: RetryBackoff;
  clock?: Clock;
  signal?: AbortSignal;
  /** Which errors to retry. Default: Conflict. */
  retriable?: (err: unknown) => boolean;
}

/** Runs `fn` until it succeeds, fails with a non-retriable error, or the attempts run out (last error thrown). */
export async function retryOnConflict<T>(fn: () => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const b = opts.backoff ?? DEFAULT_RETRY;
  const retriable = opts.retriable ?? isConflict;
  const clock = opts.clock ?? realClock;
  let delay = b.durationMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!retriable(err) || attempt >= b.steps) throw err;
    }
    await sleep(clock, jitter(delay, b.jitter), opts.signal);
    delay *= b.factor;
  }
}

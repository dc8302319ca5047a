/**
 * Summary statistics for benchmark samples. Percentiles are nearest-rank (the smallest sample
 * with at least p % of the samples at or below it), as Kubernetes' perf-tests report them, so a
 * p99 over 200 samples is the second-largest sample, never an interpolated value nobody saw.
 */

/** Nearest-rank percentile of `samples` (need not be sorted); NaN when empty. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1] as number;
}

/** Median (nearest-rank p50). */
export function median(samples: readonly number[]): number {
  return percentile(samples, 50);
}

/** Rounds to `digits` decimals (figures are reported, not computed with). */
export function round(n: number, digits = 1): number {
  if (!Number.isFinite(n)) return n;
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** Resolves after `ms` (pacing load generators; never used to wait for a condition). */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Runs `fn(i)` for i in [0, total) with at most `width` calls in flight, in order of i; returns
 * the wall time in ms. The bounded pool keeps load generators from queueing unbounded promises.
 */
export async function pool(total: number, width: number, fn: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(width, total) }, async () => {
      while (next < total) await fn(next++);
    }),
  );
  return performance.now() - started;
}

/**
 * Waits for `check` to return a value other than undefined, polling every `intervalMs`; throws
 * `what` after `timeoutMs`. For conditions that have no event to await (process gone, file there).
 */
export async function until<T>(what: string, check: () => T | undefined | Promise<T | undefined>, timeoutMs: number, intervalMs = 50): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(intervalMs);
  }
}

/** `promise`, or an error naming `what` once `ms` have passed (the timer is cleared either way). */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what()}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

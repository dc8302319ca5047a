/**
 * Slow-start batches (Kubernetes' slowStartBatch): issue `count` calls in batches of 1, 2, 4, 8…
 * and stop at the first batch with a failure, so a rejecting API (quota, admission) sees a few
 * failed calls rather than hundreds. Returns how many calls succeeded and the first error.
 */
export const SLOW_START_INITIAL_BATCH = 1;

export async function slowStartBatch(count: number, initialBatch: number, fn: (index: number) => Promise<void>): Promise<{ successes: number; error?: unknown }> {
  let remaining = count;
  let successes = 0;
  let index = 0;
  for (let batch = Math.min(remaining, initialBatch); batch > 0; batch = Math.min(2 * batch, remaining)) {
    const start = index;
    index += batch;
    const results = await Promise.allSettled(Array.from({ length: batch }, (_, i) => fn(start + i)));
    let error: unknown;
    for (const r of results) {
      if (r.status === 'fulfilled') successes++;
      else error ??= r.reason;
    }
    if (error !== undefined) return { successes, error };
    remaining -= batch;
  }
  return { successes };
}

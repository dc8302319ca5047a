/**
 * What one Job sync carries between its steps (Kubernetes' syncJobCtx), and the controller's
 * collaborators those steps use.
 */
import type { Job, JobCondition } from 'kubernetes-types/batch/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { Client } from '../../client/client.js';
import type { Clock } from '../../client/clock.js';
import type { EventRecorder } from '../../client/event-recorder.js';
import type { Logger } from '../../client/log.js';
import type { Expectations } from '../lib/expectations.js';
import type { PodControl } from '../lib/pod-control.js';
import type { BackoffRecord, BackoffStore } from './backoff.js';
import type { OrderedIntervals } from './intervals.js';

/** Pod UIDs whose tracking-finalizer removal was issued but not yet seen in the pod cache. */
export class FinalizerExpectations {
  private readonly byJob = new Map<string, Set<string>>();

  expect(jobKey: string, uids: Iterable<string>): void {
    let set = this.byJob.get(jobKey);
    if (!set) this.byJob.set(jobKey, (set = new Set()));
    for (const uid of uids) set.add(uid);
  }

  observed(jobKey: string, uid: string): void {
    this.byJob.get(jobKey)?.delete(uid);
  }

  /** A copy of the UIDs still expected for `jobKey`. */
  expected(jobKey: string): Set<string> {
    return new Set(this.byJob.get(jobKey) ?? []);
  }

  delete(jobKey: string): void {
    this.byJob.delete(jobKey);
  }
}

export interface JobDeps {
  client: Client;
  podControl: PodControl;
  recorder: EventRecorder;
  clock: Clock;
  expectations: Expectations;
  finalizerExpectations: FinalizerExpectations;
  backoff: BackoffStore;
  logger: Logger;
  /** Delay before a sync triggered by pod events (syncJobBatchPeriod). */
  batchPeriodMs: number;
}

export interface JobSyncContext {
  key: string;
  /** A private copy of the Job; replaced by the server's answer after each status write. */
  job: Job;
  /** Every pod the Job controls (after adoption and release). */
  pods: Pod[];
  activePods: Pod[];
  /** The interim or terminal condition this sync is driving the Job towards. */
  finishedCondition: JobCondition | undefined;
  succeeded: number;
  failed: number;
  prevSucceededIndexes: OrderedIntervals;
  succeededIndexes: OrderedIntervals;
  failedIndexes: OrderedIntervals | undefined;
  newBackoffRecord: BackoffRecord;
  expectedRmFinalizers: Set<string>;
  /** UIDs in status.uncountedTerminatedPods when the sync began. */
  uncounted: { succeeded: Set<string>; failed: Set<string> };
  podsWithDelayedDeletionPerIndex: Map<number, Pod>;
  terminating: number;
  ready: number;
  /** The earliest time this Job must be synced again (deadline, back-off), if any. */
  requeueAfterMs: number | undefined;
}

/** Asks for the Job to be synced again within `ms` (the earliest request wins). */
export function requeueWithin(ctx: JobSyncContext, ms: number): void {
  const v = Math.max(0, ms);
  ctx.requeueAfterMs = ctx.requeueAfterMs === undefined ? v : Math.min(ctx.requeueAfterMs, v);
}

/** Maximum concurrent pod writes (finalizer patches, deletes) in one sync. */
export const MAX_CONCURRENT_POD_WRITES = 100;

/**
 * Runs `fn` over `items` with at most `limit` calls in flight; resolves with each call's outcome in
 * order (never rejects).
 */
export async function settleWithLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<Array<PromiseSettledResult<R>>> {
  const results: Array<PromiseSettledResult<R>> = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      try {
        results[i] = { status: 'fulfilled', value: await fn(items[i]!, i) };
      } catch (reason) {
        results[i] = { status: 'rejected', reason };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * Keeping the right number of pods running (Kubernetes' manageJob): delete the extra ones (ranked
 * cheapest first; for Indexed Jobs duplicated or out-of-range indexes first), or create the
 * missing ones in slow-start batches after the failure back-off — never both in one sync, and at
 * most MAX_POD_CREATE_DELETE_PER_SYNC writes.
 */
import type { Job } from 'kubernetes-types/batch/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { clone } from '../../api/object.js';
import { isNotFound, isStatus } from '../../api/errors.js';
import { ownerOf } from '../lib/controller-ref.js';
import { podFromTemplate } from '../lib/pod-control.js';
import { isPodReady } from '../lib/pod-utils.js';
import { slowStartBatch, SLOW_START_INITIAL_BATCH } from '../lib/slow-start.js';
import { remainingBackoffMs, podFinishedTime } from './backoff.js';
import {
  addCompletionIndexEnv,
  absoluteFailureCount,
  firstPendingIndexes,
  newIndexFailureCounts,
  podGenerateNameWithIndex,
  splitDuplicatedIndexPods,
  compareActivePods,
} from './indexed.js';
import {
  JOB_COMPLETION_INDEX_ANNOTATION,
  JOB_INDEX_FAILURE_COUNT_ANNOTATION,
  JOB_INDEX_IGNORED_FAILURE_COUNT_ANNOTATION,
  JOB_TRACKING_FINALIZER,
  hasBackoffLimitPerIndex,
  isIndexedJob,
  isJobSuspended,
  kube,
  onlyReplaceFailedPods,
  removeTrackingFinalizerPatch,
} from './job-util.js';
import type { JobDeps, JobSyncContext } from './sync-context.js';
import { MAX_CONCURRENT_POD_WRITES, requeueWithin, settleWithLimit } from './sync-context.js';

/** MaxPodCreateDeletePerSync. */
export const MAX_POD_CREATE_DELETE_PER_SYNC = 500;

export interface ManageResult {
  /** Active pods after this sync's creations/deletions. */
  active: number;
  error?: unknown;
}

/** Creates or deletes pods towards the wanted number of active pods. */
export async function manageJob(deps: JobDeps, ctx: JobSyncContext): Promise<ManageResult> {
  const job = ctx.job;
  let active = ctx.activePods.length;
  const parallelism = job.spec?.parallelism ?? 1;

  if (isJobSuspended(job)) {
    const toDelete = activePodsForRemoval(job, ctx.activePods, active);
    deps.expectations.expect(ctx.key, 0, toDelete.length, toDelete.map((p) => p.metadata?.uid ?? ''));
    const r = await deleteJobPods(deps, ctx, toDelete);
    active -= r.removed;
    ctx.terminating += r.removed;
    ctx.ready -= r.removedReady;
    return { active, ...(r.error !== undefined ? { error: r.error } : {}) };
  }

  const completions = job.spec?.completions;
  let wantActive: number;
  if (completions === undefined || completions === null) {
    // Work queue: once any pod succeeded, no new pods; the running ones finish on their own.
    wantActive = ctx.succeeded > 0 ? active : parallelism;
  } else {
    wantActive = Math.max(0, Math.min(completions - ctx.succeeded, parallelism));
  }

  const rmAtLeast = Math.max(0, active - wantActive);
  let toDelete = activePodsForRemoval(job, ctx.activePods, rmAtLeast);
  if (toDelete.length > MAX_POD_CREATE_DELETE_PER_SYNC) toDelete = toDelete.slice(0, MAX_POD_CREATE_DELETE_PER_SYNC);
  if (toDelete.length > 0) {
    deps.expectations.expect(ctx.key, 0, toDelete.length, toDelete.map((p) => p.metadata?.uid ?? ''));
    const r = await deleteJobPods(deps, ctx, toDelete);
    active -= r.removed;
    ctx.terminating += r.removed;
    ctx.ready -= r.removedReady;
    // Deletion takes precedence: creations wait for the next sync.
    return { active, ...(r.error !== undefined ? { error: r.error } : {}) };
  }

  // With podReplacementPolicy Failed, a terminating pod still holds its slot.
  const terminating = onlyReplaceFailedPods(job) ? ctx.terminating : 0;
  let diff = wantActive - terminating - active;
  if (diff <= 0) return { active };

  const now = deps.clock.now();
  if (!hasBackoffLimitPerIndex(job)) {
    const remaining = remainingBackoffMs(now, ctx.newBackoffRecord.failuresAfterLastSuccess, ctx.newBackoffRecord.lastFailureTimeMs);
    if (remaining > 0) {
      // Requeue for the end of the back-off window instead of polling.
      requeueWithin(ctx, Math.max(remaining, deps.batchPeriodMs));
      return { active };
    }
  }
  diff = Math.min(diff, MAX_POD_CREATE_DELETE_PER_SYNC);

  let indexesToAdd: number[] = [];
  if (isIndexedJob(job)) {
    indexesToAdd = firstPendingIndexes({
      job,
      pods: ctx.pods,
      activePods: ctx.activePods,
      succeeded: ctx.succeededIndexes,
      failed: ctx.failedIndexes,
      onlyReplaceFailed: onlyReplaceFailedPods(job),
      count: diff,
      completions: completions ?? 0,
    });
    if (hasBackoffLimitPerIndex(job)) {
      const ready = indexesReadyForCreation(now, indexesToAdd, ctx.podsWithDelayedDeletionPerIndex);
      if (ready.indexes.length === 0 && ready.remainingMs > 0) {
        requeueWithin(ctx, Math.max(ready.remainingMs, deps.batchPeriodMs));
        return { active };
      }
      indexesToAdd = ready.indexes;
    }
    diff = indexesToAdd.length;
  }
  if (diff <= 0) return { active };

  deps.expectations.expect(ctx.key, diff, 0);
  const template = clone(job.spec!.template);
  if (isIndexedJob(job)) addCompletionIndexEnv(template);
  const meta = (template.metadata ??= {});
  if (!(meta.finalizers ?? []).includes(JOB_TRACKING_FINALIZER)) meta.finalizers = [...(meta.finalizers ?? []), JOB_TRACKING_FINALIZER];
  const owner = ownerOf(kube(job), 'batch/v1', 'Job');
  const ns = job.metadata!.namespace!;
  let namespaceTerminating = false;

  const { successes, error } = await slowStartBatch(diff, SLOW_START_INITIAL_BATCH, async (i) => {
    const ix = indexesToAdd[i];
    let t = template;
    let generateName = `${job.metadata!.name!}-`;
    if (ix !== undefined) {
      t = clone(template);
      const tm = (t.metadata ??= {});
      tm.annotations = { ...(tm.annotations ?? {}), [JOB_COMPLETION_INDEX_ANNOTATION]: String(ix) };
      tm.labels = { ...(tm.labels ?? {}), [JOB_COMPLETION_INDEX_ANNOTATION]: String(ix) };
      t.spec = { ...t.spec!, hostname: `${job.metadata!.name!}-${ix}` };
      generateName = podGenerateNameWithIndex(job.metadata!.name!, ix);
      if (hasBackoffLimitPerIndex(job)) {
        const counts = newIndexFailureCounts(job, ctx.podsWithDelayedDeletionPerIndex.get(ix));
        tm.annotations[JOB_INDEX_FAILURE_COUNT_ANNOTATION] = String(counts.counted);
        if (counts.ignored > 0) tm.annotations[JOB_INDEX_IGNORED_FAILURE_COUNT_ANNOTATION] = String(counts.ignored);
      }
    }
    try {
      await deps.podControl.create(podFromTemplate(t, owner, ns, generateName), kube(job));
    } catch (err) {
      // A namespace being torn down refuses every create; nothing to retry.
      if (isStatus(err, 403) && String((err as Error).message).includes('being terminated')) namespaceTerminating = true;
      throw err;
    }
  });
  // Creations that failed or were skipped by slow start will never be observed.
  if (diff - successes > 0) deps.expectations.lower(ctx.key, diff - successes, 0);
  active += successes;
  return { active, ...(error !== undefined && !namespaceTerminating ? { error } : {}) };
}

/**
 * backoffLimitPerIndex: the indexes whose own back-off has passed; when none has, the shortest
 * remaining wait.
 */
function indexesReadyForCreation(nowMs: number, indexes: readonly number[], delayed: ReadonlyMap<number, Pod>): { indexes: number[]; remainingMs: number } {
  const ready: number[] = [];
  let min: number | undefined;
  for (const ix of indexes) {
    const last = delayed.get(ix);
    const remaining = last ? remainingBackoffMs(nowMs, absoluteFailureCount(last) + 1, podFinishedTime(last)) : 0;
    if (remaining === 0) ready.push(ix);
    else if (min === undefined || remaining < min) min = remaining;
  }
  return ready.length > 0 ? { indexes: ready, remainingMs: 0 } : { indexes: [], remainingMs: min ?? 0 };
}

/**
 * The pods to remove: for Indexed Jobs every duplicated, out-of-range or index-less pod, then (as
 * for all Jobs) the cheapest active pods until `rmAtLeast` are chosen.
 */
export function activePodsForRemoval(job: Job, pods: readonly Pod[], rmAtLeast: number): Pod[] {
  let rm: Pod[] = [];
  let left: Pod[];
  if (isIndexedJob(job)) {
    const split = splitDuplicatedIndexPods(pods, job.spec?.completions ?? 0);
    rm = split.remove;
    left = split.keep;
  } else {
    left = [...pods];
  }
  if (rm.length < rmAtLeast) {
    left.sort(compareActivePods);
    rm = rm.concat(left.slice(0, rmAtLeast - rm.length));
  }
  return rm;
}

interface RemovalResult {
  removed: number;
  removedReady: number;
  error?: unknown;
}

/**
 * Scale-down and suspend: the finalizer is removed first, so these pods are never counted as
 * failed, then the pod is deleted.
 */
async function deleteJobPods(deps: JobDeps, ctx: JobSyncContext, pods: readonly Pod[]): Promise<RemovalResult> {
  let removed = pods.length;
  let removedReady = 0;
  let error: unknown;
  const fail = (pod: Pod, err: unknown) => {
    // The informer will not show this deletion.
    deps.expectations.deletionObserved(ctx.key, pod.metadata?.uid);
    if (!isNotFound(err)) {
      removed--;
      error ??= err;
    }
  };
  await settleWithLimit(pods, MAX_CONCURRENT_POD_WRITES, async (pod) => {
    const ns = pod.metadata!.namespace!;
    const patch = removeTrackingFinalizerPatch(pod);
    if (patch) {
      try {
        await deps.client.pods(ns).patch(pod.metadata!.name!, 'strategic', patch);
      } catch (err) {
        fail(pod, err);
        return;
      }
    }
    try {
      // Already gone: the informer may have shown it before we expected it.
      if (!(await deps.podControl.delete(ns, pod.metadata!.name!, kube(ctx.job)))) deps.expectations.deletionObserved(ctx.key, pod.metadata?.uid);
    } catch (err) {
      fail(pod, err);
    }
    if (isPodReady(pod)) removedReady++;
  });
  return { removed, removedReady, ...(error !== undefined ? { error } : {}) };
}

/**
 * A failing or succeeding Job deletes its remaining active pods, keeping their finalizers: status
 * tracking then counts them (as failed, when the Job fails) before releasing them.
 */
export async function deleteActivePods(deps: JobDeps, job: Job, pods: readonly Pod[]): Promise<RemovalResult> {
  let removed = pods.length;
  let removedReady = 0;
  let error: unknown;
  await settleWithLimit(pods, MAX_CONCURRENT_POD_WRITES, async (pod) => {
    try {
      await deps.podControl.delete(pod.metadata!.namespace!, pod.metadata!.name!, kube(job));
    } catch (err) {
      if (!isNotFound(err)) {
        removed--;
        error ??= err;
      }
    }
    if (isPodReady(pod)) removedReady++;
  });
  return { removed, removedReady, ...(error !== undefined ? { error } : {}) };
}

/**
 * Exact accounting of finished pods with the `batch.kubernetes.io/job-tracking` finalizer
 * (Kubernetes' trackJobStatusAndRemoveFinalizers). A finished pod is counted in three steps, each
 * durable before the next:
 *
 *   1. its UID is written to `status.uncountedTerminatedPods` (Indexed Jobs: its index to
 *      `completedIndexes`, which needs no UID);
 *   2. its finalizer is removed (the pod may now disappear);
 *   3. UIDs whose pods no longer carry the finalizer move from the uncounted lists into the
 *      `succeeded`/`failed` counters.
 *
 * A controller restart between any two steps neither loses nor double-counts a pod: a UID is only
 * counted once its finalizer is gone, and a pod without the finalizer is never added again. The
 * terminal Complete/Failed condition is added only once nothing is uncounted and no pod is still
 * terminating; before that the interim SuccessCriteriaMet/FailureTarget condition is recorded.
 */
import type { Job, JobCondition } from 'kubernetes-types/batch/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { isNotFound } from '../../api/errors.js';
import { completionIndex, sortByCompletionIndex, UNKNOWN_COMPLETION_INDEX } from './indexed.js';
import {
  ensureConditionStatus,
  hasBackoffLimitPerIndex,
  hasTrackingFinalizer,
  isIndexedJob,
  isPodFailed,
  isSuccessCriteriaMet,
  newCondition,
  removeTrackingFinalizerPatch,
  successCriteriaMetCondition,
} from './job-util.js';
import { matchPodFailurePolicy } from './pod-failure-policy.js';
import type { JobDeps, JobSyncContext } from './sync-context.js';
import { MAX_CONCURRENT_POD_WRITES, settleWithLimit } from './sync-context.js';

/**
 * MaxUncountedPods: at most this many pods enter the uncounted lists per sync, keeping the status
 * small (~20 KB) and big Jobs from starving others; the rest are counted by the next sync.
 */
export const MAX_UNCOUNTED_PODS = 500;

function uncountedOf(job: Job): { succeeded: string[]; failed: string[] } {
  const st = (job.status ??= {});
  const u = (st.uncountedTerminatedPods ??= {});
  u.succeeded ??= [];
  u.failed ??= [];
  return u as { succeeded: string[]; failed: string[] };
}

/** Writes the Job's status through /status (resourceVersion precondition); empty lists are omitted. */
export async function updateJobStatus(deps: JobDeps, job: Job): Promise<Job> {
  const st = (job.status ??= {});
  const u = st.uncountedTerminatedPods;
  if (u) {
    if (!u.succeeded?.length) delete u.succeeded;
    if (!u.failed?.length) delete u.failed;
  }
  if (st.completedIndexes === '') delete st.completedIndexes;
  // int32 fields with omitempty, as Kubernetes serialises them (ready and terminating are pointers).
  for (const f of ['active', 'succeeded', 'failed'] as const) if (st[f] === 0) delete st[f];
  return deps.client.jobs(job.metadata!.namespace!).updateStatus(job);
}

/**
 * Moves uncounted UIDs whose pods no longer hold the finalizer into the counters. Returns whether
 * anything changed.
 */
export function cleanUncountedPodsWithoutFinalizers(job: Job, uidsWithFinalizer: ReadonlySet<string>): boolean {
  const st = (job.status ??= {});
  const u = uncountedOf(job);
  let changed = false;
  const keptSucceeded = u.succeeded.filter((uid) => uidsWithFinalizer.has(uid));
  if (keptSucceeded.length !== u.succeeded.length) {
    changed = true;
    st.succeeded = (st.succeeded ?? 0) + (u.succeeded.length - keptSucceeded.length);
    u.succeeded = keptSucceeded;
  }
  const keptFailed = u.failed.filter((uid) => uidsWithFinalizer.has(uid));
  if (keptFailed.length !== u.failed.length) {
    changed = true;
    st.failed = (st.failed ?? 0) + (u.failed.length - keptFailed.length);
    u.failed = keptFailed;
  }
  return changed;
}

/**
 * A pod's finalizer may go when the whole Job is being deleted or is finishing, when the pod
 * succeeded, or when it failed — unless, with backoffLimitPerIndex, it is the failed pod whose
 * failure count the not-yet-created replacement must inherit.
 */
function canRemoveFinalizer(ctx: JobSyncContext, pod: Pod, considerFailed: boolean): boolean {
  if (ctx.job.metadata?.deletionTimestamp || ctx.finishedCondition || pod.status?.phase === 'Succeeded') return true;
  if (!considerFailed) return false;
  if (hasBackoffLimitPerIndex(ctx.job)) {
    const ix = completionIndex(pod);
    const delayed = ix === UNKNOWN_COMPLETION_INDEX ? undefined : ctx.podsWithDelayedDeletionPerIndex.get(ix);
    if (delayed && delayed.metadata?.uid === pod.metadata?.uid) return false;
  }
  return true;
}

/** Steps 1–3 above, then the terminal condition when the Job is done. */
export async function trackJobStatusAndRemoveFinalizers(deps: JobDeps, ctx: JobSyncContext, needsFlushIn: boolean): Promise<void> {
  let needsFlush = needsFlushIn;
  const job = ctx.job;
  const indexed = isIndexedJob(job);
  const completions = job.spec?.completions ?? 0;
  const pods = indexed ? sortByCompletionIndex(ctx.pods) : ctx.pods;
  const uidsWithFinalizer = new Set<string>();
  for (const p of ctx.pods) {
    const uid = p.metadata?.uid ?? '';
    if (hasTrackingFinalizer(p) && !ctx.expectedRmFinalizers.has(uid)) uidsWithFinalizer.add(uid);
  }
  if (cleanUncountedPodsWithoutFinalizers(job, uidsWithFinalizer)) needsFlush = true;

  const uncounted = uncountedOf(job);
  const podsToRemoveFinalizer: Pod[] = [];
  const newSucceededIndexes: number[] = [];
  let reachedMaxUncounted = false;
  for (const pod of pods) {
    const uid = pod.metadata?.uid ?? '';
    // Without the finalizer (or with its removal in flight) the pod was handled by an earlier sync.
    if (!hasTrackingFinalizer(pod) || ctx.expectedRmFinalizers.has(uid)) continue;
    const considerFailed = isPodFailed(pod, job);
    if (!canRemoveFinalizer(ctx, pod, considerFailed)) continue;
    podsToRemoveFinalizer.push(pod);
    if (pod.status?.phase === 'Succeeded' && !ctx.uncounted.failed.has(uid)) {
      if (indexed) {
        // The completion index is enough to avoid counting a success twice: no UID needed.
        const ix = completionIndex(pod);
        if (ix !== UNKNOWN_COMPLETION_INDEX && ix < completions && !ctx.prevSucceededIndexes.has(ix)) {
          newSucceededIndexes.push(ix);
          needsFlush = true;
        }
      } else if (!ctx.uncounted.succeeded.has(uid)) {
        needsFlush = true;
        uncounted.succeeded.push(uid);
      }
    } else if (considerFailed || (ctx.finishedCondition && !isSuccessCriteriaMet(ctx.finishedCondition))) {
      // When the Job is failing, every pod that did not succeed counts as failed.
      const ix = completionIndex(pod);
      if (!ctx.uncounted.failed.has(uid) && (!indexed || (ix !== UNKNOWN_COMPLETION_INDEX && ix < completions))) {
        if (matchPodFailurePolicy(job, pod).countFailed) {
          needsFlush = true;
          uncounted.failed.push(uid);
        }
      }
    }
    if (newSucceededIndexes.length + uncounted.succeeded.length + uncounted.failed.length >= MAX_UNCOUNTED_PODS) {
      reachedMaxUncounted = true;
      break;
    }
  }

  if (indexed) {
    ctx.succeededIndexes = ctx.succeededIndexes.withOrderedIndexes(newSucceededIndexes.sort((a, b) => a - b));
    const s = ctx.succeededIndexes.toString();
    if (s !== (job.status?.completedIndexes ?? '')) needsFlush = true;
    job.status!.succeeded = ctx.succeededIndexes.total();
    job.status!.completedIndexes = s;
    const failedStr = ctx.failedIndexes?.toString();
    if (job.status!.failedIndexes !== failedStr) {
      if (failedStr === undefined) delete job.status!.failedIndexes;
      else job.status!.failedIndexes = failedStr;
      needsFlush = true;
    }
  }

  const now = deps.clock.now();
  if (ctx.finishedCondition?.type === 'FailureTarget') {
    // Record why the Job fails before the finalizers go (the pods may vanish afterwards); the
    // terminal Failed condition repeats the reason and message.
    job.status!.conditions = [...(job.status!.conditions ?? []), ctx.finishedCondition];
    needsFlush = true;
    ctx.finishedCondition = newCondition('Failed', 'True', ctx.finishedCondition.reason ?? '', ctx.finishedCondition.message ?? '', now);
  }
  if (isSuccessCriteriaMet(ctx.finishedCondition)) {
    if (!successCriteriaMetCondition(job)) {
      job.status!.conditions = [...(job.status!.conditions ?? []), ctx.finishedCondition!];
      needsFlush = true;
    }
    ctx.finishedCondition = newCondition('Complete', 'True', ctx.finishedCondition!.reason ?? '', ctx.finishedCondition!.message ?? '', now);
  }

  needsFlush = await flushUncountedAndRemoveFinalizers(deps, ctx, podsToRemoveFinalizer, uidsWithFinalizer, needsFlush);
  const finished = !reachedMaxUncounted && enactJobFinished(deps, ctx);
  if (finished) needsFlush = true;
  if (needsFlush) {
    ctx.job = await updateJobStatus(deps, ctx.job);
    if (finished) recordJobFinished(deps, ctx.job, ctx.finishedCondition!);
  }
}

/**
 * Writes the status holding the new uncounted UIDs (and interim condition), removes the
 * finalizers, then moves the UIDs of pods that lost their finalizer into the counters. Returns
 * whether the status still has unwritten changes.
 */
async function flushUncountedAndRemoveFinalizers(deps: JobDeps, ctx: JobSyncContext, pods: Pod[], uidsWithFinalizer: Set<string>, needsFlushIn: boolean): Promise<boolean> {
  let needsFlush = needsFlushIn;
  if (needsFlush) {
    ctx.job = await updateJobStatus(deps, ctx.job);
    // The back-off record follows the counted failures, so it is kept only once they are durable.
    deps.backoff.update(ctx.newBackoffRecord);
    needsFlush = false;
  }
  let rmError: unknown;
  if (pods.length > 0) {
    const results = await removeTrackingFinalizerFromPods(deps, ctx.key, pods);
    results.forEach((r, i) => {
      if (r.ok) uidsWithFinalizer.delete(pods[i]!.metadata?.uid ?? '');
      else rmError ??= r.error;
    });
  }
  if (cleanUncountedPodsWithoutFinalizers(ctx.job, uidsWithFinalizer)) needsFlush = true;
  if (rmError !== undefined) {
    // Save the partial progress, then retry the rest with back-off.
    if (needsFlush) ctx.job = await updateJobStatus(deps, ctx.job);
    throw rmError;
  }
  return needsFlush;
}

/**
 * Patches the finalizer away from each pod. Per pod: ok when removed (or the pod is gone), else
 * the error. The removals are recorded as expected first, so a sync seeing the old pods in the
 * cache treats them as done.
 */
export async function removeTrackingFinalizerFromPods(deps: JobDeps, jobKey: string, pods: readonly Pod[]): Promise<Array<{ ok: boolean; error?: unknown }>> {
  if (jobKey) deps.finalizerExpectations.expect(jobKey, pods.map((p) => p.metadata?.uid ?? ''));
  const results = await settleWithLimit(pods, MAX_CONCURRENT_POD_WRITES, async (pod) => {
    const patch = removeTrackingFinalizerPatch(pod);
    if (!patch) return;
    try {
      await deps.client.pods(pod.metadata!.namespace!).patch(pod.metadata!.name!, 'strategic', patch);
    } catch (err) {
      // No update will come for this pod: stop expecting it.
      if (jobKey) deps.finalizerExpectations.observed(jobKey, pod.metadata?.uid ?? '');
      if (!isNotFound(err)) throw err;
    }
  });
  return results.map((r) => (r.status === 'fulfilled' ? { ok: true } : { ok: false, error: r.reason as unknown }));
}

/**
 * Adds the terminal condition (and completionTime for Complete) once no pod is uncounted or still
 * terminating. Returns whether the Job finished in this sync.
 */
function enactJobFinished(deps: JobDeps, ctx: JobSyncContext): boolean {
  const cond = ctx.finishedCondition;
  if (!cond) return false;
  const u = ctx.job.status?.uncountedTerminatedPods;
  if ((u?.succeeded?.length ?? 0) + (u?.failed?.length ?? 0) > 0) return false;
  if (ctx.terminating > 0) return false;
  ensureConditionStatus(ctx.job, cond.type as 'Complete' | 'Failed', 'True', cond.reason ?? '', cond.message ?? '', deps.clock.now());
  if (cond.type === 'Complete') ctx.job.status!.completionTime = cond.lastTransitionTime;
  return true;
}

function recordJobFinished(deps: JobDeps, job: Job, cond: JobCondition): void {
  if (cond.type === 'Complete') {
    const completions = job.spec?.completions;
    if (completions !== undefined && completions !== null && (job.status?.succeeded ?? 0) > completions) {
      deps.recorder.event(job, 'Warning', 'TooManySucceededPods', 'Too many succeeded pods running after completion count reached');
    }
    deps.recorder.event(job, 'Normal', 'Completed', 'Job completed');
  } else {
    deps.recorder.event(job, 'Warning', cond.reason ?? 'Failed', cond.message ?? '');
  }
}

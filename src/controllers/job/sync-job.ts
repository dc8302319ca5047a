/**
 * One reconcile of a Job (Kubernetes' syncJob), in order: skip Jobs that are finished or managed
 * by another controller; claim the pods (adopt matching orphans with the tracking finalizer,
 * release non-matching ones); count newly finished pods; decide whether the Job is failing (pod
 * failure policy, backoff limit, active deadline, per-index limits) or has met its success
 * criteria; then either delete the remaining active pods, or create/delete pods towards the
 * wanted parallelism; finally account for finished pods and write status (status-tracking.ts).
 */
import type { Job } from 'kubernetes-types/batch/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { isNotFound } from '../../api/errors.js';
import { labelSelectorAsSelector } from '../../api/labels.js';
import { clone, splitKey } from '../../api/object.js';
import { formatTime } from '../../client/clock.js';
import type { Lister } from '../../client/indexer.js';
import type { SyncResult } from '../../client/workers.js';
import { claimChildren, ownerOf } from '../lib/controller-ref.js';
import { claimCandidates } from '../lib/owner-indexes.js';
import { isPodActive, isPodReady } from '../lib/pod-utils.js';
import { calculateFailedIndexes, calculateSucceededIndexes, podsWithDelayedDeletionPerIndex, validIndex } from './indexed.js';
import { OrderedIntervals } from './intervals.js';
import {
  JOB_MESSAGES,
  JOB_REASONS,
  JOB_TRACKING_FINALIZER,
  ensureConditionStatus,
  findCondition,
  hasBackoffLimitPerIndex,
  hasTrackingFinalizer,
  isIndexedJob,
  isJobFinished,
  isJobSuspended,
  isPodFailed,
  isPodTerminating,
  kube,
  managedByExternalController,
  newCondition,
  successCriteriaMetCondition,
  timeMs,
} from './job-util.js';
import { deleteActivePods, manageJob } from './manage-pods.js';
import { failJobMessage, matchPodFailurePolicy } from './pod-failure-policy.js';
import { trackJobStatusAndRemoveFinalizers } from './status-tracking.js';
import { matchSuccessPolicy } from './success-policy.js';
import { requeueWithin, type JobDeps, type JobSyncContext } from './sync-context.js';

/** The pods a Job controls, after adopting matching orphans and releasing non-matching pods. */
async function getPodsForJob(deps: JobDeps, pods: Lister<Pod>, job: Job): Promise<Pod[]> {
  const selector = labelSelectorAsSelector(job.spec?.selector);
  const ns = job.metadata!.namespace!;
  const uid = job.metadata!.uid!;
  // Owned pods and orphans in the namespace: the only candidates ClaimPods could act on.
  const candidates = claimCandidates(pods, ns, uid);
  const claimed = await claimChildren<Pod>({
    owner: ownerOf(kube(job), 'batch/v1', 'Job'),
    candidates,
    matches: (p) => selector.matches(p.metadata?.labels ?? {}),
    children: deps.client.pods(ns),
    finalizers: [JOB_TRACKING_FINALIZER],
    recheckOwner: async () => {
      try {
        return kube(await deps.client.jobs(ns).get(job.metadata!.name!));
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    },
  });
  return claimed;
}

/** One reconcile of the Job `key`. Exported for tests. */
export async function syncJob(deps: JobDeps, jobs: Lister<Job>, pods: Lister<Pod>, key: string): Promise<SyncResult> {
  const { namespace, name } = splitKey(key);
  if (!namespace || !name) throw new Error(`invalid job key ${JSON.stringify(key)}: either namespace or name is missing`);
  const shared = jobs.get(key);
  if (!shared) {
    deps.expectations.delete(key);
    deps.finalizerExpectations.delete(key);
    deps.backoff.remove(key);
    return;
  }
  if (managedByExternalController(shared)) return;
  if (isJobFinished(shared)) {
    // A finished Job is never re-opened.
    deps.backoff.remove(key);
    return;
  }
  const mode = shared.spec?.completionMode;
  if (mode && mode !== 'NonIndexed' && mode !== 'Indexed') {
    deps.recorder.event(shared, 'Warning', 'UnknownCompletionMode', 'Skipped Job sync because completion mode is unknown');
    return;
  }

  const job = clone(shared);
  const status = (job.status ??= {});
  status.uncountedTerminatedPods ??= {};
  // Check expectations before reading pods: a pod created after this point defers the sync.
  const satisfied = deps.expectations.satisfied(key);
  const jobPods = await getPodsForJob(deps, pods, job);
  const activePods = jobPods.filter(isPodActive);
  const now = deps.clock.now();
  const ctx: JobSyncContext = {
    key,
    job,
    pods: jobPods,
    activePods,
    finishedCondition: undefined,
    succeeded: 0,
    failed: 0,
    prevSucceededIndexes: OrderedIntervals.empty(),
    succeededIndexes: OrderedIntervals.empty(),
    failedIndexes: undefined,
    newBackoffRecord: { key, failuresAfterLastSuccess: 0, lastFailureTimeMs: undefined },
    expectedRmFinalizers: deps.finalizerExpectations.expected(key),
    uncounted: {
      succeeded: new Set(status.uncountedTerminatedPods.succeeded ?? []),
      failed: new Set(status.uncountedTerminatedPods.failed ?? []),
    },
    podsWithDelayedDeletionPerIndex: new Map(),
    terminating: jobPods.filter(isPodTerminating).length,
    ready: activePods.filter(isPodReady).length,
    requeueAfterMs: undefined,
  };
  let active = activePods.length;
  const { newSucceeded, newFailed } = newFinishedPods(ctx);
  ctx.succeeded = (status.succeeded ?? 0) + newSucceeded.length + ctx.uncounted.succeeded.size;
  const countedNewFailures = newFailed.filter((p) => matchPodFailurePolicy(job, p).countFailed).length;
  ctx.failed = (status.failed ?? 0) + countedNewFailures + ctx.uncounted.failed.size;

  // First start: startTime is set only once the Job is not suspended.
  if (!status.startTime && !isJobSuspended(job)) status.startTime = formatTime(now);
  ctx.newBackoffRecord = deps.backoff.newRecord(key, newSucceeded, newFailed);

  decideFinishedCondition(ctx, now);

  let manageError: unknown;
  let suspendCondChanged = false;
  if (ctx.finishedCondition) {
    // Failing (or met its success policy): remove the remaining active pods, finalizers kept.
    const r = await deleteActivePods(deps, job, ctx.activePods);
    // Some pod could not be deleted, or pods may be missing from the cache: not finished yet.
    if (r.removed !== active || !satisfied) ctx.finishedCondition = undefined;
    active -= r.removed;
    ctx.terminating += r.removed;
    ctx.ready -= r.removedReady;
    manageError = r.error;
  } else {
    let manageCalled = false;
    if (satisfied && !job.metadata?.deletionTimestamp) {
      const r = await manageJob(deps, ctx);
      active = r.active;
      manageError = r.error;
      manageCalled = true;
    }
    const completions = job.spec?.completions;
    // Work queue (no completions): done when any pod succeeded and none is still running.
    const complete = completions === undefined || completions === null ? ctx.succeeded > 0 && active === 0 : ctx.succeeded >= completions && active === 0;
    if (complete) {
      ctx.finishedCondition = newCondition('SuccessCriteriaMet', 'True', JOB_REASONS.completionsReached, JOB_MESSAGES.completionsReached, now);
    } else if (manageCalled) {
      suspendCondChanged = updateSuspendCondition(deps, job, now);
    }
  }

  const needsStatusUpdate = suspendCondChanged || active !== (status.active ?? 0) || ctx.ready !== status.ready || ctx.terminating !== status.terminating;
  job.status!.active = active;
  job.status!.ready = ctx.ready;
  job.status!.terminating = ctx.terminating;
  await trackJobStatusAndRemoveFinalizers(deps, ctx, needsStatusUpdate);
  if (manageError !== undefined) throw manageError;
  return ctx.requeueAfterMs !== undefined ? { requeueAfterMs: ctx.requeueAfterMs } : undefined;
}

/** Newly finished pods not yet in the status: they hold the finalizer and are not uncounted. */
function newFinishedPods(ctx: JobSyncContext): { newSucceeded: Pod[]; newFailed: Pod[] } {
  const completions = ctx.job.spec?.completions ?? 0;
  const valid = (p: Pod, uncounted: Set<string>) => {
    const uid = p.metadata?.uid ?? '';
    if (!hasTrackingFinalizer(p) || uncounted.has(uid) || ctx.expectedRmFinalizers.has(uid)) return false;
    return !isIndexedJob(ctx.job) || validIndex(p, completions) !== undefined;
  };
  return {
    newSucceeded: ctx.pods.filter((p) => valid(p, ctx.uncounted.succeeded) && p.status?.phase === 'Succeeded'),
    newFailed: ctx.pods.filter((p) => valid(p, ctx.uncounted.failed) && isPodFailed(p, ctx.job)),
  };
}

/**
 * Whether the Job is failing or has met its success criteria, in Kubernetes' order: an existing
 * SuccessCriteriaMet or FailureTarget condition, a FailJob rule, the backoff limit (or restarts
 * with OnFailure), the active deadline, then for Indexed Jobs the per-index limits and the
 * success policy.
 */
function decideFinishedCondition(ctx: JobSyncContext, now: number): void {
  const job = ctx.job;
  const status = job.status!;
  ctx.finishedCondition = successCriteriaMetCondition(job);
  if (!ctx.finishedCondition) {
    const ft = findCondition(status.conditions, 'FailureTarget');
    if (ft?.status === 'True') {
      ctx.finishedCondition = newCondition('Failed', 'True', ft.reason ?? '', ft.message ?? '', now);
    } else {
      const msg = failJobMessage(
        job,
        ctx.pods.filter((p) => isPodFailed(p, job)),
      );
      if (msg !== undefined) ctx.finishedCondition = newCondition('FailureTarget', 'True', JOB_REASONS.podFailurePolicy, msg, now);
    }
  }
  if (!ctx.finishedCondition) {
    const backoffLimit = job.spec?.backoffLimit ?? 6;
    if (ctx.failed > backoffLimit || pastBackoffLimitOnFailure(job, ctx.pods)) {
      ctx.finishedCondition = newCondition('FailureTarget', 'True', JOB_REASONS.backoffLimitExceeded, JOB_MESSAGES.backoffLimitExceeded, now);
    } else if (pastActiveDeadline(job, now)) {
      ctx.finishedCondition = newCondition('FailureTarget', 'True', JOB_REASONS.deadlineExceeded, JOB_MESSAGES.deadlineExceeded, now);
    } else if (job.spec?.activeDeadlineSeconds !== undefined && job.spec.activeDeadlineSeconds !== null && !isJobSuspended(job)) {
      // Sync again exactly when the deadline passes.
      const start = timeMs(status.startTime) ?? now;
      requeueWithin(ctx, job.spec.activeDeadlineSeconds * 1000 - (now - start));
    }
  }
  if (!isIndexedJob(job)) return;
  const completions = job.spec?.completions ?? 0;
  const indexes = calculateSucceededIndexes(job, ctx.pods);
  ctx.prevSucceededIndexes = indexes.prev;
  ctx.succeededIndexes = indexes.now;
  ctx.succeeded = indexes.now.total();
  if (hasBackoffLimitPerIndex(job)) {
    ctx.failedIndexes = calculateFailedIndexes(job, ctx.pods);
    if (!ctx.finishedCondition) {
      const maxFailed = job.spec?.maxFailedIndexes;
      if (maxFailed !== undefined && maxFailed !== null && ctx.failedIndexes.total() > maxFailed) {
        ctx.finishedCondition = newCondition('FailureTarget', 'True', JOB_REASONS.maxFailedIndexesExceeded, JOB_MESSAGES.maxFailedIndexesExceeded, now);
      } else if (ctx.failedIndexes.total() > 0 && ctx.failedIndexes.total() + ctx.succeededIndexes.total() >= completions) {
        ctx.finishedCondition = newCondition('FailureTarget', 'True', JOB_REASONS.failedIndexes, JOB_MESSAGES.failedIndexes, now);
      }
    }
    ctx.podsWithDelayedDeletionPerIndex = podsWithDelayedDeletionPerIndex({
      job,
      pods: ctx.pods,
      activePods: ctx.activePods,
      succeeded: ctx.succeededIndexes,
      failed: ctx.failedIndexes,
      expectedRmFinalizers: ctx.expectedRmFinalizers,
    });
  }
  if (!ctx.finishedCondition) {
    const msg = matchSuccessPolicy(job.spec?.successPolicy, completions, ctx.succeededIndexes);
    if (msg !== undefined) ctx.finishedCondition = newCondition('SuccessCriteriaMet', 'True', JOB_REASONS.successPolicy, msg, now);
  }
}

/**
 * `restartPolicy: OnFailure` restarts containers in place, so failures show as restarts: the Job
 * fails when the restarts of its running and pending pods add up to backoffLimit (any restart
 * when the limit is 0).
 */
function pastBackoffLimitOnFailure(job: Job, pods: readonly Pod[]): boolean {
  if (job.spec?.template?.spec?.restartPolicy !== 'OnFailure') return false;
  let restarts = 0;
  for (const p of pods) {
    const phase = p.status?.phase;
    if (phase !== 'Running' && phase !== 'Pending') continue;
    for (const s of p.status?.initContainerStatuses ?? []) restarts += s.restartCount ?? 0;
    for (const s of p.status?.containerStatuses ?? []) restarts += s.restartCount ?? 0;
  }
  const limit = job.spec?.backoffLimit ?? 6;
  return limit === 0 ? restarts > 0 : restarts >= limit;
}

/** activeDeadlineSeconds counts from startTime, and not while suspended. */
function pastActiveDeadline(job: Job, now: number): boolean {
  const ads = job.spec?.activeDeadlineSeconds;
  const start = timeMs(job.status?.startTime);
  if (ads === undefined || ads === null || start === undefined || isJobSuspended(job)) return false;
  return now - start >= ads * 1000;
}

/**
 * Suspended=True (JobSuspended) while suspended; on resume Suspended=False (JobResumed) and a new
 * startTime, so activeDeadlineSeconds counts only time actually running.
 */
function updateSuspendCondition(deps: JobDeps, job: Job, now: number): boolean {
  if (isJobSuspended(job)) {
    const changed = ensureConditionStatus(job, 'Suspended', 'True', 'JobSuspended', 'Job suspended', now);
    if (changed) deps.recorder.event(job, 'Normal', 'Suspended', 'Job suspended');
    return changed;
  }
  const changed = ensureConditionStatus(job, 'Suspended', 'False', 'JobResumed', 'Job resumed', now);
  if (changed) {
    deps.recorder.event(job, 'Normal', 'Resumed', 'Job resumed');
    job.status!.startTime = formatTime(now);
  }
  return changed;
}

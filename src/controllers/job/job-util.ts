/**
 * Small Job facts shared by the Job, CronJob and TTL-after-finished controllers (Kubernetes'
 * pkg/controller/job/util and the helpers at the bottom of job_controller.go): label and finalizer
 * names, finished/condition predicates, and which pods count as failed.
 */
import type { Job, JobCondition } from 'kubernetes-types/batch/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../../api/object.js';
import { formatTime } from '../../client/clock.js';
import type { ObjectLike } from '../../client/types.js';

/** The finalizer on every Job pod until the controller has counted it (exact accounting). */
export const JOB_TRACKING_FINALIZER = 'batch.kubernetes.io/job-tracking';
/** Indexed Jobs: the pod's completion index (annotation, and label since PodIndexLabel). */
export const JOB_COMPLETION_INDEX_ANNOTATION = 'batch.kubernetes.io/job-completion-index';
/** backoffLimitPerIndex: counted failures of the index so far, carried to the replacement pod. */
export const JOB_INDEX_FAILURE_COUNT_ANNOTATION = 'batch.kubernetes.io/job-index-failure-count';
/** backoffLimitPerIndex: failures of the index ignored by the pod failure policy. */
export const JOB_INDEX_IGNORED_FAILURE_COUNT_ANNOTATION = 'batch.kubernetes.io/job-index-ignored-failure-count';
/** The `spec.managedBy` value meaning "the built-in controller" (also the default when unset). */
export const JOB_CONTROLLER_NAME = 'kubernetes.io/job-controller';
/** The environment variable Indexed Job containers read their index from. */
export const COMPLETION_INDEX_ENV = 'JOB_COMPLETION_INDEX';

export type JobConditionType = 'Suspended' | 'Complete' | 'Failed' | 'FailureTarget' | 'SuccessCriteriaMet';

/** Condition reasons and messages written by the controller (batch/v1 constants). */
export const JOB_REASONS = {
  backoffLimitExceeded: 'BackoffLimitExceeded',
  deadlineExceeded: 'DeadlineExceeded',
  podFailurePolicy: 'PodFailurePolicy',
  maxFailedIndexesExceeded: 'MaxFailedIndexesExceeded',
  failedIndexes: 'FailedIndexes',
  successPolicy: 'SuccessPolicy',
  completionsReached: 'CompletionsReached',
} as const;

export const JOB_MESSAGES = {
  backoffLimitExceeded: 'Job has reached the specified backoff limit',
  deadlineExceeded: 'Job was active longer than specified deadline',
  maxFailedIndexesExceeded: 'Job has exceeded the specified maximal number of failed indexes',
  failedIndexes: 'Job has failed indexes',
  completionsReached: 'Reached expected number of succeeded pods',
} as const;

/** The first condition of `type`, if any. */
export function findCondition(conditions: readonly JobCondition[] | undefined, type: string): JobCondition | undefined {
  return conditions?.find((c) => c.type === type);
}

/** The Complete/Failed condition type of a finished Job (first True one), else undefined. */
export function finishedConditionType(job: Job): 'Complete' | 'Failed' | undefined {
  for (const c of job.status?.conditions ?? []) {
    if ((c.type === 'Complete' || c.type === 'Failed') && c.status === 'True') return c.type;
  }
  return undefined;
}

/** A Job is finished once it carries Complete=True or Failed=True; it is never re-opened. */
export function isJobFinished(job: Job): boolean {
  return finishedConditionType(job) !== undefined;
}

export function isJobSucceeded(job: Job): boolean {
  return finishedConditionType(job) === 'Complete';
}

/** A new condition with both timestamps at `nowMs` (metav1.Time: whole seconds). */
export function newCondition(type: JobConditionType, status: 'True' | 'False', reason: string, message: string, nowMs: number): JobCondition {
  const t = formatTime(nowMs);
  return { type, status, lastProbeTime: t, lastTransitionTime: t, reason, message };
}

/**
 * ensureJobConditionStatus: updates the condition of `type` (replacing it when status, reason or
 * message differ) or appends it — except that a missing condition is never added as False.
 * Returns whether the list changed. Mutates `job.status.conditions`.
 */
export function ensureConditionStatus(job: Job, type: JobConditionType, status: 'True' | 'False', reason: string, message: string, nowMs: number): boolean {
  const status0 = (job.status ??= {});
  const list = (status0.conditions ??= []);
  const i = list.findIndex((c) => c.type === type);
  if (i >= 0) {
    const c = list[i]!;
    if (c.status !== status || c.reason !== reason || c.message !== message) {
      list[i] = newCondition(type, status, reason, message, nowMs);
      return true;
    }
    return false;
  }
  if (status === 'False') return false;
  list.push(newCondition(type, status, reason, message, nowMs));
  return true;
}

/** The SuccessCriteriaMet=True condition, if the Job has one. */
export function successCriteriaMetCondition(job: Job): JobCondition | undefined {
  const c = findCondition(job.status?.conditions, 'SuccessCriteriaMet');
  return c?.status === 'True' ? c : undefined;
}

export function isSuccessCriteriaMet(c: JobCondition | undefined): boolean {
  return c?.type === 'SuccessCriteriaMet' && c.status === 'True';
}

/** The value of `spec.managedBy` when another controller owns the Job's reconciliation. */
export function managedByExternalController(job: Job): string | undefined {
  const by = job.spec?.managedBy;
  return by && by !== JOB_CONTROLLER_NAME ? by : undefined;
}

export function isIndexedJob(job: Job): boolean {
  return job.spec?.completionMode === 'Indexed';
}

export function hasBackoffLimitPerIndex(job: Job): boolean {
  return job.spec?.backoffLimitPerIndex !== undefined && job.spec.backoffLimitPerIndex !== null;
}

export function isJobSuspended(job: Job): boolean {
  return job.spec?.suspend === true;
}

export function hasTrackingFinalizer(pod: Pod): boolean {
  return pod.metadata?.finalizers?.includes(JOB_TRACKING_FINALIZER) ?? false;
}

/**
 * Replacement pods are created only once the old pod is fully terminal (podReplacementPolicy
 * Failed), which a podFailurePolicy implies: its rules need the final exit codes.
 */
export function onlyReplaceFailedPods(job: Job): boolean {
  return job.spec?.podReplacementPolicy === 'Failed' || !!job.spec?.podFailurePolicy;
}

/**
 * A pod counts as failed when its phase is Failed, or — unless only failed pods are replaced — when
 * it is being deleted without having succeeded (an orphaned or evicted pod may never reach Failed).
 */
export function isPodFailed(pod: Pod, job: Job): boolean {
  if (pod.status?.phase === 'Failed') return true;
  if (onlyReplaceFailedPods(job)) return false;
  return !!pod.metadata?.deletionTimestamp && pod.status?.phase !== 'Succeeded';
}

/** Pods with a deletionTimestamp that have not reached a terminal phase (CountTerminatingPods). */
export function isPodTerminating(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return !!pod.metadata?.deletionTimestamp && phase !== 'Succeeded' && phase !== 'Failed';
}

/** Strategic-merge patch removing the tracking finalizer (nothing when it is absent). */
export function removeTrackingFinalizerPatch(pod: Pod): Record<string, unknown> | undefined {
  if (!hasTrackingFinalizer(pod)) return undefined;
  return { metadata: { '$deleteFromPrimitiveList/finalizers': [JOB_TRACKING_FINALIZER] } };
}

/** Parses an RFC 3339 time (undefined when absent or malformed). */
export function timeMs(value: string | undefined | null): number | undefined {
  if (!value) return undefined;
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : t;
}

/** The typed kinds lack KubeObject's index signature; the shared controller library takes KubeObjects. */
export function kube(obj: ObjectLike): KubeObject {
  return obj as unknown as KubeObject;
}

/**
 * Indexed Jobs (Kubernetes' indexed_job_utils.go): each pod carries its completion index in an
 * annotation and label, gets `JOB_COMPLETION_INDEX` and the hostname `<job>-<index>`, and is named
 * `<job>-<index>-xxxxx`. Succeeded and failed indexes are kept as intervals in the status.
 */
import type { Job } from 'kubernetes-types/batch/v1.js';
import type { Container, Pod, PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import { isPodReady, maxContainerRestarts, podCondition } from '../lib/pod-utils.js';
import { podFinishedTime } from './backoff.js';
import { OrderedIntervals } from './intervals.js';
import {
  COMPLETION_INDEX_ENV,
  JOB_COMPLETION_INDEX_ANNOTATION,
  JOB_INDEX_FAILURE_COUNT_ANNOTATION,
  JOB_INDEX_IGNORED_FAILURE_COUNT_ANNOTATION,
  hasTrackingFinalizer,
  isPodFailed,
  isPodTerminating,
} from './job-util.js';
import { matchPodFailurePolicy } from './pod-failure-policy.js';

export const UNKNOWN_COMPLETION_INDEX = -1;
/** names.MaxGeneratedNameLength: 63 minus the 5 random characters. */
export const MAX_GENERATED_NAME_LENGTH = 58;
const MAX_INT32 = 2147483647;

/** The pod's completion index, or -1 when absent or not a non-negative integer. */
export function completionIndex(pod: Pod): number {
  const v = pod.metadata?.annotations?.[JOB_COMPLETION_INDEX_ANNOTATION];
  if (v === undefined || !/^[+-]?\d+$/.test(v)) return UNKNOWN_COMPLETION_INDEX;
  const n = Number(v);
  return Number.isSafeInteger(n) && n >= 0 ? n : UNKNOWN_COMPLETION_INDEX;
}

/** A valid index below `completions`. */
export function validIndex(pod: Pod, completions: number): number | undefined {
  const ix = completionIndex(pod);
  return ix !== UNKNOWN_COMPLETION_INDEX && ix < completions ? ix : undefined;
}

/** Pods sorted by completion index (unknown first), as `sort.Sort(byCompletionIndex)`. */
export function sortByCompletionIndex(pods: readonly Pod[]): Pod[] {
  return [...pods].sort((a, b) => completionIndex(a) - completionIndex(b));
}

/** Previously recorded and now-known succeeded indexes (only pods not yet counted: with the finalizer). */
export function calculateSucceededIndexes(job: Job, pods: readonly Pod[]): { prev: OrderedIntervals; now: OrderedIntervals } {
  const completions = job.spec?.completions ?? 0;
  const prev = OrderedIntervals.parse(job.status?.completedIndexes, completions);
  const fresh = new Set<number>();
  for (const p of pods) {
    const ix = validIndex(p, completions);
    if (p.status?.phase === 'Succeeded' && ix !== undefined && hasTrackingFinalizer(p)) fresh.add(ix);
  }
  return { prev, now: prev.withOrderedIndexes([...fresh].sort((a, b) => a - b)) };
}

/** Recorded failed indexes plus the indexes whose pods just exhausted backoffLimitPerIndex (or hit FailIndex). */
export function calculateFailedIndexes(job: Job, pods: readonly Pod[]): OrderedIntervals {
  const completions = job.spec?.completions ?? 0;
  const prev = OrderedIntervals.parse(job.status?.failedIndexes, completions);
  const fresh = new Set<number>();
  for (const p of pods) {
    const ix = validIndex(p, completions);
    if (ix !== undefined && hasTrackingFinalizer(p) && isIndexFailed(job, p)) fresh.add(ix);
  }
  return prev.withOrderedIndexes([...fresh].sort((a, b) => a - b));
}

function isIndexFailed(job: Job, pod: Pod): boolean {
  if (!isPodFailed(pod, job)) return false;
  if (job.spec?.podFailurePolicy) {
    const m = matchPodFailurePolicy(job, pod);
    if (m.action === 'FailIndex') return true;
    if (!m.countFailed) return false;
  }
  return indexFailureCount(pod) >= (job.spec?.backoffLimitPerIndex ?? 0);
}

/**
 * `count` indexes below `completions` not covered by active pods, succeeded or failed indexes (nor,
 * when only failed pods are replaced, by terminating pods), lowest first.
 */
export function firstPendingIndexes(args: {
  job: Job;
  pods: readonly Pod[];
  activePods: readonly Pod[];
  succeeded: OrderedIntervals;
  failed: OrderedIntervals | undefined;
  onlyReplaceFailed: boolean;
  count: number;
  completions: number;
}): number[] {
  if (args.count === 0) return [];
  let nonPending = args.succeeded.withOrderedIndexes(indexesOf(args.activePods));
  if (args.onlyReplaceFailed) nonPending = nonPending.withOrderedIndexes(indexesOf(args.pods.filter(isPodTerminating)));
  if (args.failed) nonPending = nonPending.merge(args.failed);
  const result: number[] = [];
  let candidate = 0;
  for (const iv of nonPending.list) {
    for (; candidate < args.completions && result.length < args.count && candidate < iv.first; candidate++) result.push(candidate);
    if (candidate < iv.last + 1) candidate = iv.last + 1;
  }
  for (; candidate < args.completions && result.length < args.count; candidate++) result.push(candidate);
  return result;
}

/** The distinct known indexes of `pods`, ascending. */
export function indexesOf(pods: readonly Pod[]): number[] {
  const set = new Set<number>();
  for (const p of pods) {
    const ix = completionIndex(p);
    if (ix !== UNKNOWN_COMPLETION_INDEX) set.add(ix);
  }
  return [...set].sort((a, b) => a - b);
}

/**
 * appendDuplicatedIndexPodsForRemoval: among active pods, those without an index, with an index out
 * of range, or repeating an index (all but the best-ranked of each index) are to be removed.
 */
export function splitDuplicatedIndexPods(pods: readonly Pod[], completions: number): { remove: Pod[]; keep: Pod[] } {
  const remove: Pod[] = [];
  const keep: Pod[] = [];
  const byIndex = new Map<number, Pod[]>();
  for (const p of pods) {
    const ix = completionIndex(p);
    if (ix === UNKNOWN_COMPLETION_INDEX || ix >= completions) {
      remove.push(p);
      continue;
    }
    let group = byIndex.get(ix);
    if (!group) byIndex.set(ix, (group = []));
    group.push(p);
  }
  for (const ix of [...byIndex.keys()].sort((a, b) => a - b)) {
    const group = byIndex.get(ix)!;
    if (group.length === 1) {
      keep.push(group[0]!);
      continue;
    }
    // Keep the pod that would be deleted last (the most advanced one).
    const sorted = [...group].sort(compareActivePods);
    remove.push(...sorted.slice(0, -1));
    keep.push(sorted[sorted.length - 1]!);
  }
  return { remove, keep };
}

/**
 * backoffLimitPerIndex: per pending index, the latest failed pod still holding its finalizer; its
 * removal waits until the replacement pod has been created with the failure count carried over.
 */
export function podsWithDelayedDeletionPerIndex(args: {
  job: Job;
  pods: readonly Pod[];
  activePods: readonly Pod[];
  succeeded: OrderedIntervals;
  failed: OrderedIntervals | undefined;
  expectedRmFinalizers: ReadonlySet<string>;
}): Map<number, Pod> {
  const completions = args.job.spec?.completions ?? 0;
  const active = new Set(indexesOf(args.activePods));
  const out = new Map<number, Pod>();
  for (const p of args.pods) {
    if (!hasTrackingFinalizer(p) || args.expectedRmFinalizers.has(p.metadata?.uid ?? '')) continue;
    if (!isPodFailed(p, args.job)) continue;
    const ix = validIndex(p, completions);
    if (ix === undefined) continue;
    if (args.succeeded.has(ix) || args.failed?.has(ix) || active.has(ix)) continue;
    const last = out.get(ix);
    if (!last || (absoluteFailureCount(last) <= absoluteFailureCount(p) && podFinishedTime(p) >= podFinishedTime(last))) out.set(ix, p);
  }
  return out;
}

/** The job-index-failure-count annotation (0 when absent or invalid). */
export function indexFailureCount(pod: Pod): number {
  return parseCount(pod.metadata?.annotations?.[JOB_INDEX_FAILURE_COUNT_ANNOTATION]);
}

function ignoredFailureCount(pod: Pod): number {
  return parseCount(pod.metadata?.annotations?.[JOB_INDEX_IGNORED_FAILURE_COUNT_ANNOTATION]);
}

/** Counted plus ignored failures of the index up to this pod. */
export function absoluteFailureCount(pod: Pod): number {
  return indexFailureCount(pod) + ignoredFailureCount(pod);
}

function parseCount(v: string | undefined): number {
  if (v === undefined || !/^[+-]?\d+$/.test(v)) return 0;
  const n = Number(v);
  return n < 0 || n > MAX_INT32 ? 0 : n;
}

/** Failure-count annotations for the pod replacing `replaced` in its index. */
export function newIndexFailureCounts(job: Job, replaced: Pod | undefined): { counted: number; ignored: number } {
  if (!replaced) return { counted: 0, ignored: 0 };
  let counted = indexFailureCount(replaced);
  let ignored = ignoredFailureCount(replaced);
  if (matchPodFailurePolicy(job, replaced).countFailed) counted++;
  else ignored++;
  return { counted, ignored };
}

/** Adds `JOB_COMPLETION_INDEX` (from the index label, via the downward API) to every container. */
export function addCompletionIndexEnv(template: PodTemplateSpec): void {
  const add = (c: Container) => {
    if ((c.env ?? []).some((e) => e.name === COMPLETION_INDEX_ENV)) return;
    (c.env ??= []).push({ name: COMPLETION_INDEX_ENV, valueFrom: { fieldRef: { fieldPath: `metadata.labels['${JOB_COMPLETION_INDEX_ANNOTATION}']` } } });
  };
  for (const c of template.spec?.initContainers ?? []) add(c);
  for (const c of template.spec?.containers ?? []) add(c);
}

/** `<job>-<index>-`, the job name shortened so the generated name fits 63 characters. */
export function podGenerateNameWithIndex(jobName: string, index: number): string {
  const suffix = `-${index}-`;
  const prefix = jobName + suffix;
  return prefix.length > MAX_GENERATED_NAME_LENGTH ? prefix.slice(0, MAX_GENERATED_NAME_LENGTH - suffix.length) + suffix : prefix;
}

const PHASE_ORDER: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

/**
 * controller.ActivePods ordering (what the Job controller deletes first): unscheduled before
 * scheduled; Pending < Unknown < Running; not ready before ready; ready more recently first; more
 * container restarts first; created more recently first. Unlike ReplicaSets, Jobs ignore the
 * pod-deletion-cost annotation and node co-location.
 */
export function compareActivePods(a: Pod, b: Pod): number {
  const sa = a.spec?.nodeName ? 1 : 0;
  const sb = b.spec?.nodeName ? 1 : 0;
  if (sa !== sb) return sa - sb;
  const pa = PHASE_ORDER[a.status?.phase ?? ''] ?? 0;
  const pb = PHASE_ORDER[b.status?.phase ?? ''] ?? 0;
  if (pa !== pb) return pa - pb;
  const ra = isPodReady(a);
  const rb = isPodReady(b);
  if (ra !== rb) return ra ? 1 : -1;
  if (ra && rb) {
    const ta = Date.parse(podCondition(a, 'Ready')?.lastTransitionTime ?? '') || 0;
    const tb = Date.parse(podCondition(b, 'Ready')?.lastTransitionTime ?? '') || 0;
    if (ta !== tb) return newerFirst(ta, tb);
  }
  const xa = maxContainerRestarts(a);
  const xb = maxContainerRestarts(b);
  if (xa !== xb) return xb - xa;
  const ka = Date.parse(a.metadata?.creationTimestamp ?? '') || 0;
  const kb = Date.parse(b.metadata?.creationTimestamp ?? '') || 0;
  return ka === kb ? 0 : newerFirst(ka, kb);
}

/** afterOrZero: a zero (unknown) time sorts first, then the later time. */
function newerFirst(t1: number, t2: number): number {
  if (t1 === 0 || t2 === 0) return t1 === 0 ? -1 : 1;
  return t1 > t2 ? -1 : 1;
}

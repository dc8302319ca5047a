/**
 * Pod-recreation back-off after failures (Kubernetes' backoff_utils.go). After n consecutive pod
 * failures since the last success, replacement pods wait 10 s × 2^(n−1), capped at 10 min, counted
 * from the last failure's finish time. The record lives in memory, per Job, as upstream's does: a
 * restarted controller starts the count again.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import { podCondition } from '../lib/pod-utils.js';
import { timeMs } from './job-util.js';

/** DefaultJobPodFailureBackOff. */
export const JOB_POD_FAILURE_BACKOFF_MS = 10_000;
/** MaxJobPodFailureBackOff (the docs still say 6 minutes; the code says 10). */
export const JOB_POD_FAILURE_BACKOFF_MAX_MS = 10 * 60_000;

export interface BackoffRecord {
  key: string;
  failuresAfterLastSuccess: number;
  lastFailureTimeMs: number | undefined;
}

export class BackoffStore {
  private readonly records = new Map<string, BackoffRecord>();

  get(key: string): BackoffRecord | undefined {
    return this.records.get(key);
  }

  /** Stores a record computed by {@link newRecord} (after the status carrying it was written). */
  update(record: BackoffRecord): void {
    this.records.set(record.key, { ...record });
  }

  remove(key: string): void {
    this.records.delete(key);
  }

  /**
   * The record after observing newly finished pods: failures after the latest success extend the
   * streak, a success resets it (failures finishing after that success still count).
   */
  newRecord(key: string, newSucceeded: readonly Pod[], newFailed: readonly Pod[]): BackoffRecord {
    const old = this.records.get(key);
    const rec: BackoffRecord = old ? { ...old } : { key, failuresAfterLastSuccess: 0, lastFailureTimeMs: undefined };
    const succeeded = sortByFinishedTime(newSucceeded);
    const failed = sortByFinishedTime(newFailed);
    if (succeeded.length === 0) {
      if (failed.length === 0) return rec;
      rec.failuresAfterLastSuccess += failed.length;
      rec.lastFailureTimeMs = podFinishedTime(failed[failed.length - 1]!);
      return rec;
    }
    rec.failuresAfterLastSuccess = 0;
    rec.lastFailureTimeMs = undefined;
    const lastSuccess = podFinishedTime(succeeded[succeeded.length - 1]!);
    for (let i = failed.length - 1; i >= 0; i--) {
      const t = podFinishedTime(failed[i]!);
      if (t <= lastSuccess) break;
      rec.lastFailureTimeMs ??= t;
      rec.failuresAfterLastSuccess++;
    }
    return rec;
  }
}

function sortByFinishedTime(pods: readonly Pod[]): Pod[] {
  return [...pods].sort((a, b) => podFinishedTime(a) - podFinishedTime(b));
}

/**
 * When a pod finished: the latest container finish time if every container terminated, else the
 * Ready=False transition (node agents set it on the way to a terminal phase), else the deletion
 * time minus the grace period (pods removed by pod GC), else the creation time.
 */
export function podFinishedTime(p: Pod): number {
  return finishTimeFromContainers(p) ?? readyFalseTime(p) ?? deletionTime(p) ?? timeMs(p.metadata?.creationTimestamp) ?? 0;
}

function finishTimeFromContainers(p: Pod): number | undefined {
  let finish: number | undefined;
  for (const cs of p.status?.containerStatuses ?? []) {
    const t = timeMs(cs.state?.terminated?.finishedAt);
    if (t === undefined) return undefined;
    if (finish === undefined || finish < t) finish = t;
  }
  return finish;
}

function readyFalseTime(p: Pod): number | undefined {
  const c = podCondition(p, 'Ready');
  return c?.status === 'False' ? timeMs(c.lastTransitionTime) : undefined;
}

function deletionTime(p: Pod): number | undefined {
  const t = timeMs(p.metadata?.deletionTimestamp);
  return t === undefined ? undefined : t - (p.metadata?.deletionGracePeriodSeconds ?? 0) * 1000;
}

/** Milliseconds left before a pod may be created after `failures` failures, the last at `lastFailureMs`. */
export function remainingBackoffMs(nowMs: number, failures: number, lastFailureMs: number | undefined): number {
  if (failures === 0 || lastFailureMs === undefined) return 0;
  let backoff = JOB_POD_FAILURE_BACKOFF_MS;
  for (let i = 1; i < failures; i++) {
    backoff *= 2;
    if (backoff >= JOB_POD_FAILURE_BACKOFF_MAX_MS) {
      backoff = JOB_POD_FAILURE_BACKOFF_MAX_MS;
      break;
    }
  }
  const elapsed = nowMs - lastFailureMs;
  return backoff < elapsed ? 0 : backoff - elapsed;
}

/**
 * ReplicaSet status (Kubernetes' replica_set_utils.go): counts over the set's active pods, the
 * `ReplicaFailure` condition, and the "has anything changed" test that keeps the controller from
 * writing status on every sync.
 */
import type { ReplicaSet, ReplicaSetCondition, ReplicaSetStatus } from 'kubernetes-types/apps/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { selectorFromSet } from '../../api/labels.js';
import { formatTime } from '../../client/clock.js';
import { isPodAvailable, isPodReady } from '../lib/pod-utils.js';

export const REPLICA_FAILURE = 'ReplicaFailure';

/**
 * The status `pods` (the set's active, claimed pods) imply. A failed manage step adds
 * `ReplicaFailure=True` (reason FailedCreate when pods were missing, FailedDelete when there were
 * too many) unless one is already there; a successful one removes it. As in Kubernetes, a sync that
 * skipped the manage step (expectations pending) counts as successful.
 */
export function calculateStatus(rs: ReplicaSet, pods: readonly Pod[], manageError: unknown, nowMs: number): ReplicaSetStatus {
  const templateLabels = selectorFromSet(rs.spec?.template?.metadata?.labels);
  const minReadySeconds = rs.spec?.minReadySeconds ?? 0;
  let fullyLabeled = 0;
  let ready = 0;
  let available = 0;
  for (const pod of pods) {
    // Template labels are a superset of the selector, so a pod may match the selector and still
    // miss some of them (someone relabelled it): that is what fullyLabeledReplicas reports.
    if (templateLabels.matches(pod.metadata?.labels)) fullyLabeled++;
    if (isPodReady(pod)) {
      ready++;
      if (minReadySeconds <= 0 || isPodAvailable(pod, minReadySeconds, nowMs)) available++;
    }
  }

  let conditions = [...(rs.status?.conditions ?? [])];
  const failure = conditions.find((c) => c.type === REPLICA_FAILURE);
  if (manageError !== undefined && !failure) {
    const diff = pods.length - (rs.spec?.replicas ?? 1);
    const reason = diff < 0 ? 'FailedCreate' : diff > 0 ? 'FailedDelete' : '';
    const message = manageError instanceof Error ? manageError.message : String(manageError);
    conditions.push({ type: REPLICA_FAILURE, status: 'True', reason, message, lastTransitionTime: formatTime(nowMs) });
  } else if (manageError === undefined && failure) {
    conditions = conditions.filter((c) => c.type !== REPLICA_FAILURE);
  }

  const status: ReplicaSetStatus = {
    replicas: pods.length,
    fullyLabeledReplicas: fullyLabeled,
    readyReplicas: ready,
    availableReplicas: available,
  };
  if (rs.status?.observedGeneration !== undefined) status.observedGeneration = rs.status.observedGeneration;
  if (conditions.length > 0) status.conditions = conditions;
  return status;
}

/**
 * True when `next` differs from the stored status in any counter or condition, or the set's
 * generation has not been observed yet (updateReplicaSetStatus' early return, inverted).
 */
export function replicaSetStatusChanged(rs: ReplicaSet, next: ReplicaSetStatus): boolean {
  const cur: Partial<ReplicaSetStatus> = rs.status ?? {};
  return (
    (cur.replicas ?? 0) !== (next.replicas ?? 0) ||
    (cur.fullyLabeledReplicas ?? 0) !== (next.fullyLabeledReplicas ?? 0) ||
    (cur.readyReplicas ?? 0) !== (next.readyReplicas ?? 0) ||
    (cur.availableReplicas ?? 0) !== (next.availableReplicas ?? 0) ||
    (rs.metadata?.generation ?? 0) !== (cur.observedGeneration ?? 0) ||
    !conditionsEqual(cur.conditions, next.conditions)
  );
}

function conditionsEqual(a: readonly ReplicaSetCondition[] | undefined, b: readonly ReplicaSetCondition[] | undefined): boolean {
  const x = a ?? [];
  const y = b ?? [];
  if (x.length !== y.length) return false;
  return x.every((c, i) => {
    const d = y[i]!;
    return c.type === d.type && c.status === d.status && (c.reason ?? '') === (d.reason ?? '') && (c.message ?? '') === (d.message ?? '') && (c.lastTransitionTime ?? '') === (d.lastTransitionTime ?? '');
  });
}

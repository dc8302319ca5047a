/**
 * `syncRolloutStatus` (Kubernetes' progress.go): the rollout's status plus the Progressing
 * condition — NewReplicaSetAvailable when complete, ReplicaSetUpdated (lastUpdateTime refreshed)
 * whenever more pods are updated, ready or available or fewer old ones remain, and
 * ProgressDeadlineExceeded once progressDeadlineSeconds pass without either. ReplicaSet failure
 * conditions are carried over (the new set's first).
 *
 * No polling: when nothing changed, the sync asks to run again exactly when the deadline would
 * pass (requeueStuckDeployment), with a second of slack as Kubernetes adds.
 */
import type { Deployment, DeploymentCondition, DeploymentStatus, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { SyncResult } from '../../client/workers.js';
import {
  calculateStatus,
  deploymentComplete,
  deploymentProgressing,
  deploymentStatusEqual,
  deploymentTimedOut,
  fromReplicaSetCondition,
  getCondition,
  hasProgressDeadline,
  newCondition,
  PROGRESSING,
  Reasons,
  removeCondition,
  REPLICA_FAILURE,
  setCondition,
} from './conditions.js';
import type { DeploymentSync, Rollout } from './deployment-sync.js';

/** Kubernetes requeues a second after the computed deadline to absorb clock skew. */
export const PROGRESS_CHECK_SLACK_MS = 1000;

export async function syncRolloutStatus(s: DeploymentSync, r: Rollout, allRSs: Array<ReplicaSet | undefined>, newRS: ReplicaSet | undefined): Promise<SyncResult> {
  const d = r.d;
  const now = s.now();
  const status = calculateStatus(allRSs, newRS, d, now);
  if (!hasProgressDeadline(d)) removeCondition(status, PROGRESSING);

  const current = getCondition(d.status, PROGRESSING);
  const alreadyComplete = status.replicas === status.updatedReplicas && current?.reason === Reasons.newRSAvailable;
  if (hasProgressDeadline(d) && !alreadyComplete) {
    const rsName = newRS?.metadata?.name;
    if (deploymentComplete(d, status)) {
      const msg = rsName ? `ReplicaSet "${rsName}" has successfully progressed.` : `Deployment "${d.metadata!.name}" has successfully progressed.`;
      setCondition(status, newCondition(PROGRESSING, 'True', Reasons.newRSAvailable, msg, now));
    } else if (deploymentProgressing(d, status)) {
      const msg = rsName ? `ReplicaSet "${rsName}" is progressing.` : `Deployment "${d.metadata!.name}" is progressing.`;
      const cond = newCondition(PROGRESSING, 'True', Reasons.replicaSetUpdated, msg, now);
      // Same reason as before must still refresh lastUpdateTime (setCondition would skip it), so
      // the old condition is removed first; its transition time survives if it was True.
      if (current) {
        if (current.status === 'True' && current.lastTransitionTime) cond.lastTransitionTime = current.lastTransitionTime;
        removeCondition(status, PROGRESSING);
      }
      setCondition(status, cond);
    } else if (deploymentTimedOut(d, status, now)) {
      const msg = rsName ? `ReplicaSet "${rsName}" has timed out progressing.` : `Deployment "${d.metadata!.name}" has timed out progressing.`;
      setCondition(status, newCondition(PROGRESSING, 'False', Reasons.timedOut, msg, now));
    }
  }

  const failure = replicaFailure(allRSs, newRS);
  if (failure) setCondition(status, failure);
  else removeCondition(status, REPLICA_FAILURE);

  if (deploymentStatusEqual(d.status, status)) return requeueStuckDeployment(d, status, now);
  d.status = status;
  await s.writeStatus(d);
}

/** The new set's ReplicaFailure condition, else the first old set's (getReplicaFailures). */
function replicaFailure(allRSs: Array<ReplicaSet | undefined>, newRS: ReplicaSet | undefined): DeploymentCondition | undefined {
  const pick = (rs: ReplicaSet | undefined) => rs?.status?.conditions?.find((c) => c.type === REPLICA_FAILURE);
  const fromNew = pick(newRS);
  if (fromNew) return fromReplicaSetCondition(fromNew);
  for (const rs of allRSs) {
    const c = pick(rs);
    if (c) return fromReplicaSetCondition(c);
  }
  return undefined;
}

/**
 * requeueStuckDeployment: with a deadline and an unfinished rollout that has not timed out yet,
 * run again when `lastUpdateTime + progressDeadlineSeconds` passes.
 */
export function requeueStuckDeployment(d: Deployment, status: DeploymentStatus, nowMs: number): SyncResult {
  const current = getCondition(d.status, PROGRESSING);
  if (!hasProgressDeadline(d) || !current) return;
  if (deploymentComplete(d, status) || current.reason === Reasons.timedOut) return;
  const from = Date.parse(current.lastUpdateTime ?? '');
  if (Number.isNaN(from)) return;
  const after = from + (d.spec!.progressDeadlineSeconds ?? 0) * 1000 - nowMs;
  // Under a second left: check (almost) now.
  if (after < 1000) return { requeueAfterMs: Math.max(after, 0) + PROGRESS_CHECK_SLACK_MS };
  return { requeueAfterMs: after + PROGRESS_CHECK_SLACK_MS };
}

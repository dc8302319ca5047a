/**
 * RollingUpdate (Kubernetes' rolling.go). Each sync makes one move and reports status:
 *
 *  - scale the new set up, keeping the total of all sets' spec.replicas within replicas +
 *    maxSurge (or down, if it is above replicas);
 *  - otherwise scale old sets down, keeping at least replicas − maxUnavailable pods available
 *    and not counting the new set's unavailable pods as headroom: first by the old sets' own
 *    unavailable pods (they cost no availability), then by available pods, oldest set first;
 *  - when the rollout is complete, delete old sets beyond revisionHistoryLimit.
 *
 * Together these keep Σ spec.replicas ≤ replicas + maxSurge and available pods ≥ replicas −
 * maxUnavailable throughout a rollout.
 */
import type { ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { SyncResult } from '../../client/workers.js';
import { deploymentComplete } from './conditions.js';
import type { DeploymentSync, Rollout } from './deployment-sync.js';
import { syncRolloutStatus } from './progress.js';
import { activeReplicaSets, byCreationTimestamp, maxUnavailable, newRSNewReplicas, specReplicas, sumAvailableReplicas, sumSpecReplicas } from './replicas.js';

export async function rolloutRolling(s: DeploymentSync, r: Rollout): Promise<SyncResult> {
  const first = await s.getAllReplicaSetsAndSyncRevision(r, true);
  const newRS = first.newRS!;
  let oldRSs = first.oldRSs;
  const allRSs = () => [...oldRSs, newRS];

  if (await reconcileNewReplicaSet(s, r, allRSs(), newRS)) return syncRolloutStatus(s, r, current(r, oldRSs, newRS), currentOf(r, newRS));
  oldRSs = refresh(r, oldRSs);
  if (await reconcileOldReplicaSets(s, r, allRSs(), activeReplicaSets(oldRSs), newRS)) return syncRolloutStatus(s, r, current(r, oldRSs, newRS), currentOf(r, newRS));
  if (r.d.status && deploymentComplete(r.d, r.d.status)) await s.cleanupDeployment(r, refresh(r, oldRSs));
  return syncRolloutStatus(s, r, current(r, oldRSs, newRS), currentOf(r, newRS));
}

/** The latest copy of each set (after this sync's writes). */
function refresh(r: Rollout, sets: ReplicaSet[]): ReplicaSet[] {
  return sets.map((rs) => currentOf(r, rs));
}

function currentOf(r: Rollout, rs: ReplicaSet): ReplicaSet {
  return r.rsList.find((x) => x.metadata?.uid === rs.metadata?.uid) ?? rs;
}

function current(r: Rollout, oldRSs: ReplicaSet[], newRS: ReplicaSet): ReplicaSet[] {
  return [...refresh(r, oldRSs), currentOf(r, newRS)];
}

/** Grows (or shrinks back to replicas) the new set; true if it was scaled. */
async function reconcileNewReplicaSet(s: DeploymentSync, r: Rollout, allRSs: ReplicaSet[], newRS: ReplicaSet): Promise<boolean> {
  const replicas = specReplicas(r.d);
  if (specReplicas(newRS) === replicas) return false;
  if (specReplicas(newRS) > replicas) return (await s.scaleReplicaSetAndRecordEvent(r, newRS, replicas)).scaled;
  return (await s.scaleReplicaSetAndRecordEvent(r, newRS, newRSNewReplicas(r.d, allRSs, newRS))).scaled;
}

/** Shrinks old sets within the availability budget; true if any was scaled. */
async function reconcileOldReplicaSets(s: DeploymentSync, r: Rollout, allRSs: ReplicaSet[], oldRSs: ReplicaSet[], newRS: ReplicaSet): Promise<boolean> {
  if (sumSpecReplicas(oldRSs) === 0) return false;
  const minAvailable = specReplicas(r.d) - maxUnavailable(r.d);
  const newUnavailable = specReplicas(newRS) - (newRS.status?.availableReplicas ?? 0);
  const maxScaledDown = sumSpecReplicas(allRSs) - minAvailable - newUnavailable;
  if (maxScaledDown <= 0) return false;
  // Unhealthy old pods first: removing them costs no availability, and left alone they could
  // block the rollout until its deadline (kubernetes#16737).
  const cleaned = await cleanupUnhealthyReplicas(s, r, oldRSs, maxScaledDown);
  const scaledDown = await scaleDownOldReplicaSetsForRollingUpdate(s, r, [...cleaned.oldRSs, newRS], cleaned.oldRSs);
  return cleaned.count + scaledDown > 0;
}

async function cleanupUnhealthyReplicas(s: DeploymentSync, r: Rollout, oldRSs: ReplicaSet[], maxCleanup: number): Promise<{ oldRSs: ReplicaSet[]; count: number }> {
  const sets = [...oldRSs].sort(byCreationTimestamp);
  let total = 0;
  for (let i = 0; i < sets.length; i++) {
    if (total >= maxCleanup) break;
    const rs = sets[i]!;
    const size = specReplicas(rs);
    const available = rs.status?.availableReplicas ?? 0;
    if (size === 0 || size === available) continue;
    const count = Math.min(maxCleanup - total, size - available);
    const { rs: updated } = await s.scaleReplicaSetAndRecordEvent(r, rs, size - count);
    total += count;
    sets[i] = updated;
  }
  return { oldRSs: sets, count: total };
}

async function scaleDownOldReplicaSetsForRollingUpdate(s: DeploymentSync, r: Rollout, allRSs: ReplicaSet[], oldRSs: ReplicaSet[]): Promise<number> {
  const minAvailable = specReplicas(r.d) - maxUnavailable(r.d);
  const available = sumAvailableReplicas(allRSs);
  if (available <= minAvailable) return 0;
  const budget = available - minAvailable;
  let total = 0;
  for (const rs of [...oldRSs].sort(byCreationTimestamp)) {
    if (total >= budget) break;
    const size = specReplicas(rs);
    if (size === 0) continue;
    const count = Math.min(size, budget - total);
    await s.scaleReplicaSetAndRecordEvent(r, rs, size - count);
    total += count;
  }
  return total;
}

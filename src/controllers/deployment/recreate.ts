/**
 * Recreate (Kubernetes' recreate.go): scale every old set to 0, wait until no old pod is left in
 * a non-terminal phase — terminating pods count, they may still be running — and only then create
 * the new set (it is not created earlier, so nothing scales up before the old pods are gone) and
 * size it to replicas.
 */
import type { ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { SyncResult } from '../../client/workers.js';
import { deploymentComplete } from './conditions.js';
import type { DeploymentSync, Rollout } from './deployment-sync.js';
import { syncRolloutStatus } from './progress.js';
import { activeReplicaSets, specReplicas, sumStatusReplicas } from './replicas.js';

export async function rolloutRecreate(s: DeploymentSync, r: Rollout, podMap: Map<string, Pod[]>): Promise<SyncResult> {
  let { newRS, oldRSs } = await s.getAllReplicaSetsAndSyncRevision(r, false);
  const all = () => [...oldRSs, newRS];

  let scaledDown = false;
  for (const rs of activeReplicaSets(oldRSs)) {
    if ((await s.scaleReplicaSetAndRecordEvent(r, rs, 0)).scaled) scaledDown = true;
  }
  if (scaledDown) return syncRolloutStatus(s, r, latest(r, all()), newRS && latest(r, [newRS])[0]);

  if (oldPodsRunning(newRS, oldRSs, podMap)) return syncRolloutStatus(s, r, all(), newRS);

  if (!newRS) ({ newRS, oldRSs } = await s.getAllReplicaSetsAndSyncRevision(r, true));
  await s.scaleReplicaSetAndRecordEvent(r, newRS!, specReplicas(r.d));
  if (r.d.status && deploymentComplete(r.d, r.d.status)) await s.cleanupDeployment(r, oldRSs);
  return syncRolloutStatus(s, r, latest(r, all()), newRS && latest(r, [newRS])[0]);
}

function latest(r: Rollout, sets: Array<ReplicaSet | undefined>): Array<ReplicaSet | undefined> {
  return sets.map((rs) => (rs ? (r.rsList.find((x) => x.metadata?.uid === rs.metadata?.uid) ?? rs) : rs));
}

/**
 * oldPodsRunning: an old set still reports pods, or one of its pods is in a non-terminal phase
 * (Pending, Running, or Unknown — which may still be running on an unreachable node).
 */
export function oldPodsRunning(newRS: ReplicaSet | undefined, oldRSs: readonly ReplicaSet[], podMap: Map<string, Pod[]>): boolean {
  if (sumStatusReplicas(oldRSs) > 0) return true;
  const newUid = newRS?.metadata?.uid;
  for (const [uid, pods] of podMap) {
    if (uid === newUid) continue;
    for (const pod of pods) {
      const phase = pod.status?.phase;
      if (phase !== 'Failed' && phase !== 'Succeeded') return true;
    }
  }
  return false;
}

/**
 * The StatefulSet update algorithm (Kubernetes' stateful_set_control.go):
 *
 * 1. revisions: the update revision records the live template (created, or an equal older
 *    revision renumbered — a rollback); the current revision is status.currentRevision's;
 * 2. replicas `[start, start+replicas)` are matched to pods by ordinal; missing ones are made at
 *    the current revision below the partition and at the update revision above it; pods outside
 *    the range are condemned;
 * 3. OrderedReady: walk ordinals upwards — a failed or succeeded pod is deleted (and recreated once
 *    gone), a missing pod created, and nothing proceeds past a pod that is not Running, Ready and
 *    available; then condemned pods are deleted highest first, one at a time, each only once every
 *    other pod is healthy. Parallel: all of it at once (slow-start batches);
 * 4. RollingUpdate: from the highest ordinal down to the partition, delete the first pod not at the
 *    update revision, and wait while the one above is unavailable. OnDelete: nothing.
 * 5. history beyond revisionHistoryLimit not used by a pod or the status is deleted, oldest first.
 */
import type { ControllerRevision, StatefulSet, StatefulSetStatus } from 'kubernetes-types/apps/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { EventRecorder } from '../../client/event-recorder.js';
import type { ObjectLike } from '../../client/types.js';
import { equalRevision, findEqualRevisions, nextRevision, sortControllerRevisions, type ControllerHistory } from '../history/controller-history.js';
import type { OwnerInfo } from '../lib/controller-ref.js';
import type { StatefulPodControl } from './stateful-pod-control.js';
import {
  applyRevision,
  countReplicas,
  inOrdinalRange,
  isCreated,
  isFailed,
  isPending,
  isRunningAndAvailable,
  isRunningAndReady,
  isSucceeded,
  isTerminating,
  isUnavailable,
  newStatefulSetRevision,
  newVersionedPod,
  ordinalOf,
  podRevision,
  replicasOf,
  startOrdinal,
} from './stateful-set-utils.js';

/** Kubernetes' MaxBatchSize: in-flight writes at most when creating/deleting in parallel. */
export const MAX_BATCH_SIZE = 500;
/** Default spec.revisionHistoryLimit. */
export const DEFAULT_REVISION_HISTORY_LIMIT = 10;

export interface ControlDeps {
  podControl: StatefulPodControl;
  history: ControllerHistory;
  recorder: EventRecorder;
  nowMs: () => number;
}

export interface UpdateResult {
  status: StatefulSetStatus;
  currentRevision: ControllerRevision;
  updateRevision: ControllerRevision;
  /** An error after which the (partial) status must still be written. */
  error?: unknown;
}

/** getStatefulSetRevisions: current and update revisions, creating or renumbering as needed. */
export async function statefulSetRevisions(deps: ControlDeps, set: StatefulSet, owner: OwnerInfo, revisions: ControllerRevision[]): Promise<{ current: ControllerRevision; update: ControllerRevision; collisionCount: number }> {
  sortControllerRevisions(revisions);
  const collision = { count: set.status?.collisionCount ?? 0 };
  let update = newStatefulSetRevision(set, owner, nextRevision(revisions), collision.count);
  const equal = findEqualRevisions(revisions, update);
  const last = revisions[revisions.length - 1];
  if (equal.length > 0 && equalRevision(last, equal[equal.length - 1])) {
    update = last!;
  } else if (equal.length > 0) {
    // An older revision records this template: a rollback, which renumbers that revision.
    update = await deps.history.updateRevisionNumber(equal[equal.length - 1]!, update.revision);
  } else {
    update = await deps.history.create(set.metadata!.name!, update, collision);
  }
  const current = revisions.find((r) => r.metadata?.name === set.status?.currentRevision) ?? update;
  return { current, update, collisionCount: collision.count };
}

/**
 * runForAll: in order, stopping at the first step that blocks (OrderedReady); or everything in
 * slow-start batches of at most MAX_BATCH_SIZE, stopping after a batch with a failure (Parallel).
 */
async function runForAll(n: number, fn: (i: number) => Promise<boolean>, monotonic: boolean): Promise<boolean> {
  if (monotonic) {
    for (let i = 0; i < n; i++) if (await fn(i)) return true;
    return false;
  }
  let index = 0;
  for (let batch = Math.min(n, 1); batch > 0; batch = Math.min(2 * batch, n - index, MAX_BATCH_SIZE)) {
    const start = index;
    index += batch;
    const results = await Promise.allSettled(Array.from({ length: batch }, (_, k) => fn(start + k)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }
  return false;
}

/** updateStatefulSet: one pass of the algorithm; returns the status to record. */
export async function updateStatefulSet(deps: ControlDeps, set: StatefulSet, owner: OwnerInfo, pods: readonly Pod[], revisions: ControllerRevision[]): Promise<UpdateResult> {
  const { current: currentRevision, update: updateRevision, collisionCount } = await statefulSetRevisions(deps, set, owner, revisions);
  const currentSet = applyRevision(set, currentRevision);
  const updateSet = applyRevision(set, updateRevision);
  const currentName = currentRevision.metadata!.name!;
  const updateName = updateRevision.metadata!.name!;
  const minReady = set.spec?.minReadySeconds ?? 0;
  const now = deps.nowMs();
  const status: StatefulSetStatus = {
    observedGeneration: set.metadata?.generation ?? 0,
    currentRevision: currentName,
    updateRevision: updateName,
    collisionCount,
    replicas: 0,
  };
  const result = (error?: unknown): UpdateResult => ({ status, currentRevision, updateRevision, ...(error !== undefined ? { error } : {}) });
  countReplicas(status, minReady, currentName, updateName, now, pods);

  const start = startOrdinal(set);
  const replicaCount = replicasOf(set);
  const replicas: Pod[] = new Array<Pod>(replicaCount);
  const condemned: Pod[] = [];
  for (const pod of pods) {
    if (inOrdinalRange(pod, set)) replicas[ordinalOf(pod) - start] = pod;
    else if (ordinalOf(pod) >= 0) condemned.push(pod);
  }
  const newPod = (ordinal: number) => newVersionedPod(currentSet, updateSet, owner, currentName, updateName, ordinal);
  for (let i = 0; i < replicaCount; i++) replicas[i] ??= newPod(start + i);
  condemned.sort((a, b) => ordinalOf(b) - ordinalOf(a));

  let firstUnavailable: Pod | undefined;
  for (const p of replicas) if (!firstUnavailable && isUnavailable(p, minReady, now)) firstUnavailable = p;
  for (let i = condemned.length - 1; i >= 0 && !firstUnavailable; i--) if (isUnavailable(condemned[i]!, minReady, now)) firstUnavailable = condemned[i];

  const recount = () => countReplicas(status, minReady, currentName, updateName, deps.nowMs(), replicas, condemned);
  // A set being deleted is only reported on; the garbage collector removes its pods.
  if (set.metadata?.deletionTimestamp) return result();
  const monotonic = set.spec?.podManagementPolicy !== 'Parallel';
  const { podControl } = deps;
  const setObj = set as unknown as ObjectLike;

  const processReplica = async (i: number): Promise<boolean> => {
    const pod = replicas[i]!;
    if (isFailed(pod) || isSucceeded(pod)) {
      // A pod that ended is deleted; its replacement is made once the old object is gone, so two
      // pods never share an identity.
      if (!isTerminating(pod)) {
        if (isFailed(pod)) deps.recorder.event(setObj, 'Warning', 'RecreatingFailedPod', `StatefulSet ${set.metadata!.namespace}/${set.metadata!.name} is recreating failed Pod ${pod.metadata!.name}`);
        else deps.recorder.event(setObj, 'Normal', 'RecreatingTerminatedPod', `StatefulSet ${set.metadata!.namespace}/${set.metadata!.name} is recreating terminated Pod ${pod.metadata!.name}`);
        await podControl.deletePod(set, pod);
      }
      return true;
    }
    if (!isCreated(pod)) {
      // A claim still owned by the previous pod of this name goes first (whenScaled: Delete).
      if (podControl.podClaimIsStale(set, pod)) return true;
      await podControl.createPod(set, pod);
      if (monotonic) return true;
      return false;
    }
    if (isPending(pod)) await podControl.createClaims(set, pod);
    // OrderedReady waits for a terminating pod to be gone; Parallel does not touch it.
    if (isTerminating(pod)) return monotonic;
    if (monotonic && (!isRunningAndReady(pod) || !isRunningAndAvailable(pod, minReady, deps.nowMs()))) return true;
    await podControl.updatePod(updateSet, pod);
    return false;
  };
  try {
    if (await runForAll(replicaCount, processReplica, monotonic)) {
      recount();
      return result();
    }
    const fixClaims = async (i: number): Promise<boolean> => {
      const pod = condemned[i]!;
      if (!podControl.claimsMatchRetentionPolicy(updateSet, pod)) await podControl.updateClaimsForRetention(updateSet, pod);
      return false;
    };
    await runForAll(condemned.length, fixClaims, monotonic);
    const processCondemned = async (i: number): Promise<boolean> => {
      const pod = condemned[i]!;
      if (isTerminating(pod)) return monotonic;
      if (monotonic && pod !== firstUnavailable && (!isRunningAndReady(pod) || !isRunningAndAvailable(pod, minReady, deps.nowMs()))) return true;
      await podControl.deletePod(set, pod);
      return true;
    };
    if (await runForAll(condemned.length, processCondemned, monotonic)) {
      recount();
      return result();
    }
  } catch (err) {
    recount();
    return result(err);
  }
  recount();
  if ((set.spec?.updateStrategy?.type ?? 'RollingUpdate') === 'OnDelete') return result();
  // Rolling update, highest ordinal first, never below the partition.
  const partition = set.spec?.updateStrategy?.rollingUpdate?.partition ?? 0;
  for (let target = replicas.length - 1; target >= partition; target--) {
    const pod = replicas[target]!;
    if (podRevision(pod) !== updateName && !isTerminating(pod)) {
      try {
        await podControl.deletePod(set, pod);
      } catch (err) {
        return result(err);
      }
      status.currentReplicas = (status.currentReplicas ?? 0) - 1;
      return result();
    }
    if (isUnavailable(pod, minReady, deps.nowMs())) return result();
  }
  return result();
}

/**
 * truncateHistory: deletes revisions beyond revisionHistoryLimit, oldest first, never the current
 * or update revision nor one a pod is labelled with.
 */
export async function truncateHistory(deps: ControlDeps, set: StatefulSet, pods: readonly Pod[], revisions: readonly ControllerRevision[], current: ControllerRevision | undefined, update: ControllerRevision | undefined): Promise<void> {
  const live = new Set<string>();
  if (current) live.add(current.metadata!.name!);
  if (update) live.add(update.metadata!.name!);
  for (const p of pods) live.add(podRevision(p));
  const old = sortControllerRevisions(revisions.filter((r) => !live.has(r.metadata!.name!)));
  const limit = set.spec?.revisionHistoryLimit ?? DEFAULT_REVISION_HISTORY_LIMIT;
  if (limit < 0 || old.length <= limit) return;
  for (const r of old.slice(0, old.length - limit)) await deps.history.delete(r);
}

/**
 * `syncReplicaSet` (Kubernetes' pkg/controller/replicaset): converge one ReplicaSet's pods on
 * `spec.replicas` and report status.
 *
 *  1. read the set from the cache (gone → forget its expectations);
 *  2. claim pods: the active pods it controls plus the active orphans of its namespace (adopt the
 *     ones its selector matches, release its own that no longer match). Terminal pods and pods
 *     with a deletionTimestamp are not active: they are neither counted nor deleted, so a
 *     replacement is created at once while they linger or finish their grace period;
 *  3. only when expectations are satisfied and the set is not being deleted: create the missing
 *     pods in slow-start batches, or delete the surplus ranked by ActivePodsWithRanks — at most
 *     `burstReplicas` per sync, expectations recorded before the writes;
 *  4. write status through /status if anything changed; requeue when a ready pod will cross
 *     minReadySeconds, so availableReplicas rises on time without polling.
 */
import type { ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { StatusError } from '../../api/errors.js';
import { isNotFound } from '../../api/errors.js';
import { labelSelectorAsSelector, type Selector } from '../../api/labels.js';
import type { KubeObject } from '../../api/object.js';
import { splitKey } from '../../api/object.js';
import type { Client } from '../../client/client.js';
import type { Clock } from '../../client/clock.js';
import type { EventRecorder } from '../../client/event-recorder.js';
import type { Lister } from '../../client/indexer.js';
import type { Logger } from '../../client/log.js';
import type { SyncResult } from '../../client/workers.js';
import { claimChildren, ownerOf } from '../lib/controller-ref.js';
import type { Expectations } from '../lib/expectations.js';
import { CONTROLLER_UID_INDEX, claimCandidates, controlledBy, controllerOf } from '../lib/owner-indexes.js';
import { PodControl, podFromTemplate } from '../lib/pod-control.js';
import { isPodActive, msUntilAvailable, rankForDeletion } from '../lib/pod-utils.js';
import { SLOW_START_INITIAL_BATCH, slowStartBatch } from '../lib/slow-start.js';
import { calculateStatus, replicaSetStatusChanged } from './replicaset-status.js';

/** Kubernetes' BurstReplicas: the most pods one sync creates or deletes. */
export const BURST_REPLICAS = 500;
export const REPLICASET_API_VERSION = 'apps/v1';
export const REPLICASET_KIND = 'ReplicaSet';

export interface ReplicaSetSyncDeps {
  client: Client;
  recorder: EventRecorder;
  clock: Clock;
  logger: Logger;
  replicaSets: Lister<ReplicaSet>;
  pods: Lister<Pod>;
  expectations: Expectations;
  burstReplicas?: number;
}

/** True if `err` carries a StatusCause of `type` (apierrors.HasStatusCause). */
export function hasStatusCause(err: unknown, type: string): boolean {
  const causes = (err as Partial<StatusError> | undefined)?.details?.causes;
  return Array.isArray(causes) && causes.some((c) => c.reason === type);
}

export class ReplicaSetSync {
  private readonly podControl: PodControl;
  private readonly burst: number;

  constructor(private readonly d: ReplicaSetSyncDeps) {
    this.podControl = new PodControl(d.client, d.recorder);
    this.burst = d.burstReplicas ?? BURST_REPLICAS;
  }

  /** The level-triggered sync for one `namespace/name` key. */
  async sync(key: string): Promise<SyncResult> {
    const { namespace, name } = splitKey(key);
    const rs = this.d.replicaSets.getByName(namespace, name);
    if (!rs) {
      this.d.expectations.delete(key);
      return;
    }
    const needsSync = this.d.expectations.satisfied(key);
    let selector: Selector;
    try {
      selector = labelSelectorAsSelector(rs.spec?.selector);
    } catch (err) {
      // Validation keeps invalid selectors out; one that slipped through matches nothing.
      this.d.logger.error('invalid ReplicaSet selector', { key, error: err });
      return;
    }

    const pods = await this.claimPods(rs, selector);
    let manageError: unknown;
    if (needsSync && !rs.metadata?.deletionTimestamp) {
      try {
        await this.manageReplicas(key, rs, pods);
      } catch (err) {
        manageError = err;
      }
    }

    const now = this.d.clock.now();
    const status = calculateStatus(rs, pods, manageError, now);
    if (replicaSetStatusChanged(rs, status)) {
      status.observedGeneration = rs.metadata?.generation ?? 0;
      // The cached object carries the resourceVersion precondition; a 409 means the cache lags a
      // write and the sync is simply retried.
      await this.d.client.replicaSets(namespace).updateStatus({ ...rs, status });
    }
    if (manageError !== undefined) throw manageError;
    return this.availabilityRequeue(rs, pods, now);
  }

  /** Adopts matching orphans and releases non-matching children; returns the active children. */
  private async claimPods(rs: ReplicaSet, selector: Selector): Promise<Pod[]> {
    const namespace = rs.metadata!.namespace!;
    const uid = rs.metadata!.uid!;
    const candidates = claimCandidates(this.d.pods, namespace, uid).filter(isPodActive);
    return claimChildren<Pod>({
      owner: ownerOf(rs as KubeObject, REPLICASET_API_VERSION, REPLICASET_KIND),
      candidates,
      matches: (pod) => selector.matches(pod.metadata?.labels),
      children: this.d.client.pods(namespace),
      recheckOwner: async () => {
        try {
          return (await this.d.client.replicaSets(namespace).get(rs.metadata!.name!)) as KubeObject;
        } catch (err) {
          if (isNotFound(err)) return undefined;
          throw err;
        }
      },
    });
  }

  /** Creates or deletes pods to move toward spec.replicas (manageReplicas). */
  private async manageReplicas(key: string, rs: ReplicaSet, pods: readonly Pod[]): Promise<void> {
    const diff = pods.length - (rs.spec?.replicas ?? 1);
    if (diff < 0) await this.createPods(key, rs, Math.min(-diff, this.burst));
    else if (diff > 0) await this.deletePods(key, rs, pods, Math.min(diff, this.burst));
  }

  private async createPods(key: string, rs: ReplicaSet, count: number): Promise<void> {
    const namespace = rs.metadata!.namespace!;
    const owner = ownerOf(rs as KubeObject, REPLICASET_API_VERSION, REPLICASET_KIND);
    // Expect every creation before issuing any: the informer may show the first pod before the
    // last create returns.
    this.d.expectations.expect(key, count, 0);
    const { successes, error } = await slowStartBatch(count, SLOW_START_INITIAL_BATCH, async () => {
      try {
        await this.podControl.create(podFromTemplate(rs.spec!.template!, owner, namespace), rs);
      } catch (err) {
        // A terminating namespace refuses every create; the set goes away with it.
        if (hasStatusCause(err, 'NamespaceTerminating')) return;
        throw err;
      }
    });
    // Pods never created (failed, or skipped after a failed batch) will never be observed.
    for (let i = successes; i < count; i++) this.d.expectations.creationObserved(key);
    if (error !== undefined) throw error;
  }

  private async deletePods(key: string, rs: ReplicaSet, pods: readonly Pod[], count: number): Promise<void> {
    const namespace = rs.metadata!.namespace!;
    const victims = count < pods.length ? rankForDeletion(pods, { related: this.relatedPods(rs), now: this.d.clock.now() }).slice(0, count) : [...pods];
    const uids = victims.map((p) => p.metadata!.uid!);
    this.d.expectations.expect(key, 0, victims.length, uids);
    const results = await Promise.allSettled(victims.map((p) => this.podControl.delete(namespace, p.metadata!.name!, rs, p.metadata!.uid)));
    let firstError: unknown;
    results.forEach((r, i) => {
      // A failed delete, or a pod that was already gone, will not (or may never again) show up
      // as a deletion in the informer.
      if (r.status === 'rejected' || r.value === false) this.d.expectations.deletionObserved(key, uids[i]);
      if (r.status === 'rejected') firstError ??= r.reason;
    });
    if (firstError !== undefined) throw firstError;
  }

  /**
   * Pods of every ReplicaSet sharing this one's controller (getIndirectlyRelatedPods), so that
   * a Deployment's old and new sets together spread across nodes. A set without a controller has
   * none: Kubernetes then ranks all its pods equally on co-location.
   */
  private relatedPods(rs: ReplicaSet): Pod[] {
    const ref = controllerOf(rs);
    if (!ref) return [];
    const out: Pod[] = [];
    for (const sibling of this.d.replicaSets.byIndex(CONTROLLER_UID_INDEX, ref.uid)) out.push(...controlledBy(this.d.pods, sibling.metadata!.uid!));
    return out;
  }

  /** Requeue when the next ready pod crosses minReadySeconds (its availability changes then). */
  private availabilityRequeue(rs: ReplicaSet, pods: readonly Pod[], now: number): SyncResult {
    const minReadySeconds = rs.spec?.minReadySeconds ?? 0;
    if (minReadySeconds <= 0) return;
    let soonest: number | undefined;
    for (const pod of pods) {
      const ms = msUntilAvailable(pod, minReadySeconds, now);
      if (ms !== undefined && (soonest === undefined || ms < soonest)) soonest = ms;
    }
    return soonest === undefined ? undefined : { requeueAfterMs: soonest };
  }
}

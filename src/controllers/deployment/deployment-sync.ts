/**
 * `syncDeployment` (Kubernetes' pkg/controller/deployment): one Deployment's ReplicaSets moved
 * toward its spec, in Kubernetes' order of precedence —
 *
 *  1. claim ReplicaSets (adopt matching orphans, release non-matching ones);
 *  2. a deployment being deleted only gets its status refreshed;
 *  3. record `DeploymentPaused` / `DeploymentResumed` on the Progressing condition;
 *  4. paused, or only `replicas` changed (a desired-replicas annotation disagrees): scale the
 *     active sets — proportionally when several have pods — and roll nothing;
 *  5. a deprecated `rollbackTo` annotation: copy that revision's template back;
 *  6. otherwise roll out with the strategy (rolling.ts, recreate.ts), then compute the
 *     Progressing condition and any progress-deadline requeue (progress.ts).
 *
 * The sync works on a private copy of the Deployment, whose status and revision annotation it
 * writes through /status; ReplicaSets are written whole (`update`) with their cached
 * resourceVersion as the precondition, and the local list is refreshed with each write's result.
 */
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { isNotFound } from '../../api/errors.js';
import { labelSelectorAsSelector, type Selector } from '../../api/labels.js';
import type { KubeObject } from '../../api/object.js';
import { clone, splitKey } from '../../api/object.js';
import type { Client } from '../../client/client.js';
import type { Clock } from '../../client/clock.js';
import type { EventRecorder } from '../../client/event-recorder.js';
import type { Lister } from '../../client/indexer.js';
import type { Logger } from '../../client/log.js';
import type { SyncResult } from '../../client/workers.js';
import { claimChildren, ownerOf } from '../lib/controller-ref.js';
import { claimCandidates, controlledBy } from '../lib/owner-indexes.js';
import { desiredReplicasAnnotation, replicasAnnotationsNeedUpdate, revisionOf, setReplicasAnnotations } from './annotations.js';
import { calculateStatus, deploymentStatusEqual, getCondition, hasProgressDeadline, newCondition, PROGRESSING, Reasons, setCondition } from './conditions.js';
import { DEPLOYMENT_API_VERSION, DEPLOYMENT_KIND, getNewReplicaSet } from './new-replicaset.js';
import { rolloutRecreate } from './recreate.js';
import { rolloutRolling } from './rolling.js';
import { getRollbackTo, rollback } from './rollback.js';
import {
  activeReplicaSets,
  bySizeNewer,
  bySizeOlder,
  findActiveOrLatest,
  isRollingUpdate,
  isSaturated,
  maxSurge,
  proportion,
  specReplicas,
  sumSpecReplicas,
} from './replicas.js';
import { findNewReplicaSet, findOldReplicaSets } from './templates.js';

export { DEPLOYMENT_API_VERSION, DEPLOYMENT_KIND };

/** revisionHistoryLimit of math.MaxInt32 means "keep everything" (HasRevisionHistoryLimit). */
const UNLIMITED_HISTORY = 2147483647;

export interface DeploymentSyncDeps {
  client: Client;
  recorder: EventRecorder;
  clock: Clock;
  logger: Logger;
  deployments: Lister<Deployment>;
  replicaSets: Lister<ReplicaSet>;
  pods: Lister<Pod>;
}

/**
 * One sync's working state: a private copy of the Deployment and its claimed ReplicaSets, kept
 * current as this sync writes them.
 */
export class Rollout {
  constructor(
    readonly d: Deployment,
    public rsList: ReplicaSet[],
  ) {}

  /** Swaps a written set into the list (by UID), or adds a created one. */
  replace(rs: ReplicaSet): void {
    const i = this.rsList.findIndex((x) => x.metadata?.uid === rs.metadata?.uid);
    if (i >= 0) this.rsList[i] = rs;
    else this.rsList.push(rs);
  }
}

export class DeploymentSync {
  constructor(readonly deps: DeploymentSyncDeps) {}

  now(): number {
    return this.deps.clock.now();
  }

  /** The level-triggered sync for one `namespace/name` key. */
  async sync(key: string): Promise<SyncResult> {
    const { namespace, name } = splitKey(key);
    const cached = this.deps.deployments.getByName(namespace, name);
    if (!cached) return;
    const d = clone(cached);
    const sel = d.spec?.selector;
    if (sel && Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0) {
      // Validation forbids it; an empty selector would claim every pod of the namespace.
      this.deps.recorder.event(d, 'Warning', 'SelectingAll', 'This deployment is selecting all pods. A non-empty selector is required.');
      if ((d.status?.observedGeneration ?? 0) < (d.metadata?.generation ?? 0)) {
        d.status = { ...(d.status ?? {}), observedGeneration: d.metadata?.generation ?? 0 };
        await this.writeStatus(d);
      }
      return;
    }
    let selector: Selector;
    try {
      selector = labelSelectorAsSelector(sel);
    } catch (err) {
      this.deps.logger.error('invalid Deployment selector', { key, error: err });
      return;
    }

    const r = new Rollout(d, await this.claimReplicaSets(d, selector));
    if (d.metadata?.deletionTimestamp) return this.syncStatusOnly(r);
    await this.checkPausedConditions(d);
    if (d.spec?.paused) return this.syncScaleOnly(r);
    if (getRollbackTo(d) !== undefined) return rollback(this, r);
    if (await this.isScalingEvent(r)) return this.syncScaleOnly(r);
    if (d.spec?.strategy?.type === 'Recreate') return rolloutRecreate(this, r, this.podMap(r, selector));
    if (d.spec?.strategy?.type === 'RollingUpdate') return rolloutRolling(this, r);
    throw new Error(`unexpected deployment strategy type: ${d.spec?.strategy?.type}`);
  }

  /** getReplicaSetsForDeployment: the sets this deployment controls after adoption and release. */
  private async claimReplicaSets(d: Deployment, selector: Selector): Promise<ReplicaSet[]> {
    const ns = d.metadata!.namespace!;
    return claimChildren<ReplicaSet>({
      owner: ownerOf(d as KubeObject, DEPLOYMENT_API_VERSION, DEPLOYMENT_KIND),
      candidates: claimCandidates(this.deps.replicaSets, ns, d.metadata!.uid!),
      matches: (rs) => selector.matches(rs.metadata?.labels),
      children: this.deps.client.replicaSets(ns),
      recheckOwner: async () => {
        try {
          return (await this.deps.client.deployments(ns).get(d.metadata!.name!)) as KubeObject;
        } catch (err) {
          if (isNotFound(err)) return undefined;
          throw err;
        }
      },
    });
  }

  /** getPodMapForDeployment: the deployment's pods by ReplicaSet UID (Recreate checks old ones). */
  private podMap(r: Rollout, selector: Selector): Map<string, Pod[]> {
    const out = new Map<string, Pod[]>();
    for (const rs of r.rsList) {
      const uid = rs.metadata!.uid!;
      out.set(uid, controlledBy(this.deps.pods, uid).filter((p) => selector.matches(p.metadata?.labels)));
    }
    return out;
  }

  /** The new set and all old ones, with the new set's and the deployment's revision synced. */
  async getAllReplicaSetsAndSyncRevision(r: Rollout, createIfNotExisted: boolean): Promise<{ newRS: ReplicaSet | undefined; oldRSs: ReplicaSet[] }> {
    const { all } = findOldReplicaSets(r.d, r.rsList);
    const newRS = await getNewReplicaSet(this, r, all, createIfNotExisted);
    return { newRS, oldRSs: findOldReplicaSets(r.d, r.rsList).all };
  }

  /**
   * scale: a resize without a template change. One active set takes the whole size; a saturated
   * new set means every old one goes to 0; during a rolling update the difference is shared out
   * in proportion to the sets' sizes (largest first, leftovers to the first), so a resize neither
   * speeds up nor reverses the rollout.
   */
  async scale(r: Rollout, newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[]): Promise<void> {
    const d = r.d;
    const replicas = specReplicas(d);
    const one = findActiveOrLatest(newRS, oldRSs);
    if (one) {
      if (specReplicas(one) === replicas) return;
      await this.scaleReplicaSetAndRecordEvent(r, one, replicas);
      return;
    }
    if (isSaturated(d, newRS)) {
      for (const old of activeReplicaSets(oldRSs)) await this.scaleReplicaSetAndRecordEvent(r, old, 0);
      return;
    }
    if (!isRollingUpdate(d)) return;
    const all = activeReplicaSets([...oldRSs, newRS]);
    const allowed = replicas > 0 ? replicas + maxSurge(d) : 0;
    const toAdd = allowed - sumSpecReplicas(all);
    if (toAdd > 0) all.sort(bySizeNewer);
    else if (toAdd < 0) all.sort(bySizeOlder);
    let added = 0;
    const sizes = new Map<ReplicaSet, number>();
    for (const rs of all) {
      if (toAdd === 0) {
        sizes.set(rs, specReplicas(rs));
        continue;
      }
      const p = proportion(rs, d, toAdd, added);
      sizes.set(rs, specReplicas(rs) + p);
      added += p;
    }
    for (let i = 0; i < all.length; i++) {
      const rs = all[i]!;
      let size = sizes.get(rs)!;
      if (i === 0 && toAdd !== 0) size = Math.max(0, size + (toAdd - added));
      await this.scaleReplicaSet(r, rs, size);
    }
  }

  /** Scales unless the set already has that size. */
  async scaleReplicaSetAndRecordEvent(r: Rollout, rs: ReplicaSet, newScale: number): Promise<{ scaled: boolean; rs: ReplicaSet }> {
    if (specReplicas(rs) === newScale) return { scaled: false, rs };
    return this.scaleReplicaSet(r, rs, newScale);
  }

  /**
   * Writes a set's size and its desired/max-replicas annotations when either changed; a size
   * change is reported as ScalingReplicaSet "Scaled up|down replica set <rs> from <old> to <new>".
   */
  async scaleReplicaSet(r: Rollout, rs: ReplicaSet, newScale: number): Promise<{ scaled: boolean; rs: ReplicaSet }> {
    const d = r.d;
    const replicas = specReplicas(d);
    const max = replicas + maxSurge(d);
    const oldScale = specReplicas(rs);
    const sizeChanged = oldScale !== newScale;
    if (!sizeChanged && !replicasAnnotationsNeedUpdate(rs, replicas, max)) return { scaled: false, rs };
    const copy = clone(rs);
    copy.spec!.replicas = newScale;
    setReplicasAnnotations(((copy.metadata ??= {}).annotations ??= {}), replicas, max);
    const updated = await this.deps.client.replicaSets(rs.metadata!.namespace!).update(copy);
    r.replace(updated);
    if (sizeChanged) {
      const op = oldScale < newScale ? 'up' : 'down';
      this.deps.recorder.event(d, 'Normal', 'ScalingReplicaSet', `Scaled ${op} replica set ${updated.metadata!.name} from ${oldScale} to ${newScale}`);
    }
    return { scaled: sizeChanged, rs: updated };
  }

  /**
   * cleanupDeployment: delete the oldest old sets (by revision) beyond revisionHistoryLimit — only
   * those fully scaled down, with no pods and their spec observed.
   */
  async cleanupDeployment(r: Rollout, oldRSs: ReplicaSet[]): Promise<void> {
    const limit = r.d.spec?.revisionHistoryLimit;
    if (limit === undefined || limit === null || limit === UNLIMITED_HISTORY) return;
    const cleanable = oldRSs.filter((rs) => !rs.metadata?.deletionTimestamp);
    const diff = cleanable.length - limit;
    if (diff <= 0) return;
    cleanable.sort(byRevision);
    for (let i = 0; i < diff; i++) {
      const rs = cleanable[i]!;
      if ((rs.status?.replicas ?? 0) !== 0 || specReplicas(rs) !== 0 || (rs.metadata?.generation ?? 0) > (rs.status?.observedGeneration ?? 0)) continue;
      try {
        await this.deps.client.replicaSets(rs.metadata!.namespace!).delete(rs.metadata!.name!, { preconditions: { uid: rs.metadata!.uid! } });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
  }

  /** isScalingEvent: an active set was sized for a different spec.replicas. */
  private async isScalingEvent(r: Rollout): Promise<boolean> {
    const { newRS, oldRSs } = await this.getAllReplicaSetsAndSyncRevision(r, false);
    const replicas = specReplicas(r.d);
    return activeReplicaSets([...oldRSs, newRS]).some((rs) => {
      const desired = desiredReplicasAnnotation(rs);
      return desired !== undefined && desired !== replicas;
    });
  }

  /** sync: scale (paused or resized) and, when paused, clean up old sets; then status. */
  private async syncScaleOnly(r: Rollout): Promise<SyncResult> {
    const { newRS, oldRSs } = await this.getAllReplicaSetsAndSyncRevision(r, false);
    await this.scale(r, newRS, oldRSs);
    if (r.d.spec?.paused && getRollbackTo(r.d) === undefined) await this.cleanupDeployment(r, oldRSs);
    const current = findOldReplicaSets(r.d, r.rsList);
    await this.syncDeploymentStatus(r, [...current.all, findNewReplicaSet(r.d, r.rsList)], findNewReplicaSet(r.d, r.rsList));
  }

  private async syncStatusOnly(r: Rollout): Promise<SyncResult> {
    const { newRS, oldRSs } = await this.getAllReplicaSetsAndSyncRevision(r, false);
    await this.syncDeploymentStatus(r, [...oldRSs, newRS], newRS);
  }

  /** Writes the calculated status when it differs from the stored one. */
  async syncDeploymentStatus(r: Rollout, allRSs: Array<ReplicaSet | undefined>, newRS: ReplicaSet | undefined): Promise<void> {
    const status = calculateStatus(allRSs, newRS, r.d, this.now());
    if (deploymentStatusEqual(r.d.status, status)) return;
    r.d.status = status;
    await this.writeStatus(r.d);
  }

  /**
   * checkPausedConditions: Progressing=Unknown DeploymentPaused while paused, DeploymentResumed
   * once resumed, so the pause does not count against the progress deadline. A timed-out
   * deployment keeps its ProgressDeadlineExceeded.
   */
  private async checkPausedConditions(d: Deployment): Promise<void> {
    if (!hasProgressDeadline(d)) return;
    const cond = getCondition(d.status, PROGRESSING);
    if (cond?.reason === Reasons.timedOut) return;
    const pausedCond = cond?.reason === Reasons.paused;
    let next;
    if (d.spec?.paused && !pausedCond) next = newCondition(PROGRESSING, 'Unknown', Reasons.paused, 'Deployment is paused', this.now());
    else if (!d.spec?.paused && pausedCond) next = newCondition(PROGRESSING, 'Unknown', Reasons.resumed, 'Deployment is resumed', this.now());
    if (!next) return;
    setCondition((d.status ??= {}), next);
    await this.writeStatus(d);
  }

  /**
   * Writes the deployment's status and metadata (its revision annotation) through /status, and
   * carries the new resourceVersion forward so later writes in this sync do not conflict.
   */
  async writeStatus(d: Deployment): Promise<void> {
    const updated = await this.deps.client.deployments(d.metadata!.namespace!).updateStatus(d);
    (d.metadata as { resourceVersion?: string }).resourceVersion = updated.metadata?.resourceVersion;
  }
}

/** ReplicaSetsByRevision: lower revision first; unparsable or equal revisions by creation time. */
function byRevision(a: ReplicaSet, b: ReplicaSet): number {
  const ra = revisionOf(a);
  const rb = revisionOf(b);
  if (ra === undefined || rb === undefined || ra === rb) {
    const ta = Date.parse(a.metadata?.creationTimestamp ?? '') || 0;
    const tb = Date.parse(b.metadata?.creationTimestamp ?? '') || 0;
    if (ta !== tb) return ta - tb;
    return (a.metadata?.name ?? '') < (b.metadata?.name ?? '') ? -1 : 1;
  }
  return ra - rb;
}

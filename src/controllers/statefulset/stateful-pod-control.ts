/**
 * Pod and claim writes for a StatefulSet (Kubernetes' stateful_pod_control.go): claims are created
 * before their pod, a pod's identity labels are repaired in place, the retention policy is kept in
 * the claims' ownerReferences, and every write is recorded as an event on the set with
 * Kubernetes' wording ("create Pod web-0 in StatefulSet web successful").
 */
import type { StatefulSet } from 'kubernetes-types/apps/v1.js';
import type { PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1.js';
import { isAlreadyExists, isConflict, isNotFound } from '../../api/errors.js';
import { clone } from '../../api/object.js';
import type { Client } from '../../client/client.js';
import type { EventRecorder } from '../../client/event-recorder.js';
import type { Lister } from '../../client/indexer.js';
import type { ObjectLike } from '../../client/types.js';
import { hasStaleOwnerRef, hasUnexpectedController, isClaimOwnerUpToDate, ownerRefsForPolicy, podTarget, retentionPolicy } from './claim-retention.js';
import { claimsFor, identityMatches, ordinalOf, parentAndOrdinal, setIdentityLabels, storageMatches } from './stateful-set-utils.js';

type Verb = 'create' | 'update' | 'delete';

const title = (v: Verb) => v[0]!.toUpperCase() + v.slice(1);

export class StatefulPodControl {
  constructor(
    private readonly client: Client,
    private readonly claims: Lister<PersistentVolumeClaim>,
    private readonly recorder: EventRecorder,
  ) {}

  private obj(set: StatefulSet): ObjectLike {
    return set as unknown as ObjectLike;
  }

  recordPodEvent(verb: Verb, set: StatefulSet, pod: Pod, err?: unknown): void {
    const name = pod.metadata?.name;
    if (err === undefined) this.recorder.event(this.obj(set), 'Normal', `Successful${title(verb)}`, `${verb} Pod ${name} in StatefulSet ${set.metadata?.name} successful`);
    else this.recorder.event(this.obj(set), 'Warning', `Failed${title(verb)}`, `${verb} Pod ${name} in StatefulSet ${set.metadata?.name} failed error: ${(err as Error).message}`);
  }

  private recordClaimEvent(verb: Verb, set: StatefulSet, pod: Pod, claim: PersistentVolumeClaim, err?: unknown): void {
    const c = claim.metadata?.name;
    if (err === undefined) this.recorder.event(this.obj(set), 'Normal', `Successful${title(verb)}`, `${verb} Claim ${c} Pod ${pod.metadata?.name} in StatefulSet ${set.metadata?.name} success`);
    else this.recorder.event(this.obj(set), 'Warning', `Failed${title(verb)}`, `${verb} Claim ${c} for Pod ${pod.metadata?.name} in StatefulSet ${set.metadata?.name} failed error: ${(err as Error).message}`);
  }

  private claim(namespace: string, name: string): PersistentVolumeClaim | undefined {
    return this.claims.getByName(namespace, name);
  }

  /**
   * createPersistentVolumeClaims: creates each missing claim of the pod (the cache decides what
   * is missing; AlreadyExists means it lagged). A claim being deleted blocks the pod.
   */
  async createClaims(set: StatefulSet, pod: Pod): Promise<void> {
    const errors: Error[] = [];
    for (const claim of claimsFor(set, ordinalOf(pod)).values()) {
      const existing = this.claim(claim.metadata!.namespace!, claim.metadata!.name!);
      if (existing) {
        if (existing.metadata?.deletionTimestamp) errors.push(new Error(`pvc ${claim.metadata!.name} is being deleted`));
        continue;
      }
      try {
        await this.client.persistentVolumeClaims(claim.metadata!.namespace!).create(claim);
        this.recordClaimEvent('create', set, pod, claim);
      } catch (err) {
        if (isAlreadyExists(err)) continue;
        this.recordClaimEvent('create', set, pod, claim, err);
        errors.push(new Error(`failed to create PVC ${claim.metadata!.name}: ${(err as Error).message}`));
      }
    }
    if (errors.length > 0) throw errors.length === 1 ? errors[0] : new AggregateError(errors, errors.map((e) => e.message).join(', '));
  }

  /** CreateStatefulPod: claims first, then the pod, then the claims' retention owner references. */
  async createPod(set: StatefulSet, pod: Pod): Promise<void> {
    try {
      await this.createClaims(set, pod);
    } catch (err) {
      this.recordPodEvent('create', set, pod, err);
      throw err;
    }
    let created: Pod;
    try {
      created = await this.client.pods(set.metadata!.namespace!).create(pod);
    } catch (err) {
      // The pod exists (the cache lagged): not an event-worthy failure.
      if (isAlreadyExists(err)) throw err;
      this.recordPodEvent('create', set, pod, err);
      throw err;
    }
    try {
      await this.updateClaimsForRetention(set, created);
    } catch (err) {
      this.recordPodEvent('update', set, created, err);
      throw err;
    }
    this.recordPodEvent('create', set, created);
  }

  /** DeleteStatefulPod (with a UID precondition, so a newer pod of the same name is never hit). */
  async deletePod(set: StatefulSet, pod: Pod): Promise<void> {
    try {
      await this.client.pods(set.metadata!.namespace!).delete(pod.metadata!.name!, { preconditions: { uid: pod.metadata!.uid! } });
      this.recordPodEvent('delete', set, pod);
    } catch (err) {
      if (isNotFound(err)) return;
      this.recordPodEvent('delete', set, pod, err);
      throw err;
    }
  }

  /**
   * PodClaimIsStale: under whenScaled=Delete, a claim still owned by an earlier pod of the same
   * name is on its way out (the garbage collector deletes it); the pod must wait for it.
   */
  podClaimIsStale(set: StatefulSet, pod: Pod): boolean {
    if (retentionPolicy(set).whenScaled === 'Retain') return false;
    for (const claim of claimsFor(set, ordinalOf(pod)).values()) {
      const existing = this.claim(claim.metadata!.namespace!, claim.metadata!.name!);
      if (existing && hasStaleOwnerRef(existing, podTarget(pod))) return true;
    }
    return false;
  }

  /** ClaimsMatchRetentionPolicy: every existing claim of the pod has the references the policy wants. */
  claimsMatchRetentionPolicy(set: StatefulSet, pod: Pod): boolean {
    for (const claim of claimsFor(set, ordinalOf(pod)).values()) {
      const existing = this.claim(claim.metadata!.namespace!, claim.metadata!.name!);
      if (existing && !isClaimOwnerUpToDate(existing, set, pod)) return false;
    }
    return true;
  }

  /** UpdatePodClaimForRetentionPolicy: rewrites the claims' owner references where they disagree. */
  async updateClaimsForRetention(set: StatefulSet, pod: Pod): Promise<void> {
    for (const claim of claimsFor(set, ordinalOf(pod)).values()) {
      const existing = this.claim(claim.metadata!.namespace!, claim.metadata!.name!);
      if (!existing) continue; // Not in the cache yet: the next sync picks it up.
      if (hasUnexpectedController(existing, set, pod)) {
        this.recorder.event(this.obj(set), 'Warning', 'ConflictingController', `PersistentVolumeClaim ${claim.metadata!.name} has a conflicting OwnerReference that acts as a manging controller, the retention policy is ignored for this claim`);
      }
      if (isClaimOwnerUpToDate(existing, set, pod)) continue;
      const toUpdate = clone(existing);
      const refs = ownerRefsForPolicy(existing, set, pod);
      if (refs.length > 0) toUpdate.metadata!.ownerReferences = refs;
      else delete toUpdate.metadata!.ownerReferences;
      try {
        await this.client.persistentVolumeClaims(existing.metadata!.namespace!).update(toUpdate);
      } catch (err) {
        throw new Error(`could not update claim ${claim.metadata!.name} for delete policy ownerRefs: ${(err as Error).message}`, { cause: err });
      }
    }
  }

  /**
   * UpdateStatefulPod: repairs a pod's identity labels and its claims (created if missing, owner
   * references per the retention policy). A pod spec is immutable, so volumes that do not match the
   * templates cannot be rewritten in place; missing claims are still created for them.
   */
  async updatePod(set: StatefulSet, pod: Pod): Promise<void> {
    let current = pod;
    for (let attempt = 0; ; attempt++) {
      let consistent = true;
      const next = clone(current);
      if (!identityMatches(set, next)) {
        const { ordinal } = parentAndOrdinal(next.metadata!.name!);
        setIdentityLabels(next, next.metadata!.name!, ordinal);
        consistent = false;
      }
      if (!storageMatches(set, next)) await this.createClaims(set, next);
      if (!this.claimsMatchRetentionPolicy(set, next)) {
        await this.updateClaimsForRetention(set, next);
      }
      if (consistent) return;
      try {
        await this.client.pods(set.metadata!.namespace!).update(next);
        this.recordPodEvent('update', set, next);
        return;
      } catch (err) {
        if (isConflict(err) && attempt < 4) {
          current = await this.client.pods(set.metadata!.namespace!).get(pod.metadata!.name!);
          continue;
        }
        this.recordPodEvent('update', set, next, err);
        throw err;
      }
    }
  }
}

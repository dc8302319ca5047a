/**
 * Claiming children (Kubernetes' ControllerRefManager): an owner adopts orphans that match its
 * selector — only while it is not being deleted, confirmed by an uncached read — and releases the
 * children it controls that no longer match. Children controlled by someone else are ignored.
 * Adoption and release are strategic-merge patches carrying the child's UID as a precondition.
 */
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import type { KubeObject } from '../../api/object.js';
import { controllerRef } from '../../api/object.js';
import { isNotFound, isConflict } from '../../api/errors.js';
import type { ResourceClient } from '../../client/resource-client.js';
import type { ObjectLike } from '../../client/types.js';

export interface OwnerInfo {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  deletionTimestamp?: string;
}

export function ownerOf(obj: KubeObject, apiVersion: string, kind: string): OwnerInfo {
  return {
    apiVersion,
    kind,
    name: obj.metadata?.name ?? '',
    uid: obj.metadata?.uid ?? '',
    ...(obj.metadata?.deletionTimestamp ? { deletionTimestamp: obj.metadata.deletionTimestamp } : {}),
  };
}

/** The controller ownerReference a child of `owner` carries. */
export function newControllerRef(owner: OwnerInfo): OwnerReference {
  return { apiVersion: owner.apiVersion, kind: owner.kind, name: owner.name, uid: owner.uid, controller: true, blockOwnerDeletion: true };
}

export interface ClaimOptions<T extends ObjectLike> {
  owner: OwnerInfo;
  /** All candidate children in the owner's namespace (from the informer cache). */
  candidates: readonly T[];
  matches: (child: T) => boolean;
  /** Client for the child resource, scoped to the owner's namespace. */
  children: ResourceClient<T>;
  /** Re-reads the owner from the API (uncached) before adopting; undefined if gone. */
  recheckOwner: () => Promise<KubeObject | undefined>;
  /** Extra condition for adoption (e.g. Jobs never adopt finished pods). */
  canAdopt?: (child: T) => boolean;
  /**
   * Finalizers an adopted child gets and a released child loses, in the same patch as the
   * ownerReference (Kubernetes' PodControllerRefManager finalizers: the Job controller's
   * `batch.kubernetes.io/job-tracking`).
   */
  finalizers?: readonly string[];
}

/**
 * Returns the children the owner controls after adoption/release. Errors on individual children
 * (already adopted by someone else, gone) are skipped; other errors propagate for a retry.
 */
export async function claimChildren<T extends ObjectLike>(o: ClaimOptions<T>): Promise<T[]> {
  const claimed: T[] = [];
  let ownerChecked: boolean | undefined;
  const ownerStillValid = async () => {
    if (ownerChecked === undefined) {
      const fresh = await o.recheckOwner();
      ownerChecked = !!fresh && fresh.metadata?.uid === o.owner.uid && !fresh.metadata?.deletionTimestamp;
    }
    return ownerChecked;
  };
  for (const child of o.candidates) {
    const ref = controllerRef(child as unknown as KubeObject);
    if (ref) {
      if (ref.uid !== o.owner.uid) continue;
      if (o.matches(child)) {
        claimed.push(child);
        continue;
      }
      // Owned but no longer matching: release, unless the owner is going away anyway.
      if (o.owner.deletionTimestamp) continue;
      await release(o, child);
      continue;
    }
    if (!o.matches(child) || o.owner.deletionTimestamp || child.metadata?.deletionTimestamp) continue;
    if (o.canAdopt && !o.canAdopt(child)) continue;
    if (!(await ownerStillValid())) continue;
    const adopted = await adopt(o, child);
    if (adopted) claimed.push(adopted);
  }
  return claimed;
}

async function adopt<T extends ObjectLike>(o: ClaimOptions<T>, child: T): Promise<T | undefined> {
  const extra = o.finalizers?.length ? { finalizers: [...o.finalizers] } : {};
  const patch = { metadata: { ownerReferences: [newControllerRef(o.owner)], uid: child.metadata?.uid, ...extra } };
  try {
    return await o.children.patch(child.metadata!.name!, 'strategic', patch);
  } catch (err) {
    if (isNotFound(err) || isConflict(err) || (err as { code?: number }).code === 422) return undefined;
    throw err;
  }
}

async function release<T extends ObjectLike>(o: ClaimOptions<T>, child: T): Promise<void> {
  const extra = o.finalizers?.length ? { '$deleteFromPrimitiveList/finalizers': [...o.finalizers] } : {};
  const patch = { metadata: { ownerReferences: [{ $patch: 'delete', uid: o.owner.uid }], uid: child.metadata?.uid, ...extra } };
  try {
    await o.children.patch(child.metadata!.name!, 'strategic', patch);
  } catch (err) {
    if (isNotFound(err) || isConflict(err) || (err as { code?: number }).code === 422) return;
    throw err;
  }
}

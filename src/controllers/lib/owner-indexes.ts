/**
 * Informer indexes controllers share to find their children without scanning a namespace:
 * children by the UID of their controller owner, and orphans (no controller owner) by namespace.
 *
 * Kubernetes' controllers list every pod of the namespace and then claim (adopt, release, ignore).
 * Only two groups can ever be claimed by an owner — the children it already controls and the
 * orphans it might adopt — so reading those two index entries gives the same claims at a cost
 * proportional to the owner's own children, which matters with 100k pods in one namespace.
 *
 * Every controller registers the same functions under the same names (an informer refuses one
 * name with two functions), so share these constants rather than defining look-alikes.
 */
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import type { IndexFunc, Lister } from '../../client/indexer.js';
import { indexByControllerUid } from '../../client/indexer.js';
import type { ObjectLike } from '../../client/types.js';

/** Index name: children by their controller owner's UID. */
export const CONTROLLER_UID_INDEX = 'controllerUid';
/** Index name: objects without a controller owner, by namespace. */
export const ORPHANS_BY_NAMESPACE_INDEX = 'orphansByNamespace';

/** The ownerReference with `controller: true` (metav1.GetControllerOf), for typed objects too. */
export function controllerOf(obj: ObjectLike): OwnerReference | undefined {
  return obj.metadata?.ownerReferences?.find((r) => r.controller === true);
}

/** Objects without an ownerReference marked `controller: true`, indexed by their namespace. */
export const indexOrphansByNamespace: IndexFunc<ObjectLike> = (obj) => {
  if (controllerOf(obj)) return [];
  return [obj.metadata?.namespace ?? ''];
};

/** The indexers to pass to `informers.pods({ indexers })` (or any child kind's informer). */
export const OWNER_INDEXERS: Record<string, IndexFunc<ObjectLike>> = {
  [CONTROLLER_UID_INDEX]: indexByControllerUid,
  [ORPHANS_BY_NAMESPACE_INDEX]: indexOrphansByNamespace,
};

/** Children controlled by the owner with `uid`. */
export function controlledBy<T extends ObjectLike>(lister: Lister<T>, uid: string): T[] {
  return lister.byIndex(CONTROLLER_UID_INDEX, uid);
}

/**
 * The candidates an owner may claim: the children it controls plus the orphans of its namespace.
 * (Children whose controller is someone else are never claimed, so they are never read.)
 */
export function claimCandidates<T extends ObjectLike>(lister: Lister<T>, namespace: string, uid: string): T[] {
  const owned = lister.byIndex(CONTROLLER_UID_INDEX, uid);
  const orphans = lister.byIndex(ORPHANS_BY_NAMESPACE_INDEX, namespace);
  return orphans.length === 0 ? owned : owned.concat(orphans);
}

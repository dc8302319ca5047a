/**
 * The garbage collector's API calls (Kubernetes' operations.go and patch.go): uncached GETs by
 * identity, deletes with UID and resourceVersion preconditions, ownerReference patches that carry
 * the dependent's UID, and finalizer removal with a resourceVersion precondition.
 */
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import type { KubeObject } from '../../api/object.js';
import { findResourceByKind } from '../../api/resources.js';
import { isConflict, isNotFound } from '../../api/errors.js';
import type { Client } from '../../client/client.js';
import type { ResourceClient } from '../../client/resource-client.js';
import { retryOnConflict } from '../../client/retry-on-conflict.js';
import type { ObjectIdentity } from './graph.js';
import { formatIdentity } from './graph.js';

export type Propagation = 'Background' | 'Foreground' | 'Orphan';

/** The reference names a kind this server does not serve (Kubernetes' restMappingError): retried with back-off. */
export class RestMappingError extends Error {
  constructor(apiVersion: string, kind: string) {
    super(`unable to get REST mapping for ${apiVersion}/${kind}.`);
    this.name = 'RestMappingError';
  }
}

/** A cluster-scoped object names a namespaced owner: unresolvable, never retried (Kubernetes 1.20+). */
export class NamespacedOwnerOfClusterScopedError extends Error {
  constructor() {
    super('cluster-scoped objects cannot refer to namespaced owners');
    this.name = 'NamespacedOwnerOfClusterScopedError';
  }
}

export interface ResolvedKind {
  namespaced: boolean;
  client: ResourceClient<KubeObject>;
}

/** Maps apiVersion/kind to a resource client, scoped to `namespace` when the kind is namespaced. */
export function resolveKind(client: Client, apiVersion: string, kind: string, namespace: string): ResolvedKind {
  const info = findResourceByKind(apiVersion, kind);
  if (!info) throw new RestMappingError(apiVersion, kind);
  if (info.namespaced && !namespace) throw new NamespacedOwnerOfClusterScopedError();
  const rc = client.resource<KubeObject>(info);
  return { namespaced: info.namespaced, client: info.namespaced ? rc.namespace(namespace) : rc };
}

/** An uncached GET of the object at `id` (its UID may differ: the caller compares). */
export function getObject(client: Client, id: ObjectIdentity): Promise<KubeObject> {
  return resolveKind(client, id.apiVersion, id.kind, id.namespace).client.get(id.name);
}

function sameOwnerReferences(a: readonly OwnerReference[] | undefined, b: readonly OwnerReference[] | undefined): boolean {
  return JSON.stringify(a ?? []) === JSON.stringify(b ?? []);
}

/**
 * Deletes `id` with a UID precondition and, when given, the resourceVersion the decision was made
 * at. On a resourceVersion conflict the object is re-read: gone or replaced counts as done; if
 * only unrelated fields changed (same ownerReferences) the delete is retried without the
 * resourceVersion; if the references changed, the conflict stands and the item is retried.
 */
export async function deleteObject(client: Client, id: ObjectIdentity, resourceVersion: string | undefined, ownersAtVersion: readonly OwnerReference[] | undefined, policy: Propagation): Promise<void> {
  const rc = resolveKind(client, id.apiVersion, id.kind, id.namespace).client;
  try {
    await rc.delete(id.name, { preconditions: { uid: id.uid, ...(resourceVersion ? { resourceVersion } : {}) }, propagationPolicy: policy });
  } catch (err) {
    if (isNotFound(err)) return;
    if (!isConflict(err) || !resourceVersion) throw err;
    let live: KubeObject;
    try {
      live = await rc.get(id.name);
    } catch (getErr) {
      if (isNotFound(getErr)) return;
      throw err;
    }
    if (live.metadata?.uid !== id.uid) return;
    if (sameOwnerReferences(live.metadata?.ownerReferences, ownersAtVersion)) {
      await deleteObject(client, id, undefined, undefined, policy);
      return;
    }
    throw new Error(`ownerReferences of ${formatIdentity(id)} changed since resourceVersion ${resourceVersion}; will re-check`, { cause: err });
  }
}

/**
 * Removes the references to `ownerUids` from `id` with a strategic-merge patch keyed by UID. The
 * dependent's own UID rides in the patch: if the name now holds another object the patch fails
 * (metadata.uid is immutable) instead of editing it.
 */
export async function removeOwnerReferences(client: Client, id: ObjectIdentity, ownerUids: readonly string[]): Promise<void> {
  const patch = { metadata: { ownerReferences: ownerUids.map((uid) => ({ $patch: 'delete', uid })), uid: id.uid } };
  await resolveKind(client, id.apiVersion, id.kind, id.namespace).client.patch(id.name, 'strategic', patch);
}

/** Sets blockOwnerDeletion: false on every blocking reference of `id` (breaks foreground-deletion cycles). */
export async function unblockOwnerReferences(client: Client, id: ObjectIdentity, owners: readonly OwnerReference[]): Promise<void> {
  const blocking = owners.filter((r) => r.blockOwnerDeletion === true).map((r) => ({ ...r, blockOwnerDeletion: false }));
  if (blocking.length === 0) return;
  const patch = { metadata: { ownerReferences: blocking, uid: id.uid } };
  await resolveKind(client, id.apiVersion, id.kind, id.namespace).client.patch(id.name, 'strategic', patch);
}

/**
 * Removes `finalizer` from `id`: read, then a merge patch of the remaining list pinned to the
 * resourceVersion read, retried on conflict. Gone, or the finalizer already gone: nothing to do.
 * The API server deletes the object once its last finalizer goes.
 */
export async function removeFinalizer(client: Client, id: ObjectIdentity, finalizer: string): Promise<void> {
  const rc = resolveKind(client, id.apiVersion, id.kind, id.namespace).client;
  await retryOnConflict(async () => {
    let obj: KubeObject;
    try {
      obj = await rc.get(id.name);
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    if (obj.metadata?.uid !== id.uid) return;
    const finalizers = obj.metadata?.finalizers ?? [];
    if (!finalizers.includes(finalizer)) return;
    const rest = finalizers.filter((f) => f !== finalizer);
    try {
      await rc.patch(id.name, 'merge', { metadata: { resourceVersion: obj.metadata?.resourceVersion, finalizers: rest.length > 0 ? rest : null } });
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
  });
}

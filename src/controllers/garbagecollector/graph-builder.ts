/**
 * Builds and maintains the dependency graph from informer events (Kubernetes' GraphBuilder,
 * pkg/controller/garbagecollector/graph_builder.go), and decides which nodes need attention:
 *
 * - `attemptToDelete(uid)`: a dependent whose owner disappeared, a virtual owner to verify, an
 *   owner deleting in the foreground (and its dependents), a dependent whose references look wrong;
 * - `attemptToOrphan(uid)`: an owner whose deletion started with the `orphan` finalizer.
 *
 * Everything here is synchronous and in memory — informer handlers call it directly (they never
 * do I/O), and so do workers for *virtual* delete events (an uncached GET proved an object gone).
 * Node.js runs one handler at a time, so graph changes are serialised exactly like Kubernetes'
 * single processGraphChanges goroutine. The graph is rebuilt from the informers' initial lists
 * after a restart: an owner with the orphan or foregroundDeletion finalizer is picked up again
 * because its first observation counts as the start of that deletion.
 */
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import type { ObjectLike } from '../../client/types.js';
import { AbsentOwnerCache } from './absent-owner-cache.js';
import type { ObjectIdentity } from './graph.js';
import { GraphNode, alternateOwnerIdentity, formatIdentity, partitionDependents, referenceMatches, sameIdentity } from './graph.js';

export const FINALIZER_ORPHAN = 'orphan';
export const FINALIZER_FOREGROUND = 'foregroundDeletion';

/** What the graph builder asks of the collector. All calls are synchronous and must not do I/O. */
export interface GraphHooks {
  attemptToDelete(uid: string): void;
  /** Queues with the queue's per-key back-off (a virtual node switching to another identity). */
  attemptToDeleteRateLimited(uid: string): void;
  attemptToOrphan(uid: string): void;
  /** A dependent references a namespaced owner that lives in another namespace (Warning OwnerRefInvalidNamespace). */
  reportInvalidNamespaceOwnerRef(dependent: GraphNode, ref: OwnerReference, message: string): void;
}

/** The resource an informer event came from (its apiVersion and kind name every node it makes). */
export interface EventSource {
  apiVersion: string;
  kind: string;
}

function beingDeleted(obj: ObjectLike | undefined): boolean {
  return !!obj?.metadata?.deletionTimestamp;
}

function hasFinalizer(obj: ObjectLike | undefined, finalizer: string): boolean {
  return obj?.metadata?.finalizers?.includes(finalizer) ?? false;
}

/** The deletion of `obj` has just started with `finalizer` (deletionStartsWithFinalizer). */
function deletionStartsWithFinalizer(oldObj: ObjectLike | undefined, obj: ObjectLike, finalizer: string): boolean {
  if (!beingDeleted(obj) || !hasFinalizer(obj, finalizer)) return false;
  if (!oldObj) return true;
  return !beingDeleted(oldObj) || !hasFinalizer(oldObj, finalizer);
}

export function identityOf(source: EventSource, obj: ObjectLike): ObjectIdentity {
  const m = obj.metadata ?? {};
  return { apiVersion: source.apiVersion, kind: source.kind, name: m.name ?? '', uid: m.uid ?? '', namespace: m.namespace ?? '' };
}

export class GraphBuilder {
  private readonly nodes = new Map<string, GraphNode>();
  readonly absentOwnerCache: AbsentOwnerCache;

  constructor(
    private readonly hooks: GraphHooks,
    opts: { absentOwnerCache?: AbsentOwnerCache } = {},
  ) {
    this.absentOwnerCache = opts.absentOwnerCache ?? new AbsentOwnerCache();
  }

  node(uid: string): GraphNode | undefined {
    return this.nodes.get(uid);
  }

  get size(): number {
    return this.nodes.size;
  }

  /** An informer add or update (`oldObj` is the previous state for updates). */
  observe(source: EventSource, obj: ObjectLike, oldObj?: ObjectLike): void {
    const uid = obj.metadata?.uid;
    if (!uid) return;
    let node = this.nodes.get(uid);
    if (node && !node.observed) this.observeVirtual(node, identityOf(source, obj));
    if (!node) {
      node = new GraphNode(identityOf(source, obj), { observed: true });
      node.owners = obj.metadata?.ownerReferences ?? [];
      node.beingDeleted = beingDeleted(obj);
      node.deletingDependents = node.beingDeleted && hasFinalizer(obj, FINALIZER_FOREGROUND);
      this.nodes.set(uid, node);
      this.addDependentToOwners(node, node.owners);
      // An informer can fold a creation and the start of a deletion into one event.
      this.processTransitions(oldObj, obj, node);
      return;
    }
    const owners = obj.metadata?.ownerReferences ?? [];
    if (owners !== node.owners) {
      const { added, removed, changed } = referencesDiff(node.owners, owners);
      if (added.length > 0 || removed.length > 0 || changed.length > 0) {
        this.addUnblockedOwnersToDeleteQueue(removed, changed);
        node.owners = owners;
        this.addDependentToOwners(node, added);
        this.removeDependentFromOwners(node, removed);
      } else {
        node.owners = owners;
      }
    }
    if (beingDeleted(obj)) node.beingDeleted = true;
    this.processTransitions(oldObj, obj, node);
  }

  /** An informer delete. */
  observeDelete(source: EventSource, obj: ObjectLike): void {
    const uid = obj.metadata?.uid;
    if (!uid) return;
    const node = this.nodes.get(uid);
    if (!node) return;
    this.removeAndNotify(node, identityOf(source, obj));
  }

  /**
   * An uncached GET proved `identity` absent (404, or another UID under those coordinates): the
   * virtual delete event of Kubernetes' attemptToDeleteItem. A node observed under different
   * coordinates stays; so does a virtual node some dependents know under other coordinates.
   */
  virtualDelete(identity: ObjectIdentity): void {
    const node = this.nodes.get(identity.uid);
    if (!node) return;
    let remove = true;
    if (!node.observed) {
      const { matching, nonMatching } = partitionDependents(node.dependents, identity);
      if (nonMatching.length > 0) {
        // Some dependents disagree on who this owner is: keep the node for them.
        remove = false;
        if (matching.length > 0) {
          this.absentOwnerCache.add(identity);
          for (const dep of matching) this.hooks.attemptToDelete(dep.uid);
        }
        if (sameIdentity(node.identity, identity)) {
          const alternate = alternateOwnerIdentity(nonMatching, identity);
          if (alternate) {
            node.identity = alternate;
            this.hooks.attemptToDeleteRateLimited(node.uid);
          }
        }
      }
    } else if (!sameIdentity(node.identity, identity)) {
      // The real object exists under other coordinates: only references naming the absent ones dangle.
      remove = false;
      const { matching } = partitionDependents(node.dependents, identity);
      if (matching.length > 0) {
        this.absentOwnerCache.add(identity);
        for (const dep of matching) this.hooks.attemptToDelete(dep.uid);
      }
    }
    if (remove) this.removeAndNotify(node, identity);
  }

  private removeAndNotify(node: GraphNode, identity: ObjectIdentity): void {
    this.nodes.delete(node.uid);
    this.removeDependentFromOwners(node, node.owners);
    if (node.dependents.size > 0) this.absentOwnerCache.add(identity);
    for (const dep of node.dependents) this.hooks.attemptToDelete(dep.uid);
    for (const ref of node.owners) {
      // An owner deleting in the foreground may have been waiting for exactly this dependent.
      const owner = this.nodes.get(ref.uid);
      if (owner?.deletingDependents) this.hooks.attemptToDelete(owner.uid);
    }
  }

  /** A virtual node is seen for real: adopt the observed coordinates and re-check dependents that named others. */
  private observeVirtual(node: GraphNode, observed: ObjectIdentity): void {
    if (!sameIdentity(observed, node.identity)) {
      const { nonMatching } = partitionDependents(node.dependents, observed);
      for (const dep of nonMatching) {
        if (observed.namespace !== '' && dep.identity.namespace !== observed.namespace) {
          this.reportInvalidNamespace(dep, observed.uid);
        }
        this.hooks.attemptToDelete(dep.uid);
      }
      node.identity = observed;
    }
    node.observed = true;
  }

  private addDependentToOwners(node: GraphNode, refs: readonly OwnerReference[]): void {
    let suspicious = false;
    for (const ref of refs) {
      let owner = this.nodes.get(ref.uid);
      if (!owner) {
        // An owner not seen yet: a virtual node, verified by an uncached GET in attemptToDelete.
        owner = new GraphNode({ apiVersion: ref.apiVersion, kind: ref.kind, name: ref.name, uid: ref.uid, namespace: node.identity.namespace }, { observed: false });
        this.nodes.set(ref.uid, owner);
        owner.dependents.add(node);
        this.hooks.attemptToDelete(owner.uid);
        continue;
      }
      owner.dependents.add(node);
      if (suspicious) continue;
      const ownerIsNamespaced = owner.identity.namespace !== '';
      if (ownerIsNamespaced && owner.identity.namespace !== node.identity.namespace) {
        // A namespaced owner in another namespace: certainly invalid once the owner is observed.
        if (owner.observed) this.reportInvalidNamespace(node, ref.uid);
        suspicious = true;
      } else if (!referenceMatches(ref, owner.identity)) {
        suspicious = true;
      } else if (!ownerIsNamespaced && owner.identity.namespace !== node.identity.namespace && !owner.observed) {
        // A virtual cluster-scoped owner known from elsewhere: possibly a namespaced kind
        // referenced by a cluster-scoped child (kubernetes#98040); verify the references.
        suspicious = true;
      }
    }
    // The collector verifies each reference with uncached GETs and deletes only if all dangle.
    if (suspicious) this.hooks.attemptToDelete(node.uid);
  }

  private removeDependentFromOwners(node: GraphNode, refs: readonly OwnerReference[]): void {
    for (const ref of refs) this.nodes.get(ref.uid)?.dependents.delete(node);
  }

  /** Owners waiting in the foreground for a dependent that just stopped blocking them. */
  private addUnblockedOwnersToDeleteQueue(removed: OwnerReference[], changed: Array<{ oldRef: OwnerReference; newRef: OwnerReference }>): void {
    for (const ref of removed) {
      if (ref.blockOwnerDeletion !== true) continue;
      const owner = this.nodes.get(ref.uid);
      if (owner) this.hooks.attemptToDelete(owner.uid);
    }
    for (const { oldRef, newRef } of changed) {
      if (oldRef.blockOwnerDeletion === true && newRef.blockOwnerDeletion !== true) {
        const owner = this.nodes.get(newRef.uid);
        if (owner) this.hooks.attemptToDelete(owner.uid);
      }
    }
  }

  private processTransitions(oldObj: ObjectLike | undefined, obj: ObjectLike, node: GraphNode): void {
    if (deletionStartsWithFinalizer(oldObj, obj, FINALIZER_ORPHAN)) {
      this.hooks.attemptToOrphan(node.uid);
      return;
    }
    if (deletionStartsWithFinalizer(oldObj, obj, FINALIZER_FOREGROUND)) {
      node.deletingDependents = true;
      for (const dep of node.dependents) this.hooks.attemptToDelete(dep.uid);
      this.hooks.attemptToDelete(node.uid);
    }
  }

  private reportInvalidNamespace(dependent: GraphNode, ownerUid: string): void {
    const ref = dependent.owners.find((r) => r.uid === ownerUid);
    if (!ref) return;
    const claimed: ObjectIdentity = { apiVersion: ref.apiVersion, kind: ref.kind, name: ref.name, uid: ref.uid, namespace: dependent.identity.namespace };
    this.hooks.reportInvalidNamespaceOwnerRef(
      dependent,
      ref,
      `ownerRef ${formatIdentity(claimed)} does not exist in namespace ${JSON.stringify(dependent.identity.namespace)}`,
    );
  }
}

/** Owner references added, removed, or changed (same UID, other fields) between two lists (referencesDiffs). */
export function referencesDiff(
  oldRefs: readonly OwnerReference[],
  newRefs: readonly OwnerReference[],
): { added: OwnerReference[]; removed: OwnerReference[]; changed: Array<{ oldRef: OwnerReference; newRef: OwnerReference }> } {
  const oldByUid = new Map<string, OwnerReference>();
  for (const r of oldRefs) oldByUid.set(r.uid, r);
  const added: OwnerReference[] = [];
  const changed: Array<{ oldRef: OwnerReference; newRef: OwnerReference }> = [];
  for (const r of newRefs) {
    const old = oldByUid.get(r.uid);
    if (!old) {
      added.push(r);
      continue;
    }
    oldByUid.delete(r.uid);
    if (!sameReference(old, r)) changed.push({ oldRef: old, newRef: r });
  }
  return { added, removed: [...oldByUid.values()], changed };
}

function sameReference(a: OwnerReference, b: OwnerReference): boolean {
  return (
    a.apiVersion === b.apiVersion &&
    a.kind === b.kind &&
    a.name === b.name &&
    a.uid === b.uid &&
    (a.controller ?? null) === (b.controller ?? null) &&
    (a.blockOwnerDeletion ?? null) === (b.blockOwnerDeletion ?? null)
  );
}

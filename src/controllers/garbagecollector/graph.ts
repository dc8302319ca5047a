/**
 * The garbage collector's dependency graph (Kubernetes' pkg/controller/garbagecollector/graph.go):
 * one node per object the collector has seen — or, for an owner it has not seen yet, a *virtual*
 * node made up from a dependent's ownerReference — with edges from each owner to its dependents.
 *
 * An identity is the full coordinates (apiVersion, kind, namespace, name, uid), never the UID
 * alone: an ownerReference carries no namespace, so a namespaced owner is looked for in its
 * dependent's namespace, and a reference whose coordinates disagree with the object observed
 * under that UID is a different (absent) owner.
 */
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';

/** Where an object is: Kubernetes' objectReference (OwnerReference coordinates + namespace). */
export interface ObjectIdentity {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  /** '' for cluster-scoped objects. */
  namespace: string;
}

/** `[apps/v1/ReplicaSet, namespace: default, name: web, uid: …]`, Kubernetes' objectReference.String(). */
export function formatIdentity(id: ObjectIdentity): string {
  return `[${id.apiVersion}/${id.kind}, namespace: ${id.namespace}, name: ${id.name}, uid: ${id.uid}]`;
}

/** A map key for an identity (the absent-owner cache and de-duplication use it). */
export function identityKey(id: ObjectIdentity): string {
  return `${id.apiVersion}\u0000${id.kind}\u0000${id.namespace}\u0000${id.name}\u0000${id.uid}`;
}

export function sameIdentity(a: ObjectIdentity, b: ObjectIdentity): boolean {
  return a.uid === b.uid && a.name === b.name && a.kind === b.kind && a.apiVersion === b.apiVersion && a.namespace === b.namespace;
}

/** The identity an ownerReference names when read from a dependent in `namespace`. */
export function identityOfReference(ref: OwnerReference, namespace: string): ObjectIdentity {
  return { apiVersion: ref.apiVersion, kind: ref.kind, name: ref.name, uid: ref.uid, namespace };
}

/** Whether a reference names exactly these coordinates (ownerReferenceMatchesCoordinates). */
export function referenceMatches(ref: OwnerReference, id: ObjectIdentity): boolean {
  return ref.uid === id.uid && ref.name === id.name && ref.kind === id.kind && ref.apiVersion === id.apiVersion;
}

/** One object (or a presumed owner) in the graph. Only the graph builder mutates nodes. */
export class GraphNode {
  /** Objects whose ownerReferences name this node's UID. */
  readonly dependents = new Set<GraphNode>();
  /** The object's ownerReferences as last observed (empty for virtual nodes). */
  owners: readonly OwnerReference[] = [];
  /** False for a virtual node: known only from a dependent's reference, not (yet) from an informer. */
  observed: boolean;
  /** The object has a deletionTimestamp. */
  beingDeleted = false;
  /** Being deleted in the foreground: waits for its blocking dependents to go. */
  deletingDependents = false;

  constructor(
    public identity: ObjectIdentity,
    opts: { observed: boolean },
  ) {
    this.observed = opts.observed;
  }

  get uid(): string {
    return this.identity.uid;
  }

  /** Dependents whose reference to this node has blockOwnerDeletion: true (they hold a foreground deletion). */
  blockingDependents(): GraphNode[] {
    const out: GraphNode[] = [];
    for (const dep of this.dependents) {
      for (const ref of dep.owners) {
        if (ref.uid === this.uid && ref.blockOwnerDeletion === true) {
          out.push(dep);
          break;
        }
      }
    }
    return out;
  }

  toString(): string {
    return formatIdentity(this.identity);
  }
}

/**
 * Splits dependents into those whose reference to `owner.uid` matches its coordinates and those
 * that disagree (wrong name/kind/apiVersion, or another namespace for a namespaced owner). A
 * dependent with two references to the same UID can be in both (partitionDependents).
 */
export function partitionDependents(dependents: Iterable<GraphNode>, owner: ObjectIdentity): { matching: GraphNode[]; nonMatching: GraphNode[] } {
  const matching: GraphNode[] = [];
  const nonMatching: GraphNode[] = [];
  const ownerIsNamespaced = owner.namespace !== '';
  for (const dep of dependents) {
    let match = false;
    let mismatch = false;
    if (ownerIsNamespaced && dep.identity.namespace !== owner.namespace) {
      // A namespaced owner can only own objects of its own namespace.
      mismatch = true;
    } else {
      for (const ref of dep.owners) {
        if (ref.uid !== owner.uid) continue;
        if (referenceMatches(ref, owner)) match = true;
        else mismatch = true;
      }
    }
    if (match) matching.push(dep);
    if (mismatch) nonMatching.push(dep);
  }
  return { matching, nonMatching };
}

function compareIdentities(a: ObjectIdentity, b: ObjectIdentity): number {
  for (const k of ['kind', 'apiVersion', 'namespace', 'name', 'uid'] as const) {
    if (a[k] !== b[k]) return a[k] < b[k] ? -1 : 1;
  }
  return 0;
}

/**
 * Another identity the dependents use for a UID whose identity `absent` was verified absent
 * (getAlternateOwnerIdentity): the first alternate that sorts after `absent`, else the first one,
 * so that a virtual node cycles through every candidate and each is checked once.
 */
export function alternateOwnerIdentity(dependents: Iterable<GraphNode>, absent: ObjectIdentity): ObjectIdentity | undefined {
  const absentIsClusterScoped = absent.namespace === '';
  const seen = new Set<string>([identityKey(absent)]);
  const candidates: ObjectIdentity[] = [];
  for (const dep of dependents) {
    for (const ref of dep.owners) {
      if (ref.uid !== absent.uid) continue;
      if (referenceMatches(ref, absent) && (absentIsClusterScoped || absent.namespace === dep.identity.namespace)) continue;
      const id = identityOfReference(ref, dep.identity.namespace);
      // The absent identity proved this apiVersion/kind cluster-scoped: no namespace for it.
      if (absentIsClusterScoped && id.apiVersion === absent.apiVersion && id.kind === absent.kind) id.namespace = '';
      const key = identityKey(id);
      if (seen.has(key)) continue;
      seen.add(key);
      candidates.push(id);
    }
  }
  if (candidates.length === 0) return undefined;
  candidates.sort(compareIdentities);
  return candidates.find((c) => compareIdentities(c, absent) > 0) ?? candidates[0];
}

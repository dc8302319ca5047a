/**
 * persistentVolumeClaimRetentionPolicy through ownerReferences (Kubernetes' stateful_set_utils.go,
 * StatefulSetAutoDeletePVC): the controller never deletes claims itself; it makes the set or the
 * pod their controller so the garbage collector does:
 *
 *   whenScaled Retain, whenDeleted Retain  → no owner reference
 *   whenScaled Retain, whenDeleted Delete  → owned by the set
 *   whenScaled Delete, whenDeleted Retain  → owned by the pod once it is scaled away
 *   whenScaled Delete, whenDeleted Delete  → owned by the set, or by the pod once it is scaled away
 *
 * Claims carrying a reference to an earlier set or pod of the same name (a stale UID), or
 * controlled by something else, are left alone.
 */
import type { StatefulSet } from 'kubernetes-types/apps/v1.js';
import type { PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1.js';
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import { inOrdinalRange } from './stateful-set-utils.js';

type Policy = 'Retain' | 'Delete';

export interface RetentionPolicy {
  whenDeleted: Policy;
  whenScaled: Policy;
}

export function retentionPolicy(set: StatefulSet): RetentionPolicy {
  const p = set.spec?.persistentVolumeClaimRetentionPolicy;
  return { whenDeleted: p?.whenDeleted === 'Delete' ? 'Delete' : 'Retain', whenScaled: p?.whenScaled === 'Delete' ? 'Delete' : 'Retain' };
}

interface Target {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
}

export function setTarget(set: StatefulSet): Target {
  return { apiVersion: 'apps/v1', kind: 'StatefulSet', name: set.metadata?.name ?? '', uid: set.metadata?.uid ?? '' };
}

export function podTarget(pod: Pod): Target {
  return { apiVersion: 'v1', kind: 'Pod', name: pod.metadata?.name ?? '', uid: pod.metadata?.uid ?? '' };
}

/** matchesRef: the reference names this kind and name (whatever the UID). */
function matchesRef(ref: OwnerReference, t: Target): boolean {
  return ref.apiVersion === t.apiVersion && ref.kind === t.kind && ref.name === t.name;
}

function hasOwnerRef(claim: PersistentVolumeClaim, t: Target): boolean {
  return (claim.metadata?.ownerReferences ?? []).some((r) => r.uid === t.uid);
}

/** hasStaleOwnerRef: a reference to this kind and name but another UID (an earlier incarnation). */
export function hasStaleOwnerRef(claim: PersistentVolumeClaim, t: Target): boolean {
  for (const r of claim.metadata?.ownerReferences ?? []) if (matchesRef(r, t)) return r.uid !== t.uid;
  return false;
}

/** hasUnexpectedController: under a Delete policy, a controller other than this set or pod. */
export function hasUnexpectedController(claim: PersistentVolumeClaim, set: StatefulSet, pod: Pod): boolean {
  const policy = retentionPolicy(set);
  if (policy.whenScaled === 'Retain' && policy.whenDeleted === 'Retain') return false;
  const s = setTarget(set);
  const p = podTarget(pod);
  for (const r of claim.metadata?.ownerReferences ?? []) {
    if (matchesRef(r, s)) {
      if (r.uid !== s.uid) return true;
      continue;
    }
    if (matchesRef(r, p)) {
      if (r.uid !== p.uid) return true;
      continue;
    }
    if (r.controller === true) return true;
  }
  return false;
}

function hasNonControllerOwner(claim: PersistentVolumeClaim, set: StatefulSet, pod: Pod): boolean {
  return (claim.metadata?.ownerReferences ?? []).some((r) => (r.uid === set.metadata?.uid || r.uid === pod.metadata?.uid) && r.controller !== true);
}

/** isClaimOwnerUpToDate: whether the claim's references already follow the policy. */
export function isClaimOwnerUpToDate(claim: PersistentVolumeClaim, set: StatefulSet, pod: Pod): boolean {
  const s = setTarget(set);
  const p = podTarget(pod);
  if (hasStaleOwnerRef(claim, s) || hasStaleOwnerRef(claim, p)) return true;
  if (hasUnexpectedController(claim, set, pod)) return !(hasOwnerRef(claim, s) || hasOwnerRef(claim, p));
  if (hasNonControllerOwner(claim, set, pod)) return false;
  const policy = retentionPolicy(set);
  const scaledDown = !inOrdinalRange(pod, set);
  if (policy.whenScaled === 'Retain' && policy.whenDeleted === 'Retain') return !hasOwnerRef(claim, s) && !hasOwnerRef(claim, p);
  if (policy.whenScaled === 'Retain') return hasOwnerRef(claim, s) && !hasOwnerRef(claim, p);
  if (policy.whenDeleted === 'Retain') return !hasOwnerRef(claim, s) && scaledDown === hasOwnerRef(claim, p);
  return scaledDown !== hasOwnerRef(claim, s) && scaledDown === hasOwnerRef(claim, p);
}

function controllerRefTo(t: Target): OwnerReference {
  return { apiVersion: t.apiVersion, kind: t.kind, name: t.name, uid: t.uid, controller: true, blockOwnerDeletion: true };
}

/**
 * updateClaimOwnerRefForSetAndPod: the claim's ownerReferences rewritten for the policy (our set
 * and pod references removed, then the ones the policy wants added back as controllers).
 */
export function ownerRefsForPolicy(claim: PersistentVolumeClaim, set: StatefulSet, pod: Pod): OwnerReference[] {
  const s = setTarget(set);
  const p = podTarget(pod);
  const unexpected = hasUnexpectedController(claim, set, pod);
  const refs = (claim.metadata?.ownerReferences ?? []).filter((r) => !matchesRef(r, s) && !matchesRef(r, p));
  if (unexpected) return refs;
  const policy = retentionPolicy(set);
  const scaledDown = !inOrdinalRange(pod, set);
  const add = (t: Target) => {
    if (!refs.some((r) => r.uid === t.uid)) refs.push(controllerRefTo(t));
  };
  if (policy.whenScaled === 'Retain' && policy.whenDeleted === 'Delete') add(s);
  else if (policy.whenScaled === 'Delete' && policy.whenDeleted === 'Retain') {
    if (scaledDown) add(p);
  } else if (policy.whenScaled === 'Delete' && policy.whenDeleted === 'Delete') add(scaledDown ? p : s);
  return refs;
}

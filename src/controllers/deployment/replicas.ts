/**
 * Replica arithmetic of a rollout (Kubernetes' deployment/util): surge and unavailability budgets,
 * how far the new ReplicaSet may grow, proportional shares when a deployment is resized mid-
 * rollout, and the orders ReplicaSets are visited in.
 */
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import { maxReplicasAnnotation, desiredReplicasAnnotation } from './annotations.js';

/** spec.replicas of a deployment or set (defaulted to 1 by the API server). */
export function specReplicas(obj: Deployment | ReplicaSet | undefined): number {
  return obj?.spec?.replicas ?? 1;
}

/**
 * intstr.GetScaledValueFromIntOrPercent: an int as is; `"N%"` of `total`, rounded up or down.
 * Anything else (validation keeps it out) counts as 0.
 */
export function scaledValue(v: number | string | undefined, total: number, roundUp: boolean): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number') return v;
  const m = /^([+-]?[0-9]+)%$/.exec(v);
  if (!m) return 0;
  const pct = Number(m[1]);
  return roundUp ? Math.ceil((pct * total) / 100) : Math.floor((pct * total) / 100);
}

export function isRollingUpdate(d: Deployment): boolean {
  return d.spec?.strategy?.type === 'RollingUpdate';
}

/**
 * ResolveFenceposts: maxSurge rounds up, maxUnavailable rounds down; when both come to 0 (a small
 * deployment with percentages) maxUnavailable becomes 1, since surging alone may be impossible
 * under a quota.
 */
export function resolveFenceposts(d: Deployment): { surge: number; unavailable: number } {
  const ru = d.spec?.strategy?.rollingUpdate;
  const desired = specReplicas(d);
  const surge = scaledValue(ru?.maxSurge ?? 0, desired, true);
  let unavailable = scaledValue(ru?.maxUnavailable ?? 0, desired, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable };
}

/** Pods the rollout may run above spec.replicas (0 for Recreate). */
export function maxSurge(d: Deployment): number {
  return isRollingUpdate(d) ? resolveFenceposts(d).surge : 0;
}

/** Pods the rollout may have unavailable below spec.replicas, never more than replicas (0 for Recreate). */
export function maxUnavailable(d: Deployment): number {
  const replicas = specReplicas(d);
  if (!isRollingUpdate(d) || replicas === 0) return 0;
  return Math.min(resolveFenceposts(d).unavailable, replicas);
}

/** Σ spec.replicas (GetReplicaCountForReplicaSets). */
export function sumSpecReplicas(sets: ReadonlyArray<ReplicaSet | undefined>): number {
  let n = 0;
  for (const rs of sets) if (rs) n += specReplicas(rs);
  return n;
}

/** Σ status.replicas (GetActualReplicaCountForReplicaSets). */
export function sumStatusReplicas(sets: ReadonlyArray<ReplicaSet | undefined>): number {
  let n = 0;
  for (const rs of sets) if (rs) n += rs.status?.replicas ?? 0;
  return n;
}

export function sumReadyReplicas(sets: ReadonlyArray<ReplicaSet | undefined>): number {
  let n = 0;
  for (const rs of sets) if (rs) n += rs.status?.readyReplicas ?? 0;
  return n;
}

export function sumAvailableReplicas(sets: ReadonlyArray<ReplicaSet | undefined>): number {
  let n = 0;
  for (const rs of sets) if (rs) n += rs.status?.availableReplicas ?? 0;
  return n;
}

/** Sets with spec.replicas > 0 (FilterActiveReplicaSets). */
export function activeReplicaSets(sets: ReadonlyArray<ReplicaSet | undefined>): ReplicaSet[] {
  return sets.filter((rs): rs is ReplicaSet => !!rs && specReplicas(rs) > 0);
}

/**
 * NewRSNewReplicas: the size the new set may grow to now. RollingUpdate: up to replicas +
 * maxSurge pods in total across all sets, never beyond replicas; Recreate: replicas.
 */
export function newRSNewReplicas(d: Deployment, allRSs: ReadonlyArray<ReplicaSet | undefined>, newRS: ReplicaSet): number {
  const replicas = specReplicas(d);
  if (!isRollingUpdate(d)) return replicas;
  const surge = scaledValue(d.spec?.strategy?.rollingUpdate?.maxSurge ?? 0, replicas, true);
  const current = sumSpecReplicas(allRSs);
  const maxTotal = replicas + surge;
  if (current >= maxTotal) return specReplicas(newRS);
  return specReplicas(newRS) + Math.min(maxTotal - current, replicas - specReplicas(newRS));
}

/** The new set is at full size for the current spec and fully available (IsSaturated). */
export function isSaturated(d: Deployment, rs: ReplicaSet | undefined): boolean {
  if (!rs) return false;
  const desired = desiredReplicasAnnotation(rs);
  if (desired === undefined) return false;
  const replicas = specReplicas(d);
  return specReplicas(rs) === replicas && desired === replicas && (rs.status?.availableReplicas ?? 0) === replicas;
}

/**
 * FindActiveOrLatest: the only set with replicas, or — when none has any — the new set, else
 * the newest old one; undefined when several sets have replicas (a rollout is in progress).
 */
export function findActiveOrLatest(newRS: ReplicaSet | undefined, oldRSs: readonly ReplicaSet[]): ReplicaSet | undefined {
  if (!newRS && oldRSs.length === 0) return undefined;
  const newestFirst = [...oldRSs].sort((a, b) => byCreationTimestamp(b, a));
  const active = activeReplicaSets([...newestFirst, newRS]);
  if (active.length === 0) return newRS ?? newestFirst[0];
  return active.length === 1 ? active[0] : undefined;
}

/**
 * getReplicaSetFraction: this set's share of a resize, from the deployment size it was last
 * scaled for (max-replicas) to the current one, rounded half away from zero. Falling back to the
 * deployment's status.replicas when the annotation is missing keeps a hand-edited set in bounds.
 */
function replicaSetFraction(rs: ReplicaSet, d: Deployment): number {
  const replicas = specReplicas(d);
  if (replicas === 0) return -specReplicas(rs);
  const deploymentMax = replicas + maxSurge(d);
  let before = maxReplicasAnnotation(rs);
  if (before === undefined || before === 0) {
    before = d.status?.replicas ?? 0;
    if (before === 0) return 0;
  }
  const size = (specReplicas(rs) * deploymentMax) / before;
  return roundHalfAwayFromZero(size) - specReplicas(rs);
}

/** GetProportion: the change for one set, never exceeding what is left to add (or remove). */
export function proportion(rs: ReplicaSet | undefined, d: Deployment, toAdd: number, added: number): number {
  if (!rs || specReplicas(rs) === 0 || toAdd === 0 || toAdd === added) return 0;
  const fraction = replicaSetFraction(rs, d);
  const allowed = toAdd - added;
  return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed);
}

function roundHalfAwayFromZero(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

function createdAt(rs: ReplicaSet): number {
  return Date.parse(rs.metadata?.creationTimestamp ?? '') || 0;
}

/** ReplicaSetsByCreationTimestamp: older first, name as the tie-breaker. */
export function byCreationTimestamp(a: ReplicaSet, b: ReplicaSet): number {
  const ta = createdAt(a);
  const tb = createdAt(b);
  if (ta !== tb) return ta - tb;
  const na = a.metadata?.name ?? '';
  const nb = b.metadata?.name ?? '';
  return na < nb ? -1 : na > nb ? 1 : 0;
}

/** ReplicaSetsBySizeOlder: larger first; equal sizes older first. */
export function bySizeOlder(a: ReplicaSet, b: ReplicaSet): number {
  const d = specReplicas(b) - specReplicas(a);
  return d !== 0 ? d : byCreationTimestamp(a, b);
}

/** ReplicaSetsBySizeNewer: larger first; equal sizes newer first. */
export function bySizeNewer(a: ReplicaSet, b: ReplicaSet): number {
  const d = specReplicas(b) - specReplicas(a);
  return d !== 0 ? d : byCreationTimestamp(b, a);
}

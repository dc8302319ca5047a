/**
 * Pod predicates controllers share (Kubernetes' podutil and controller_utils): active, ready,
 * available, and the ranking that decides which pods go first when scaling down.
 */
import type { Pod, PodCondition } from 'kubernetes-types/core/v1.js';

/** Not finished and not being deleted. */
export function isPodActive(p: Pod): boolean {
  const phase = p.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed' && !p.metadata?.deletionTimestamp;
}

export function isPodTerminal(p: Pod): boolean {
  const phase = p.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

export function podCondition(p: Pod, type: string): PodCondition | undefined {
  return p.status?.conditions?.find((c) => c.type === type);
}

export function isPodReady(p: Pod): boolean {
  return podCondition(p, 'Ready')?.status === 'True';
}

/** Ready for at least `minReadySeconds` (measured from the Ready condition's transition). */
export function isPodAvailable(p: Pod, minReadySeconds: number, nowMs: number): boolean {
  const c = podCondition(p, 'Ready');
  if (c?.status !== 'True') return false;
  if (!minReadySeconds) return true;
  const since = c.lastTransitionTime ? Date.parse(c.lastTransitionTime) : NaN;
  return !Number.isNaN(since) && since + minReadySeconds * 1000 <= nowMs;
}

/** Milliseconds until a ready pod becomes available, or undefined if it is not ready / already available. */
export function msUntilAvailable(p: Pod, minReadySeconds: number, nowMs: number): number | undefined {
  const c = podCondition(p, 'Ready');
  if (c?.status !== 'True' || !minReadySeconds || !c.lastTransitionTime) return undefined;
  const at = Date.parse(c.lastTransitionTime) + minReadySeconds * 1000;
  return at > nowMs ? at - nowMs : undefined;
}

function restarts(p: Pod): number {
  let n = 0;
  for (const s of p.status?.containerStatuses ?? []) n += s.restartCount ?? 0;
  return n;
}

const PHASE_RANK: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

/** Kubernetes' pod-deletion-cost annotation (lower is deleted first). */
export const POD_DELETION_COST = 'controller.kubernetes.io/pod-deletion-cost';

function deletionCost(p: Pod): number {
  const v = Number(p.metadata?.annotations?.[POD_DELETION_COST] ?? 0);
  return Number.isFinite(v) ? v : 0;
}

/**
 * Orders pods so the cheapest to delete come first (ActivePodsWithRanks): unscheduled before
 * scheduled, Pending < Unknown < Running, not ready before ready, lower deletion cost, more
 * co-located pods of the same owner on the node, ready for a shorter time, more restarts, newer.
 * `nodeRank` gives, per pod, how many pods of the same owner share its node.
 */
export function compareForDeletion(a: Pod, b: Pod, nodeRank: (p: Pod) => number = () => 0): number {
  const sa = a.spec?.nodeName ? 1 : 0;
  const sb = b.spec?.nodeName ? 1 : 0;
  if (sa !== sb) return sa - sb;
  const pa = PHASE_RANK[a.status?.phase ?? 'Pending'] ?? 0;
  const pb = PHASE_RANK[b.status?.phase ?? 'Pending'] ?? 0;
  if (pa !== pb) return pa - pb;
  const ra = isPodReady(a) ? 1 : 0;
  const rb = isPodReady(b) ? 1 : 0;
  if (ra !== rb) return ra - rb;
  const ca = deletionCost(a);
  const cb = deletionCost(b);
  if (ca !== cb) return ca - cb;
  const na = nodeRank(a);
  const nb = nodeRank(b);
  if (na !== nb) return nb - na;
  if (ra === 1 && rb === 1) {
    const ta = Date.parse(podCondition(a, 'Ready')?.lastTransitionTime ?? '') || 0;
    const tb = Date.parse(podCondition(b, 'Ready')?.lastTransitionTime ?? '') || 0;
    if (ta !== tb) return tb - ta; // ready more recently first
  }
  const xa = restarts(a);
  const xb = restarts(b);
  if (xa !== xb) return xb - xa;
  const ka = Date.parse(a.metadata?.creationTimestamp ?? '') || 0;
  const kb = Date.parse(b.metadata?.creationTimestamp ?? '') || 0;
  return kb - ka;
}

/** Sorts pods for deletion, ranking co-location among `pods` themselves. */
export function rankForDeletion(pods: Pod[]): Pod[] {
  const perNode = new Map<string, number>();
  for (const p of pods) {
    const n = p.spec?.nodeName;
    if (n) perNode.set(n, (perNode.get(n) ?? 0) + 1);
  }
  const rank = (p: Pod) => (p.spec?.nodeName ? (perNode.get(p.spec.nodeName) ?? 0) : 0);
  return [...pods].sort((a, b) => compareForDeletion(a, b, rank));
}

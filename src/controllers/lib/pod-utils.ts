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

/**
 * Ready for more than `minReadySeconds`, measured from the Ready condition's lastTransitionTime
 * (podutil.IsPodAvailable: the transition plus minReadySeconds must be strictly before now; a
 * ready pod without a transition time is never available when minReadySeconds > 0).
 */
export function isPodAvailable(p: Pod, minReadySeconds: number, nowMs: number): boolean {
  const c = podCondition(p, 'Ready');
  if (c?.status !== 'True') return false;
  if (!minReadySeconds) return true;
  const since = c.lastTransitionTime ? Date.parse(c.lastTransitionTime) : NaN;
  return !Number.isNaN(since) && since + minReadySeconds * 1000 < nowMs;
}

/**
 * Milliseconds until a ready pod becomes available (so a controller can requeue exactly then), or
 * undefined if it is not ready, has no transition time, or is available already.
 */
export function msUntilAvailable(p: Pod, minReadySeconds: number, nowMs: number): number | undefined {
  const c = podCondition(p, 'Ready');
  if (c?.status !== 'True' || !minReadySeconds || !c.lastTransitionTime) return undefined;
  const at = Date.parse(c.lastTransitionTime) + minReadySeconds * 1000;
  if (Number.isNaN(at) || at < nowMs) return undefined;
  return at - nowMs + 1;
}

/** The highest restart count of any container (controller.maxContainerRestarts). */
export function maxContainerRestarts(p: Pod): number {
  let n = 0;
  for (const s of p.status?.containerStatuses ?? []) n = Math.max(n, s.restartCount ?? 0);
  return n;
}

/** Pending < Unknown < Running; any other phase ranks with Pending (podPhaseToOrdinal's zero value). */
const PHASE_RANK: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

/** Kubernetes' pod-deletion-cost annotation (lower is deleted first). */
export const POD_DELETION_COST = 'controller.kubernetes.io/pod-deletion-cost';

/**
 * The pod-deletion-cost of a pod (GetDeletionCostFromPodAnnotations): a decimal int32 without a
 * plus sign or leading zeros; anything else — or no annotation — counts as 0.
 */
export function podDeletionCost(p: Pod): number {
  const v = p.metadata?.annotations?.[POD_DELETION_COST];
  if (v === undefined || !/^(0|-?[1-9][0-9]*)$/.test(v)) return 0;
  const n = Number(v);
  return n >= -2147483648 && n <= 2147483647 ? n : 0;
}

/** Ready condition's lastTransitionTime in ms when the pod is ready; 0 (Go's zero time) otherwise. */
function readyTime(p: Pod): number {
  const c = podCondition(p, 'Ready');
  if (c?.status !== 'True') return 0;
  return Date.parse(c.lastTransitionTime ?? '') || 0;
}

/** afterOrZero: a zero time counts as after any other; else t1 after t2. */
function afterOrZero(t1: number, t2: number): boolean {
  if (t1 === 0 || t2 === 0) return t1 === 0;
  return t1 > t2;
}

/**
 * logarithmicRankDiff: floor(log2) of each age in nanoseconds (−1 for a non-positive age); pods
 * whose ages fall in the same power-of-two bucket are equivalent (LogarithmicScaleDown, GA in 1.31).
 */
function logarithmicRankDiff(t1: number, t2: number, now: number): number {
  const d1 = (now - t1) * 1e6;
  const d2 = (now - t2) * 1e6;
  const r1 = d1 > 0 ? Math.floor(Math.log2(d1)) : -1;
  const r2 = d2 > 0 ? Math.floor(Math.log2(d2)) : -1;
  return r1 - r2;
}

/** Compares two times as steps 6 and 8 do: logarithmic buckets, then UID as a pseudo-random tie-break. */
function newerFirst(t1: number, t2: number, a: Pod, b: Pod, now: number): boolean {
  if (t1 === 0 || t2 === 0 || !now) return afterOrZero(t1, t2);
  const diff = logarithmicRankDiff(t1, t2, now);
  if (diff === 0) return (a.metadata?.uid ?? '') < (b.metadata?.uid ?? '');
  return diff < 0;
}

/**
 * ActivePodsWithRanks.Less: true when `a` should be deleted before `b`.
 *
 *  1. unscheduled before scheduled;
 *  2. Pending < Unknown < Running;
 *  3. not ready before ready;
 *  4. lower pod-deletion-cost first;
 *  5. higher rank first (rank = active related pods on the same node: doubled-up pods go first);
 *  6. both ready: ready more recently first, compared in logarithmic time buckets, UID tie-break;
 *  7. higher max container restarts first;
 *  8. created more recently first, in logarithmic buckets, UID tie-break.
 */
export function lessForDeletion(a: Pod, b: Pod, rankA: number, rankB: number, now: number): boolean {
  const na = a.spec?.nodeName ?? '';
  const nb = b.spec?.nodeName ?? '';
  if (na !== nb && (na === '' || nb === '')) return na === '';
  const pa = PHASE_RANK[a.status?.phase ?? ''] ?? 0;
  const pb = PHASE_RANK[b.status?.phase ?? ''] ?? 0;
  if (pa !== pb) return pa < pb;
  const ra = isPodReady(a);
  const rb = isPodReady(b);
  if (ra !== rb) return !ra;
  const ca = podDeletionCost(a);
  const cb = podDeletionCost(b);
  if (ca !== cb) return ca < cb;
  if (rankA !== rankB) return rankA > rankB;
  if (ra && rb) {
    const ta = readyTime(a);
    const tb = readyTime(b);
    if (ta !== tb) return newerFirst(ta, tb, a, b, now);
  }
  const xa = maxContainerRestarts(a);
  const xb = maxContainerRestarts(b);
  if (xa !== xb) return xa > xb;
  const ka = Date.parse(a.metadata?.creationTimestamp ?? '') || 0;
  const kb = Date.parse(b.metadata?.creationTimestamp ?? '') || 0;
  if (ka !== kb) return newerFirst(ka, kb, a, b, now);
  return false;
}

/**
 * A sort comparator over {@link lessForDeletion} with every rank 0: deletion candidates first.
 * `now` (ms) enables the logarithmic time buckets; 0 (the default) compares times linearly.
 */
export function compareForDeletion(a: Pod, b: Pod, now = 0): number {
  if (lessForDeletion(a, b, 0, 0, now)) return -1;
  return lessForDeletion(b, a, 0, 0, now) ? 1 : 0;
}

export interface RankOptions {
  /**
   * Pods whose node placement ranks `pods` (getPodsRankedByRelatedPodsOnSameNode): each pod's rank
   * is the number of active related pods on its node. The ReplicaSet controller passes the pods of
   * every ReplicaSet sharing its controller (a Deployment's old and new sets); Kubernetes passes
   * none for a ReplicaSet without a controller, so all ranks are 0 then. Default: none.
   */
  related?: readonly Pod[];
  /** Reference time for the logarithmic comparisons (ms); 0 compares times linearly. */
  now: number;
}

/** Sorts pods so the ones to delete first come first (a new array; the input is untouched). */
export function rankForDeletion(pods: readonly Pod[], opts: RankOptions): Pod[] {
  const perNode = new Map<string, number>();
  for (const p of opts.related ?? []) {
    if (!isPodActive(p)) continue;
    const n = p.spec?.nodeName ?? '';
    perNode.set(n, (perNode.get(n) ?? 0) + 1);
  }
  const ranked = pods.map((pod) => ({ pod, rank: perNode.get(pod.spec?.nodeName ?? '') ?? 0 }));
  ranked.sort((x, y) => (lessForDeletion(x.pod, y.pod, x.rank, y.rank, opts.now) ? -1 : lessForDeletion(y.pod, x.pod, y.rank, x.rank, opts.now) ? 1 : 0));
  return ranked.map((r) => r.pod);
}

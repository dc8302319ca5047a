/**
 * Taints and tolerations, with the semantics of k8s.io/api/core/v1 (Toleration.ToleratesTaint,
 * Taint.MatchTaint) and k8s.io/component-helpers/scheduling/corev1 (FindMatchingUntoleratedTaint,
 * GetMatchingTolerations). The scheduler, the node lifecycle controller and the taint eviction
 * controller share these so a pod is judged the same way everywhere.
 */
import type { Taint, Toleration } from 'kubernetes-types/core/v1.js';

/** Well-known taint keys (k8s.io/api/core/v1 well_known_taints.go). */
export const TAINT_NODE_NOT_READY = 'node.kubernetes.io/not-ready';
export const TAINT_NODE_UNREACHABLE = 'node.kubernetes.io/unreachable';
export const TAINT_NODE_UNSCHEDULABLE = 'node.kubernetes.io/unschedulable';
export const TAINT_NODE_MEMORY_PRESSURE = 'node.kubernetes.io/memory-pressure';
export const TAINT_NODE_DISK_PRESSURE = 'node.kubernetes.io/disk-pressure';
export const TAINT_NODE_PID_PRESSURE = 'node.kubernetes.io/pid-pressure';
export const TAINT_NODE_NETWORK_UNAVAILABLE = 'node.kubernetes.io/network-unavailable';
export const TAINT_NODE_OUT_OF_SERVICE = 'node.kubernetes.io/out-of-service';

export type TaintEffect = 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';

/**
 * Toleration.ToleratesTaint: an empty effect matches every effect, an empty key (only valid with
 * `Exists`) matches every key; `Equal` (the default operator) also needs the same value.
 */
export function toleratesTaint(toleration: Toleration, taint: Taint): boolean {
  if (toleration.effect && toleration.effect !== taint.effect) return false;
  if (toleration.key && toleration.key !== taint.key) return false;
  switch (toleration.operator ?? '') {
    case '':
    case 'Equal':
      return (toleration.value ?? '') === (taint.value ?? '');
    case 'Exists':
      return true;
    default:
      return false;
  }
}

/** Whether any of `tolerations` tolerates `taint`. */
export function tolerationsTolerateTaint(tolerations: readonly Toleration[] | undefined, taint: Taint): boolean {
  if (!tolerations) return false;
  for (const t of tolerations) if (toleratesTaint(t, taint)) return true;
  return false;
}

/** Taint.MatchTaint: taints are the same taint when key and effect agree (value and time are not identity). */
export function taintMatches(a: Taint, b: Taint): boolean {
  return a.key === b.key && a.effect === b.effect;
}

/** Whether `taints` holds a taint matching `taint` by key and effect. */
export function taintExists(taints: readonly Taint[] | undefined, taint: Taint): boolean {
  return (taints ?? []).some((t) => taintMatches(t, taint));
}

/**
 * FindMatchingUntoleratedTaint: the first taint (in node order) that passes `inclusionFilter` and
 * that no toleration tolerates. The scheduler reports exactly this taint in its failure message.
 */
export function findUntoleratedTaint(taints: readonly Taint[] | undefined, tolerations: readonly Toleration[] | undefined, inclusionFilter: (t: Taint) => boolean): Taint | undefined {
  for (const taint of taints ?? []) {
    if (!inclusionFilter(taint)) continue;
    if (!tolerationsTolerateTaint(tolerations, taint)) return taint;
  }
  return undefined;
}

/** The scheduler's filter: taints with effect NoSchedule or NoExecute must be tolerated. */
export const doNotScheduleTaint = (t: Taint): boolean => t.effect === 'NoSchedule' || t.effect === 'NoExecute';

/**
 * GetMatchingTolerations: whether every taint is tolerated, and the tolerations that did it (each
 * taint contributes the first toleration matching it). Used for NoExecute taints.
 */
export function matchingTolerations(taints: readonly Taint[], tolerations: readonly Toleration[] | undefined): { allTolerated: boolean; used: Toleration[] } {
  if (taints.length === 0) return { allTolerated: true, used: [] };
  if (!tolerations || tolerations.length === 0) return { allTolerated: false, used: [] };
  const used: Toleration[] = [];
  for (const taint of taints) {
    const t = tolerations.find((tol) => toleratesTaint(tol, taint));
    if (!t) return { allTolerated: false, used: [] };
    used.push(t);
  }
  return { allTolerated: true, used };
}

/** `key=value:Effect` or `key:Effect`, as kubectl prints taints. */
export function formatTaint(t: Taint): string {
  return `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`;
}

/**
 * TaintToleration: NoSchedule and NoExecute taints must be tolerated (the first untolerated one,
 * in the node's order, names the failure); PreferNoSchedule taints only lower the score — fewer
 * untolerated ones is better (weight 3 in the default profile).
 */
import type { Toleration } from 'kubernetes-types/core/v1.js';
import { findUntoleratedTaint, toleratesTaint } from '../../api/taints.js';
import type { NodeInfo } from '../cache/node-info.js';
import type { PodInfo } from '../framework/pod-info.js';
import { unresolvable, type Status } from '../framework/status.js';

export const TAINT_TOLERATION_WEIGHT = 3;

const all = (): boolean => true;

export function filterTaintToleration(pi: PodInfo, ni: NodeInfo): Status | undefined {
  if (ni.scheduleTaints.length === 0) return undefined;
  const taint = findUntoleratedTaint(ni.scheduleTaints, pi.tolerations, all);
  if (!taint) return undefined;
  return unresolvable('TaintToleration', `node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`);
}

/** Tolerations that can tolerate PreferNoSchedule taints (empty effect matches every effect). */
export function preferNoScheduleTolerations(tolerations: readonly Toleration[]): Toleration[] {
  return tolerations.filter((t) => !t.effect || t.effect === 'PreferNoSchedule');
}

/** Raw score: the number of PreferNoSchedule taints the pod does not tolerate (normalised in reverse). */
export function countIntolerablePreferTaints(tolerations: readonly Toleration[], ni: NodeInfo): number {
  let n = 0;
  for (const taint of ni.preferTaints) if (!tolerations.some((t) => toleratesTaint(t, taint))) n++;
  return n;
}

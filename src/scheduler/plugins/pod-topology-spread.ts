/**
 * PodTopologySpread with the system default constraints (weight 2): pods of the same owner
 * (ReplicaSet, StatefulSet, ReplicationController) are spread over nodes (`kubernetes.io/hostname`,
 * maxSkew 3) and zones (`topology.kubernetes.io/zone`, maxSkew 5), both ScheduleAnyway — a score,
 * never a filter. Scoring follows kube-scheduler: per node, Σ count·log(size+2) + (maxSkew−1) over
 * the topologies the node has, normalised so the node with the fewest matching pods scores 100.
 *
 * Kubernetes derives the selector from the Services, ReplicaSets, ReplicationControllers and
 * StatefulSets that select the pod; Skiff uses the pod's controlling owner of those kinds, which
 * gives the same groups for workloads and needs no Service lookups per decision.
 */
import { LABEL_HOSTNAME, type NodeInfo } from '../cache/node-info.js';

export { LABEL_HOSTNAME };
import type { SchedulerCache } from '../cache/scheduler-cache.js';
import type { PodInfo } from '../framework/pod-info.js';
import { MAX_NODE_SCORE } from '../framework/status.js';

export const POD_TOPOLOGY_SPREAD_WEIGHT = 2;
export const HOSTNAME_MAX_SKEW = 3;
export const ZONE_MAX_SKEW = 5;

/** What scoring one pod needs, computed once per decision (PreScore). */
export interface SpreadState {
  spreadId: number;
  hostWeight: number;
  zoneWeight: number;
  /** Pods of the owner per zone id. */
  zoneCounts: number[];
  zones: number;
}

/**
 * PreScore: undefined when the pod has nothing to spread against (Skip), so the plugin adds
 * nothing. The zone topology size is taken over all schedulable nodes (kube-scheduler counts the
 * zones of the filtered nodes; they differ only when a whole zone is filtered out).
 */
export function preScoreTopologySpread(pi: PodInfo, feasibleNodes: number, cache: SchedulerCache, zoneCounts: number[]): SpreadState | undefined {
  const spreadId = cache.spreadIdOf(pi);
  if (spreadId < 0) return undefined;
  const zones = cache.zoneSpreadCounts(spreadId, zoneCounts);
  return { spreadId, hostWeight: Math.log(feasibleNodes + 2), zoneWeight: Math.log(cache.zoneTopologySize() + 2), zoneCounts, zones };
}

/** Raw score of one node: Σ count·weight + (maxSkew − 1) over the topologies the node has. */
export function scoreTopologySpread(st: SpreadState, ni: NodeInfo): number {
  let s = 0;
  if (ni.hasHostname) s += (ni.spreadCounts.get(st.spreadId) ?? 0) * st.hostWeight + (HOSTNAME_MAX_SKEW - 1);
  if (ni.zoneId >= 0 && ni.zoneId < st.zones) s += (st.zoneCounts[ni.zoneId] as number) * st.zoneWeight + (ZONE_MAX_SKEW - 1);
  return Math.round(s);
}

/** NormalizeScore for one node: MaxNodeScore × (max + min − s) / max, integer arithmetic as in Go. */
export function normalizedTopologySpread(score: number, min: number, max: number): number {
  return max === 0 ? MAX_NODE_SCORE : Math.trunc((MAX_NODE_SCORE * (max + min - score)) / max);
}

/**
 * One scheduling decision (schedule_one.go's schedulePod): PreFilter, Filter over a sample of the
 * nodes, Score, pick the best.
 *
 * - Filters run in the default profile's order — NodeUnschedulable, NodeName, TaintToleration,
 *   NodeAffinity, NodePorts, NodeResourcesFit — and a node's status is the first that fails.
 * - percentageOfNodesToScore: once enough feasible nodes are found the search stops. With the
 *   adaptive default the share is 50% − nodes/125 (never below 5%), and never fewer than 100 nodes:
 *   at 5,000 nodes a decision looks at ~500 feasible ones. The search starts where the previous
 *   one stopped (nextStartNodeIndex), so every node gets its turn.
 * - Scores (TaintToleration ×3, NodeAffinity ×2, PodTopologySpread ×2, NodeResourcesFit ×1,
 *   BalancedAllocation ×1) are normalised per plugin to 0..100, weighted and summed; ties are broken
 *   uniformly at random (reservoir sampling, as selectHost does).
 */
import type { NodeInfo } from '../cache/node-info.js';
import type { SchedulerCache } from '../cache/scheduler-cache.js';
import { filterNodeAffinity, scoreNodeAffinity, ERR_REASON_AFFINITY_CONFLICT, NODE_AFFINITY_WEIGHT } from '../plugins/node-affinity.js';
import { filterNodeName } from '../plugins/node-name.js';
import { filterNodePorts } from '../plugins/node-ports.js';
import { filterNodeResourcesFit, scoreLeastAllocated, NODE_RESOURCES_FIT_WEIGHT } from '../plugins/node-resources-fit.js';
import { filterNodeUnschedulable } from '../plugins/node-unschedulable.js';
import { BALANCED_ALLOCATION_WEIGHT, scoreBalancedAllocation } from '../plugins/balanced-allocation.js';
import { countIntolerablePreferTaints, filterTaintToleration, preferNoScheduleTolerations, TAINT_TOLERATION_WEIGHT } from '../plugins/taint-toleration.js';
import { normalizedTopologySpread, POD_TOPOLOGY_SPREAD_WEIGHT, preScoreTopologySpread, scoreTopologySpread } from '../plugins/pod-topology-spread.js';
import { absentNodesReason, type Diagnosis, type FailedNode } from './fit-error.js';
import type { PodInfo } from './pod-info.js';
import { MAX_NODE_SCORE, unresolvable, type Status } from './status.js';

/** minFeasibleNodesToFind */
export const MIN_FEASIBLE_NODES_TO_FIND = 100;
/** minFeasibleNodesPercentageToFind */
export const MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND = 5;

/** The filter chain, in the default profile's order. */
export const FILTERS: ReadonlyArray<(pi: PodInfo, ni: NodeInfo) => Status | undefined> = [
  filterNodeUnschedulable,
  filterNodeName,
  filterTaintToleration,
  filterNodeAffinity,
  filterNodePorts,
  filterNodeResourcesFit,
];

/** Runs every filter; the first failure is the node's status. */
export function runFilters(pi: PodInfo, ni: NodeInfo): Status | undefined {
  for (let i = 0; i < FILTERS.length; i++) {
    const s = (FILTERS[i] as (pi: PodInfo, ni: NodeInfo) => Status | undefined)(pi, ni);
    if (s) return s;
  }
  return undefined;
}

/** numFeasibleNodesToFind with the adaptive percentage (percentageOfNodesToScore unset or 0). */
export function numFeasibleNodesToFind(numAllNodes: number, percentageOfNodesToScore = 0): number {
  if (numAllNodes < MIN_FEASIBLE_NODES_TO_FIND) return numAllNodes;
  let percentage = percentageOfNodesToScore;
  if (percentage <= 0) {
    percentage = 50 - Math.trunc(numAllNodes / 125);
    if (percentage < MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND) percentage = MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND;
  }
  const n = Math.trunc((numAllNodes * percentage) / 100);
  return n < MIN_FEASIBLE_NODES_TO_FIND ? MIN_FEASIBLE_NODES_TO_FIND : n;
}

export type ScheduleOutcome =
  | { kind: 'scheduled'; node: NodeInfo; evaluatedNodes: number; feasibleNodes: number }
  | { kind: 'unschedulable'; numAllNodes: number; diagnosis: Diagnosis }
  | { kind: 'no-nodes' };

export interface AlgorithmOptions {
  /** percentageOfNodesToScore (0 = adaptive, the default). */
  percentageOfNodesToScore?: number;
  /** Random source for tie-breaking (tests inject a fixed one). */
  random?: () => number;
}

export class SchedulingAlgorithm {
  private nextStartNodeIndex = 0;
  private readonly random: () => number;
  private feasible: NodeInfo[] = [];
  private total = new Float64Array(0);
  private taints = new Float64Array(0);
  private affinity = new Float64Array(0);
  private spread = new Float64Array(0);
  private readonly zoneCounts: number[] = [];

  constructor(
    private readonly cache: SchedulerCache,
    private readonly opts: AlgorithmOptions = {},
  ) {
    this.random = opts.random ?? Math.random;
  }

  schedule(pi: PodInfo): ScheduleOutcome {
    const all = this.cache.nodes();
    if (all.length === 0) return { kind: 'no-nodes' };
    const diagnosis: Diagnosis = { failed: [], unschedulablePlugins: new Set() };

    // PreFilter (NodeAffinity): matchFields metadata.name narrows the candidates.
    let nodes: readonly NodeInfo[] = all;
    if (pi.requiredNodeNames) {
      if (pi.requiredNodeNames.size === 0) {
        diagnosis.preFilterMsg = ERR_REASON_AFFINITY_CONFLICT;
        diagnosis.absent = { count: all.length, status: unresolvable('NodeAffinity', ERR_REASON_AFFINITY_CONFLICT) };
        diagnosis.unschedulablePlugins.add('NodeAffinity');
        return { kind: 'unschedulable', numAllNodes: all.length, diagnosis };
      }
      const picked: NodeInfo[] = [];
      for (const name of pi.requiredNodeNames) {
        const ni = this.cache.node(name);
        if (ni) picked.push(ni);
      }
      nodes = picked;
      if (all.length - picked.length > 0) diagnosis.absent = { count: all.length - picked.length, status: unresolvable('NodeAffinity', absentNodesReason(['NodeAffinity'])) };
    }

    const feasible = this.findFeasible(pi, nodes, all.length, diagnosis.failed);
    if (feasible.length === 0) {
      for (const f of diagnosis.failed) diagnosis.unschedulablePlugins.add(f.status.plugin);
      if (diagnosis.absent) diagnosis.unschedulablePlugins.add('NodeAffinity');
      return { kind: 'unschedulable', numAllNodes: all.length, diagnosis };
    }
    const evaluated = feasible.length + diagnosis.failed.length;
    if (feasible.length === 1) return { kind: 'scheduled', node: feasible[0] as NodeInfo, evaluatedNodes: evaluated, feasibleNodes: 1 };
    return { kind: 'scheduled', node: this.selectHost(pi, feasible), evaluatedNodes: evaluated, feasibleNodes: feasible.length };
  }

  /** findNodesThatPassFilters: walks from nextStartNodeIndex until enough nodes are feasible. */
  private findFeasible(pi: PodInfo, nodes: readonly NodeInfo[], numAllNodes: number, failed: FailedNode[]): NodeInfo[] {
    const want = numFeasibleNodesToFind(nodes.length, this.opts.percentageOfNodesToScore);
    const feasible = this.feasible;
    feasible.length = 0;
    const n = nodes.length;
    const start = n > 0 ? this.nextStartNodeIndex % n : 0;
    let processed = 0;
    const simple = pi.simple;
    const req = pi.request;
    for (let i = 0; i < n; i++) {
      const ni = nodes[(start + i) % n] as NodeInfo;
      processed++;
      // Fast path: a plain pod on an untainted, uncordoned node fits when the basic resources do.
      // Anything else (or a shortage) goes through the full chain for the exact status.
      if (simple && ni.simple && ni.pods.size < ni.allowedPods) {
        const a = ni.allocatable;
        const u = ni.requested;
        if (!pi.requestsResources || (req.milliCPU <= a.milliCPU - u.milliCPU && req.memory <= a.memory - u.memory && req.ephemeralStorage <= a.ephemeralStorage - u.ephemeralStorage)) {
          feasible.push(ni);
          if (feasible.length >= want) break;
          continue;
        }
      }
      const status = runFilters(pi, ni);
      if (status) failed.push({ node: ni, status });
      else {
        feasible.push(ni);
        if (feasible.length >= want) break;
      }
    }
    this.nextStartNodeIndex = (this.nextStartNodeIndex + processed) % numAllNodes;
    return feasible;
  }

  /** Scores the feasible nodes and picks one of the best at random. */
  private selectHost(pi: PodInfo, nodes: NodeInfo[]): NodeInfo {
    const n = nodes.length;
    const total = this.scoreNodes(pi, nodes);
    let best = 0;
    let bestScore = total[0] as number;
    let ties = 1;
    for (let i = 1; i < n; i++) {
      const v = total[i] as number;
      if (v > bestScore) {
        best = i;
        bestScore = v;
        ties = 1;
      } else if (v === bestScore) {
        ties++;
        if (Math.floor(this.random() * ties) === 0) best = i;
      }
    }
    return nodes[best] as NodeInfo;
  }

  /**
   * The weighted total score of each node (RunScorePlugins + NormalizeScore), in one pass for the
   * raw scores and one for normalising: at 500 candidates per decision the per-node cost matters.
   * The returned array is reused by the next call.
   */
  scoreNodes(pi: PodInfo, nodes: readonly NodeInfo[]): Float64Array {
    const n = nodes.length;
    if (this.total.length < n) {
      this.total = new Float64Array(n * 2);
      this.taints = new Float64Array(n * 2);
      this.affinity = new Float64Array(n * 2);
      this.spread = new Float64Array(n * 2);
    }
    const total = this.total;
    const taints = this.taints;
    const affinity = this.affinity;
    const spread = this.spread;
    const preferTolerations = pi.tolerations.length ? preferNoScheduleTolerations(pi.tolerations) : [];
    const spreadState = preScoreTopologySpread(pi, n, this.cache, this.zoneCounts);
    let maxTaints = 0;
    let maxAffinity = 0;
    let minSpread = Number.MAX_SAFE_INTEGER;
    let maxSpread = 0;
    for (let i = 0; i < n; i++) {
      const ni = nodes[i] as NodeInfo;
      total[i] = NODE_RESOURCES_FIT_WEIGHT * scoreLeastAllocated(pi, ni) + BALANCED_ALLOCATION_WEIGHT * scoreBalancedAllocation(pi, ni);
      const t = ni.preferTaints.length ? countIntolerablePreferTaints(preferTolerations, ni) : 0;
      taints[i] = t;
      if (t > maxTaints) maxTaints = t;
      if (pi.preferredAffinity) {
        const a = scoreNodeAffinity(pi, ni);
        affinity[i] = a;
        if (a > maxAffinity) maxAffinity = a;
      }
      if (spreadState) {
        const s = scoreTopologySpread(spreadState, ni);
        spread[i] = s;
        if (s < minSpread) minSpread = s;
        if (s > maxSpread) maxSpread = s;
      }
    }
    for (let i = 0; i < n; i++) {
      // TaintToleration: reverse-normalised, fewer untolerated PreferNoSchedule taints is better.
      let v = (total[i] as number) + TAINT_TOLERATION_WEIGHT * (maxTaints === 0 ? MAX_NODE_SCORE : MAX_NODE_SCORE - Math.trunc((MAX_NODE_SCORE * (taints[i] as number)) / maxTaints));
      // NodeAffinity: normalised so the best preferred match scores 100.
      if (maxAffinity > 0) v += NODE_AFFINITY_WEIGHT * Math.trunc((MAX_NODE_SCORE * (affinity[i] as number)) / maxAffinity);
      if (spreadState) v += POD_TOPOLOGY_SPREAD_WEIGHT * normalizedTopologySpread(spread[i] as number, minSpread, maxSpread);
      total[i] = v;
    }
    return total;
  }
}

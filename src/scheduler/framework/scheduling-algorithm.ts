/**
 * One scheduling decision (schedule_one.go's schedulePod): PreFilter, Filter over a sample of the
 * nodes, Score, pick the best.
 *
 * - Filters run in the default profile's order — NodeUnschedulable, NodeName, TaintToleration,
 *   NodeAffinity, NodePorts, NodeResourcesFit, VolumeBinding, VolumeZone — and a node's status is
 *   the first that fails. VolumeBinding's PreFilter ran before (the scheduler sets `pi.volumes`).
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
import { filterNodeResourcesFit, NODE_RESOURCES_FIT_WEIGHT } from '../plugins/node-resources-fit.js';
import { filterNodeUnschedulable } from '../plugins/node-unschedulable.js';
import { filterVolumeBinding, filterVolumeZone } from '../plugins/volume-binding.js';
import { BALANCED_ALLOCATION_WEIGHT } from '../plugins/balanced-allocation.js';
import { countIntolerablePreferTaints, filterTaintToleration, preferNoScheduleTolerations, TAINT_TOLERATION_WEIGHT } from '../plugins/taint-toleration.js';
import { HOSTNAME_MAX_SKEW, normalizedTopologySpread, POD_TOPOLOGY_SPREAD_WEIGHT, preScoreTopologySpread, ZONE_MAX_SKEW } from '../plugins/pod-topology-spread.js';
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
  filterVolumeBinding,
  filterVolumeZone,
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
  /** Slots of the feasible nodes of the current decision. */
  private slots = new Int32Array(0);
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

    // PreFilter (VolumeBinding): a missing or unbound-immediate claim rejects the pod outright.
    const volumeStatus = pi.volumes?.preFilter;
    if (volumeStatus) {
      diagnosis.preFilterMsg = volumeStatus.reasons.join(', ');
      diagnosis.absent = { count: all.length, status: volumeStatus };
      diagnosis.unschedulablePlugins.add(volumeStatus.plugin);
      return { kind: 'unschedulable', numAllNodes: all.length, diagnosis };
    }

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

    const count = this.findFeasible(pi, nodes, nodes === all, all.length, diagnosis.failed);
    if (count === 0) {
      for (const f of diagnosis.failed) diagnosis.unschedulablePlugins.add(f.status.plugin);
      if (diagnosis.absent) diagnosis.unschedulablePlugins.add('NodeAffinity');
      return { kind: 'unschedulable', numAllNodes: all.length, diagnosis };
    }
    const evaluated = count + diagnosis.failed.length;
    const slot = count === 1 ? (this.slots[0] as number) : this.selectHost(pi, this.slots, count);
    return { kind: 'scheduled', node: all[slot] as NodeInfo, evaluatedNodes: evaluated, feasibleNodes: count };
  }

  /**
   * findNodesThatPassFilters: walks from nextStartNodeIndex until enough nodes are feasible,
   * leaving their slots in `this.slots`; returns how many. `whole` says `nodes` is the cache's
   * full list, whose index is the slot, so the fast path reads only the columns.
   */
  private findFeasible(pi: PodInfo, nodes: readonly NodeInfo[], whole: boolean, numAllNodes: number, failed: FailedNode[]): number {
    const want = numFeasibleNodesToFind(nodes.length, this.opts.percentageOfNodesToScore);
    const n = nodes.length;
    if (this.slots.length < n) this.slots = new Int32Array(Math.max(n, this.slots.length * 2));
    const slots = this.slots;
    const cols = this.cache.columns;
    let count = 0;
    const start = n > 0 ? this.nextStartNodeIndex % n : 0;
    let processed = 0;
    const simple = pi.simple;
    const req = pi.request;
    const needs = pi.requestsResources;
    const cpu = req.milliCPU;
    const mem = req.memory;
    const eph = req.ephemeralStorage;
    for (let i = 0; i < n; i++) {
      let j = start + i;
      if (j >= n) j -= n;
      const slot = whole ? j : (nodes[j] as NodeInfo).slot;
      processed++;
      // Fast path: a plain pod on an untainted, uncordoned node fits when the basic resources do.
      // Anything else (or a shortage) goes through the full filter chain for the exact status.
      if (simple && cols.simple[slot] === 1 && (cols.freePods[slot] as number) >= 1 && (!needs || (cpu <= (cols.freeCpu[slot] as number) && mem <= (cols.freeMem[slot] as number) && eph <= (cols.freeEph[slot] as number)))) {
        slots[count++] = slot;
        if (count >= want) break;
        continue;
      }
      const ni = nodes[j] as NodeInfo;
      const status = runFilters(pi, ni);
      if (status) failed.push({ node: ni, status });
      else {
        slots[count++] = slot;
        if (count >= want) break;
      }
    }
    this.nextStartNodeIndex = (this.nextStartNodeIndex + processed) % numAllNodes;
    return count;
  }

  /** Scores the feasible nodes and picks one of the best at random; returns its slot. */
  private selectHost(pi: PodInfo, slots: Int32Array, n: number): number {
    const total = this.scoreSlots(pi, slots, n);
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
    return slots[best] as number;
  }

  /** The weighted total score of each node (tests): see scoreSlots. */
  scoreNodes(pi: PodInfo, nodes: readonly NodeInfo[]): Float64Array {
    const slots = Int32Array.from(nodes.map((ni) => ni.slot));
    return this.scoreSlots(pi, slots, slots.length);
  }

  /**
   * The weighted total score of the nodes in `slots[0..n)` (RunScorePlugins + NormalizeScore):
   * one pass over the columns for the raw scores, one for normalising. It computes exactly what
   * the plugin functions compute on NodeInfo (scoreLeastAllocated, scoreBalancedAllocation,
   * countIntolerablePreferTaints, scoreNodeAffinity, scoreTopologySpread), which the tests check;
   * only nodes with PreferNoSchedule taints or pods with preferred affinity touch a NodeInfo.
   * The returned array is reused by the next call.
   */
  scoreSlots(pi: PodInfo, slots: Int32Array, n: number): Float64Array {
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
    const cols = this.cache.columns;
    const list = this.cache.nodes();
    const preferTolerations = pi.tolerations.length ? preferNoScheduleTolerations(pi.tolerations) : [];
    const spreadState = preScoreTopologySpread(pi, n, this.cache, this.zoneCounts);
    const bySlot = spreadState ? this.cache.spreadBySlot(spreadState.spreadId) : undefined;
    const nzCpu = pi.nonZeroMilliCPU;
    const nzMem = pi.nonZeroMemory;
    const reqCpu = pi.request.milliCPU;
    const reqMem = pi.request.memory;
    let maxTaints = 0;
    let maxAffinity = 0;
    let minSpread = Number.MAX_SAFE_INTEGER;
    let maxSpread = 0;
    for (let i = 0; i < n; i++) {
      const slot = slots[i] as number;
      const ac = cols.allocCpu[slot] as number;
      const am = cols.allocMem[slot] as number;
      // NodeResourcesFit, LeastAllocated (non-zero requests).
      let least = 0;
      let weights = 0;
      if (ac > 0) {
        const r = (cols.nzCpu[slot] as number) + nzCpu;
        least += r > ac ? 0 : Math.trunc(((ac - r) * MAX_NODE_SCORE) / ac);
        weights++;
      }
      if (am > 0) {
        const r = (cols.nzMem[slot] as number) + nzMem;
        least += r > am ? 0 : Math.trunc(((am - r) * MAX_NODE_SCORE) / am);
        weights++;
      }
      // BalancedAllocation (actual requests).
      let balanced = MAX_NODE_SCORE;
      if (ac > 0 && am > 0) {
        const fc = Math.min(1, ((cols.reqCpu[slot] as number) + reqCpu) / ac);
        const fm = Math.min(1, ((cols.reqMem[slot] as number) + reqMem) / am);
        balanced = Math.trunc((1 - Math.abs((fc - fm) / 2)) * MAX_NODE_SCORE);
      }
      total[i] = NODE_RESOURCES_FIT_WEIGHT * (weights === 0 ? 0 : Math.trunc(least / weights)) + BALANCED_ALLOCATION_WEIGHT * balanced;
      const t = cols.preferTaints[slot] ? countIntolerablePreferTaints(preferTolerations, list[slot] as NodeInfo) : 0;
      taints[i] = t;
      if (t > maxTaints) maxTaints = t;
      if (pi.preferredAffinity) {
        const a = scoreNodeAffinity(pi, list[slot] as NodeInfo);
        affinity[i] = a;
        if (a > maxAffinity) maxAffinity = a;
      }
      if (spreadState) {
        let raw = 0;
        if (cols.hostname[slot]) raw += (bySlot?.get(slot) ?? 0) * spreadState.hostWeight + (HOSTNAME_MAX_SKEW - 1);
        const z = cols.zoneId[slot] as number;
        if (z >= 0 && z < spreadState.zones) raw += (spreadState.zoneCounts[z] as number) * spreadState.zoneWeight + (ZONE_MAX_SKEW - 1);
        const sc = Math.round(raw);
        spread[i] = sc;
        if (sc < minSpread) minSpread = sc;
        if (sc > maxSpread) maxSpread = sc;
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

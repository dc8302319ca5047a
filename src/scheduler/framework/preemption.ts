/**
 * DefaultPreemption's PostFilter, evaluated after no node fits (pkg/scheduler/framework/preemption):
 *
 * - a pod with `preemptionPolicy: Never` may not preempt ("not eligible due to preemptionPolicy=Never.");
 * - nodes whose failure is unresolvable (or that a PreFilter excluded) are out: "Preemption is not
 *   helpful for scheduling";
 * - on the other nodes, the pods of lower priority are the potential victims: none means "No
 *   preemption victims found for incoming pod"; if the pod still does not fit with all of them gone,
 *   the filter's own reasons are reported; otherwise the node is a candidate, and the fewest victims
 *   are kept by reprieving the most important ones first.
 *
 * With no candidate, the message is a FitError of its own, prefixed `preemption: `. With candidates
 * the best node is chosen (lowest highest-victim priority, then lowest priority sum, then fewest
 * victims, then latest start of the highest-priority victims) and returned for the scheduler to
 * evict. PodDisruptionBudgets are not served by Skiff, so none is violated.
 */
import type { NodeInfo } from '../cache/node-info.js';
import { fitErrorMessage, type Diagnosis, type FailedNode } from './fit-error.js';
import type { PodInfo } from './pod-info.js';
import { runFilters } from './scheduling-algorithm.js';
import { unresolvable, type Status } from './status.js';

export const PREEMPTION_NOT_HELPFUL = 'Preemption is not helpful for scheduling';
export const NO_PREEMPTION_VICTIMS = 'No preemption victims found for incoming pod';
export const NOT_ELIGIBLE_POLICY_NEVER = 'not eligible due to preemptionPolicy=Never.';

export interface PreemptionCandidate {
  node: NodeInfo;
  /** Ordered most important first. */
  victims: PodInfo[];
}

export interface PreemptionResult {
  /** The PostFilter message (`preemption: …`), absent when a candidate was found. */
  message?: string;
  candidate?: PreemptionCandidate;
}

/** util.MoreImportantPod: higher priority first, then the one running longer. */
function moreImportant(a: PodInfo, b: PodInfo): number {
  if (a.priority !== b.priority) return b.priority - a.priority;
  return a.startTime - b.startTime;
}

/** Evaluates preemption for a pod that fits nowhere. Synchronous; restores every NodeInfo it touches. */
export function evaluatePreemption(pi: PodInfo, numAllNodes: number, diagnosis: Diagnosis): PreemptionResult {
  if (pi.pod.spec?.preemptionPolicy === 'Never') return { message: `preemption: ${NOT_ELIGIBLE_POLICY_NEVER}` };

  const notHelpful = unresolvable('DefaultPreemption', PREEMPTION_NOT_HELPFUL);
  const statuses: FailedNode[] = [];
  const candidates: PreemptionCandidate[] = [];
  let accounted = 0;
  for (const f of diagnosis.failed) {
    accounted++;
    if (f.status.code !== 'Unschedulable') {
      statuses.push({ node: f.node, status: notHelpful });
      continue;
    }
    const r = selectVictimsOnNode(pi, f.node);
    if ('status' in r) statuses.push({ node: f.node, status: r.status });
    else candidates.push({ node: f.node, victims: r.victims });
  }
  if (candidates.length > 0) return { candidate: pickCandidate(candidates) };
  // Nodes never evaluated (PreFilter) cannot be helped either (SetAbsentNodesStatus).
  const absent = numAllNodes - accounted;
  const inner: Diagnosis = { failed: statuses, unschedulablePlugins: new Set(), ...(absent > 0 ? { absent: { count: absent, status: notHelpful } } : {}) };
  return { message: `preemption: ${fitErrorMessage(numAllNodes, inner)}` };
}

/** SelectVictimsOnNode: the fewest lower-priority pods whose removal lets the pod fit, or why none do. */
function selectVictimsOnNode(pi: PodInfo, ni: NodeInfo): { victims: PodInfo[] } | { status: Status } {
  const potential: PodInfo[] = [];
  for (const p of ni.pods.values()) if (p.priority < pi.priority) potential.push(p);
  if (potential.length === 0) return { status: unresolvable('DefaultPreemption', NO_PREEMPTION_VICTIMS) };
  for (const v of potential) ni.removePod(v.uid);
  const victims: PodInfo[] = [];
  try {
    const status = runFilters(pi, ni);
    if (status) return { status };
    potential.sort(moreImportant);
    // Reprieve as many as possible, most important first.
    for (const v of potential) {
      ni.addPod(v);
      if (runFilters(pi, ni)) {
        ni.removePod(v.uid);
        victims.push(v);
      }
    }
    return { victims };
  } finally {
    for (const v of potential) if (!ni.pods.has(v.uid)) ni.addPod(v);
  }
}

/** pickOneNodeForPreemption (without PodDisruptionBudgets). */
function pickCandidate(candidates: PreemptionCandidate[]): PreemptionCandidate {
  const highest = (c: PreemptionCandidate) => c.victims[0]?.priority ?? Number.MIN_SAFE_INTEGER;
  const sum = (c: PreemptionCandidate) => c.victims.reduce((s, v) => s + v.priority, 0);
  const latestStartOfHighest = (c: PreemptionCandidate) => {
    const top = highest(c);
    let latest = 0;
    for (const v of c.victims) if (v.priority === top && v.startTime > latest) latest = v.startTime;
    return latest;
  };
  return [...candidates].sort(
    (a, b) => highest(a) - highest(b) || sum(a) - sum(b) || a.victims.length - b.victims.length || latestStartOfHighest(b) - latestStartOfHighest(a),
  )[0] as PreemptionCandidate;
}

/**
 * NodeResourcesFit: the pod's requests must fit in the node's allocatable minus what the pods
 * counted there already request, and one more pod must fit in `allocatable.pods`. Every shortage
 * is reported (`Too many pods`, `Insufficient cpu`, `Insufficient memory`, …). A shortage that
 * removing pods could cure is `Unschedulable` (preemption might help); a request larger than the
 * node's whole allocatable is `UnschedulableAndUnresolvable` (kubernetes/kubernetes#131345).
 *
 * Score (LeastAllocated, weight 1): the free fraction of cpu and memory after placing the pod,
 * counting the scheduler's defaults (100m, 200Mi) for containers that request nothing.
 */
import type { NodeInfo } from '../cache/node-info.js';
import type { PodInfo } from '../framework/pod-info.js';
import { MAX_NODE_SCORE, type Status } from '../framework/status.js';

export const NODE_RESOURCES_FIT_WEIGHT = 1;

export interface InsufficientResource {
  resource: string;
  reason: string;
  requested: number;
  used: number;
  capacity: number;
  /** The node could not hold the request even with no pods on it. */
  unresolvable: boolean;
}

/** fitsRequest: every shortage of the pod on the node, in kube-scheduler's order. */
export function insufficientResources(pi: PodInfo, ni: NodeInfo): InsufficientResource[] {
  const out: InsufficientResource[] = [];
  const alloc = ni.allocatable;
  const used = ni.requested;
  if (ni.podCount + 1 > ni.allowedPods) {
    out.push({ resource: 'pods', reason: 'Too many pods', requested: 1, used: ni.podCount, capacity: ni.allowedPods, unresolvable: ni.allowedPods < 1 });
  }
  if (!pi.requestsResources) return out;
  const req = pi.request;
  if (req.milliCPU > 0 && req.milliCPU > alloc.milliCPU - used.milliCPU) {
    out.push({ resource: 'cpu', reason: 'Insufficient cpu', requested: req.milliCPU, used: used.milliCPU, capacity: alloc.milliCPU, unresolvable: req.milliCPU > alloc.milliCPU });
  }
  if (req.memory > 0 && req.memory > alloc.memory - used.memory) {
    out.push({ resource: 'memory', reason: 'Insufficient memory', requested: req.memory, used: used.memory, capacity: alloc.memory, unresolvable: req.memory > alloc.memory });
  }
  if (req.ephemeralStorage > 0 && req.ephemeralStorage > alloc.ephemeralStorage - used.ephemeralStorage) {
    out.push({
      resource: 'ephemeral-storage',
      reason: 'Insufficient ephemeral-storage',
      requested: req.ephemeralStorage,
      used: used.ephemeralStorage,
      capacity: alloc.ephemeralStorage,
      unresolvable: req.ephemeralStorage > alloc.ephemeralStorage,
    });
  }
  if (req.scalar.size > 0) {
    for (const name of [...req.scalar.keys()].sort()) {
      const q = req.scalar.get(name) as number;
      if (q === 0) continue;
      const a = alloc.scalar.get(name) ?? 0;
      const u = used.scalar.get(name) ?? 0;
      if (q > a - u) out.push({ resource: name, reason: `Insufficient ${name}`, requested: q, used: u, capacity: a, unresolvable: q > a });
    }
  }
  return out;
}

export function filterNodeResourcesFit(pi: PodInfo, ni: NodeInfo): Status | undefined {
  // Fast path: most nodes fit; check the common dimensions before building anything.
  const alloc = ni.allocatable;
  const used = ni.requested;
  const req = pi.request;
  if (
    ni.podCount + 1 <= ni.allowedPods &&
    (!pi.requestsResources ||
      (req.milliCPU <= alloc.milliCPU - used.milliCPU && req.memory <= alloc.memory - used.memory && req.ephemeralStorage <= alloc.ephemeralStorage - used.ephemeralStorage && req.scalar.size === 0))
  ) {
    return undefined;
  }
  const short = insufficientResources(pi, ni);
  if (short.length === 0) return undefined;
  return {
    code: short.some((s) => s.unresolvable) ? 'UnschedulableAndUnresolvable' : 'Unschedulable',
    reasons: short.map((s) => s.reason),
    plugin: 'NodeResourcesFit',
  };
}

function leastRequested(requested: number, capacity: number): number {
  if (capacity === 0 || requested > capacity) return 0;
  return Math.trunc(((capacity - requested) * MAX_NODE_SCORE) / capacity);
}

/** LeastAllocated over cpu and memory (weights 1 and 1); resources the node lacks are skipped. */
export function scoreLeastAllocated(pi: PodInfo, ni: NodeInfo): number {
  let score = 0;
  let weights = 0;
  const cpu = ni.allocatable.milliCPU;
  if (cpu > 0) {
    score += leastRequested(ni.nonZeroMilliCPU + pi.nonZeroMilliCPU, cpu);
    weights++;
  }
  const mem = ni.allocatable.memory;
  if (mem > 0) {
    score += leastRequested(ni.nonZeroMemory + pi.nonZeroMemory, mem);
    weights++;
  }
  return weights === 0 ? 0 : Math.trunc(score / weights);
}

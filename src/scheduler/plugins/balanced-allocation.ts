/**
 * NodeResourcesBalancedAllocation (weight 1): prefers nodes whose cpu and memory would be used in
 * similar proportions after placing the pod — score = (1 − standard deviation of the fractions)
 * × 100, which for two resources is |f_cpu − f_mem| / 2. Counts actual requests, not defaults.
 */
import type { NodeInfo } from '../cache/node-info.js';
import type { PodInfo } from '../framework/pod-info.js';
import { MAX_NODE_SCORE } from '../framework/status.js';

export const BALANCED_ALLOCATION_WEIGHT = 1;

export function scoreBalancedAllocation(pi: PodInfo, ni: NodeInfo): number {
  const cpuAlloc = ni.allocatable.milliCPU;
  const memAlloc = ni.allocatable.memory;
  let fractions = 0;
  let fCpu = 0;
  let fMem = 0;
  if (cpuAlloc > 0) {
    fCpu = Math.min(1, (ni.requested.milliCPU + pi.request.milliCPU) / cpuAlloc);
    fractions++;
  }
  if (memAlloc > 0) {
    fMem = Math.min(1, (ni.requested.memory + pi.request.memory) / memAlloc);
    fractions++;
  }
  const std = fractions === 2 ? Math.abs((fCpu - fMem) / 2) : 0;
  return Math.trunc((1 - std) * MAX_NODE_SCORE);
}

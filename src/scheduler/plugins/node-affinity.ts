/**
 * NodeAffinity: `spec.nodeSelector` and required node affinity filter nodes (unresolvable); a
 * required `matchFields metadata.name In [...]` restricts the nodes even looked at (PreFilter —
 * every other node "didn't satisfy plugin(s) [NodeAffinity]"); preferred terms add their weights
 * to the score (weight 2 in the default profile).
 */
import type { NodeInfo } from '../cache/node-info.js';
import type { PodInfo } from '../framework/pod-info.js';
import { unresolvable, type Status } from '../framework/status.js';

export const ERR_REASON_NODE_AFFINITY = "node(s) didn't match Pod's node affinity/selector";
/** PreFilter failure when the name-pinning terms cannot all be met. */
export const ERR_REASON_AFFINITY_CONFLICT = 'pod affinity terms conflict';
export const NODE_AFFINITY_WEIGHT = 2;

const STATUS = unresolvable('NodeAffinity', ERR_REASON_NODE_AFFINITY);

export function filterNodeAffinity(pi: PodInfo, ni: NodeInfo): Status | undefined {
  if (!pi.requiredAffinity) return undefined;
  return pi.requiredAffinity(ni.labels, ni.name) ? undefined : STATUS;
}

/** Raw score: sum of the weights of matching preferred terms. */
export function scoreNodeAffinity(pi: PodInfo, ni: NodeInfo): number {
  return pi.preferredAffinity ? pi.preferredAffinity(ni.labels, ni.name) : 0;
}

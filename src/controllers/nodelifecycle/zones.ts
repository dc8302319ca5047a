/**
 * Zones and disruption (node_lifecycle_controller.go handleDisruption): each zone — the node's
 * region and zone labels — has its own eviction queue and a state computed from its nodes' Ready
 * conditions:
 *
 * - FullDisruption: no node in the zone is Ready;
 * - PartialDisruption: more than 2 nodes and at least 55% (--unhealthy-zone-threshold) not Ready;
 * - Normal otherwise.
 *
 * Normal evicts at --node-eviction-rate (0.1 node/s). PartialDisruption slows to
 * --secondary-node-eviction-rate (0.01/s) in zones larger than --large-cluster-size-threshold (50
 * nodes) and stops evicting in smaller ones. FullDisruption keeps the normal rate — unless every
 * zone is fully disrupted, which looks like the control plane lost its network rather than all
 * nodes dying: then all NoExecute taints are removed and eviction stops until some node is Ready.
 * In a one-node cluster this means a lost node is never evicted from, as in Kubernetes.
 */
import type { Node, NodeCondition } from 'kubernetes-types/core/v1.js';

export type ZoneState = 'Initial' | 'Normal' | 'PartialDisruption' | 'FullDisruption';

const LABEL_ZONE = 'topology.kubernetes.io/zone';
const LABEL_REGION = 'topology.kubernetes.io/region';
const LABEL_ZONE_BETA = 'failure-domain.beta.kubernetes.io/zone';
const LABEL_REGION_BETA = 'failure-domain.beta.kubernetes.io/region';
/** node.kubernetes.io/exclude-disruption: nodes left out of the zone health computation. */
export const LABEL_EXCLUDE_DISRUPTION = 'node.kubernetes.io/exclude-disruption';

/** topology.GetZoneKey: `<region>:\x00:<zone>`, or '' for nodes without either label. */
export function zoneKey(node: Node): string {
  const l = node.metadata?.labels ?? {};
  const zone = l[LABEL_ZONE] ?? l[LABEL_ZONE_BETA] ?? '';
  const region = l[LABEL_REGION] ?? l[LABEL_REGION_BETA] ?? '';
  if (!zone && !region) return '';
  return `${region}:\x00:${zone}`;
}

/** ComputeZoneState: how many nodes are not Ready, and the zone's state. */
export function computeZoneState(readyConditions: ReadonlyArray<NodeCondition | undefined>, unhealthyZoneThreshold: number): { unhealthy: number; state: ZoneState } {
  let ready = 0;
  let notReady = 0;
  for (const c of readyConditions) {
    if (c?.status === 'True') ready++;
    else notReady++;
  }
  if (ready === 0 && notReady > 0) return { unhealthy: notReady, state: 'FullDisruption' };
  if (notReady > 2 && notReady / (notReady + ready) >= unhealthyZoneThreshold) return { unhealthy: notReady, state: 'PartialDisruption' };
  return { unhealthy: notReady, state: 'Normal' };
}

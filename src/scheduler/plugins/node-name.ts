/**
 * NodeName: a pod that names its node (`spec.nodeName`) fits only that node. The scheduler never
 * sees such pods from the informer (they are already assigned), but the filter belongs to the
 * profile and preemption's dry runs use it.
 */
import type { NodeInfo } from '../cache/node-info.js';
import type { PodInfo } from '../framework/pod-info.js';
import { unresolvable, type Status } from '../framework/status.js';

export const ERR_REASON_NODE_NAME = "node(s) didn't match the requested node name";

const STATUS = unresolvable('NodeName', ERR_REASON_NODE_NAME);

export function filterNodeName(pi: PodInfo, ni: NodeInfo): Status | undefined {
  const want = pi.pod.spec?.nodeName;
  return want && want !== ni.name ? STATUS : undefined;
}

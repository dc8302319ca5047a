/**
 * NodePorts: a pod asking for host ports fits only where no other pod holds the same protocol and
 * port on an overlapping address. Evicting the holder would free it, so preemption might help.
 */
import type { NodeInfo } from '../cache/node-info.js';
import type { PodInfo } from '../framework/pod-info.js';
import { unschedulable, type Status } from '../framework/status.js';

export const ERR_REASON_NODE_PORTS = "node(s) didn't have free ports for the requested pod ports";

const STATUS = unschedulable('NodePorts', ERR_REASON_NODE_PORTS);

export function filterNodePorts(pi: PodInfo, ni: NodeInfo): Status | undefined {
  return pi.hostPorts.length > 0 && ni.hasPortConflict(pi.hostPorts) ? STATUS : undefined;
}

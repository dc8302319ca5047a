/**
 * NodeUnschedulable: a cordoned node (`spec.unschedulable`) takes only pods that tolerate the
 * `node.kubernetes.io/unschedulable:NoSchedule` taint (DaemonSet pods do). Removing the pods on
 * the node cannot help, so the status is unresolvable.
 */
import type { Taint } from 'kubernetes-types/core/v1.js';
import { TAINT_NODE_UNSCHEDULABLE, tolerationsTolerateTaint } from '../../api/taints.js';
import type { NodeInfo } from '../cache/node-info.js';
import type { PodInfo } from '../framework/pod-info.js';
import { unresolvable, type Status } from '../framework/status.js';

export const ERR_REASON_UNSCHEDULABLE = 'node(s) were unschedulable';

const UNSCHEDULABLE_TAINT: Taint = { key: TAINT_NODE_UNSCHEDULABLE, effect: 'NoSchedule' };
const STATUS = unresolvable('NodeUnschedulable', ERR_REASON_UNSCHEDULABLE);

export function filterNodeUnschedulable(pi: PodInfo, ni: NodeInfo): Status | undefined {
  if (!ni.unschedulable) return undefined;
  return tolerationsTolerateTaint(pi.tolerations, UNSCHEDULABLE_TAINT) ? undefined : STATUS;
}

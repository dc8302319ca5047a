/**
 * Cluster events that can make an unschedulable pod schedulable, and which plugins care about
 * which (each plugin's EventsToRegister). A pod rejected only by NodeAffinity is not retried when
 * some other pod is deleted; one rejected by NodeResourcesFit is.
 */
import type { Node } from 'kubernetes-types/core/v1.js';
import type { PluginName } from '../framework/status.js';

export type ClusterEvent =
  | 'NodeAdd'
  | 'NodeAllocatableChange'
  | 'NodeLabelChange'
  | 'NodeTaintChange'
  | 'NodeConditionChange'
  | 'AssignedPodDelete'
  /** A PersistentVolumeClaim was added or changed (bound, say). */
  | 'PvcAddOrUpdate'
  /** A PersistentVolume was added or changed. */
  | 'PvAddOrUpdate'
  /** Periodic flush of pods stuck in the unschedulable pool (every pod moves). */
  | 'UnschedulableTimeout';

/** EventsToRegister of the default profile's filter plugins (without queueing hints). */
export const PLUGIN_EVENTS: Readonly<Partial<Record<PluginName, ReadonlySet<ClusterEvent>>>> = {
  NodeUnschedulable: new Set(['NodeAdd', 'NodeTaintChange']),
  NodeName: new Set(['NodeAdd']),
  TaintToleration: new Set(['NodeAdd', 'NodeTaintChange']),
  NodeAffinity: new Set(['NodeAdd', 'NodeLabelChange']),
  NodePorts: new Set(['NodeAdd', 'AssignedPodDelete']),
  NodeResourcesFit: new Set(['NodeAdd', 'NodeAllocatableChange', 'NodeTaintChange', 'NodeLabelChange', 'AssignedPodDelete']),
  VolumeBinding: new Set(['NodeAdd', 'NodeLabelChange', 'PvcAddOrUpdate', 'PvAddOrUpdate']),
  VolumeZone: new Set(['NodeAdd', 'NodeLabelChange', 'PvcAddOrUpdate', 'PvAddOrUpdate']),
};

/** Whether `event` may help a pod rejected by `plugins` (no plugins: an unknown failure, always retry). */
export function eventMatchesPlugins(event: ClusterEvent, plugins: ReadonlySet<PluginName>): boolean {
  if (event === 'UnschedulableTimeout' || plugins.size === 0) return true;
  for (const p of plugins) if (PLUGIN_EVENTS[p]?.has(event)) return true;
  return false;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/** nodeSchedulingPropertiesChange: the events a node update amounts to (none: nothing the scheduler uses changed). */
export function nodeUpdateEvents(oldNode: Node, newNode: Node): ClusterEvent[] {
  const events: ClusterEvent[] = [];
  if (oldNode.spec?.unschedulable !== newNode.spec?.unschedulable || !sameJson(oldNode.spec?.taints, newNode.spec?.taints)) events.push('NodeTaintChange');
  if (!sameJson(oldNode.status?.allocatable, newNode.status?.allocatable)) events.push('NodeAllocatableChange');
  if (!sameJson(oldNode.metadata?.labels, newNode.metadata?.labels)) events.push('NodeLabelChange');
  const conds = (n: Node) => (n.status?.conditions ?? []).map((c) => [c.type, c.status]);
  if (!sameJson(conds(oldNode), conds(newNode))) events.push('NodeConditionChange');
  return events;
}

/**
 * Plugin results (framework.Status): a code and the reasons shown to users. `Unschedulable`
 * means preemption might help (removing pods could make room); `UnschedulableAndUnresolvable`
 * means it cannot (wrong labels, untolerated taint, a node too small even when empty).
 */

/** The plugins of the default profile, in kube-scheduler's filter order. */
export type PluginName =
  | 'SchedulingGates'
  | 'NodeUnschedulable'
  | 'NodeName'
  | 'TaintToleration'
  | 'NodeAffinity'
  | 'NodePorts'
  | 'NodeResourcesFit'
  | 'VolumeBinding'
  | 'VolumeZone'
  | 'PodTopologySpread'
  | 'NodeResourcesBalancedAllocation'
  | 'DefaultPreemption'
  | 'DefaultBinder';

export type StatusCode = 'Unschedulable' | 'UnschedulableAndUnresolvable' | 'Error';

export interface Status {
  code: StatusCode;
  reasons: readonly string[];
  plugin: PluginName;
}

export function unschedulable(plugin: PluginName, ...reasons: string[]): Status {
  return { code: 'Unschedulable', reasons, plugin };
}

export function unresolvable(plugin: PluginName, ...reasons: string[]): Status {
  return { code: 'UnschedulableAndUnresolvable', reasons, plugin };
}

/** framework.MaxNodeScore: every score plugin returns 0..100 after normalisation. */
export const MAX_NODE_SCORE = 100;

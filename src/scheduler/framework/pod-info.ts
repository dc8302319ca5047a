/**
 * PodInfo: what the scheduler needs from a pod, computed once per pod version (framework.PodInfo
 * plus the plugins' PreFilter/PreScore state that depends only on the pod): resource requests,
 * host ports, tolerations, compiled node affinity, priority and the owner used for default
 * spreading. Filtering and scoring thousands of nodes then reads plain fields only.
 */
import type { Pod, Toleration } from 'kubernetes-types/core/v1.js';
import { compilePreferredNodeAffinity, compileRequiredNodeAffinity, requiredNodeNames } from '../../api/node-affinity.js';
import { podRequests, type Resource } from './resources.js';
import { podClaimNames, type PodVolumes } from '../plugins/volume-binding.js';

/** A host port a container asks for (NodePorts): protocol, host IP ("0.0.0.0" = every address), port. */
export interface HostPort {
  protocol: string;
  ip: string;
  port: number;
}

/** The owner kinds whose pods are spread across nodes by default (PodTopologySpread's DefaultSelector sources). */
export const SPREAD_OWNER_KINDS = new Set(['ReplicaSet', 'ReplicationController', 'StatefulSet']);

export interface PodInfo {
  pod: Pod;
  /** `namespace/name`. */
  key: string;
  uid: string;
  namespace: string;
  /** spec.priority (0 when unset). */
  priority: number;
  /** Requests as the NodeResourcesFit filter counts them. */
  request: Resource;
  /** Whether the pod requests any resource at all (fitsRequest's early exit). */
  requestsResources: boolean;
  /** Requests with the scheduler's defaults for missing cpu/memory (scoring). */
  nonZeroMilliCPU: number;
  nonZeroMemory: number;
  hostPorts: HostPort[];
  tolerations: Toleration[];
  /** nodeSelector AND required node affinity; undefined when the pod has neither. */
  requiredAffinity: ((labels: Readonly<Record<string, string>> | undefined, name: string) => boolean) | undefined;
  /** Nodes named by `matchFields metadata.name In` (NodeAffinity PreFilter); undefined = any. */
  requiredNodeNames: Set<string> | undefined;
  preferredAffinity: ((labels: Readonly<Record<string, string>> | undefined, name: string) => number) | undefined;
  /** UID of the controlling ReplicaSet/StatefulSet/ReplicationController: pods sharing it are spread. */
  spreadKey: string | undefined;
  /** `spreadKey` interned by the scheduler cache (-1 until then, or without a key). */
  spreadId: number;
  /**
   * No node name, node affinity, host ports, scalar requests or volume claims: only taints,
   * cordoning and the basic resources can reject it, which the filter fast path checks inline.
   */
  simple: boolean;
  /** Names of the PersistentVolumeClaims the pod mounts (VolumeBinding, VolumeZone). */
  claimNames: string[];
  /** The claims' state in the current scheduling cycle (set by the VolumeBinding PreFilter). */
  volumes?: PodVolumes;
  /** Being deleted: spreading does not count it. */
  terminating: boolean;
  /** ms since epoch (status.startTime, else creation): preemption orders victims by it. */
  startTime: number;
}

/** The host ports of a pod's containers and restartable init containers (schedutil.GetHostPorts). */
function hostPortsOf(pod: Pod): HostPort[] {
  const out: HostPort[] = [];
  const containers = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always')];
  for (const c of containers) {
    for (const p of c.ports ?? []) {
      if (!p.hostPort || p.hostPort <= 0) continue;
      out.push({ protocol: p.protocol || 'TCP', ip: p.hostIP || '0.0.0.0', port: p.hostPort });
    }
  }
  return out;
}

/** Computes the PodInfo of a pod (cheap enough to redo on every pod update). */
export function newPodInfo(pod: Pod): PodInfo {
  const spec = pod.spec;
  const request = podRequests(spec);
  const nonZero = podRequests(spec, true);
  const owner = pod.metadata?.ownerReferences?.find((r) => r.controller === true);
  const requiredAffinity = compileRequiredNodeAffinity(spec);
  const hostPorts = hostPortsOf(pod);
  const claimNames = podClaimNames(pod);
  const started = Date.parse(pod.status?.startTime ?? pod.metadata?.creationTimestamp ?? '');
  return {
    pod,
    key: `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`,
    uid: pod.metadata?.uid ?? '',
    namespace: pod.metadata?.namespace ?? '',
    priority: spec?.priority ?? 0,
    request,
    requestsResources: request.milliCPU !== 0 || request.memory !== 0 || request.ephemeralStorage !== 0 || request.scalar.size !== 0,
    nonZeroMilliCPU: nonZero.milliCPU,
    nonZeroMemory: nonZero.memory,
    hostPorts,
    tolerations: spec?.tolerations ?? [],
    requiredAffinity,
    requiredNodeNames: requiredNodeNames(spec),
    preferredAffinity: compilePreferredNodeAffinity(spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution),
    spreadKey: owner && SPREAD_OWNER_KINDS.has(owner.kind) ? owner.uid : undefined,
    spreadId: -1,
    claimNames,
    simple: !spec?.nodeName && !requiredAffinity && hostPorts.length === 0 && request.scalar.size === 0 && claimNames.length === 0,
    terminating: !!pod.metadata?.deletionTimestamp,
    startTime: Number.isNaN(started) ? 0 : started,
  };
}

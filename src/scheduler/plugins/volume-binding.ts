/**
 * VolumeBinding and VolumeZone: a pod's PersistentVolumeClaims constrain where it can run.
 *
 * PreFilter (VolumeBinding), from the claim and volume caches at the start of each cycle: a claim
 * that does not exist, or is being deleted, makes the pod unschedulable; so does an unbound claim
 * whose binding is Immediate (a class the local-path provisioner does not serve, or `""`): the
 * volume controller has to bind it first ("pod has unbound immediate PersistentVolumeClaims").
 * An unbound claim of a provisioned class waits for its first consumer (WaitForFirstConsumer):
 * the local-path provisioner can make its volume on whichever node the pod lands on, so it does
 * not restrict placement. A bound claim's volume is kept for the filters.
 *
 * Filter (VolumeBinding): a node must satisfy the required node affinity of every bound volume
 * ("node(s) had volume node affinity conflict") — a local-path volume is a directory on one node,
 * so a StatefulSet pod returns to the node that holds its data. A claim bound to a volume that
 * does not exist rejects every node.
 *
 * Filter (VolumeZone): a bound volume labelled with a zone or region only fits nodes in one of
 * its zones/regions ("node(s) had no available volume zone"); nodes without such labels pass.
 */
import type { PersistentVolume, PersistentVolumeClaim } from 'kubernetes-types/core/v1.js';
import { isProvisionable, volumeAllowsNode } from '../../api/local-path.js';
import type { NodeInfo } from '../cache/node-info.js';
import type { PodInfo } from '../framework/pod-info.js';
import { unresolvable, type Status } from '../framework/status.js';

export const ERR_REASON_NODE_CONFLICT = 'node(s) had volume node affinity conflict';
export const ERR_REASON_PV_NOT_EXIST = 'node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s)';
export const ERR_REASON_UNBOUND_IMMEDIATE = 'pod has unbound immediate PersistentVolumeClaims';
export const ERR_REASON_ZONE_CONFLICT = 'node(s) had no available volume zone';

/** The topology labels VolumeZone compares (GA and beta names). */
export const VOLUME_TOPOLOGY_LABELS: readonly string[] = [
  'topology.kubernetes.io/zone',
  'topology.kubernetes.io/region',
  'failure-domain.beta.kubernetes.io/zone',
  'failure-domain.beta.kubernetes.io/region',
];

/** Where the plugin reads claims and volumes (the scheduler's informer caches). */
export interface VolumeLookups {
  claim(namespace: string, name: string): PersistentVolumeClaim | undefined;
  volume(name: string): PersistentVolume | undefined;
}

/** The pod's volume state for one scheduling cycle (VolumeBinding's CycleState). */
export interface PodVolumes {
  /** A PreFilter rejection: the message replaces the per-node histogram. */
  preFilter?: Status;
  /** Volumes the pod's bound claims are bound to. */
  bound: PersistentVolume[];
  /** Some bound claim names a volume that does not exist. */
  missingVolume: boolean;
}

/** The claim names of a pod's persistentVolumeClaim volumes. */
export function podClaimNames(pod: { spec?: { volumes?: Array<{ persistentVolumeClaim?: { claimName?: string } }> } }): string[] {
  const out: string[] = [];
  for (const v of pod.spec?.volumes ?? []) if (v.persistentVolumeClaim?.claimName) out.push(v.persistentVolumeClaim.claimName);
  return out;
}

/** PreFilter: reads the pod's claims and their volumes. */
export function preFilterVolumeBinding(pi: PodInfo, lookups: VolumeLookups): PodVolumes {
  const state: PodVolumes = { bound: [], missingVolume: false };
  let unboundImmediate = false;
  for (const name of pi.claimNames) {
    const pvc = lookups.claim(pi.namespace, name);
    if (!pvc) return { ...state, preFilter: unresolvable('VolumeBinding', `persistentvolumeclaim "${name}" not found`) };
    if (pvc.metadata?.deletionTimestamp) return { ...state, preFilter: unresolvable('VolumeBinding', `persistentvolumeclaim "${name}" is being deleted`) };
    const volumeName = pvc.spec?.volumeName;
    if (volumeName) {
      const pv = lookups.volume(volumeName);
      if (pv) state.bound.push(pv);
      else state.missingVolume = true;
      continue;
    }
    if (!isProvisionable(pvc)) unboundImmediate = true;
  }
  if (unboundImmediate) state.preFilter = unresolvable('VolumeBinding', ERR_REASON_UNBOUND_IMMEDIATE);
  return state;
}

const NODE_CONFLICT = unresolvable('VolumeBinding', ERR_REASON_NODE_CONFLICT);
const PV_NOT_EXIST = unresolvable('VolumeBinding', ERR_REASON_PV_NOT_EXIST);
const ZONE_CONFLICT = unresolvable('VolumeZone', ERR_REASON_ZONE_CONFLICT);

export function filterVolumeBinding(pi: PodInfo, ni: NodeInfo): Status | undefined {
  const v = pi.volumes;
  if (!v) return undefined;
  if (v.missingVolume) return PV_NOT_EXIST;
  for (const pv of v.bound) if (!volumeAllowsNode(pv, ni.labels, ni.name)) return NODE_CONFLICT;
  return undefined;
}

export function filterVolumeZone(pi: PodInfo, ni: NodeInfo): Status | undefined {
  const v = pi.volumes;
  if (!v || v.bound.length === 0) return undefined;
  const labels = ni.labels ?? {};
  if (!VOLUME_TOPOLOGY_LABELS.some((k) => k in labels)) return undefined;
  for (const pv of v.bound) {
    for (const key of VOLUME_TOPOLOGY_LABELS) {
      const want = pv.metadata?.labels?.[key];
      if (want === undefined) continue;
      // A volume in several zones lists them joined by "__" (volumehelpers.LabelZonesToSet).
      if (!want.split('__').includes(labels[key] ?? '')) return ZONE_CONFLICT;
    }
  }
  return undefined;
}

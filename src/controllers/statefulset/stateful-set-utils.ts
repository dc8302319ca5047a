/**
 * StatefulSet identity and storage (Kubernetes' stateful_set_utils.go): pods are `<set>-<ordinal>`
 * with hostname = pod name and subdomain = serviceName, labelled with their name, index and
 * revision; each volumeClaimTemplate becomes the claim `<template>-<set>-<ordinal>`, mounted by the
 * pod under the template's name.
 */
import type { ControllerRevision, StatefulSet, StatefulSetStatus } from 'kubernetes-types/apps/v1.js';
import type { PersistentVolumeClaim, Pod, Volume } from 'kubernetes-types/core/v1.js';
import { newControllerRevision } from '../history/controller-history.js';
import { templateFromRevisionData, templateRevisionData } from '../history/revision-data.js';
import type { OwnerInfo } from '../lib/controller-ref.js';
import { podFromTemplate } from '../lib/pod-control.js';
import { isPodAvailable, isPodReady } from '../lib/pod-utils.js';

/** Pod label with the pod's own name (StatefulSetPodNameLabel). */
export const STATEFULSET_POD_NAME_LABEL = 'statefulset.kubernetes.io/pod-name';
/** Pod label with the pod's ordinal (PodIndexLabel). */
export const POD_INDEX_LABEL = 'apps.kubernetes.io/pod-index';
/** Pod label with the full name of the revision it was made from (StatefulSetRevisionLabel). */
export const STATEFULSET_REVISION_LABEL = 'controller-revision-hash';

const STATEFUL_POD_NAME = /^(.*)-([0-9]+)$/;

/** The parent set name and ordinal encoded in a pod name; ordinal -1 if there is none. */
export function parentAndOrdinal(podName: string): { parent: string; ordinal: number } {
  const m = STATEFUL_POD_NAME.exec(podName);
  if (!m) return { parent: '', ordinal: -1 };
  const n = Number(m[2]);
  // strconv.ParseInt(s, 10, 32): out-of-range ordinals count as none.
  return { parent: m[1]!, ordinal: Number.isSafeInteger(n) && n <= 2147483647 ? n : -1 };
}

export function ordinalOf(pod: Pod): number {
  return parentAndOrdinal(pod.metadata?.name ?? '').ordinal;
}

export function startOrdinal(set: StatefulSet): number {
  return set.spec?.ordinals?.start ?? 0;
}

export function replicasOf(set: StatefulSet): number {
  return set.spec?.replicas ?? 1;
}

/** The last ordinal the set keeps (inclusive). */
export function endOrdinal(set: StatefulSet): number {
  return startOrdinal(set) + replicasOf(set) - 1;
}

export function inOrdinalRange(pod: Pod, set: StatefulSet): boolean {
  const o = ordinalOf(pod);
  return o >= startOrdinal(set) && o <= endOrdinal(set);
}

export function podName(set: StatefulSet, ordinal: number): string {
  return `${set.metadata!.name}-${ordinal}`;
}

export function claimName(set: StatefulSet, template: PersistentVolumeClaim, ordinal: number): string {
  return `${template.metadata?.name ?? ''}-${set.metadata!.name}-${ordinal}`;
}

/** isMemberOf: the pod's name says it belongs to the set. */
export function isMemberOf(set: StatefulSet, pod: Pod): boolean {
  return parentAndOrdinal(pod.metadata?.name ?? '').parent === set.metadata?.name;
}

/** identityMatches: name, namespace and pod-name label agree with the set and ordinal. */
export function identityMatches(set: StatefulSet, pod: Pod): boolean {
  const { parent, ordinal } = parentAndOrdinal(pod.metadata?.name ?? '');
  return ordinal >= 0 && parent === set.metadata?.name && pod.metadata?.namespace === set.metadata?.namespace && pod.metadata?.labels?.[STATEFULSET_POD_NAME_LABEL] === pod.metadata?.name;
}

/** storageMatches: the pod mounts every template's claim under the template's name. */
export function storageMatches(set: StatefulSet, pod: Pod): boolean {
  const ordinal = ordinalOf(pod);
  if (ordinal < 0) return false;
  const volumes = new Map((pod.spec?.volumes ?? []).map((v) => [v.name, v]));
  for (const t of set.spec?.volumeClaimTemplates ?? []) {
    const v = volumes.get(t.metadata?.name ?? '');
    if (!v?.persistentVolumeClaim || v.persistentVolumeClaim.claimName !== claimName(set, t, ordinal)) return false;
  }
  return true;
}

/**
 * The claims the pod needs (getPersistentVolumeClaims), by template name: each template with its
 * per-pod name, the set's namespace, and the set's selector labels added so they can be found.
 */
export function claimsFor(set: StatefulSet, ordinal: number): Map<string, PersistentVolumeClaim> {
  const out = new Map<string, PersistentVolumeClaim>();
  for (const t of set.spec?.volumeClaimTemplates ?? []) {
    const claim = structuredClone(t) as PersistentVolumeClaim;
    const { creationTimestamp: _ts, ...meta } = (claim.metadata ?? {}) as Record<string, unknown>;
    claim.apiVersion = 'v1';
    claim.kind = 'PersistentVolumeClaim';
    claim.metadata = { ...(meta as PersistentVolumeClaim['metadata']), name: claimName(set, t, ordinal), namespace: set.metadata!.namespace! };
    claim.metadata!.labels = { ...(t.metadata?.labels ?? {}), ...(set.spec?.selector?.matchLabels ?? {}) };
    delete (claim as { status?: unknown }).status;
    out.set(t.metadata?.name ?? '', claim);
  }
  return out;
}

/** updateStorage: the claim volumes first (template order), then the pod's other volumes. */
export function withClaimVolumes(set: StatefulSet, ordinal: number, volumes: readonly Volume[] | undefined): Volume[] {
  const claims = claimsFor(set, ordinal);
  const out: Volume[] = [];
  for (const [name, claim] of claims) out.push({ name, persistentVolumeClaim: { claimName: claim.metadata!.name! } });
  for (const v of volumes ?? []) if (!claims.has(v.name)) out.push(v);
  return out;
}

/** Sets the identity labels (updateIdentity). */
export function setIdentityLabels(pod: Pod, name: string, ordinal: number): void {
  pod.metadata = { ...(pod.metadata ?? {}), labels: { ...(pod.metadata?.labels ?? {}), [STATEFULSET_POD_NAME_LABEL]: name, [POD_INDEX_LABEL]: String(ordinal) } };
}

/**
 * newStatefulSetPod: the pod for `ordinal` from the set's template — its name, identity labels,
 * hostname and subdomain (set only at creation), and claim volumes.
 */
export function newStatefulSetPod(set: StatefulSet, owner: OwnerInfo, ordinal: number): Pod {
  const pod = podFromTemplate(set.spec!.template, owner, set.metadata!.namespace!);
  const name = podName(set, ordinal);
  delete pod.metadata!.generateName;
  pod.metadata!.name = name;
  setIdentityLabels(pod, name, ordinal);
  pod.spec = { ...pod.spec!, hostname: name, volumes: withClaimVolumes(set, ordinal, pod.spec!.volumes) };
  if (set.spec?.serviceName) pod.spec.subdomain = set.spec.serviceName;
  return pod;
}

export function podRevision(pod: Pod): string {
  return pod.metadata?.labels?.[STATEFULSET_REVISION_LABEL] ?? '';
}

/**
 * newVersionedStatefulSetPod: ordinals below the partition (or, without a rollingUpdate block,
 * below status.currentReplicas) are made at the current revision, the rest at the update revision.
 */
export function newVersionedPod(currentSet: StatefulSet, updateSet: StatefulSet, owner: OwnerInfo, currentRevision: string, updateRevision: string, ordinal: number): Pod {
  const strategy = currentSet.spec?.updateStrategy;
  const start = startOrdinal(currentSet);
  const rolling = (strategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
  const useCurrent = (rolling && !strategy?.rollingUpdate && ordinal < start + (currentSet.status?.currentReplicas ?? 0)) || (!!strategy?.rollingUpdate && ordinal < start + (strategy.rollingUpdate.partition ?? 0));
  const pod = newStatefulSetPod(useCurrent ? currentSet : updateSet, owner, ordinal);
  pod.metadata!.labels![STATEFULSET_REVISION_LABEL] = useCurrent ? currentRevision : updateRevision;
  return pod;
}

/** newRevision: a ControllerRevision recording the set's template, with the set's annotations. */
export function newStatefulSetRevision(set: StatefulSet, owner: OwnerInfo, revision: number, collisionCount: number): ControllerRevision {
  const cr = newControllerRevision({ ...owner, namespace: set.metadata!.namespace! }, set.spec?.template?.metadata?.labels, templateRevisionData(set.spec?.template), revision, collisionCount);
  if (set.metadata?.annotations) cr.metadata!.annotations = { ...set.metadata.annotations };
  return cr;
}

/** ApplyRevision: the set with the template a revision recorded. */
export function applyRevision(set: StatefulSet, revision: ControllerRevision): StatefulSet {
  const template = templateFromRevisionData(revision.data);
  if (!template) throw new Error(`ControllerRevision ${revision.metadata?.name} has no pod template`);
  return { ...set, spec: { ...set.spec!, template } };
}

export const isCreated = (p: Pod): boolean => (p.status?.phase ?? '') !== '';
export const isPending = (p: Pod): boolean => p.status?.phase === 'Pending';
export const isFailed = (p: Pod): boolean => p.status?.phase === 'Failed';
export const isSucceeded = (p: Pod): boolean => p.status?.phase === 'Succeeded';
export const isTerminating = (p: Pod): boolean => !!p.metadata?.deletionTimestamp;
export const isRunningAndReady = (p: Pod): boolean => p.status?.phase === 'Running' && isPodReady(p);
export const isRunningAndAvailable = (p: Pod, minReadySeconds: number, nowMs: number): boolean => isPodAvailable(p, minReadySeconds, nowMs);
/** Not available (minReadySeconds) or on its way out. */
export const isUnavailable = (p: Pod, minReadySeconds: number, nowMs: number): boolean => !isRunningAndAvailable(p, minReadySeconds, nowMs) || isTerminating(p);

/** The status fields counted from pods (computeReplicaStatus over every list). */
export function countReplicas(status: StatefulSetStatus, minReadySeconds: number, currentRevision: string, updateRevision: string, nowMs: number, ...lists: ReadonlyArray<readonly Pod[]>): void {
  status.replicas = 0;
  status.readyReplicas = 0;
  status.availableReplicas = 0;
  status.currentReplicas = 0;
  status.updatedReplicas = 0;
  for (const list of lists) {
    for (const pod of list) {
      if (isCreated(pod)) status.replicas++;
      if (isRunningAndReady(pod)) {
        status.readyReplicas++;
        if (isRunningAndAvailable(pod, minReadySeconds, nowMs)) status.availableReplicas++;
      }
      if (isCreated(pod) && !isTerminating(pod)) {
        const rev = podRevision(pod);
        if (rev === currentRevision) status.currentReplicas++;
        if (rev === updateRevision) status.updatedReplicas++;
      }
    }
  }
}

/** completeRollingUpdate: once every replica is updated and ready, the update revision is current. */
export function completeRollingUpdate(set: StatefulSet, status: StatefulSetStatus): void {
  const replicas = replicasOf(set);
  if ((set.spec?.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate' && status.updatedReplicas === replicas && status.readyReplicas === replicas && status.replicas === replicas) {
    status.currentReplicas = status.updatedReplicas;
    status.currentRevision = status.updateRevision;
  }
}

/** inconsistentStatus: whether the computed status differs from the stored one. */
export function statusChanged(set: StatefulSet, status: StatefulSetStatus): boolean {
  const s = set.status;
  return (
    (status.observedGeneration ?? 0) > (s?.observedGeneration ?? 0) ||
    status.replicas !== (s?.replicas ?? 0) ||
    (status.currentReplicas ?? 0) !== (s?.currentReplicas ?? 0) ||
    (status.readyReplicas ?? 0) !== (s?.readyReplicas ?? 0) ||
    (status.updatedReplicas ?? 0) !== (s?.updatedReplicas ?? 0) ||
    (status.currentRevision ?? '') !== (s?.currentRevision ?? '') ||
    (status.availableReplicas ?? 0) !== (s?.availableReplicas ?? 0) ||
    (status.updateRevision ?? '') !== (s?.updateRevision ?? '')
  );
}

/**
 * Matching ReplicaSets to a Deployment's template (Kubernetes' deployment/util): the "new" set is
 * the one whose pod template equals the deployment's, ignoring the `pod-template-hash` label the
 * controller adds; every other owned set is old. Equality is apimachinery's semantic equality
 * (absent, null and empty are the same; quantities by value), so a set made from a template by
 * this controller — or a template copied back by `kubectl rollout undo` — matches after the API
 * server's defaulting and round trips.
 */
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import type { PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import { clone } from '../../api/object.js';
import { semanticEqual } from '../../api/validation/equality.js';
import { byCreationTimestamp, specReplicas } from './replicas.js';

/** apps.DefaultDeploymentUniqueLabelKey. */
export const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash';

function withoutHash(t: PodTemplateSpec | undefined): PodTemplateSpec {
  const copy: PodTemplateSpec = { ...(t ?? {}) };
  const labels = t?.metadata?.labels;
  if (labels && POD_TEMPLATE_HASH_LABEL in labels) {
    const { [POD_TEMPLATE_HASH_LABEL]: _hash, ...rest } = labels;
    copy.metadata = { ...t!.metadata, labels: rest };
  }
  return copy;
}

/** EqualIgnoreHash: the two templates are equal once the hash label is removed from both. */
export function equalIgnoreHash(a: PodTemplateSpec | undefined, b: PodTemplateSpec | undefined): boolean {
  return semanticEqual(withoutHash(a), withoutHash(b));
}

/**
 * FindNewReplicaSet: the oldest set whose template matches (after an upgrade Kubernetes may find
 * several; picking the oldest is deterministic).
 */
export function findNewReplicaSet(d: Deployment, sets: readonly ReplicaSet[]): ReplicaSet | undefined {
  const sorted = [...sets].sort(byCreationTimestamp);
  return sorted.find((rs) => equalIgnoreHash(rs.spec?.template, d.spec?.template));
}

/** FindOldReplicaSets: every set but the new one (`all`), and those with replicas (`required`). */
export function findOldReplicaSets(d: Deployment, sets: readonly ReplicaSet[]): { required: ReplicaSet[]; all: ReplicaSet[] } {
  const newRS = findNewReplicaSet(d, sets);
  const all = sets.filter((rs) => !newRS || rs.metadata?.uid !== newRS.metadata?.uid);
  return { required: all.filter((rs) => specReplicas(rs) !== 0), all };
}

/** A template with the hash label added (CloneAndAddLabel). */
export function templateWithHash(t: PodTemplateSpec | undefined, hash: string): PodTemplateSpec {
  const copy = clone(t ?? {});
  const meta = (copy.metadata ??= {});
  meta.labels = { ...(meta.labels ?? {}), [POD_TEMPLATE_HASH_LABEL]: hash };
  return copy;
}

/** A selector also requiring the hash label (CloneSelectorAndAddLabel). */
export function selectorWithHash(s: LabelSelector | undefined, hash: string): LabelSelector {
  const copy = clone(s ?? {});
  copy.matchLabels = { ...(copy.matchLabels ?? {}), [POD_TEMPLATE_HASH_LABEL]: hash };
  return copy;
}

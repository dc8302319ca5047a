/**
 * Local-path persistent volumes, as the provisioner (src/controllers/volume), the node agent and
 * the scheduler all read them. A provisioned volume is a directory on one node, named relative to
 * that node agent's data dir by the annotation `skiff.dev/local-path` (also `spec.local.path`,
 * which is informational: it is not an absolute path), pinned to the node by required node
 * affinity on `kubernetes.io/hostname`, and kept by the finalizer `skiff.dev/local-path-cleanup`
 * until the node has removed the directory.
 *
 * Storage classes are names only (storage.k8s.io is not served): `local-path` is the default class
 * and, like `standard`, is provisioned when the claim's first pod is scheduled
 * (WaitForFirstConsumer); any other class, and the explicit "no class" `""`, binds only to an
 * existing volume (Immediate).
 */
import type { PersistentVolume, PersistentVolumeClaim } from 'kubernetes-types/core/v1.js';
import { nodeSelectorMatches } from './node-affinity.js';

/** Annotation on provisioned volumes: the directory, relative to the node agent's data dir. */
export const LOCAL_PATH_ANNOTATION = 'skiff.dev/local-path';
/** Finalizer the node agent removes once the directory of a deleted volume is gone. */
export const LOCAL_PATH_CLEANUP_FINALIZER = 'skiff.dev/local-path-cleanup';
/** The default storage class. */
export const DEFAULT_STORAGE_CLASS = 'local-path';
/** Classes the local-path provisioner serves. */
export const PROVISIONED_CLASSES: readonly string[] = ['local-path', 'standard'];
/** The node label provisioned volumes are pinned by (the label kubelet sets on every node). */
export const HOSTNAME_LABEL = 'kubernetes.io/hostname';

/** The class a claim asks for: its storageClassName, or the default class when unset. */
export function claimClass(pvc: PersistentVolumeClaim): string {
  const c = pvc.spec?.storageClassName;
  return c === undefined || c === null ? DEFAULT_STORAGE_CLASS : c;
}

/** Whether the local-path provisioner makes volumes for this claim (its binding waits for the first consumer). */
export function isProvisionable(pvc: PersistentVolumeClaim): boolean {
  return PROVISIONED_CLASSES.includes(claimClass(pvc));
}

/**
 * The directory of a local-path volume relative to the node's data dir, or undefined when the
 * volume is not one. A value that is absolute or climbs out of the data dir is refused (an
 * Error): the agent must never create or delete anything outside its own tree.
 */
export function localPathOf(pv: PersistentVolume): string | undefined {
  const rel = pv.metadata?.annotations?.[LOCAL_PATH_ANNOTATION];
  if (rel === undefined) return undefined;
  const parts = rel.split('/');
  if (rel === '' || rel.startsWith('/') || rel.includes('\\') || parts.some((p) => p === '..' || p === '.' || p === '')) {
    throw new Error(`persistentvolume "${pv.metadata?.name ?? ''}" has an invalid ${LOCAL_PATH_ANNOTATION} annotation "${rel}": it must be a relative path inside the node's data dir`);
  }
  return rel;
}

/** Whether the volume's required node affinity admits the node (no affinity: every node). */
export function volumeAllowsNode(pv: PersistentVolume, labels: Readonly<Record<string, string>> | undefined, nodeName: string): boolean {
  const required = pv.spec?.nodeAffinity?.required;
  if (!required) return true;
  return nodeSelectorMatches(required, labels, nodeName);
}

/** Whether the volume waits for its node to remove its directory (deleted, finalizer still on). */
export function awaitsLocalCleanup(pv: PersistentVolume): boolean {
  return !!pv.metadata?.deletionTimestamp && (pv.metadata.finalizers ?? []).includes(LOCAL_PATH_CLEANUP_FINALIZER);
}

/** The hostname value a provisioned volume is pinned to (its single `kubernetes.io/hostname In` value). */
export function pinnedHostname(pv: PersistentVolume): string | undefined {
  for (const term of pv.spec?.nodeAffinity?.required?.nodeSelectorTerms ?? []) {
    for (const e of term.matchExpressions ?? []) if (e.key === HOSTNAME_LABEL && e.operator === 'In' && e.values?.length === 1) return e.values[0];
  }
  return undefined;
}

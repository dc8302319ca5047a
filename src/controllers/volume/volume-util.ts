/**
 * PersistentVolume / PersistentVolumeClaim rules shared by the binder and the local-path
 * provisioner: which claims Skiff provisions, how a static volume matches a claim (Kubernetes' PV
 * controller findBestMatchForClaim), and the volume provisioned for a claim on its pod's node.
 *
 * Storage classes: storage.k8s.io is not served, so classes are names only. `local-path` is the
 * default class (as on k3s): a claim without `storageClassName` gets it, and claims of class
 * `local-path` or `standard` are provisioned. An explicit `""` means "no class": such a claim only
 * binds to a pre-created volume without a class, as in Kubernetes. Any other class name has no
 * provisioner here and waits for a matching volume.
 *
 * Where the data lives: a provisioned volume is a directory on one node, `<node data dir>/volumes/
 * <pv name>`. The controller does not know node data dirs, so the volume carries the path relative
 * to the node's data dir (annotation `skiff.dev/local-path`, also `spec.local.path`), required node
 * affinity `kubernetes.io/hostname In [<node>]`, and the finalizer `skiff.dev/local-path-cleanup`,
 * which the node agent removes after deleting the directory (see notes/agent-contract.md).
 */
import type { Node, PersistentVolume, PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1.js';
import { labelSelectorAsSelector } from '../../api/labels.js';
import { Quantity } from '../../api/quantity.js';
import { claimClass, HOSTNAME_LABEL, LOCAL_PATH_ANNOTATION, LOCAL_PATH_CLEANUP_FINALIZER, pinnedHostname } from '../../api/local-path.js';

// The local-path rules shared with the node agent and the scheduler live in api/local-path.ts.
export { claimClass, DEFAULT_STORAGE_CLASS, HOSTNAME_LABEL, isProvisionable, LOCAL_PATH_ANNOTATION, LOCAL_PATH_CLEANUP_FINALIZER, PROVISIONED_CLASSES } from '../../api/local-path.js';

/** The provisioner's name (`pv.kubernetes.io/provisioned-by`, `volume.kubernetes.io/storage-provisioner`). */
export const LOCAL_PATH_PROVISIONER = 'skiff.dev/local-path';
/** Where provisioned directories live under a node's data dir. */
export const VOLUMES_SUBDIR = 'volumes';

/** Kubernetes' binding annotations. */
export const ANN_BIND_COMPLETED = 'pv.kubernetes.io/bind-completed';
export const ANN_BOUND_BY_CONTROLLER = 'pv.kubernetes.io/bound-by-controller';
export const ANN_PROVISIONED_BY = 'pv.kubernetes.io/provisioned-by';
export const ANN_STORAGE_PROVISIONER = 'volume.kubernetes.io/storage-provisioner';
export const ANN_BETA_STORAGE_PROVISIONER = 'volume.beta.kubernetes.io/storage-provisioner';
/** Set by a volume-aware scheduler on WaitForFirstConsumer claims: the chosen node. */
export const ANN_SELECTED_NODE = 'volume.kubernetes.io/selected-node';


export function claimKey(pvc: { metadata?: { namespace?: string; name?: string } }): string {
  return `${pvc.metadata?.namespace ?? ''}/${pvc.metadata?.name ?? ''}`;
}

/** The requested storage, or undefined when missing or unparsable. */
export function requestedStorage(pvc: PersistentVolumeClaim): Quantity | undefined {
  return Quantity.tryParse((pvc.spec?.resources?.requests as Record<string, string> | undefined)?.storage);
}

/** Whether the volume's claimRef names this claim (and, when it has a UID, this incarnation). */
export function claimRefMatches(pv: PersistentVolume, pvc: PersistentVolumeClaim): boolean {
  const ref = pv.spec?.claimRef;
  if (!ref) return false;
  if (ref.name !== pvc.metadata?.name || ref.namespace !== pvc.metadata?.namespace) return false;
  return !ref.uid || ref.uid === pvc.metadata?.uid;
}

/**
 * checkVolumeSatisfyClaim + the filters of findBestMatchForClaim: the volume is free (or pre-bound
 * to this claim), not being deleted, of the claim's class and volume mode, offers every access mode
 * asked for and at least the requested size, and carries the labels the claim's selector wants.
 */
export function volumeSatisfiesClaim(pv: PersistentVolume, pvc: PersistentVolumeClaim): boolean {
  if (pv.metadata?.deletionTimestamp) return false;
  if (pv.spec?.claimRef && !claimRefMatches(pv, pvc)) return false;
  const phase = pv.status?.phase;
  if (phase === 'Released' || phase === 'Failed') return false;
  if ((pv.spec?.storageClassName ?? '') !== claimClass(pvc)) return false;
  if ((pv.spec?.volumeMode ?? 'Filesystem') !== (pvc.spec?.volumeMode ?? 'Filesystem')) return false;
  const modes = new Set(pv.spec?.accessModes ?? []);
  if (!(pvc.spec?.accessModes ?? []).every((m) => modes.has(m))) return false;
  const want = requestedStorage(pvc);
  const have = Quantity.tryParse((pv.spec?.capacity as Record<string, string> | undefined)?.storage);
  if (!want || !have || have.cmp(want) < 0) return false;
  if (pvc.spec?.selector) {
    try {
      if (!labelSelectorAsSelector(pvc.spec.selector).matches(pv.metadata?.labels ?? {})) return false;
    } catch {
      return false;
    }
  }
  return true;
}

/**
 * findBestMatchForClaim: a volume pre-bound to the claim wins; otherwise the smallest volume that
 * satisfies it (ties broken by name, for determinism).
 */
export function findBestMatch(volumes: readonly PersistentVolume[], pvc: PersistentVolumeClaim): PersistentVolume | undefined {
  let best: PersistentVolume | undefined;
  let bestSize: Quantity | undefined;
  for (const pv of volumes) {
    if (!volumeSatisfiesClaim(pv, pvc)) continue;
    if (claimRefMatches(pv, pvc)) return pv;
    const size = Quantity.parse((pv.spec!.capacity as Record<string, string>).storage!);
    if (!best || size.cmp(bestSize!) < 0 || (size.cmp(bestSize!) === 0 && (pv.metadata?.name ?? '') < (best.metadata?.name ?? ''))) {
      best = pv;
      bestSize = size;
    }
  }
  return best;
}

/** The claim keys (`namespace/name`) a pod mounts. */
export function podClaimKeys(pod: Pod): string[] {
  const ns = pod.metadata?.namespace ?? '';
  const out: string[] = [];
  for (const v of pod.spec?.volumes ?? []) if (v.persistentVolumeClaim?.claimName) out.push(`${ns}/${v.persistentVolumeClaim.claimName}`);
  return out;
}

/** Name of a provisioned volume (the external provisioner's `pvc-<claim uid>`). */
export function provisionedVolumeName(pvc: PersistentVolumeClaim): string {
  return `pvc-${pvc.metadata?.uid ?? ''}`;
}

/** The directory of a provisioned volume, relative to the node agent's data dir. */
export function localPathFor(pvName: string): string {
  return `${VOLUMES_SUBDIR}/${pvName}`;
}

/** The volume the provisioner creates for a claim whose pod runs on `node`. */
export function newProvisionedVolume(pvc: PersistentVolumeClaim, node: Node): PersistentVolume {
  const name = provisionedVolumeName(pvc);
  const path = localPathFor(name);
  const hostname = node.metadata?.labels?.[HOSTNAME_LABEL] ?? node.metadata?.name ?? '';
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: {
      name,
      annotations: { [ANN_PROVISIONED_BY]: LOCAL_PATH_PROVISIONER, [LOCAL_PATH_ANNOTATION]: path },
      finalizers: [LOCAL_PATH_CLEANUP_FINALIZER],
    },
    spec: {
      capacity: { storage: (pvc.spec?.resources?.requests as Record<string, string>).storage! },
      accessModes: [...(pvc.spec?.accessModes ?? ['ReadWriteOnce'])],
      persistentVolumeReclaimPolicy: 'Delete',
      storageClassName: claimClass(pvc),
      volumeMode: pvc.spec?.volumeMode ?? 'Filesystem',
      claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: pvc.metadata!.namespace!, name: pvc.metadata!.name!, uid: pvc.metadata!.uid!, resourceVersion: pvc.metadata!.resourceVersion! },
      local: { path },
      nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: HOSTNAME_LABEL, operator: 'In', values: [hostname] }] }] } },
    },
  };
}

/**
 * The node a provisioned volume lives on: the value of its hostname affinity term, matched back
 * to a node name by `nodeForHostname` (label value and node name usually agree).
 */
export const volumeHostname = pinnedHostname;

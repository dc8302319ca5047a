/**
 * Printers for PersistentVolumeClaims and PersistentVolumes, as Kubernetes'
 * `printPersistentVolumeClaim` and `printPersistentVolume`.
 */
import type { PersistentVolume, PersistentVolumeClaim } from 'kubernetes-types/core/v1.js';
import { canonicalQuantity } from '../../api/quantity.js';
import { objectAge } from './duration.js';
import { AGE_COLUMN, NAME_COLUMN, accessModesString, column } from './format.js';
import type { ResourcePrinter } from './types.js';

/** The beta annotation that still takes precedence over `spec.storageClassName`. */
export const BETA_STORAGE_CLASS_ANNOTATION = 'volume.beta.kubernetes.io/storage-class';

/**
 * A storage quantity as `Quantity.String()` prints it: the canonical form (`1536Mi` for `1.5Gi`),
 * `0` when absent. An unparsable value (never stored by a validating server) prints as given.
 */
export function quantityCell(q: string | number | undefined): string {
  if (q === undefined) return '0';
  return canonicalQuantity(q) ?? String(q);
}

function storageClassOf(obj: { metadata?: { annotations?: Record<string, string> }; spec?: { storageClassName?: string } }): string {
  const beta = obj.metadata?.annotations?.[BETA_STORAGE_CLASS_ANNOTATION];
  if (beta !== undefined) return beta;
  return obj.spec?.storageClassName ?? '';
}

/**
 * Printer for core/v1 PersistentVolumeClaims. VOLUME, CAPACITY and ACCESS MODES stay empty until
 * the claim is bound to a volume; a claim being deleted shows `Terminating`.
 */
export const persistentVolumeClaimPrinter: ResourcePrinter<PersistentVolumeClaim> = {
  columns: [
    NAME_COLUMN,
    column('Status', 'string', 'PersistentVolumeClaimStatus.phase'),
    column('Volume', 'string', 'PersistentVolumeClaimSpec.volumeName'),
    column('Capacity', 'string', 'PersistentVolumeClaimStatus.capacity'),
    column('Access Modes', 'string', 'PersistentVolumeClaimStatus.accessModes'),
    column('StorageClass', 'string', { text: 'StorageClass of the pvc' }),
    column('VolumeAttributesClass', 'string', { text: 'VolumeAttributesClass of the pvc' }),
    AGE_COLUMN,
    column('VolumeMode', 'string', 'PersistentVolumeClaimSpec.volumeMode', { priority: 1 }),
  ],
  cells(pvc, ctx) {
    const volumeName = pvc.spec?.volumeName ?? '';
    const bound = volumeName !== '';
    return [
      pvc.metadata?.name ?? '',
      pvc.metadata?.deletionTimestamp ? 'Terminating' : (pvc.status?.phase ?? ''),
      volumeName,
      bound ? quantityCell(pvc.status?.capacity?.['storage']) : '',
      bound ? accessModesString(pvc.status?.accessModes) : '',
      storageClassOf(pvc),
      pvc.spec?.volumeAttributesClassName ?? '<unset>',
      objectAge(pvc, ctx.nowMs),
      pvc.spec?.volumeMode ?? '<unset>',
    ];
  },
};

/** Printer for core/v1 PersistentVolumes. */
export const persistentVolumePrinter: ResourcePrinter<PersistentVolume> = {
  columns: [
    NAME_COLUMN,
    column('Capacity', 'string', 'PersistentVolumeSpec.capacity'),
    column('Access Modes', 'string', 'PersistentVolumeSpec.accessModes'),
    column('Reclaim Policy', 'string', 'PersistentVolumeSpec.persistentVolumeReclaimPolicy'),
    column('Status', 'string', 'PersistentVolumeStatus.phase'),
    column('Claim', 'string', 'PersistentVolumeSpec.claimRef'),
    column('StorageClass', 'string', { text: 'StorageClass of the pv' }),
    column('VolumeAttributesClass', 'string', { text: 'VolumeAttributesClass of the pv' }),
    column('Reason', 'string', 'PersistentVolumeStatus.reason'),
    AGE_COLUMN,
    column('VolumeMode', 'string', 'PersistentVolumeSpec.volumeMode', { priority: 1 }),
  ],
  cells(pv, ctx) {
    const ref = pv.spec?.claimRef;
    return [
      pv.metadata?.name ?? '',
      quantityCell(pv.spec?.capacity?.['storage']),
      accessModesString(pv.spec?.accessModes),
      pv.spec?.persistentVolumeReclaimPolicy ?? '',
      pv.metadata?.deletionTimestamp ? 'Terminating' : (pv.status?.phase ?? ''),
      ref ? `${ref.namespace ?? ''}/${ref.name ?? ''}` : '',
      storageClassOf(pv),
      pv.spec?.volumeAttributesClassName ?? '<unset>',
      pv.status?.reason ?? '',
      objectAge(pv, ctx.nowMs),
      pv.spec?.volumeMode ?? '<unset>',
    ];
  },
};

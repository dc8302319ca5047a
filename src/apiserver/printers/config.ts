/**
 * Printers for the small core and coordination kinds: Namespace, ConfigMap, Secret,
 * ServiceAccount and Lease, as Kubernetes' printers for them.
 */
import type { ConfigMap, Namespace, Secret, ServiceAccount } from 'kubernetes-types/core/v1.js';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import { objectAge } from './duration.js';
import { AGE_COLUMN, NAME_COLUMN, column } from './format.js';
import type { ResourcePrinter } from './types.js';

function keyCount(m: Record<string, unknown> | undefined): number {
  if (!m) return 0;
  let n = 0;
  for (const _ in m) n++;
  return n;
}

/** Printer for core/v1 Namespaces. */
export const namespacePrinter: ResourcePrinter<Namespace> = {
  columns: [NAME_COLUMN, column('Status', 'string', { text: 'The status of the namespace' }), AGE_COLUMN],
  cells(ns, ctx) {
    return [ns.metadata?.name ?? '', ns.status?.phase ?? '', objectAge(ns, ctx.nowMs)];
  },
};

/** Printer for core/v1 ConfigMaps: DATA counts `data` and `binaryData` keys. */
export const configMapPrinter: ResourcePrinter<ConfigMap> = {
  columns: [NAME_COLUMN, column('Data', 'string', 'ConfigMap.data'), AGE_COLUMN],
  cells(cm, ctx) {
    return [cm.metadata?.name ?? '', keyCount(cm.data) + keyCount(cm.binaryData), objectAge(cm, ctx.nowMs)];
  },
};

/** Printer for core/v1 Secrets (DATA counts stored `data` keys; `stringData` is write-only). */
export const secretPrinter: ResourcePrinter<Secret> = {
  columns: [NAME_COLUMN, column('Type', 'string', 'Secret.type'), column('Data', 'string', 'Secret.data'), AGE_COLUMN],
  cells(s, ctx) {
    return [s.metadata?.name ?? '', s.type ?? '', keyCount(s.data), objectAge(s, ctx.nowMs)];
  },
};

/** Printer for core/v1 ServiceAccounts. */
export const serviceAccountPrinter: ResourcePrinter<ServiceAccount> = {
  columns: [NAME_COLUMN, column('Secrets', 'string', 'ServiceAccount.secrets'), AGE_COLUMN],
  cells(sa, ctx) {
    return [sa.metadata?.name ?? '', sa.secrets?.length ?? 0, objectAge(sa, ctx.nowMs)];
  },
};

/** Printer for coordination.k8s.io/v1 Leases. */
export const leasePrinter: ResourcePrinter<Lease> = {
  columns: [NAME_COLUMN, column('Holder', 'string', 'LeaseSpec.holderIdentity'), AGE_COLUMN],
  cells(lease, ctx) {
    return [lease.metadata?.name ?? '', lease.spec?.holderIdentity ?? '', objectAge(lease, ctx.nowMs)];
  },
};

/**
 * Server-side Table printing: picks the printer of a served resource and turns objects into
 * `meta.k8s.io/v1` Table columns and rows, like Kubernetes' printer-backed TableConvertor
 * (pkg/printers/storage) and the API server's `includeObject` handling of rows.
 */
import type { KubeObject, ListMeta } from '../../api/object.js';
import type { ResourceInfo } from '../../api/resources.js';
import { cronJobPrinter, jobPrinter } from './batch.js';
import { configMapPrinter, leasePrinter, namespacePrinter, secretPrinter, serviceAccountPrinter } from './config.js';
import { objectAge } from './duration.js';
import { coreEventPrinter, eventsV1EventPrinter } from './events.js';
import { AGE_COLUMN, NAME_COLUMN } from './format.js';
import { endpointSlicePrinter, endpointsPrinter, servicePrinter } from './network.js';
import { nodePrinter } from './node.js';
import { podPrinter } from './pod.js';
import { persistentVolumeClaimPrinter, persistentVolumePrinter } from './storage.js';
import type {
  IncludeObjectPolicy,
  PartialObjectMetadata,
  PrintContext,
  ResourcePrinter,
  Table,
  TableColumnDefinition,
  TableRow,
} from './types.js';
import {
  controllerRevisionPrinter,
  daemonSetPrinter,
  deploymentPrinter,
  replicaSetPrinter,
  statefulSetPrinter,
} from './workloads.js';

/**
 * The printer for resources without a dedicated one: NAME and AGE, as Kubernetes' default
 * object-meta table handler.
 */
export const defaultPrinter: ResourcePrinter = {
  columns: [NAME_COLUMN, AGE_COLUMN],
  cells: (obj, ctx) => [obj.metadata?.name ?? '', objectAge(obj, ctx.nowMs)],
};

// Printers are typed by their concrete kind; the registry hands them stored objects of that kind.
const erase = <T>(p: ResourcePrinter<T>): ResourcePrinter => p as unknown as ResourcePrinter;

/** Printers by `<group>/<resource>` (the core group is ""). */
const PRINTERS: ReadonlyMap<string, ResourcePrinter> = new Map<string, ResourcePrinter>([
  ['/pods', erase(podPrinter)],
  ['/nodes', erase(nodePrinter)],
  ['/namespaces', erase(namespacePrinter)],
  ['/services', erase(servicePrinter)],
  ['/endpoints', erase(endpointsPrinter)],
  ['/configmaps', erase(configMapPrinter)],
  ['/secrets', erase(secretPrinter)],
  ['/serviceaccounts', erase(serviceAccountPrinter)],
  ['/events', erase(coreEventPrinter)],
  ['/persistentvolumeclaims', erase(persistentVolumeClaimPrinter)],
  ['/persistentvolumes', erase(persistentVolumePrinter)],
  ['apps/replicasets', erase(replicaSetPrinter)],
  ['apps/deployments', erase(deploymentPrinter)],
  ['apps/statefulsets', erase(statefulSetPrinter)],
  ['apps/daemonsets', erase(daemonSetPrinter)],
  ['apps/controllerrevisions', erase(controllerRevisionPrinter)],
  ['batch/jobs', erase(jobPrinter)],
  ['batch/cronjobs', erase(cronJobPrinter)],
  ['coordination.k8s.io/leases', erase(leasePrinter)],
  ['discovery.k8s.io/endpointslices', erase(endpointSlicePrinter)],
  ['events.k8s.io/events', erase(eventsV1EventPrinter)],
]);

/** The printer for a resource, or {@link defaultPrinter} when it has none. */
export function printerFor(resource: Pick<ResourceInfo, 'group' | 'resource'>): ResourcePrinter {
  return PRINTERS.get(`${resource.group}/${resource.resource}`) ?? defaultPrinter;
}

/** Options of {@link printTable}. */
export interface PrintOptions {
  /** The time ages are measured against. */
  now: Date;
}

/** Columns and rows (without row objects) for some objects of one resource. */
export interface PrintedTable {
  columnDefinitions: TableColumnDefinition[];
  rows: TableRow[];
}

/**
 * Prints objects of one resource: every column (wide ones carry priority 1, as the Kubernetes
 * API server always prints wide and lets the client hide them) and one row per object. Rows
 * carry `cells` and, for finished pods, `conditions`; attach row objects with {@link buildTable}.
 */
export function printTable(resource: Pick<ResourceInfo, 'group' | 'resource'>, objects: readonly KubeObject[], opts: PrintOptions): PrintedTable {
  const printer = printerFor(resource);
  const ctx: PrintContext = { nowMs: opts.now.getTime() };
  const rows: TableRow[] = new Array<TableRow>(objects.length);
  for (let i = 0; i < objects.length; i++) {
    const obj = objects[i] as KubeObject;
    const row: TableRow = { cells: printer.cells(obj, ctx) };
    const conditions = printer.conditions?.(obj);
    if (conditions) row.conditions = conditions;
    rows[i] = row;
  }
  return { columnDefinitions: [...printer.columns], rows };
}

/** Options of {@link buildTable}. */
export interface BuildTableOptions extends PrintOptions {
  /** What each row's `object` holds; Kubernetes' default is `Metadata`. */
  includeObject?: IncludeObjectPolicy;
  /** Omit `columnDefinitions` (TableOptions `noHeaders`, used for watch events after the first). */
  noHeaders?: boolean;
  /** List metadata to carry over: resourceVersion, continue, remainingItemCount. */
  listMeta?: ListMeta;
}

/** The row object for an `includeObject` policy: PartialObjectMetadata, the object, or none. */
export function rowObject(obj: KubeObject, policy: IncludeObjectPolicy): unknown {
  switch (policy) {
    case 'Object':
      return obj;
    case 'None':
      return undefined;
    default: {
      const partial: PartialObjectMetadata = { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata ?? {} };
      return partial;
    }
  }
}

/**
 * A complete `meta.k8s.io/v1` Table as the API server returns it for a list (or, with one object,
 * for a get or a watch event), rows carrying their object per `includeObject`. Kubernetes takes
 * the Table's `metadata` from the list (resourceVersion, continue, remainingItemCount) and, for a
 * single object, the object's resourceVersion; watch events after the first carry `noHeaders`.
 */
export function buildTable(resource: Pick<ResourceInfo, 'group' | 'resource'>, objects: readonly KubeObject[], opts: BuildTableOptions): Table {
  const printed = printTable(resource, objects, opts);
  const policy = opts.includeObject ?? 'Metadata';
  if (policy !== 'None') {
    for (let i = 0; i < objects.length; i++) (printed.rows[i] as TableRow).object = rowObject(objects[i] as KubeObject, policy);
  }
  const metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number } = {};
  const lm = opts.listMeta;
  if (lm?.resourceVersion !== undefined) metadata.resourceVersion = lm.resourceVersion;
  if (lm?.continue) metadata.continue = lm.continue;
  if (lm?.remainingItemCount !== undefined) metadata.remainingItemCount = lm.remainingItemCount;
  // Field order as Kubernetes serialises a Table.
  return opts.noHeaders
    ? { kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata, rows: printed.rows }
    : { kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata, columnDefinitions: printed.columnDefinitions, rows: printed.rows };
}

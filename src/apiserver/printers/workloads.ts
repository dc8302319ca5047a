/**
 * Printers for the apps/v1 workloads: ReplicaSet, Deployment, StatefulSet, DaemonSet and
 * ControllerRevision, with the columns, cell types and `<none>` rules of Kubernetes'
 * pkg/printers/internalversion.
 */
import type { ControllerRevision, DaemonSet, Deployment, ReplicaSet, StatefulSet } from 'kubernetes-types/apps/v1.js';
import type { PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import { objectAge } from './duration.js';
import { AGE_COLUMN, NAME_COLUMN, column, containerCells, formatLabelSelector, formatLabels, selectorString } from './format.js';
import type { PrintContext, ResourcePrinter } from './types.js';

/** Wide CONTAINERS column, shared by every workload printer. */
export const CONTAINERS_COLUMN = column('Containers', 'string', { text: 'Names of each container in the template.' }, { priority: 1 });
/** Wide IMAGES column, shared by every workload printer. */
export const IMAGES_COLUMN = column('Images', 'string', { text: 'Images referenced by each container in the template.' }, { priority: 1 });

function age(obj: { metadata?: { creationTimestamp?: string } }, ctx: PrintContext): string {
  return objectAge(obj, ctx.nowMs);
}

function templateContainers(t: PodTemplateSpec | undefined): [string, string] {
  return containerCells(t?.spec?.containers);
}

/** Printer for apps/v1 ReplicaSets. */
export const replicaSetPrinter: ResourcePrinter<ReplicaSet> = {
  columns: [
    NAME_COLUMN,
    column('Desired', 'integer', 'ReplicaSetSpec.replicas'),
    column('Current', 'integer', 'ReplicaSetStatus.replicas'),
    column('Ready', 'integer', 'ReplicaSetStatus.readyReplicas'),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    column('Selector', 'string', 'ReplicaSetSpec.selector', { priority: 1 }),
  ],
  cells(rs, ctx) {
    const [names, images] = templateContainers(rs.spec?.template);
    return [
      rs.metadata?.name ?? '',
      rs.spec?.replicas ?? 1,
      rs.status?.replicas ?? 0,
      rs.status?.readyReplicas ?? 0,
      age(rs, ctx),
      names,
      images,
      formatLabelSelector(rs.spec?.selector),
    ];
  },
};

/** Printer for apps/v1 Deployments: READY is `ready/replicas`. */
export const deploymentPrinter: ResourcePrinter<Deployment> = {
  columns: [
    NAME_COLUMN,
    column('Ready', 'string', { text: 'Number of the pod with ready state' }),
    column('Up-to-date', 'string', 'DeploymentStatus.updatedReplicas'),
    column('Available', 'string', 'DeploymentStatus.availableReplicas'),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    column('Selector', 'string', 'DeploymentSpec.selector', { priority: 1 }),
  ],
  cells(d, ctx) {
    const [names, images] = templateContainers(d.spec?.template);
    // Unlike the other workloads, Kubernetes prints the bare selector string here (empty for an
    // empty selector) and `<invalid>` when it does not parse.
    const selector = selectorString(d.spec?.selector) ?? '<invalid>';
    return [
      d.metadata?.name ?? '',
      `${d.status?.readyReplicas ?? 0}/${d.spec?.replicas ?? 1}`,
      d.status?.updatedReplicas ?? 0,
      d.status?.availableReplicas ?? 0,
      age(d, ctx),
      names,
      images,
      selector,
    ];
  },
};

/** Printer for apps/v1 StatefulSets: READY is `ready/replicas`, no selector column. */
export const statefulSetPrinter: ResourcePrinter<StatefulSet> = {
  columns: [NAME_COLUMN, column('Ready', 'string', { text: 'Number of the pod with ready state' }), AGE_COLUMN, CONTAINERS_COLUMN, IMAGES_COLUMN],
  cells(sts, ctx) {
    const [names, images] = templateContainers(sts.spec?.template);
    return [sts.metadata?.name ?? '', `${sts.status?.readyReplicas ?? 0}/${sts.spec?.replicas ?? 1}`, age(sts, ctx), names, images];
  },
};

/** Printer for apps/v1 DaemonSets. */
export const daemonSetPrinter: ResourcePrinter<DaemonSet> = {
  columns: [
    NAME_COLUMN,
    column('Desired', 'integer', 'DaemonSetStatus.desiredNumberScheduled'),
    column('Current', 'integer', 'DaemonSetStatus.currentNumberScheduled'),
    column('Ready', 'integer', 'DaemonSetStatus.numberReady'),
    column('Up-to-date', 'integer', 'DaemonSetStatus.updatedNumberScheduled'),
    column('Available', 'integer', 'DaemonSetStatus.numberAvailable'),
    column('Node Selector', 'string', 'PodSpec.nodeSelector'),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    column('Selector', 'string', 'DaemonSetSpec.selector', { priority: 1 }),
  ],
  cells(ds, ctx) {
    const st = ds.status;
    const [names, images] = templateContainers(ds.spec?.template);
    return [
      ds.metadata?.name ?? '',
      st?.desiredNumberScheduled ?? 0,
      st?.currentNumberScheduled ?? 0,
      st?.numberReady ?? 0,
      st?.updatedNumberScheduled ?? 0,
      st?.numberAvailable ?? 0,
      formatLabels(ds.spec?.template?.spec?.nodeSelector),
      age(ds, ctx),
      names,
      images,
      formatLabelSelector(ds.spec?.selector),
    ];
  },
};

/**
 * The CONTROLLER cell: `<lower-case kind>[.<group>]/<name>` of the controller owner, e.g.
 * `daemonset.apps/fluentd`, or `<none>` without one.
 */
export function controllerName(obj: ControllerRevision): string {
  const ref = obj.metadata?.ownerReferences?.find((r) => r.controller === true);
  if (!ref) return '<none>';
  const slash = ref.apiVersion.indexOf('/');
  const group = slash < 0 ? '' : ref.apiVersion.slice(0, slash);
  const groupKind = group ? `${ref.kind}.${group}` : ref.kind;
  return groupKind ? `${groupKind.toLowerCase()}/${ref.name}` : ref.name;
}

/** Printer for apps/v1 ControllerRevisions. */
export const controllerRevisionPrinter: ResourcePrinter<ControllerRevision> = {
  columns: [
    NAME_COLUMN,
    column('Controller', 'string', { text: 'Controller of the object' }),
    column('Revision', 'string', 'ControllerRevision.revision'),
    AGE_COLUMN,
  ],
  cells(cr, ctx) {
    return [cr.metadata?.name ?? '', controllerName(cr), cr.revision ?? 0, age(cr, ctx)];
  },
};

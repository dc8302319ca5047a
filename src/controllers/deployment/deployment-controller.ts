/**
 * The Deployment controller (kube-controller-manager's `deployment`): rolls Deployments out
 * through ReplicaSets. This file is the wiring; the reconcile is {@link DeploymentSync}.
 *
 * Handlers only enqueue deployment keys, as Kubernetes' do:
 * - any Deployment event;
 * - a ReplicaSet event enqueues its controlling Deployment (both, if the controller ref moved);
 *   an orphan set whose labels changed enqueues every Deployment that selects it (adoption);
 * - a pod deletion enqueues a Recreate Deployment, which waits for its old pods to be gone.
 */
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import { labelSelectorAsSelector } from '../../api/labels.js';
import { keyOf, type Lister } from '../../client/indexer.js';
import { runWorkers } from '../../client/workers.js';
import { WorkQueue } from '../../client/work-queue.js';
import type { Controller, ControllerContext } from '../controller.js';
import { OWNER_INDEXERS, controllerOf } from '../lib/owner-indexes.js';
import { resolveControllerRef as resolveReplicaSet } from '../replicaset/replicaset-controller.js';
import { DEPLOYMENT_KIND, DeploymentSync } from './deployment-sync.js';

export const DEPLOYMENT_COMPONENT = 'deployment-controller';

export class DeploymentController implements Controller {
  readonly name = 'deployment';

  async run(ctx: ControllerContext, signal: AbortSignal): Promise<void> {
    const logger = ctx.logger.child({ controller: this.name });
    const queue = new WorkQueue({ name: this.name, clock: ctx.clock });
    const dInformer = ctx.informers.deployments();
    const rsInformer = ctx.informers.replicaSets({ indexers: OWNER_INDEXERS });
    const podInformer = ctx.informers.pods({ indexers: OWNER_INDEXERS });
    const deployments = dInformer.store;
    const replicaSets = rsInformer.store;

    const enqueueOwner = (rs: ReplicaSet, ref: OwnerReference | undefined = controllerOf(rs)) => {
      const d = ref && resolveDeployment(deployments, rs.metadata?.namespace ?? '', ref);
      if (d) queue.add(keyOf(d));
    };
    const enqueueSelecting = (rs: ReplicaSet) => {
      for (const d of deploymentsSelecting(deployments, rs)) queue.add(keyOf(d));
    };

    dInformer.addEventHandler({
      onAdd: (d) => queue.add(keyOf(d)),
      onUpdate: (_old, d) => queue.add(keyOf(d)),
      onDelete: (d) => queue.add(keyOf(d)),
    });
    rsInformer.addEventHandler({
      onAdd: (rs) => {
        if (controllerOf(rs) || rs.metadata?.deletionTimestamp) enqueueOwner(rs);
        else enqueueSelecting(rs);
      },
      onUpdate: (old, cur) => {
        if (old.metadata?.resourceVersion === cur.metadata?.resourceVersion) return;
        const oldRef = controllerOf(old);
        const curRef = controllerOf(cur);
        const refChanged = oldRef?.uid !== curRef?.uid || oldRef?.name !== curRef?.name || oldRef?.kind !== curRef?.kind;
        if (refChanged && oldRef) enqueueOwner(old, oldRef);
        if (curRef) {
          enqueueOwner(cur, curRef);
          return;
        }
        if (refChanged || JSON.stringify(old.metadata?.labels ?? {}) !== JSON.stringify(cur.metadata?.labels ?? {})) enqueueSelecting(cur);
      },
      onDelete: (rs) => enqueueOwner(rs),
    });
    podInformer.addEventHandler({
      onDelete: (pod: Pod) => {
        const rsRef = controllerOf(pod);
        const rs = rsRef && resolveReplicaSet(replicaSets, pod.metadata?.namespace ?? '', rsRef);
        const dRef = rs && controllerOf(rs);
        const d = dRef && resolveDeployment(deployments, rs.metadata?.namespace ?? '', dRef);
        if (d?.spec?.strategy?.type === 'Recreate') queue.add(keyOf(d));
      },
    });

    if (!(await ctx.informers.waitForCacheSync(signal))) return;

    const dSync = new DeploymentSync({
      client: ctx.client,
      recorder: ctx.recorder(DEPLOYMENT_COMPONENT),
      clock: ctx.clock,
      logger,
      deployments,
      replicaSets,
      pods: podInformer.store,
    });
    await runWorkers(queue, ctx.workers, (key) => dSync.sync(key), signal, { logger });
  }
}

/** The cached Deployment a controller ref points to (same kind, name and UID). */
export function resolveDeployment(deployments: Lister<Deployment>, namespace: string, ref: OwnerReference): Deployment | undefined {
  if (ref.kind !== DEPLOYMENT_KIND) return undefined;
  const d = deployments.getByName(namespace, ref.name);
  return d && d.metadata?.uid === ref.uid ? d : undefined;
}

/** Deployments in the set's namespace whose (non-empty) selector matches its labels. */
export function deploymentsSelecting(deployments: Lister<Deployment>, rs: ReplicaSet): Deployment[] {
  const out: Deployment[] = [];
  for (const d of deployments.listByNamespace(rs.metadata?.namespace ?? '')) {
    try {
      const sel = labelSelectorAsSelector(d.spec?.selector);
      if (!sel.empty() && sel.matches(rs.metadata?.labels)) out.push(d);
    } catch {
      // An invalid selector matches nothing.
    }
  }
  return out;
}

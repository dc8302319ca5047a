/**
 * The ReplicaSet controller (kube-controller-manager's `replicaset`): keeps `spec.replicas` pods
 * running for every ReplicaSet. This file is the wiring; the reconcile is {@link ReplicaSetSync}.
 *
 * Informer handlers only enqueue keys and lower expectations, as Kubernetes' do:
 * - a pod appearing with a controller ref observes a creation for that set; one appearing with a
 *   deletionTimestamp (seen on a controller-manager restart) counts as a deletion instead;
 * - a pod getting a deletionTimestamp observes its deletion at once, so the replacement is made
 *   without waiting out the grace period;
 * - a pod changing controller ref wakes both owners; an orphan whose labels change wakes every
 *   set whose selector matches it (they may adopt it);
 * - a ReplicaSet deleted or re-created under the same name forgets its expectations.
 */
import type { ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import { labelSelectorAsSelector } from '../../api/labels.js';
import { keyOf, type Lister } from '../../client/indexer.js';
import { runWorkers } from '../../client/workers.js';
import { WorkQueue } from '../../client/work-queue.js';
import type { Controller, ControllerContext } from '../controller.js';
import { Expectations } from '../lib/expectations.js';
import { OWNER_INDEXERS, controllerOf } from '../lib/owner-indexes.js';
import { REPLICASET_KIND, ReplicaSetSync } from './sync-replicaset.js';

export const REPLICASET_COMPONENT = 'replicaset-controller';

export interface ReplicaSetControllerOptions {
  /** Creates/deletes per sync (Kubernetes' BurstReplicas, 500). */
  burstReplicas?: number;
}

export class ReplicaSetController implements Controller {
  readonly name = 'replicaset';

  constructor(private readonly opts: ReplicaSetControllerOptions = {}) {}

  async run(ctx: ControllerContext, signal: AbortSignal): Promise<void> {
    const logger = ctx.logger.child({ controller: this.name });
    const queue = new WorkQueue({ name: this.name, clock: ctx.clock });
    const rsInformer = ctx.informers.replicaSets({ indexers: OWNER_INDEXERS });
    const podInformer = ctx.informers.pods({ indexers: OWNER_INDEXERS });
    const replicaSets = rsInformer.store;
    const expectations = new Expectations(ctx.clock);

    const resolve = (namespace: string, ref: OwnerReference): ReplicaSet | undefined => resolveControllerRef(replicaSets, namespace, ref);
    const enqueueMatching = (pod: Pod) => {
      for (const rs of replicaSetsSelecting(replicaSets, pod)) queue.add(keyOf(rs));
    };
    const podDeleted = (pod: Pod) => {
      const ref = controllerOf(pod);
      const rs = ref && resolve(pod.metadata?.namespace ?? '', ref);
      if (!rs) return;
      const key = keyOf(rs);
      expectations.deletionObserved(key, pod.metadata?.uid);
      queue.add(key);
    };

    rsInformer.addEventHandler({
      onAdd: (rs) => queue.add(keyOf(rs)),
      onUpdate: (old, cur) => {
        if (old.metadata?.uid !== cur.metadata?.uid) expectations.delete(keyOf(old));
        queue.add(keyOf(cur));
      },
      onDelete: (rs) => {
        const key = keyOf(rs);
        expectations.delete(key);
        queue.add(key);
      },
    });
    podInformer.addEventHandler({
      onAdd: (pod) => {
        if (pod.metadata?.deletionTimestamp) return podDeleted(pod);
        const ref = controllerOf(pod);
        if (ref) {
          const rs = resolve(pod.metadata?.namespace ?? '', ref);
          if (!rs) return;
          const key = keyOf(rs);
          expectations.creationObserved(key);
          queue.add(key);
          return;
        }
        // An orphan: every set that selects it may adopt it. No creation is observed.
        enqueueMatching(pod);
      },
      onUpdate: (old, cur) => {
        if (old.metadata?.resourceVersion === cur.metadata?.resourceVersion) return;
        const labelsChanged = !sameLabels(old.metadata?.labels, cur.metadata?.labels);
        if (cur.metadata?.deletionTimestamp) {
          podDeleted(cur);
          if (labelsChanged) podDeleted(old);
          return;
        }
        const curRef = controllerOf(cur);
        const oldRef = controllerOf(old);
        const refChanged = curRef?.uid !== oldRef?.uid || curRef?.name !== oldRef?.name || curRef?.kind !== oldRef?.kind;
        if (refChanged && oldRef) {
          const prev = resolve(old.metadata?.namespace ?? '', oldRef);
          if (prev) queue.add(keyOf(prev));
        }
        if (curRef) {
          const rs = resolve(cur.metadata?.namespace ?? '', curRef);
          if (rs) queue.add(keyOf(rs));
          return;
        }
        if (labelsChanged || refChanged) enqueueMatching(cur);
      },
      onDelete: (pod) => podDeleted(pod),
    });

    if (!(await ctx.informers.waitForCacheSync(signal))) return;

    const rsSync = new ReplicaSetSync({
      client: ctx.client,
      recorder: ctx.recorder(REPLICASET_COMPONENT),
      clock: ctx.clock,
      logger,
      replicaSets,
      pods: podInformer.store,
      expectations,
      ...(this.opts.burstReplicas !== undefined ? { burstReplicas: this.opts.burstReplicas } : {}),
    });
    await runWorkers(queue, ctx.workers, (key) => rsSync.sync(key), signal, { logger });
  }
}

/** The cached ReplicaSet a controller ref points to: same kind, name and UID (resolveControllerRef). */
export function resolveControllerRef(replicaSets: Lister<ReplicaSet>, namespace: string, ref: OwnerReference): ReplicaSet | undefined {
  if (ref.kind !== REPLICASET_KIND) return undefined;
  const rs = replicaSets.getByName(namespace, ref.name);
  return rs && rs.metadata?.uid === ref.uid ? rs : undefined;
}

/** ReplicaSets in the pod's namespace whose selector matches its labels (GetPodReplicaSets). */
export function replicaSetsSelecting(replicaSets: Lister<ReplicaSet>, pod: Pod): ReplicaSet[] {
  const out: ReplicaSet[] = [];
  for (const rs of replicaSets.listByNamespace(pod.metadata?.namespace ?? '')) {
    try {
      const sel = labelSelectorAsSelector(rs.spec?.selector);
      // An empty selector would match everything; Kubernetes never lets one adopt.
      if (!sel.empty() && sel.matches(pod.metadata?.labels)) out.push(rs);
    } catch {
      // An invalid selector matches nothing.
    }
  }
  return out;
}

function sameLabels(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  const x = a ?? {};
  const y = b ?? {};
  const kx = Object.keys(x);
  if (kx.length !== Object.keys(y).length) return false;
  return kx.every((k) => x[k] === y[k]);
}

/**
 * The StatefulSet controller (Kubernetes' pkg/controller/statefulset): pods with stable names,
 * hostnames and claims, started and stopped in order.
 *
 * Wiring: set events enqueue the set; pod events enqueue the controlling set, or every set selecting
 * an orphan; claim events enqueue the sets whose selector matches the claim (a claim the garbage
 * collector removed may unblock a pod). No expectations are needed: pod names are deterministic,
 * so a lagging cache can at worst meet AlreadyExists.
 *
 * sync(namespace/name): adopt orphaned revisions, claim pods (selector match and a name of the form
 * `<set>-<ordinal>`), run one pass of the update algorithm, write the status when it changed, and
 * trim the revision history.
 */
import type { ControllerRevision, StatefulSet, StatefulSetStatus } from 'kubernetes-types/apps/v1.js';
import type { PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1.js';
import { isConflict, isNotFound } from '../../api/errors.js';
import { labelSelectorAsSelector } from '../../api/labels.js';
import { clone, controllerRef, splitKey, type KubeObject, type Mutable } from '../../api/object.js';
import type { SharedInformer } from '../../client/informer.js';
import { keyOf } from '../../client/indexer.js';
import { WorkQueue } from '../../client/work-queue.js';
import { runWorkers, type SyncResult } from '../../client/workers.js';
import type { Controller, ControllerContext } from '../controller.js';
import { ControllerHistory } from '../history/controller-history.js';
import { claimChildren, ownerOf } from '../lib/controller-ref.js';
import { claimCandidates, OWNER_INDEXERS } from '../lib/owner-indexes.js';
import { isPodReady } from '../lib/pod-utils.js';
import { StatefulPodControl } from './stateful-pod-control.js';
import { truncateHistory, updateStatefulSet, type ControlDeps } from './stateful-set-control.js';
import { completeRollingUpdate, isMemberOf, replicasOf, statusChanged } from './stateful-set-utils.js';

export const STATEFULSET_CONTROLLER_COMPONENT = 'statefulset-controller';
const APPS_V1 = 'apps/v1';
const KIND = 'StatefulSet';

function kube<T>(obj: T): KubeObject {
  return obj as unknown as KubeObject;
}

export class StatefulSetController implements Controller {
  readonly name = 'statefulset';

  async run(ctx: ControllerContext, signal: AbortSignal): Promise<void> {
    const queue = new WorkQueue({ name: this.name, clock: ctx.clock });
    const recorder = ctx.recorder(STATEFULSET_CONTROLLER_COMPONENT);
    const sets = ctx.informers.statefulSets();
    const pods = ctx.informers.pods({ indexers: OWNER_INDEXERS });
    const claims = ctx.informers.persistentVolumeClaims();
    const revisions = ctx.informers.controllerRevisions({ indexers: OWNER_INDEXERS });
    const history = new ControllerHistory(ctx.client, revisions.store);
    const deps: ControlDeps = { podControl: new StatefulPodControl(ctx.client, claims.store, recorder), history, recorder, nowMs: () => ctx.clock.now() };
    const logger = ctx.logger.child({ controller: this.name });
    const wiring = new StatefulSetWiring(sets, queue);

    sets.addEventHandler({ onAdd: (s) => queue.add(keyOf(s)), onUpdate: (_o, s) => queue.add(keyOf(s)), onDelete: (s) => queue.add(keyOf(s)) });
    pods.addEventHandler({ onAdd: (p) => wiring.podAdded(p), onUpdate: (o, p) => wiring.podUpdated(o, p), onDelete: (p) => wiring.podDeleted(p) });
    claims.addEventHandler({
      onAdd: (c) => wiring.claimChanged(c),
      onUpdate: (o, c) => {
        if (o.metadata?.resourceVersion !== c.metadata?.resourceVersion) wiring.claimChanged(c);
      },
      onDelete: (c) => wiring.claimChanged(c),
    });
    if (!(await ctx.informers.waitForCacheSync(signal))) return;

    const sync = async (key: string): Promise<SyncResult> => {
      const { namespace, name } = splitKey(key);
      const set = sets.store.getByName(namespace, name);
      if (!set) return;
      let selector;
      try {
        selector = labelSelectorAsSelector(set.spec?.selector);
      } catch (err) {
        // Not retryable: the API server validates selectors, so only a corrupt object gets here.
        logger.error('invalid StatefulSet selector', { key, error: err });
        return;
      }
      const owner = ownerOf(kube(set), APPS_V1, KIND);
      const recheckOwner = async () => {
        try {
          return kube(await ctx.client.statefulSets(namespace).get(name));
        } catch (err) {
          if (isNotFound(err)) return undefined;
          throw err;
        }
      };
      // Revisions: ours plus matching orphans, which are adopted (never released: Kubernetes keeps them).
      const listed = history.list(namespace, owner.uid, set.spec?.selector);
      const orphans = listed.filter((r) => !controllerRef(kube(r)));
      let setRevisions: ControllerRevision[] = listed.filter((r) => controllerRef(kube(r)));
      if (orphans.length > 0) {
        const fresh = await recheckOwner();
        if (!fresh || fresh.metadata?.uid !== owner.uid || fresh.metadata?.deletionTimestamp) throw new Error(`can't adopt ControllerRevisions: StatefulSet ${key} is being deleted or was replaced`);
        for (const r of orphans) setRevisions.push(await history.adopt(owner, r));
      }
      setRevisions = [...setRevisions];
      const claimed = await claimChildren<Pod>({
        owner,
        candidates: claimCandidates(pods.store, namespace, owner.uid),
        // Only pods named like this set's are claimed, whatever their labels say.
        matches: (p) => selector.matches(p.metadata?.labels ?? {}) && isMemberOf(set, p),
        children: ctx.client.pods(namespace),
        recheckOwner,
      });
      const outcome = await updateStatefulSet(deps, set, owner, claimed, setRevisions);
      await this.writeStatus(ctx, set, outcome.status);
      await truncateHistory(deps, set, claimed, setRevisions, outcome.currentRevision, outcome.updateRevision);
      if (outcome.error !== undefined) throw outcome.error;
      const minReady = set.spec?.minReadySeconds ?? 0;
      if (minReady > 0 && (outcome.status.availableReplicas ?? 0) !== replicasOf(set)) return { requeueAfterMs: minReady * 1000 };
      return undefined;
    };
    logger.info('starting');
    await runWorkers(queue, ctx.workers, sync, signal, { logger });
  }

  /**
   * updateStatefulSetStatus: completes a finished rolling update, then writes the status through
   * /status only if it differs; conflicts retry on a fresh read.
   */
  private async writeStatus(ctx: ControllerContext, set: StatefulSet, status: StatefulSetStatus): Promise<void> {
    completeRollingUpdate(set, status);
    if (!statusChanged(set, status)) return;
    let base: StatefulSet = set;
    for (let attempt = 0; ; attempt++) {
      const next = clone(base) as Mutable<StatefulSet>;
      next.status = { ...status };
      try {
        await ctx.client.statefulSets(set.metadata!.namespace!).updateStatus(next);
        return;
      } catch (err) {
        if (isNotFound(err)) return;
        if (!isConflict(err) || attempt >= 4) throw err;
        base = await ctx.client.statefulSets(set.metadata!.namespace!).get(set.metadata!.name!);
      }
    }
  }
}

/** The informer handlers: map pod and claim changes to StatefulSet keys. */
class StatefulSetWiring {
  constructor(
    private readonly sets: SharedInformer<StatefulSet>,
    private readonly queue: WorkQueue,
  ) {}

  private resolve(namespace: string, ref: { kind: string; name: string; uid: string } | undefined): StatefulSet | undefined {
    if (!ref || ref.kind !== KIND) return undefined;
    const set = this.sets.store.getByName(namespace, ref.name);
    return set && set.metadata?.uid === ref.uid ? set : undefined;
  }

  private selecting(namespace: string, labels: Record<string, string> | undefined): StatefulSet[] {
    return this.sets.store.listByNamespace(namespace).filter((s) => {
      try {
        const sel = labelSelectorAsSelector(s.spec?.selector);
        return !sel.empty() && sel.matches(labels ?? {});
      } catch {
        return false;
      }
    });
  }

  podAdded(pod: Pod): void {
    if (pod.metadata?.deletionTimestamp) return this.podDeleted(pod);
    const ns = pod.metadata?.namespace ?? '';
    const ref = controllerRef(kube(pod));
    if (ref) {
      const set = this.resolve(ns, ref);
      if (set) this.queue.add(keyOf(set));
      return;
    }
    for (const s of this.selecting(ns, pod.metadata?.labels)) this.queue.add(keyOf(s));
  }

  podUpdated(old: Pod, cur: Pod): void {
    if (old.metadata?.resourceVersion === cur.metadata?.resourceVersion) return;
    const ns = cur.metadata?.namespace ?? '';
    const curRef = controllerRef(kube(cur));
    const oldRef = controllerRef(kube(old));
    const refChanged = curRef?.uid !== oldRef?.uid;
    if (refChanged && oldRef) {
      const set = this.resolve(ns, oldRef);
      if (set) this.queue.add(keyOf(set));
    }
    if (curRef) {
      const set = this.resolve(ns, curRef);
      if (!set) return;
      this.queue.add(keyOf(set));
      const minReady = set.spec?.minReadySeconds ?? 0;
      // Becoming ready starts the minReadySeconds clock: look again when it runs out.
      if (minReady > 0 && !isPodReady(old) && isPodReady(cur)) this.queue.addAfter(keyOf(set), minReady * 1000);
      return;
    }
    const labelsChanged = JSON.stringify(old.metadata?.labels ?? {}) !== JSON.stringify(cur.metadata?.labels ?? {});
    if (labelsChanged || refChanged) for (const s of this.selecting(ns, cur.metadata?.labels)) this.queue.add(keyOf(s));
  }

  podDeleted(pod: Pod): void {
    const set = this.resolve(pod.metadata?.namespace ?? '', controllerRef(kube(pod)));
    if (set) this.queue.add(keyOf(set));
  }

  claimChanged(claim: PersistentVolumeClaim): void {
    for (const s of this.selecting(claim.metadata?.namespace ?? '', claim.metadata?.labels)) {
      if ((s.spec?.volumeClaimTemplates ?? []).length > 0) this.queue.add(keyOf(s));
    }
  }
}

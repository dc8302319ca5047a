/**
 * The DaemonSet controller (Kubernetes' pkg/controller/daemon): one pod per eligible node.
 *
 * Wiring: DaemonSet events enqueue the set; pod events enqueue the controlling set (and lower its
 * expectations), or every set selecting an orphan; node events enqueue the sets whose verdict for
 * that node changed (a new node, a label or taint change, a deleted node); ControllerRevision
 * events enqueue their owner.
 *
 * sync(namespace/name): construct the revision history (the current revision's hash labels new
 * pods), then — unless earlier creates/deletes are still unobserved — create pods on nodes that
 * should run one, delete failed, succeeded, duplicate and misplaced pods, run the rolling update,
 * prune old revisions, and write the status when it changed. Pods are created without a node name
 * and pinned by required node affinity; the scheduler binds them.
 */
import type { ControllerRevision, DaemonSet, DaemonSetStatus } from 'kubernetes-types/apps/v1.js';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import { isConflict, isNotFound, StatusError } from '../../api/errors.js';
import { labelSelectorAsSelector } from '../../api/labels.js';
import { clone, controllerRef, splitKey, type KubeObject, type Mutable } from '../../api/object.js';
import type { SharedInformer } from '../../client/informer.js';
import { keyOf } from '../../client/indexer.js';
import { WorkQueue } from '../../client/work-queue.js';
import { runWorkers, type SyncResult } from '../../client/workers.js';
import type { Controller, ControllerContext } from '../controller.js';
import { ControllerHistory } from '../history/controller-history.js';
import { claimChildren, ownerOf } from '../lib/controller-ref.js';
import { Expectations, EXPECTATIONS_TTL_MS } from '../lib/expectations.js';
import { claimCandidates, controlledBy, OWNER_INDEXERS } from '../lib/owner-indexes.js';
import { PodControl, podFromTemplate } from '../lib/pod-control.js';
import { isPodReady } from '../lib/pod-utils.js';
import { SLOW_START_INITIAL_BATCH, slowStartBatch } from '../lib/slow-start.js';
import { DAEMONSET_REVISION_HASH_LABEL, daemonNodeFitter, daemonPodTemplate, pinToNode, targetNodeName, templateGeneration, type NodeFit } from './daemon-pod.js';
import { DaemonSetHistory } from './daemon-history.js';
import { computeDaemonCounts, groupByNode, planManage, planRollingUpdate, type DaemonPlan, type PlanInput } from './daemon-plan.js';
import { FailedPodsBackoff } from './failed-pods-backoff.js';

/** Kubernetes' BurstReplicas for DaemonSets: creates (and deletes) per sync. */
export const DAEMONSET_BURST_REPLICAS = 250;
/** How often the failed-pod back-off table is swept (Kubernetes' BackoffGCInterval). */
export const BACKOFF_GC_INTERVAL_MS = 60_000;
export const DAEMONSET_CONTROLLER_COMPONENT = 'daemonset-controller';

const APPS_V1 = 'apps/v1';
const KIND = 'DaemonSet';

/** kubernetes-types interfaces lack KubeObject's index signature; the shapes agree. */
function kube<T>(obj: T): KubeObject {
  return obj as unknown as KubeObject;
}

function isSelectingAll(sel: LabelSelector | undefined): boolean {
  return !!sel && Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0;
}

export class DaemonSetController implements Controller {
  readonly name = 'daemonset';

  async run(ctx: ControllerContext, signal: AbortSignal): Promise<void> {
    const queue = new WorkQueue({ name: this.name, clock: ctx.clock });
    const expectations = new Expectations(ctx.clock);
    const backoff = new FailedPodsBackoff(ctx.clock);
    const recorder = ctx.recorder(DAEMONSET_CONTROLLER_COMPONENT);
    const podControl = new PodControl(ctx.client, recorder);
    const dsInformer = ctx.informers.daemonSets();
    const podInformer = ctx.informers.pods({ indexers: OWNER_INDEXERS });
    const nodeInformer = ctx.informers.nodes();
    const historyInformer = ctx.informers.controllerRevisions({ indexers: OWNER_INDEXERS });
    const history = new DaemonSetHistory(ctx.client, new ControllerHistory(ctx.client, historyInformer.store));
    const logger = ctx.logger.child({ controller: this.name });
    const enqueue = (ds: DaemonSet) => queue.add(keyOf(ds));
    const wiring = new DaemonSetWiring(dsInformer, queue, expectations);

    dsInformer.addEventHandler({
      onAdd: enqueue,
      onUpdate: (old, cur) => {
        if (old.metadata?.uid !== cur.metadata?.uid) expectations.delete(keyOf(old));
        enqueue(cur);
      },
      onDelete: (ds) => {
        expectations.delete(keyOf(ds));
        enqueue(ds);
      },
    });
    podInformer.addEventHandler({
      onAdd: (pod) => wiring.podAdded(pod),
      onUpdate: (old, cur) => wiring.podUpdated(old, cur),
      onDelete: (pod) => wiring.podDeleted(pod),
    });
    historyInformer.addEventHandler({
      onAdd: (cr) => wiring.historyChanged(undefined, cr),
      onUpdate: (old, cur) => wiring.historyChanged(old, cur),
      onDelete: (cr) => wiring.historyChanged(cr, undefined),
    });
    nodeInformer.addEventHandler({
      onAdd: (node) => wiring.nodeChanged(undefined, node),
      onUpdate: (old, cur) => wiring.nodeChanged(old, cur),
      // Kubernetes waits for pod GC to remove the pod; re-syncing now drops the node from the counts at once.
      onDelete: () => {
        for (const ds of dsInformer.store.list()) enqueue(ds);
      },
    });
    if (!(await ctx.informers.waitForCacheSync(signal))) return;

    let lastBackoffGc = ctx.clock.now();
    const sync = async (key: string): Promise<SyncResult> => {
      const { namespace, name } = splitKey(key);
      const ds = dsInformer.store.getByName(namespace, name);
      if (!ds) {
        expectations.delete(key);
        return;
      }
      if (ctx.clock.now() - lastBackoffGc > BACKOFF_GC_INTERVAL_MS) {
        backoff.gc();
        lastBackoffGc = ctx.clock.now();
      }
      if (isSelectingAll(ds.spec?.selector)) {
        recorder.event(ds, 'Warning', 'SelectingAll', 'This daemon set is selecting all pods. A non-empty selector is required.');
        return;
      }
      // A DaemonSet being deleted may already have lost its revisions (the garbage collector does
      // not order them after the pods), so neither manage it nor report its status.
      if (ds.metadata?.deletionTimestamp) return;
      const owner = ownerOf(kube(ds), APPS_V1, KIND);
      const selector = labelSelectorAsSelector(ds.spec?.selector);
      const recheckOwner = async () => {
        try {
          return kube(await ctx.client.daemonSets(namespace).get(name));
        } catch (err) {
          if (isNotFound(err)) return undefined;
          throw err;
        }
      };
      const claimedRevisions = await claimChildren<ControllerRevision>({
        owner,
        candidates: claimCandidates(historyInformer.store, namespace, owner.uid),
        matches: (r) => selector.matches(r.metadata?.labels ?? {}),
        children: ctx.client.controllerRevisions(namespace),
        recheckOwner,
      });
      const ownedPods = (): Pod[] => controlledBy(podInformer.store, owner.uid).filter((p) => p.metadata?.namespace === namespace && selector.matches(p.metadata?.labels ?? {}));
      const { current, old } = await history.construct(ds, owner, claimedRevisions, ownedPods);
      const hash = current.metadata?.labels?.[DAEMONSET_REVISION_HASH_LABEL] ?? '';
      const fitCache = new Map<string, NodeFit>();
      const fitter = daemonNodeFitter(ds);
      const fit = (node: Node): NodeFit => {
        const n = node.metadata?.name ?? '';
        let f = fitCache.get(n);
        if (!f) fitCache.set(n, (f = fitter(node)));
        return f;
      };
      const nodes = nodeInformer.store.list();
      const input = (pods: readonly Pod[]): PlanInput => ({ ds, nodes, nodeToPods: groupByNode(pods, targetNodeName, false), hash, generation: templateGeneration(ds), fit, nowMs: ctx.clock.now() });

      if (!expectations.satisfied(key)) {
        // Earlier creates/deletes are not all visible yet: report what is known, nothing more,
        // and keep observedGeneration (this generation was not acted on).
        await this.writeStatus(ctx, ds, input(ownedPods()), false);
        // Informer events lower the expectations and requeue the set; should one never come,
        // look again when the expectations expire.
        return { requeueAfterMs: EXPECTATIONS_TTL_MS + 1000 };
      }
      const claimed = await claimChildren<Pod>({
        owner,
        candidates: claimCandidates(podInformer.store, namespace, owner.uid),
        matches: (p) => selector.matches(p.metadata?.labels ?? {}),
        children: ctx.client.pods(namespace),
        recheckOwner,
      });
      let requeueAfterMs: number | undefined;
      const errors: unknown[] = [];
      const claimedInput = input(claimed);
      const managePlan = planManage(claimedInput, backoff);
      requeueAfterMs = managePlan.requeueAfterMs;
      errors.push(...(await this.execute(ctx, ds, key, managePlan, hash, expectations, podControl, recorder)));
      // The rolling update runs on a quiet node map only: after creates or deletes it waits for
      // the informer to show them (the next sync), as Kubernetes waits for its expectations.
      let quiet = managePlan.createOn.length === 0 && managePlan.deletePods.length === 0;
      if (errors.length === 0 && quiet && expectations.satisfied(key) && (ds.spec?.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate') {
        const rollPlan = planRollingUpdate(claimedInput);
        quiet = rollPlan.createOn.length === 0 && rollPlan.deletePods.length === 0;
        errors.push(...(await this.execute(ctx, ds, key, rollPlan, hash, expectations, podControl, recorder)));
      }
      if (errors.length === 0) {
        const live = controlledBy(podInformer.store, owner.uid);
        await history.cleanup(ds, old, live);
      }
      // Without writes the claimed pods are the status's pods; after writes, read the cache again.
      const statusResult = await this.writeStatus(ctx, ds, quiet ? claimedInput : input(ownedPods()), true);
      if (errors.length > 0) throw errors[0];
      if (statusResult) requeueAfterMs = requeueAfterMs === undefined ? statusResult.requeueAfterMs : Math.min(requeueAfterMs, statusResult.requeueAfterMs);
      return requeueAfterMs === undefined ? undefined : { requeueAfterMs };
    };
    logger.info('starting');
    await runWorkers(queue, ctx.workers, sync, signal, { logger });
  }

  /**
   * syncNodes: records expectations, then creates pods (slow-start batches, at most the burst cap)
   * and deletes pods. Returns the errors; failed writes lower the expectations.
   */
  private async execute(ctx: ControllerContext, ds: DaemonSet, key: string, plan: DaemonPlan, hash: string, expectations: Expectations, podControl: PodControl, recorder: ReturnType<ControllerContext['recorder']>): Promise<unknown[]> {
    for (const e of plan.events) recorder.event(ds, e.type, e.reason, e.message);
    const creates = plan.createOn.slice(0, DAEMONSET_BURST_REPLICAS);
    const deletes = plan.deletePods.slice(0, DAEMONSET_BURST_REPLICAS);
    if (creates.length === 0 && deletes.length === 0) return [];
    const namespace = ds.metadata!.namespace!;
    expectations.expect(key, creates.length, deletes.length, deletes.map((p) => p.metadata!.uid!));
    const errors: unknown[] = [];
    if (creates.length > 0) {
      const template = daemonPodTemplate(ds.spec!.template, templateGeneration(ds), hash);
      const owner = ownerOf(kube(ds), APPS_V1, KIND);
      let attempted = 0;
      const result = await slowStartBatch(creates.length, SLOW_START_INITIAL_BATCH, async (i) => {
        attempted++;
        const pod = podFromTemplate(template, owner, namespace);
        pod.spec = { ...pod.spec!, affinity: pinToNode(pod.spec!.affinity, creates[i]!) };
        try {
          await podControl.create(pod, kube(ds));
        } catch (err) {
          expectations.creationObserved(key);
          if (isNamespaceTerminating(err)) return;
          errors.push(err);
          throw err;
        }
      });
      const skipped = creates.length - attempted;
      if (result.error !== undefined && skipped > 0) expectations.lower(key, skipped, 0);
    }
    await Promise.all(
      deletes.map(async (pod) => {
        try {
          const deleted = await podControl.delete(namespace, pod.metadata!.name!, kube(ds), pod.metadata!.uid);
          if (!deleted) expectations.deletionObserved(key, pod.metadata!.uid);
        } catch (err) {
          expectations.deletionObserved(key, pod.metadata!.uid);
          // A different pod now holds the name (UID precondition): the one we meant is gone.
          if (!isConflict(err)) errors.push(err);
        }
      }),
    );
    return errors;
  }

  /**
   * updateDaemonSetStatus: writes the counts through /status only when they (or the observed
   * generation) changed; a conflict is retried once on a fresh read. Asks to look again after
   * minReadySeconds while some ready pods are not yet available.
   */
  private async writeStatus(ctx: ControllerContext, ds: DaemonSet, input: PlanInput, updateObservedGeneration: boolean): Promise<{ requeueAfterMs: number } | undefined> {
    const counts = computeDaemonCounts(input);
    const minReady = ds.spec?.minReadySeconds ?? 0;
    const requeue = minReady > 0 && counts.numberReady !== counts.numberAvailable ? { requeueAfterMs: minReady * 1000 } : undefined;
    const generation = ds.metadata?.generation ?? 0;
    const apply = (base: DaemonSet): DaemonSet | undefined => {
      const s = base.status ?? ({} as DaemonSetStatus);
      const observed = updateObservedGeneration ? generation : s.observedGeneration;
      const same =
        (s.desiredNumberScheduled ?? 0) === counts.desiredNumberScheduled &&
        (s.currentNumberScheduled ?? 0) === counts.currentNumberScheduled &&
        (s.numberMisscheduled ?? 0) === counts.numberMisscheduled &&
        (s.numberReady ?? 0) === counts.numberReady &&
        (s.updatedNumberScheduled ?? 0) === counts.updatedNumberScheduled &&
        (s.numberAvailable ?? 0) === counts.numberAvailable &&
        (s.numberUnavailable ?? 0) === counts.numberUnavailable &&
        (s.observedGeneration ?? 0) === (observed ?? 0);
      if (same) return undefined;
      const next = clone(base) as Mutable<DaemonSet>;
      next.status = { ...s, ...counts, ...(observed !== undefined ? { observedGeneration: observed } : {}) };
      return next;
    };
    let toWrite = apply(ds);
    for (let attempt = 0; toWrite; attempt++) {
      try {
        await ctx.client.daemonSets(ds.metadata!.namespace!).updateStatus(toWrite);
        break;
      } catch (err) {
        if (isNotFound(err)) return undefined;
        if (!isConflict(err) || attempt >= 1) throw err;
        const fresh = await ctx.client.daemonSets(ds.metadata!.namespace!).get(ds.metadata!.name!);
        toWrite = apply(fresh);
      }
    }
    return requeue;
  }
}

/** Kubernetes skips creates refused because the namespace is being torn down. */
function isNamespaceTerminating(err: unknown): boolean {
  if (!(err instanceof StatusError)) return false;
  if (err.details?.causes?.some((c) => c.reason === 'NamespaceTerminating')) return true;
  return err.code === 403 && /being terminated/.test(err.message);
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/** The informer handlers: map pod, revision and node changes to DaemonSet keys. */
class DaemonSetWiring {
  constructor(
    private readonly dsInformer: SharedInformer<DaemonSet>,
    private readonly queue: WorkQueue,
    private readonly expectations: Expectations,
  ) {}

  /** The DaemonSet a controller ref points to, if it exists with that UID. */
  private resolve(namespace: string, ref: { kind: string; name: string; uid: string } | undefined): DaemonSet | undefined {
    if (!ref || ref.kind !== KIND) return undefined;
    const ds = this.dsInformer.store.getByName(namespace, ref.name);
    return ds && ds.metadata?.uid === ref.uid ? ds : undefined;
  }

  /** DaemonSets in the namespace whose selector matches `labels` (candidates to adopt an orphan). */
  private selecting(namespace: string, labels: Record<string, string> | undefined): DaemonSet[] {
    return this.dsInformer.store.listByNamespace(namespace).filter((ds) => {
      if (isSelectingAll(ds.spec?.selector)) return false;
      try {
        return labelSelectorAsSelector(ds.spec?.selector).matches(labels ?? {});
      } catch {
        return false;
      }
    });
  }

  podAdded(pod: Pod): void {
    if (pod.metadata?.deletionTimestamp) {
      // Seen already terminating (a restart): never count it as an observed creation.
      this.podDeleted(pod);
      return;
    }
    const ns = pod.metadata?.namespace ?? '';
    const ref = controllerRef(pod as never);
    if (ref) {
      const ds = this.resolve(ns, ref);
      if (!ds) return;
      this.expectations.creationObserved(keyOf(ds));
      this.queue.add(keyOf(ds));
      return;
    }
    for (const ds of this.selecting(ns, pod.metadata?.labels)) this.queue.add(keyOf(ds));
  }

  podUpdated(old: Pod, cur: Pod): void {
    if (old.metadata?.resourceVersion === cur.metadata?.resourceVersion) return;
    if (cur.metadata?.deletionTimestamp) {
      // Graceful deletion began: treat the pod as gone now, so a replacement is not delayed.
      this.podDeleted(cur);
      return;
    }
    const ns = cur.metadata?.namespace ?? '';
    const curRef = controllerRef(cur as never);
    const oldRef = controllerRef(old as never);
    const refChanged = curRef?.uid !== oldRef?.uid;
    if (refChanged && oldRef) {
      const ds = this.resolve(ns, oldRef);
      if (ds) this.queue.add(keyOf(ds));
    }
    if (curRef) {
      const ds = this.resolve(ns, curRef);
      if (!ds) return;
      this.queue.add(keyOf(ds));
      const minReady = ds.spec?.minReadySeconds ?? 0;
      // Becoming ready starts the minReadySeconds clock: look again when it runs out (plus a second of slack).
      if (minReady > 0 && !isPodReady(old) && isPodReady(cur)) this.queue.addAfter(keyOf(ds), minReady * 1000 + 1000);
      return;
    }
    const labelsChanged = !sameJson(old.metadata?.labels, cur.metadata?.labels);
    if (labelsChanged || refChanged) for (const ds of this.selecting(ns, cur.metadata?.labels)) this.queue.add(keyOf(ds));
  }

  podDeleted(pod: Pod): void {
    const ref = controllerRef(pod as never);
    const ds = this.resolve(pod.metadata?.namespace ?? '', ref);
    if (!ds) return;
    this.expectations.deletionObserved(keyOf(ds), pod.metadata?.uid);
    this.queue.add(keyOf(ds));
  }

  historyChanged(old: ControllerRevision | undefined, cur: ControllerRevision | undefined): void {
    const obj = cur ?? old!;
    const ns = obj.metadata?.namespace ?? '';
    const curRef = cur ? controllerRef(cur as never) : undefined;
    const oldRef = old ? controllerRef(old as never) : undefined;
    if (old && cur && old.metadata?.resourceVersion === cur.metadata?.resourceVersion) return;
    if (oldRef && oldRef.uid !== curRef?.uid) {
      const ds = this.resolve(ns, oldRef);
      if (ds) this.queue.add(keyOf(ds));
    }
    if (curRef) {
      const ds = this.resolve(ns, curRef);
      if (ds) this.queue.add(keyOf(ds));
      return;
    }
    if (cur) for (const ds of this.selecting(ns, cur.metadata?.labels)) this.queue.add(keyOf(ds));
  }

  /** addNode/updateNode: enqueue the DaemonSets whose verdict for the node changed. */
  nodeChanged(old: Node | undefined, cur: Node): void {
    // The verdict depends only on the node's name, labels and taints: heartbeats change neither.
    if (old && sameJson(old.metadata?.labels, cur.metadata?.labels) && sameJson(old.spec?.taints, cur.spec?.taints)) return;
    for (const ds of this.dsInformer.store.list()) {
      const now = daemonNodeFitter(ds)(cur);
      if (!old) {
        if (now.shouldRun) this.queue.add(keyOf(ds));
        continue;
      }
      const before = daemonNodeFitter(ds)(old);
      if (before.shouldRun !== now.shouldRun || before.shouldContinueRunning !== now.shouldContinueRunning) this.queue.add(keyOf(ds));
    }
  }
}

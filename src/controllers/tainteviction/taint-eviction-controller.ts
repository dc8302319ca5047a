/**
 * The taint eviction controller (kube-controller-manager's `taint-eviction-controller`, formerly
 * the taint manager): pods on a node with NoExecute taints they do not tolerate are deleted at
 * once; pods tolerating them for `tolerationSeconds` are deleted when the shortest of those runs
 * out; a toleration without seconds tolerates forever (DaemonSet pods); the deletion is cancelled
 * if the taint goes away first.
 *
 * Level-triggered on the API's state: the toleration clock of a taint starts at its `timeAdded`
 * (or, for a pod bound later, when the pod was scheduled), so a restarted controller — or another
 * leader — reaches the same deadline; a pending deletion is simply the pod's key parked on the
 * work queue until then. Before deleting, the pod is re-read, gets the condition DisruptionTarget
 * (reason DeletionByTaintManager) and an event `TaintManagerEviction` "Marking for deletion Pod
 * <ns>/<name>"; a cancelled deletion records "Cancelling deletion of Pod <ns>/<name>".
 */
import type { Node, Pod, Taint, Toleration } from 'kubernetes-types/core/v1.js';
import { isNotFound } from '../../api/errors.js';
import { matchingTolerations } from '../../api/taints.js';
import { formatTime, parseTime } from '../../client/clock.js';
import { indexByNodeName, keyOf } from '../../client/indexer.js';
import { WorkQueue } from '../../client/work-queue.js';
import { runWorkers, type SyncResult } from '../../client/workers.js';
import type { Controller, ControllerContext } from '../controller.js';

export const TAINT_EVICTION_COMPONENT = 'taint-eviction-controller';
const BY_NODE = 'byNode';

function noExecuteTaints(node: Node | undefined): Taint[] {
  return (node?.spec?.taints ?? []).filter((t) => t.effect === 'NoExecute');
}

/** When the pod was bound (PodScheduled=True), if known. */
function scheduledAt(pod: Pod): number {
  const c = pod.status?.conditions?.find((x) => x.type === 'PodScheduled' && x.status === 'True');
  return parseTime(c?.lastTransitionTime ?? undefined);
}

/**
 * When the pod must go: undefined when it tolerates every NoExecute taint forever, `now` (or
 * earlier) when it does not tolerate one of them. Per taint the clock starts at max(timeAdded,
 * bound time) and runs for the seconds of the first toleration matching it (GetMatchingTolerations
 * / getMinTolerationTime; seconds ≤ 0 mean at once).
 */
export function evictionDeadline(pod: Pod, taints: readonly Taint[], now: number, firstSeen: (t: Taint) => number): number | undefined {
  if (taints.length === 0) return undefined;
  const tolerations: Toleration[] = pod.spec?.tolerations ?? [];
  const { allTolerated, used } = matchingTolerations(taints, tolerations);
  if (!allTolerated) return now;
  const bound = scheduledAt(pod);
  let deadline: number | undefined;
  taints.forEach((taint, i) => {
    const seconds = used[i]?.tolerationSeconds;
    if (seconds === undefined || seconds === null) return;
    if (seconds <= 0) {
      deadline = Math.min(deadline ?? now, now);
      return;
    }
    let start = parseTime(taint.timeAdded ?? undefined);
    if (Number.isNaN(start)) start = firstSeen(taint);
    if (!Number.isNaN(bound) && bound > start) start = bound;
    const at = start + seconds * 1000;
    deadline = deadline === undefined ? at : Math.min(deadline, at);
  });
  return deadline;
}

export class TaintEvictionController implements Controller {
  readonly name = 'taint-eviction-controller';
  /** Pods with a deletion pending: key → uid (for the cancel event). */
  private readonly scheduled = new Map<string, string>();
  /** When this controller first saw a taint that has no timeAdded: `node|key|effect` → ms. */
  private readonly firstSeen = new Map<string, number>();

  async run(ctx: ControllerContext, signal: AbortSignal): Promise<void> {
    const queue = new WorkQueue({ name: this.name, clock: ctx.clock });
    const nodes = ctx.informers.nodes();
    const pods = ctx.informers.pods({ indexers: { [BY_NODE]: indexByNodeName } });
    const recorder = ctx.recorder(TAINT_EVICTION_COMPONENT);
    const logger = ctx.logger.child({ controller: this.name });

    const enqueuePodsOn = (nodeName: string): void => {
      for (const key of pods.store.indexKeys(BY_NODE, nodeName)) queue.add(key);
    };
    nodes.addEventHandler({
      onAdd: (n) => {
        if (noExecuteTaints(n).length) enqueuePodsOn(n.metadata!.name!);
      },
      onUpdate: (o, n) => {
        if (JSON.stringify(noExecuteTaints(o)) !== JSON.stringify(noExecuteTaints(n))) enqueuePodsOn(n.metadata!.name!);
      },
      onDelete: (n) => enqueuePodsOn(n.metadata?.name ?? ''),
    });
    const relevant = (p: Pod): boolean => {
      const node = p.spec?.nodeName;
      return !!node && (this.scheduled.has(keyOf(p)) || noExecuteTaints(nodes.store.get(node)).length > 0);
    };
    pods.addEventHandler({
      onAdd: (p) => {
        if (relevant(p)) queue.add(keyOf(p));
      },
      onUpdate: (o, p) => {
        if (o.spec?.nodeName !== p.spec?.nodeName || JSON.stringify(o.spec?.tolerations) !== JSON.stringify(p.spec?.tolerations) || o.metadata?.deletionTimestamp !== p.metadata?.deletionTimestamp) {
          if (relevant(p)) queue.add(keyOf(p));
        }
      },
      onDelete: (p) => {
        const key = keyOf(p);
        if (this.scheduled.has(key)) {
          this.scheduled.delete(key);
          recorder.event(podRef(p), 'Normal', 'TaintManagerEviction', `Cancelling deletion of Pod ${key}`);
        }
      },
    });
    if (!(await ctx.informers.waitForCacheSync(signal))) return;

    const firstSeen = (nodeName: string) => (t: Taint): number => {
      const k = `${nodeName}|${t.key}|${t.effect}`;
      let at = this.firstSeen.get(k);
      if (at === undefined) this.firstSeen.set(k, (at = ctx.clock.now()));
      return at;
    };

    const sync = async (key: string): Promise<SyncResult> => {
      const pod = pods.store.get(key);
      const cancel = (): void => {
        const uid = this.scheduled.get(key);
        if (uid === undefined) return;
        this.scheduled.delete(key);
        if (pod) recorder.event(podRef(pod), 'Normal', 'TaintManagerEviction', `Cancelling deletion of Pod ${key}`);
      };
      if (!pod?.spec?.nodeName || pod.metadata?.deletionTimestamp) {
        this.scheduled.delete(key);
        return undefined;
      }
      const node = nodes.store.get(pod.spec.nodeName);
      const taints = noExecuteTaints(node);
      this.forgetGoneTaints(pod.spec.nodeName, taints);
      const now = ctx.clock.now();
      const deadline = evictionDeadline(pod, taints, now, firstSeen(pod.spec.nodeName));
      if (deadline === undefined) {
        cancel();
        return undefined;
      }
      if (deadline > now) {
        this.scheduled.set(key, pod.metadata?.uid ?? '');
        return { requeueAfterMs: deadline - now };
      }
      this.scheduled.delete(key);
      await this.deletePod(ctx, pod, () => recorder.event(podRef(pod), 'Normal', 'TaintManagerEviction', `Marking for deletion Pod ${key}`));
      logger.info('evicted pod from tainted node', { pod: key, node: pod.spec.nodeName });
      return undefined;
    };
    await runWorkers(queue, ctx.workers, sync, signal, { logger });
  }

  /** Drops first-seen times of taints no longer on the node (a re-added taint starts afresh). */
  private forgetGoneTaints(nodeName: string, taints: readonly Taint[]): void {
    const prefix = `${nodeName}|`;
    for (const k of this.firstSeen.keys()) {
      if (!k.startsWith(prefix)) continue;
      if (!taints.some((t) => `${prefix}${t.key}|${t.effect}` === k)) this.firstSeen.delete(k);
    }
  }

  /** addConditionAndDeletePod: re-read, DisruptionTarget, delete (the pod's own grace period). */
  private async deletePod(ctx: ControllerContext, cached: Pod, emit: () => void): Promise<void> {
    const ns = cached.metadata?.namespace ?? '';
    const name = cached.metadata?.name ?? '';
    const client = ctx.client.pods(ns);
    let pod: Pod;
    try {
      pod = await client.get(name);
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    if (pod.metadata?.uid !== cached.metadata?.uid || pod.metadata?.deletionTimestamp) return;
    emit();
    if (!pod.status?.conditions?.some((c) => c.type === 'DisruptionTarget' && c.status === 'True' && c.reason === 'DeletionByTaintManager')) {
      await client.patchStatus(name, 'strategic', {
        metadata: { uid: pod.metadata?.uid },
        status: {
          conditions: [{ type: 'DisruptionTarget', status: 'True', reason: 'DeletionByTaintManager', message: 'Taint manager: deleting due to NoExecute taint', lastTransitionTime: formatTime(ctx.clock.now()) }],
        },
      });
    }
    try {
      await client.delete(name, { preconditions: { uid: pod.metadata?.uid } });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}

/** Events about pods name the pod (kind, namespace, name, uid). */
function podRef(pod: Pod): { apiVersion: string; kind: string; namespace: string; name: string; uid?: string } {
  return { apiVersion: 'v1', kind: 'Pod', namespace: pod.metadata?.namespace ?? '', name: pod.metadata?.name ?? '', ...(pod.metadata?.uid ? { uid: pod.metadata.uid } : {}) };
}


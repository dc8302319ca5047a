/**
 * The pod garbage collector (kube-controller-manager's `podgc`, component pod-garbage-collector),
 * every 20 s (gcCheckPeriod):
 *
 * - orphaned pods — bound to a node that no longer exists — are deleted once the node has been
 *   absent for a quarantine (40 s) and an uncached read confirms it is gone: a node object that
 *   reappears (an agent re-registering) saves its pods;
 * - terminating pods on a node that is not Ready and carries `node.kubernetes.io/out-of-service`
 *   are force-deleted (non-graceful node shutdown);
 * - unscheduled pods being deleted are force-deleted;
 * - terminated pods (Succeeded/Failed) beyond --terminated-pod-gc-threshold (12,500) are deleted,
 *   evicted ones first, then oldest first.
 *
 * A pod that has not finished is first moved to phase Failed — with the DisruptionTarget condition
 * (reason DeletionByPodGC) for orphans and out-of-service nodes — by a server-side apply of its
 * status as field manager `PodGC`, then deleted with grace period 0: nobody is left to stop it.
 */
import type { Pod, PodCondition } from 'kubernetes-types/core/v1.js';
import { isNotFound } from '../../api/errors.js';
import { TAINT_NODE_OUT_OF_SERVICE } from '../../api/taints.js';
import { formatTime } from '../../client/clock.js';
import { indexByNodeName, keyOf } from '../../client/indexer.js';
import { WorkQueue } from '../../client/work-queue.js';
import { runWorkers, type SyncResult } from '../../client/workers.js';
import type { Controller, ControllerContext } from '../controller.js';

export const DEFAULT_GC_CHECK_PERIOD_MS = 20_000;
export const DEFAULT_QUARANTINE_MS = 40_000;
/** --terminated-pod-gc-threshold */
export const DEFAULT_TERMINATED_POD_GC_THRESHOLD = 12_500;
/** Deletions in flight at once within one pass. */
export const GC_PARALLELISM = 8;
export const POD_GC_FIELD_MANAGER = 'PodGC';

const GC = 'gc';
const BY_NODE = 'byNode';

export interface PodGCOptions {
  gcCheckPeriodMs?: number;
  quarantineMs?: number;
  /** 0 disables collecting terminated pods. */
  terminatedPodThreshold?: number;
}

const isTerminated = (p: Pod): boolean => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';

/** byEvictionAndCreationTimestamp: evicted pods first, then the oldest. */
function compareForGC(a: Pod, b: Pod): number {
  const ea = a.status?.phase === 'Failed' && a.status.reason === 'Evicted' ? 0 : 1;
  const eb = b.status?.phase === 'Failed' && b.status.reason === 'Evicted' ? 0 : 1;
  if (ea !== eb) return ea - eb;
  const ta = Date.parse(a.metadata?.creationTimestamp ?? '') || 0;
  const tb = Date.parse(b.metadata?.creationTimestamp ?? '') || 0;
  if (ta !== tb) return ta - tb;
  return keyOf(a) < keyOf(b) ? -1 : 1;
}

export class PodGCController implements Controller {
  readonly name = 'podgc';
  private readonly periodMs: number;
  private readonly quarantineMs: number;
  private readonly threshold: number;
  /** Nodes in quarantine: name → when the quarantine ends. */
  private readonly quarantined = new Map<string, number>();

  constructor(opts: PodGCOptions = {}) {
    this.periodMs = opts.gcCheckPeriodMs ?? DEFAULT_GC_CHECK_PERIOD_MS;
    this.quarantineMs = opts.quarantineMs ?? DEFAULT_QUARANTINE_MS;
    this.threshold = opts.terminatedPodThreshold ?? DEFAULT_TERMINATED_POD_GC_THRESHOLD;
  }

  async run(ctx: ControllerContext, signal: AbortSignal): Promise<void> {
    const queue = new WorkQueue({ name: this.name, clock: ctx.clock });
    const nodes = ctx.informers.nodes();
    const pods = ctx.informers.pods({ indexers: { [BY_NODE]: indexByNodeName } });
    const logger = ctx.logger.child({ controller: this.name });
    const quarantine = (node: string): void => {
      if (this.quarantined.has(node)) return;
      this.quarantined.set(node, ctx.clock.now() + this.quarantineMs);
      queue.addAfter(`node:${node}`, this.quarantineMs);
    };
    nodes.addEventHandler({
      onAdd: (n) => this.quarantined.delete(n.metadata?.name ?? ''),
      onDelete: (n) => quarantine(n.metadata?.name ?? ''),
    });
    if (!(await ctx.informers.waitForCacheSync(signal))) return;
    queue.add(GC);

    /** markFailedAndDeletePod(WithCondition). */
    const markFailedAndDelete = async (pod: Pod, condition?: PodCondition): Promise<void> => {
      const ns = pod.metadata?.namespace ?? '';
      const name = pod.metadata?.name ?? '';
      const client = ctx.client.pods(ns);
      logger.info('force deleting pod', { pod: keyOf(pod), reason: condition?.reason ?? 'terminated' });
      try {
        if (!isTerminated(pod)) {
          await client.applyStatus(
            { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns }, status: { phase: 'Failed', ...(condition ? { conditions: [condition] } : {}) } },
            { fieldManager: POD_GC_FIELD_MANAGER, force: true },
          );
        }
        await client.delete(name, { gracePeriodSeconds: 0, ...(pod.metadata?.uid ? { preconditions: { uid: pod.metadata.uid } } : {}) });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    };
    const inParallel = async (items: Pod[], fn: (p: Pod) => Promise<void>): Promise<void> => {
      const errors: unknown[] = [];
      let next = 0;
      await Promise.all(
        Array.from({ length: Math.min(GC_PARALLELISM, items.length) }, async () => {
          while (next < items.length) {
            try {
              await fn(items[next++] as Pod);
            } catch (err) {
              errors.push(err);
            }
          }
        }),
      );
      if (errors.length) throw new AggregateError(errors, `pod GC: ${errors.length} deletion(s) failed`);
    };
    const condition = (message: string): PodCondition => ({ type: 'DisruptionTarget', status: 'True', reason: 'DeletionByPodGC', message, lastTransitionTime: formatTime(ctx.clock.now()) });

    const gc = async (): Promise<void> => {
      const all = pods.store.list();
      const failures: unknown[] = [];
      const attempt = async (what: Promise<void>): Promise<void> => {
        try {
          await what;
        } catch (err) {
          failures.push(err);
        }
      };
      // gcTerminated
      if (this.threshold > 0) {
        const terminated = all.filter(isTerminated);
        const excess = terminated.length - this.threshold;
        if (excess > 0) {
          logger.info('garbage collecting terminated pods', { count: excess });
          await attempt(inParallel(terminated.sort(compareForGC).slice(0, excess), (p) => markFailedAndDelete(p)));
        }
      }
      // gcTerminating: out-of-service nodes that are not Ready.
      const outOfService = nodes.store.list().filter((n) => n.spec?.taints?.some((t) => t.key === TAINT_NODE_OUT_OF_SERVICE && t.effect === 'NoExecute') && n.status?.conditions?.find((c) => c.type === 'Ready')?.status !== 'True');
      for (const n of outOfService) {
        const terminating = pods.store.byIndex(BY_NODE, n.metadata?.name ?? '').filter((p) => p.metadata?.deletionTimestamp);
        await attempt(inParallel(terminating, (p) => markFailedAndDelete(p, condition('PodGC: node is out-of-service'))));
      }
      // gcOrphaned: quarantine nodes that pods name but that are gone.
      for (const node of pods.store.indexValues(BY_NODE)) if (!nodes.store.get(node)) quarantine(node);
      // gcUnscheduledTerminating
      const unscheduled = all.filter((p) => !p.spec?.nodeName && p.metadata?.deletionTimestamp);
      await attempt(inParallel(unscheduled, (p) => markFailedAndDelete(p)));
      if (failures.length) throw new AggregateError(failures, 'pod GC pass had failures');
    };

    const sync = async (key: string): Promise<SyncResult> => {
      if (key === GC) {
        try {
          await gc();
        } catch (err) {
          logger.warn('pod GC pass failed partly; next pass retries', { error: err });
        }
        return { requeueAfterMs: this.periodMs };
      }
      const nodeName = key.slice('node:'.length);
      const until = this.quarantined.get(nodeName);
      if (until === undefined) return undefined;
      if (until > ctx.clock.now()) return { requeueAfterMs: until - ctx.clock.now() };
      if (nodes.store.get(nodeName)) {
        this.quarantined.delete(nodeName);
        return undefined;
      }
      // Confirm with an uncached read before deleting anything (discoverDeletedNodes).
      try {
        await ctx.client.nodes().get(nodeName);
        this.quarantined.delete(nodeName);
        return undefined;
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      const orphans = pods.store.byIndex(BY_NODE, nodeName);
      if (orphans.length) logger.info('deleting pods of a deleted node', { node: nodeName, pods: orphans.length });
      await inParallel(orphans, (p) => markFailedAndDelete(p, condition('PodGC: node no longer exists')));
      this.quarantined.delete(nodeName);
      return undefined;
    };
    await runWorkers(queue, ctx.workers, sync, signal, { logger });
  }
}

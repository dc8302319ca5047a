/**
 * The namespace controller (Kubernetes' pkg/controller/namespace): when a namespace is deleted
 * the API server only marks it (deletionTimestamp, phase Terminating) and keeps the `kubernetes`
 * finalizer in spec.finalizers; this controller deletes everything in it, reports progress in
 * status.conditions, and once nothing is left removes its finalizer through the `finalize`
 * subresource — after which the API server removes the namespace.
 *
 * Wiring: namespace adds/updates of terminating namespaces queue the name after
 * NAMESPACE_DELETION_GRACE_MS (Kubernetes waits 5 s so that every API server has seen the
 * deletion and last-moment creations have landed). A pod deleted from a namespace that reported
 * remaining content queues it again soon, so a namespace goes as soon as its pods have
 * terminated rather than at the next estimate.
 *
 * sync(name): uncached GET; ensure phase Terminating; one deletion pass (content-deleter.ts);
 * conditions written when they changed; errors → retry with back-off (5 ms … 60 s); content
 * still terminating → requeue after half the estimate + 1 s; nothing left → finalize.
 */
import type { Namespace } from 'kubernetes-types/core/v1.js';
import { isConflict, isNotFound } from '../../api/errors.js';
import type { Client } from '../../client/client.js';
import type { Clock } from '../../client/clock.js';
import { formatTime } from '../../client/clock.js';
import { BucketRateLimiter, ItemExponentialFailureRateLimiter, MaxOfRateLimiter, type RateLimiter } from '../../client/rate-limiter.js';
import { WorkQueue } from '../../client/work-queue.js';
import { runWorkers, type SyncResult } from '../../client/workers.js';
import type { Controller, ControllerContext } from '../controller.js';
import { NamespacedContentDeleter } from './content-deleter.js';
import { NamespaceConditionTypes, updateNamespaceConditions } from './namespace-conditions.js';

/** Kubernetes' namespaceDeletionGracePeriod. */
export const NAMESPACE_DELETION_GRACE_MS = 5_000;
/** Delay before re-checking a namespace after one of its remaining pods went away (batches bursts). */
export const CONTENT_RECHECK_MS = 250;
/** The finalizer this controller owns (spec.finalizers, not metadata.finalizers). */
export const NAMESPACE_FINALIZER = 'kubernetes';

export interface NamespaceControllerOptions {
  /** Delay before a terminating namespace is first processed (default NAMESPACE_DELETION_GRACE_MS). */
  deletionGraceMs?: number;
}

/** nsControllerRateLimiter: retries at least once a minute, faster than the default controller limiter. */
export function namespaceRateLimiter(clock: Clock): RateLimiter {
  return new MaxOfRateLimiter(new ItemExponentialFailureRateLimiter(5, 60_000), new BucketRateLimiter(10, 100, clock));
}

function terminating(ns: Namespace | undefined): boolean {
  return !!ns?.metadata?.deletionTimestamp;
}

export class NamespaceController implements Controller {
  readonly name = 'namespace';
  private readonly deletionGraceMs: number;

  constructor(opts: NamespaceControllerOptions = {}) {
    this.deletionGraceMs = opts.deletionGraceMs ?? NAMESPACE_DELETION_GRACE_MS;
  }

  async run(ctx: ControllerContext, signal: AbortSignal): Promise<void> {
    const queue = new WorkQueue({ name: this.name, clock: ctx.clock, rateLimiter: namespaceRateLimiter(ctx.clock) });
    const namespaces = ctx.informers.namespaces();
    const pods = ctx.informers.pods();
    const enqueue = (ns: Namespace): void => {
      if (terminating(ns)) queue.addAfter(ns.metadata!.name!, this.deletionGraceMs);
    };
    namespaces.addEventHandler({ onAdd: enqueue, onUpdate: (_old, ns) => enqueue(ns) });
    pods.addEventHandler({
      onDelete: (pod) => {
        const name = pod.metadata?.namespace;
        const ns = name ? namespaces.store.get(name) : undefined;
        const waiting = ns?.status?.conditions?.some((c) => c.type === NamespaceConditionTypes.ContentRemaining && c.status === 'True');
        if (name && terminating(ns) && waiting) queue.addAfter(name, CONTENT_RECHECK_MS);
      },
    });
    if (!(await ctx.informers.waitForCacheSync(signal))) {
      queue.shutDown(); // keys parked by addAfter hold timers
      return;
    }

    const deleter = new NamespacedContentDeleter(ctx.client, () => ctx.clock.now());
    const logger = ctx.logger.child({ controller: this.name });
    const sync = async (name: string, syncSignal: AbortSignal): Promise<SyncResult> => {
      let ns: Namespace;
      try {
        ns = await ctx.client.namespaces().get(name);
      } catch (err) {
        if (isNotFound(err)) return;
        throw err;
      }
      if (!terminating(ns)) return;
      const current = await retryNamespaceOnConflict(ctx.client, ns, (n) => ensureTerminatingPhase(ctx.client, n));
      if (!current || !terminating(current)) return;
      if ((current.spec?.finalizers ?? []).length === 0) return;

      const { estimateSeconds, report } = await deleter.deleteAllContent(name, current.metadata!.deletionTimestamp!, syncSignal);
      // Conditions are written even when all went well: a problem reported earlier must clear.
      const { conditions, changed } = updateNamespaceConditions(current.status?.conditions, report, formatTime(ctx.clock.now()));
      if (changed) {
        try {
          await ctx.client.namespaces().updateStatus({ ...current, status: { ...current.status, conditions } });
        } catch (err) {
          logger.warn('could not update namespace conditions', { namespace: name, error: err });
        }
      }
      const problems = [...(report.discoveryError ? [report.discoveryError.message] : []), ...report.contentErrors];
      if (problems.length > 0) throw new Error(problems.length === 1 ? problems[0] : `[${problems.join(', ')}]`);
      if (estimateSeconds > 0) {
        logger.debug('content remaining in namespace', { namespace: name, estimateSeconds });
        return { requeueAfterMs: (Math.floor(estimateSeconds / 2) + 1) * 1000 };
      }
      if (!(current.spec?.finalizers ?? []).includes(NAMESPACE_FINALIZER)) return;
      await retryNamespaceOnConflict(ctx.client, current, (n) => finalizeNamespace(ctx.client, n));
    };
    await runWorkers(queue, ctx.workers, sync, signal, { logger });
  }
}

/** Sets phase Terminating on a namespace being deleted, if the API server has not already. */
async function ensureTerminatingPhase(client: Client, ns: Namespace): Promise<Namespace> {
  if (!terminating(ns) || ns.status?.phase === 'Terminating') return ns;
  return client.namespaces().updateStatus({ ...ns, status: { ...ns.status, phase: 'Terminating' } });
}

/**
 * Removes this controller's finalizer through `PUT …/finalize` (the namespace with its
 * resourceVersion, so a concurrent change is a conflict). Other finalizers stay, sorted as
 * Kubernetes leaves them.
 */
async function finalizeNamespace(client: Client, ns: Namespace): Promise<Namespace> {
  const finalizers = [...new Set((ns.spec?.finalizers ?? []).filter((f) => f !== NAMESPACE_FINALIZER))].sort();
  const body: Namespace = { apiVersion: 'v1', kind: 'Namespace', metadata: ns.metadata, spec: { ...ns.spec, finalizers } };
  try {
    return await client.namespaces().updateSubresource<Namespace>(ns.metadata!.name!, 'finalize', body);
  } catch (err) {
    if (isNotFound(err)) return ns;
    throw err;
  }
}

/**
 * Runs `fn` on the namespace, re-reading it after each conflict (retryOnConflictError). Resolves
 * undefined when the namespace is gone; refuses to continue if it was replaced by a namesake.
 */
async function retryNamespaceOnConflict(client: Client, ns: Namespace, fn: (ns: Namespace) => Promise<Namespace>): Promise<Namespace | undefined> {
  let latest = ns;
  for (;;) {
    try {
      return await fn(latest);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      if (!isConflict(err)) throw err;
    }
    const prev = latest;
    try {
      latest = await client.namespaces().get(prev.metadata!.name!);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
    if (latest.metadata?.uid !== prev.metadata?.uid) throw new Error('namespace uid has changed across retries');
  }
}

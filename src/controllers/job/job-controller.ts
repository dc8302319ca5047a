/**
 * The Job controller (Kubernetes' pkg/controller/job): runs a Job's pods to completion.
 *
 * Wiring: Job adds/deletes and spec changes enqueue the Job at once; pod events and Job status
 * updates enqueue it after a short batching period (syncJobBatchPeriod), so a burst of pod updates
 * makes one sync. Pods leaving a Job with the tracking finalizer still on (orphaned, or their Job
 * gone or finished) go to a second queue whose only job is to strip that finalizer.
 *
 * The reconcile itself is in sync-job.ts.
 */
import type { Job } from 'kubernetes-types/batch/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { isNotFound } from '../../api/errors.js';
import { labelSelectorAsSelector } from '../../api/labels.js';
import { keyOf } from '../../client/indexer.js';
import type { Lister } from '../../client/indexer.js';
import { ItemExponentialFailureRateLimiter } from '../../client/rate-limiter.js';
import { WorkQueue } from '../../client/work-queue.js';
import { runWorkers, type SyncResult } from '../../client/workers.js';
import type { Controller, ControllerContext } from '../controller.js';
import { Expectations } from '../lib/expectations.js';
import { OWNER_INDEXERS, controlledBy, controllerOf } from '../lib/owner-indexes.js';
import { PodControl } from '../lib/pod-control.js';
import { BackoffStore } from './backoff.js';
import { hasTrackingFinalizer, isJobFinished, managedByExternalController, removeTrackingFinalizerPatch } from './job-util.js';
import { FinalizerExpectations, type JobDeps } from './sync-context.js';
import { syncJob } from './sync-job.js';

/** syncJobBatchPeriod: pod events are batched into one sync per Job per period. */
export const JOB_SYNC_BATCH_PERIOD_MS = 1000;
/** DefaultJobApiBackOff / MaxJobApiBackOff: retry delays of a failing sync. */
export const JOB_API_BACKOFF_MS = 1000;
export const JOB_API_BACKOFF_MAX_MS = 60_000;

export interface JobControllerOptions {
  /** Override of JOB_SYNC_BATCH_PERIOD_MS (tests use 0). */
  batchPeriodMs?: number;
}

export class JobController implements Controller {
  readonly name = 'job';
  private readonly batchPeriodMs: number;

  constructor(opts: JobControllerOptions = {}) {
    this.batchPeriodMs = opts.batchPeriodMs ?? JOB_SYNC_BATCH_PERIOD_MS;
  }

  async run(ctx: ControllerContext, signal: AbortSignal): Promise<void> {
    const logger = ctx.logger.child({ controller: this.name });
    const limiter = () => new ItemExponentialFailureRateLimiter(JOB_API_BACKOFF_MS, JOB_API_BACKOFF_MAX_MS);
    const queue = new WorkQueue({ name: 'job', clock: ctx.clock, rateLimiter: limiter() });
    const orphanQueue = new WorkQueue({ name: 'job_orphan_pod', clock: ctx.clock, rateLimiter: limiter() });
    const jobInformer = ctx.informers.jobs();
    const podInformer = ctx.informers.pods({ indexers: OWNER_INDEXERS });
    const jobs = jobInformer.store;
    const pods = podInformer.store;
    const recorder = ctx.recorder('job-controller');
    const deps: JobDeps = {
      client: ctx.client,
      podControl: new PodControl(ctx.client, recorder),
      recorder,
      clock: ctx.clock,
      expectations: new Expectations(ctx.clock),
      finalizerExpectations: new FinalizerExpectations(),
      backoff: new BackoffStore(),
      logger,
      batchPeriodMs: this.batchPeriodMs,
    };
    const batched = (job: Job) => queue.addAfter(keyOf(job), this.batchPeriodMs);

    /** The Job a controller reference points to (name, then UID must match). */
    const resolve = (namespace: string, ref: { kind?: string; name: string; uid: string }): Job | undefined => {
      if (ref.kind !== 'Job') return undefined;
      const job = jobs.getByName(namespace, ref.name);
      return job?.metadata?.uid === ref.uid ? job : undefined;
    };
    /** Jobs whose selector matches an orphan pod (to offer adoption). */
    const jobsSelecting = (pod: Pod): Job[] =>
      jobs.listByNamespace(pod.metadata?.namespace ?? '').filter((j) => {
        if (!j.spec?.selector) return false;
        return labelSelectorAsSelector(j.spec.selector).matches(pod.metadata?.labels ?? {});
      });
    /** A Job that is gone or finished no longer strips finalizers in its sync: the orphan queue does. */
    const cleanupPodFinalizers = (job: Job) => {
      for (const p of controlledBy(pods, job.metadata?.uid ?? '')) if (hasTrackingFinalizer(p)) orphanQueue.add(keyOf(p));
    };
    const onPodDeleted = (pod: Pod, final: boolean) => {
      const ref = controllerOf(pod);
      const finalizer = hasTrackingFinalizer(pod);
      if (!ref) {
        // Perhaps the GC removed the reference of a Job's pod: its finalizer must still go.
        if (finalizer) orphanQueue.add(keyOf(pod));
        return;
      }
      const job = resolve(pod.metadata?.namespace ?? '', ref);
      if (!job || isJobFinished(job)) {
        if (finalizer) orphanQueue.add(keyOf(pod));
        return;
      }
      const key = keyOf(job);
      deps.expectations.deletionObserved(key, pod.metadata?.uid);
      // The final delete, or a deletion-timestamp update after the finalizer went.
      if (final || !finalizer) deps.finalizerExpectations.observed(key, pod.metadata?.uid ?? '');
      batched(job);
    };

    jobInformer.addEventHandler({
      onAdd: (job) => queue.add(keyOf(job)),
      onUpdate: (old, cur) => {
        // Spec changes are acted on at once; status updates (usually ours) are batched.
        if (cur.metadata?.generation === old.metadata?.generation) batched(cur);
        else queue.add(keyOf(cur));
        // Backup: a finished Job should have released its pods already.
        if (isJobFinished(cur)) cleanupPodFinalizers(cur);
      },
      onDelete: (job) => {
        queue.add(keyOf(job));
        cleanupPodFinalizers(job);
      },
    });
    podInformer.addEventHandler({
      onAdd: (pod) => {
        if (pod.metadata?.deletionTimestamp) {
          // After a restart a pod may first appear already being deleted: not a creation.
          onPodDeleted(pod, false);
          return;
        }
        const ref = controllerOf(pod);
        if (ref) {
          const job = resolve(pod.metadata?.namespace ?? '', ref);
          if (!job) return;
          deps.expectations.creationObserved(keyOf(job));
          batched(job);
          return;
        }
        if (hasTrackingFinalizer(pod)) orphanQueue.add(keyOf(pod));
        for (const job of jobsSelecting(pod)) batched(job);
      },
      onUpdate: (old, cur) => {
        if (cur.metadata?.resourceVersion === old.metadata?.resourceVersion) return;
        if (cur.metadata?.deletionTimestamp) {
          // A graceful deletion started: the Job may replace the pod now, not when it is gone.
          onPodDeleted(cur, false);
          return;
        }
        const finalizerRemoved = !hasTrackingFinalizer(cur);
        const curRef = controllerOf(cur);
        const oldRef = controllerOf(old);
        const refChanged = JSON.stringify(curRef) !== JSON.stringify(oldRef);
        const ns = cur.metadata?.namespace ?? '';
        if (refChanged && oldRef) {
          const job = resolve(ns, oldRef);
          if (job) {
            if (finalizerRemoved) deps.finalizerExpectations.observed(keyOf(job), cur.metadata?.uid ?? '');
            batched(job);
          }
        }
        if (curRef) {
          const job = resolve(ns, curRef);
          if (!job) return;
          if (finalizerRemoved) deps.finalizerExpectations.observed(keyOf(job), cur.metadata?.uid ?? '');
          batched(job);
          return;
        }
        if (hasTrackingFinalizer(cur)) orphanQueue.add(keyOf(cur));
        if (refChanged || JSON.stringify(cur.metadata?.labels ?? {}) !== JSON.stringify(old.metadata?.labels ?? {})) {
          for (const job of jobsSelecting(cur)) batched(job);
        }
      },
      onDelete: (pod) => onPodDeleted(pod, true),
    });

    if (!(await ctx.informers.waitForCacheSync(signal))) return;
    const sync = (key: string) => syncJob(deps, jobs, pods, key);
    const syncOrphan = (key: string) => syncOrphanPod(deps, jobs, pods, key);
    await Promise.all([
      runWorkers(queue, ctx.workers, sync, signal, { logger }),
      runWorkers(orphanQueue, 1, syncOrphan, signal, { logger }),
    ]);
  }
}

/** Removes the tracking finalizer from a pod no unfinished Job of ours controls any more. */
export async function syncOrphanPod(deps: JobDeps, jobs: Lister<Job>, pods: Lister<Pod>, key: string): Promise<SyncResult> {
  const pod = pods.get(key);
  if (!pod) return;
  const ref = controllerOf(pod);
  if (ref) {
    // Another kind of owner put our finalizer there, or the pod was adopted: leave it alone.
    if (ref.kind !== 'Job' || ref.apiVersion !== 'batch/v1') return;
    const job = jobs.getByName(pod.metadata?.namespace ?? '', ref.name);
    const ours = job?.metadata?.uid === ref.uid ? job : undefined;
    if (ours && managedByExternalController(ours)) return;
    if (ours && !isJobFinished(ours)) return;
  }
  const patch = removeTrackingFinalizerPatch(pod);
  if (!patch) return;
  try {
    await deps.client.pods(pod.metadata!.namespace!).patch(pod.metadata!.name!, 'strategic', patch);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}


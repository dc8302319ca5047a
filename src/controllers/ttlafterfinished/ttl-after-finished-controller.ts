/**
 * The TTL-after-finished controller (Kubernetes' pkg/controller/ttlafterfinished): deletes a
 * finished Job `spec.ttlSecondsAfterFinished` seconds after its Complete/Failed condition's
 * lastTransitionTime, with foreground propagation (its pods go first) and a UID precondition (a
 * re-created Job of the same name is never hit).
 *
 * Each sync either deletes the Job or returns the time left, so the key is parked until the
 * expiry instead of being polled. Before deleting, the Job is re-read from the API: the TTL may
 * have been changed (or removed) since the cache saw it.
 */
import type { Job } from 'kubernetes-types/batch/v1.js';
import { isConflict, isNotFound } from '../../api/errors.js';
import type { Clock } from '../../client/clock.js';
import { keyOf } from '../../client/indexer.js';
import type { Logger } from '../../client/log.js';
import { WorkQueue } from '../../client/work-queue.js';
import { runWorkers, type SyncResult } from '../../client/workers.js';
import { splitKey } from '../../api/object.js';
import type { Client } from '../../client/client.js';
import type { Lister } from '../../client/indexer.js';
import type { Controller, ControllerContext } from '../controller.js';
import { isJobFinished, timeMs } from '../job/job-util.js';

/** A finished Job with a TTL: the controller's business. */
export function needsCleanup(job: Job): boolean {
  const ttl = job.spec?.ttlSecondsAfterFinished;
  return ttl !== undefined && ttl !== null && isJobFinished(job);
}

/** When the Job finished: its Complete/Failed=True condition's lastTransitionTime. */
export function jobFinishTime(job: Job): number {
  for (const c of job.status?.conditions ?? []) {
    if ((c.type === 'Complete' || c.type === 'Failed') && c.status === 'True') {
      const t = timeMs(c.lastTransitionTime);
      if (t === undefined) break;
      return t;
    }
  }
  throw new Error(`unable to find the time when the Job ${job.metadata?.namespace ?? ''}/${job.metadata?.name ?? ''} finished`);
}

/** Milliseconds until the Job expires (≤ 0: expired), or undefined when it needs no cleanup. */
export function timeLeft(job: Job, nowMs: number, logger?: Logger): number | undefined {
  if (job.metadata?.deletionTimestamp || !needsCleanup(job)) return undefined;
  const finishAt = jobFinishTime(job);
  if (finishAt > nowMs) logger?.warn('found a Job finished in the future; this is likely due to time skew in the cluster; cleanup deferred', { job: keyOf(job) });
  return finishAt + job.spec!.ttlSecondsAfterFinished! * 1000 - nowMs;
}

export interface TTLDeps {
  client: Client;
  clock: Clock;
  logger: Logger;
  jobs: Lister<Job>;
}

export class TTLAfterFinishedController implements Controller {
  readonly name = 'ttl-after-finished';

  async run(ctx: ControllerContext, signal: AbortSignal): Promise<void> {
    const logger = ctx.logger.child({ controller: this.name });
    const queue = new WorkQueue({ name: 'ttl_jobs_to_delete', clock: ctx.clock });
    const informer = ctx.informers.jobs();
    const enqueue = (job: Job) => {
      if (!job.metadata?.deletionTimestamp && needsCleanup(job)) queue.add(keyOf(job));
    };
    informer.addEventHandler({ onAdd: enqueue, onUpdate: (_old, cur) => enqueue(cur) });
    if (!(await ctx.informers.waitForCacheSync(signal))) return;
    const deps: TTLDeps = { client: ctx.client, clock: ctx.clock, logger, jobs: informer.store };
    await runWorkers(queue, ctx.workers, (key) => syncTTLJob(deps, key), signal, { logger });
  }
}

/** One pass over the Job `key`: delete it if its TTL expired, else come back at the expiry. */
export async function syncTTLJob(deps: TTLDeps, key: string): Promise<SyncResult> {
  const job = deps.jobs.get(key);
  if (!job) return;
  const left = timeLeft(job, deps.clock.now(), deps.logger);
  if (left === undefined) return;
  if (left > 0) return { requeueAfterMs: left };
  // The cached TTL may be stale: check the latest Job before deleting it.
  const { namespace, name } = splitKey(key);
  let fresh: Job;
  try {
    fresh = await deps.client.jobs(namespace).get(name);
  } catch (err) {
    if (isNotFound(err)) return;
    throw err;
  }
  const freshLeft = timeLeft(fresh, deps.clock.now(), deps.logger);
  if (freshLeft === undefined) return;
  if (freshLeft > 0) return { requeueAfterMs: freshLeft };
  try {
    await deps.client.jobs(namespace).delete(name, { propagationPolicy: 'Foreground', preconditions: { uid: fresh.metadata!.uid! } });
  } catch (err) {
    // Gone already, or a new Job under that name (UID precondition): nothing to do.
    if (isNotFound(err) || isConflict(err)) return;
    throw err;
  }
  deps.logger.info('cleaned up an expired Job', { job: key });
  return undefined;
}

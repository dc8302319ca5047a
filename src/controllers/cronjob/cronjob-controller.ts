/**
 * The CronJob controller (Kubernetes' cronjob_controllerv2.go): creates a Job for each schedule
 * time, keeps `status.active` in step with its Jobs, and prunes finished Jobs beyond the history
 * limits.
 *
 * Punctual without polling: every sync returns the delay to the next schedule time (+100 ms), so
 * the key is parked on the work queue until then. Job and CronJob events enqueue the key at once;
 * a schedule or time-zone change re-arms the timer for the new next time.
 *
 * No double runs: the Job for a slot is named `<cronjob>-<minutes since the epoch>`; a create that
 * finds an existing Job we own means the slot was already handled (by a previous leader, or before
 * a crash that lost the status update) and only the status is repaired.
 */
import type { CronJob, Job } from 'kubernetes-types/batch/v1.js';
import type { ObjectReference } from 'kubernetes-types/core/v1.js';
import { isAlreadyExists, isNotFound, isStatus } from '../../api/errors.js';
import { clone } from '../../api/object.js';
import { formatTime } from '../../client/clock.js';
import type { Lister } from '../../client/indexer.js';
import { keyOf } from '../../client/indexer.js';
import { WorkQueue } from '../../client/work-queue.js';
import { runWorkers, type SyncResult } from '../../client/workers.js';
import type { Controller, ControllerContext } from '../controller.js';
import { OWNER_INDEXERS, controlledBy, controllerOf } from '../lib/owner-indexes.js';
import { finishedConditionType, isJobFinished, isJobSucceeded, timeMs } from '../job/job-util.js';
import { loadLocationError } from '../../api/cron.js';
import { newJobForSchedule } from './job-template.js';
import {
  DEFAULT_CRONJOB_TIME_ZONE,
  InvalidScheduleError,
  formatRFC1123Z,
  jobNameFor,
  mostRecentScheduleTime,
  nextScheduleDelay,
  parseCronJobSchedule,
  type ZonedSchedule,
} from './schedule.js';
import type { Client } from '../../client/client.js';
import type { Clock } from '../../client/clock.js';
import type { EventRecorder } from '../../client/event-recorder.js';
import type { Logger } from '../../client/log.js';

export interface CronJobControllerOptions {
  /** The zone of schedules without `spec.timeZone` (default DEFAULT_CRONJOB_TIME_ZONE, UTC). */
  defaultTimeZone?: string;
}

export interface CronJobDeps {
  client: Client;
  recorder: EventRecorder;
  clock: Clock;
  logger: Logger;
  defaultTimeZone: string;
  jobs: Lister<Job>;
  cronJobs: Lister<CronJob>;
}

export class CronJobController implements Controller {
  readonly name = 'cronjob';
  private readonly defaultTimeZone: string;

  constructor(opts: CronJobControllerOptions = {}) {
    this.defaultTimeZone = opts.defaultTimeZone ?? DEFAULT_CRONJOB_TIME_ZONE;
  }

  async run(ctx: ControllerContext, signal: AbortSignal): Promise<void> {
    const logger = ctx.logger.child({ controller: this.name });
    const queue = new WorkQueue({ name: 'cronjob', clock: ctx.clock });
    const jobInformer = ctx.informers.jobs({ indexers: OWNER_INDEXERS });
    const cronJobInformer = ctx.informers.cronJobs();
    const deps: CronJobDeps = {
      client: ctx.client,
      recorder: ctx.recorder('cronjob-controller'),
      clock: ctx.clock,
      logger,
      defaultTimeZone: this.defaultTimeZone,
      jobs: jobInformer.store,
      cronJobs: cronJobInformer.store,
    };
    /** The CronJob a Job's controller reference points to (kind, name, then UID). */
    const owner = (job: Job, ref = controllerOf(job)): CronJob | undefined => {
      if (!ref || ref.kind !== 'CronJob') return undefined;
      const cj = deps.cronJobs.getByName(job.metadata?.namespace ?? '', ref.name);
      return cj?.metadata?.uid === ref.uid ? cj : undefined;
    };
    const enqueueOwner = (job: Job, ref = controllerOf(job)) => {
      const cj = owner(job, ref);
      if (cj) queue.add(keyOf(cj));
    };

    jobInformer.addEventHandler({
      onAdd: (job) => enqueueOwner(job),
      onUpdate: (old, cur) => {
        if (old.metadata?.resourceVersion === cur.metadata?.resourceVersion) return;
        const oldRef = controllerOf(old);
        const curRef = controllerOf(cur);
        if (oldRef && JSON.stringify(oldRef) !== JSON.stringify(curRef)) enqueueOwner(old, oldRef);
        enqueueOwner(cur, curRef);
      },
      onDelete: (job) => enqueueOwner(job),
    });
    cronJobInformer.addEventHandler({
      onAdd: (cj) => queue.add(keyOf(cj)),
      onUpdate: (old, cur) => {
        if (old.spec?.schedule !== cur.spec?.schedule || old.spec?.timeZone !== cur.spec?.timeZone) {
          // A new schedule: arm the timer for its next time (an earlier parked time still fires).
          let schedule: ZonedSchedule;
          try {
            schedule = parseCronJobSchedule(cur, this.defaultTimeZone);
          } catch {
            deps.recorder.event(cur, 'Warning', 'UnParseableCronJobSchedule', `unparseable schedule for cronjob: ${cur.spec?.schedule ?? ''}`);
            return;
          }
          const delay = nextScheduleDelay(cur, ctx.clock.now(), schedule);
          if (delay !== undefined) queue.addAfter(keyOf(cur), delay);
          return;
        }
        queue.add(keyOf(cur));
      },
      onDelete: (cj) => queue.add(keyOf(cj)),
    });

    if (!(await ctx.informers.waitForCacheSync(signal))) return;
    await runWorkers(queue, ctx.workers, (key) => syncCronJobKey(deps, key), signal, { logger });
  }
}

/** One reconcile of the CronJob `key`. Exported for tests. */
export async function syncCronJobKey(deps: CronJobDeps, key: string): Promise<SyncResult> {
  const cached = deps.cronJobs.get(key);
  if (!cached) return;
  const jobs = controlledBy(deps.jobs, cached.metadata?.uid ?? '');
  const state: SyncState = { cronJob: clone(cached), updateStatus: false };
  if (await cleanupFinishedJobs(deps, state, jobs)) state.updateStatus = true;
  let syncError: unknown;
  let requeueAfterMs: number | undefined;
  try {
    requeueAfterMs = await syncCronJob(deps, state, jobs);
  } catch (err) {
    syncError = err;
  }
  if (state.updateStatus) await updateCronJobStatus(deps, state.cronJob);
  if (requeueAfterMs !== undefined) return { requeueAfterMs: Math.max(0, requeueAfterMs) };
  // No requeue: suspended, deleted, or an invalid schedule/zone (until the spec changes).
  if (syncError !== undefined) throw syncError;
  return undefined;
}

interface SyncState {
  /** Private copy; replaced by a fresh read when the cache proved stale. */
  cronJob: CronJob;
  updateStatus: boolean;
}

async function updateCronJobStatus(deps: CronJobDeps, cj: CronJob): Promise<void> {
  const st = (cj.status ??= {});
  if (st.active && st.active.length === 0) delete st.active;
  await deps.client.cronJobs(cj.metadata!.namespace!).updateStatus(cj);
}

const inActive = (cj: CronJob, uid: string | undefined) => (cj.status?.active ?? []).some((r) => r.uid === uid);

function deleteFromActive(cj: CronJob, uid: string | undefined): void {
  const st = (cj.status ??= {});
  st.active = (st.active ?? []).filter((r) => r.uid !== uid);
}

/** An ObjectReference to a Job, as status.active holds it. */
function jobRef(job: Job): ObjectReference {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    name: job.metadata?.name ?? '',
    namespace: job.metadata?.namespace ?? '',
    resourceVersion: job.metadata?.resourceVersion ?? '',
    uid: job.metadata?.uid ?? '',
  };
}

/**
 * Reconciles status.active with the Jobs, then decides whether to start a Job now. Returns the
 * delay until the next sync, or undefined when none is needed.
 */
async function syncCronJob(deps: CronJobDeps, state: SyncState, jobs: readonly Job[]): Promise<number | undefined> {
  const now = deps.clock.now();
  const children = new Set<string>();
  for (const j of jobs) {
    const uid = j.metadata?.uid ?? '';
    children.add(uid);
    const found = inActive(state.cronJob, uid);
    if (!found && !isJobFinished(j)) {
      // Our cache of the CronJob may be older than the Job: check the API before complaining.
      const fresh = await deps.client.cronJobs(state.cronJob.metadata!.namespace!).get(state.cronJob.metadata!.name!);
      if (inActive(fresh, uid)) {
        state.cronJob = fresh;
        continue;
      }
      deps.recorder.event(state.cronJob, 'Warning', 'UnexpectedJob', `Saw a job that the controller did not create or forgot: ${j.metadata?.name ?? ''}`);
    } else if (found && isJobFinished(j)) {
      deleteFromActive(state.cronJob, uid);
      deps.recorder.event(state.cronJob, 'Normal', 'SawCompletedJob', `Saw completed job: ${j.metadata?.name ?? ''}, condition: ${finishedConditionType(j)}`);
      state.updateStatus = true;
    } else if (isJobSucceeded(j)) {
      // Not necessarily in the active list: any success moves lastSuccessfulTime forward.
      const st = (state.cronJob.status ??= {});
      const completion = j.status?.completionTime;
      if (!st.lastSuccessfulTime) {
        if (completion) st.lastSuccessfulTime = completion;
        state.updateStatus = true;
      }
      if (completion && st.lastSuccessfulTime && (timeMs(completion) ?? 0) > (timeMs(st.lastSuccessfulTime) ?? 0)) {
        st.lastSuccessfulTime = completion;
        state.updateStatus = true;
      }
    }
  }

  // Active entries whose Job is gone would otherwise block Forbid forever.
  for (const ref of [...(state.cronJob.status?.active ?? [])]) {
    if (children.has(ref.uid ?? '')) continue;
    try {
      // The Job informer may lag: ask the API before declaring the Job missing.
      await deps.client.jobs(ref.namespace ?? state.cronJob.metadata!.namespace!).get(ref.name ?? '');
    } catch (err) {
      if (!isNotFound(err)) throw err;
      deps.recorder.event(state.cronJob, 'Normal', 'MissingJob', `Active job went missing: ${ref.name ?? ''}`);
      deleteFromActive(state.cronJob, ref.uid);
      state.updateStatus = true;
    }
  }

  const cj = state.cronJob;
  if (cj.metadata?.deletionTimestamp) return undefined;
  const tz = cj.spec?.timeZone;
  if (tz !== undefined && tz !== null) {
    const err = loadLocationError(tz);
    if (err) {
      deps.recorder.event(cj, 'Warning', 'UnknownTimeZone', `invalid timeZone: ${JSON.stringify(tz)}: ${err}`);
      return undefined;
    }
  }
  if (cj.spec?.suspend) return undefined;

  let schedule: ZonedSchedule;
  try {
    schedule = parseCronJobSchedule(cj, deps.defaultTimeZone, (s) =>
      deps.recorder.event(
        cj,
        'Warning',
        'UnsupportedSchedule',
        `CRON_TZ or TZ used in schedule ${JSON.stringify(s)} is not officially supported, see https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/ for more details`,
      ),
    );
  } catch (err) {
    deps.recorder.event(cj, 'Warning', 'UnparseableSchedule', `unparseable schedule: ${JSON.stringify(cj.spec?.schedule ?? '')} : ${(err as Error).message}`);
    return undefined;
  }

  let scheduled: number | undefined;
  try {
    const r = mostRecentScheduleTime(cj, now, schedule, true);
    if (r.mostRecentMs !== undefined && r.mostRecentMs <= now) {
      scheduled = r.mostRecentMs;
      if (r.missed === 'many') {
        // Kubernetes before 1.21 refused to start anything here, wedging the CronJob for good.
        deps.recorder.event(cj, 'Warning', 'TooManyMissedTimes', 'too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew');
      }
    }
  } catch (err) {
    if (!(err instanceof InvalidScheduleError)) throw err;
    deps.recorder.event(cj, 'Warning', 'InvalidSchedule', `invalid schedule: ${cj.spec?.schedule ?? ''} : ${err.message}`);
    return undefined;
  }
  const next = () => nextScheduleDelay(cj, now, schedule);
  if (scheduled === undefined) return next();

  const deadline = cj.spec?.startingDeadlineSeconds;
  if (deadline !== undefined && deadline !== null && scheduled + deadline * 1000 < now) {
    deps.recorder.event(cj, 'Warning', 'MissSchedule', `Missed scheduled time to start a job: ${formatRFC1123Z(scheduled)}`);
    return next();
  }
  const name = jobNameFor(cj.metadata!.name!, scheduled);
  if ((cj.status?.active ?? []).some((r) => r.name === name && r.namespace === cj.metadata?.namespace) || timeMs(cj.status?.lastScheduleTime) === scheduled) {
    // This slot was already handled.
    return next();
  }
  if (cj.spec?.concurrencyPolicy === 'Forbid' && (cj.status?.active?.length ?? 0) > 0) {
    // lastScheduleTime stays put: the slot runs as soon as the active Job finishes (if still in time).
    deps.recorder.event(cj, 'Normal', 'JobAlreadyActive', 'Not starting job because prior execution is running and concurrency policy is Forbid');
    return next();
  }
  if (cj.spec?.concurrencyPolicy === 'Replace') {
    for (const ref of [...(cj.status?.active ?? [])]) {
      let job: Job;
      try {
        job = await deps.client.jobs(ref.namespace ?? cj.metadata!.namespace!).get(ref.name ?? '');
      } catch (err) {
        deps.recorder.event(cj, 'Warning', 'FailedGet', `Get job: ${(err as Error).message}`);
        throw err;
      }
      if (!(await deleteJob(deps, cj, job))) throw new Error(`could not replace job ${job.metadata?.namespace ?? ''}/${job.metadata?.name ?? ''}`);
      state.updateStatus = true;
    }
  }

  const request = newJobForSchedule(cj, scheduled, deps.defaultTimeZone);
  let created: Job;
  let existed = false;
  try {
    created = await deps.client.jobs(cj.metadata!.namespace!).create(request);
  } catch (err) {
    if (isStatus(err, 403) && String((err as Error).message).includes('being terminated')) throw err;
    if (!isAlreadyExists(err)) {
      deps.recorder.event(cj, 'Warning', 'FailedCreate', `Error creating job: ${(err as Error).message}`);
      throw err;
    }
    // The deterministic name at work: this slot's Job exists already.
    existed = true;
    created = await deps.client.jobs(cj.metadata!.namespace!).get(name);
    const ref = controllerOf(created);
    // Someone else's Job with that name: assume its creator keeps its own books.
    if (!ref || ref.uid !== cj.metadata?.uid) return undefined;
    if (inActive(cj, created.metadata?.uid)) return undefined;
  }
  if (existed) deps.logger.info('job already exists', { cronjob: keyOf(cj), job: name });
  else deps.recorder.event(cj, 'Normal', 'SuccessfulCreate', `Created job ${created.metadata?.name ?? ''}`);

  const st = (cj.status ??= {});
  st.active = [...(st.active ?? []), jobRef(created)];
  st.lastScheduleTime = formatTime(scheduled);
  state.updateStatus = true;
  return next();
}

/** Deletes a Job in the background (its pods follow through the garbage collector). */
async function deleteJob(deps: CronJobDeps, cj: CronJob, job: Job): Promise<boolean> {
  try {
    await deps.client.jobs(job.metadata!.namespace!).delete(job.metadata!.name!, { propagationPolicy: 'Background' });
  } catch (err) {
    deps.recorder.event(cj, 'Warning', 'FailedDelete', `Deleted job: ${(err as Error).message}`);
    deps.logger.error('error deleting job from cronjob', { job: keyOf(job), cronjob: keyOf(cj), error: err });
    return false;
  }
  deleteFromActive(cj, job.metadata?.uid);
  deps.recorder.event(cj, 'Normal', 'SuccessfulDelete', `Deleted job ${job.metadata?.name ?? ''}`);
  return true;
}

/**
 * Keeps at most successfulJobsHistoryLimit Complete and failedJobsHistoryLimit Failed Jobs,
 * deleting the oldest (by startTime, name as tie-break) first. Returns whether status changed.
 */
async function cleanupFinishedJobs(deps: CronJobDeps, state: SyncState, jobs: readonly Job[]): Promise<boolean> {
  const cj = state.cronJob;
  const successLimit = cj.spec?.successfulJobsHistoryLimit;
  const failedLimit = cj.spec?.failedJobsHistoryLimit;
  if ((successLimit === undefined || successLimit === null) && (failedLimit === undefined || failedLimit === null)) return false;
  const succeeded = jobs.filter((j) => finishedConditionType(j) === 'Complete');
  const failed = jobs.filter((j) => finishedConditionType(j) === 'Failed');
  let changed = false;
  if (successLimit !== undefined && successLimit !== null && (await removeOldestJobs(deps, cj, succeeded, successLimit))) changed = true;
  if (failedLimit !== undefined && failedLimit !== null && (await removeOldestJobs(deps, cj, failed, failedLimit))) changed = true;
  return changed;
}

async function removeOldestJobs(deps: CronJobDeps, cj: CronJob, jobs: Job[], max: number): Promise<boolean> {
  const n = jobs.length - max;
  if (n <= 0) return false;
  const sorted = [...jobs].sort(byStartTime);
  let changed = false;
  for (const j of sorted.slice(0, n)) if (await deleteJob(deps, cj, j)) changed = true;
  return changed;
}

/** byJobStartTime: started Jobs first, oldest first; Jobs without startTime last; then by name. */
function byStartTime(a: Job, b: Job): number {
  const sa = timeMs(a.status?.startTime);
  const sb = timeMs(b.status?.startTime);
  if (sa === undefined && sb !== undefined) return 1;
  if (sa !== undefined && sb === undefined) return -1;
  if (sa === sb) return (a.metadata?.name ?? '') < (b.metadata?.name ?? '') ? -1 : (a.metadata?.name ?? '') > (b.metadata?.name ?? '') ? 1 : 0;
  return (sa ?? 0) - (sb ?? 0);
}

/**
 * Printers for batch/v1 Jobs and CronJobs, as Kubernetes' `printJob` and `printCronJob`.
 */
import type { CronJob, Job, JobCondition } from 'kubernetes-types/batch/v1.js';
import { ageSince, humanDuration, objectAge, parseTime } from './duration.js';
import { AGE_COLUMN, NAME_COLUMN, boolPtrString, column, containerCells, formatLabelSelector } from './format.js';
import type { ResourcePrinter } from './types.js';
import { CONTAINERS_COLUMN, IMAGES_COLUMN } from './workloads.js';

/** True when the first condition of that type has status True (`hasJobCondition`). */
function hasJobCondition(conditions: readonly JobCondition[] | undefined, type: string): boolean {
  if (!conditions) return false;
  for (const c of conditions) if (c.type === type) return c.status === 'True';
  return false;
}

/**
 * The STATUS cell of a Job. Precedence: `Complete`, `Failed`, `Terminating` (being deleted),
 * `Suspended`, `FailureTarget`, else `Running`.
 */
export function jobStatus(job: Job): string {
  const conditions = job.status?.conditions;
  if (hasJobCondition(conditions, 'Complete')) return 'Complete';
  if (hasJobCondition(conditions, 'Failed')) return 'Failed';
  if (job.metadata?.deletionTimestamp) return 'Terminating';
  if (hasJobCondition(conditions, 'Suspended')) return 'Suspended';
  if (hasJobCondition(conditions, 'FailureTarget')) return 'FailureTarget';
  return 'Running';
}

/**
 * The COMPLETIONS cell: `succeeded/completions`; with completions unset (a work queue),
 * `succeeded/1`, or `succeeded/1 of <parallelism>` when parallelism > 1.
 */
export function jobCompletions(job: Job): string {
  const succeeded = job.status?.succeeded ?? 0;
  const completions = job.spec?.completions;
  if (completions !== undefined && completions !== null) return `${succeeded}/${completions}`;
  const parallelism = job.spec?.parallelism ?? 0;
  return parallelism > 1 ? `${succeeded}/1 of ${parallelism}` : `${succeeded}/1`;
}

/**
 * The DURATION cell: empty before the Job starts, time since start while it has no completion
 * time (failed Jobs keep counting: only success sets completionTime), else completion − start.
 */
export function jobDuration(job: Job, nowMs: number): string {
  const start = parseTime(job.status?.startTime);
  if (start === undefined) return '';
  const end = parseTime(job.status?.completionTime);
  return humanDuration((end ?? nowMs) - start);
}

/** Printer for batch/v1 Jobs. */
export const jobPrinter: ResourcePrinter<Job> = {
  columns: [
    NAME_COLUMN,
    column('Status', 'string', { text: 'Status of the job.' }),
    column('Completions', 'string', 'JobStatus.succeeded'),
    column('Duration', 'string', { text: 'Time required to complete the job.' }),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    column('Selector', 'string', 'JobSpec.selector', { priority: 1 }),
  ],
  cells(job, ctx) {
    const [names, images] = containerCells(job.spec?.template?.spec?.containers);
    return [
      job.metadata?.name ?? '',
      jobStatus(job),
      jobCompletions(job),
      jobDuration(job, ctx.nowMs),
      objectAge(job, ctx.nowMs),
      names,
      images,
      formatLabelSelector(job.spec?.selector),
    ];
  },
};

/** Printer for batch/v1 CronJobs. */
export const cronJobPrinter: ResourcePrinter<CronJob> = {
  columns: [
    NAME_COLUMN,
    column('Schedule', 'string', 'CronJobSpec.schedule'),
    column('Timezone', 'string', 'CronJobSpec.timeZone'),
    column('Suspend', 'boolean', 'CronJobSpec.suspend'),
    column('Active', 'integer', 'CronJobStatus.active'),
    column('Last Schedule', 'string', 'CronJobStatus.lastScheduleTime'),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    column('Selector', 'string', 'JobSpec.selector', { priority: 1 }),
  ],
  cells(cj, ctx) {
    const jobSpec = cj.spec?.jobTemplate?.spec;
    const [names, images] = containerCells(jobSpec?.template?.spec?.containers);
    const last = cj.status?.lastScheduleTime;
    return [
      cj.metadata?.name ?? '',
      cj.spec?.schedule ?? '',
      cj.spec?.timeZone ?? '<none>',
      boolPtrString(cj.spec?.suspend),
      cj.status?.active?.length ?? 0,
      last ? ageSince(parseTime(last), ctx.nowMs) : '<none>',
      objectAge(cj, ctx.nowMs),
      names,
      images,
      formatLabelSelector(jobSpec?.selector),
    ];
  },
};

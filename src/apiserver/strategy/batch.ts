/**
 * batch/v1 strategies. Jobs: SetDefaults_Job, and PrepareForCreate's generated selector
 * (`batch.kubernetes.io/controller-uid: <uid>`) with the four controller labels added to the pod
 * template unless `manualSelector` is set. CronJobs: SetDefaults_CronJob and pod-template defaults
 * inside the job template (the JobSpec itself is not defaulted there, as upstream).
 */
import type { CronJob, Job } from 'kubernetes-types/batch/v1.js';
import type { FieldError } from '../../api/errors.js';
import type { KubeObject } from '../../api/object.js';
import * as v from '../../api/validation/batch.js';
import { BaseStrategy, as } from './base.js';
import { defaultPodTemplate } from './apps.js';

/** Job defaults from controllers.md §8.1 / SetDefaults_Job. */
export const DEFAULT_JOB_BACKOFF_LIMIT = 6;
/** backoffLimit when backoffLimitPerIndex is set (math.MaxInt32). */
export const MAX_INT32 = 2147483647;
export const DEFAULT_SUCCESSFUL_JOBS_HISTORY_LIMIT = 3;
export const DEFAULT_FAILED_JOBS_HISTORY_LIMIT = 1;

export class JobStrategy extends BaseStrategy {
  protected override readonly tracksGeneration = true;

  override applyDefaults(obj: KubeObject): void {
    const job = as<Job>(obj);
    const spec = (job.spec ??= { template: {} });
    if (spec.completions === undefined && spec.parallelism === undefined) {
      spec.completions = 1;
      spec.parallelism = 1;
    }
    spec.parallelism ??= 1;
    spec.backoffLimit ??= spec.backoffLimitPerIndex !== undefined ? MAX_INT32 : DEFAULT_JOB_BACKOFF_LIMIT;
    defaultJobLabels(obj);
    spec.completionMode ??= 'NonIndexed';
    spec.suspend ??= false;
    for (const rule of spec.podFailurePolicy?.rules ?? []) {
      for (const c of rule.onPodConditions ?? []) c.status ||= 'True';
    }
    spec.podReplacementPolicy ??= spec.podFailurePolicy ? 'Failed' : 'TerminatingOrFailed';
    spec.manualSelector ??= false;
    defaultPodTemplate(spec.template, obj, 'Job');
  }

  override prepareForCreate(obj: KubeObject): void {
    const job = as<Job>(obj);
    if (job.spec && job.spec.manualSelector !== true) generateSelector(job);
    // Kubernetes defaults the Job's labels from its template when reading it back from storage,
    // after the generated labels are in the template; the first response already shows them.
    defaultJobLabels(obj);
    super.prepareForCreate(obj);
  }

  override validateCreate(obj: KubeObject): FieldError[] {
    return v.validateJob(as<Job>(obj));
  }
  override validateUpdate(n: KubeObject, o: KubeObject): FieldError[] {
    return v.validateJobUpdate(as<Job>(n), as<Job>(o));
  }
  override validateStatusUpdate(n: KubeObject): FieldError[] {
    return v.validateJobStatusUpdate(as<Job>(n));
  }
}

/** A Job without labels takes its template's labels (SetDefaults_Job). */
function defaultJobLabels(obj: KubeObject): void {
  const labels = as<Job>(obj).spec?.template?.metadata?.labels;
  const meta = (obj.metadata ??= {});
  if (labels && Object.keys(meta.labels ?? {}).length === 0) meta.labels = { ...labels };
}

/**
 * generateSelector: the job-name and controller-uid labels (new and legacy keys) go on the template
 * unless already present — a conflicting value is left for validation to reject — and the selector
 * matches the UID.
 */
function generateSelector(job: Job): void {
  const spec = job.spec!;
  const template = (spec.template ??= {});
  const labels = ((template.metadata ??= {}).labels ??= {});
  const name = job.metadata?.name ?? '';
  const uid = job.metadata?.uid ?? '';
  for (const key of [v.LEGACY_JOB_NAME_LABEL, v.JOB_NAME_LABEL]) if (!(key in labels)) labels[key] = name;
  for (const key of [v.LEGACY_CONTROLLER_UID_LABEL, v.JOB_CONTROLLER_UID_LABEL]) if (!(key in labels)) labels[key] = uid;
  const selector = (spec.selector ??= {});
  const match = (selector.matchLabels ??= {});
  if (!(v.JOB_CONTROLLER_UID_LABEL in match)) match[v.JOB_CONTROLLER_UID_LABEL] = uid;
}

export class CronJobStrategy extends BaseStrategy {
  protected override readonly tracksGeneration = true;

  override applyDefaults(obj: KubeObject): void {
    const spec = (as<CronJob>(obj).spec ??= { schedule: '', jobTemplate: {} });
    spec.concurrencyPolicy ||= 'Allow';
    spec.suspend ??= false;
    spec.successfulJobsHistoryLimit ??= DEFAULT_SUCCESSFUL_JOBS_HISTORY_LIMIT;
    spec.failedJobsHistoryLimit ??= DEFAULT_FAILED_JOBS_HISTORY_LIMIT;
    defaultPodTemplate(spec.jobTemplate?.spec?.template, obj, 'CronJob');
  }

  override validateCreate(obj: KubeObject): FieldError[] {
    return v.validateCronJob(as<CronJob>(obj));
  }
  override validateUpdate(n: KubeObject, o: KubeObject): FieldError[] {
    return v.validateCronJobUpdate(as<CronJob>(n), as<CronJob>(o));
  }
  override validateStatusUpdate(n: KubeObject): FieldError[] {
    return v.validateCronJobStatusUpdate(as<CronJob>(n));
  }
}

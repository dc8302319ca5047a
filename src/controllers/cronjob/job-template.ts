/**
 * The Job a CronJob creates for one schedule time (Kubernetes' getJobFromTemplate2).
 */
import type { CronJob, Job } from 'kubernetes-types/batch/v1.js';
import { clone } from '../../api/object.js';
import { formatRFC3339InZone, jobNameFor } from './schedule.js';

/** The scheduled time of a CronJob's Job, RFC 3339 in the CronJob's zone. */
export const CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION = 'batch.kubernetes.io/cronjob-scheduled-timestamp';

/**
 * Labels and annotations copied from `jobTemplate.metadata`, the scheduled-time annotation, the
 * deterministic name and a controller reference to the CronJob; the spec is the template's.
 */
export function newJobForSchedule(cj: CronJob, scheduledMs: number, defaultZone: string): Job {
  const template = cj.spec?.jobTemplate;
  const zone = cj.spec?.timeZone ?? defaultZone;
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: jobNameFor(cj.metadata!.name!, scheduledMs),
      namespace: cj.metadata!.namespace!,
      labels: { ...(template?.metadata?.labels ?? {}) },
      annotations: { ...(template?.metadata?.annotations ?? {}), [CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION]: formatRFC3339InZone(scheduledMs, zone) },
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: cj.metadata!.name!, uid: cj.metadata!.uid!, controller: true, blockOwnerDeletion: true }],
    },
    spec: clone(template?.spec ?? { template: {} }),
  };
}

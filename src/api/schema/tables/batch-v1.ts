/**
 * Schema table: batch/v1: Job and CronJob, including pod failure and success policies.
 * Facts as of Kubernetes 1.33 (field names, protobuf numbers, patch and list semantics); notation in ../dsl.ts.
 */
import { defineTypes, type TypeTable } from '../dsl.js';

export const BATCH_V1_TABLES: readonly TypeTable[] = [
  defineTypes('io.k8s.api.batch.v1', {
    CronJob: `
      metadata  1 meta.ObjectMeta
      spec      2 CronJobSpec
      status    3 CronJobStatus`,
    CronJobList: `
      metadata  1 meta.ListMeta
      items     2 CronJob[]`,
    CronJobSpec: `
      schedule                    1 string !
      timeZone                    8 string ptr
      startingDeadlineSeconds     2 int64 ptr
      concurrencyPolicy           3 string enum=Allow|Forbid|Replace
      suspend                     4 boolean ptr
      jobTemplate                 5 JobTemplateSpec !
      successfulJobsHistoryLimit  6 int32 ptr
      failedJobsHistoryLimit      7 int32 ptr`,
    CronJobStatus: `
      active              1 core.ObjectReference[] list=atomic
      lastScheduleTime    4 Time
      lastSuccessfulTime  5 Time`,
    Job: `
      metadata  1 meta.ObjectMeta
      spec      2 JobSpec
      status    3 JobStatus`,
    JobCondition: `
      type                1 string !
      status              2 string !
      lastProbeTime       3 Time
      lastTransitionTime  4 Time
      reason              5 string
      message             6 string`,
    JobList: `
      metadata  1 meta.ListMeta
      items     2 Job[]`,
    JobSpec: `
      parallelism              1 int32 ptr
      completions              2 int32 ptr
      activeDeadlineSeconds    3 int64 ptr
      podFailurePolicy        11 PodFailurePolicy
      successPolicy           16 SuccessPolicy
      backoffLimit             7 int32 ptr
      backoffLimitPerIndex    12 int32 ptr
      maxFailedIndexes        13 int32 ptr
      selector                 4 meta.LabelSelector
      manualSelector           5 boolean ptr
      template                 6 core.PodTemplateSpec !
      ttlSecondsAfterFinished  8 int32 ptr
      completionMode           9 string enum=Indexed|NonIndexed ptr
      suspend                 10 boolean ptr
      podReplacementPolicy    14 string enum=Failed|TerminatingOrFailed ptr
      managedBy               15 string ptr`,
    JobStatus: `
      conditions               1 JobCondition[] merge=type list=atomic
      startTime                2 Time
      completionTime           3 Time
      active                   4 int32
      succeeded                5 int32
      failed                   6 int32
      terminating             11 int32 ptr
      completedIndexes         7 string
      failedIndexes           10 string ptr
      uncountedTerminatedPods  8 UncountedTerminatedPods
      ready                    9 int32 ptr`,
    JobTemplateSpec: `
      metadata  1 meta.ObjectMeta
      spec      2 JobSpec`,
    PodFailurePolicy: `
      rules  1 PodFailurePolicyRule[] ! list=atomic`,
    PodFailurePolicyOnExitCodesRequirement: `
      containerName  1 string ptr
      operator       2 string ! enum=In|NotIn
      values         3 int32[] ! list=set`,
    PodFailurePolicyOnPodConditionsPattern: `
      type    1 string !
      status  2 string !`,
    PodFailurePolicyRule: `
      action           1 string ! enum=Count|FailIndex|FailJob|Ignore
      onExitCodes      2 PodFailurePolicyOnExitCodesRequirement
      onPodConditions  3 PodFailurePolicyOnPodConditionsPattern[] list=atomic`,
    SuccessPolicy: `
      rules  1 SuccessPolicyRule[] ! list=atomic`,
    SuccessPolicyRule: `
      succeededIndexes  1 string ptr
      succeededCount    2 int32 ptr`,
    UncountedTerminatedPods: `
      succeeded  1 string[] list=set
      failed     2 string[] list=set`,
  }),
];

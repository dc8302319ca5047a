/**
 * batch/v1 validation (Kubernetes `pkg/apis/batch/validation`, v1.32): Jobs (generated selector
 * and labels, spec rules, restartPolicy OnFailure|Never, pod failure policy, update immutability
 * with the suspended-job scheduling-directive exception, elastic Indexed completions) and CronJobs
 * (robfig schedule, time zone, history limits, 52-character names).
 */
import type { Job, JobSpec, CronJob, PodFailurePolicyRule } from 'kubernetes-types/batch/v1.js';
import type { PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import { goLabelSelector, labelSelectorAsSelector, validateLabelSelector } from '../labels.js';
import { parseCronSchedule, timeZoneError } from '../cron.js';
import { clone } from '../object.js';
import { FieldPath, duplicate, goQuote, goRaw, goStringMap, invalid, notSupported, required, tooMany, type FieldError } from './field-errors.js';
import { isDNS1123Label, isQualifiedName } from './names.js';
import { immutableField, nameIsDNSSubdomain, validateNonnegative, validateObjectMeta, validateObjectMetaUpdate } from './object-meta.js';
import { validatePodTemplateSpec } from './pod.js';
import { semanticEqual } from './equality.js';

/** Label keys the API server puts on Job pod templates. */
export const JOB_CONTROLLER_UID_LABEL = 'batch.kubernetes.io/controller-uid';
export const JOB_NAME_LABEL = 'batch.kubernetes.io/job-name';
export const LEGACY_CONTROLLER_UID_LABEL = 'controller-uid';
export const LEGACY_JOB_NAME_LABEL = 'job-name';

/** Upstream limits for Indexed Jobs and pod failure policies. */
export const MAX_PARALLELISM_FOR_INDEXED_JOB = 100_000;
export const MAX_FAILED_INDEXES_FOR_INDEXED_JOB = 100_000;
export const MAX_POD_FAILURE_POLICY_RULES = 20;
export const MAX_POD_FAILURE_POLICY_EXIT_CODE_VALUES = 255;
/** CronJob names: 63 minus the 11-character `-<minutes>` suffix of their Jobs. */
export const CRONJOB_NAME_MAX_LENGTH = 52;

const spec = FieldPath.root('spec');

/** `Invalid value` without a value (field.OmitValueType). */
function invalidOmitValue(path: FieldPath, detail: string): FieldError {
  return { type: 'FieldValueInvalid', field: path.toString(), message: `Invalid value: ${detail}` };
}

/** Go's %q of a []string: `["a" "b"]`. */
const goQuotedList = (list: string[]) => `[${list.map(goQuote).join(' ')}]`;

/** JSON rendering of a large struct in "field is immutable" errors (as Kubernetes v1.33+ prints). */
const jsonValue = (v: unknown) => goRaw(JSON.stringify(v ?? null));

const ACTIONS = ['Count', 'FailIndex', 'FailJob', 'Ignore'];

function validatePodFailurePolicyRule(s: JobSpec, rule: PodFailurePolicyRule, path: FieldPath, containerNames: Set<string>): FieldError[] {
  const errs: FieldError[] = [];
  const actionPath = path.child('action');
  if (!rule.action) errs.push(required(actionPath, `valid values: ${goQuotedList(ACTIONS)}`));
  else if (rule.action === 'FailIndex') {
    if (s.backoffLimitPerIndex === undefined) errs.push(invalid(actionPath, rule.action, 'requires the backoffLimitPerIndex to be set'));
  } else if (!ACTIONS.includes(rule.action)) errs.push(notSupported(actionPath, rule.action, ACTIONS));
  const onExit = rule.onExitCodes;
  if (onExit) {
    const p = path.child('onExitCodes');
    if (!onExit.operator) errs.push(required(p.child('operator'), `valid values: ${goQuotedList(['In', 'NotIn'])}`));
    else if (onExit.operator !== 'In' && onExit.operator !== 'NotIn') errs.push(notSupported(p.child('operator'), onExit.operator, ['In', 'NotIn']));
    if (onExit.containerName !== undefined && !containerNames.has(onExit.containerName)) {
      errs.push(invalid(p.child('containerName'), onExit.containerName, 'must be one of the container or initContainer names in the pod template'));
    }
    const values = onExit.values ?? [];
    const vp = p.child('values');
    if (values.length === 0) errs.push(invalid(vp, goRaw('[]int32(nil)'), 'at least one value is required'));
    else if (values.length > MAX_POD_FAILURE_POLICY_EXIT_CODE_VALUES) errs.push(tooMany(vp, values.length, MAX_POD_FAILURE_POLICY_EXIT_CODE_VALUES));
    else {
      const seen = new Set<number>();
      let ordered = true;
      values.forEach((v, j) => {
        if (onExit.operator === 'In' && v === 0) errs.push(invalid(vp.index(j), v, 'must not be 0 for the In operator'));
        if (seen.has(v)) errs.push(duplicate(vp.index(j), v));
        seen.add(v);
        if (j > 0 && (values[j - 1] ?? 0) > v) ordered = false;
      });
      if (!ordered) errs.push(invalid(vp, goRaw(`[]int32{${values.join(', ')}}`), 'must be ordered'));
    }
  }
  (rule.onPodConditions ?? []).forEach((pattern, j) => {
    const p = path.child('onPodConditions').index(j);
    const statuses = ['False', 'True', 'Unknown'];
    for (const m of isQualifiedName(pattern.type ?? '')) errs.push(invalid(p.child('type'), pattern.type ?? '', m));
    if (!pattern.status) errs.push(required(p.child('status'), `valid values: ${goQuotedList(statuses)}`));
    else if (!statuses.includes(pattern.status)) errs.push(notSupported(p.child('status'), pattern.status, statuses));
  });
  const hasConditions = (rule.onPodConditions ?? []).length > 0;
  if (onExit && hasConditions) errs.push(invalidOmitValue(path, 'specifying both OnExitCodes and OnPodConditions is not supported'));
  if (!onExit && !hasConditions) errs.push(invalidOmitValue(path, 'specifying one of OnExitCodes and OnPodConditions is required'));
  return errs;
}

/** validateJobSpec: the checks shared by Jobs and CronJob job templates. */
function validateJobSpecCommon(s: JobSpec | undefined, path: FieldPath): FieldError[] {
  const js = s ?? ({ template: {} } as JobSpec);
  const errs: FieldError[] = [];
  for (const f of ['parallelism', 'completions', 'activeDeadlineSeconds', 'backoffLimit', 'ttlSecondsAfterFinished', 'backoffLimitPerIndex', 'maxFailedIndexes'] as const) {
    errs.push(...validateNonnegative(js[f], path.child(f)));
  }
  if (js.maxFailedIndexes !== undefined && js.backoffLimitPerIndex === undefined) {
    errs.push(required(path.child('backoffLimitPerIndex'), 'when maxFailedIndexes is specified'));
  }
  const mode = js.completionMode;
  if (mode !== undefined) {
    if (mode !== 'NonIndexed' && mode !== 'Indexed') errs.push(notSupported(path.child('completionMode'), mode, ['NonIndexed', 'Indexed']));
    if (mode === 'Indexed') {
      if (js.completions === undefined) errs.push(required(path.child('completions'), 'when completion mode is Indexed'));
      if (js.parallelism !== undefined && js.parallelism > MAX_PARALLELISM_FOR_INDEXED_JOB) {
        errs.push(invalid(path.child('parallelism'), js.parallelism, `must be less than or equal to ${MAX_PARALLELISM_FOR_INDEXED_JOB} when completion mode is Indexed`));
      }
      if (js.completions !== undefined && js.maxFailedIndexes !== undefined && js.maxFailedIndexes > js.completions) {
        errs.push(invalid(path.child('maxFailedIndexes'), js.maxFailedIndexes, 'must be less than or equal to completions'));
      }
      if (js.maxFailedIndexes !== undefined && js.maxFailedIndexes > MAX_FAILED_INDEXES_FOR_INDEXED_JOB) {
        errs.push(invalid(path.child('maxFailedIndexes'), js.maxFailedIndexes, `must be less than or equal to ${MAX_FAILED_INDEXES_FOR_INDEXED_JOB}`));
      }
    }
  }
  if (mode === undefined || mode === 'NonIndexed') {
    if (js.backoffLimitPerIndex !== undefined) errs.push(invalid(path.child('backoffLimitPerIndex'), js.backoffLimitPerIndex, 'requires indexed completion mode'));
    if (js.maxFailedIndexes !== undefined) errs.push(invalid(path.child('maxFailedIndexes'), js.maxFailedIndexes, 'requires indexed completion mode'));
  }
  const pfp = js.podFailurePolicy;
  if (pfp) {
    const rp = path.child('podFailurePolicy', 'rules');
    if (pfp.rules.length > MAX_POD_FAILURE_POLICY_RULES) errs.push(tooMany(rp, pfp.rules.length, MAX_POD_FAILURE_POLICY_RULES));
    const names = new Set([...(js.template?.spec?.containers ?? []), ...(js.template?.spec?.initContainers ?? [])].map((c) => c.name));
    pfp.rules.forEach((r, i) => errs.push(...validatePodFailurePolicyRule(js, r, rp.index(i), names)));
  }
  const prp = js.podReplacementPolicy;
  if (prp !== undefined) {
    if (pfp) {
      if (prp !== 'Failed') errs.push(notSupported(path.child('podReplacementPolicy'), prp, ['Failed']));
    } else if (prp !== 'Failed' && prp !== 'TerminatingOrFailed') errs.push(notSupported(path.child('podReplacementPolicy'), prp, ['Failed', 'TerminatingOrFailed']));
  }
  errs.push(...validatePodTemplateSpec(js.template, path.child('template')));
  // The template's restartPolicy defaults to Always, so Always and "" both mean "not set".
  const rpPath = path.child('template', 'spec', 'restartPolicy');
  const restart = js.template?.spec?.restartPolicy ?? '';
  if (restart === 'Always' || restart === '') errs.push(required(rpPath, 'valid values: "OnFailure", "Never"'));
  else if (restart !== 'OnFailure' && restart !== 'Never') errs.push(notSupported(rpPath, restart, ['OnFailure', 'Never']));
  else if (pfp && restart !== 'Never') errs.push(invalid(rpPath, restart, 'only "Never" is supported when podFailurePolicy is specified'));
  return errs;
}

/** ValidateJobSpec: the common checks plus a selector that matches the template. */
function validateJobSpec(s: JobSpec | undefined, path: FieldPath): FieldError[] {
  const errs = validateJobSpecCommon(s, path);
  if (!s?.selector) errs.push(required(path.child('selector'), ''));
  else errs.push(...validateLabelSelector(s.selector, path.child('selector')));
  try {
    const sel = labelSelectorAsSelector(s?.selector);
    if (!sel.matches(s?.template?.metadata?.labels)) {
      errs.push(invalid(path.child('template', 'metadata', 'labels'), goStringMap(s?.template?.metadata?.labels ?? null), '`selector` does not match template `labels`'));
    }
  } catch {
    // reported by validateLabelSelector
  }
  return errs;
}

/** ValidateHasLabel: the label must be present (`Required value: <expected>`) with that value. */
function validateHasLabel(labels: Record<string, string> | undefined, key: string, expected: string, path: FieldPath): FieldError[] {
  const actual = labels?.[key];
  if (actual === undefined) return [required(path.child('labels').key(key), expected)];
  return actual !== expected ? [invalid(path.child('labels').key(key), goStringMap(labels ?? null), `must be '${expected}'`)] : [];
}

/**
 * validateGeneratedSelector: unless the selector is manual, the generated labels must be on the
 * template (legacy keys first, then the prefixed ones new Jobs require) and the selector must
 * select them.
 */
function validateGeneratedSelector(job: Job): FieldError[] {
  if (job.spec?.manualSelector === true || !job.spec?.selector) return [];
  const errs: FieldError[] = [];
  const uid = job.metadata?.uid ?? '';
  const name = job.metadata?.name ?? '';
  if (!uid) errs.push(required(FieldPath.root('metadata').child('uid'), ''));
  const meta = spec.child('template', 'metadata');
  const labels = job.spec.template?.metadata?.labels;
  errs.push(...validateHasLabel(labels, LEGACY_CONTROLLER_UID_LABEL, uid, meta));
  errs.push(...validateHasLabel(labels, LEGACY_JOB_NAME_LABEL, name, meta));
  errs.push(...validateHasLabel(labels, JOB_CONTROLLER_UID_LABEL, uid, meta));
  errs.push(...validateHasLabel(labels, JOB_NAME_LABEL, name, meta));
  const expected = { [JOB_CONTROLLER_UID_LABEL]: uid, [JOB_NAME_LABEL]: name, [LEGACY_CONTROLLER_UID_LABEL]: uid, [LEGACY_JOB_NAME_LABEL]: name };
  try {
    if (!labelSelectorAsSelector(job.spec.selector).matches(expected)) {
      errs.push(invalid(spec.child('selector'), goLabelSelector(job.spec.selector), '`selector` not auto-generated'));
    }
  } catch {
    // reported by the selector validation
  }
  return errs;
}

function validateIndexedHostnames(job: Job): FieldError[] {
  const completions = job.spec?.completions;
  if (job.spec?.completionMode !== 'Indexed' || completions === undefined || completions <= 0) return [];
  const host = `${job.metadata?.name ?? ''}-${completions - 1}`;
  return isDNS1123Label(host).length ? [invalid(FieldPath.root('metadata').child('name'), job.metadata?.name ?? '', `will not able to create pod with invalid DNS label: ${host}`)] : [];
}

export function validateJob(job: Job): FieldError[] {
  const errs = validateObjectMeta(job.metadata, { namespaced: true, nameValidator: nameIsDNSSubdomain });
  errs.push(...validateGeneratedSelector(job));
  errs.push(...validateJobSpec(job.spec, spec));
  errs.push(...validateIndexedHostnames(job));
  return errs;
}

/**
 * The template may change only in scheduling directives (node affinity, nodeSelector, tolerations,
 * labels, annotations, scheduling gates), and only while the Job is suspended and has never started.
 */
function validateTemplateUpdate(job: Job, old: Job): FieldError[] {
  const t = job.spec?.template;
  let o: PodTemplateSpec | undefined = old.spec?.template;
  const allowScheduling = old.spec?.suspend === true && !old.status?.startTime;
  if (allowScheduling && o && t) {
    o = clone(o);
    const os = (o.spec ??= { containers: [] });
    const ts = t.spec;
    if (!ts?.affinity && os.affinity) {
      delete os.affinity.nodeAffinity;
      if (Object.keys(os.affinity).length === 0) delete os.affinity;
    } else if (ts?.affinity) {
      os.affinity = { ...(os.affinity ?? {}), nodeAffinity: ts.affinity.nodeAffinity };
      if (!os.affinity.nodeAffinity) delete os.affinity.nodeAffinity;
    }
    os.nodeSelector = ts?.nodeSelector;
    os.tolerations = ts?.tolerations;
    os.schedulingGates = ts?.schedulingGates;
    o.metadata = { ...(o.metadata ?? {}), labels: t.metadata?.labels, annotations: t.metadata?.annotations };
  }
  return semanticEqual(t, o) ? [] : [immutableField(spec.child('template'), jsonValue(t))];
}

export function validateJobUpdate(job: Job, old: Job): FieldError[] {
  const errs = validateObjectMetaUpdate(job.metadata);
  const s = job.spec;
  const os = old.spec;
  errs.push(...validateJobSpec(s, spec));
  // Completions: immutable, except for Indexed Jobs changing it together with parallelism.
  if (!semanticEqual(s?.completions, os?.completions)) {
    if (s?.completionMode === 'Indexed') {
      if (s.completions !== undefined && s.completions !== s.parallelism) {
        errs.push(invalid(spec.child('completions'), s.completions, 'can only be modified in tandem with spec.parallelism'));
      }
    } else errs.push(immutableField(spec.child('completions'), s?.completions ?? null));
  }
  if (!semanticEqual(s?.selector, os?.selector)) errs.push(immutableField(spec.child('selector'), goLabelSelector(s?.selector)));
  errs.push(...validateTemplateUpdate(job, old));
  if (!semanticEqual(s?.completionMode, os?.completionMode)) errs.push(immutableField(spec.child('completionMode'), s?.completionMode ?? null));
  if (!semanticEqual(s?.podFailurePolicy, os?.podFailurePolicy)) errs.push(immutableField(spec.child('podFailurePolicy'), jsonValue(s?.podFailurePolicy)));
  if (!semanticEqual(s?.backoffLimitPerIndex, os?.backoffLimitPerIndex)) errs.push(immutableField(spec.child('backoffLimitPerIndex'), s?.backoffLimitPerIndex ?? null));
  if (!semanticEqual(s?.managedBy, os?.managedBy)) errs.push(immutableField(spec.child('managedBy'), s?.managedBy ?? null));
  if (!semanticEqual(s?.successPolicy, os?.successPolicy)) errs.push(immutableField(spec.child('successPolicy'), jsonValue(s?.successPolicy)));
  return errs;
}

export function validateJobStatusUpdate(job: Job): FieldError[] {
  const errs = validateObjectMetaUpdate(job.metadata);
  const st = FieldPath.root('status');
  for (const f of ['active', 'succeeded', 'failed', 'ready', 'terminating'] as const) errs.push(...validateNonnegative(job.status?.[f], st.child(f)));
  return errs;
}

// ---- CronJob ----

function validateScheduleFormat(schedule: string, allowTZ: boolean, timeZone: string | undefined, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  try {
    parseCronSchedule(schedule);
  } catch (e) {
    errs.push(invalid(path, schedule, (e as Error).message));
  }
  if (allowTZ && schedule.includes('TZ') && timeZone !== undefined) errs.push(invalid(path, schedule, 'cannot use both timeZone field and TZ or CRON_TZ in schedule'));
  else if (!allowTZ && schedule.includes('TZ')) errs.push(invalid(path, schedule, 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead'));
  return errs;
}

function validateCronJobSpec(cj: CronJob, old: CronJob | undefined): FieldError[] {
  const s = cj.spec;
  const errs: FieldError[] = [];
  if (!s?.schedule) errs.push(required(spec.child('schedule'), ''));
  else errs.push(...validateScheduleFormat(s.schedule, old?.spec?.schedule?.includes('TZ') ?? false, s.timeZone, spec.child('schedule')));
  errs.push(...validateNonnegative(s?.startingDeadlineSeconds, spec.child('startingDeadlineSeconds')));
  if (!old || old.spec?.timeZone !== s?.timeZone) {
    if (s?.timeZone !== undefined && s.timeZone !== null) {
      const e = timeZoneError(s.timeZone);
      if (e) errs.push(invalid(spec.child('timeZone'), s.timeZone, e));
    }
  }
  const cp = s?.concurrencyPolicy;
  if (!cp) errs.push(required(spec.child('concurrencyPolicy'), ''));
  else if (!['Allow', 'Forbid', 'Replace'].includes(cp)) errs.push(notSupported(spec.child('concurrencyPolicy'), cp, ['Allow', 'Forbid', 'Replace']));
  const jt = spec.child('jobTemplate');
  errs.push(...validateJobSpecCommon(s?.jobTemplate?.spec, jt.child('spec')));
  if (s?.jobTemplate?.spec?.selector) errs.push(invalid(jt.child('spec', 'selector'), goLabelSelector(s.jobTemplate.spec.selector), '`selector` will be auto-generated'));
  if (s?.jobTemplate?.spec?.manualSelector === true) errs.push(notSupported(jt.child('spec', 'manualSelector'), true, ['nil', 'false']));
  errs.push(...validateNonnegative(s?.successfulJobsHistoryLimit, spec.child('successfulJobsHistoryLimit')));
  errs.push(...validateNonnegative(s?.failedJobsHistoryLimit, spec.child('failedJobsHistoryLimit')));
  return errs;
}

export function validateCronJob(cj: CronJob): FieldError[] {
  const errs = validateObjectMeta(cj.metadata, { namespaced: true, nameValidator: nameIsDNSSubdomain });
  errs.push(...validateCronJobSpec(cj, undefined));
  const name = cj.metadata?.name ?? '';
  if (name.length > CRONJOB_NAME_MAX_LENGTH) {
    errs.push(invalid(FieldPath.root('metadata').child('name'), name, `must be no more than ${CRONJOB_NAME_MAX_LENGTH} characters`));
  }
  return errs;
}

/** Updates skip the 52-character limit so old long-named CronJobs can still be changed or deleted. */
export function validateCronJobUpdate(cj: CronJob, old: CronJob): FieldError[] {
  return [...validateObjectMetaUpdate(cj.metadata), ...validateCronJobSpec(cj, old)];
}

export function validateCronJobStatusUpdate(cj: CronJob): FieldError[] {
  return validateObjectMetaUpdate(cj.metadata);
}

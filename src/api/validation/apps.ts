/**
 * apps/v1 validation (Kubernetes `pkg/apis/apps/validation` plus the selector-immutability checks
 * each apps strategy adds on update): ReplicaSet, Deployment, StatefulSet, DaemonSet and
 * ControllerRevision, with their status checks.
 */
import type { DaemonSet, Deployment, ReplicaSet, StatefulSet, ControllerRevision } from 'kubernetes-types/apps/v1.js';
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import type { PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import { goLabelSelector, labelSelectorAsSelector, validateLabelSelector, validateLabels, type Selector } from '../labels.js';
import { FieldPath, forbidden, goIntOrString, goQuote, goRaw, goStringMap, invalid, notSupported, required, type FieldError } from './field-errors.js';
import { isValidPercent } from './names.js';
import { immutableField, nameIsDNSLabel, nameIsDNSSubdomain, validateAnnotations, validateNonnegative, validateObjectMeta, validateObjectMetaUpdate } from './object-meta.js';
import { validatePodTemplateSpec } from './pod.js';
import { semanticEqual } from './equality.js';

const spec = FieldPath.root('spec');
const statusPath = FieldPath.root('status');

type IntOrString = number | string;

/** ValidatePositiveIntOrPercent */
export function validatePositiveIntOrPercent(v: IntOrString | undefined, path: FieldPath): FieldError[] {
  if (typeof v === 'string') return isValidPercent(v).map((m) => invalid(path, goIntOrString(v), m));
  if (typeof v === 'number') return validateNonnegative(v, path);
  return [];
}

function percentValue(v: IntOrString | undefined): number | undefined {
  if (typeof v !== 'string' || isValidPercent(v).length) return undefined;
  return Number(v.slice(0, -1));
}

/** getIntOrPercentValue: a percent's number, an int's value; strings that are not percents parse as ints. */
export function intOrPercentValue(v: IntOrString | undefined): number {
  const p = percentValue(v);
  if (p !== undefined) return p;
  if (typeof v === 'number') return v;
  return typeof v === 'string' && /^[+-]?\d+$/.test(v) ? Number(v) : 0;
}

/** IsNotMoreThan100Percent */
function notMoreThan100Percent(v: IntOrString | undefined, path: FieldPath): FieldError[] {
  const p = percentValue(v);
  return p === undefined || p <= 100 ? [] : [invalid(path, goIntOrString(v as string), 'must not be greater than 100%')];
}

/** The parsed selector, or an error for an unparsable one (`message` differs per kind upstream). */
function selectorOf(sel: LabelSelector | undefined, path: FieldPath, message: string, errs: FieldError[]): Selector | undefined {
  try {
    return labelSelectorAsSelector(sel);
  } catch {
    errs.push(invalid(path, goLabelSelector(sel), message));
    return undefined;
  }
}

/** The common selector checks: required, well-formed, not empty. */
function validateWorkloadSelector(sel: LabelSelector | undefined, path: FieldPath, kindWord: string): FieldError[] {
  if (!sel) return [required(path, '')];
  const errs = validateLabelSelector(sel, path);
  if (Object.keys(sel.matchLabels ?? {}).length + (sel.matchExpressions ?? []).length === 0) {
    errs.push(invalid(path, goLabelSelector(sel), `empty selector is invalid for ${kindWord}`));
  }
  return errs;
}

function selectorMatchesTemplate(selector: Selector | undefined, template: PodTemplateSpec | undefined, path: FieldPath): FieldError[] {
  if (!selector || selector.empty()) return [];
  const labels = template?.metadata?.labels;
  return selector.matches(labels) ? [] : [invalid(path.child('metadata', 'labels'), goStringMap(labels ?? null), '`selector` does not match template `labels`')];
}

/** ValidatePodTemplateSpecForReplicaSet (also used by Deployments). */
function validateTemplateForReplicaSet(template: PodTemplateSpec | undefined, selector: Selector | undefined, path: FieldPath, kind: string): FieldError[] {
  if (!template) return [required(path, '')];
  const errs = selectorMatchesTemplate(selector, template, path);
  errs.push(...validatePodTemplateSpec(template, path));
  const rp = template.spec?.restartPolicy;
  if (rp !== 'Always') errs.push(notSupported(path.child('spec', 'restartPolicy'), rp ?? '', ['Always']));
  if (template.spec?.activeDeadlineSeconds !== undefined) {
    errs.push(forbidden(path.child('spec', 'activeDeadlineSeconds'), `activeDeadlineSeconds in ${kind} is not Supported`));
  }
  return errs;
}

// ---- ReplicaSet ----

function validateReplicaSetSpec(rs: ReplicaSet): FieldError[] {
  const s = rs.spec;
  const errs = validateNonnegative(s?.replicas, spec.child('replicas'));
  errs.push(...validateNonnegative(s?.minReadySeconds, spec.child('minReadySeconds')));
  // Upstream's ReplicaSet message says "deployment" (shared code).
  errs.push(...validateWorkloadSelector(s?.selector, spec.child('selector'), 'deployment'));
  const selector = selectorOf(s?.selector, spec.child('selector'), 'invalid label selector', errs);
  errs.push(...validateTemplateForReplicaSet(s?.template, selector, spec.child('template'), 'ReplicaSet'));
  return errs;
}

export function validateReplicaSet(rs: ReplicaSet): FieldError[] {
  return [...validateObjectMeta(rs.metadata, { namespaced: true, nameValidator: nameIsDNSSubdomain }), ...validateReplicaSetSpec(rs)];
}

export function validateReplicaSetUpdate(rs: ReplicaSet, old: ReplicaSet): FieldError[] {
  const errs = [...validateObjectMetaUpdate(rs.metadata), ...validateReplicaSetSpec(rs)];
  if (!semanticEqual(rs.spec?.selector, old.spec?.selector)) errs.push(immutableField(spec.child('selector'), goLabelSelector(rs.spec?.selector)));
  return errs;
}

function validateReplicaCounters(
  st: Record<string, number | undefined>,
  fields: string[],
  lessThanReplicas: string[],
  readyMessage = 'cannot be greater than readyReplicas',
): FieldError[] {
  const errs: FieldError[] = [];
  for (const f of fields) errs.push(...validateNonnegative(st[f], statusPath.child(f)));
  const replicas = st.replicas ?? 0;
  for (const f of lessThanReplicas) {
    if ((st[f] ?? 0) > replicas) errs.push(invalid(statusPath.child(f), st[f] ?? 0, 'cannot be greater than status.replicas'));
  }
  if ('availableReplicas' in st || 'readyReplicas' in st) {
    if ((st.availableReplicas ?? 0) > (st.readyReplicas ?? 0) && fields.includes('readyReplicas')) {
      errs.push(invalid(statusPath.child('availableReplicas'), st.availableReplicas ?? 0, readyMessage));
    }
  }
  return errs;
}

function collisionCountNotDecremented(newCount: number | undefined, oldCount: number | undefined): FieldError[] {
  if (newCount === undefined || oldCount === undefined) return [];
  return newCount < oldCount ? [invalid(statusPath.child('collisionCount'), newCount, 'cannot be decremented')] : [];
}

export function validateReplicaSetStatusUpdate(rs: ReplicaSet): FieldError[] {
  const st = (rs.status ?? {}) as unknown as Record<string, number | undefined>;
  return [
    ...validateObjectMetaUpdate(rs.metadata),
    ...validateReplicaCounters(st, ['replicas', 'fullyLabeledReplicas', 'readyReplicas', 'availableReplicas', 'observedGeneration'], ['fullyLabeledReplicas', 'readyReplicas', 'availableReplicas']),
  ];
}

// ---- Deployment ----

function validateDeploymentSpec(d: Deployment): FieldError[] {
  const s = d.spec;
  const errs = validateNonnegative(s?.replicas, spec.child('replicas'));
  errs.push(...validateWorkloadSelector(s?.selector, spec.child('selector'), 'deployment'));
  const selector = selectorOf(s?.selector, spec.child('selector'), 'invalid label selector', errs);
  errs.push(...validateTemplateForReplicaSet(s?.template, selector, spec.child('template'), 'ReplicaSet'));
  const strategy = s?.strategy;
  const sp = spec.child('strategy');
  switch (strategy?.type) {
    case 'Recreate':
      if (strategy.rollingUpdate) errs.push(forbidden(sp.child('rollingUpdate'), "may not be specified when strategy `type` is 'Recreate'"));
      break;
    case 'RollingUpdate': {
      const ru = strategy.rollingUpdate;
      if (!ru) {
        errs.push(required(sp.child('rollingUpdate'), 'this should be defaulted and never be nil'));
        break;
      }
      const rp = sp.child('rollingUpdate');
      errs.push(...validatePositiveIntOrPercent(ru.maxUnavailable, rp.child('maxUnavailable')));
      errs.push(...validatePositiveIntOrPercent(ru.maxSurge, rp.child('maxSurge')));
      if (intOrPercentValue(ru.maxUnavailable) === 0 && intOrPercentValue(ru.maxSurge) === 0) {
        errs.push(invalid(rp.child('maxUnavailable'), goIntOrString(ru.maxUnavailable ?? 0), 'may not be 0 when `maxSurge` is 0'));
      }
      errs.push(...notMoreThan100Percent(ru.maxUnavailable, rp.child('maxUnavailable')));
      break;
    }
    default: {
      const ru = strategy?.rollingUpdate ? '&apps.RollingUpdateDeployment{...}' : '(*apps.RollingUpdateDeployment)(nil)';
      errs.push(notSupported(sp, goRaw(`apps.DeploymentStrategy{Type:${goQuote(strategy?.type ?? '')}, RollingUpdate:${ru}}`), ['Recreate', 'RollingUpdate']));
    }
  }
  errs.push(...validateNonnegative(s?.minReadySeconds, spec.child('minReadySeconds')));
  errs.push(...validateNonnegative(s?.revisionHistoryLimit, spec.child('revisionHistoryLimit')));
  if (s?.progressDeadlineSeconds !== undefined) {
    errs.push(...validateNonnegative(s.progressDeadlineSeconds, spec.child('progressDeadlineSeconds')));
    if (s.progressDeadlineSeconds <= (s.minReadySeconds ?? 0)) {
      errs.push(invalid(spec.child('progressDeadlineSeconds'), s.progressDeadlineSeconds, 'must be greater than minReadySeconds'));
    }
  }
  return errs;
}

export function validateDeployment(d: Deployment): FieldError[] {
  return [...validateObjectMeta(d.metadata, { namespaced: true, nameValidator: nameIsDNSSubdomain }), ...validateDeploymentSpec(d)];
}

export function validateDeploymentUpdate(d: Deployment, old: Deployment): FieldError[] {
  const errs = [...validateObjectMetaUpdate(d.metadata), ...validateDeploymentSpec(d)];
  if (!semanticEqual(d.spec?.selector, old.spec?.selector)) errs.push(immutableField(spec.child('selector'), goLabelSelector(d.spec?.selector)));
  return errs;
}

export function validateDeploymentStatusUpdate(d: Deployment, old: Deployment): FieldError[] {
  const st = (d.status ?? {}) as unknown as Record<string, number | undefined>;
  return [
    ...validateObjectMetaUpdate(d.metadata),
    ...validateReplicaCounters(
      st,
      ['observedGeneration', 'replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas', 'unavailableReplicas', 'collisionCount'],
      ['updatedReplicas', 'readyReplicas', 'availableReplicas'],
    ),
    ...collisionCountNotDecremented(d.status?.collisionCount, old.status?.collisionCount),
  ];
}

// ---- StatefulSet ----

function validateStatefulSetSpec(sts: StatefulSet): FieldError[] {
  const s = sts.spec;
  const errs: FieldError[] = [];
  const pmp = s?.podManagementPolicy;
  if (!pmp) errs.push(required(spec.child('podManagementPolicy'), ''));
  else if (pmp !== 'OrderedReady' && pmp !== 'Parallel') errs.push(invalid(spec.child('podManagementPolicy'), pmp, "must be 'OrderedReady' or 'Parallel'"));
  const us = s?.updateStrategy;
  switch (us?.type) {
    case undefined:
    case '':
      errs.push(required(spec.child('updateStrategy'), ''));
      break;
    case 'OnDelete':
      if (us.rollingUpdate) errs.push(invalid(spec.child('updateStrategy', 'rollingUpdate'), goRaw('&apps.RollingUpdateStatefulSetStrategy{...}'), "only allowed for updateStrategy 'RollingUpdate'"));
      break;
    case 'RollingUpdate': {
      const ru = us.rollingUpdate;
      if (ru) {
        const rp = spec.child('updateStrategy', 'rollingUpdate');
        errs.push(...validateNonnegative(ru.partition, rp.child('partition')));
        if (ru.maxUnavailable !== undefined) {
          errs.push(...validatePositiveIntOrPercent(ru.maxUnavailable, rp.child('maxUnavailable')));
          if (intOrPercentValue(ru.maxUnavailable) === 0) errs.push(invalid(rp.child('maxUnavailable'), goIntOrString(ru.maxUnavailable), 'cannot be 0'));
          errs.push(...notMoreThan100Percent(ru.maxUnavailable, rp.child('maxUnavailable')));
        }
      }
      break;
    }
    default:
      errs.push(invalid(spec.child('updateStrategy'), goRaw(`apps.StatefulSetUpdateStrategy{Type:${goQuote(us?.type ?? "")}, RollingUpdate:(*apps.RollingUpdateStatefulSetStrategy)(nil)}`), "must be 'RollingUpdate' or 'OnDelete'"));
  }
  const policy = s?.persistentVolumeClaimRetentionPolicy;
  if (policy) {
    for (const f of ['whenDeleted', 'whenScaled'] as const) {
      const v = policy[f] ?? '';
      if (v !== 'Retain' && v !== 'Delete') errs.push(notSupported(spec.child('persistentVolumeClaimRetentionPolicy', f), v, ['Retain', 'Delete']));
    }
  }
  errs.push(...validateNonnegative(s?.replicas, spec.child('replicas')));
  errs.push(...validateNonnegative(s?.minReadySeconds, spec.child('minReadySeconds')));
  if (s?.ordinals) errs.push(...validateNonnegative(s.ordinals.start, spec.child('ordinals.start')));
  errs.push(...validateWorkloadSelector(s?.selector, spec.child('selector'), 'statefulset'));
  const selector = selectorOf(s?.selector, spec.child('selector'), '', errs);
  const tp = spec.child('template');
  if (selector) {
    // Upstream validates only the template's labels and annotations here (volume claims make the
    // pod spec's volumes incomplete); pods are fully validated when the controller creates them.
    errs.push(...selectorMatchesTemplate(selector, s?.template, tp));
    errs.push(...validateLabels(s?.template?.metadata?.labels, tp.child('labels')));
    errs.push(...validateAnnotations(s?.template?.metadata?.annotations, tp.child('annotations')));
  }
  const rp = s?.template?.spec?.restartPolicy;
  if (rp !== 'Always') errs.push(notSupported(tp.child('spec', 'restartPolicy'), rp ?? '', ['Always']));
  if (s?.template?.spec?.activeDeadlineSeconds !== undefined) {
    errs.push(forbidden(tp.child('spec', 'activeDeadlineSeconds'), 'activeDeadlineSeconds in StatefulSet is not Supported'));
  }
  return errs;
}

export function validateStatefulSet(sts: StatefulSet): FieldError[] {
  return [...validateObjectMeta(sts.metadata, { namespaced: true, nameValidator: nameIsDNSLabel }), ...validateStatefulSetSpec(sts)];
}

/** Fields of a StatefulSet spec an update may change. */
const STS_MUTABLE = ['replicas', 'template', 'updateStrategy', 'minReadySeconds', 'ordinals', 'persistentVolumeClaimRetentionPolicy'] as const;

export function validateStatefulSetUpdate(sts: StatefulSet, old: StatefulSet): FieldError[] {
  const errs = [...validateObjectMetaUpdate(sts.metadata), ...validateStatefulSetSpec(sts)];
  const a: Record<string, unknown> = { ...(sts.spec ?? {}) };
  const b: Record<string, unknown> = { ...(old.spec ?? {}) };
  for (const f of STS_MUTABLE) {
    delete a[f];
    delete b[f];
  }
  if (!semanticEqual(a, b)) {
    errs.push(
      forbidden(
        spec,
        "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
      ),
    );
  }
  return errs;
}

export function validateStatefulSetStatusUpdate(sts: StatefulSet, old: StatefulSet): FieldError[] {
  const st = (sts.status ?? {}) as unknown as Record<string, number | undefined>;
  return [
    ...validateObjectMetaUpdate(sts.metadata),
    ...validateReplicaCounters(
      st,
      ['replicas', 'readyReplicas', 'currentReplicas', 'updatedReplicas', 'availableReplicas', 'observedGeneration', 'collisionCount'],
      ['readyReplicas', 'currentReplicas', 'updatedReplicas', 'availableReplicas'],
      'cannot be greater than status.readyReplicas',
    ),
    ...collisionCountNotDecremented(sts.status?.collisionCount, old.status?.collisionCount),
  ];
}

// ---- DaemonSet ----

function validateDaemonSetSpec(ds: DaemonSet): FieldError[] {
  const s = ds.spec;
  const errs: FieldError[] = [];
  // No "Required" here upstream: a missing selector selects nothing and fails the template match.
  errs.push(...validateLabelSelector(s?.selector, spec.child('selector')));
  let selector: Selector | undefined;
  try {
    selector = labelSelectorAsSelector(s?.selector);
  } catch {
    selector = undefined;
  }
  if (selector && !selector.matches(s?.template?.metadata?.labels)) {
    errs.push(invalid(spec.child('template', 'metadata', 'labels'), goStringMap(s?.template?.metadata?.labels ?? null), '`selector` does not match template `labels`'));
  }
  if (s?.selector && Object.keys(s.selector.matchLabels ?? {}).length + (s.selector.matchExpressions ?? []).length === 0) {
    errs.push(invalid(spec.child('selector'), goLabelSelector(s.selector), 'empty selector is invalid for daemonset'));
  }
  errs.push(...validatePodTemplateSpec(s?.template, spec.child('template')));
  const rp = s?.template?.spec?.restartPolicy;
  if (rp !== 'Always') errs.push(notSupported(spec.child('template', 'spec', 'restartPolicy'), rp ?? '', ['Always']));
  if (s?.template?.spec?.activeDeadlineSeconds !== undefined) {
    errs.push(forbidden(spec.child('template', 'spec', 'activeDeadlineSeconds'), 'activeDeadlineSeconds in DaemonSet is not Supported'));
  }
  errs.push(...validateNonnegative(s?.minReadySeconds, spec.child('minReadySeconds')));
  const us = s?.updateStrategy;
  const up = spec.child('updateStrategy');
  switch (us?.type) {
    case 'OnDelete':
      break;
    case 'RollingUpdate': {
      const ru = us.rollingUpdate;
      if (!ru) {
        errs.push(required(up.child('rollingUpdate'), ''));
        break;
      }
      const rp2 = up.child('rollingUpdate');
      errs.push(...validatePositiveIntOrPercent(ru.maxUnavailable, rp2.child('maxUnavailable')));
      errs.push(...validatePositiveIntOrPercent(ru.maxSurge, rp2.child('maxSurge')));
      errs.push(...notMoreThan100Percent(ru.maxUnavailable, rp2.child('maxUnavailable')));
      errs.push(...notMoreThan100Percent(ru.maxSurge, rp2.child('maxSurge')));
      const hasUnavailable = intOrPercentValue(ru.maxUnavailable) !== 0;
      const hasSurge = intOrPercentValue(ru.maxSurge) !== 0;
      if (hasUnavailable && hasSurge) errs.push(invalid(rp2.child('maxSurge'), goIntOrString(ru.maxSurge ?? 0), 'may not be set when maxUnavailable is non-zero'));
      else if (!hasUnavailable && !hasSurge) errs.push(required(rp2.child('maxUnavailable'), 'cannot be 0 when maxSurge is 0'));
      break;
    }
    default:
      errs.push(notSupported(up, goRaw(`apps.DaemonSetUpdateStrategy{Type:${goQuote(us?.type ?? '')}, RollingUpdate:(*apps.RollingUpdateDaemonSet)(nil)}`), ['RollingUpdate', 'OnDelete']));
  }
  errs.push(...validateNonnegative(s?.revisionHistoryLimit, spec.child('revisionHistoryLimit')));
  return errs;
}

export function validateDaemonSet(ds: DaemonSet): FieldError[] {
  return [...validateObjectMeta(ds.metadata, { namespaced: true, nameValidator: nameIsDNSSubdomain }), ...validateDaemonSetSpec(ds)];
}

export function validateDaemonSetUpdate(ds: DaemonSet, old: DaemonSet): FieldError[] {
  const errs = [...validateObjectMetaUpdate(ds.metadata), ...validateDaemonSetSpec(ds)];
  if (!semanticEqual(ds.spec?.selector, old.spec?.selector)) errs.push(immutableField(spec.child('selector'), goLabelSelector(ds.spec?.selector)));
  return errs;
}

export function validateDaemonSetStatusUpdate(ds: DaemonSet, old: DaemonSet): FieldError[] {
  const errs = validateObjectMetaUpdate(ds.metadata);
  const st = (ds.status ?? {}) as unknown as Record<string, number | undefined>;
  for (const f of ['currentNumberScheduled', 'numberMisscheduled', 'desiredNumberScheduled', 'numberReady', 'observedGeneration', 'updatedNumberScheduled', 'numberAvailable', 'numberUnavailable', 'collisionCount']) {
    errs.push(...validateNonnegative(st[f], statusPath.child(f)));
  }
  errs.push(...collisionCountNotDecremented(ds.status?.collisionCount, old.status?.collisionCount));
  return errs;
}

// ---- ControllerRevision ----

export function validateControllerRevision(cr: ControllerRevision): FieldError[] {
  const errs = validateObjectMeta(cr.metadata, { namespaced: true, nameValidator: nameIsDNSSubdomain });
  if (cr.data === undefined || cr.data === null) errs.push(required(FieldPath.root('data'), 'data is mandatory'));
  errs.push(...validateNonnegative(cr.revision, FieldPath.root('revision')));
  return errs;
}

/** Data is immutable; revision may change (controllers renumber a revision they roll back to). */
export function validateControllerRevisionUpdate(cr: ControllerRevision, old: ControllerRevision): FieldError[] {
  const errs = [...validateObjectMetaUpdate(cr.metadata), ...validateControllerRevision(cr).filter((e) => !e.field.startsWith('metadata.'))];
  if (!semanticEqual(cr.data, old.data)) errs.push(immutableField(FieldPath.root('data'), goRaw(`runtime.RawExtension{Raw:${JSON.stringify(JSON.stringify(cr.data ?? null))}}`)));
  return errs;
}

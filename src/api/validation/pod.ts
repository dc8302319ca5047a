/**
 * Pod and PodTemplateSpec validation (ValidatePodCreate, ValidatePodUpdate, ValidatePodStatusUpdate,
 * ValidatePodTemplateSpec), reproducing Kubernetes' update rules: a pod's spec is immutable except
 * container images, a lowered activeDeadlineSeconds, added tolerations (tolerationSeconds may
 * change), removed scheduling gates, and terminationGracePeriodSeconds set to 1 from a negative value.
 */
import type { Pod, PodSpec, PodTemplateSpec, Toleration, ContainerStatus } from 'kubernetes-types/core/v1.js';
import { validateLabels } from '../labels.js';
import { clone } from '../object.js';
import { FieldPath, forbidden, invalid, required, duplicate, type FieldError } from './field-errors.js';
import { isValidIP, inclusiveRangeError, isDNS1123Subdomain } from './names.js';
import { nameIsDNSSubdomain, validateAnnotations, validateObjectMeta, validateObjectMetaUpdate } from './object-meta.js';
import { validatePodSpec, validateTolerations } from './pod-spec.js';
import { diffPaths, semanticEqual } from './equality.js';

const MAX_INT32 = 2147483647;

/** The fields a pod update may change, in the order Kubernetes lists them in its message. */
export const UPDATABLE_POD_SPEC_FIELDS = [
  '`spec.containers[*].image`',
  '`spec.initContainers[*].image`',
  '`spec.activeDeadlineSeconds`',
  '`spec.tolerations` (only additions to existing tolerations)',
  '`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
];

const spec = FieldPath.root('spec');

/** Checks that apply to pods but not to templates (validateContainersOnlyForPod). */
function validateContainersOnlyForPod(p: PodSpec, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  for (const [list, name] of [[p.containers, 'containers'], [p.initContainers, 'initContainers']] as const) {
    (list ?? []).forEach((c, i) => {
      if (c.image && c.image.trim() !== c.image) errs.push(invalid(path.child(name).index(i).child('image'), c.image, 'must not have leading or trailing whitespace'));
    });
  }
  return errs;
}

/** ValidatePodCreate */
export function validatePod(pod: Pod): FieldError[] {
  const errs = validateObjectMeta(pod.metadata, { namespaced: true, nameValidator: nameIsDNSSubdomain });
  errs.push(...validatePodSpec(pod.spec, spec));
  errs.push(...validateContainersOnlyForPod(pod.spec ?? ({} as PodSpec), spec));
  if ((pod.spec?.ephemeralContainers ?? []).length > 0) {
    errs.push(forbidden(spec.child('ephemeralContainers'), 'cannot be set on create'));
  }
  return errs;
}

/** ValidatePodTemplateSpec (templates of workloads). */
export function validatePodTemplateSpec(t: PodTemplateSpec | undefined, path: FieldPath): FieldError[] {
  const errs = validateLabels(t?.metadata?.labels, path.child('labels'));
  errs.push(...validateAnnotations(t?.metadata?.annotations, path.child('annotations')));
  errs.push(...validatePodSpec(t?.spec, path.child('spec')));
  if ((t?.spec?.ephemeralContainers ?? []).length > 0) {
    errs.push(forbidden(path.child('spec', 'ephemeralContainers'), 'ephemeral containers not allowed in pod template'));
  }
  return errs;
}

function validateContainerUpdates(newList: PodSpec['containers'] | undefined, oldList: PodSpec['containers'] | undefined, path: FieldPath): { errs: FieldError[]; stop: boolean } {
  const n = newList ?? [];
  const o = oldList ?? [];
  if (n.length !== o.length) return { errs: [forbidden(path, 'pod updates may not add or remove containers')], stop: true };
  const errs: FieldError[] = [];
  n.forEach((c, i) => {
    if (!c.image) errs.push(required(path.index(i).child('image'), ''));
    if (c.image && c.image.trim() !== c.image) errs.push(invalid(path.index(i).child('image'), c.image, 'must not have leading or trailing whitespace'));
  });
  return { errs, stop: false };
}

/** validateOnlyAddedTolerations: every old toleration must survive, up to its tolerationSeconds. */
function validateOnlyAddedTolerations(newT: Toleration[] | undefined, oldT: Toleration[] | undefined, path: FieldPath): FieldError[] {
  for (const old of oldT ?? []) {
    const found = (newT ?? []).some((t) => semanticEqual({ ...old, tolerationSeconds: t.tolerationSeconds }, t));
    if (!found) return [forbidden(path, 'existing toleration can not be modified except its tolerationSeconds')];
  }
  return validateTolerations(newT, path);
}

/** ValidatePodUpdate */
export function validatePodUpdate(newPod: Pod, oldPod: Pod): FieldError[] {
  const errs = validateObjectMetaUpdate(newPod.metadata);
  const ns = newPod.spec ?? ({ containers: [] } as PodSpec);
  const os = oldPod.spec ?? ({ containers: [] } as PodSpec);
  errs.push(...validatePodSpec(ns, spec));
  let r = validateContainerUpdates(ns.containers, os.containers, spec.child('containers'));
  errs.push(...r.errs);
  if (r.stop) return errs;
  r = validateContainerUpdates(ns.initContainers, os.initContainers, spec.child('initContainers'));
  errs.push(...r.errs);
  if (r.stop) return errs;

  if (ns.activeDeadlineSeconds !== undefined && ns.activeDeadlineSeconds !== null) {
    const v = ns.activeDeadlineSeconds;
    if (v < 0 || v > MAX_INT32) return [...errs, invalid(spec.child('activeDeadlineSeconds'), v, inclusiveRangeError(0, MAX_INT32))];
    if (os.activeDeadlineSeconds !== undefined && os.activeDeadlineSeconds !== null && os.activeDeadlineSeconds < v) {
      return [...errs, invalid(spec.child('activeDeadlineSeconds'), v, 'must be less than or equal to previous value')];
    }
  } else if (os.activeDeadlineSeconds !== undefined && os.activeDeadlineSeconds !== null) {
    errs.push(invalid(spec.child('activeDeadlineSeconds'), null, 'must not update from a positive integer to nil value'));
  }
  errs.push(...validateOnlyAddedTolerations(ns.tolerations, os.tolerations, spec.child('tolerations')));
  const oldGates = (os.schedulingGates ?? []).map((g) => g.name);
  for (const g of ns.schedulingGates ?? []) {
    if (!oldGates.includes(g.name)) {
      errs.push(forbidden(spec.child('schedulingGates'), 'only deletion is allowed, but found new scheduling gate \'' + g.name + '\''));
      break;
    }
  }
  if (semanticEqual(ns, os)) return errs;

  // Munge the updatable fields back to their old values, then demand equality (as upstream does).
  const munged = clone(ns);
  munged.containers = (munged.containers ?? []).map((c, i) => ({ ...c, image: os.containers[i]?.image ?? c.image }));
  if (munged.initContainers) munged.initContainers = munged.initContainers.map((c, i) => ({ ...c, image: os.initContainers?.[i]?.image ?? c.image }));
  munged.activeDeadlineSeconds = os.activeDeadlineSeconds;
  munged.schedulingGates = os.schedulingGates;
  munged.tolerations = os.tolerations;
  if ((os.terminationGracePeriodSeconds ?? 0) < 0 && munged.terminationGracePeriodSeconds === 1) {
    munged.terminationGracePeriodSeconds = os.terminationGracePeriodSeconds;
  }
  // Gated pods may gain node selector entries and node affinity (KEP-3838).
  if (oldGates.length > 0) {
    const oldSel = os.nodeSelector ?? {};
    if (Object.entries(oldSel).every(([k, v]) => munged.nodeSelector?.[k] === v)) munged.nodeSelector = os.nodeSelector;
  }
  if (!semanticEqual(munged, os)) {
    const changed = diffPaths(os, munged).map((p) => `  spec.${p}`);
    errs.push(forbidden(spec, `pod updates may not change fields other than ${UPDATABLE_POD_SPEC_FIELDS.join(',')}\n${changed.join('\n')}`));
  }
  return errs;
}

function validateContainerStateTransition(newS: ContainerStatus[] | undefined, oldS: ContainerStatus[] | undefined, path: FieldPath, restartPolicy: string): FieldError[] {
  if (restartPolicy === 'Always') return [];
  const errs: FieldError[] = [];
  (oldS ?? []).forEach((old, i) => {
    const term = old.state?.terminated;
    if (!term) return;
    if (term.exitCode !== 0 && restartPolicy === 'OnFailure') return;
    for (const n of newS ?? []) {
      if (n.name === old.name && !n.state?.terminated) errs.push(forbidden(path.index(i).child('state'), 'may not be transitioned to non-terminated state'));
    }
  });
  return errs;
}

/** ValidatePodStatusUpdate */
export function validatePodStatusUpdate(newPod: Pod, oldPod: Pod): FieldError[] {
  const errs = validateObjectMetaUpdate(newPod.metadata);
  const status = FieldPath.root('status');
  (newPod.status?.conditions ?? []).forEach((c, i) => {
    if (!c.type) errs.push(required(status.child('conditions').index(i).child('type'), ''));
  });
  if ((newPod.spec?.nodeName ?? '') !== (oldPod.spec?.nodeName ?? '')) errs.push(forbidden(status.child('nodeName'), 'may not be changed directly'));
  const nominated = newPod.status?.nominatedNodeName;
  if (nominated && nominated !== oldPod.status?.nominatedNodeName) {
    for (const m of isDNS1123Subdomain(nominated)) errs.push(invalid(status.child('nominatedNodeName'), nominated, m));
  }
  const rp = oldPod.spec?.restartPolicy ?? 'Always';
  errs.push(...validateContainerStateTransition(newPod.status?.containerStatuses, oldPod.status?.containerStatuses, status.child('containerStatuses'), rp));
  errs.push(...validateContainerStateTransition(newPod.status?.initContainerStatuses, oldPod.status?.initContainerStatuses, status.child('initContainerStatuses'), rp));
  const seen = new Set<string>();
  (newPod.status?.podIPs ?? []).forEach((ip, i) => {
    const p = status.child('podIPs').index(i);
    for (const m of isValidIP(ip.ip ?? '')) errs.push(invalid(p, ip.ip ?? '', m));
    if (seen.has(ip.ip ?? '')) errs.push(duplicate(p, ip.ip ?? ''));
    seen.add(ip.ip ?? '');
  });
  (newPod.status?.hostIPs ?? []).forEach((ip, i) => {
    for (const m of isValidIP(ip.ip ?? '')) errs.push(invalid(status.child('hostIPs').index(i), ip.ip ?? '', m));
  });
  return errs;
}

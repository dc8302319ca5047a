/**
 * ObjectMeta validation as Kubernetes' `ValidateObjectMeta` (apimachinery + core's finalizer rule):
 * the kind's name format, namespace presence, labels, annotations, owner references, finalizers.
 * Immutability of name/uid/creationTimestamp on update is the generic registry's job.
 */
import type { ObjectMeta, OwnerReference } from 'kubernetes-types/meta/v1.js';
import { validateLabels } from '../labels.js';
import { FieldPath, forbidden, invalid, required, tooLong, goRaw, goQuote, IS_NEGATIVE_MSG, type FieldError } from './field-errors.js';
import { isDNS1123Label, isDNS1123Subdomain, isDNS1035Label, isQualifiedName } from './names.js';

/** A name check: `prefix` is true when checking a generateName prefix (a trailing dash is fine). */
export type NameValidator = (name: string, prefix: boolean) => string[];

/** Kubernetes' maskTrailingDash: a generateName prefix may end in `-`. */
function maskTrailingDash(name: string): string {
  return name.length > 1 && name.endsWith('-') ? `${name.slice(0, -2)}a` : name;
}

/** NameIsDNSSubdomain — most kinds. */
export const nameIsDNSSubdomain: NameValidator = (name, prefix) => isDNS1123Subdomain(prefix ? maskTrailingDash(name) : name);
/** NameIsDNSLabel — namespaces, and names that become host names. */
export const nameIsDNSLabel: NameValidator = (name, prefix) => isDNS1123Label(prefix ? maskTrailingDash(name) : name);
/** NameIsDNS1035Label — Services. */
export const nameIsDNS1035Label: NameValidator = (name, prefix) => isDNS1035Label(prefix ? maskTrailingDash(name) : name);
/** Any non-empty path segment (Events, ...): ValidatePathSegmentName. */
export const nameIsPathSegment: NameValidator = (name, prefix) => {
  if (!prefix && (name === '.' || name === '..')) return [`may not be '${name}'`];
  const errs: string[] = [];
  for (const bad of ['/', '%']) if (name.includes(bad)) errs.push(`may not contain '${bad}'`);
  return errs;
};

/** apimachinery's TotalAnnotationSizeLimitB. */
export const TOTAL_ANNOTATION_SIZE_LIMIT_BYTES = 256 * 1024;

/** Finalizers Kubernetes defines without a domain prefix. */
const STANDARD_FINALIZERS = new Set(['kubernetes', 'orphan', 'foregroundDeletion']);

export interface ObjectMetaOptions {
  namespaced: boolean;
  nameValidator: NameValidator;
}

/** ValidateAnnotations: keys are qualified names (checked lower-cased), total size ≤ 256 KiB. */
export function validateAnnotations(annotations: Record<string, string> | undefined, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  let total = 0;
  for (const k of Object.keys(annotations ?? {}).sort()) {
    for (const m of isQualifiedName(k.toLowerCase())) errs.push(invalid(path, k, m));
    total += Buffer.byteLength(k) + Buffer.byteLength(annotations?.[k] ?? '');
  }
  if (total > TOTAL_ANNOTATION_SIZE_LIMIT_BYTES) errs.push(tooLong(path, TOTAL_ANNOTATION_SIZE_LIMIT_BYTES));
  return errs;
}

/** ValidateOwnerReferences (children of one reference are reported under the list path, as upstream). */
export function validateOwnerReferences(refs: OwnerReference[] | undefined, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  let firstController = '';
  for (const ref of refs ?? []) {
    const version = (ref.apiVersion ?? '').split('/').pop() ?? '';
    if (!version) errs.push(invalid(path.child('apiVersion'), ref.apiVersion ?? '', 'version must not be empty'));
    if (!ref.kind) errs.push(invalid(path.child('kind'), ref.kind ?? '', 'kind must not be empty'));
    if (!ref.name) errs.push(invalid(path.child('name'), ref.name ?? '', 'name must not be empty'));
    if (!ref.uid) errs.push(invalid(path.child('uid'), ref.uid ?? '', 'uid must not be empty'));
    if (ref.controller === true) {
      const cur = `${ref.kind}/${ref.name}`;
      if (firstController) {
        errs.push(
          invalid(
            path,
            goRaw(`[]v1.OwnerReference{${(refs ?? []).map((r) => `v1.OwnerReference{APIVersion:${goQuote(r.apiVersion ?? '')}, Kind:${goQuote(r.kind ?? '')}, Name:${goQuote(r.name ?? '')}, UID:${goQuote(r.uid ?? '')}}`).join(', ')}}`),
            `Only one reference can have Controller set to true. Found "true" in references for ${firstController} and ${cur}`,
          ),
        );
      } else firstController = cur;
    }
  }
  return errs;
}

/** Finalizer names: qualified names; bare names must be a standard finalizer. Duplicates rejected. */
export function validateFinalizers(finalizers: string[] | undefined, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  (finalizers ?? []).forEach((f, i) => {
    const msgs = isQualifiedName(f);
    for (const m of msgs) errs.push(invalid(path.index(i), f, m));
    if (msgs.length === 0 && !f.includes('/') && !STANDARD_FINALIZERS.has(f)) {
      errs.push(invalid(path.index(i), f, 'name is neither a standard finalizer name nor is it fully qualified'));
    }
    if (seen.has(f)) errs.push({ type: 'FieldValueDuplicate', field: path.toString(), message: `Duplicate value: ${goQuote(f)}` });
    seen.add(f);
  });
  return errs;
}

/** ValidateObjectMeta for create. */
export function validateObjectMeta(meta: ObjectMeta | undefined, opts: ObjectMetaOptions, path = FieldPath.root('metadata')): FieldError[] {
  const m = meta ?? {};
  const errs: FieldError[] = [];
  if (m.generateName) for (const msg of opts.nameValidator(m.generateName, true)) errs.push(invalid(path.child('generateName'), m.generateName, msg));
  if (!m.name) errs.push(required(path.child('name'), 'name or generateName is required'));
  else for (const msg of opts.nameValidator(m.name, false)) errs.push(invalid(path.child('name'), m.name, msg));
  if (opts.namespaced) {
    if (!m.namespace) errs.push(required(path.child('namespace'), ''));
    else for (const msg of isDNS1123Label(m.namespace)) errs.push(invalid(path.child('namespace'), m.namespace, msg));
  } else if (m.namespace) {
    errs.push(forbidden(path.child('namespace'), 'not allowed on this type'));
  }
  if (m.generation !== undefined && m.generation < 0) errs.push(invalid(path.child('generation'), m.generation, IS_NEGATIVE_MSG));
  errs.push(...validateLabels(m.labels, path.child('labels')));
  errs.push(...validateAnnotations(m.annotations, path.child('annotations')));
  errs.push(...validateOwnerReferences(m.ownerReferences, path.child('ownerReferences')));
  errs.push(...validateFinalizers(m.finalizers, path.child('finalizers')));
  return errs;
}

/** The format checks of ValidateObjectMetaUpdate (labels, annotations, owners, finalizers). */
export function validateObjectMetaUpdate(meta: ObjectMeta | undefined, path = FieldPath.root('metadata')): FieldError[] {
  const m = meta ?? {};
  return [
    ...(m.generation !== undefined && m.generation < 0 ? [invalid(path.child('generation'), m.generation, IS_NEGATIVE_MSG)] : []),
    ...validateLabels(m.labels, path.child('labels')),
    ...validateAnnotations(m.annotations, path.child('annotations')),
    ...validateOwnerReferences(m.ownerReferences, path.child('ownerReferences')),
    ...validateFinalizers(m.finalizers, path.child('finalizers')),
  ];
}

/** ValidateNonnegativeField */
export function validateNonnegative(value: number | undefined | null, path: FieldPath): FieldError[] {
  return value !== undefined && value !== null && value < 0 ? [invalid(path, value, IS_NEGATIVE_MSG)] : [];
}

/** ValidateDNS1123Label as a field check (hostname, subdomain, …). */
export function validateDNS1123LabelField(value: string, path: FieldPath): FieldError[] {
  return isDNS1123Label(value).map((m) => invalid(path, value, m));
}

/** ValidateDNS1123Subdomain as a field check. */
export function validateDNS1123SubdomainField(value: string, path: FieldPath): FieldError[] {
  return isDNS1123Subdomain(value).map((m) => invalid(path, value, m));
}

/** apimachinery's ValidateImmutableField, with the bad value rendered by the caller. */
export function immutableField(path: FieldPath, value: Parameters<typeof invalid>[1]): FieldError {
  return invalid(path, value, 'field is immutable');
}

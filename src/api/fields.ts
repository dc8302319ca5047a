/**
 * Field selectors as apimachinery's `pkg/fields` parses them (`a=b`, `a==b`, `a!=b`, comma-joined,
 * values escaped with `\`), and the per-kind selectable field sets the API server matches them
 * against (each registry's `ToSelectableFields` plus the field-label conversion that says which
 * labels a version accepts; anything else is `400 field label not supported: <label>`).
 */
import { badRequest } from './errors.js';
import type { KubeObject } from './object.js';

/** One term of a field selector. */
export interface FieldRequirement {
  readonly field: string;
  readonly operator: '=' | '!=';
  readonly value: string;
}

/** A parsed field selector. */
export interface FieldSelector {
  readonly requirements: readonly FieldRequirement[];
  /** True if every term holds; a missing field reads as `""`, as fields.Set.Get does. */
  matches(fields: Readonly<Record<string, string>>): boolean;
  empty(): boolean;
  /** The value demanded for `field` by an `=` term, if any (used to narrow lists by name). */
  requiresExactMatch(field: string): string | undefined;
  /** `a=b,c!=d`, values re-escaped. */
  toString(): string;
}

/** Thrown for a malformed selector; the message is apimachinery's. */
export class FieldSelectorParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FieldSelectorParseError';
  }
}

class AndSelector implements FieldSelector {
  constructor(readonly requirements: readonly FieldRequirement[]) {}

  matches(fields: Readonly<Record<string, string>>): boolean {
    return this.requirements.every((r) => ((fields[r.field] ?? '') === r.value) === (r.operator === '='));
  }

  empty(): boolean {
    return this.requirements.length === 0;
  }

  requiresExactMatch(field: string): string | undefined {
    return this.requirements.find((r) => r.field === field && r.operator === '=')?.value;
  }

  toString(): string {
    return this.requirements.map((r) => `${r.field}${r.operator}${escapeFieldValue(r.value)}`).join(',');
  }
}

/** Matches every object. */
export const EVERYTHING_FIELDS: FieldSelector = new AndSelector([]);

/** fields.EscapeValue: `\` → `\\`, `,` → `\,`, `=` → `\=`. */
export function escapeFieldValue(s: string): string {
  return s.replace(/[\\,=]/g, (c) => `\\${c}`);
}

/** fields.UnescapeValue, with its errors. */
export function unescapeFieldValue(s: string): string {
  if (!/[\\,=]/.test(s)) return s;
  let out = '';
  let inSlash = false;
  for (const c of s) {
    if (inSlash) {
      if (c === '\\' || c === ',' || c === '=') out += c;
      else throw new FieldSelectorParseError(`invalid field selector: invalid escape sequence: \\${c}`);
      inSlash = false;
      continue;
    }
    if (c === '\\') inSlash = true;
    else if (c === ',' || c === '=') throw new FieldSelectorParseError(`invalid field selector: unescaped character in value: ${c.codePointAt(0) ?? 0}`);
    else out += c;
  }
  if (inSlash) throw new FieldSelectorParseError('invalid field selector: invalid escape sequence: \\');
  return out;
}

/** Splits on commas not preceded by an escaping backslash. */
function splitTerms(s: string): string[] {
  if (s === '') return [];
  const terms: string[] = [];
  let start = 0;
  let escaped = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (escaped) escaped = false;
    else if (c === '\\') escaped = true;
    else if (c === ',') {
      terms.push(s.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(s.slice(start));
  return terms;
}

const TERM_OPERATORS = ['!=', '==', '='] as const;

function splitTerm(term: string): { lhs: string; op: string; rhs: string } | undefined {
  for (let i = 0; i < term.length; i++) {
    for (const op of TERM_OPERATORS) {
      if (term.startsWith(op, i)) return { lhs: term.slice(0, i), op, rhs: term.slice(i + op.length) };
    }
  }
  return undefined;
}

/** fields.ParseSelector. Throws {@link FieldSelectorParseError}. */
export function parseFieldSelector(selector: string): FieldSelector {
  const parts = splitTerms(selector).sort();
  const reqs: FieldRequirement[] = [];
  for (const part of parts) {
    if (part === '') continue;
    const t = splitTerm(part);
    if (!t) throw new FieldSelectorParseError(`invalid selector: '${selector}'; can't understand '${part}'`);
    reqs.push({ field: t.lhs, operator: t.op === '!=' ? '!=' : '=', value: unescapeFieldValue(t.rhs) });
  }
  return new AndSelector(reqs);
}

/** A selector requiring every `field=value` of the set (fields.SelectorFromSet). */
export function fieldSelectorFromSet(set: Readonly<Record<string, string>>): FieldSelector {
  return new AndSelector(Object.keys(set).sort().map((k) => ({ field: k, operator: '=' as const, value: set[k] ?? '' })));
}

// ---- per-kind selectable fields ----

type Obj = KubeObject & Record<string, unknown>;
const str = (v: unknown): string => (typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v));
const get = (o: unknown, ...path: string[]): unknown => {
  let cur = o;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur;
};

interface FieldSpec {
  /** Labels the version accepts, mapped to the internal field-set label (aliases such as `spec.host`). */
  labels: Record<string, string>;
  /** Kind-specific part of the field set (metadata fields are added for every kind). */
  fields(obj: Obj): Record<string, string>;
}

const same = (...labels: string[]): Record<string, string> => Object.fromEntries(labels.map((l) => [l, l]));

const coreEventFields = (e: Obj): Record<string, string> => ({
  'involvedObject.kind': str(get(e, 'involvedObject', 'kind')),
  'involvedObject.namespace': str(get(e, 'involvedObject', 'namespace')),
  'involvedObject.name': str(get(e, 'involvedObject', 'name')),
  'involvedObject.uid': str(get(e, 'involvedObject', 'uid')),
  'involvedObject.apiVersion': str(get(e, 'involvedObject', 'apiVersion')),
  'involvedObject.resourceVersion': str(get(e, 'involvedObject', 'resourceVersion')),
  'involvedObject.fieldPath': str(get(e, 'involvedObject', 'fieldPath')),
  reason: str(e.reason),
  reportingComponent: str(e.reportingComponent),
  // `source` falls back to the reporting controller, as the event registry does.
  source: str(get(e, 'source', 'component')) || str(e.reportingComponent),
  type: str(e.type),
});

const SPECS: Record<string, FieldSpec> = {
  '/Pod': {
    labels: {
      ...same('spec.nodeName', 'spec.restartPolicy', 'spec.schedulerName', 'spec.serviceAccountName', 'spec.hostNetwork', 'status.phase', 'status.podIP', 'status.podIPs', 'status.nominatedNodeName'),
      // Old v1 clients send spec.host.
      'spec.host': 'spec.nodeName',
    },
    fields: (p) => ({
      'spec.nodeName': str(get(p, 'spec', 'nodeName')),
      'spec.restartPolicy': str(get(p, 'spec', 'restartPolicy')),
      'spec.schedulerName': str(get(p, 'spec', 'schedulerName')),
      'spec.serviceAccountName': str(get(p, 'spec', 'serviceAccountName')),
      'spec.hostNetwork': get(p, 'spec', 'hostNetwork') === true ? 'true' : 'false',
      'status.phase': str(get(p, 'status', 'phase')),
      // The first of status.podIPs, as the pod registry does.
      'status.podIP': str(get(p, 'status', 'podIPs', '0', 'ip')),
      'status.nominatedNodeName': str(get(p, 'status', 'nominatedNodeName')),
    }),
  },
  '/Event': {
    labels: same(
      'involvedObject.kind',
      'involvedObject.namespace',
      'involvedObject.name',
      'involvedObject.uid',
      'involvedObject.apiVersion',
      'involvedObject.resourceVersion',
      'involvedObject.fieldPath',
      'reason',
      'reportingComponent',
      'source',
      'type',
    ),
    fields: coreEventFields,
  },
  'events.k8s.io/Event': {
    // events.k8s.io/v1 names map onto the same selectable fields as core events.
    labels: {
      'regarding.kind': 'regarding.kind',
      'regarding.namespace': 'regarding.namespace',
      'regarding.name': 'regarding.name',
      'regarding.uid': 'regarding.uid',
      'regarding.apiVersion': 'regarding.apiVersion',
      'regarding.resourceVersion': 'regarding.resourceVersion',
      'regarding.fieldPath': 'regarding.fieldPath',
      reason: 'reason',
      reportingController: 'reportingController',
      type: 'type',
    },
    fields: (e) => ({
      'regarding.kind': str(get(e, 'regarding', 'kind')),
      'regarding.namespace': str(get(e, 'regarding', 'namespace')),
      'regarding.name': str(get(e, 'regarding', 'name')),
      'regarding.uid': str(get(e, 'regarding', 'uid')),
      'regarding.apiVersion': str(get(e, 'regarding', 'apiVersion')),
      'regarding.resourceVersion': str(get(e, 'regarding', 'resourceVersion')),
      'regarding.fieldPath': str(get(e, 'regarding', 'fieldPath')),
      reason: str(e.reason),
      reportingController: str(e.reportingController),
      type: str(e.type),
    }),
  },
  '/Secret': { labels: same('type'), fields: (s) => ({ type: str(s.type) }) },
  '/Namespace': { labels: same('status.phase'), fields: (n) => ({ 'status.phase': str(get(n, 'status', 'phase')) }) },
  '/Node': {
    labels: same('spec.unschedulable'),
    fields: (n) => ({ 'spec.unschedulable': get(n, 'spec', 'unschedulable') === true ? 'true' : 'false' }),
  },
  '/Service': {
    labels: same('spec.clusterIP', 'spec.type'),
    fields: (s) => ({ 'spec.clusterIP': str(get(s, 'spec', 'clusterIP')), 'spec.type': str(get(s, 'spec', 'type')) }),
  },
  'apps/ReplicaSet': {
    labels: same('status.replicas'),
    fields: (r) => ({ 'status.replicas': String(Number(get(r, 'status', 'replicas') ?? 0)) }),
  },
  'batch/Job': {
    labels: same('status.successful'),
    fields: (j) => ({ 'status.successful': String(Number(get(j, 'status', 'succeeded') ?? 0)) }),
  },
};

/** Identifies a kind: `group` ('' for core) and `kind`. */
export interface KindRef {
  group: string;
  kind: string;
  /** Namespaced kinds also expose `metadata.namespace`. */
  namespaced: boolean;
}

const specFor = (r: KindRef): FieldSpec | undefined => SPECS[`${r.group}/${r.kind}`];

/** The field labels a kind accepts in `fieldSelector` (always `metadata.name`, `metadata.namespace`). */
export function supportedFieldLabels(r: KindRef): string[] {
  return ['metadata.name', 'metadata.namespace', ...Object.keys(specFor(r)?.labels ?? {})];
}

/** The selectable field set of an object (`ToSelectableFields`). */
export function selectableFields(r: KindRef, obj: KubeObject): Record<string, string> {
  const fields: Record<string, string> = { 'metadata.name': obj.metadata?.name ?? '' };
  if (r.namespaced) fields['metadata.namespace'] = obj.metadata?.namespace ?? '';
  Object.assign(fields, specFor(r)?.fields(obj as Obj) ?? {});
  return fields;
}

/**
 * Parses a `fieldSelector` for a kind as the API server does: syntax errors and unsupported labels
 * become `400 BadRequest` (`field label not supported: foo`); aliases are rewritten.
 */
export function parseFieldSelectorFor(r: KindRef, selector: string): FieldSelector {
  let parsed: FieldSelector;
  try {
    parsed = parseFieldSelector(selector);
  } catch (e) {
    if (e instanceof FieldSelectorParseError) throw badRequest(e.message);
    throw e;
  }
  const labels = specFor(r)?.labels ?? {};
  const reqs = parsed.requirements.map((req) => {
    if (req.field === 'metadata.name' || req.field === 'metadata.namespace') return req;
    const mapped = labels[req.field];
    if (mapped === undefined) throw badRequest(`field label not supported: ${req.field}`);
    return { ...req, field: mapped };
  });
  return new AndSelector(reqs);
}

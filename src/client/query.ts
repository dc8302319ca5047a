/**
 * Request options as Kubernetes names them on the wire (metav1.ListOptions, GetOptions,
 * CreateOptions, PatchOptions, DeleteOptions), and their encoding into query parameters.
 * Selectors may be given as strings in Kubernetes syntax or as objects.
 */
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';

/** A label selector: `app=web,tier!=db`, a map of required labels, or a metav1.LabelSelector. */
export type LabelSelectorInput = string | Record<string, string> | LabelSelector;
/** A field selector: `spec.nodeName=node-1`, or a map of required field values. */
export type FieldSelectorInput = string | Record<string, string>;

export interface ListOptions {
  labelSelector?: LabelSelectorInput;
  fieldSelector?: FieldSelectorInput;
  /** `""` (default) = most recent (consistent read); `"0"` = any; else per resourceVersionMatch. */
  resourceVersion?: string;
  resourceVersionMatch?: 'NotOlderThan' | 'Exact';
  /** Page size. `list()` follows `continue` tokens until the list is complete. */
  limit?: number;
  continue?: string;
  /** Server-side timeout for the call. */
  timeoutSeconds?: number;
  signal?: AbortSignal;
  /**
   * Not sent: the caller takes the objects frozen and possibly shared with other readers in this
   * process, so a transport that passes values (in-process) need not copy them. Informers ask for
   * this; the objects they cache are frozen either way.
   */
  sharedObjects?: boolean;
}

export interface WatchOptions extends Omit<ListOptions, 'limit' | 'continue'> {
  /** Ask for BOOKMARK events (resourceVersion progress without object changes). */
  allowWatchBookmarks?: boolean;
  /** Ask for the current state as ADDED events first, ended by an initial-events-end bookmark. */
  sendInitialEvents?: boolean;
}

export interface WriteOptions {
  /** Manager recorded in managedFields; defaults to the client's fieldManager. */
  fieldManager?: string;
  /** Server-side dry run: validate and default, persist nothing. */
  dryRun?: boolean;
  fieldValidation?: 'Ignore' | 'Warn' | 'Strict';
  signal?: AbortSignal;
  /**
   * The caller only reads the returned object, or ignores it: an in-process transport may hand
   * over the server's frozen object instead of a copy (a status writer on every pod saves one deep
   * copy per write).
   */
  readOnlyResult?: boolean;
}

export interface PatchOptions extends WriteOptions {
  /** Server-side apply only: take ownership of conflicting fields. */
  force?: boolean;
}

export interface Preconditions {
  uid?: string;
  resourceVersion?: string;
}

/** metav1.DeleteOptions, sent as the DELETE body. */
export interface DeleteOptions {
  gracePeriodSeconds?: number;
  preconditions?: Preconditions;
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  dryRun?: boolean;
  signal?: AbortSignal;
}

/** Renders a label selector in Kubernetes string syntax (labels.Selector.String()). */
export function formatLabelSelector(sel: LabelSelectorInput | undefined): string {
  if (sel === undefined) return '';
  if (typeof sel === 'string') return sel;
  if (isLabelSelector(sel)) {
    const parts: string[] = [];
    for (const [k, v] of Object.entries(sel.matchLabels ?? {})) parts.push(`${k}=${v}`);
    for (const e of sel.matchExpressions ?? []) {
      const values = [...(e.values ?? [])].sort().join(',');
      switch (e.operator) {
        case 'In':
          parts.push(`${e.key} in (${values})`);
          break;
        case 'NotIn':
          parts.push(`${e.key} notin (${values})`);
          break;
        case 'Exists':
          parts.push(e.key);
          break;
        case 'DoesNotExist':
          parts.push(`!${e.key}`);
          break;
        default:
          throw new Error(`label selector operator ${JSON.stringify(e.operator)} is not one of In, NotIn, Exists, DoesNotExist`);
      }
    }
    return parts.join(',');
  }
  return Object.entries(sel)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

function isLabelSelector(sel: Record<string, unknown> | LabelSelector): sel is LabelSelector {
  const keys = Object.keys(sel);
  return keys.length > 0 && keys.every((k) => k === 'matchLabels' || k === 'matchExpressions') && typeof (sel as Record<string, unknown>)[keys[0] as string] === 'object';
}

/** Escapes a field selector value as fields.EscapeValue does (`\`, `,` and `=`). */
export function escapeFieldValue(v: string): string {
  return v.replace(/[\\,=]/g, (c) => `\\${c}`);
}

/** Renders a field selector in Kubernetes string syntax. */
export function formatFieldSelector(sel: FieldSelectorInput | undefined): string {
  if (sel === undefined) return '';
  if (typeof sel === 'string') return sel;
  return Object.entries(sel)
    .map(([k, v]) => `${k}=${escapeFieldValue(v)}`)
    .join(',');
}

/** Adds list/watch parameters to `q`. */
export function encodeListOptions(q: URLSearchParams, opts: ListOptions & WatchOptions): URLSearchParams {
  const labels = formatLabelSelector(opts.labelSelector);
  if (labels) q.set('labelSelector', labels);
  const fields = formatFieldSelector(opts.fieldSelector);
  if (fields) q.set('fieldSelector', fields);
  if (opts.resourceVersion !== undefined && opts.resourceVersion !== '') q.set('resourceVersion', opts.resourceVersion);
  if (opts.resourceVersionMatch) q.set('resourceVersionMatch', opts.resourceVersionMatch);
  if (opts.limit !== undefined && opts.limit > 0) q.set('limit', String(opts.limit));
  if (opts.continue) q.set('continue', opts.continue);
  if (opts.timeoutSeconds !== undefined) q.set('timeoutSeconds', String(opts.timeoutSeconds));
  if (opts.allowWatchBookmarks) q.set('allowWatchBookmarks', 'true');
  if (opts.sendInitialEvents !== undefined) q.set('sendInitialEvents', String(opts.sendInitialEvents));
  return q;
}

/** Adds create/update/patch parameters to `q`. */
export function encodeWriteOptions(q: URLSearchParams, opts: PatchOptions, defaultFieldManager: string | undefined): URLSearchParams {
  const manager = opts.fieldManager ?? defaultFieldManager;
  if (manager) q.set('fieldManager', manager);
  if (opts.dryRun) q.set('dryRun', 'All');
  if (opts.fieldValidation) q.set('fieldValidation', opts.fieldValidation);
  if (opts.force !== undefined) q.set('force', String(opts.force));
  return q;
}

/** The DeleteOptions body Kubernetes expects. */
export function deleteOptionsBody(opts: DeleteOptions): Record<string, unknown> {
  const body: Record<string, unknown> = { kind: 'DeleteOptions', apiVersion: 'v1' };
  if (opts.gracePeriodSeconds !== undefined) body['gracePeriodSeconds'] = opts.gracePeriodSeconds;
  if (opts.preconditions) body['preconditions'] = opts.preconditions;
  if (opts.propagationPolicy) body['propagationPolicy'] = opts.propagationPolicy;
  if (opts.dryRun) body['dryRun'] = ['All'];
  return body;
}

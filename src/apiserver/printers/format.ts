/**
 * Cell formatting helpers shared by the printers, each reproducing the Kubernetes function the
 * upstream printers call: `labels.FormatLabels`, `metav1.FormatLabelSelector`,
 * `LabelSelectorAsSelector(...).String()`, `layoutContainerCells`, `net.JoinHostPort`,
 * `GetAccessModesAsString` and the "+ N more..." lists.
 */
import type { LabelSelector, LabelSelectorRequirement } from 'kubernetes-types/meta/v1.js';
import type { TableColumnDefinition } from './types.js';
import { FIELD_DOCS, type FieldDocKey } from './field-docs.js';

/** What Kubernetes prints for an empty label set or selector. */
export const NONE = '<none>';

/** Builds a column definition; `doc` is either a field-doc key or a literal description. */
export function column(
  name: string,
  type: string,
  doc: FieldDocKey | { text: string },
  opts: { priority?: number; format?: string } = {},
): TableColumnDefinition {
  return {
    name,
    type,
    format: opts.format ?? '',
    description: typeof doc === 'string' ? FIELD_DOCS[doc] : doc.text,
    priority: opts.priority ?? 0,
  };
}

/** The Name column every printer starts with (format `name`, as kubectl expects). */
export const NAME_COLUMN = column('Name', 'string', 'ObjectMeta.name', { format: 'name' });
/** The Age column (creation timestamp as a human duration). */
export const AGE_COLUMN = column('Age', 'string', 'ObjectMeta.creationTimestamp');

/** `k=v,k2=v2` with keys sorted, or `<none>` (`labels.FormatLabels`). */
export function formatLabels(labels: Record<string, string> | undefined | null): string {
  if (!labels) return NONE;
  const keys = Object.keys(labels);
  if (keys.length === 0) return NONE;
  keys.sort(compareStrings);
  let out = '';
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as string;
    out += (i === 0 ? '' : ',') + k + '=' + labels[k];
  }
  return out;
}

/**
 * The string form of a label selector as `LabelSelectorAsSelector(s).String()`: requirements
 * sorted by key, `k=v`, `k in (a,b)`, `k notin (a,b)`, `k`, `!k`, with In/NotIn values sorted.
 * Returns `''` for a nil or empty selector and `undefined` for an invalid one.
 */
export function selectorString(sel: LabelSelector | undefined | null): string | undefined {
  if (!sel) return '';
  const reqs: Array<{ key: string; text: string }> = [];
  const ml = sel.matchLabels;
  if (ml) for (const k of Object.keys(ml)) reqs.push({ key: k, text: `${k}=${ml[k]}` });
  for (const expr of sel.matchExpressions ?? []) {
    const text = requirementString(expr);
    if (text === undefined) return undefined;
    reqs.push({ key: expr.key, text });
  }
  if (reqs.length === 0) return '';
  if (reqs.length === 1) return (reqs[0] as { text: string }).text;
  reqs.sort((a, b) => compareStrings(a.key, b.key));
  return reqs.map((r) => r.text).join(',');
}

function requirementString(expr: LabelSelectorRequirement): string | undefined {
  const values = expr.values ?? [];
  switch (expr.operator) {
    case 'In':
    case 'NotIn': {
      // Kubernetes rejects set operators without values (LabelSelectorAsSelector errors).
      if (values.length === 0) return undefined;
      const op = expr.operator === 'In' ? ' in ' : ' notin ';
      const list = values.length === 1 ? values[0] : [...values].sort(compareStrings).join(',');
      return `${expr.key}${op}(${list})`;
    }
    case 'Exists':
      return values.length === 0 ? expr.key : undefined;
    case 'DoesNotExist':
      return values.length === 0 ? `!${expr.key}` : undefined;
    default:
      return undefined;
  }
}

/** `metav1.FormatLabelSelector`: the selector string, `<none>` when empty, `<error>` when invalid. */
export function formatLabelSelector(sel: LabelSelector | undefined | null): string {
  const s = selectorString(sel);
  if (s === undefined) return '<error>';
  return s === '' ? NONE : s;
}

/** Container names and images, comma-joined, for the wide CONTAINERS and IMAGES columns. */
export function containerCells(containers: ReadonlyArray<{ name: string; image?: string }> | undefined): [string, string] {
  if (!containers || containers.length === 0) return ['', ''];
  let names = '';
  let images = '';
  for (let i = 0; i < containers.length; i++) {
    const c = containers[i] as { name: string; image?: string };
    if (i > 0) {
      names += ',';
      images += ',';
    }
    names += c.name;
    images += c.image ?? '';
  }
  return [names, images];
}

/** `net.JoinHostPort`: IPv6 hosts are bracketed. */
export function joinHostPort(host: string, port: number | string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * The first `max` items joined by commas, then ` + N more...` for the rest (Kubernetes'
 * `listWithMoreString`); `empty` when there are none.
 */
export function listWithMore(list: string[], total: number, max: number, empty: string): string {
  const joined = list.join(',');
  if (total > max) return `${joined} + ${total - max} more...`;
  return joined === '' ? empty : joined;
}

const ACCESS_MODE_ABBREVIATIONS: ReadonlyArray<[string, string]> = [
  ['ReadWriteOnce', 'RWO'],
  ['ReadOnlyMany', 'ROX'],
  ['ReadWriteMany', 'RWX'],
  ['ReadWriteOncePod', 'RWOP'],
];

/** `RWO,ROX,RWX,RWOP` in that fixed order, duplicates removed (`GetAccessModesAsString`). */
export function accessModesString(modes: readonly string[] | undefined): string {
  if (!modes || modes.length === 0) return '';
  const out: string[] = [];
  for (const [mode, abbr] of ACCESS_MODE_ABBREVIATIONS) if (modes.includes(mode)) out.push(abbr);
  return out.join(',');
}

/** `True`/`False`, or `<unset>` for an absent pointer (`printBoolPtr`). */
export function boolPtrString(v: boolean | undefined | null): string {
  if (v === undefined || v === null) return '<unset>';
  return v ? 'True' : 'False';
}

/** Byte-wise string order, as Go's `sort.Strings`. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

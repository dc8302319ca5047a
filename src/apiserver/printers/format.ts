/**
 * Cell formatting helpers shared by the printers, each reproducing the Kubernetes function the
 * upstream printers call: `labels.FormatLabels`, `metav1.FormatLabelSelector` (both on top of
 * api/labels), `layoutContainerCells`, `net.JoinHostPort`, `GetAccessModesAsString` and the
 * "+ N more..." lists.
 */
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import { formatLabelSelector as formatSelectorOrError, formatLabels as labelSetString, labelSelectorAsSelector } from '../../api/labels.js';
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
  // Frozen: printers share their column definitions with every table they print.
  return Object.freeze({
    name,
    type,
    format: opts.format ?? '',
    description: typeof doc === 'string' ? FIELD_DOCS[doc] : doc.text,
    priority: opts.priority ?? 0,
  });
}

/** The Name column every printer starts with (format `name`, as kubectl expects). */
export const NAME_COLUMN = column('Name', 'string', 'ObjectMeta.name', { format: 'name' });
/** The Age column (creation timestamp as a human duration). */
export const AGE_COLUMN = column('Age', 'string', 'ObjectMeta.creationTimestamp');

/** `k=v,k2=v2` with keys sorted, or `<none>` (`labels.FormatLabels`). */
export function formatLabels(labels: Record<string, string> | undefined | null): string {
  return labelSetString(labels) || NONE;
}

/**
 * `metav1.FormatLabelSelector`: the canonical selector string, `<none>` when nil or empty,
 * `<error>` when it does not convert to a selector.
 */
export function formatLabelSelector(sel: LabelSelector | undefined | null): string {
  return formatSelectorOrError(sel);
}

/**
 * `LabelSelectorAsSelector(sel).String()`: the canonical selector string, `''` for a nil or
 * empty selector, `undefined` when it does not convert.
 */
export function selectorString(sel: LabelSelector | undefined | null): string | undefined {
  try {
    return labelSelectorAsSelector(sel).toString();
  } catch {
    return undefined;
  }
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

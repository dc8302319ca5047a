/**
 * Node selectors and node affinity, compiled once and matched many times, with the semantics of
 * k8s.io/component-helpers/scheduling/corev1/nodeaffinity:
 *
 * - `spec.nodeSelector`: every key=value must be a node label;
 * - required node affinity: terms are ORed, requirements inside a term ANDed; an empty term selects
 *   nothing; a term that does not parse (bad operator, wrong value count, non-integer Gt/Lt)
 *   matches nothing while the other terms still count (LazyErrorNodeSelector);
 * - `matchFields` knows only `metadata.name` with In/NotIn and exactly one value (DaemonSet pods
 *   pin themselves to a node this way);
 * - preferred terms add their weight when they match; empty or zero-weight terms are skipped.
 */
import type { NodeSelector, NodeSelectorRequirement, NodeSelectorTerm, PodSpec, PreferredSchedulingTerm } from 'kubernetes-types/core/v1.js';

/** The only field a node selector's matchFields may name. */
export const NODE_FIELD_NAME = 'metadata.name';

type Labels = Readonly<Record<string, string>> | undefined;
type Predicate = (labels: Labels, nodeName: string) => boolean;

const MATCH_NOTHING: Predicate = () => false;

function parseInteger(v: string): bigint | undefined {
  return /^[+-]?\d+$/.test(v) ? BigInt(v) : undefined;
}

/** One matchExpressions requirement, or undefined when it does not parse. */
function labelRequirement(r: NodeSelectorRequirement): Predicate | undefined {
  const key = r.key;
  const values = r.values ?? [];
  switch (r.operator) {
    case 'In': {
      if (values.length === 0) return undefined;
      const set = new Set(values);
      return (l) => l !== undefined && Object.prototype.hasOwnProperty.call(l, key) && set.has(l[key] as string);
    }
    case 'NotIn': {
      if (values.length === 0) return undefined;
      const set = new Set(values);
      return (l) => l === undefined || !Object.prototype.hasOwnProperty.call(l, key) || !set.has(l[key] as string);
    }
    case 'Exists':
      if (values.length !== 0) return undefined;
      return (l) => l !== undefined && Object.prototype.hasOwnProperty.call(l, key);
    case 'DoesNotExist':
      if (values.length !== 0) return undefined;
      return (l) => l === undefined || !Object.prototype.hasOwnProperty.call(l, key);
    case 'Gt':
    case 'Lt': {
      if (values.length !== 1) return undefined;
      const bound = parseInteger(values[0] as string);
      if (bound === undefined) return undefined;
      const gt = r.operator === 'Gt';
      return (l) => {
        const raw = l?.[key];
        if (raw === undefined || !Object.prototype.hasOwnProperty.call(l, key)) return false;
        const v = parseInteger(raw);
        if (v === undefined) return false;
        return gt ? v > bound : v < bound;
      };
    }
    default:
      return undefined;
  }
}

/** One matchFields requirement (metadata.name In/NotIn one value), or undefined when invalid. */
function fieldRequirement(r: NodeSelectorRequirement): Predicate | undefined {
  if (r.key !== NODE_FIELD_NAME) return undefined;
  const values = r.values ?? [];
  if (values.length !== 1) return undefined;
  const name = values[0] as string;
  if (r.operator === 'In') return (_l, n) => n === name;
  if (r.operator === 'NotIn') return (_l, n) => n !== name;
  return undefined;
}

function isEmptyTerm(t: NodeSelectorTerm | undefined): boolean {
  return !t || ((t.matchExpressions ?? []).length === 0 && (t.matchFields ?? []).length === 0);
}

/** Compiles one term; an unparsable term matches nothing. */
function compileTerm(t: NodeSelectorTerm): Predicate {
  const preds: Predicate[] = [];
  for (const r of t.matchExpressions ?? []) {
    const p = labelRequirement(r);
    if (!p) return MATCH_NOTHING;
    preds.push(p);
  }
  for (const r of t.matchFields ?? []) {
    const p = fieldRequirement(r);
    if (!p) return MATCH_NOTHING;
    preds.push(p);
  }
  if (preds.length === 1) return preds[0] as Predicate;
  return (l, n) => {
    for (const p of preds) if (!p(l, n)) return false;
    return true;
  };
}

/** A compiled NodeSelector (terms ORed). */
export function compileNodeSelector(ns: NodeSelector | undefined): Predicate {
  const terms = (ns?.nodeSelectorTerms ?? []).filter((t) => !isEmptyTerm(t)).map(compileTerm);
  if (terms.length === 0) return MATCH_NOTHING;
  if (terms.length === 1) return terms[0] as Predicate;
  return (l, n) => {
    for (const t of terms) if (t(l, n)) return true;
    return false;
  };
}

/** Whether a node with `labels` and `name` satisfies `selector`. */
export function nodeSelectorMatches(selector: NodeSelector | undefined, labels: Labels, name: string): boolean {
  return compileNodeSelector(selector)(labels, name);
}

/**
 * GetRequiredNodeAffinity: `spec.nodeSelector` AND the required node affinity. Returns undefined
 * when the pod has neither (every node matches).
 */
export function compileRequiredNodeAffinity(spec: PodSpec | undefined): Predicate | undefined {
  const selector = Object.entries(spec?.nodeSelector ?? {});
  const required = spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (selector.length === 0 && !required) return undefined;
  const affinity = required ? compileNodeSelector(required) : undefined;
  return (l, n) => {
    for (const [k, v] of selector) if (l?.[k] !== v || !Object.prototype.hasOwnProperty.call(l, k)) return false;
    return affinity ? affinity(l, n) : true;
  };
}

/** The sum of weights of matching preferred terms (NodeAffinity's raw score), or undefined if there are none. */
export function compilePreferredNodeAffinity(terms: readonly PreferredSchedulingTerm[] | undefined): ((labels: Labels, name: string) => number) | undefined {
  const compiled: Array<{ weight: number; match: Predicate }> = [];
  for (const t of terms ?? []) {
    if (!t.weight || isEmptyTerm(t.preference)) continue;
    compiled.push({ weight: t.weight, match: compileTerm(t.preference) });
  }
  if (compiled.length === 0) return undefined;
  return (l, n) => {
    let sum = 0;
    for (const c of compiled) if (c.match(l, n)) sum += c.weight;
    return sum;
  };
}

/**
 * The node names a required node affinity pins the pod to through `matchFields metadata.name In`
 * (NodeAffinity PreFilter): undefined when some term allows any node; an empty set when the terms
 * conflict. DaemonSet pods carry exactly one such term.
 */
export function requiredNodeNames(spec: PodSpec | undefined): Set<string> | undefined {
  const terms = spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (!terms || terms.length === 0) return undefined;
  let names: Set<string> | undefined;
  for (const t of terms) {
    let termNames: Set<string> | undefined;
    for (const r of t.matchFields ?? []) {
      if (r.key !== NODE_FIELD_NAME || r.operator !== 'In') continue;
      const s = new Set(r.values ?? []);
      termNames = termNames ? new Set([...termNames].filter((n) => s.has(n))) : s;
    }
    // A term without a name restriction admits every node: terms are ORed.
    if (!termNames) return undefined;
    names = names ? new Set([...names, ...termNames]) : termNames;
  }
  return names;
}

/**
 * The node-fit checks the DaemonSet controller simulates for each node (the scheduler's own
 * NodeAffinity and TaintToleration filters, as component-helpers and v1helper implement them):
 * `nodeSelector`, required node affinity (`matchExpressions` on labels, `matchFields` on
 * `metadata.name`), and taints against tolerations.
 */
import type { Node, NodeSelectorRequirement, NodeSelectorTerm, Pod, Taint, Toleration } from 'kubernetes-types/core/v1.js';

/** The only field `matchFields` may select on (metav1.ObjectNameField). */
export const NODE_NAME_FIELD = 'metadata.name';

/** Go's strconv.ParseInt base 10, 64-bit: a strict integer, or undefined. */
function parseInt64(s: string): bigint | undefined {
  if (!/^[+-]?\d+$/.test(s)) return undefined;
  const v = BigInt(s);
  return v > 9223372036854775807n || v < -9223372036854775808n ? undefined : v;
}

/**
 * One requirement against a value (`undefined` = key absent). Malformed requirements (Gt with two
 * values, a non-integer bound) match nothing, as Kubernetes' parse errors make the term fail.
 */
function requirementMatches(req: NodeSelectorRequirement, present: boolean, value: string | undefined): boolean {
  const values = req.values ?? [];
  switch (req.operator) {
    case 'In':
      return present && values.includes(value ?? '');
    case 'NotIn':
      return !present || !values.includes(value ?? '');
    case 'Exists':
      return present;
    case 'DoesNotExist':
      return !present;
    case 'Gt':
    case 'Lt': {
      if (!present || values.length !== 1) return false;
      const bound = parseInt64(values[0]!);
      const actual = parseInt64(value ?? '');
      if (bound === undefined || actual === undefined) return false;
      return req.operator === 'Gt' ? actual > bound : actual < bound;
    }
    default:
      return false;
  }
}

/**
 * A node selector term: every expression on the node's labels and every field requirement on its
 * name must hold. A term with neither matches no node.
 */
export function nodeSelectorTermMatches(term: NodeSelectorTerm, node: Node): boolean {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false;
  const labels = node.metadata?.labels ?? {};
  for (const e of exprs) {
    if (!requirementMatches(e, Object.prototype.hasOwnProperty.call(labels, e.key), labels[e.key])) return false;
  }
  for (const f of fields) {
    if (f.key !== NODE_NAME_FIELD) return false;
    if (f.operator !== 'In' && f.operator !== 'NotIn') return false;
    if (!requirementMatches(f, true, node.metadata?.name ?? '')) return false;
  }
  return true;
}

/** Terms are ORed: the node must match at least one. */
export function nodeSelectorTermsMatch(terms: readonly NodeSelectorTerm[], node: Node): boolean {
  return terms.some((t) => nodeSelectorTermMatches(t, node));
}

/**
 * GetRequiredNodeAffinity(pod).Match(node): `spec.nodeSelector` (every label equal) and the
 * required node affinity terms, when present.
 */
export function podMatchesNodeAffinity(pod: Pod, node: Node): boolean {
  const labels = node.metadata?.labels ?? {};
  for (const [k, v] of Object.entries(pod.spec?.nodeSelector ?? {})) {
    if (labels[k] !== v) return false;
  }
  const required = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (required) return nodeSelectorTermsMatch(required.nodeSelectorTerms ?? [], node);
  return true;
}

/** Toleration.ToleratesTaint: effect and key (when set) must agree; Exists ignores the value. */
export function toleratesTaint(toleration: Toleration, taint: Taint): boolean {
  if (toleration.effect && toleration.effect !== taint.effect) return false;
  if (toleration.key && toleration.key !== taint.key) return false;
  switch (toleration.operator ?? '') {
    case '':
    case 'Equal':
      return (toleration.value ?? '') === (taint.value ?? '');
    case 'Exists':
      return true;
    default:
      return false;
  }
}

/** The first taint passing `filter` that no toleration tolerates (v1helper.FindMatchingUntoleratedTaint). */
export function findUntoleratedTaint(taints: readonly Taint[] | undefined, tolerations: readonly Toleration[] | undefined, filter: (t: Taint) => boolean): Taint | undefined {
  for (const taint of taints ?? []) {
    if (!filter(taint)) continue;
    if (!(tolerations ?? []).some((tol) => toleratesTaint(tol, taint))) return taint;
  }
  return undefined;
}

/**
 * Toleration.MatchToleration: the same toleration identity (key, operator, value, effect) —
 * AddOrUpdateTolerationInPodSpec replaces such a toleration rather than adding a second one.
 */
export function sameToleration(a: Toleration, b: Toleration): boolean {
  return (a.key ?? '') === (b.key ?? '') && (a.effect ?? '') === (b.effect ?? '') && (a.operator ?? '') === (b.operator ?? '') && (a.value ?? '') === (b.value ?? '');
}

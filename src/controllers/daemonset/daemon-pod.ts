/**
 * How a DaemonSet's pods look and how the controller reads them back (Kubernetes'
 * pkg/controller/daemon/util): the default tolerations every daemon pod carries, the labels
 * `controller-revision-hash` and `pod-template-generation`, the required node affinity term
 * `metadata.name In [<node>]` that pins an unscheduled pod to its node, and which node a pod is
 * meant for.
 */
import type { DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { Affinity, Node, Pod, PodSpec, PodTemplateSpec, Toleration } from 'kubernetes-types/core/v1.js';
import { compileRequiredNodeAffinity, NODE_FIELD_NAME } from '../../api/node-affinity.js';
import {
  findUntoleratedTaint,
  TAINT_NODE_DISK_PRESSURE,
  TAINT_NODE_MEMORY_PRESSURE,
  TAINT_NODE_NETWORK_UNAVAILABLE,
  TAINT_NODE_NOT_READY,
  TAINT_NODE_PID_PRESSURE,
  TAINT_NODE_UNREACHABLE,
  TAINT_NODE_UNSCHEDULABLE,
} from '../../api/taints.js';

/** Pod label with the hash of the DaemonSet revision it was made from (DefaultDaemonSetUniqueLabelKey). */
export const DAEMONSET_REVISION_HASH_LABEL = 'controller-revision-hash';
/** Pod label with the DaemonSet template generation (DaemonSetTemplateGenerationKey). */
export const POD_TEMPLATE_GENERATION_LABEL = 'pod-template-generation';
/** Where apps/v1 keeps the DaemonSet template generation. */
export const TEMPLATE_GENERATION_ANNOTATION = 'deprecated.daemonset.template.generation';

/**
 * Toleration.MatchToleration: the same toleration identity (key, operator, value, effect) —
 * AddOrUpdateTolerationInPodSpec replaces such a toleration rather than adding a second one.
 */
export function sameToleration(a: Toleration, b: Toleration): boolean {
  return (a.key ?? '') === (b.key ?? '') && (a.effect ?? '') === (b.effect ?? '') && (a.operator ?? '') === (b.operator ?? '') && (a.value ?? '') === (b.value ?? '');
}

/**
 * The tolerations every daemon pod gets (util.AddOrUpdateDaemonPodTolerations), with no
 * tolerationSeconds, so node problems never evict a daemon pod and cordoned or pressured nodes
 * still run one. Host-network pods also tolerate an unconfigured network.
 */
export function daemonTolerations(hostNetwork: boolean): Toleration[] {
  const t: Toleration[] = [
    { key: TAINT_NODE_NOT_READY, operator: 'Exists', effect: 'NoExecute' },
    { key: TAINT_NODE_UNREACHABLE, operator: 'Exists', effect: 'NoExecute' },
    { key: TAINT_NODE_DISK_PRESSURE, operator: 'Exists', effect: 'NoSchedule' },
    { key: TAINT_NODE_MEMORY_PRESSURE, operator: 'Exists', effect: 'NoSchedule' },
    { key: TAINT_NODE_PID_PRESSURE, operator: 'Exists', effect: 'NoSchedule' },
    { key: TAINT_NODE_UNSCHEDULABLE, operator: 'Exists', effect: 'NoSchedule' },
  ];
  if (hostNetwork) t.push({ key: TAINT_NODE_NETWORK_UNAVAILABLE, operator: 'Exists', effect: 'NoSchedule' });
  return t;
}

/**
 * Adds the daemon tolerations to `spec` in place (AddOrUpdateTolerationInPodSpec): a toleration
 * with the same key/operator/value/effect is replaced (dropping a tolerationSeconds the user set),
 * otherwise appended.
 */
export function addDaemonTolerations(spec: PodSpec): void {
  const tolerations = [...(spec.tolerations ?? [])];
  for (const want of daemonTolerations(spec.hostNetwork === true)) {
    const i = tolerations.findIndex((t) => sameToleration(t, want));
    if (i < 0) tolerations.push(want);
    else tolerations[i] = want;
  }
  spec.tolerations = tolerations;
}

/** The template generation from the DaemonSet's annotation (undefined if absent or unparsable). */
export function templateGeneration(ds: DaemonSet): number | undefined {
  const raw = ds.metadata?.annotations?.[TEMPLATE_GENERATION_ANNOTATION];
  if (raw === undefined || !/^-?\d+$/.test(raw)) return undefined;
  return Number(raw);
}

/**
 * The template pods are created from (util.CreatePodTemplate): the DaemonSet's template plus the
 * daemon tolerations and the generation and revision-hash labels.
 */
export function daemonPodTemplate(template: PodTemplateSpec, generation: number | undefined, hash: string): PodTemplateSpec {
  const t = structuredClone(template);
  t.spec ??= { containers: [] };
  addDaemonTolerations(t.spec);
  const labels = { ...(t.metadata?.labels ?? {}) };
  if (generation !== undefined) labels[POD_TEMPLATE_GENERATION_LABEL] = String(generation);
  if (hash) labels[DAEMONSET_REVISION_HASH_LABEL] = hash;
  t.metadata = { ...(t.metadata ?? {}), labels };
  return t;
}

/**
 * Replaces the required node affinity with the single term `metadata.name In [<node>]`
 * (util.ReplaceDaemonSetPodNodeNameNodeAffinity). Preferred terms and pod (anti-)affinity stay.
 * The replaced terms were already checked by the controller against the node.
 */
export function pinToNode(affinity: Affinity | undefined, nodeName: string): Affinity {
  const term = { matchFields: [{ key: NODE_FIELD_NAME, operator: 'In', values: [nodeName] }] };
  const a: Affinity = structuredClone(affinity ?? {});
  a.nodeAffinity = { ...(a.nodeAffinity ?? {}), requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [term] } };
  return a;
}

/**
 * The node a daemon pod is for (util.GetTargetNodeName): `spec.nodeName` once bound, else the
 * single value of a `metadata.name In` field requirement. Undefined if neither is there.
 */
export function targetNodeName(pod: Pod): string | undefined {
  if (pod.spec?.nodeName) return pod.spec.nodeName;
  const terms = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  for (const term of terms) {
    for (const f of term.matchFields ?? []) {
      if (f.key === NODE_FIELD_NAME && f.operator === 'In') return f.values?.length === 1 ? f.values[0] : undefined;
    }
  }
  return undefined;
}

/** Whether a pod is at the DaemonSet's current revision (util.IsPodUpdated): hash or generation. */
export function isPodUpdated(pod: Pod, hash: string, generation: number | undefined): boolean {
  const labels = pod.metadata?.labels ?? {};
  const generationMatches = generation !== undefined && labels[POD_TEMPLATE_GENERATION_LABEL] === String(generation);
  const hashMatches = hash.length > 0 && labels[DAEMONSET_REVISION_HASH_LABEL] === hash;
  return hashMatches || generationMatches;
}

/**
 * Oldest first (podByCreationTimestampAndPhase): scheduled pods before unscheduled ones, then by
 * creationTimestamp, then by name.
 */
export function compareDaemonPods(a: Pod, b: Pod): number {
  const sa = a.spec?.nodeName ? 0 : 1;
  const sb = b.spec?.nodeName ? 0 : 1;
  if (sa !== sb) return sa - sb;
  const ta = Date.parse(a.metadata?.creationTimestamp ?? '') || 0;
  const tb = Date.parse(b.metadata?.creationTimestamp ?? '') || 0;
  if (ta !== tb) return ta - tb;
  const na = a.metadata?.name ?? '';
  const nb = b.metadata?.name ?? '';
  return na < nb ? -1 : na > nb ? 1 : 0;
}

export interface NodeFit {
  /** A daemon pod should be started on the node if it has none. */
  shouldRun: boolean;
  /** A daemon pod already there may stay (only an untolerated NoExecute taint evicts it). */
  shouldContinueRunning: boolean;
}

/**
 * NodeShouldRunDaemonPod: simulates the daemon pod (template + daemon tolerations, bound to the
 * node) against the template's nodeName, node selector, required node affinity and the node's
 * taints. Resources are the scheduler's business, not the controller's.
 */
export function nodeShouldRunDaemonPod(node: Node, ds: DaemonSet): NodeFit {
  return daemonNodeFitter(ds)(node);
}

/**
 * nodeShouldRunDaemonPod with the simulated pod built once, for checking one DaemonSet against
 * every node of a large cluster.
 */
export function daemonNodeFitter(ds: DaemonSet): (node: Node) => NodeFit {
  const template = ds.spec?.template;
  const wantNode = template?.spec?.nodeName;
  const spec: PodSpec = { ...(template?.spec ?? { containers: [] }), tolerations: [...(template?.spec?.tolerations ?? [])] };
  addDaemonTolerations(spec);
  const affinity = compileRequiredNodeAffinity(spec);
  const tolerations = spec.tolerations;
  return (node) => {
    if (wantNode && wantNode !== node.metadata?.name) return { shouldRun: false, shouldContinueRunning: false };
    if (affinity && !affinity(node.metadata?.labels, node.metadata?.name ?? '')) return { shouldRun: false, shouldContinueRunning: false };
    const taints = node.spec?.taints;
    if (!taints || taints.length === 0) return { shouldRun: true, shouldContinueRunning: true };
    const blocking = findUntoleratedTaint(taints, tolerations, (t) => t.effect === 'NoExecute' || t.effect === 'NoSchedule');
    if (!blocking) return { shouldRun: true, shouldContinueRunning: true };
    // A running daemon pod survives NoSchedule taints; only an untolerated NoExecute evicts it.
    const evicting = findUntoleratedTaint(taints, tolerations, (t) => t.effect === 'NoExecute');
    return { shouldRun: false, shouldContinueRunning: !evicting };
  };
}

/**
 * Pods: SetDefaults_Pod/PodSpec, the admission plugins that shape every new pod (ServiceAccount's
 * default account, Priority, DefaultTolerationSeconds), the create-time status (Pending + QoS
 * class), the pod update rules and, as in v1.33, `metadata.generation` bumped on spec changes.
 */
import type { Pod, PodSpec, Toleration } from 'kubernetes-types/core/v1.js';
import type { FieldError } from '../../api/errors.js';
import { clone, type KubeObject } from '../../api/object.js';
import type { ResourceInfo } from '../../api/resources.js';
import { Quantity } from '../../api/quantity.js';
import { validatePod, validatePodStatusUpdate, validatePodUpdate } from '../../api/validation/pod.js';
import { BaseStrategy, as } from './base.js';
import { defaultPodOnly, defaultPodSpec } from './defaults/pod-spec.js';
import { canonicalizeQuantityMap, canonicalizeQuantityField } from './defaults/decode.js';

/** DefaultTolerationSeconds admission: how long pods tolerate not-ready/unreachable nodes. */
export const DEFAULT_NOT_READY_TOLERATION_SECONDS = 300;
export const DEFAULT_UNREACHABLE_TOLERATION_SECONDS = 300;
export const TAINT_NODE_NOT_READY = 'node.kubernetes.io/not-ready';
export const TAINT_NODE_UNREACHABLE = 'node.kubernetes.io/unreachable';

/** Canonicalises every quantity in a pod spec (resources, overhead, emptyDir limits, divisors). */
export function canonicalizePodSpecQuantities(spec: PodSpec | undefined, obj: KubeObject, kind: string): void {
  if (!spec) return;
  for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? []), ...(spec.ephemeralContainers ?? [])]) {
    canonicalizeQuantityMap(c.resources?.limits as Record<string, unknown> | undefined, obj, kind);
    canonicalizeQuantityMap(c.resources?.requests as Record<string, unknown> | undefined, obj, kind);
    for (const e of c.env ?? []) canonicalizeQuantityField(e.valueFrom?.resourceFieldRef as Record<string, unknown> | undefined, 'divisor', obj, kind);
  }
  canonicalizeQuantityMap(spec.overhead as Record<string, unknown> | undefined, obj, kind);
  for (const v of spec.volumes ?? []) {
    canonicalizeQuantityField(v.emptyDir as Record<string, unknown> | undefined, 'sizeLimit', obj, kind);
    for (const item of v.downwardAPI?.items ?? []) canonicalizeQuantityField(item.resourceFieldRef as Record<string, unknown> | undefined, 'divisor', obj, kind);
  }
}

/** qos.ComputePodQOS: Guaranteed, Burstable or BestEffort from cpu/memory requests and limits. */
export function computePodQOS(spec: PodSpec | undefined): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const requests = new Map<string, Quantity>();
  const limits = new Map<string, Quantity>();
  let guaranteed = true;
  const add = (m: Map<string, Quantity>, k: string, q: Quantity) => m.set(k, (m.get(k) ?? Quantity.ZERO).add(q));
  for (const c of [...(spec?.containers ?? []), ...(spec?.initContainers ?? [])]) {
    for (const [k, v] of Object.entries((c.resources?.requests ?? {}) as Record<string, string>)) {
      if (k !== 'cpu' && k !== 'memory') continue;
      const q = Quantity.tryParse(v);
      if (q && q.sign() > 0) add(requests, k, q);
    }
    const found = new Set<string>();
    for (const [k, v] of Object.entries((c.resources?.limits ?? {}) as Record<string, string>)) {
      if (k !== 'cpu' && k !== 'memory') continue;
      const q = Quantity.tryParse(v);
      if (q && q.sign() > 0) {
        found.add(k);
        add(limits, k, q);
      }
    }
    if (!found.has('cpu') || !found.has('memory')) guaranteed = false;
  }
  if (requests.size === 0 && limits.size === 0) return 'BestEffort';
  if (guaranteed) {
    for (const [k, req] of requests) {
      const lim = limits.get(k);
      if (!lim || lim.cmp(req) !== 0) {
        guaranteed = false;
        break;
      }
    }
  }
  return guaranteed && requests.size === limits.size ? 'Guaranteed' : 'Burstable';
}

/** Server options that shape new pods (admission flags of kube-apiserver). */
export interface PodStrategyOptions {
  /** --default-not-ready-toleration-seconds (300). */
  defaultNotReadyTolerationSeconds?: number;
  /** --default-unreachable-toleration-seconds (300). */
  defaultUnreachableTolerationSeconds?: number;
}

/** DefaultTolerationSeconds: tolerate not-ready/unreachable nodes for 5 minutes unless told otherwise. */
export function addDefaultTolerations(spec: PodSpec, opts: PodStrategyOptions = {}): void {
  const tolerations: Toleration[] = spec.tolerations ?? [];
  const covers = (key: string) => tolerations.some((t) => (t.key === key || !t.key) && (t.effect === 'NoExecute' || !t.effect));
  const add: Toleration[] = [];
  const notReady = opts.defaultNotReadyTolerationSeconds ?? DEFAULT_NOT_READY_TOLERATION_SECONDS;
  const unreachable = opts.defaultUnreachableTolerationSeconds ?? DEFAULT_UNREACHABLE_TOLERATION_SECONDS;
  if (!covers(TAINT_NODE_NOT_READY)) add.push({ key: TAINT_NODE_NOT_READY, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: notReady });
  if (!covers(TAINT_NODE_UNREACHABLE)) add.push({ key: TAINT_NODE_UNREACHABLE, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: unreachable });
  if (add.length) spec.tolerations = [...tolerations, ...add];
}

/**
 * preserveOldObservedGeneration (v1.33): a status write that leaves `observedGeneration` unset,
 * on the status or on a condition, keeps the stored value (conditions matched by type, in order).
 */
function preserveObservedGeneration(
  status: { observedGeneration?: number; conditions?: Array<{ type: string; observedGeneration?: number }> },
  old: { observedGeneration?: number; conditions?: Array<{ type: string; observedGeneration?: number }> } | undefined,
): void {
  if (!status.observedGeneration && old?.observedGeneration) status.observedGeneration = old.observedGeneration;
  const oldByType = new Map<string, number[]>();
  for (const c of old?.conditions ?? []) oldByType.set(c.type, [...(oldByType.get(c.type) ?? []), c.observedGeneration ?? 0]);
  for (const c of status.conditions ?? []) {
    const gens = oldByType.get(c.type) ?? [];
    const prev = gens.shift() ?? 0;
    if (!c.observedGeneration && prev) c.observedGeneration = prev;
  }
}

export class PodStrategy extends BaseStrategy {
  protected override readonly tracksGeneration = true;

  constructor(
    info: ResourceInfo,
    private readonly options: PodStrategyOptions = {},
  ) {
    super(info);
  }

  override applyDefaults(obj: KubeObject): void {
    const pod = as<Pod>(obj);
    const spec = (pod.spec ??= { containers: [] });
    canonicalizePodSpecQuantities(spec, obj, 'Pod');
    defaultPodSpec(spec);
    defaultPodOnly(spec);
  }

  protected override initialStatus(obj: KubeObject): unknown {
    const spec = as<Pod>(obj).spec;
    // applySchedulingGatedCondition: a gated pod says why it is not scheduled.
    const gated = (spec?.schedulingGates ?? []).length > 0;
    return {
      phase: 'Pending',
      ...(gated ? { conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated', message: 'Scheduling is blocked due to non-empty scheduling gates' }] } : {}),
      qosClass: computePodQOS(spec),
    };
  }

  override prepareForCreate(obj: KubeObject): void {
    const spec = (as<Pod>(obj).spec ??= { containers: [] });
    // ServiceAccount admission: every pod runs as some account.
    if (!spec.serviceAccountName) {
      spec.serviceAccountName = 'default';
      spec.serviceAccount = 'default';
    }
    // Priority admission, with no PriorityClass named and no global default class.
    if (!spec.priorityClassName) spec.priority ??= 0;
    spec.preemptionPolicy ??= 'PreemptLowerPriority';
    addDefaultTolerations(spec, this.options);
    super.prepareForCreate(obj);
  }

  override prepareForUpdate(newObj: KubeObject, oldObj: KubeObject): void {
    super.prepareForUpdate(newObj, oldObj);
    const spec = as<Pod>(newObj).spec;
    if (spec) addDefaultTolerations(spec, this.options);
  }

  override prepareForStatusUpdate(newObj: KubeObject, oldObj: KubeObject): void {
    const status = newObj.status as Pod['status'];
    super.prepareForStatusUpdate(newObj, oldObj);
    // /status may not touch ownerReferences (old kubelets corrupted them) and the QoS class is
    // fixed at creation; backfill it when a kubelet drops it.
    const meta = (newObj.metadata ??= {});
    if (oldObj.metadata?.ownerReferences) meta.ownerReferences = clone(oldObj.metadata.ownerReferences);
    else delete meta.ownerReferences;
    const oldStatus = oldObj.status as (Pod['status'] & { observedGeneration?: number; conditions?: Array<{ type: string; observedGeneration?: number }> }) | undefined;
    if (status && !status.qosClass && oldStatus?.qosClass) status.qosClass = oldStatus.qosClass;
    if (status) preserveObservedGeneration(status as typeof oldStatus & object, oldStatus);
  }

  override validateCreate(obj: KubeObject): FieldError[] {
    return validatePod(as<Pod>(obj));
  }

  override validateUpdate(newObj: KubeObject, oldObj: KubeObject): FieldError[] {
    return validatePodUpdate(as<Pod>(newObj), as<Pod>(oldObj));
  }

  override validateStatusUpdate(newObj: KubeObject, oldObj: KubeObject): FieldError[] {
    return validatePodStatusUpdate(as<Pod>(newObj), as<Pod>(oldObj));
  }
}

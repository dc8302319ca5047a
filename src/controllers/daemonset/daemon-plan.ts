/**
 * What a DaemonSet sync decides, as pure functions of the cached state (Kubernetes'
 * daemon_controller.go podsShouldBeOnNode/manage and update.go rollingUpdate): which nodes need a
 * pod, which pods must go, and the events that explain it. The controller turns a plan into API
 * calls; tests check plans without a server.
 */
import type { DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { isPodAvailable, isPodReady, isPodTerminal } from '../lib/pod-utils.js';
import { compareDaemonPods, DAEMONSET_REVISION_HASH_LABEL, isPodUpdated, type NodeFit } from './daemon-pod.js';
import type { FailedPodsBackoff } from './failed-pods-backoff.js';
import { allowsSurge, surgeCount, unavailableCount } from './update-budget.js';

export interface PlannedEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

/** Creates (by node name) and deletions a sync should make, and when to look again. */
export interface DaemonPlan {
  createOn: string[];
  deletePods: Pod[];
  events: PlannedEvent[];
  /** Look again after this long (a failed pod's back-off window), if set. */
  requeueAfterMs?: number;
}

export interface PlanInput {
  ds: DaemonSet;
  /** Every node in the cluster. */
  nodes: readonly Node[];
  /** The DaemonSet's pods grouped by the node they are for (see targetNodeName). */
  nodeToPods: ReadonlyMap<string, readonly Pod[]>;
  /** The current revision's hash. */
  hash: string;
  generation: number | undefined;
  fit: (node: Node) => NodeFit;
  nowMs: number;
}

/** Kubernetes' failedPodsBackoffKey: per DaemonSet UID, observed generation and node. */
export function failedPodsBackoffKey(ds: DaemonSet, nodeName: string): string {
  return `${ds.metadata?.uid ?? ''}/${ds.status?.observedGeneration ?? 0}/${nodeName}`;
}

function minDelay(a: number | undefined, b: number): number {
  return a === undefined ? b : Math.min(a, b);
}

/**
 * manage(): per node, create a pod where one should run and none exists; on nodes where pods may
 * stay, delete failed pods (rate-limited per node), succeeded pods and duplicates (keeping the
 * oldest, or with surge the oldest old and oldest new while the new one is not yet available);
 * delete every pod on nodes that must not run one; and delete unscheduled pods aimed at nodes that
 * no longer exist (pod GC only removes pods bound to missing nodes).
 */
export function planManage(input: PlanInput, backoff: FailedPodsBackoff): DaemonPlan {
  const { ds, nodes, nodeToPods, hash } = input;
  const plan: DaemonPlan = { createOn: [], deletePods: [], events: [] };
  const surge = allowsSurge(ds);
  const ns = ds.metadata?.namespace ?? '';
  for (const node of nodes) {
    const nodeName = node.metadata?.name ?? '';
    const { shouldRun, shouldContinueRunning } = input.fit(node);
    const daemonPods = nodeToPods.get(nodeName);
    const exists = daemonPods !== undefined && daemonPods.length > 0;
    if (shouldRun && !exists) {
      plan.createOn.push(nodeName);
      continue;
    }
    if (shouldContinueRunning) {
      const running: Pod[] = [];
      for (const pod of daemonPods ?? []) {
        if (pod.metadata?.deletionTimestamp) continue;
        const phase = pod.status?.phase;
        if (phase === 'Failed') {
          // The node agent may keep rejecting this pod: back off per node rather than fight it.
          const key = failedPodsBackoffKey(ds, nodeName);
          if (backoff.isInBackOffSinceUpdate(key)) {
            plan.requeueAfterMs = minDelay(plan.requeueAfterMs, Math.max(1, backoff.remaining(key)));
            continue;
          }
          backoff.next(key);
          plan.events.push({ type: 'Warning', reason: 'FailedDaemonPod', message: `Found failed daemon pod ${ns}/${pod.metadata?.name} on node ${nodeName}, will try to kill it` });
          plan.deletePods.push(pod);
        } else if (phase === 'Succeeded') {
          plan.events.push({ type: 'Normal', reason: 'SucceededDaemonPod', message: `Found succeeded daemon pod ${ns}/${pod.metadata?.name} on node ${nodeName}, will try to delete it` });
          plan.deletePods.push(pod);
        } else {
          running.push(pod);
        }
      }
      if (!surge) {
        // More than one running pod on a node: keep the oldest.
        if (running.length > 1) plan.deletePods.push(...running.sort(compareDaemonPods).slice(1));
        continue;
      }
      if (running.length <= 1) {
        if (running.length === 0 && shouldRun) plan.createOn.push(nodeName);
        continue;
      }
      // Surging: an old and a new pod may coexist until the new one is available (or the old one
      // stops being ready); anything beyond the oldest of each goes.
      let oldestNew: Pod | undefined;
      let oldestOld: Pod | undefined;
      for (const pod of running.sort(compareDaemonPods)) {
        if (pod.metadata?.labels?.[DAEMONSET_REVISION_HASH_LABEL] === hash) {
          if (!oldestNew) {
            oldestNew = pod;
            continue;
          }
        } else if (!oldestOld) {
          oldestOld = pod;
          continue;
        }
        plan.deletePods.push(pod);
      }
      if (oldestNew && oldestOld) {
        if (!isPodReady(oldestOld) || isPodAvailable(oldestNew, ds.spec?.minReadySeconds ?? 0, input.nowMs)) plan.deletePods.push(oldestOld);
      }
      continue;
    }
    if (exists) {
      for (const pod of daemonPods) if (!pod.metadata?.deletionTimestamp) plan.deletePods.push(pod);
    }
  }
  // Unscheduled pods aimed at nodes that are gone can never be bound, and pod GC only removes
  // pods bound to missing nodes: delete them here.
  const nodeNames = new Set(nodes.map((n) => n.metadata?.name ?? ''));
  for (const [nodeName, pods] of [...nodeToPods].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (nodeNames.has(nodeName)) continue;
    for (const pod of pods) if (!pod.spec?.nodeName && !pod.metadata?.deletionTimestamp) plan.deletePods.push(pod);
  }
  return plan;
}

/**
 * findUpdatedPodsOnNode: the node's non-deleted new and old pod, or `ok: false` when there are
 * two of either kind (the manage step prunes those first).
 */
function updatedPodsOnNode(pods: readonly Pod[], hash: string, generation: number | undefined): { ok: boolean; newPod?: Pod; oldPod?: Pod } {
  let newPod: Pod | undefined;
  let oldPod: Pod | undefined;
  for (const pod of pods) {
    if (pod.metadata?.deletionTimestamp) continue;
    if (isPodUpdated(pod, hash, generation)) {
      if (newPod) return { ok: false };
      newPod = pod;
    } else {
      if (oldPod) return { ok: false };
      oldPod = pod;
    }
  }
  return { ok: true, ...(newPod ? { newPod } : {}), ...(oldPod ? { oldPod } : {}) };
}

/**
 * rollingUpdate(): the deletions (and, when surging, creations) that move nodes to the current
 * revision while at most maxUnavailable nodes lack an available pod (or at most maxSurge nodes run
 * an extra pod). Old pods that are unavailable anyway are replaced without using the budget.
 */
export function planRollingUpdate(input: PlanInput): DaemonPlan {
  const { ds, nodes, hash, generation, nowMs } = input;
  const minReady = ds.spec?.minReadySeconds ?? 0;
  const available = (p: Pod) => isPodAvailable(p, minReady, nowMs);
  // updatedDesiredNodeCounts: every node that should run a pod takes part, with or without pods.
  const nodeToPods = new Map<string, readonly Pod[]>(input.nodeToPods);
  const fitByNode = new Map<string, NodeFit>();
  let desired = 0;
  for (const node of nodes) {
    const name = node.metadata?.name ?? '';
    const fit = input.fit(node);
    fitByNode.set(name, fit);
    if (!fit.shouldRun) continue;
    desired++;
    if (!nodeToPods.has(name)) nodeToPods.set(name, []);
  }
  let maxSurge = surgeCount(ds, desired);
  let maxUnavailable = unavailableCount(ds, desired);
  // An impossible configuration (both zero) falls back to one unavailable node, as Kubernetes does.
  if (desired > 0 && maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
  maxSurge = Math.max(0, maxSurge);
  const sortedNodes = [...nodeToPods.keys()].sort();
  const plan: DaemonPlan = { createOn: [], deletePods: [], events: [] };

  if (maxSurge === 0) {
    let numUnavailable = 0;
    const replacements: Pod[] = [];
    const candidates: Pod[] = [];
    for (const nodeName of sortedNodes) {
      const { ok, newPod, oldPod } = updatedPodsOnNode(nodeToPods.get(nodeName) ?? [], hash, generation);
      if (!ok || (!oldPod && !newPod) || (oldPod && newPod)) {
        // Excess pods, no pod or one of each: the manage step acts; the node counts as unavailable.
        numUnavailable++;
        continue;
      }
      if (newPod) {
        if (!available(newPod)) numUnavailable++;
        continue;
      }
      if (!available(oldPod!)) {
        replacements.push(oldPod!);
        numUnavailable++;
      } else if (numUnavailable < maxUnavailable) {
        candidates.push(oldPod!);
      }
    }
    const remaining = Math.min(Math.max(0, maxUnavailable - numUnavailable), candidates.length);
    plan.deletePods = [...replacements, ...candidates.slice(0, remaining)];
    return plan;
  }

  let numSurge = 0;
  let numAvailable = 0;
  const allowedNew: string[] = [];
  const candidateNew: string[] = [];
  const shouldNotRun: Pod[] = [];
  for (const nodeName of sortedNodes) {
    const { ok, newPod, oldPod } = updatedPodsOnNode(nodeToPods.get(nodeName) ?? [], hash, generation);
    if (!ok) {
      numSurge++;
      continue;
    }
    if (oldPod) {
      if (available(oldPod)) numAvailable++;
    } else if (newPod && available(newPod)) {
      numAvailable++;
    }
    if (!oldPod) continue;
    const shouldRun = fitByNode.get(nodeName)?.shouldRun ?? false;
    if (!newPod) {
      if (!available(oldPod)) {
        if (!shouldRun) plan.deletePods.push(oldPod);
        else allowedNew.push(nodeName);
      } else if (!shouldRun) {
        shouldNotRun.push(oldPod);
      } else if (numSurge < maxSurge) {
        candidateNew.push(nodeName);
      }
      continue;
    }
    // Already surged here: the old pod goes once the new one is available.
    if (!available(newPod)) {
      numSurge++;
      continue;
    }
    plan.deletePods.push(oldPod);
  }
  // With surge the owner expects full availability: pods on nodes that no longer fit go only as
  // available pods elsewhere make up for them.
  const deletable = Math.min(numAvailable - desired, shouldNotRun.length);
  if (deletable > 0) plan.deletePods.push(...shouldNotRun.slice(0, deletable));
  const remainingSurge = Math.min(Math.max(0, maxSurge - numSurge), candidateNew.length);
  plan.createOn = [...allowedNew, ...candidateNew.slice(0, remainingSurge)];
  return plan;
}

export interface DaemonCounts {
  desiredNumberScheduled: number;
  currentNumberScheduled: number;
  numberMisscheduled: number;
  numberReady: number;
  numberAvailable: number;
  numberUnavailable: number;
  updatedNumberScheduled: number;
}

/**
 * updateDaemonSetStatus's counts: desired nodes, those with a pod, those whose oldest pod is
 * ready / available / updated, and pods on nodes that should not run one.
 */
export function computeDaemonCounts(input: PlanInput): DaemonCounts {
  const { ds, nodes, nodeToPods, hash, generation, nowMs } = input;
  const minReady = ds.spec?.minReadySeconds ?? 0;
  const c: DaemonCounts = { desiredNumberScheduled: 0, currentNumberScheduled: 0, numberMisscheduled: 0, numberReady: 0, numberAvailable: 0, numberUnavailable: 0, updatedNumberScheduled: 0 };
  for (const node of nodes) {
    const pods = nodeToPods.get(node.metadata?.name ?? '') ?? [];
    const scheduled = pods.length > 0;
    if (!input.fit(node).shouldRun) {
      if (scheduled) c.numberMisscheduled++;
      continue;
    }
    c.desiredNumberScheduled++;
    if (!scheduled) continue;
    c.currentNumberScheduled++;
    let oldest = pods[0]!;
    for (let i = 1; i < pods.length; i++) if (compareDaemonPods(pods[i]!, oldest) < 0) oldest = pods[i]!;
    if (isPodReady(oldest)) {
      c.numberReady++;
      if (isPodAvailable(oldest, minReady, nowMs)) c.numberAvailable++;
    }
    if (isPodUpdated(oldest, hash, generation)) c.updatedNumberScheduled++;
  }
  c.numberUnavailable = c.desiredNumberScheduled - c.numberAvailable;
  return c;
}

/**
 * Groups claimed pods by the node they are for. Terminal pods already being deleted are dropped
 * unless `includeDeletedTerminal` (history cleanup still counts their revision as live).
 */
export function groupByNode(pods: readonly Pod[], targetNode: (p: Pod) => string | undefined, includeDeletedTerminal: boolean): Map<string, Pod[]> {
  const out = new Map<string, Pod[]>();
  for (const pod of pods) {
    if (!includeDeletedTerminal && isPodTerminal(pod) && pod.metadata?.deletionTimestamp) continue;
    const node = targetNode(pod);
    if (node === undefined) continue;
    let list = out.get(node);
    if (!list) out.set(node, (list = []));
    list.push(pod);
  }
  return out;
}

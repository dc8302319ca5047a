/**
 * The taints the node lifecycle controller owns (TaintNodesByCondition and taint-based eviction):
 *
 * | node state                         | taint                                          |
 * |------------------------------------|------------------------------------------------|
 * | Ready=False                        | node.kubernetes.io/not-ready (NoSchedule)      |
 * | Ready=Unknown                      | node.kubernetes.io/unreachable (NoSchedule)    |
 * | MemoryPressure/DiskPressure/PIDPressure=True | …/memory-pressure, …/disk-pressure, …/pid-pressure (NoSchedule) |
 * | NetworkUnavailable=True            | node.kubernetes.io/network-unavailable (NoSchedule) |
 * | spec.unschedulable                 | node.kubernetes.io/unschedulable (NoSchedule)  |
 *
 * plus the NoExecute not-ready/unreachable taints that evict pods, added at a rate-limited pace.
 * Taints are written as a merge patch of `spec.taints` carrying the node's resourceVersion, so a
 * concurrent change is a 409 and the swap is redone on a fresh read (SwapNodeControllerTaint).
 */
import type { Node, Taint } from 'kubernetes-types/core/v1.js';
import { isConflict, isNotFound } from '../../api/errors.js';
import {
  TAINT_NODE_DISK_PRESSURE,
  TAINT_NODE_MEMORY_PRESSURE,
  TAINT_NODE_NETWORK_UNAVAILABLE,
  TAINT_NODE_NOT_READY,
  TAINT_NODE_PID_PRESSURE,
  TAINT_NODE_UNREACHABLE,
  TAINT_NODE_UNSCHEDULABLE,
  taintMatches,
} from '../../api/taints.js';
import type { Client } from '../../client/client.js';
import { formatTime } from '../../client/clock.js';

export const UNREACHABLE_TAINT: Taint = { key: TAINT_NODE_UNREACHABLE, effect: 'NoExecute' };
export const NOT_READY_TAINT: Taint = { key: TAINT_NODE_NOT_READY, effect: 'NoExecute' };

/** nodeConditionToTaintKeyStatusMap */
export const CONDITION_TAINTS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  Ready: { False: TAINT_NODE_NOT_READY, Unknown: TAINT_NODE_UNREACHABLE },
  MemoryPressure: { True: TAINT_NODE_MEMORY_PRESSURE },
  DiskPressure: { True: TAINT_NODE_DISK_PRESSURE },
  NetworkUnavailable: { True: TAINT_NODE_NETWORK_UNAVAILABLE },
  PIDPressure: { True: TAINT_NODE_PID_PRESSURE },
};

const CONDITION_TAINT_KEYS = new Set([TAINT_NODE_NOT_READY, TAINT_NODE_UNREACHABLE, TAINT_NODE_MEMORY_PRESSURE, TAINT_NODE_DISK_PRESSURE, TAINT_NODE_NETWORK_UNAVAILABLE, TAINT_NODE_PID_PRESSURE]);

/** The NoSchedule taints a node should carry for its conditions and cordon (doNoScheduleTaintingPass). */
export function desiredNoScheduleTaints(node: Node): Taint[] {
  const taints: Taint[] = [];
  for (const c of node.status?.conditions ?? []) {
    const key = CONDITION_TAINTS[c.type]?.[c.status];
    if (key) taints.push({ key, effect: 'NoSchedule' });
  }
  if (node.spec?.unschedulable) taints.push({ key: TAINT_NODE_UNSCHEDULABLE, effect: 'NoSchedule' });
  return taints;
}

/** The NoSchedule taints of the node this controller manages (compared with the desired set). */
export function managedNoScheduleTaints(node: Node): Taint[] {
  return (node.spec?.taints ?? []).filter((t) => t.effect === 'NoSchedule' && (t.key === TAINT_NODE_UNSCHEDULABLE || CONDITION_TAINT_KEYS.has(t.key)));
}

/** TaintSetDiff: what to add to `current` and remove from it to reach `desired` (by key and effect). */
export function taintSetDiff(desired: readonly Taint[], current: readonly Taint[]): { add: Taint[]; remove: Taint[] } {
  return {
    add: desired.filter((d) => !current.some((c) => taintMatches(c, d))),
    remove: current.filter((c) => !desired.some((d) => taintMatches(c, d))),
  };
}

/** Attempts before giving up on a taint swap that keeps conflicting (UpdateTaintBackoff steps). */
export const TAINT_UPDATE_ATTEMPTS = 5;

/**
 * SwapNodeControllerTaint: removes `remove` and adds `add` (stamped with timeAdded = now) in one
 * write. Starts from `node` (the cache) and re-reads it after a conflict. Returns false when the
 * node is gone; true when the node carries the wanted taints afterwards.
 */
export async function swapNodeTaints(client: Client, node: Node, add: readonly Taint[], remove: readonly Taint[], now: number): Promise<boolean> {
  let current = node;
  for (let attempt = 0; ; attempt++) {
    const old = current.spec?.taints ?? [];
    let next = old.filter((t) => !remove.some((r) => taintMatches(t, r)));
    const toAdd = add.filter((a) => !next.some((t) => taintMatches(t, a)));
    if (next.length === old.length && toAdd.length === 0) return true;
    next = [...next, ...toAdd.map((t) => ({ ...t, timeAdded: formatTime(now) }))];
    try {
      await client.nodes().patch(current.metadata?.name ?? '', 'merge', {
        metadata: { resourceVersion: current.metadata?.resourceVersion },
        spec: { taints: next.length ? next : null },
      });
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      if (!isConflict(err) || attempt + 1 >= TAINT_UPDATE_ATTEMPTS) throw err;
      current = await client.nodes().get(current.metadata?.name ?? '');
    }
  }
}

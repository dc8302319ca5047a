/**
 * kubelet's pod admission on the node (the predicate admit handler): a pod bound to the node
 * must fit next to the pods the node already runs — pod count, and cpu/memory requests against
 * allocatable. A pod that does not fit is rejected: phase Failed, reason `OutOf<resource>`,
 * message "Pod was rejected: Node didn't have enough resource: cpu, requested: 2000, used: 500,
 * capacity: 2000" (milli-units for cpu, bytes for memory), as kubelet reports it. The scheduler
 * normally prevents this; it matters for pods bound directly with spec.nodeName.
 */
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import { Quantity } from '../api/quantity.js';
import type { Rejection } from './pod/pod-sync.js';

function request(c: Container, name: string): number {
  const q = Quantity.tryParse(c.resources?.requests?.[name] as string | undefined);
  if (!q) return 0;
  return name === 'cpu' ? q.milliValue() : q.value();
}

/** Effective request of a pod: max(largest init container, sum of app containers) + overhead. */
export function podRequest(pod: Pod, name: 'cpu' | 'memory'): number {
  const sum = (pod.spec?.containers ?? []).reduce((a, c) => a + request(c, name), 0);
  const init = Math.max(0, ...(pod.spec?.initContainers ?? []).map((c) => request(c, name)));
  const overhead = Quantity.tryParse(pod.spec?.overhead?.[name] as string | undefined);
  return Math.max(sum, init) + (overhead ? (name === 'cpu' ? overhead.milliValue() : overhead.value()) : 0);
}

/** Whether `pod` fits on a node with `allocatable` next to `admitted` pods. */
export function admitPod(pod: Pod, admitted: Pod[], allocatable: Record<string, string>): Rejection | undefined {
  const maxPods = Number(allocatable['pods'] ?? Infinity);
  if (admitted.length + 1 > maxPods) {
    return { reason: 'OutOfpods', message: `Node didn't have enough resource: pods, requested: 1, used: ${admitted.length}, capacity: ${maxPods}` };
  }
  for (const name of ['cpu', 'memory'] as const) {
    const want = podRequest(pod, name);
    if (want === 0) continue;
    const cap = Quantity.tryParse(allocatable[name]);
    if (!cap) continue;
    const capacity = name === 'cpu' ? cap.milliValue() : cap.value();
    const used = admitted.reduce((a, p) => a + podRequest(p, name), 0);
    if (used + want > capacity) {
      return { reason: `OutOf${name}`, message: `Node didn't have enough resource: ${name}, requested: ${want}, used: ${used}, capacity: ${capacity}` };
    }
  }
  return undefined;
}

/**
 * Which container of which pod a log/exec/attach request is for, with Kubernetes' checks and
 * wording (pkg/registry/core/pod/strategy.go validateContainer, LogLocation, streamLocation).
 */
import type { Pod, Container } from 'kubernetes-types/core/v1.js';
import { badRequest } from '../../api/errors.js';

/** Every container name of the pod: regular, init, then ephemeral (podutil.VisitContainers order). */
export function podContainerNames(pod: Pod): string[] {
  const s = pod.spec;
  return [...(s?.initContainers ?? []), ...(s?.containers ?? []), ...((s?.ephemeralContainers ?? []) as Container[])].map((c) => c.name);
}

/** Resolves the container a request is for: the only one when none is named. */
export function validateContainer(container: string, pod: Pod): string {
  const name = pod.metadata?.name ?? '';
  if (!container) {
    const containers = pod.spec?.containers ?? [];
    if (containers.length === 1) return containers[0]!.name;
    if (containers.length === 0) throw badRequest(`a container name must be specified for pod ${name}`);
    throw badRequest(`a container name must be specified for pod ${name}, choose one of: [${podContainerNames(pod).join(' ')}]`);
  }
  if (!podContainerNames(pod).includes(container)) throw badRequest(`container ${container} is not valid for pod ${name}`);
  return container;
}

/** The node of a pod that exec/attach/port-forward need; a pod without one is a bad request. */
export function requireNode(pod: Pod): string {
  const node = pod.spec?.nodeName;
  if (!node) throw badRequest(`pod ${pod.metadata?.name ?? ''} does not have a host assigned`);
  return node;
}

/**
 * What the Endpoints and EndpointSlice controllers share (Kubernetes'
 * pkg/controller/util/endpoint and endpointslice/util): which pods back a Service, which of their
 * ports a service port reaches (named targetPorts resolved per pod), the DNS hostname a pod
 * publishes through a headless Service, and the wiring that maps pod events to the Services
 * selecting them.
 */
import type { Pod, Service, ServicePort } from 'kubernetes-types/core/v1.js';
import { selectorFromSet } from '../../api/labels.js';
import type { SharedInformer } from '../../client/informer.js';
import { isPodReady } from '../lib/pod-utils.js';

/** Label on Endpoints/EndpointSlices of headless Services. */
export const HEADLESS_LABEL = 'service.kubernetes.io/headless';
/** Annotation with the time of the last pod or service change reflected (EndpointsLastChangeTriggerTime). */
export const LAST_CHANGE_TRIGGER_TIME = 'endpoints.kubernetes.io/last-change-trigger-time';

/** Services whose endpoints a controller manages: with a selector, not ExternalName. */
export function managesEndpoints(svc: Service): boolean {
  return Object.keys(svc.spec?.selector ?? {}).length > 0 && svc.spec?.type !== 'ExternalName';
}

/**
 * ShouldPodBeInEndpoints: a pod with an IP that has not finished; a terminating pod only where
 * terminating endpoints are published (EndpointSlices) or the Service publishes not-ready addresses.
 */
export function shouldPodBeInEndpoints(pod: Pod, includeTerminating: boolean): boolean {
  if (!pod.status?.podIP) return false;
  const phase = pod.status.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return false;
  if (!includeTerminating && pod.metadata?.deletionTimestamp) return false;
  return true;
}

/** Whether the address is served as ready (publishNotReadyAddresses counts everything ready). */
export function podReadyForService(pod: Pod, svc: Service): boolean {
  return svc.spec?.publishNotReadyAddresses === true || (isPodReady(pod) && !pod.metadata?.deletionTimestamp);
}

/**
 * FindPort: a numeric targetPort is used as is; a named one is looked up in the pod's container
 * ports (name and protocol must match). Undefined when the pod does not expose it.
 */
export function findPort(pod: Pod, port: ServicePort): number | undefined {
  const target = port.targetPort ?? port.port;
  if (typeof target === 'number') return target;
  if (/^\d+$/.test(target)) return Number(target);
  const protocol = port.protocol ?? 'TCP';
  for (const c of pod.spec?.containers ?? []) {
    for (const cp of c.ports ?? []) {
      if (cp.name === target && (cp.protocol ?? 'TCP') === protocol) return cp.containerPort;
    }
  }
  return undefined;
}

/** The hostname a pod publishes through `svc`: spec.hostname when spec.subdomain names the Service. */
export function podServiceHostname(pod: Pod, svc: Service): string | undefined {
  const h = pod.spec?.hostname;
  if (!h || pod.spec?.subdomain !== svc.metadata?.name || pod.metadata?.namespace !== svc.metadata?.namespace) return undefined;
  return h;
}

/** Services in the pod's namespace whose selector matches the pod's labels. */
export function servicesSelecting(services: SharedInformer<Service>, pod: Pod): Service[] {
  const ns = pod.metadata?.namespace ?? '';
  return services.store.listByNamespace(ns).filter((s) => managesEndpoints(s) && selectorFromSet(s.spec!.selector).matches(pod.metadata?.labels ?? {}));
}

/** Pods of the Service's namespace its selector matches. */
export function podsSelected(pods: SharedInformer<Pod>, svc: Service): Pod[] {
  const sel = selectorFromSet(svc.spec?.selector);
  return pods.store.listByNamespace(svc.metadata?.namespace ?? '').filter((p) => sel.matches(p.metadata?.labels ?? {}));
}

/**
 * Enqueues the Services affected by a pod event: those selecting the pod now and, on an update,
 * those that selected it before (a label change moves it between Services).
 */
export function wirePodEvents(pods: SharedInformer<Pod>, services: SharedInformer<Service>, enqueue: (key: string) => void): void {
  const add = (pod: Pod): void => {
    for (const s of servicesSelecting(services, pod)) enqueue(`${s.metadata!.namespace}/${s.metadata!.name}`);
  };
  pods.addEventHandler({
    onAdd: add,
    onUpdate: (old, pod) => {
      if (old.metadata?.resourceVersion === pod.metadata?.resourceVersion) return;
      add(pod);
      if (JSON.stringify(old.metadata?.labels ?? {}) !== JSON.stringify(pod.metadata?.labels ?? {})) add(old);
    },
    onDelete: add,
  });
}

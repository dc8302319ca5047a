/**
 * The Endpoints controller (Kubernetes' pkg/controller/endpoint): for every Service with a
 * selector, an Endpoints object of the same name listing the pods the selector matches — ready
 * ones under `addresses`, the rest under `notReadyAddresses` — each with its IP, nodeName,
 * targetRef and (for a pod whose subdomain names the Service) hostname, and the ports each service
 * port reaches on that pod (named targetPorts resolved per pod). Pods that expose different ports
 * land in different subsets (RepackSubsets). At most 1000 addresses are kept
 * (`endpoints.kubernetes.io/over-capacity: truncated`, as Kubernetes does).
 *
 * Wiring: Service events enqueue the Service; pod events enqueue the Services selecting the pod
 * before and after. sync(ns/name) rebuilds the desired Endpoints from the caches and writes only
 * when it differs from the stored one; a deleted Service's Endpoints are deleted.
 */
import type { EndpointAddress, EndpointPort, EndpointSubset, Endpoints, Pod, Service } from 'kubernetes-types/core/v1.js';
import { isAlreadyExists, isConflict, isNotFound } from '../../api/errors.js';
import { WorkQueue } from '../../client/work-queue.js';
import { runWorkers, type SyncResult } from '../../client/workers.js';
import { formatTime } from '../../client/clock.js';
import type { Controller, ControllerContext } from '../controller.js';
import { findPort, HEADLESS_LABEL, LAST_CHANGE_TRIGGER_TIME, managesEndpoints, podReadyForService, podServiceHostname, podsSelected, shouldPodBeInEndpoints, wirePodEvents } from './endpoint-utils.js';
import { jsonEqual } from '../../api/patch/go-json.js';

/** maxCapacity of an Endpoints object. */
export const MAX_ENDPOINT_ADDRESSES = 1000;
export const OVER_CAPACITY_ANNOTATION = 'endpoints.kubernetes.io/over-capacity';

/** The subsets for `svc` from `pods` (before RepackSubsets' grouping, done here too). */
export function desiredSubsets(svc: Service, pods: Pod[]): EndpointSubset[] {
  const headless = svc.spec?.clusterIP === 'None';
  const groups = new Map<string, { ports: EndpointPort[]; ready: EndpointAddress[]; notReady: EndpointAddress[] }>();
  for (const pod of pods) {
    if (!shouldPodBeInEndpoints(pod, svc.spec?.publishNotReadyAddresses === true)) continue;
    const addr: EndpointAddress = {
      ip: pod.status!.podIP!,
      ...(podServiceHostname(pod, svc) ? { hostname: podServiceHostname(pod, svc)! } : {}),
      ...(pod.spec?.nodeName ? { nodeName: pod.spec.nodeName } : {}),
      targetRef: { kind: 'Pod', namespace: pod.metadata?.namespace ?? '', name: pod.metadata?.name ?? '', uid: pod.metadata?.uid ?? '' },
    };
    const ready = podReadyForService(pod, svc);
    const ports: EndpointPort[] = [];
    for (const sp of svc.spec?.ports ?? []) {
      const port = findPort(pod, sp);
      if (port === undefined) continue;
      ports.push({ ...(sp.name ? { name: sp.name } : {}), port, protocol: sp.protocol ?? 'TCP', ...(sp.appProtocol ? { appProtocol: sp.appProtocol } : {}) });
    }
    // A pod that exposes none of the ports is left out, unless the Service is headless and has no ports.
    if (ports.length === 0 && !(headless && (svc.spec?.ports ?? []).length === 0)) continue;
    ports.sort((a, b) => (a.name ?? '').localeCompare(b.name ?? '') || a.port - b.port || (a.protocol ?? '').localeCompare(b.protocol ?? ''));
    const key = JSON.stringify(ports);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { ports, ready: [], notReady: [] }));
    (ready ? g.ready : g.notReady).push(addr);
  }
  const byIP = (a: EndpointAddress, b: EndpointAddress): number => compareIP(a.ip, b.ip) || (a.targetRef?.uid ?? '').localeCompare(b.targetRef?.uid ?? '');
  const subsets: EndpointSubset[] = [];
  for (const g of [...groups.values()].sort((a, b) => JSON.stringify(a.ports).localeCompare(JSON.stringify(b.ports)))) {
    subsets.push({
      ...(g.ready.length ? { addresses: g.ready.sort(byIP) } : {}),
      ...(g.notReady.length ? { notReadyAddresses: g.notReady.sort(byIP) } : {}),
      ...(g.ports.length ? { ports: g.ports } : {}),
    });
  }
  return subsets;
}

/** Numeric order of dotted IPv4 addresses (others by text). */
export function compareIP(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  if (pa.length === 4 && pb.length === 4) {
    for (let i = 0; i < 4; i++) if (pa[i] !== pb[i]) return pa[i]! - pb[i]!;
    return 0;
  }
  return a.localeCompare(b);
}

/** Keeps at most MAX_ENDPOINT_ADDRESSES addresses, ready ones first (truncateEndpoints). */
function truncate(subsets: EndpointSubset[]): boolean {
  let total = 0;
  for (const s of subsets) total += (s.addresses?.length ?? 0) + (s.notReadyAddresses?.length ?? 0);
  if (total <= MAX_ENDPOINT_ADDRESSES) return false;
  let left = MAX_ENDPOINT_ADDRESSES;
  for (const s of subsets) {
    const keep = Math.min(left, s.addresses?.length ?? 0);
    if (s.addresses) s.addresses = s.addresses.slice(0, keep);
    left -= keep;
  }
  for (const s of subsets) {
    const keep = Math.min(left, s.notReadyAddresses?.length ?? 0);
    if (s.notReadyAddresses) s.notReadyAddresses = s.notReadyAddresses.slice(0, keep);
    left -= keep;
  }
  return true;
}

export class EndpointsController implements Controller {
  readonly name = 'endpoint';

  async run(ctx: ControllerContext, signal: AbortSignal): Promise<void> {
    const queue = new WorkQueue({ name: this.name, clock: ctx.clock });
    const services = ctx.informers.services();
    const pods = ctx.informers.pods();
    const endpoints = ctx.informers.endpoints();
    const enqueue = (obj: { metadata?: { namespace?: string; name?: string } }): void => queue.add(`${obj.metadata?.namespace}/${obj.metadata?.name}`);
    services.addEventHandler({ onAdd: enqueue, onUpdate: (_o, s) => enqueue(s), onDelete: enqueue });
    // An Endpoints object changed or deleted by someone else is put back (level-triggered).
    endpoints.addEventHandler({ onUpdate: (_o, e) => enqueue(e), onDelete: enqueue });
    wirePodEvents(pods, services, (key) => queue.add(key));
    if (!(await ctx.informers.waitForCacheSync(signal))) return;

    const sync = async (key: string): Promise<SyncResult> => {
      const [ns, name] = key.split('/') as [string, string];
      const svc = services.store.getByName(ns, name);
      const current = endpoints.store.getByName(ns, name);
      const client = ctx.client.endpoints(ns);
      if (!svc) {
        if (!current) return;
        try {
          await client.delete(name);
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
        return;
      }
      // Selector-less Services have Endpoints managed by someone else (the `kubernetes` Service, users).
      if (!managesEndpoints(svc)) return;
      const subsets = desiredSubsets(svc, podsSelected(pods, svc));
      const truncated = truncate(subsets);
      const labels: Record<string, string> = { ...(svc.metadata?.labels ?? {}) };
      if (svc.spec?.clusterIP === 'None') labels[HEADLESS_LABEL] = '';
      else delete labels[HEADLESS_LABEL];
      const annotations: Record<string, string> = { ...(current?.metadata?.annotations ?? {}) };
      if (truncated) annotations[OVER_CAPACITY_ANNOTATION] = 'truncated';
      else delete annotations[OVER_CAPACITY_ANNOTATION];
      if (current && jsonEqual(current.subsets ?? [], subsets) && jsonEqual(current.metadata?.labels ?? {}, labels) && jsonEqual(current.metadata?.annotations ?? {}, annotations)) return;
      annotations[LAST_CHANGE_TRIGGER_TIME] = formatTime(ctx.clock.now());
      const next: Endpoints = {
        apiVersion: 'v1',
        kind: 'Endpoints',
        metadata: { name, namespace: ns, labels, annotations, ...(current ? { resourceVersion: current.metadata?.resourceVersion } : {}) },
        ...(subsets.length ? { subsets } : {}),
      };
      if (Object.keys(labels).length === 0) delete next.metadata!.labels;
      try {
        if (current) await client.update(next);
        else await client.create(next);
      } catch (err) {
        // The cache lagged (someone else wrote it, or it already exists): the watch event requeues.
        if (isAlreadyExists(err) || isConflict(err)) throw err;
        if (isNotFound(err)) return; // the namespace is going away
        throw err;
      }
    };
    await runWorkers(queue, ctx.workers, sync, signal, { logger: ctx.logger.child({ controller: this.name }) });
  }
}

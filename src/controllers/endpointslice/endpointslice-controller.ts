/**
 * The EndpointSlice controller (Kubernetes' pkg/controller/endpointslice): for every Service with a
 * selector, EndpointSlices named `<service>-<suffix>`, owned by the Service and labelled
 * `kubernetes.io/service-name` and `endpointslice.kubernetes.io/managed-by`, holding one endpoint
 * per matching pod with its conditions (ready, serving, terminating — terminating pods stay
 * listed, as since Kubernetes 1.26), nodeName, hostname and targetRef. Pods whose named target
 * ports resolve differently go into different slices; a slice holds at most 100 endpoints
 * (--max-endpoints-per-slice). A Service with no endpoints keeps one empty placeholder slice.
 *
 * Wiring: Service events enqueue the Service; pod events enqueue the Services selecting the pod;
 * slice events enqueue their Service. sync(ns/name) computes the desired slices from the caches,
 * reuses existing slices of the same port set in name order, and writes only what differs.
 */
import type { Pod, Service } from 'kubernetes-types/core/v1.js';
import type { Endpoint, EndpointPort, EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { isNotFound } from '../../api/errors.js';
import { WorkQueue } from '../../client/work-queue.js';
import { runWorkers, type SyncResult } from '../../client/workers.js';
import { formatTime } from '../../client/clock.js';
import type { Controller, ControllerContext } from '../controller.js';
import { compareIP } from '../endpoints/endpoints-controller.js';
import { findPort, HEADLESS_LABEL, LAST_CHANGE_TRIGGER_TIME, managesEndpoints, podServiceHostname, podsSelected, shouldPodBeInEndpoints, wirePodEvents } from '../endpoints/endpoint-utils.js';
import { isPodReady } from '../lib/pod-utils.js';
import { jsonEqual } from '../../api/patch/go-json.js';

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
export const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
export const CONTROLLER_NAME = 'endpointslice-controller.k8s.io';
/** --max-endpoints-per-slice default. */
export const MAX_ENDPOINTS_PER_SLICE = 100;

const BY_SERVICE = 'skiff.dev/byService';
/** How long a created slice may take to show in the cache before the controller stops waiting for it. */
const CREATE_WAIT_MS = 5000;

interface Group {
  ports: EndpointPort[];
  endpoints: Endpoint[];
}

/** The endpoints of `svc`, grouped by the ports they expose (portsKey → group). */
export function desiredGroups(svc: Service, pods: Pod[]): Map<string, Group> {
  const groups = new Map<string, Group>();
  const publishNotReady = svc.spec?.publishNotReadyAddresses === true;
  for (const pod of pods) {
    if (!shouldPodBeInEndpoints(pod, true)) continue;
    const ports: EndpointPort[] = [];
    for (const sp of svc.spec?.ports ?? []) {
      const port = findPort(pod, sp);
      if (port === undefined) continue;
      ports.push({ name: sp.name ?? '', port, protocol: sp.protocol ?? 'TCP', ...(sp.appProtocol ? { appProtocol: sp.appProtocol } : {}) });
    }
    if (ports.length === 0 && (svc.spec?.ports ?? []).length > 0) continue;
    ports.sort((a, b) => (a.name ?? '').localeCompare(b.name ?? '') || (a.port ?? 0) - (b.port ?? 0));
    const serving = publishNotReady || isPodReady(pod);
    const terminating = !!pod.metadata?.deletionTimestamp;
    const hostname = podServiceHostname(pod, svc);
    const ep: Endpoint = {
      addresses: [pod.status!.podIP!],
      conditions: { ready: publishNotReady || (serving && !terminating), serving, terminating },
      ...(hostname ? { hostname } : {}),
      ...(pod.spec?.nodeName ? { nodeName: pod.spec.nodeName } : {}),
      targetRef: { kind: 'Pod', namespace: pod.metadata?.namespace ?? '', name: pod.metadata?.name ?? '', uid: pod.metadata?.uid ?? '' },
    };
    const key = portsKey(ports);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { ports, endpoints: [] }));
    g.endpoints.push(ep);
  }
  for (const g of groups.values()) g.endpoints.sort((a, b) => compareIP(a.addresses[0]!, b.addresses[0]!));
  return groups;
}

function portsKey(ports: EndpointPort[] | undefined): string {
  return JSON.stringify((ports ?? []).map((p) => [p.name ?? '', p.port ?? 0, p.protocol ?? 'TCP', p.appProtocol ?? '']));
}

export class EndpointSliceController implements Controller {
  readonly name = 'endpointslice';

  async run(ctx: ControllerContext, signal: AbortSignal): Promise<void> {
    const queue = new WorkQueue({ name: this.name, clock: ctx.clock });
    const services = ctx.informers.services();
    const pods = ctx.informers.pods();
    const slices = ctx.informers.endpointSlices({
      indexers: {
        [BY_SERVICE]: (s: EndpointSlice) => {
          const l = s.metadata?.labels ?? {};
          return l[SERVICE_NAME_LABEL] && l[MANAGED_BY_LABEL] === CONTROLLER_NAME ? [`${s.metadata?.namespace}/${l[SERVICE_NAME_LABEL]}`] : [];
        },
      },
    });
    const enqueue = (obj: { metadata?: { namespace?: string; name?: string } }): void => queue.add(`${obj.metadata?.namespace}/${obj.metadata?.name}`);
    services.addEventHandler({ onAdd: enqueue, onUpdate: (_o, s) => enqueue(s), onDelete: enqueue });
    const sliceEvent = (s: EndpointSlice): void => {
      const l = s.metadata?.labels ?? {};
      if (l[SERVICE_NAME_LABEL] && l[MANAGED_BY_LABEL] === CONTROLLER_NAME) queue.add(`${s.metadata?.namespace}/${l[SERVICE_NAME_LABEL]}`);
    };
    slices.addEventHandler({ onUpdate: (_o, s) => sliceEvent(s), onDelete: sliceEvent });
    wirePodEvents(pods, services, (key) => queue.add(key));
    if (!(await ctx.informers.waitForCacheSync(signal))) return;

    // Slices this controller created that the cache has not shown yet (the endpointSliceTracker's
    // job in Kubernetes): a sync that ran now would create them a second time.
    const created = new Map<string, { names: Set<string>; at: number }>();
    const sync = async (key: string): Promise<SyncResult> => {
      const [ns, name] = key.split('/') as [string, string];
      const svc = services.store.getByName(ns, name);
      const existing = slices.store.byIndex(BY_SERVICE, key).sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
      const pending = created.get(key);
      if (pending) {
        for (const s of existing) pending.names.delete(s.metadata?.name ?? '');
        // A slice deleted before the cache ever showed it would wait forever: give up after a while.
        if (pending.names.size > 0 && ctx.clock.now() - pending.at < CREATE_WAIT_MS) return { requeueAfterMs: 20 };
        created.delete(key);
      }
      const client = ctx.client.endpointSlices(ns);
      const remove = async (s: EndpointSlice): Promise<void> => {
        try {
          await client.delete(s.metadata!.name!, { preconditions: { uid: s.metadata!.uid! } });
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      };
      // A deleted Service's slices go with it (the garbage collector would too, through the owner).
      if (!svc || !managesEndpoints(svc)) {
        for (const s of existing) await remove(s);
        return;
      }
      const labels: Record<string, string> = { ...(svc.metadata?.labels ?? {}), [SERVICE_NAME_LABEL]: name, [MANAGED_BY_LABEL]: CONTROLLER_NAME };
      if (svc.spec?.clusterIP === 'None') labels[HEADLESS_LABEL] = '';
      const groups = desiredGroups(svc, podsSelected(pods, svc));
      // The wanted slices: chunks of at most 100 endpoints per port set, or one empty placeholder.
      const wanted: Group[] = [];
      for (const g of groups.values()) {
        for (let i = 0; i < g.endpoints.length; i += MAX_ENDPOINTS_PER_SLICE) wanted.push({ ports: g.ports, endpoints: g.endpoints.slice(i, i + MAX_ENDPOINTS_PER_SLICE) });
      }
      if (wanted.length === 0) wanted.push({ ports: [], endpoints: [] });
      const unused = [...existing];
      const now = formatTime(ctx.clock.now());
      for (const w of wanted) {
        const k = portsKey(w.ports);
        const i = unused.findIndex((s) => portsKey(s.ports ?? []) === k);
        const cur = i >= 0 ? unused.splice(i, 1)[0] : undefined;
        if (cur && jsonEqual(cur.endpoints ?? [], w.endpoints) && jsonEqual(cur.metadata?.labels ?? {}, labels)) continue;
        const body: EndpointSlice = {
          apiVersion: 'discovery.k8s.io/v1',
          kind: 'EndpointSlice',
          metadata: {
            ...(cur ? { name: cur.metadata!.name!, resourceVersion: cur.metadata!.resourceVersion! } : { generateName: `${name}-` }),
            namespace: ns,
            labels,
            annotations: { ...(cur?.metadata?.annotations ?? {}), [LAST_CHANGE_TRIGGER_TIME]: now },
            ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name, uid: svc.metadata!.uid!, controller: true, blockOwnerDeletion: true }],
          },
          addressType: 'IPv4',
          endpoints: w.endpoints,
          ports: w.ports,
        };
        if (cur) await client.update(body);
        else {
          const made = await client.create(body);
          const entry = created.get(key) ?? { names: new Set<string>(), at: ctx.clock.now() };
          entry.names.add(made.metadata?.name ?? '');
          created.set(key, entry);
        }
      }
      for (const s of unused) await remove(s);
    };
    await runWorkers(queue, ctx.workers, sync, signal, { logger: ctx.logger.child({ controller: this.name }) });
  }
}

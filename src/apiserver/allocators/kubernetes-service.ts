/**
 * The `kubernetes` Service in `default` and the endpoints behind it (the API server's
 * "bootstrap-controller" and master endpoint reconciler): ClusterIP = the first address of the
 * service CIDR, port 443 named `https` to the API server's port, an Endpoints object (labelled
 * `endpointslice.kubernetes.io/skip-mirror`, so nothing mirrors it) and an EndpointSlice
 * `kubernetes`, both pointing at the address the API server is reached on. Run at every start: a
 * server that comes back on another port (or address) updates them.
 */
import type { Endpoints, Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { isAlreadyExists, isConflict, isInvalid } from '../../api/errors.js';
import type { KubeObject } from '../../api/object.js';
import { findResource } from '../../api/resources.js';
import type { Registry } from '../registry/registry.js';

export const KUBERNETES_SERVICE = 'kubernetes';
const MANAGER = 'kube-apiserver';

export interface KubernetesServiceOptions {
  /** The first address of the service CIDR. */
  clusterIP: string;
  /** Address clients reach the API server on (its advertise address). */
  endpointIP: string;
  port: number;
}

/** Creates or corrects the `kubernetes` Service, Endpoints and EndpointSlice. */
export async function reconcileKubernetesService(registry: Registry, opts: KubernetesServiceOptions): Promise<void> {
  const svcInfo = findResource('', 'v1', 'services')!;
  const epInfo = findResource('', 'v1', 'endpoints')!;
  const sliceInfo = findResource('discovery.k8s.io', 'v1', 'endpointslices')!;
  const existing = registry.peek(svcInfo, 'default', KUBERNETES_SERVICE)?.obj as Service | undefined;
  if (!existing) {
    const svc: Service = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: KUBERNETES_SERVICE, namespace: 'default', labels: { component: 'apiserver', provider: 'kubernetes' } },
      spec: { type: 'ClusterIP', clusterIP: opts.clusterIP, ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: opts.port }], sessionAffinity: 'None' },
    };
    try {
      await registry.create(svcInfo, 'default', svc as KubeObject, { fieldManager: MANAGER });
    } catch (err) {
      // Someone holds the address (a Service created with that IP before the bootstrap ran,
      // or a server restarted with another --service-cidr): say so, do not stop the server.
      if (!isAlreadyExists(err) && !isInvalid(err)) throw err;
    }
  } else if (existing.spec?.ports?.[0]?.targetPort !== opts.port) {
    await registry.guaranteedUpdate(svcInfo, 'default', KUBERNETES_SERVICE, (cur) => {
      const next = JSON.parse(JSON.stringify(cur)) as Service;
      next.spec!.ports = [{ name: 'https', port: 443, protocol: 'TCP', targetPort: opts.port }];
      return next as KubeObject;
    }, { fieldManager: MANAGER });
  }
  const endpoints: Endpoints = {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: KUBERNETES_SERVICE, namespace: 'default', labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } },
    subsets: [{ addresses: [{ ip: opts.endpointIP }], ports: [{ name: 'https', port: opts.port, protocol: 'TCP' }] }],
  };
  const slice: EndpointSlice = {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: KUBERNETES_SERVICE, namespace: 'default', labels: { 'kubernetes.io/service-name': KUBERNETES_SERVICE } },
    addressType: 'IPv4',
    endpoints: [{ addresses: [opts.endpointIP], conditions: { ready: true } }],
    ports: [{ name: 'https', port: opts.port, protocol: 'TCP' }],
  };
  await put(registry, epInfo, endpoints as KubeObject, (cur) => ({ ...cur, metadata: { ...cur.metadata, labels: endpoints.metadata!.labels }, subsets: endpoints.subsets }) as KubeObject);
  await put(registry, sliceInfo, slice as unknown as KubeObject, (cur) => ({ ...cur, metadata: { ...cur.metadata, labels: slice.metadata!.labels }, addressType: slice.addressType, endpoints: slice.endpoints, ports: slice.ports }) as KubeObject);
}

async function put(registry: Registry, info: NonNullable<ReturnType<typeof findResource>>, obj: KubeObject, merge: (cur: KubeObject) => KubeObject): Promise<void> {
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      if (!registry.peek(info, 'default', obj.metadata!.name!)) await registry.create(info, 'default', obj, { fieldManager: MANAGER });
      else await registry.guaranteedUpdate(info, 'default', obj.metadata!.name!, (cur) => merge(cur), { fieldManager: MANAGER });
      return;
    } catch (err) {
      if (!isAlreadyExists(err) && !isConflict(err)) throw err;
    }
  }
}

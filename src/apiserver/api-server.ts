/**
 * Assembles the API server: watch cache over the store, registry, request handler, HTTPS
 * listener, and the bootstrap of system namespaces (Kubernetes' "system namespaces" post-start
 * hook). Returns the handler too, so in-process components use the same code path as kubectl.
 */
import type { Store } from '../storage/store.js';
import type { KubeObject } from '../api/object.js';
import type { ApiHandler } from '../api/http.js';
import { isAlreadyExists } from '../api/errors.js';
import { findResource } from '../api/resources.js';
import { ObjectCache } from './registry/object-cache.js';
import { Registry, type ManagedFieldsHook } from './registry/registry.js';
import type { Strategy } from './registry/strategy-contract.js';
import { createApiHandler, type OpenAPIServer } from './handler.js';
import { HttpsApiServer } from './https-server.js';
import { authenticate } from './auth/authn.js';
import type { ClusterCredentials } from './auth/credentials.js';
import type { PodStreamProvider } from './handlers/subresources.js';
import type { ProtobufDecoder } from './handlers/body.js';
import type { ResourceInfo } from '../api/resources.js';
import { ServiceAllocator, type PortRange } from './allocators/service-allocator.js';
import { reconcileKubernetesService } from './allocators/kubernetes-service.js';
import { advertiseAddress } from './allocators/advertise-address.js';
import type { Service } from 'kubernetes-types/core/v1.js';

/** Namespaces that exist from the first start, as in every Kubernetes cluster. */
export const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

export interface ApiServerOptions {
  store: Store;
  credentials: ClusterCredentials;
  bindAddress: string;
  port: number;
  version: string;
  strategyFor: (info: ResourceInfo) => Strategy;
  managedFields?: ManagedFieldsHook;
  openapi?: OpenAPIServer;
  protobuf?: ProtobufDecoder;
  podStreams?: PodStreamProvider;
  /** Service cluster IPs (`--service-cidr`) and node ports; also creates the `kubernetes` Service. */
  serviceNetwork?: { serviceCIDR: string; nodePortRange?: PortRange };
  log: (msg: string) => void;
}

export interface RunningApiServer {
  handler: ApiHandler;
  registry: Registry;
  cache: ObjectCache;
  /** Allocates Service cluster IPs and node ports (with `serviceNetwork`). */
  serviceAllocator?: ServiceAllocator;
  port: number;
  /** `https://host:port` for clients. */
  url: string;
  /** Stops serving (in-flight requests finish) and stops the cache. The store is the caller's. */
  stop(): Promise<void>;
}

export async function startApiServer(opts: ApiServerOptions): Promise<RunningApiServer> {
  const cache = new ObjectCache(opts.store, { log: opts.log });
  await cache.start();
  // Allocations are derived from the stored Services (the cache), so they survive restarts.
  const allocator = opts.serviceNetwork
    ? new ServiceAllocator({ ...opts.serviceNetwork, services: () => mapEntries(cache.scan('services', ''), (e) => e.obj as unknown as Service) })
    : undefined;
  const registry = new Registry({
    store: opts.store,
    cache,
    strategyFor: opts.strategyFor,
    ...(opts.managedFields ? { managedFields: opts.managedFields } : {}),
    ...(allocator
      ? {
          allocationsFor: (info: ResourceInfo) =>
            info.group === '' && info.resource === 'services' ? { allocate: (n: KubeObject, o: KubeObject | undefined, dry: boolean) => allocator.allocate(n as unknown as Service, o as unknown as Service | undefined, dry) } : undefined,
        }
      : {}),
  });
  await ensureSystemNamespaces(registry);
  const listenHost = opts.bindAddress;
  let ready = false;
  const handler = createApiHandler({
    registry,
    version: opts.version,
    serverAddress: `${hostForUrl(listenHost)}:${opts.port}`,
    ...(opts.openapi ? { openapi: opts.openapi } : {}),
    ...(opts.protobuf ? { protobuf: opts.protobuf } : {}),
    ...(opts.podStreams ? { podStreams: opts.podStreams } : {}),
    isReady: () => ready,
    caPem: opts.credentials.ca.certPem,
    log: opts.log,
  });
  const https = new HttpsApiServer({
    handler,
    authenticate: (h) => authenticate(h, { adminToken: opts.credentials.adminToken, nodeSecret: opts.credentials.nodeSecret }),
    cert: opts.credentials.serving.certPem,
    key: opts.credentials.serving.keyPem,
    log: opts.log,
    ...(opts.podStreams?.upgradeHandler ? { onUpgrade: opts.podStreams.upgradeHandler(handler) } : {}),
  });
  const { port } = await https.listen(opts.port, listenHost);
  if (allocator) {
    try {
      await reconcileKubernetesService(registry, { clusterIP: allocator.kubernetesServiceIP, endpointIP: advertiseAddress(listenHost), port });
    } catch (err) {
      opts.log(`cannot create the kubernetes Service: ${(err as Error).message}`);
    }
  }
  ready = true;
  const clientHost = listenHost === '0.0.0.0' || listenHost === '::' ? '127.0.0.1' : listenHost;
  return {
    handler,
    registry,
    cache,
    ...(allocator ? { serviceAllocator: allocator } : {}),
    port,
    url: `https://${hostForUrl(clientHost)}:${port}`,
    async stop() {
      ready = false;
      await https.close();
      cache.stop();
    },
  };
}

function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

async function ensureSystemNamespaces(registry: Registry): Promise<void> {
  const info = findResource('', 'v1', 'namespaces')!;
  for (const name of SYSTEM_NAMESPACES) {
    if (registry.peek(info, '', name)) continue;
    try {
      await registry.create(info, '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } }, { fieldManager: 'skiff-apiserver' });
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
  }
}

function* mapEntries<A, B>(it: Iterable<A>, f: (a: A) => B): Generator<B> {
  for (const a of it) yield f(a);
}

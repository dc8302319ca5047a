/**
 * The API client every Skiff component uses. One `Client` wraps a Transport (HTTPS or
 * in-process) and hands out resource clients: the generic `resource(ref)` form is the core,
 * with typed shortcuts for the kinds components use (`client.pods('default')`).
 *
 * Each component creates its client with its own `fieldManager` (e.g. `replicaset-controller`),
 * which the server records in managedFields for every write it makes.
 */
import type { ConfigMap, Endpoints, Event, Namespace, Node, PersistentVolume, PersistentVolumeClaim, Secret, Service, ServiceAccount } from 'kubernetes-types/core/v1.js';
import type { ControllerRevision, DaemonSet, Deployment, ReplicaSet, StatefulSet } from 'kubernetes-types/apps/v1.js';
import type { CronJob, Job } from 'kubernetes-types/batch/v1.js';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { KubeObject } from '../api/object.js';
import { findResourceByKind } from '../api/resources.js';
import type { Clock } from './clock.js';
import type { Logger } from './log.js';
import { silentLogger } from './log.js';
import { PodClient } from './pod-client.js';
import type { RestRequest } from './rest-client.js';
import { RestClient } from './rest-client.js';
import type { ResourceRef } from './resource-client.js';
import { resolveResource, ResourceClient } from './resource-client.js';
import type { Transport } from './transport.js';
import type { ObjectLike } from './types.js';

export interface ClientOptions {
  transport: Transport;
  /** Recorded by the server as the manager of fields this client writes. */
  fieldManager?: string;
  /** Sent as User-Agent (the server logs it; kubectl sends `kubectl/v1.32 …`). */
  userAgent?: string;
  logger?: Logger;
  /** Clock for retry delays. */
  clock?: Clock;
}

/** Entry point: `new Client({ transport, fieldManager: 'scheduler' })`. */
export class Client {
  readonly rest: RestClient;
  readonly fieldManager: string | undefined;
  readonly logger: Logger;

  constructor(private readonly opts: ClientOptions) {
    this.logger = opts.logger ?? silentLogger;
    this.fieldManager = opts.fieldManager;
    this.rest = new RestClient(opts.transport, {
      logger: this.logger,
      ...(opts.clock ? { clock: opts.clock } : {}),
      ...(opts.userAgent ? { headers: { 'user-agent': opts.userAgent } } : {}),
    });
  }

  get transport(): Transport {
    return this.opts.transport;
  }

  /** The same connection, writing as another field manager. */
  withFieldManager(fieldManager: string): Client {
    return new Client({ ...this.opts, fieldManager });
  }

  /** A client for any resource; namespaced resources start unscoped (all namespaces). */
  resource<T extends ObjectLike = KubeObject>(ref: ResourceRef): ResourceClient<T> {
    return new ResourceClient<T>(this.rest, resolveResource(ref), undefined, this.defaults());
  }

  /** A client for the resource serving `apiVersion`/`kind` (must be in the served table). */
  forKind<T extends ObjectLike = KubeObject>(apiVersion: string, kind: string): ResourceClient<T> {
    const info = findResourceByKind(apiVersion, kind);
    if (!info) throw new Error(`no served resource for ${apiVersion} ${kind}`);
    return this.resource<T>(info);
  }

  /** A raw JSON request (discovery, /version, anything without a resource client). */
  request<T>(req: RestRequest): Promise<T> {
    return this.rest.json<T>(req);
  }

  pods(namespace?: string): PodClient {
    const c = new PodClient(this.rest, resolveResource({ group: '', version: 'v1', resource: 'pods' }), undefined, this.defaults());
    return namespace ? c.namespace(namespace) : c;
  }
  nodes(): ResourceClient<Node> {
    return this.typed<Node>('', 'v1', 'nodes');
  }
  namespaces(): ResourceClient<Namespace> {
    return this.typed<Namespace>('', 'v1', 'namespaces');
  }
  services(namespace?: string): ResourceClient<Service> {
    return this.typed<Service>('', 'v1', 'services', namespace);
  }
  endpoints(namespace?: string): ResourceClient<Endpoints> {
    return this.typed<Endpoints>('', 'v1', 'endpoints', namespace);
  }
  configMaps(namespace?: string): ResourceClient<ConfigMap> {
    return this.typed<ConfigMap>('', 'v1', 'configmaps', namespace);
  }
  secrets(namespace?: string): ResourceClient<Secret> {
    return this.typed<Secret>('', 'v1', 'secrets', namespace);
  }
  serviceAccounts(namespace?: string): ResourceClient<ServiceAccount> {
    return this.typed<ServiceAccount>('', 'v1', 'serviceaccounts', namespace);
  }
  persistentVolumeClaims(namespace?: string): ResourceClient<PersistentVolumeClaim> {
    return this.typed<PersistentVolumeClaim>('', 'v1', 'persistentvolumeclaims', namespace);
  }
  persistentVolumes(): ResourceClient<PersistentVolume> {
    return this.typed<PersistentVolume>('', 'v1', 'persistentvolumes');
  }
  /** core/v1 Events (what the event recorder writes and `kubectl describe` reads). */
  events(namespace?: string): ResourceClient<Event> {
    return this.typed<Event>('', 'v1', 'events', namespace);
  }
  deployments(namespace?: string): ResourceClient<Deployment> {
    return this.typed<Deployment>('apps', 'v1', 'deployments', namespace);
  }
  replicaSets(namespace?: string): ResourceClient<ReplicaSet> {
    return this.typed<ReplicaSet>('apps', 'v1', 'replicasets', namespace);
  }
  statefulSets(namespace?: string): ResourceClient<StatefulSet> {
    return this.typed<StatefulSet>('apps', 'v1', 'statefulsets', namespace);
  }
  daemonSets(namespace?: string): ResourceClient<DaemonSet> {
    return this.typed<DaemonSet>('apps', 'v1', 'daemonsets', namespace);
  }
  controllerRevisions(namespace?: string): ResourceClient<ControllerRevision> {
    return this.typed<ControllerRevision>('apps', 'v1', 'controllerrevisions', namespace);
  }
  jobs(namespace?: string): ResourceClient<Job> {
    return this.typed<Job>('batch', 'v1', 'jobs', namespace);
  }
  cronJobs(namespace?: string): ResourceClient<CronJob> {
    return this.typed<CronJob>('batch', 'v1', 'cronjobs', namespace);
  }
  leases(namespace?: string): ResourceClient<Lease> {
    return this.typed<Lease>('coordination.k8s.io', 'v1', 'leases', namespace);
  }
  endpointSlices(namespace?: string): ResourceClient<EndpointSlice> {
    return this.typed<EndpointSlice>('discovery.k8s.io', 'v1', 'endpointslices', namespace);
  }

  /** Releases the transport's pooled connections. */
  close(): void {
    this.opts.transport.close();
  }

  private typed<T extends ObjectLike>(group: string, version: string, resource: string, namespace?: string): ResourceClient<T> {
    const c = this.resource<T>({ group, version, resource });
    return namespace ? c.namespace(namespace) : c;
  }

  private defaults(): { fieldManager?: string } {
    return this.fieldManager ? { fieldManager: this.fieldManager } : {};
  }
}

/**
 * One informer per resource and selector, shared by every controller in a process (client-go's
 * SharedInformerFactory): ten controllers watching pods make one pod list+watch, one cache.
 *
 *   const factory = new SharedInformerFactory(client);
 *   const pods = factory.pods();
 *   const rs = factory.replicaSets();
 *   factory.start(signal);
 *   await factory.waitForCacheSync(signal);
 */
import type { Pod, Node, Namespace, Service, Endpoints, ConfigMap, Secret, Event, ServiceAccount, PersistentVolumeClaim } from 'kubernetes-types/core/v1.js';
import type { ControllerRevision, DaemonSet, Deployment, ReplicaSet, StatefulSet } from 'kubernetes-types/apps/v1.js';
import type { CronJob, Job } from 'kubernetes-types/batch/v1.js';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { KubeObject } from '../api/object.js';
import type { Client } from './client.js';
import type { Clock } from './clock.js';
import type { IndexFunc } from './indexer.js';
import type { Logger } from './log.js';
import { silentLogger } from './log.js';
import type { FieldSelectorInput, LabelSelectorInput } from './query.js';
import { formatFieldSelector, formatLabelSelector } from './query.js';
import type { ResourceRef } from './resource-client.js';
import type { ObjectLike } from './types.js';
import { SharedInformer, waitAll } from './informer.js';

export interface FactoryOptions {
  /** Restrict every informer to one namespace (default: all namespaces). */
  namespace?: string;
  logger?: Logger;
  clock?: Clock;
  /** Freeze cached objects (default true). */
  freeze?: boolean;
  pageSize?: number;
}

export interface InformerRequest<T> {
  /** Overrides the factory's namespace for this informer. */
  namespace?: string;
  labelSelector?: LabelSelectorInput;
  fieldSelector?: FieldSelectorInput;
  /** Merged into the shared informer's indexes (names must not clash with different functions). */
  indexers?: Record<string, IndexFunc<T>>;
}

export class SharedInformerFactory {
  private readonly informers = new Map<string, SharedInformer<ObjectLike>>();
  private readonly runs: Array<Promise<void>> = [];
  private startSignal: AbortSignal | undefined;
  private readonly logger: Logger;

  constructor(
    private readonly client: Client,
    private readonly opts: FactoryOptions = {},
  ) {
    this.logger = opts.logger ?? silentLogger;
  }

  /** The shared informer for `ref` and the request's namespace and selectors (created on first use). */
  informerFor<T extends ObjectLike = KubeObject>(ref: ResourceRef, req: InformerRequest<T> = {}): SharedInformer<T> {
    let rc = this.client.resource<T>(ref);
    const ns = req.namespace ?? this.opts.namespace;
    if (ns && rc.info.namespaced) rc = rc.namespace(ns);
    const key = [rc.collectionPath(), formatLabelSelector(req.labelSelector), formatFieldSelector(req.fieldSelector)].join('|');
    let inf = this.informers.get(key) as SharedInformer<T> | undefined;
    if (!inf) {
      inf = new SharedInformer<T>(rc, {
        ...(req.labelSelector !== undefined ? { labelSelector: req.labelSelector } : {}),
        ...(req.fieldSelector !== undefined ? { fieldSelector: req.fieldSelector } : {}),
        ...(this.opts.freeze !== undefined ? { freeze: this.opts.freeze } : {}),
        ...(this.opts.pageSize !== undefined ? { pageSize: this.opts.pageSize } : {}),
        ...(this.opts.clock ? { clock: this.opts.clock } : {}),
        logger: this.logger,
      });
      this.informers.set(key, inf as unknown as SharedInformer<ObjectLike>);
      // Created after start(): start it too, so late registrations are not silently inert.
      if (this.startSignal) this.runs.push(inf.run(this.startSignal));
    }
    if (req.indexers) inf.addIndexers(req.indexers);
    return inf;
  }

  /** Starts every informer created so far, and any created later, until `signal` aborts. */
  start(signal: AbortSignal): void {
    if (this.startSignal) return;
    this.startSignal = signal;
    for (const inf of this.informers.values()) this.runs.push(inf.run(signal));
  }

  /** Resolves true once every informer has synced (false if `signal` aborts first). */
  async waitForCacheSync(signal?: AbortSignal): Promise<boolean> {
    return waitAll([...this.informers.values()], signal);
  }

  /** Resolves when every started informer has stopped (after the start signal aborted). */
  async shutdown(): Promise<void> {
    await Promise.all(this.runs);
  }

  pods(req?: InformerRequest<Pod>): SharedInformer<Pod> {
    return this.informerFor<Pod>({ group: '', version: 'v1', resource: 'pods' }, req);
  }
  nodes(req?: InformerRequest<Node>): SharedInformer<Node> {
    return this.informerFor<Node>({ group: '', version: 'v1', resource: 'nodes' }, req);
  }
  namespaces(req?: InformerRequest<Namespace>): SharedInformer<Namespace> {
    return this.informerFor<Namespace>({ group: '', version: 'v1', resource: 'namespaces' }, req);
  }
  services(req?: InformerRequest<Service>): SharedInformer<Service> {
    return this.informerFor<Service>({ group: '', version: 'v1', resource: 'services' }, req);
  }
  endpoints(req?: InformerRequest<Endpoints>): SharedInformer<Endpoints> {
    return this.informerFor<Endpoints>({ group: '', version: 'v1', resource: 'endpoints' }, req);
  }
  configMaps(req?: InformerRequest<ConfigMap>): SharedInformer<ConfigMap> {
    return this.informerFor<ConfigMap>({ group: '', version: 'v1', resource: 'configmaps' }, req);
  }
  secrets(req?: InformerRequest<Secret>): SharedInformer<Secret> {
    return this.informerFor<Secret>({ group: '', version: 'v1', resource: 'secrets' }, req);
  }
  serviceAccounts(req?: InformerRequest<ServiceAccount>): SharedInformer<ServiceAccount> {
    return this.informerFor<ServiceAccount>({ group: '', version: 'v1', resource: 'serviceaccounts' }, req);
  }
  persistentVolumeClaims(req?: InformerRequest<PersistentVolumeClaim>): SharedInformer<PersistentVolumeClaim> {
    return this.informerFor<PersistentVolumeClaim>({ group: '', version: 'v1', resource: 'persistentvolumeclaims' }, req);
  }
  events(req?: InformerRequest<Event>): SharedInformer<Event> {
    return this.informerFor<Event>({ group: '', version: 'v1', resource: 'events' }, req);
  }
  deployments(req?: InformerRequest<Deployment>): SharedInformer<Deployment> {
    return this.informerFor<Deployment>({ group: 'apps', version: 'v1', resource: 'deployments' }, req);
  }
  replicaSets(req?: InformerRequest<ReplicaSet>): SharedInformer<ReplicaSet> {
    return this.informerFor<ReplicaSet>({ group: 'apps', version: 'v1', resource: 'replicasets' }, req);
  }
  statefulSets(req?: InformerRequest<StatefulSet>): SharedInformer<StatefulSet> {
    return this.informerFor<StatefulSet>({ group: 'apps', version: 'v1', resource: 'statefulsets' }, req);
  }
  daemonSets(req?: InformerRequest<DaemonSet>): SharedInformer<DaemonSet> {
    return this.informerFor<DaemonSet>({ group: 'apps', version: 'v1', resource: 'daemonsets' }, req);
  }
  controllerRevisions(req?: InformerRequest<ControllerRevision>): SharedInformer<ControllerRevision> {
    return this.informerFor<ControllerRevision>({ group: 'apps', version: 'v1', resource: 'controllerrevisions' }, req);
  }
  jobs(req?: InformerRequest<Job>): SharedInformer<Job> {
    return this.informerFor<Job>({ group: 'batch', version: 'v1', resource: 'jobs' }, req);
  }
  cronJobs(req?: InformerRequest<CronJob>): SharedInformer<CronJob> {
    return this.informerFor<CronJob>({ group: 'batch', version: 'v1', resource: 'cronjobs' }, req);
  }
  leases(req?: InformerRequest<Lease>): SharedInformer<Lease> {
    return this.informerFor<Lease>({ group: 'coordination.k8s.io', version: 'v1', resource: 'leases' }, req);
  }
  endpointSlices(req?: InformerRequest<EndpointSlice>): SharedInformer<EndpointSlice> {
    return this.informerFor<EndpointSlice>({ group: 'discovery.k8s.io', version: 'v1', resource: 'endpointslices' }, req);
  }
}


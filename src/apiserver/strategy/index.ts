/**
 * `strategyFor(resource)`: the per-kind strategy the generic registry calls for defaulting,
 * create/update preparation, validation and generation rules. Kinds without special rules get
 * {@link BaseStrategy}: ObjectMeta validation and status-subresource handling.
 */
import type { ResourceInfo } from '../../api/resources.js';
import { BaseStrategy, type Strategy } from './base.js';
import { ControllerRevisionStrategy, DaemonSetStrategy, DeploymentStrategy, ReplicaSetStrategy, StatefulSetStrategy } from './apps.js';
import { CronJobStrategy, JobStrategy } from './batch.js';
import {
  BindingStrategy,
  ConfigMapStrategy,
  CoreEventStrategy,
  EndpointSliceStrategy,
  EndpointsStrategy,
  EventsV1EventStrategy,
  LeaseStrategy,
  NamespaceStrategy,
  NodeStrategy,
  PersistentVolumeClaimStrategy,
  PersistentVolumeStrategy,
  SecretStrategy,
  ServiceAccountStrategy,
} from './core-kinds.js';
import { PodStrategy, type PodStrategyOptions } from './pod.js';
import { ServiceStrategy } from './service.js';

export type { Strategy };
export { BaseStrategy };

type StrategyClass = new (info: ResourceInfo) => Strategy;

/** Strategy classes keyed by `group/Kind` (core group is ''). */
const BY_KIND: Record<string, StrategyClass> = {
  '/Pod': PodStrategy,
  '/Binding': BindingStrategy,
  '/Service': ServiceStrategy,
  '/Namespace': NamespaceStrategy,
  '/Node': NodeStrategy,
  '/ConfigMap': ConfigMapStrategy,
  '/Secret': SecretStrategy,
  '/ServiceAccount': ServiceAccountStrategy,
  '/PersistentVolumeClaim': PersistentVolumeClaimStrategy,
  '/PersistentVolume': PersistentVolumeStrategy,
  '/Endpoints': EndpointsStrategy,
  '/Event': CoreEventStrategy,
  'apps/ReplicaSet': ReplicaSetStrategy,
  'apps/Deployment': DeploymentStrategy,
  'apps/StatefulSet': StatefulSetStrategy,
  'apps/DaemonSet': DaemonSetStrategy,
  'apps/ControllerRevision': ControllerRevisionStrategy,
  'batch/Job': JobStrategy,
  'batch/CronJob': CronJobStrategy,
  'coordination.k8s.io/Lease': LeaseStrategy,
  'discovery.k8s.io/EndpointSlice': EndpointSliceStrategy,
  'events.k8s.io/Event': EventsV1EventStrategy,
};

/** Server options strategies apply (admission flags such as DefaultTolerationSeconds'). */
export type StrategyOptions = PodStrategyOptions;

/**
 * A `strategyFor` bound to server options (`skiff server --default-not-ready-toleration-seconds …`);
 * one strategy instance per ResourceInfo, as strategies are stateless.
 */
export function createStrategyFor(opts: StrategyOptions = {}): (resource: ResourceInfo) => Strategy {
  const cache = new WeakMap<ResourceInfo, Strategy>();
  return (resource) => {
    let s = cache.get(resource);
    if (!s) {
      const Ctor = BY_KIND[`${resource.group}/${resource.kind}`] ?? BaseStrategy;
      s = Ctor === PodStrategy ? new PodStrategy(resource, opts) : new Ctor(resource);
      cache.set(resource, s);
    }
    return s;
  };
}

/** The strategy for a served resource, with Kubernetes' default options. */
export const strategyFor: (resource: ResourceInfo) => Strategy = createStrategyFor();

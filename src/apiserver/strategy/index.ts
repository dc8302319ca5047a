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
import { PodStrategy } from './pod.js';
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

const cache = new WeakMap<ResourceInfo, Strategy>();

/** The strategy for a served resource (one instance per ResourceInfo; strategies are stateless). */
export function strategyFor(resource: ResourceInfo): Strategy {
  let s = cache.get(resource);
  if (!s) {
    const Ctor = BY_KIND[`${resource.group}/${resource.kind}`] ?? BaseStrategy;
    s = new Ctor(resource);
    cache.set(resource, s);
  }
  return s;
}

/**
 * Every controller `skiff server` runs, in kube-controller-manager's order. Each entry is a
 * factory so flags (grace periods, tolerations) can reach the controllers that need them.
 */
import type { Controller } from './controller.js';
import { ServiceAccountController } from './serviceaccount/serviceaccount-controller.js';
import { NamespaceController } from './namespace/namespace-controller.js';
import { GarbageCollector } from './garbagecollector/garbage-collector.js';
import { RootCACertPublisher } from './rootcacert/root-ca-cert-publisher.js';
import { DaemonSetController } from './daemonset/daemonset-controller.js';
import { StatefulSetController } from './statefulset/statefulset-controller.js';
import { PersistentVolumeController } from './volume/persistent-volume-controller.js';
import { ReplicaSetController } from './replicaset/replicaset-controller.js';
import { DeploymentController } from './deployment/deployment-controller.js';
import { JobController } from './job/job-controller.js';
import { CronJobController } from './cronjob/cronjob-controller.js';
import { TTLAfterFinishedController } from './ttlafterfinished/ttl-after-finished-controller.js';
import { NodeLifecycleController } from './nodelifecycle/node-lifecycle-controller.js';
import { TaintEvictionController } from './tainteviction/taint-eviction-controller.js';
import { PodGCController } from './podgc/pod-gc-controller.js';
import { EndpointsController } from './endpoints/endpoints-controller.js';
import { EndpointSliceController } from './endpointslice/endpointslice-controller.js';
import { NodeIpamController } from './nodeipam/node-ipam-controller.js';

export interface ControllerFlags {
  /** --node-monitor-grace-period (Kubernetes default 50 s since 1.32). */
  nodeMonitorGracePeriodMs: number;
  /** --default-not-ready-toleration-seconds / --default-unreachable-toleration-seconds. */
  defaultNotReadyTolerationSeconds: number;
  defaultUnreachableTolerationSeconds: number;
  /** --node-startup-grace-period (60 s) and --node-monitor-period (5 s). */
  nodeStartupGracePeriodMs?: number;
  nodeMonitorPeriodMs?: number;
  /** --node-eviction-rate (0.1 node/s). */
  nodeEvictionRate?: number;
  /** Pod GC: quarantine of a deleted node's pods (40 s) and --terminated-pod-gc-threshold (12,500). */
  podGCQuarantineMs?: number;
  terminatedPodGCThreshold?: number;
  /** Node CIDR allocation (--cluster-cidr), when the networking work provides it. */
  clusterCidr?: string;
  /** The cluster CA certificate (PEM) published as ConfigMap kube-root-ca.crt in every namespace. */
  clusterCA?: string;
}

export const DEFAULT_CONTROLLER_FLAGS: ControllerFlags = {
  nodeMonitorGracePeriodMs: 50_000,
  defaultNotReadyTolerationSeconds: 300,
  defaultUnreachableTolerationSeconds: 300,
};

/** The controllers to run. Entries are added here as each controller lands. */
export function allControllers(flags: ControllerFlags = DEFAULT_CONTROLLER_FLAGS): Controller[] {
  void flags;
  const controllers: Controller[] = [
    new NamespaceController(),
    new ServiceAccountController(),
    new GarbageCollector(),
    new NodeLifecycleController({
      nodeMonitorGracePeriodMs: flags.nodeMonitorGracePeriodMs,
      ...(flags.nodeStartupGracePeriodMs !== undefined ? { nodeStartupGracePeriodMs: flags.nodeStartupGracePeriodMs } : {}),
      ...(flags.nodeMonitorPeriodMs !== undefined ? { nodeMonitorPeriodMs: flags.nodeMonitorPeriodMs } : {}),
      ...(flags.nodeEvictionRate !== undefined ? { evictionLimiterQPS: flags.nodeEvictionRate } : {}),
    }),
    new TaintEvictionController(),
    new PodGCController({
      ...(flags.podGCQuarantineMs !== undefined ? { quarantineMs: flags.podGCQuarantineMs } : {}),
      ...(flags.terminatedPodGCThreshold !== undefined ? { terminatedPodThreshold: flags.terminatedPodGCThreshold } : {}),
    }),
    new DaemonSetController(),
    new StatefulSetController(),
    new PersistentVolumeController(),
    new ReplicaSetController(),
    new DeploymentController(),
    new JobController(),
    new CronJobController(),
    new TTLAfterFinishedController(),
    new EndpointsController(),
    new EndpointSliceController(),
    ...(flags.clusterCidr ? [new NodeIpamController({ clusterCIDR: flags.clusterCidr })] : []),
    ...(flags.clusterCA ? [new RootCACertPublisher(flags.clusterCA)] : []),
  ];
  return controllers;
}

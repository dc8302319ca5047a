/**
 * Schema table: core/v1 container statuses reported in PodStatus.
 * Facts as of Kubernetes 1.33 (field names, protobuf numbers, patch and list semantics); notation in ../dsl.ts.
 */
import { defineTypes, type TypeTable } from '../dsl.js';

export const CORE_V1_POD_STATUS_TABLES: readonly TypeTable[] = [
  defineTypes('io.k8s.api.core.v1', {
    ContainerState: `
      waiting     1 ContainerStateWaiting
      running     2 ContainerStateRunning
      terminated  3 ContainerStateTerminated`,
    ContainerStateRunning: `
      startedAt  1 Time`,
    ContainerStateTerminated: `
      exitCode     1 int32 !
      signal       2 int32
      reason       3 string
      message      4 string
      startedAt    5 Time
      finishedAt   6 Time
      containerID  7 string`,
    ContainerStateWaiting: `
      reason   1 string
      message  2 string`,
    ContainerStatus: `
      name                      1 string !
      state                     2 ContainerState
      lastState                 3 ContainerState
      ready                     4 boolean !
      restartCount              5 int32 !
      image                     6 string !
      imageID                   7 string !
      containerID               8 string
      started                   9 boolean ptr
      allocatedResources       10 Quantity{}
      resources                11 ResourceRequirements
      volumeMounts             12 VolumeMountStatus[] merge=mountPath list=map:mountPath
      user                     13 ContainerUser
      allocatedResourcesStatus 14 ResourceStatus[] merge=name list=map:name
      stopSignal               15 string ptr`,
    ContainerUser: `
      linux  1 LinuxContainerUser`,
    LinuxContainerUser: `
      uid                 1 int64 !
      gid                 2 int64 !
      supplementalGroups  3 int64[]`,
    ResourceHealth: `
      resourceID  1 string !
      health      2 string`,
    ResourceStatus: `
      name       1 string !
      resources  2 ResourceHealth[] list=map:resourceID`,
    VolumeMountStatus: `
      name               1 string !
      mountPath          2 string !
      readOnly           3 boolean
      recursiveReadOnly  4 string`,
  }),
];

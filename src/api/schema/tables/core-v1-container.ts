/**
 * Schema table: core/v1 Container and everything a container spec holds: ports, env, resources, probes, lifecycle hooks, mounts.
 * Facts as of Kubernetes 1.33 (field names, protobuf numbers, patch and list semantics); notation in ../dsl.ts.
 */
import { defineTypes, type TypeTable } from '../dsl.js';

export const CORE_V1_CONTAINER_TABLES: readonly TypeTable[] = [
  defineTypes('io.k8s.api.core.v1', {
    ConfigMapEnvSource: `
      ...localObjectReference  1 LocalObjectReference
      optional                 2 boolean ptr`,
    ConfigMapKeySelector: `
      @atomic
      ...localObjectReference  1 LocalObjectReference
      key                      2 string !
      optional                 3 boolean ptr`,
    Container: `
      name                      1 string !
      image                     2 string
      command                   3 string[]
      args                      4 string[]
      workingDir                5 string
      ports                     6 ContainerPort[] merge=containerPort list=map:containerPort,protocol
      envFrom                  19 EnvFromSource[]
      env                       7 EnvVar[] merge=name list=map:name
      resources                 8 ResourceRequirements
      resizePolicy             23 ContainerResizePolicy[]
      restartPolicy            24 string ptr
      volumeMounts              9 VolumeMount[] merge=mountPath list=map:mountPath
      volumeDevices            21 VolumeDevice[] merge=devicePath list=map:devicePath
      livenessProbe            10 Probe
      readinessProbe           11 Probe
      startupProbe             22 Probe
      lifecycle                12 Lifecycle
      terminationMessagePath   13 string
      terminationMessagePolicy 20 string enum=FallbackToLogsOnError|File
      imagePullPolicy          14 string enum=Always|IfNotPresent|Never
      securityContext          15 SecurityContext
      stdin                    16 boolean
      stdinOnce                17 boolean
      tty                      18 boolean`,
    ContainerPort: `
      name           1 string
      hostPort       2 int32
      containerPort  3 int32 !
      protocol       4 string enum=SCTP|TCP|UDP
      hostIP         5 string`,
    ContainerResizePolicy: `
      resourceName   1 string !
      restartPolicy  2 string !`,
    EnvFromSource: `
      prefix        1 string
      configMapRef  2 ConfigMapEnvSource
      secretRef     3 SecretEnvSource`,
    EnvVar: `
      name       1 string !
      value      2 string
      valueFrom  3 EnvVarSource`,
    EnvVarSource: `
      fieldRef          1 ObjectFieldSelector
      resourceFieldRef  2 ResourceFieldSelector
      configMapKeyRef   3 ConfigMapKeySelector
      secretKeyRef      4 SecretKeySelector`,
    EphemeralContainer: `
      ephemeralContainerCommon  1 EphemeralContainerCommon
      targetContainerName       2 string`,
    EphemeralContainerCommon: `
      name                      1 string !
      image                     2 string
      command                   3 string[]
      args                      4 string[]
      workingDir                5 string
      ports                     6 ContainerPort[] merge=containerPort list=map:containerPort,protocol
      envFrom                  19 EnvFromSource[]
      env                       7 EnvVar[] merge=name list=map:name
      resources                 8 ResourceRequirements
      resizePolicy             23 ContainerResizePolicy[]
      restartPolicy            24 string ptr
      volumeMounts              9 VolumeMount[] merge=mountPath list=map:mountPath
      volumeDevices            21 VolumeDevice[] merge=devicePath list=map:devicePath
      livenessProbe            10 Probe
      readinessProbe           11 Probe
      startupProbe             22 Probe
      lifecycle                12 Lifecycle
      terminationMessagePath   13 string
      terminationMessagePolicy 20 string enum=FallbackToLogsOnError|File
      imagePullPolicy          14 string enum=Always|IfNotPresent|Never
      securityContext          15 SecurityContext
      stdin                    16 boolean
      stdinOnce                17 boolean
      tty                      18 boolean`,
    ExecAction: `
      command  1 string[] list=atomic`,
    GRPCAction: `
      port     1 int32 !
      service  2 string ptr`,
    HTTPGetAction: `
      path         1 string
      port         2 IntOrString !
      host         3 string
      scheme       4 string enum=HTTP|HTTPS
      httpHeaders  5 HTTPHeader[]`,
    HTTPHeader: `
      name   1 string !
      value  2 string !`,
    Lifecycle: `
      postStart   1 LifecycleHandler
      preStop     2 LifecycleHandler
      stopSignal  3 string ptr`,
    LifecycleHandler: `
      exec       1 ExecAction
      httpGet    2 HTTPGetAction
      tcpSocket  3 TCPSocketAction
      sleep      4 SleepAction`,
    ObjectFieldSelector: `
      @atomic
      apiVersion  1 string
      fieldPath   2 string !`,
    Probe: `
      ...handler                     1 ProbeHandler
      initialDelaySeconds            2 int32
      timeoutSeconds                 3 int32
      periodSeconds                  4 int32
      successThreshold               5 int32
      failureThreshold               6 int32
      terminationGracePeriodSeconds  7 int64 ptr`,
    ProbeHandler: `
      exec       1 ExecAction
      httpGet    2 HTTPGetAction
      tcpSocket  3 TCPSocketAction
      grpc       4 GRPCAction`,
    ResourceClaim: `
      name     1 string !
      request  2 string ptr`,
    ResourceFieldSelector: `
      @atomic
      containerName  1 string
      resource       2 string !
      divisor        3 Quantity`,
    ResourceRequirements: `
      limits    1 Quantity{}
      requests  2 Quantity{}
      claims    3 ResourceClaim[] list=map:name`,
    SecretEnvSource: `
      ...localObjectReference  1 LocalObjectReference
      optional                 2 boolean ptr`,
    SecretKeySelector: `
      @atomic
      ...localObjectReference  1 LocalObjectReference
      key                      2 string !
      optional                 3 boolean ptr`,
    SleepAction: `
      seconds  1 int64 !`,
    TCPSocketAction: `
      port  1 IntOrString !
      host  2 string`,
    VolumeDevice: `
      name        1 string !
      devicePath  2 string !`,
    VolumeMount: `
      name               1 string !
      readOnly           2 boolean
      recursiveReadOnly  7 string ptr
      mountPath          3 string !
      subPath            4 string
      mountPropagation   5 string ptr
      subPathExpr        6 string`,
  }),
];

/**
 * Schema table: core/v1 Node, NodeSpec, NodeStatus and their parts.
 * Facts as of Kubernetes 1.33 (field names, protobuf numbers, patch and list semantics); notation in ../dsl.ts.
 */
import { defineTypes, type TypeTable } from '../dsl.js';

export const CORE_V1_NODE_TABLES: readonly TypeTable[] = [
  defineTypes('io.k8s.api.core.v1', {
    AttachedVolume: `
      name        1 string !
      devicePath  2 string !`,
    ConfigMapNodeConfigSource: `
      namespace         1 string !
      name              2 string !
      uid               3 string
      resourceVersion   4 string
      kubeletConfigKey  5 string !`,
    ContainerImage: `
      names      1 string[] list=atomic
      sizeBytes  2 int64`,
    DaemonEndpoint: `
      Port  1 int32 !`,
    Node: `
      metadata  1 meta.ObjectMeta
      spec      2 NodeSpec
      status    3 NodeStatus`,
    NodeAddress: `
      type     1 string ! enum=ExternalDNS|ExternalIP|Hostname|InternalDNS|InternalIP
      address  2 string !`,
    NodeCondition: `
      type                1 string !
      status              2 string !
      lastHeartbeatTime   3 Time
      lastTransitionTime  4 Time
      reason              5 string
      message             6 string`,
    NodeConfigSource: `
      configMap  2 ConfigMapNodeConfigSource`,
    NodeConfigStatus: `
      assigned       1 NodeConfigSource
      active         2 NodeConfigSource
      lastKnownGood  3 NodeConfigSource
      error          4 string`,
    NodeDaemonEndpoints: `
      kubeletEndpoint  1 DaemonEndpoint`,
    NodeFeatures: `
      supplementalGroupsPolicy  1 boolean ptr`,
    NodeList: `
      metadata  1 meta.ListMeta
      items     2 Node[]`,
    NodeRuntimeHandler: `
      name      1 string !
      features  2 NodeRuntimeHandlerFeatures`,
    NodeRuntimeHandlerFeatures: `
      recursiveReadOnlyMounts  1 boolean ptr
      userNamespaces           2 boolean ptr`,
    NodeSpec: `
      podCIDR        1 string
      podCIDRs       7 string[] patch=merge list=set
      providerID     3 string
      unschedulable  4 boolean
      taints         5 Taint[]
      configSource   6 NodeConfigSource
      externalID     2 string`,
    NodeStatus: `
      capacity         1 Quantity{}
      allocatable      2 Quantity{}
      phase            3 string enum=Pending|Running|Terminated
      conditions       4 NodeCondition[] merge=type list=map:type
      addresses        5 NodeAddress[] merge=type list=map:type
      daemonEndpoints  6 NodeDaemonEndpoints
      nodeInfo         7 NodeSystemInfo
      images           8 ContainerImage[]
      volumesInUse     9 string[]
      volumesAttached 10 AttachedVolume[]
      config          11 NodeConfigStatus
      runtimeHandlers 12 NodeRuntimeHandler[]
      features        13 NodeFeatures`,
    NodeSwapStatus: `
      capacity  1 int64 ptr`,
    NodeSystemInfo: `
      machineID                1 string !
      systemUUID               2 string !
      bootID                   3 string !
      kernelVersion            4 string !
      osImage                  5 string !
      containerRuntimeVersion  6 string !
      kubeletVersion           7 string !
      kubeProxyVersion         8 string !
      operatingSystem          9 string !
      architecture            10 string !
      swap                    11 NodeSwapStatus`,
    Taint: `
      key        1 string !
      value      2 string
      effect     3 string ! enum=NoExecute|NoSchedule|PreferNoSchedule
      timeAdded  4 Time`,
  }),
];

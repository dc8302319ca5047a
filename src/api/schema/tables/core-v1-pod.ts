/**
 * Schema table: core/v1 Pod, PodSpec, PodStatus, PodTemplateSpec and the small types only pods use.
 * Facts as of Kubernetes 1.33 (field names, protobuf numbers, patch and list semantics); notation in ../dsl.ts.
 */
import { defineTypes, type TypeTable } from '../dsl.js';

export const CORE_V1_POD_TABLES: readonly TypeTable[] = [
  defineTypes('io.k8s.api.core.v1', {
    HostAlias: `
      ip         1 string !
      hostnames  2 string[]`,
    HostIP: `
      ip  1 string !`,
    Pod: `
      metadata  1 meta.ObjectMeta
      spec      2 PodSpec
      status    3 PodStatus`,
    PodCondition: `
      type                1 string !
      observedGeneration  7 int64 ptr
      status              2 string !
      lastProbeTime       3 Time
      lastTransitionTime  4 Time
      reason              5 string
      message             6 string`,
    PodDNSConfig: `
      nameservers  1 string[]
      searches     2 string[]
      options      3 PodDNSConfigOption[]`,
    PodDNSConfigOption: `
      name   1 string
      value  2 string`,
    PodIP: `
      ip  1 string !`,
    PodList: `
      metadata  1 meta.ListMeta
      items     2 Pod[]`,
    PodOS: `
      name  1 string !`,
    PodReadinessGate: `
      conditionType  1 string !`,
    PodResourceClaim: `
      name                       1 string !
      resourceClaimName          3 string ptr
      resourceClaimTemplateName  4 string ptr`,
    PodResourceClaimStatus: `
      name               1 string !
      resourceClaimName  2 string ptr`,
    PodSchedulingGate: `
      name  1 string !`,
    PodSpec: `
      volumes                        1 Volume[] patch=merge,retainKeys mergeKey=name list=map:name
      initContainers                20 Container[] merge=name list=map:name
      containers                     2 Container[] ! merge=name list=map:name
      ephemeralContainers           34 EphemeralContainer[] merge=name list=map:name
      restartPolicy                  3 string enum=Always|Never|OnFailure
      terminationGracePeriodSeconds  4 int64 ptr
      activeDeadlineSeconds          5 int64 ptr
      dnsPolicy                      6 string enum=ClusterFirst|ClusterFirstWithHostNet|Default|None
      nodeSelector                   7 string{} map=atomic
      serviceAccountName             8 string
      serviceAccount                 9 string
      automountServiceAccountToken  21 boolean ptr
      nodeName                      10 string
      hostNetwork                   11 boolean
      hostPID                       12 boolean
      hostIPC                       13 boolean
      shareProcessNamespace         27 boolean ptr
      securityContext               14 PodSecurityContext
      imagePullSecrets              15 LocalObjectReference[] merge=name list=map:name
      hostname                      16 string
      subdomain                     17 string
      affinity                      18 Affinity
      schedulerName                 19 string
      tolerations                   22 Toleration[]
      hostAliases                   23 HostAlias[] merge=ip list=map:ip
      priorityClassName             24 string
      priority                      25 int32 ptr
      dnsConfig                     26 PodDNSConfig
      readinessGates                28 PodReadinessGate[]
      runtimeClassName              29 string ptr
      enableServiceLinks            30 boolean ptr
      preemptionPolicy              31 string enum=Never|PreemptLowerPriority ptr
      overhead                      32 Quantity{}
      topologySpreadConstraints     33 TopologySpreadConstraint[] merge=topologyKey list=map:topologyKey,whenUnsatisfiable
      setHostnameAsFQDN             35 boolean ptr
      os                            36 PodOS
      hostUsers                     37 boolean ptr
      schedulingGates               38 PodSchedulingGate[] merge=name list=map:name
      resourceClaims                39 PodResourceClaim[] patch=merge,retainKeys mergeKey=name list=map:name
      resources                     40 ResourceRequirements`,
    PodStatus: `
      observedGeneration         17 int64
      phase                       1 string enum=Failed|Pending|Running|Succeeded|Unknown
      conditions                  2 PodCondition[] merge=type list=map:type
      message                     3 string
      reason                      4 string
      nominatedNodeName          11 string
      hostIP                      5 string
      hostIPs                    16 HostIP[] merge=ip list=atomic
      podIP                       6 string
      podIPs                     12 PodIP[] merge=ip list=map:ip
      startTime                   7 Time
      initContainerStatuses      10 ContainerStatus[]
      containerStatuses           8 ContainerStatus[]
      qosClass                    9 string enum=BestEffort|Burstable|Guaranteed
      ephemeralContainerStatuses 13 ContainerStatus[]
      resize                     14 string enum=Deferred|InProgress|Infeasible|Proposed
      resourceClaimStatuses      15 PodResourceClaimStatus[] patch=merge,retainKeys mergeKey=name list=map:name`,
    PodTemplateSpec: `
      metadata  1 meta.ObjectMeta
      spec      2 PodSpec`,
  }),
];

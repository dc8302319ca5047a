/**
 * Schema table: core/v1 Service and Endpoints.
 * Facts as of Kubernetes 1.33 (field names, protobuf numbers, patch and list semantics); notation in ../dsl.ts.
 */
import { defineTypes, type TypeTable } from '../dsl.js';

export const CORE_V1_SERVICE_TABLES: readonly TypeTable[] = [
  defineTypes('io.k8s.api.core.v1', {
    ClientIPConfig: `
      timeoutSeconds  1 int32 ptr`,
    EndpointAddress: `
      @atomic
      ip         1 string !
      hostname   3 string
      nodeName   4 string ptr
      targetRef  2 ObjectReference`,
    EndpointPort: `
      @atomic
      name         1 string
      port         2 int32 !
      protocol     3 string enum=SCTP|TCP|UDP
      appProtocol  4 string ptr`,
    EndpointSubset: `
      addresses          1 EndpointAddress[]
      notReadyAddresses  2 EndpointAddress[]
      ports              3 EndpointPort[]`,
    Endpoints: `
      metadata  1 meta.ObjectMeta
      subsets   2 EndpointSubset[]`,
    EndpointsList: `
      metadata  1 meta.ListMeta
      items     2 Endpoints[]`,
    LoadBalancerIngress: `
      ip        1 string
      hostname  2 string
      ipMode    3 string ptr
      ports     4 PortStatus[]`,
    LoadBalancerStatus: `
      ingress  1 LoadBalancerIngress[]`,
    PortStatus: `
      port      1 int32 !
      protocol  2 string ! enum=SCTP|TCP|UDP
      error     3 string ptr`,
    Service: `
      metadata  1 meta.ObjectMeta
      spec      2 ServiceSpec
      status    3 ServiceStatus`,
    ServiceList: `
      metadata  1 meta.ListMeta
      items     2 Service[]`,
    ServicePort: `
      name         1 string
      protocol     2 string enum=SCTP|TCP|UDP
      appProtocol  6 string ptr
      port         3 int32 !
      targetPort   4 IntOrString
      nodePort     5 int32`,
    ServiceSpec: `
      ports                          1 ServicePort[] merge=port list=map:port,protocol
      selector                       2 string{} map=atomic
      clusterIP                      3 string
      clusterIPs                    18 string[]
      type                           4 string enum=ClusterIP|ExternalName|LoadBalancer|NodePort
      externalIPs                    5 string[]
      sessionAffinity                7 string enum=ClientIP|None
      loadBalancerIP                 8 string
      loadBalancerSourceRanges       9 string[]
      externalName                  10 string
      externalTrafficPolicy         11 string enum=Cluster|Local
      healthCheckNodePort           12 int32
      publishNotReadyAddresses      13 boolean
      sessionAffinityConfig         14 SessionAffinityConfig
      ipFamilies                    19 string[]
      ipFamilyPolicy                17 string enum=PreferDualStack|RequireDualStack|SingleStack ptr
      allocateLoadBalancerNodePorts 20 boolean ptr
      loadBalancerClass             21 string ptr
      internalTrafficPolicy         22 string enum=Cluster|Local ptr
      trafficDistribution           23 string ptr`,
    ServiceStatus: `
      loadBalancer  1 LoadBalancerStatus
      conditions    2 meta.Condition[] merge=type list=map:type`,
  }),
];

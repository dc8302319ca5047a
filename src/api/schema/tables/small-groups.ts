/**
 * Schema table: coordination.k8s.io/v1 Lease, discovery.k8s.io/v1 EndpointSlice, events.k8s.io/v1 Event, autoscaling/v1 Scale, policy/v1 Eviction.
 * Facts as of Kubernetes 1.33 (field names, protobuf numbers, patch and list semantics); notation in ../dsl.ts.
 */
import { defineTypes, type TypeTable } from '../dsl.js';

export const SMALL_GROUPS_TABLES: readonly TypeTable[] = [
  defineTypes('io.k8s.api.autoscaling.v1', {
    Scale: `
      metadata  1 meta.ObjectMeta
      spec      2 ScaleSpec
      status    3 ScaleStatus`,
    ScaleSpec: `
      replicas  1 int32`,
    ScaleStatus: `
      replicas  1 int32 !
      selector  2 string`,
  }),
  defineTypes('io.k8s.api.coordination.v1', {
    Lease: `
      metadata  1 meta.ObjectMeta
      spec      2 LeaseSpec`,
    LeaseList: `
      metadata  1 meta.ListMeta
      items     2 Lease[]`,
    LeaseSpec: `
      holderIdentity        1 string ptr
      leaseDurationSeconds  2 int32 ptr
      acquireTime           3 MicroTime
      renewTime             4 MicroTime
      leaseTransitions      5 int32 ptr
      strategy              6 string ptr
      preferredHolder       7 string ptr`,
  }),
  defineTypes('io.k8s.api.discovery.v1', {
    Endpoint: `
      addresses           1 string[] ! list=set
      conditions          2 EndpointConditions
      hostname            3 string ptr
      targetRef           4 core.ObjectReference
      deprecatedTopology  5 string{}
      nodeName            6 string ptr
      zone                7 string ptr
      hints               8 EndpointHints`,
    EndpointConditions: `
      ready        1 boolean ptr
      serving      2 boolean ptr
      terminating  3 boolean ptr`,
    EndpointHints: `
      forZones  1 ForZone[] list=atomic
      forNodes  2 ForNode[] list=atomic`,
    EndpointPort: `
      @atomic
      name         1 string ptr
      protocol     2 string ptr
      port         3 int32 ptr
      appProtocol  4 string ptr`,
    EndpointSlice: `
      metadata     1 meta.ObjectMeta
      addressType  4 string ! enum=FQDN|IPv4|IPv6
      endpoints    2 Endpoint[] ! list=atomic
      ports        3 EndpointPort[] list=atomic`,
    EndpointSliceList: `
      metadata  1 meta.ListMeta
      items     2 EndpointSlice[]`,
    ForNode: `
      name  1 string !`,
    ForZone: `
      name  1 string !`,
  }),
  defineTypes('io.k8s.api.events.v1', {
    Event: `
      metadata                  1 meta.ObjectMeta
      eventTime                 2 MicroTime !
      series                    3 EventSeries
      reportingController       4 string
      reportingInstance         5 string
      action                    6 string
      reason                    7 string
      regarding                 8 core.ObjectReference
      related                   9 core.ObjectReference
      note                     10 string
      type                     11 string
      deprecatedSource         12 core.EventSource
      deprecatedFirstTimestamp 13 Time
      deprecatedLastTimestamp  14 Time
      deprecatedCount          15 int32 ptr`,
    EventList: `
      metadata  1 meta.ListMeta
      items     2 Event[]`,
    EventSeries: `
      count             1 int32 !
      lastObservedTime  2 MicroTime !`,
  }),
  defineTypes('io.k8s.api.policy.v1', {
    Eviction: `
      metadata       1 meta.ObjectMeta
      deleteOptions  2 meta.DeleteOptions`,
  }),
];

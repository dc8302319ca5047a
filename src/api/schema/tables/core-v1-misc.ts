/**
 * Schema table: core/v1 Namespace, ConfigMap, Secret, ServiceAccount, Event, Binding and object references.
 * Facts as of Kubernetes 1.33 (field names, protobuf numbers, patch and list semantics); notation in ../dsl.ts.
 */
import { defineTypes, type TypeTable } from '../dsl.js';

export const CORE_V1_MISC_TABLES: readonly TypeTable[] = [
  defineTypes('io.k8s.api.core.v1', {
    Binding: `
      metadata  1 meta.ObjectMeta
      target    2 ObjectReference !`,
    ConfigMap: `
      metadata    1 meta.ObjectMeta
      immutable   4 boolean ptr
      data        2 string{}
      binaryData  3 bytes{}`,
    ConfigMapList: `
      metadata  1 meta.ListMeta
      items     2 ConfigMap[]`,
    Event: `
      metadata            1 meta.ObjectMeta !
      involvedObject      2 ObjectReference !
      reason              3 string
      message             4 string
      source              5 EventSource
      firstTimestamp      6 Time
      lastTimestamp       7 Time
      count               8 int32
      type                9 string
      eventTime          10 MicroTime
      series             11 EventSeries ptr
      action             12 string
      related            13 ObjectReference
      reportingComponent 14 string
      reportingInstance  15 string`,
    EventList: `
      metadata  1 meta.ListMeta
      items     2 Event[]`,
    EventSeries: `
      count             1 int32
      lastObservedTime  2 MicroTime`,
    EventSource: `
      component  1 string
      host       2 string`,
    LocalObjectReference: `
      @atomic
      name  1 string`,
    Namespace: `
      metadata  1 meta.ObjectMeta
      spec      2 NamespaceSpec
      status    3 NamespaceStatus`,
    NamespaceCondition: `
      type                1 string !
      status              2 string !
      lastTransitionTime  4 Time
      reason              5 string
      message             6 string`,
    NamespaceList: `
      metadata  1 meta.ListMeta
      items     2 Namespace[]`,
    NamespaceSpec: `
      finalizers  1 string[]`,
    NamespaceStatus: `
      phase       1 string enum=Active|Terminating
      conditions  2 NamespaceCondition[] merge=type list=map:type`,
    ObjectReference: `
      @atomic
      kind             1 string
      namespace        2 string
      name             3 string
      uid              4 string
      apiVersion       5 string
      resourceVersion  6 string
      fieldPath        7 string`,
    Secret: `
      metadata    1 meta.ObjectMeta
      immutable   5 boolean ptr
      data        2 bytes{}
      stringData  4 string{}
      type        3 string`,
    SecretList: `
      metadata  1 meta.ListMeta
      items     2 Secret[]`,
    SecretReference: `
      @atomic
      name       1 string
      namespace  2 string`,
    ServiceAccount: `
      metadata                      1 meta.ObjectMeta
      secrets                       2 ObjectReference[] merge=name list=map:name
      imagePullSecrets              3 LocalObjectReference[]
      automountServiceAccountToken  4 boolean ptr`,
    ServiceAccountList: `
      metadata  1 meta.ListMeta
      items     2 ServiceAccount[]`,
  }),
];

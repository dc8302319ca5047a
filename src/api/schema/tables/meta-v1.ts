/**
 * Schema table: apimachinery meta/v1: object and list metadata, owner references, managed fields, label selectors, Status, DeleteOptions, WatchEvent, Condition.
 * Facts as of Kubernetes 1.33 (field names, protobuf numbers, patch and list semantics); notation in ../dsl.ts.
 */
import { defineTypes, type TypeTable } from '../dsl.js';

export const META_V1_TABLES: readonly TypeTable[] = [
  defineTypes('io.k8s.apimachinery.pkg.apis.meta.v1', {
    Condition: `
      type                1 string !
      status              2 string ! enum=False|True|Unknown
      observedGeneration  3 int64
      lastTransitionTime  4 Time !
      reason              5 string !
      message             6 string !`,
    DeleteOptions: `
      gracePeriodSeconds                                1 int64 ptr
      preconditions                                     2 Preconditions
      orphanDependents                                  3 boolean ptr
      propagationPolicy                                 4 string enum=Background|Foreground|Orphan ptr
      dryRun                                            5 string[] list=atomic
      ignoreStoreReadErrorWithClusterBreakingPotential  6 boolean ptr`,
    LabelSelector: `
      @atomic
      matchLabels       1 string{}
      matchExpressions  2 LabelSelectorRequirement[] list=atomic`,
    LabelSelectorRequirement: `
      key       1 string !
      operator  2 string ! enum=DoesNotExist|Exists|In|NotIn
      values    3 string[] list=atomic`,
    List: `
      metadata  1 ListMeta
      items     2 RawExtension[]`,
    ListMeta: `
      selfLink            1 string
      resourceVersion     2 string
      continue            3 string
      remainingItemCount  4 int64 ptr`,
    ManagedFieldsEntry: `
      manager      1 string
      operation    2 string enum=Apply|Update
      apiVersion   3 string
      time         4 Time
      fieldsType   6 string
      fieldsV1     7 FieldsV1
      subresource  8 string`,
    ObjectMeta: `
      name                        1 string
      generateName                2 string
      namespace                   3 string
      selfLink                    4 string
      uid                         5 string
      resourceVersion             6 string
      generation                  7 int64
      creationTimestamp           8 Time
      deletionTimestamp           9 Time
      deletionGracePeriodSeconds 10 int64 ptr
      labels                     11 string{}
      annotations                12 string{}
      ownerReferences            13 OwnerReference[] merge=uid list=map:uid
      finalizers                 14 string[] patch=merge list=set
      managedFields              17 ManagedFieldsEntry[] list=atomic`,
    OwnerReference: `
      @atomic
      apiVersion          5 string !
      kind                1 string !
      name                3 string !
      uid                 4 string !
      controller          6 boolean ptr
      blockOwnerDeletion  7 boolean ptr`,
    PartialObjectMetadata: `
      metadata  1 ObjectMeta`,
    PartialObjectMetadataList: `
      metadata  1 ListMeta
      items     2 PartialObjectMetadata[]`,
    Preconditions: `
      uid              1 string ptr
      resourceVersion  2 string ptr`,
    Status: `
      metadata  1 ListMeta
      status    2 string
      message   3 string
      reason    4 string
      details   5 StatusDetails
      code      6 int32`,
    StatusCause: `
      reason   1 string
      message  2 string
      field    3 string`,
    StatusDetails: `
      name               1 string
      group              2 string
      kind               3 string
      uid                6 string
      causes             4 StatusCause[] list=atomic
      retryAfterSeconds  5 int32`,
    WatchEvent: `
      type    1 string !
      object  2 RawExtension !`,
  }),
];

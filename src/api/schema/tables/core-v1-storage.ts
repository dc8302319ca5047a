/**
 * Schema table: core/v1 PersistentVolume and PersistentVolumeClaim with the persistent volume sources.
 * Facts as of Kubernetes 1.33 (field names, protobuf numbers, patch and list semantics); notation in ../dsl.ts.
 */
import { defineTypes, type TypeTable } from '../dsl.js';

export const CORE_V1_STORAGE_TABLES: readonly TypeTable[] = [
  defineTypes('io.k8s.api.core.v1', {
    AzureFilePersistentVolumeSource: `
      secretName       1 string
      shareName        2 string !
      readOnly         3 boolean
      secretNamespace  4 string`,
    CSIPersistentVolumeSource: `
      driver                      1 string !
      volumeHandle                2 string !
      readOnly                    3 boolean
      fsType                      4 string
      volumeAttributes            5 string{}
      controllerPublishSecretRef  6 SecretReference
      nodeStageSecretRef          7 SecretReference
      nodePublishSecretRef        8 SecretReference
      controllerExpandSecretRef   9 SecretReference
      nodeExpandSecretRef        10 SecretReference`,
    CephFSPersistentVolumeSource: `
      monitors    1 string[] !
      path        2 string
      user        3 string
      secretFile  4 string
      secretRef   5 SecretReference
      readOnly    6 boolean`,
    CinderPersistentVolumeSource: `
      volumeID   1 string !
      fsType     2 string
      readOnly   3 boolean
      secretRef  4 SecretReference`,
    FlexPersistentVolumeSource: `
      driver     1 string !
      fsType     2 string
      secretRef  3 SecretReference
      readOnly   4 boolean
      options    5 string{}`,
    GlusterfsPersistentVolumeSource: `
      endpoints           1 string !
      path                2 string
      readOnly            3 boolean
      endpointsNamespace  4 string`,
    ISCSIPersistentVolumeSource: `
      targetPortal       1 string !
      iqn                2 string !
      lun                3 int32 !
      iscsiInterface     4 string
      fsType             5 string
      readOnly           6 boolean
      portals            7 string[]
      chapAuthDiscovery  8 boolean
      chapAuthSession   11 boolean
      secretRef         10 SecretReference
      initiatorName     12 string`,
    ModifyVolumeStatus: `
      targetVolumeAttributesClassName  1 string
      status                           2 string ! enum=InProgress|Infeasible|Pending`,
    PersistentVolume: `
      metadata  1 meta.ObjectMeta
      spec      2 PersistentVolumeSpec
      status    3 PersistentVolumeStatus`,
    PersistentVolumeClaim: `
      metadata  1 meta.ObjectMeta
      spec      2 PersistentVolumeClaimSpec
      status    3 PersistentVolumeClaimStatus`,
    PersistentVolumeClaimCondition: `
      type                1 string !
      status              2 string !
      lastProbeTime       3 Time
      lastTransitionTime  4 Time
      reason              5 string
      message             6 string`,
    PersistentVolumeClaimList: `
      metadata  1 meta.ListMeta
      items     2 PersistentVolumeClaim[]`,
    PersistentVolumeClaimSpec: `
      accessModes                1 string[]
      selector                   4 meta.LabelSelector
      resources                  2 VolumeResourceRequirements
      volumeName                 3 string
      storageClassName           5 string ptr
      volumeMode                 6 string enum=Block|Filesystem ptr
      dataSource                 7 TypedLocalObjectReference
      dataSourceRef              8 TypedObjectReference
      volumeAttributesClassName  9 string ptr`,
    PersistentVolumeClaimStatus: `
      phase                             1 string enum=Bound|Lost|Pending
      accessModes                       2 string[]
      capacity                          3 Quantity{}
      conditions                        4 PersistentVolumeClaimCondition[] merge=type list=map:type
      allocatedResources                5 Quantity{}
      allocatedResourceStatuses         7 string{} map=granular
      currentVolumeAttributesClassName  8 string ptr
      modifyVolumeStatus                9 ModifyVolumeStatus`,
    PersistentVolumeClaimTemplate: `
      metadata  1 meta.ObjectMeta
      spec      2 PersistentVolumeClaimSpec !`,
    PersistentVolumeList: `
      metadata  1 meta.ListMeta
      items     2 PersistentVolume[]`,
    PersistentVolumeSource: `
      gcePersistentDisk     1 GCEPersistentDiskVolumeSource
      awsElasticBlockStore  2 AWSElasticBlockStoreVolumeSource
      hostPath              3 HostPathVolumeSource
      glusterfs             4 GlusterfsPersistentVolumeSource
      nfs                   5 NFSVolumeSource
      rbd                   6 RBDPersistentVolumeSource
      iscsi                 7 ISCSIPersistentVolumeSource
      cinder                8 CinderPersistentVolumeSource
      cephfs                9 CephFSPersistentVolumeSource
      fc                   10 FCVolumeSource
      flocker              11 FlockerVolumeSource
      flexVolume           12 FlexPersistentVolumeSource
      azureFile            13 AzureFilePersistentVolumeSource
      vsphereVolume        14 VsphereVirtualDiskVolumeSource
      quobyte              15 QuobyteVolumeSource
      azureDisk            16 AzureDiskVolumeSource
      photonPersistentDisk 17 PhotonPersistentDiskVolumeSource
      portworxVolume       18 PortworxVolumeSource
      scaleIO              19 ScaleIOPersistentVolumeSource
      local                20 LocalVolumeSource
      storageos            21 StorageOSPersistentVolumeSource
      csi                  22 CSIPersistentVolumeSource`,
    PersistentVolumeSpec: `
      capacity                       1 Quantity{}
      ...persistentVolumeSource      2 PersistentVolumeSource
      accessModes                    3 string[]
      claimRef                       4 ObjectReference map=granular
      persistentVolumeReclaimPolicy  5 string enum=Delete|Recycle|Retain
      storageClassName               6 string
      mountOptions                   7 string[]
      volumeMode                     8 string enum=Block|Filesystem ptr
      nodeAffinity                   9 VolumeNodeAffinity
      volumeAttributesClassName     10 string ptr`,
    PersistentVolumeStatus: `
      phase                    1 string enum=Available|Bound|Failed|Pending|Released
      message                  2 string
      reason                   3 string
      lastPhaseTransitionTime  4 Time`,
    RBDPersistentVolumeSource: `
      monitors   1 string[] !
      image      2 string
      fsType     3 string
      pool       4 string
      user       5 string
      keyring    6 string
      secretRef  7 SecretReference
      readOnly   8 boolean`,
    ScaleIOPersistentVolumeSource: `
      gateway           1 string !
      system            2 string !
      secretRef         3 SecretReference
      sslEnabled        4 boolean
      protectionDomain  5 string
      storagePool       6 string
      storageMode       7 string
      volumeName        8 string
      fsType            9 string
      readOnly         10 boolean`,
    StorageOSPersistentVolumeSource: `
      volumeName       1 string
      volumeNamespace  2 string
      fsType           3 string
      readOnly         4 boolean
      secretRef        5 ObjectReference`,
    TypedLocalObjectReference: `
      @atomic
      apiGroup  1 string
      kind      2 string !
      name      3 string !`,
    TypedObjectReference: `
      apiGroup   1 string
      kind       2 string !
      name       3 string !
      namespace  4 string`,
    VolumeResourceRequirements: `
      limits    1 Quantity{}
      requests  2 Quantity{}`,
  }),
];

/**
 * Schema table: core/v1 Volume and its inline VolumeSource with every volume plugin source and projection.
 * Facts as of Kubernetes 1.33 (field names, protobuf numbers, patch and list semantics); notation in ../dsl.ts.
 */
import { defineTypes, type TypeTable } from '../dsl.js';

export const CORE_V1_VOLUME_TABLES: readonly TypeTable[] = [
  defineTypes('io.k8s.api.core.v1', {
    AWSElasticBlockStoreVolumeSource: `
      volumeID   1 string !
      fsType     2 string
      partition  3 int32
      readOnly   4 boolean`,
    AzureDiskVolumeSource: `
      diskName     1 string !
      diskURI      2 string !
      cachingMode  3 string
      fsType       4 string
      readOnly     5 boolean
      kind         6 string`,
    AzureFileVolumeSource: `
      secretName  1 string
      shareName   2 string !
      readOnly    3 boolean`,
    CSIVolumeSource: `
      driver                1 string !
      readOnly              2 boolean ptr
      fsType                3 string ptr
      volumeAttributes      4 string{}
      nodePublishSecretRef  5 LocalObjectReference`,
    CephFSVolumeSource: `
      monitors    1 string[] !
      path        2 string
      user        3 string
      secretFile  4 string
      secretRef   5 LocalObjectReference
      readOnly    6 boolean`,
    CinderVolumeSource: `
      volumeID   1 string !
      fsType     2 string
      readOnly   3 boolean
      secretRef  4 LocalObjectReference`,
    ClusterTrustBundleProjection: `
      name           1 string ptr
      signerName     2 string ptr
      labelSelector  3 meta.LabelSelector
      optional       5 boolean ptr
      path           4 string !`,
    ConfigMapProjection: `
      ...localObjectReference  1 LocalObjectReference
      items                    2 KeyToPath[]
      optional                 4 boolean ptr`,
    ConfigMapVolumeSource: `
      ...localObjectReference  1 LocalObjectReference
      items                    2 KeyToPath[]
      defaultMode              3 int32 ptr
      optional                 4 boolean ptr`,
    DownwardAPIProjection: `
      items  1 DownwardAPIVolumeFile[]`,
    DownwardAPIVolumeFile: `
      path              1 string !
      fieldRef          2 ObjectFieldSelector
      resourceFieldRef  3 ResourceFieldSelector
      mode              4 int32 ptr`,
    DownwardAPIVolumeSource: `
      items        1 DownwardAPIVolumeFile[]
      defaultMode  2 int32 ptr`,
    EmptyDirVolumeSource: `
      medium     1 string
      sizeLimit  2 Quantity ptr`,
    EphemeralVolumeSource: `
      volumeClaimTemplate  1 PersistentVolumeClaimTemplate`,
    FCVolumeSource: `
      targetWWNs  1 string[]
      lun         2 int32
      fsType      3 string
      readOnly    4 boolean
      wwids       5 string[]`,
    FlexVolumeSource: `
      driver     1 string !
      fsType     2 string
      secretRef  3 LocalObjectReference
      readOnly   4 boolean
      options    5 string{}`,
    FlockerVolumeSource: `
      datasetName  1 string
      datasetUUID  2 string`,
    GCEPersistentDiskVolumeSource: `
      pdName     1 string !
      fsType     2 string
      partition  3 int32
      readOnly   4 boolean`,
    GitRepoVolumeSource: `
      repository  1 string !
      revision    2 string
      directory   3 string`,
    GlusterfsVolumeSource: `
      endpoints  1 string !
      path       2 string
      readOnly   3 boolean`,
    HostPathVolumeSource: `
      path  1 string !
      type  2 string enum=|BlockDevice|CharDevice|Directory|DirectoryOrCreate|File|FileOrCreate|Socket ptr`,
    ISCSIVolumeSource: `
      targetPortal       1 string !
      iqn                2 string !
      lun                3 int32 !
      iscsiInterface     4 string
      fsType             5 string
      readOnly           6 boolean
      portals            7 string[]
      chapAuthDiscovery  8 boolean
      chapAuthSession   11 boolean
      secretRef         10 LocalObjectReference
      initiatorName     12 string`,
    ImageVolumeSource: `
      reference   1 string
      pullPolicy  2 string enum=Always|IfNotPresent|Never ptr`,
    KeyToPath: `
      key   1 string !
      path  2 string !
      mode  3 int32 ptr`,
    LocalVolumeSource: `
      path    1 string
      fsType  2 string`,
    NFSVolumeSource: `
      server    1 string !
      path      2 string !
      readOnly  3 boolean`,
    PersistentVolumeClaimVolumeSource: `
      claimName  1 string !
      readOnly   2 boolean`,
    PhotonPersistentDiskVolumeSource: `
      pdID    1 string !
      fsType  2 string`,
    PortworxVolumeSource: `
      volumeID  1 string !
      fsType    2 string
      readOnly  3 boolean`,
    ProjectedVolumeSource: `
      sources      1 VolumeProjection[]
      defaultMode  2 int32 ptr`,
    QuobyteVolumeSource: `
      registry  1 string !
      volume    2 string !
      readOnly  3 boolean
      user      4 string
      group     5 string
      tenant    6 string`,
    RBDVolumeSource: `
      monitors   1 string[] !
      image      2 string
      fsType     3 string
      pool       4 string
      user       5 string
      keyring    6 string
      secretRef  7 LocalObjectReference
      readOnly   8 boolean`,
    ScaleIOVolumeSource: `
      gateway           1 string !
      system            2 string !
      secretRef         3 LocalObjectReference
      sslEnabled        4 boolean
      protectionDomain  5 string
      storagePool       6 string
      storageMode       7 string
      volumeName        8 string
      fsType            9 string
      readOnly         10 boolean`,
    SecretProjection: `
      ...localObjectReference  1 LocalObjectReference
      items                    2 KeyToPath[]
      optional                 4 boolean ptr`,
    SecretVolumeSource: `
      secretName   1 string
      items        2 KeyToPath[]
      defaultMode  3 int32 ptr
      optional     4 boolean ptr`,
    ServiceAccountTokenProjection: `
      audience           1 string
      expirationSeconds  2 int64 ptr
      path               3 string !`,
    StorageOSVolumeSource: `
      volumeName       1 string
      volumeNamespace  2 string
      fsType           3 string
      readOnly         4 boolean
      secretRef        5 LocalObjectReference`,
    Volume: `
      name             1 string !
      ...volumeSource  2 VolumeSource`,
    VolumeProjection: `
      secret               1 SecretProjection
      downwardAPI          2 DownwardAPIProjection
      configMap            3 ConfigMapProjection
      serviceAccountToken  4 ServiceAccountTokenProjection
      clusterTrustBundle   5 ClusterTrustBundleProjection`,
    VolumeSource: `
      hostPath               1 HostPathVolumeSource
      emptyDir               2 EmptyDirVolumeSource
      gcePersistentDisk      3 GCEPersistentDiskVolumeSource
      awsElasticBlockStore   4 AWSElasticBlockStoreVolumeSource
      gitRepo                5 GitRepoVolumeSource
      secret                 6 SecretVolumeSource
      nfs                    7 NFSVolumeSource
      iscsi                  8 ISCSIVolumeSource
      glusterfs              9 GlusterfsVolumeSource
      persistentVolumeClaim 10 PersistentVolumeClaimVolumeSource
      rbd                   11 RBDVolumeSource
      flexVolume            12 FlexVolumeSource
      cinder                13 CinderVolumeSource
      cephfs                14 CephFSVolumeSource
      flocker               15 FlockerVolumeSource
      downwardAPI           16 DownwardAPIVolumeSource
      fc                    17 FCVolumeSource
      azureFile             18 AzureFileVolumeSource
      configMap             19 ConfigMapVolumeSource
      vsphereVolume         20 VsphereVirtualDiskVolumeSource
      quobyte               21 QuobyteVolumeSource
      azureDisk             22 AzureDiskVolumeSource
      photonPersistentDisk  23 PhotonPersistentDiskVolumeSource
      projected             26 ProjectedVolumeSource
      portworxVolume        24 PortworxVolumeSource
      scaleIO               25 ScaleIOVolumeSource
      storageos             27 StorageOSVolumeSource
      csi                   28 CSIVolumeSource
      ephemeral             29 EphemeralVolumeSource
      image                 30 ImageVolumeSource`,
    VsphereVirtualDiskVolumeSource: `
      volumePath         1 string !
      fsType             2 string
      storagePolicyName  3 string
      storagePolicyID    4 string`,
  }),
];

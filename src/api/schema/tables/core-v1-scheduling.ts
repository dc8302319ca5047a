/**
 * Schema table: core/v1 scheduling and security: affinity, node selectors, tolerations, topology spread, security contexts.
 * Facts as of Kubernetes 1.33 (field names, protobuf numbers, patch and list semantics); notation in ../dsl.ts.
 */
import { defineTypes, type TypeTable } from '../dsl.js';

export const CORE_V1_SCHEDULING_TABLES: readonly TypeTable[] = [
  defineTypes('io.k8s.api.core.v1', {
    Affinity: `
      nodeAffinity     1 NodeAffinity
      podAffinity      2 PodAffinity
      podAntiAffinity  3 PodAntiAffinity`,
    AppArmorProfile: `
      type              1 string ! enum=Localhost|RuntimeDefault|Unconfined
      localhostProfile  2 string ptr`,
    Capabilities: `
      add   1 string[]
      drop  2 string[]`,
    NodeAffinity: `
      requiredDuringSchedulingIgnoredDuringExecution   1 NodeSelector
      preferredDuringSchedulingIgnoredDuringExecution  2 PreferredSchedulingTerm[]`,
    NodeSelector: `
      @atomic
      nodeSelectorTerms  1 NodeSelectorTerm[] !`,
    NodeSelectorRequirement: `
      key       1 string !
      operator  2 string ! enum=DoesNotExist|Exists|Gt|In|Lt|NotIn
      values    3 string[]`,
    NodeSelectorTerm: `
      @atomic
      matchExpressions  1 NodeSelectorRequirement[]
      matchFields       2 NodeSelectorRequirement[]`,
    PodAffinity: `
      requiredDuringSchedulingIgnoredDuringExecution   1 PodAffinityTerm[]
      preferredDuringSchedulingIgnoredDuringExecution  2 WeightedPodAffinityTerm[]`,
    PodAffinityTerm: `
      labelSelector      1 meta.LabelSelector
      namespaces         2 string[]
      topologyKey        3 string !
      namespaceSelector  4 meta.LabelSelector
      matchLabelKeys     5 string[]
      mismatchLabelKeys  6 string[]`,
    PodAntiAffinity: `
      requiredDuringSchedulingIgnoredDuringExecution   1 PodAffinityTerm[]
      preferredDuringSchedulingIgnoredDuringExecution  2 WeightedPodAffinityTerm[]`,
    PodSecurityContext: `
      seLinuxOptions            1 SELinuxOptions
      windowsOptions            8 WindowsSecurityContextOptions
      runAsUser                 2 int64 ptr
      runAsGroup                6 int64 ptr
      runAsNonRoot              3 boolean ptr
      supplementalGroups        4 int64[]
      supplementalGroupsPolicy 12 string enum=Merge|Strict ptr
      fsGroup                   5 int64 ptr
      sysctls                   7 Sysctl[]
      fsGroupChangePolicy       9 string enum=Always|OnRootMismatch ptr
      seccompProfile           10 SeccompProfile
      appArmorProfile          11 AppArmorProfile
      seLinuxChangePolicy      13 string ptr`,
    PreferredSchedulingTerm: `
      weight      1 int32 !
      preference  2 NodeSelectorTerm !`,
    SELinuxOptions: `
      user   1 string
      role   2 string
      type   3 string
      level  4 string`,
    SeccompProfile: `
      type              1 string ! enum=Localhost|RuntimeDefault|Unconfined
      localhostProfile  2 string ptr`,
    SecurityContext: `
      capabilities              1 Capabilities
      privileged                2 boolean ptr
      seLinuxOptions            3 SELinuxOptions
      windowsOptions           10 WindowsSecurityContextOptions
      runAsUser                 4 int64 ptr
      runAsGroup                8 int64 ptr
      runAsNonRoot              5 boolean ptr
      readOnlyRootFilesystem    6 boolean ptr
      allowPrivilegeEscalation  7 boolean ptr
      procMount                 9 string enum=Default|Unmasked ptr
      seccompProfile           11 SeccompProfile
      appArmorProfile          12 AppArmorProfile`,
    SessionAffinityConfig: `
      clientIP  1 ClientIPConfig`,
    Sysctl: `
      name   1 string !
      value  2 string !`,
    Toleration: `
      key                1 string
      operator           2 string enum=Equal|Exists
      value              3 string
      effect             4 string enum=NoExecute|NoSchedule|PreferNoSchedule
      tolerationSeconds  5 int64 ptr`,
    TopologySpreadConstraint: `
      maxSkew             1 int32 !
      topologyKey         2 string !
      whenUnsatisfiable   3 string ! enum=DoNotSchedule|ScheduleAnyway
      labelSelector       4 meta.LabelSelector
      minDomains          5 int32 ptr
      nodeAffinityPolicy  6 string enum=Honor|Ignore ptr
      nodeTaintsPolicy    7 string enum=Honor|Ignore ptr
      matchLabelKeys      8 string[]`,
    VolumeNodeAffinity: `
      required  1 NodeSelector`,
    WeightedPodAffinityTerm: `
      weight           1 int32 !
      podAffinityTerm  2 PodAffinityTerm !`,
    WindowsSecurityContextOptions: `
      gmsaCredentialSpecName  1 string ptr
      gmsaCredentialSpec      2 string ptr
      runAsUserName           3 string ptr
      hostProcess             4 boolean ptr`,
  }),
];

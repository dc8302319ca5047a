/**
 * apps/v1 strategies: ReplicaSet, Deployment, StatefulSet, DaemonSet and ControllerRevision —
 * defaults from `pkg/apis/apps/v1/defaults.go` and the create/update preparation of
 * `pkg/registry/apps/*` (zeroed status and generation 1 on create, status kept on update,
 * Deployment generation also bumped by annotation changes, DaemonSet template generation).
 */
import type { DaemonSet, Deployment, ReplicaSet, StatefulSet, ControllerRevision } from 'kubernetes-types/apps/v1.js';
import type { PodTemplateSpec, PersistentVolumeClaim } from 'kubernetes-types/core/v1.js';
import type { FieldError } from '../../api/errors.js';
import { clone, type KubeObject } from '../../api/object.js';
import { semanticEqual } from '../../api/validation/equality.js';
import * as v from '../../api/validation/apps.js';
import { BaseStrategy, as } from './base.js';
import { defaultPodSpec } from './defaults/pod-spec.js';
import { canonicalizeQuantityMap } from './defaults/decode.js';
import { canonicalizePodSpecQuantities } from './pod.js';

/** Where apps/v1 keeps a DaemonSet's template generation (internal `spec.templateGeneration`). */
export const DAEMONSET_TEMPLATE_GENERATION_ANNOTATION = 'deprecated.daemonset.template.generation';
export const DEFAULT_REVISION_HISTORY_LIMIT = 10;
export const DEFAULT_PROGRESS_DEADLINE_SECONDS = 600;
export const DEFAULT_DEPLOYMENT_MAX_SURGE = '25%';
export const DEFAULT_DEPLOYMENT_MAX_UNAVAILABLE = '25%';

/** Pod template defaults (SetDefaults_PodSpec and nested), with quantities canonicalised. */
export function defaultPodTemplate(template: PodTemplateSpec | undefined, obj: KubeObject, kind: string): void {
  if (!template) return;
  const spec = (template.spec ??= { containers: [] });
  canonicalizePodSpecQuantities(spec, obj, kind);
  defaultPodSpec(spec);
}

/** Defaults for a PVC embedded in a StatefulSet (SetDefaults_PersistentVolumeClaim and its spec). */
export function defaultPVC(pvc: PersistentVolumeClaim, obj: KubeObject, kind: string): void {
  const spec = (pvc.spec ??= {});
  spec.volumeMode ??= 'Filesystem';
  canonicalizeQuantityMap(spec.resources?.requests as Record<string, unknown> | undefined, obj, kind);
  canonicalizeQuantityMap(spec.resources?.limits as Record<string, unknown> | undefined, obj, kind);
  // status is read-only in kubernetes-types; the API server owns it.
  const status = ((pvc as { status?: { phase?: string } }).status ??= {});
  status.phase ||= 'Pending';
}

class WorkloadStrategy extends BaseStrategy {
  protected override readonly tracksGeneration = true;
}

export class ReplicaSetStrategy extends WorkloadStrategy {
  override applyDefaults(obj: KubeObject): void {
    const spec = (as<ReplicaSet>(obj).spec ??= { selector: {} } as ReplicaSet['spec'] & object);
    spec.replicas ??= 1;
    defaultPodTemplate(spec.template, obj, 'ReplicaSet');
  }
  override validateCreate(obj: KubeObject): FieldError[] {
    return v.validateReplicaSet(as<ReplicaSet>(obj));
  }
  override validateUpdate(n: KubeObject, o: KubeObject): FieldError[] {
    return v.validateReplicaSetUpdate(as<ReplicaSet>(n), as<ReplicaSet>(o));
  }
  override validateStatusUpdate(n: KubeObject): FieldError[] {
    return v.validateReplicaSetStatusUpdate(as<ReplicaSet>(n));
  }
}

export class DeploymentStrategy extends WorkloadStrategy {
  override applyDefaults(obj: KubeObject): void {
    const spec = (as<Deployment>(obj).spec ??= { selector: {}, template: {} } as Deployment['spec'] & object);
    spec.replicas ??= 1;
    const strategy = (spec.strategy ??= {});
    strategy.type ||= 'RollingUpdate';
    if (strategy.type === 'RollingUpdate') {
      const ru = (strategy.rollingUpdate ??= {});
      ru.maxUnavailable ??= DEFAULT_DEPLOYMENT_MAX_UNAVAILABLE;
      ru.maxSurge ??= DEFAULT_DEPLOYMENT_MAX_SURGE;
    }
    spec.revisionHistoryLimit ??= DEFAULT_REVISION_HISTORY_LIMIT;
    spec.progressDeadlineSeconds ??= DEFAULT_PROGRESS_DEADLINE_SECONDS;
    defaultPodTemplate(spec.template, obj, 'Deployment');
  }

  /** Status updates also leave labels alone (the status reset fields include metadata.labels). */
  override prepareForStatusUpdate(n: KubeObject, o: KubeObject): void {
    super.prepareForStatusUpdate(n, o);
    const meta = (n.metadata ??= {});
    if (o.metadata?.labels) meta.labels = clone(o.metadata.labels);
    else delete meta.labels;
  }

  /** Annotations are copied to ReplicaSets, so changing them is a new generation too. */
  override generationChanged(n: KubeObject, o: KubeObject): boolean {
    return !semanticEqual(n.spec, o.spec) || !semanticEqual(n.metadata?.annotations, o.metadata?.annotations);
  }

  override validateCreate(obj: KubeObject): FieldError[] {
    return v.validateDeployment(as<Deployment>(obj));
  }
  override validateUpdate(n: KubeObject, o: KubeObject): FieldError[] {
    return v.validateDeploymentUpdate(as<Deployment>(n), as<Deployment>(o));
  }
  override validateStatusUpdate(n: KubeObject, o: KubeObject): FieldError[] {
    return v.validateDeploymentStatusUpdate(as<Deployment>(n), as<Deployment>(o));
  }
}

export class StatefulSetStrategy extends WorkloadStrategy {
  override applyDefaults(obj: KubeObject): void {
    const spec = (as<StatefulSet>(obj).spec ??= { selector: {}, template: {} } as StatefulSet['spec'] & object);
    spec.podManagementPolicy ||= 'OrderedReady';
    const us = (spec.updateStrategy ??= {});
    if (!us.type) {
      us.type = 'RollingUpdate';
      us.rollingUpdate ??= {};
    }
    if (us.type === 'RollingUpdate' && us.rollingUpdate) us.rollingUpdate.partition ??= 0;
    const policy = (spec.persistentVolumeClaimRetentionPolicy ??= {});
    policy.whenDeleted ||= 'Retain';
    policy.whenScaled ||= 'Retain';
    spec.replicas ??= 1;
    spec.revisionHistoryLimit ??= DEFAULT_REVISION_HISTORY_LIMIT;
    defaultPodTemplate(spec.template, obj, 'StatefulSet');
    for (const pvc of spec.volumeClaimTemplates ?? []) defaultPVC(pvc, obj, 'StatefulSet');
  }
  override validateCreate(obj: KubeObject): FieldError[] {
    return v.validateStatefulSet(as<StatefulSet>(obj));
  }
  override validateUpdate(n: KubeObject, o: KubeObject): FieldError[] {
    return v.validateStatefulSetUpdate(as<StatefulSet>(n), as<StatefulSet>(o));
  }
  override validateStatusUpdate(n: KubeObject, o: KubeObject): FieldError[] {
    return v.validateStatefulSetStatusUpdate(as<StatefulSet>(n), as<StatefulSet>(o));
  }
}

function templateGeneration(obj: KubeObject): number {
  const raw = obj.metadata?.annotations?.[DAEMONSET_TEMPLATE_GENERATION_ANNOTATION];
  const n = raw === undefined ? 0 : Number(raw);
  return Number.isSafeInteger(n) ? n : 0;
}

function setTemplateGeneration(obj: KubeObject, gen: number): void {
  const meta = (obj.metadata ??= {});
  (meta.annotations ??= {})[DAEMONSET_TEMPLATE_GENERATION_ANNOTATION] = String(gen);
}

export class DaemonSetStrategy extends WorkloadStrategy {
  override applyDefaults(obj: KubeObject): void {
    const spec = (as<DaemonSet>(obj).spec ??= { selector: {}, template: {} } as DaemonSet['spec'] & object);
    const us = (spec.updateStrategy ??= {});
    us.type ||= 'RollingUpdate';
    if (us.type === 'RollingUpdate') {
      const ru = (us.rollingUpdate ??= {});
      ru.maxUnavailable ??= 1;
      ru.maxSurge ??= 0;
    }
    spec.revisionHistoryLimit ??= DEFAULT_REVISION_HISTORY_LIMIT;
    defaultPodTemplate(spec.template, obj, 'DaemonSet');
  }

  /** The template generation starts at 1 (apps/v1 carries it in an annotation). */
  override prepareForCreate(obj: KubeObject): void {
    super.prepareForCreate(obj);
    if (templateGeneration(obj) < 1) setTemplateGeneration(obj, 1);
  }

  /** Clients cannot set the template generation; it advances with every template change. */
  override prepareForUpdate(n: KubeObject, o: KubeObject): void {
    super.prepareForUpdate(n, o);
    const old = templateGeneration(o);
    const changed = !semanticEqual(as<DaemonSet>(n).spec?.template, as<DaemonSet>(o).spec?.template);
    setTemplateGeneration(n, changed ? old + 1 : old);
  }

  override validateCreate(obj: KubeObject): FieldError[] {
    return v.validateDaemonSet(as<DaemonSet>(obj));
  }
  override validateUpdate(n: KubeObject, o: KubeObject): FieldError[] {
    return v.validateDaemonSetUpdate(as<DaemonSet>(n), as<DaemonSet>(o));
  }
  override validateStatusUpdate(n: KubeObject, o: KubeObject): FieldError[] {
    return v.validateDaemonSetStatusUpdate(as<DaemonSet>(n), as<DaemonSet>(o));
  }
}

export class ControllerRevisionStrategy extends BaseStrategy {
  override validateCreate(obj: KubeObject): FieldError[] {
    return v.validateControllerRevision(as<ControllerRevision>(obj));
  }
  override validateUpdate(n: KubeObject, o: KubeObject): FieldError[] {
    return v.validateControllerRevisionUpdate(as<ControllerRevision>(n), as<ControllerRevision>(o));
  }
}

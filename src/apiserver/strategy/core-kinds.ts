/**
 * Strategies for the remaining core/v1 kinds and the small groups: Namespace, Node, ConfigMap,
 * Secret, ServiceAccount, PersistentVolumeClaim, PersistentVolume, Endpoints, EndpointSlice,
 * Lease and Events (core and events.k8s.io).
 */
import type { ConfigMap, Endpoints, Namespace, Node, PersistentVolume, PersistentVolumeClaim, Secret, ServiceAccount } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { FieldError } from '../../api/errors.js';
import type { KubeObject } from '../../api/object.js';
import { semanticEqual } from '../../api/validation/equality.js';
import * as v from '../../api/validation/core.js';
import { nameIsDNSLabel } from '../../api/validation/object-meta.js';
import { FieldPath, notSupported, required } from '../../api/validation/field-errors.js';
import { BaseStrategy, as } from './base.js';
import { canonicalizeQuantityMap, checkBase64Map } from './defaults/decode.js';

/** The label every namespace carries with its own name (SetDefaults_Namespace). */
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';
/** The finalizer that makes the namespace controller empty a namespace before it goes. */
export const NAMESPACE_FINALIZER = 'kubernetes';

export class NamespaceStrategy extends BaseStrategy {
  protected override readonly nameValidator = nameIsDNSLabel;

  override applyDefaults(obj: KubeObject): void {
    const meta = (obj.metadata ??= {});
    if (meta.name) (meta.labels ??= {})[NAMESPACE_NAME_LABEL] = meta.name;
    const status = ((obj.status ??= {}) as { phase?: string });
    status.phase ||= 'Active';
  }

  protected override initialStatus(): unknown {
    return { phase: 'Active' };
  }

  /** A new namespace always carries the `kubernetes` finalizer. */
  override prepareForCreate(obj: KubeObject): void {
    super.prepareForCreate(obj);
    const spec = (as<Namespace>(obj).spec ??= {});
    const finalizers = spec.finalizers ?? [];
    if (!finalizers.includes(NAMESPACE_FINALIZER)) spec.finalizers = [...finalizers, NAMESPACE_FINALIZER];
  }

  /** spec.finalizers change only through the finalize subresource. */
  override prepareForUpdate(n: KubeObject, o: KubeObject): void {
    super.prepareForUpdate(n, o);
    const spec = (as<Namespace>(n).spec ??= {});
    const old = as<Namespace>(o).spec?.finalizers;
    if (old) spec.finalizers = [...old];
    else delete spec.finalizers;
  }

  override validateCreate(obj: KubeObject): FieldError[] {
    return v.validateNamespace(as<Namespace>(obj));
  }
  override validateUpdate(n: KubeObject): FieldError[] {
    return v.validateNamespaceUpdate(as<Namespace>(n));
  }
  override validateStatusUpdate(n: KubeObject): FieldError[] {
    return v.validateNamespaceStatusUpdate(as<Namespace>(n));
  }
}

export class NodeStrategy extends BaseStrategy {
  override applyDefaults(obj: KubeObject): void {
    const status = as<Node>(obj).status as { capacity?: Record<string, string>; allocatable?: Record<string, string> } | undefined;
    if (!status) return;
    canonicalizeQuantityMap(status.capacity, obj, 'Node');
    canonicalizeQuantityMap(status.allocatable, obj, 'Node');
    // SetDefaults_NodeStatus: allocatable defaults to capacity.
    if (status.capacity && !status.allocatable) status.allocatable = { ...status.capacity };
  }

  /** Nodes register with their status: creating one keeps it. */
  protected override initialStatus(obj: KubeObject): unknown {
    return obj.status ?? {};
  }

  override validateCreate(obj: KubeObject): FieldError[] {
    return v.validateNode(as<Node>(obj));
  }
  override validateUpdate(n: KubeObject, o: KubeObject): FieldError[] {
    return v.validateNodeUpdate(as<Node>(n), as<Node>(o));
  }
  override validateStatusUpdate(n: KubeObject): FieldError[] {
    return v.validateNodeStatusUpdate(as<Node>(n));
  }
}

export class ConfigMapStrategy extends BaseStrategy {
  override applyDefaults(obj: KubeObject): void {
    checkBase64Map(as<ConfigMap>(obj).binaryData, obj, 'ConfigMap');
  }
  override validateCreate(obj: KubeObject): FieldError[] {
    return v.validateConfigMap(as<ConfigMap>(obj));
  }
  override validateUpdate(n: KubeObject, o: KubeObject): FieldError[] {
    return v.validateConfigMapUpdate(as<ConfigMap>(n), as<ConfigMap>(o));
  }
}

export class SecretStrategy extends BaseStrategy {
  /**
   * v1 conversion merges the write-only `stringData` into `data` (stringData wins), and decoding
   * requires `data` to be base64; SetDefaults_Secret makes the type Opaque.
   */
  override applyDefaults(obj: KubeObject): void {
    const secret = obj as KubeObject & { data?: Record<string, string>; stringData?: Record<string, string>; type?: string };
    checkBase64Map(secret.data, obj, 'Secret');
    if (secret.stringData) {
      const data = (secret.data ??= {});
      for (const [k, val] of Object.entries(secret.stringData)) data[k] = Buffer.from(String(val), 'utf8').toString('base64');
      delete secret.stringData;
    }
    secret.type ||= 'Opaque';
  }
  override validateCreate(obj: KubeObject): FieldError[] {
    return v.validateSecret(as<Secret>(obj));
  }
  override validateUpdate(n: KubeObject, o: KubeObject): FieldError[] {
    return v.validateSecretUpdate(as<Secret>(n), as<Secret>(o));
  }
}

export class ServiceAccountStrategy extends BaseStrategy {
  override validateCreate(obj: KubeObject): FieldError[] {
    return v.validateServiceAccount(as<ServiceAccount>(obj));
  }
}

export class PersistentVolumeClaimStrategy extends BaseStrategy {
  override applyDefaults(obj: KubeObject): void {
    const pvc = as<PersistentVolumeClaim>(obj);
    const spec = (pvc.spec ??= {});
    spec.volumeMode ??= 'Filesystem';
    canonicalizeQuantityMap(spec.resources?.requests as Record<string, unknown> | undefined, obj, 'PersistentVolumeClaim');
    canonicalizeQuantityMap(spec.resources?.limits as Record<string, unknown> | undefined, obj, 'PersistentVolumeClaim');
    const status = ((obj.status ??= {}) as { phase?: string; capacity?: Record<string, unknown> });
    canonicalizeQuantityMap(status.capacity, obj, 'PersistentVolumeClaim');
    status.phase ||= 'Pending';
  }
  protected override initialStatus(): unknown {
    return { phase: 'Pending' };
  }
  override validateCreate(obj: KubeObject): FieldError[] {
    return v.validatePersistentVolumeClaim(as<PersistentVolumeClaim>(obj));
  }
  override validateUpdate(n: KubeObject, o: KubeObject): FieldError[] {
    return v.validatePersistentVolumeClaimUpdate(as<PersistentVolumeClaim>(n), as<PersistentVolumeClaim>(o));
  }
  override validateStatusUpdate(n: KubeObject): FieldError[] {
    return v.validatePersistentVolumeClaimStatusUpdate(as<PersistentVolumeClaim>(n));
  }
}

export class PersistentVolumeStrategy extends BaseStrategy {
  override applyDefaults(obj: KubeObject): void {
    const spec = (as<PersistentVolume>(obj).spec ??= {});
    spec.persistentVolumeReclaimPolicy ||= 'Retain';
    spec.volumeMode ??= 'Filesystem';
    canonicalizeQuantityMap(spec.capacity as Record<string, unknown> | undefined, obj, 'PersistentVolume');
    const status = ((obj.status ??= {}) as { phase?: string });
    status.phase ||= 'Pending';
  }
  protected override initialStatus(): unknown {
    return { phase: 'Pending' };
  }
  override validateCreate(obj: KubeObject): FieldError[] {
    return v.validatePersistentVolume(as<PersistentVolume>(obj));
  }
  override validateUpdate(n: KubeObject, o: KubeObject): FieldError[] {
    return v.validatePersistentVolumeUpdate(as<PersistentVolume>(n), as<PersistentVolume>(o));
  }
}

export class EndpointsStrategy extends BaseStrategy {
  override applyDefaults(obj: KubeObject): void {
    for (const ss of as<Endpoints>(obj).subsets ?? []) for (const p of ss.ports ?? []) p.protocol ||= 'TCP';
  }
  override validateCreate(obj: KubeObject): FieldError[] {
    return v.validateEndpoints(as<Endpoints>(obj));
  }
  override validateUpdate(n: KubeObject): FieldError[] {
    return [...super.validateUpdate(n, n), ...v.validateEndpoints(as<Endpoints>(n)).filter((e) => !e.field.startsWith('metadata.'))];
  }
}

export class EndpointSliceStrategy extends BaseStrategy {
  protected override readonly tracksGeneration = true;

  override applyDefaults(obj: KubeObject): void {
    for (const p of as<EndpointSlice>(obj).ports ?? []) {
      p.name ??= '';
      p.protocol ??= 'TCP';
    }
  }
  /** Anything but metadata changing — or the labels — is a new generation. */
  override generationChanged(n: KubeObject, o: KubeObject): boolean {
    const body = (x: KubeObject) => ({ ...x, metadata: undefined });
    return !semanticEqual(body(n), body(o)) || !semanticEqual(n.metadata?.labels, o.metadata?.labels);
  }
  override validateCreate(obj: KubeObject): FieldError[] {
    return v.validateEndpointSlice(as<EndpointSlice>(obj));
  }
  override validateUpdate(n: KubeObject, o: KubeObject): FieldError[] {
    return v.validateEndpointSliceUpdate(as<EndpointSlice>(n), as<EndpointSlice>(o));
  }
}

export class LeaseStrategy extends BaseStrategy {
  override validateCreate(obj: KubeObject): FieldError[] {
    return v.validateLease(as<Lease>(obj));
  }
  override validateUpdate(n: KubeObject): FieldError[] {
    return [...super.validateUpdate(n, n), ...v.validateLease(as<Lease>(n)).filter((e) => !e.field.startsWith('metadata.'))];
  }
}

/** Bindings (pods/binding): ValidatePodBinding — a named Node target. */
export class BindingStrategy extends BaseStrategy {
  override validateCreate(obj: KubeObject): FieldError[] {
    const target = (obj as { target?: { kind?: string; name?: string } }).target ?? {};
    const errs = super.validateCreate(obj);
    if (target.kind && target.kind !== 'Node') errs.push(notSupported(FieldPath.root('target').child('kind'), target.kind, ['Node', '<empty>']));
    if (!target.name) errs.push(required(FieldPath.root('target').child('name'), ''));
    return errs;
  }
}

/** core/v1 Events: only the legacy checks, for backwards compatibility. */
export class CoreEventStrategy extends BaseStrategy {
  override validateCreate(obj: KubeObject): FieldError[] {
    return [...super.validateCreate(obj), ...v.validateCoreEvent(obj)];
  }
  override validateUpdate(n: KubeObject): FieldError[] {
    return [...super.validateUpdate(n, n), ...v.validateCoreEvent(n)];
  }
}

/** events.k8s.io/v1 Events: the strict rules for new-style events. */
export class EventsV1EventStrategy extends BaseStrategy {
  override validateCreate(obj: KubeObject): FieldError[] {
    return v.validateEventsV1Event(obj);
  }
  override validateUpdate(n: KubeObject): FieldError[] {
    return v.validateEventsV1Event(n).filter((e) => !e.field.startsWith('metadata.'));
  }
}


/**
 * The behaviour every kind starts from, mirroring the generic parts of Kubernetes' REST strategies:
 * a kind with a status subresource has its status reset on create and kept on ordinary updates, and
 * a status update keeps everything but status (and metadata, which the registry handles). Kinds
 * with `metadata.generation` start at 1 and bump when their spec changes.
 */
import type { FieldError } from '../../api/errors.js';
import { clone, type KubeObject } from '../../api/object.js';
import type { ResourceInfo } from '../../api/resources.js';
import { semanticEqual } from '../../api/validation/equality.js';
import { nameIsDNSSubdomain, validateObjectMeta, validateObjectMetaUpdate, type NameValidator } from '../../api/validation/object-meta.js';
import type { Strategy } from '../registry/strategy-contract.js';

export type { Strategy };

/** Top-level fields that are not spec: they survive a status update untouched. */
const NEVER_RESET = new Set(['apiVersion', 'kind', 'metadata', 'status']);

export class BaseStrategy implements Strategy {
  /** Whether objects of this kind carry metadata.generation (workloads, Jobs, pods since v1.33, …). */
  protected readonly tracksGeneration: boolean = false;
  /** The kind's name rule for metadata.name. */
  protected readonly nameValidator: NameValidator = nameIsDNSSubdomain;

  constructor(readonly info: ResourceInfo) {}

  protected get hasStatus(): boolean {
    return this.info.subresources.some((s) => s.name === 'status');
  }

  applyDefaults(_obj: KubeObject): void {}

  /** The status a new object starts with (Kubernetes resets it to the zero struct: `{}`). */
  protected initialStatus(_obj: KubeObject): unknown {
    return {};
  }

  prepareForCreate(obj: KubeObject): void {
    if (this.hasStatus) obj.status = this.initialStatus(obj);
    if (this.tracksGeneration) (obj.metadata ??= {}).generation = 1;
  }

  prepareForUpdate(newObj: KubeObject, oldObj: KubeObject): void {
    if (!this.hasStatus) return;
    if (oldObj.status === undefined) delete newObj.status;
    else newObj.status = clone(oldObj.status);
  }

  prepareForStatusUpdate(newObj: KubeObject, oldObj: KubeObject): void {
    for (const k of Object.keys(newObj)) if (!NEVER_RESET.has(k)) delete newObj[k];
    for (const [k, v] of Object.entries(oldObj)) if (!NEVER_RESET.has(k)) newObj[k] = clone(v);
  }

  validateCreate(obj: KubeObject): FieldError[] {
    return validateObjectMeta(obj.metadata, { namespaced: this.info.namespaced, nameValidator: this.nameValidator });
  }

  validateUpdate(newObj: KubeObject, _oldObj: KubeObject): FieldError[] {
    return validateObjectMetaUpdate(newObj.metadata);
  }

  validateStatusUpdate(newObj: KubeObject, _oldObj: KubeObject): FieldError[] {
    return validateObjectMetaUpdate(newObj.metadata);
  }

  generationChanged(newObj: KubeObject, oldObj: KubeObject): boolean {
    return this.tracksGeneration && !semanticEqual(newObj.spec, oldObj.spec);
  }
}

/** Casts a generic object to its concrete kubernetes-types shape (which has no index signature). */
export function as<T>(obj: KubeObject): T {
  return obj as unknown as T;
}

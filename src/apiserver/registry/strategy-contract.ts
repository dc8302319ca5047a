/**
 * What the generic registry needs from each kind's strategy (Kubernetes' RESTCreateStrategy /
 * RESTUpdateStrategy): defaulting, create/update preparation, validation, generation rules.
 * Implementations live in src/apiserver/strategy/.
 */
import type { KubeObject } from '../../api/object.js';
import type { FieldError } from '../../api/errors.js';

export interface Strategy {
  applyDefaults(obj: KubeObject): void;
  prepareForCreate(obj: KubeObject): void;
  prepareForUpdate(newObj: KubeObject, oldObj: KubeObject): void;
  prepareForStatusUpdate(newObj: KubeObject, oldObj: KubeObject): void;
  validateCreate(obj: KubeObject): FieldError[];
  validateUpdate(newObj: KubeObject, oldObj: KubeObject): FieldError[];
  validateStatusUpdate(newObj: KubeObject, oldObj: KubeObject): FieldError[];
  generationChanged(newObj: KubeObject, oldObj: KubeObject): boolean;
}

/**
 * A resource whose objects hold values allocated from a shared pool (Service cluster IPs and node
 * ports: Kubernetes' BeginCreate/BeginUpdate hooks of the service REST). `allocate` runs after
 * validation, right before the write, and may fill fields in `newObj`; the registry calls the
 * returned release once the write has settled in the cache or failed.
 */
export interface AllocationHook {
  allocate(newObj: KubeObject, oldObj: KubeObject | undefined, dryRun: boolean): () => void;
}

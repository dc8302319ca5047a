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

/**
 * Builds the object predicate for `labelSelector` and `fieldSelector` of a list or watch, with
 * Kubernetes' 400 errors for malformed selectors and unsupported field labels.
 */
import type { StoredObject } from '../../api/object.js';
import type { ResourceInfo } from '../../api/resources.js';
import { parseSelectorOrBadRequest } from '../../api/labels.js';
import { parseFieldSelectorFor, selectableFields } from '../../api/fields.js';
import { TRIGGER_FIELDS } from './object-cache.js';

export interface ObjectFilter {
  matches: (obj: StoredObject) => boolean;
  /** Whether any selector is set. */
  selective: boolean;
  /** When the field selector pins `metadata.name`, the name (lets callers skip a scan). */
  name?: string;
  /** When the field selector pins the resource's trigger field (pods: spec.nodeName), its value. */
  trigger?: string;
}

export function buildFilter(info: ResourceInfo, labelSelector: string | null, fieldSelector: string | null): ObjectFilter {
  const labels = labelSelector ? parseSelectorOrBadRequest(labelSelector) : undefined;
  const kindRef = { group: info.group, kind: info.kind, namespaced: info.namespaced };
  const fields = fieldSelector ? parseFieldSelectorFor(kindRef, fieldSelector) : undefined;
  const useLabels = labels && !labels.empty();
  const useFields = fields && !fields.empty();
  if (!useLabels && !useFields) return { matches: () => true, selective: false };
  const out: ObjectFilter = {
    selective: true,
    matches: (obj) => {
      if (useLabels && !labels.matches(obj.metadata.labels ?? {})) return false;
      if (useFields && !fields.matches(selectableFields(kindRef, obj))) return false;
      return true;
    },
  };
  const name = fields?.requiresExactMatch('metadata.name');
  if (name !== undefined) out.name = name;
  const triggerField = info.group === '' ? TRIGGER_FIELDS[info.resource]?.field : undefined;
  const trigger = triggerField ? fields?.requiresExactMatch(triggerField) : undefined;
  if (trigger !== undefined) out.trigger = trigger;
  return out;
}

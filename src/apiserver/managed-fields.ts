/**
 * Keeps `metadata.managedFields` right on every non-apply write (create, update, JSON/merge/
 * strategic patch), as the API server's field manager does; server-side apply computes its own.
 * Fields a strategy resets are owned by nobody: `status` on a main resource that has a status
 * subresource, `spec` on the status subresource.
 */
import { findResourceByKind } from '../api/resources.js';
import { typeForApiVersionKind } from '../api/schema/registry.js';
import { updateManagedFields, MAIN_RESOURCE_RESET_PATHS, STATUS_SUBRESOURCE_RESET_PATHS } from '../api/patch/index.js';
import type { ManagedFieldsHook } from './registry/registry.js';

export const managedFieldsHook: ManagedFieldsHook = ({ oldObj, newObj, manager, operation, subresource, now }) => {
  if (operation === 'Apply') return;
  const apiVersion = newObj.apiVersion ?? '';
  const kind = newObj.kind ?? '';
  const info = findResourceByKind(apiVersion, kind);
  const hasStatus = info?.subresources.some((s) => s.name === 'status') ?? false;
  const resetPaths = !hasStatus ? [] : subresource === 'status' ? STATUS_SUBRESOURCE_RESET_PATHS : subresource === '' ? MAIN_RESOURCE_RESET_PATHS : [];
  const rootType = typeForApiVersionKind(apiVersion, kind);
  const updated = updateManagedFields(oldObj, newObj, {
    manager: manager || 'unknown',
    apiVersion,
    subresource: subresource === 'binding' ? '' : subresource,
    ...(rootType ? { rootType } : {}),
    now: new Date(now),
    resetPaths,
  });
  const managed = updated.metadata?.managedFields;
  if (managed && managed.length > 0) newObj.metadata!.managedFields = managed;
  else delete newObj.metadata?.managedFields;
};

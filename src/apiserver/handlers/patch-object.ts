/**
 * PATCH in all four flavours on top of the registry's guaranteed-update loop: the patch is
 * re-applied to the latest object on every retry, so concurrent writers never lose each other's
 * changes; a patch that names a resourceVersion pins it (409 on mismatch). Server-side apply
 * creates missing objects and maintains managedFields.
 */
import type { KubeObject, StoredObject } from '../../api/object.js';
import { clone } from '../../api/object.js';
import type { ResourceInfo } from '../../api/resources.js';
import { groupVersion } from '../../api/resources.js';
import { badRequest } from '../../api/errors.js';
import type { GroupVersionKind } from '../../api/schema/types.js';
import { validateFields, type FieldValidation } from '../../api/schema/strict.js';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch, serverSideApply, rootTypeForKind, MAIN_RESOURCE_RESET_PATHS, STATUS_SUBRESOURCE_RESET_PATHS } from '../../api/patch/index.js';
import type { Registry } from '../registry/registry.js';
import type { DecodedPatch } from './body.js';
import type { Conversion } from '../conversion.js';

export interface PatchOptions {
  dryRun: boolean;
  fieldManager: string;
  force: boolean;
  fieldValidation: FieldValidation;
  subresource: '' | 'status';
  warnings: string[];
  /** When the resource is stored in another shape (events.k8s.io Events), patch the served shape. */
  conversion?: Conversion;
}

/** Applies a non-apply patch to an object (used for objects and for Scale views). */
export function applyPatchToObject(obj: KubeObject, patch: DecodedPatch, gvk: GroupVersionKind): KubeObject {
  switch (patch.type) {
    case 'json':
      return applyJsonPatch(obj, patch.body as unknown[]);
    case 'merge':
      return applyMergePatch(obj, patch.body as Record<string, unknown>);
    case 'strategic':
      return applyStrategicMergePatch(obj, patch.body as Record<string, unknown>, rootTypeForKind(gvk.group, gvk.version, gvk.kind));
    case 'apply':
      throw badRequest('apply patches are only supported on objects');
  }
}

export async function patchObject(
  reg: Registry,
  info: ResourceInfo,
  namespace: string,
  name: string,
  patch: DecodedPatch,
  opts: PatchOptions,
): Promise<{ obj: StoredObject; created: boolean }> {
  const gvk = { group: info.group, version: info.version, kind: info.kind };
  const conv = opts.conversion;
  const storage = conv?.storage ?? info;
  const toServed = (o: StoredObject) => (conv ? (conv.fromStorage(o) as StoredObject) : o);
  const toStored = (o: KubeObject) => (conv ? conv.toStorage(o) : o);
  const writeOpts = { dryRun: opts.dryRun, fieldManager: opts.fieldManager, subresource: opts.subresource };
  const checkPatched = (obj: KubeObject) => {
    const { warnings } = validateFields(gvk, obj, opts.fieldValidation);
    for (const w of warnings) if (!opts.warnings.includes(w)) opts.warnings.push(w);
  };

  if (patch.type === 'apply') {
    const applied = patch.body as KubeObject;
    checkApplied(info, name, applied);
    checkPatched(clone(applied));
    const hasStatus = info.subresources.some((s) => s.name === 'status');
    const rootType = rootTypeForKind(gvk.group, gvk.version, gvk.kind);
    const ssaOpts = {
      applied,
      manager: opts.fieldManager,
      force: opts.force,
      gvk,
      subresource: opts.subresource,
      ...(rootType ? { rootType } : {}),
      resetPaths: !hasStatus ? [] : opts.subresource === 'status' ? STATUS_SUBRESOURCE_RESET_PATHS : MAIN_RESOURCE_RESET_PATHS,
    };
    let created = false;
    const obj = await reg.guaranteedUpdate(
      storage,
      namespace,
      name,
      (cur) => {
        const r = serverSideApply({ ...ssaOpts, live: toServed(cur), now: new Date(reg.now()) });
        return unpinned(toStored(r.object), cur);
      },
      {
        ...writeOpts,
        operation: 'Apply',
        onMissing:
          opts.subresource === ''
            ? async () => {
                created = true;
                const r = serverSideApply({ ...ssaOpts, live: undefined, now: new Date(reg.now()) });
                const fresh = r.object;
                fresh.metadata = { ...(fresh.metadata ?? {}), name };
                return reg.create(storage, namespace, toStored(fresh), { ...writeOpts, operation: 'Apply' });
              }
            : undefined,
      },
    );
    return { obj, created };
  }

  const obj = await reg.guaranteedUpdate(
    storage,
    namespace,
    name,
    (cur) => {
      const patched = applyPatchToObject(toServed(cur), patch, gvk);
      checkPatched(patched);
      return unpinned(toStored(patched), cur);
    },
    writeOpts,
  );
  return { obj, created: false };
}

/**
 * A patch pins a resourceVersion only if it changes it; the unchanged one from the current object
 * is dropped so the update retries on conflicts as Kubernetes' patcher does.
 */
function unpinned(next: KubeObject, cur: StoredObject): KubeObject {
  if (next.metadata?.resourceVersion === cur.metadata.resourceVersion) {
    const { resourceVersion: _rv, ...meta } = next.metadata ?? {};
    return { ...next, metadata: meta };
  }
  return next;
}

function checkApplied(info: ResourceInfo, name: string, applied: KubeObject): void {
  const gv = groupVersion(info);
  if (!applied.apiVersion || !applied.kind) {
    throw badRequest(`apply patches must specify apiVersion and kind (expected ${gv} ${info.kind})`);
  }
  if (applied.metadata?.name && applied.metadata.name !== name) {
    throw badRequest(`the name of the object (${applied.metadata.name}) does not match the name on the URL (${name})`);
  }
}

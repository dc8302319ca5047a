/**
 * DELETE with Kubernetes' semantics (genericregistry.Store.Delete): preconditions, graceful
 * deletion of pods (deletionTimestamp = now + grace; the node agent finishes it), garbage
 * collection finalizers for Orphan/Foreground propagation, objects held by finalizers, and
 * namespaces that wait for their contents to go.
 */
import type { StoredObject, KubeObject } from '../../api/object.js';
import { clone } from '../../api/object.js';
import type { ResourceInfo } from '../../api/resources.js';
import { StatusError, conflict, invalid } from '../../api/errors.js';
import { rfc3339 } from './system-fields.js';
import type { Registry } from './registry.js';

export type PropagationPolicy = 'Background' | 'Foreground' | 'Orphan';

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: PropagationPolicy;
  /** Deprecated form of propagationPolicy. */
  orphanDependents?: boolean;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: string[];
}

export interface DeleteResult {
  obj: StoredObject;
  /** True if the object is gone; false if deletion is pending (grace period or finalizers). */
  deleted: boolean;
}

export const FINALIZER_ORPHAN = 'orphan';
export const FINALIZER_FOREGROUND = 'foregroundDeletion';
/** Namespaces that can never be deleted. */
export const UNDELETABLE_NAMESPACES = new Set(['default', 'kube-system', 'kube-public']);
export const DEFAULT_POD_GRACE_SECONDS = 30;

const POLICIES: PropagationPolicy[] = ['Foreground', 'Background', 'Orphan'];

/** Checks DeleteOptions the way ValidateDeleteOptions does. */
export function validateDeleteOptions(opts: DeleteOptions): void {
  const causes = [];
  if (opts.orphanDependents !== undefined && opts.propagationPolicy !== undefined) {
    causes.push({
      reason: 'FieldValueInvalid',
      field: 'propagationPolicy',
      message: `Invalid value: "${opts.propagationPolicy}": orphanDependents and deletionPropagation cannot be both set`,
    });
  }
  if (opts.propagationPolicy !== undefined && !POLICIES.includes(opts.propagationPolicy)) {
    causes.push({
      reason: 'FieldValueNotSupported',
      field: 'propagationPolicy',
      message: `Unsupported value: "${opts.propagationPolicy}": supported values: "Foreground", "Background", "Orphan"`,
    });
  }
  for (const d of opts.dryRun ?? []) {
    if (d !== 'All') causes.push({ reason: 'FieldValueNotSupported', field: 'dryRun', message: `Unsupported value: "${d}": supported values: "All"` });
  }
  if (causes.length > 0) throw invalid('meta.k8s.io', 'DeleteOptions', '', causes);
}

/** The effective propagation policy (explicit, deprecated flag, existing finalizers, then the resource default). */
function propagationFor(info: ResourceInfo, obj: StoredObject, opts: DeleteOptions): PropagationPolicy {
  if (opts.propagationPolicy) return opts.propagationPolicy;
  if (opts.orphanDependents !== undefined) return opts.orphanDependents ? 'Orphan' : 'Background';
  const f = obj.metadata.finalizers ?? [];
  if (f.includes(FINALIZER_ORPHAN)) return 'Orphan';
  if (f.includes(FINALIZER_FOREGROUND)) return 'Foreground';
  return info.defaultPropagation;
}

/** Pods are deleted gracefully; everything else immediately (Kubernetes' CheckGracefulDelete). */
function gracePeriodFor(info: ResourceInfo, obj: StoredObject, opts: DeleteOptions): number {
  if (info.group !== '' || info.resource !== 'pods') return 0;
  const spec = (obj as { spec?: { nodeName?: string; terminationGracePeriodSeconds?: number } }).spec ?? {};
  const phase = (obj as { status?: { phase?: string } }).status?.phase;
  let grace = opts.gracePeriodSeconds ?? spec.terminationGracePeriodSeconds ?? DEFAULT_POD_GRACE_SECONDS;
  // An unscheduled pod or one that already ended has nothing to stop: delete at once.
  if (!spec.nodeName || phase === 'Succeeded' || phase === 'Failed') grace = 0;
  if (grace < 0) grace = 1;
  return grace;
}

function checkPreconditions(info: ResourceInfo, obj: StoredObject, opts: DeleteOptions): void {
  const p = opts.preconditions;
  if (!p) return;
  if (p.uid && p.uid !== obj.metadata.uid) {
    throw conflict(info, obj.metadata.name, `Precondition failed: UID in precondition: ${p.uid}, UID in object meta: ${obj.metadata.uid}`);
  }
  if (p.resourceVersion && p.resourceVersion !== obj.metadata.resourceVersion) {
    throw conflict(
      info,
      obj.metadata.name,
      `Precondition failed: ResourceVersion in precondition: ${p.resourceVersion}, ResourceVersion in object meta: ${obj.metadata.resourceVersion}`,
    );
  }
}

/** The finalizer list after applying a propagation policy (deletionFinalizersForGarbageCollection). */
function finalizersFor(current: string[], policy: PropagationPolicy): string[] {
  const rest = current.filter((f) => f !== FINALIZER_ORPHAN && f !== FINALIZER_FOREGROUND);
  if (policy === 'Orphan') return [...rest, FINALIZER_ORPHAN];
  if (policy === 'Foreground') return [...rest, FINALIZER_FOREGROUND];
  return rest;
}

/** Whether anything still holds the object: metadata finalizers, or a namespace's spec finalizers. */
function isHeld(info: ResourceInfo, obj: KubeObject): boolean {
  if ((obj.metadata?.finalizers?.length ?? 0) > 0) return true;
  if (info.group === '' && info.resource === 'namespaces') {
    return ((obj as { spec?: { finalizers?: string[] } }).spec?.finalizers?.length ?? 0) > 0;
  }
  return false;
}

export async function deleteObject(reg: Registry, info: ResourceInfo, namespace: string, name: string, opts: DeleteOptions): Promise<DeleteResult> {
  validateDeleteOptions(opts);
  if (info.group === '' && info.resource === 'namespaces' && UNDELETABLE_NAMESPACES.has(name)) {
    throw new StatusError(403, 'Forbidden', `namespaces "${name}" is forbidden: this namespace may not be deleted`, {
      name,
      kind: 'namespaces',
    });
  }
  const dryRun = (opts.dryRun ?? []).includes('All');
  for (let attempt = 0; ; attempt++) {
    let cur = attempt === 0 ? await reg.getFresh(info, namespace, name) : reg.get(info, namespace, name);
    // A precondition newer than this cache was read through another API server: catch up first.
    const wantRV = opts.preconditions?.resourceVersion;
    if (attempt === 0 && wantRV && /^\d+$/.test(wantRV) && Number(wantRV) > cur.rev && (await reg.cache.waitForRevision(Number(wantRV), 3000))) {
      cur = reg.get(info, namespace, name);
    }
    const obj = cur.obj;
    checkPreconditions(info, obj, opts);
    const policy = propagationFor(info, obj, opts);
    const grace = gracePeriodFor(info, obj, opts);
    const meta = obj.metadata;
    const now = reg.now();

    const finalizers = finalizersFor(meta.finalizers ?? [], policy);
    const finalizersChanged = finalizers.join('\u0000') !== (meta.finalizers ?? []).join('\u0000');
    const next = clone(obj) as StoredObject;
    next.metadata.finalizers = finalizers;
    if (finalizers.length === 0) delete next.metadata.finalizers;

    let needsUpdate = finalizersChanged;
    if (meta.deletionTimestamp) {
      // Already deleting: a shorter grace period brings the deadline forward; nothing else changes.
      const current = meta.deletionGracePeriodSeconds ?? 0;
      if (grace < current) {
        next.metadata.deletionGracePeriodSeconds = grace;
        const sooner = now + grace * 1000;
        if (sooner < Date.parse(meta.deletionTimestamp)) next.metadata.deletionTimestamp = rfc3339(sooner);
        needsUpdate = true;
      }
      if (!needsUpdate) return { obj, deleted: false };
    } else if (grace > 0 || isHeld(info, next)) {
      next.metadata.deletionTimestamp = rfc3339(now + grace * 1000);
      if (info.group === '' && info.resource === 'namespaces') {
        // The namespace REST's own Delete: deletionTimestamp and phase Terminating, no grace period.
        (next as { status?: { phase?: string } }).status = { ...((next as { status?: object }).status ?? {}), phase: 'Terminating' };
      } else {
        next.metadata.deletionGracePeriodSeconds = grace;
      }
      needsUpdate = true;
    }

    const goesNow = (next.metadata.deletionGracePeriodSeconds ?? 0) === 0 && !isHeld(info, next);
    if (dryRun) return { obj: next, deleted: goesNow };
    try {
      if (needsUpdate && !goesNow) {
        const written = await reg.writeRaw(info, cur, next);
        return { obj: written, deleted: false };
      }
      return { obj: await reg.remove(info, cur), deleted: true };
    } catch (err) {
      const retriable = err instanceof StatusError ? err.reason === 'Conflict' && !opts.preconditions?.resourceVersion : isStoreConflict(err);
      if (retriable && attempt < 16) {
        // With a shared store the winning write may not be in this cache yet.
        await reg.cache.syncLatest();
        continue;
      }
      if (isStoreConflict(err)) throw conflict(info, name, 'the object has been modified; please apply your changes to the latest version and try again');
      throw err;
    }
  }
}

function isStoreConflict(err: unknown): boolean {
  return err instanceof Error && (err.name === 'RevisionConflictError' || err.name === 'KeyNotFoundError');
}

/**
 * Revision and replica annotations (Kubernetes' deployment/util): a Deployment and its
 * ReplicaSets carry `deployment.kubernetes.io/revision`; a ReplicaSet that served several
 * revisions (a rollback to it) lists the earlier ones in `revision-history`; `desired-replicas`
 * and `max-replicas` remember the deployment size each set was last scaled for, which is what
 * proportional scaling divides by. The deployment's other annotations (`kubernetes.io/change-cause`
 * and anything a user sets) are copied onto its new ReplicaSet, where `kubectl rollout history`
 * reads them.
 */
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';

export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
export const REVISION_HISTORY_ANNOTATION = 'deployment.kubernetes.io/revision-history';
export const DESIRED_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/desired-replicas';
export const MAX_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/max-replicas';
export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';
/** apps/v1beta1 and extensions/v1beta1 `spec.rollbackTo`, kept as an annotation in apps/v1. */
export const DEPRECATED_ROLLBACK_TO_ANNOTATION = 'deprecated.deployment.rollback.to';
/** Kubernetes caps the revision-history annotation at ~2000 characters (about 100 revisions). */
export const MAX_REV_HISTORY_LENGTH_IN_CHARS = 2000;

/** Annotations never copied from a Deployment to its ReplicaSets (nor back on rollback). */
const ANNOTATIONS_TO_SKIP = new Set([
  LAST_APPLIED_ANNOTATION,
  REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION,
  DESIRED_REPLICAS_ANNOTATION,
  MAX_REPLICAS_ANNOTATION,
  DEPRECATED_ROLLBACK_TO_ANNOTATION,
]);

export function skipCopyAnnotation(key: string): boolean {
  return ANNOTATIONS_TO_SKIP.has(key);
}

/** A decimal int64 as strconv.ParseInt accepts it; undefined when absent or malformed. */
function parseInt64(v: string | undefined): number | undefined {
  if (v === undefined || !/^[+-]?[0-9]+$/.test(v)) return undefined;
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** The revision of an object (deploymentutil.Revision); undefined when missing or not a number. */
export function revisionOf(obj: { metadata?: { annotations?: Record<string, string> } } | undefined): number | undefined {
  return parseInt64(obj?.metadata?.annotations?.[REVISION_ANNOTATION]);
}

/** The highest revision among `sets` (0 if none has one). */
export function maxRevision(sets: readonly ReplicaSet[]): number {
  let max = 0;
  for (const rs of sets) {
    const v = revisionOf(rs);
    if (v !== undefined && v > max) max = v;
  }
  return max;
}

/** The second-highest revision (LastRevision): what `rollback to revision 0` means. */
export function lastRevision(sets: readonly ReplicaSet[]): number {
  let max = 0;
  let second = 0;
  for (const rs of sets) {
    const v = revisionOf(rs);
    if (v === undefined) continue;
    if (v >= max) {
      second = max;
      max = v;
    } else if (v > second) {
      second = v;
    }
  }
  return second;
}

/** Copies the deployment's annotations onto the set (except the skipped ones); true if any changed. */
export function copyDeploymentAnnotationsToReplicaSet(d: Deployment, annotations: Record<string, string>): boolean {
  let changed = false;
  for (const [k, v] of Object.entries(d.metadata?.annotations ?? {})) {
    if (skipCopyAnnotation(k) || annotations[k] === v) continue;
    annotations[k] = v;
    changed = true;
  }
  return changed;
}

/**
 * SetNewReplicaSetAnnotations: copies the deployment's annotations, raises the set's revision to
 * `newRevision` if it is lower — appending the old revision to revision-history when the set had
 * one (a rollback to an old template) — and, for a set about to be created, records the replica
 * annotations. Mutates `annotations`; true if anything changed.
 */
export function setNewReplicaSetAnnotations(d: Deployment, annotations: Record<string, string>, newRevision: number, exists: boolean, maxSurge: number, historyLimitChars = MAX_REV_HISTORY_LENGTH_IN_CHARS): boolean {
  let changed = copyDeploymentAnnotationsToReplicaSet(d, annotations);
  const oldRevisionText = annotations[REVISION_ANNOTATION];
  const had = oldRevisionText !== undefined;
  let oldRevision = 0;
  if (had && oldRevisionText !== '') {
    const parsed = parseInt64(oldRevisionText);
    // Kubernetes gives up on a set whose revision is not a number rather than overwrite it.
    if (parsed === undefined) return false;
    oldRevision = parsed;
  }
  if (oldRevision < newRevision) {
    annotations[REVISION_ANNOTATION] = String(newRevision);
    changed = true;
    if (had) {
      const history = annotations[REVISION_HISTORY_ANNOTATION] ?? '';
      const old = oldRevisionText ?? '';
      if (history === '') {
        annotations[REVISION_HISTORY_ANNOTATION] = old;
      } else {
        // Drop the oldest entries until the list fits the length limit.
        let entries = history.split(',');
        let total = history.length + old.length + 1;
        let start = 0;
        while (total > historyLimitChars && start < entries.length) {
          total -= entries[start]!.length + 1;
          start++;
        }
        if (total <= historyLimitChars) {
          entries = entries.slice(start);
          entries.push(old);
          annotations[REVISION_HISTORY_ANNOTATION] = entries.join(',');
        }
      }
    }
  }
  const replicas = d.spec?.replicas ?? 1;
  if (!exists && setReplicasAnnotations(annotations, replicas, replicas + maxSurge)) changed = true;
  return changed;
}

/** Sets desired-replicas and max-replicas; true if either changed. */
export function setReplicasAnnotations(annotations: Record<string, string>, desired: number, max: number): boolean {
  let changed = false;
  if (annotations[DESIRED_REPLICAS_ANNOTATION] !== String(desired)) {
    annotations[DESIRED_REPLICAS_ANNOTATION] = String(desired);
    changed = true;
  }
  if (annotations[MAX_REPLICAS_ANNOTATION] !== String(max)) {
    annotations[MAX_REPLICAS_ANNOTATION] = String(max);
    changed = true;
  }
  return changed;
}

/** True if desired-replicas or max-replicas would change. */
export function replicasAnnotationsNeedUpdate(rs: ReplicaSet, desired: number, max: number): boolean {
  const a = rs.metadata?.annotations ?? {};
  return a[DESIRED_REPLICAS_ANNOTATION] !== String(desired) || a[MAX_REPLICAS_ANNOTATION] !== String(max);
}

/** The set's desired-replicas annotation as an int32 (GetDesiredReplicasAnnotation). */
export function desiredReplicasAnnotation(rs: ReplicaSet): number | undefined {
  return int32Annotation(rs, DESIRED_REPLICAS_ANNOTATION);
}

/** The set's max-replicas annotation as an int32. */
export function maxReplicasAnnotation(rs: ReplicaSet): number | undefined {
  return int32Annotation(rs, MAX_REPLICAS_ANNOTATION);
}

function int32Annotation(rs: ReplicaSet, key: string): number | undefined {
  const v = parseInt64(rs.metadata?.annotations?.[key]);
  return v !== undefined && v >= -2147483648 && v <= 2147483647 ? v : undefined;
}

/** Sets the deployment's revision annotation; true if it changed (SetDeploymentRevision). */
export function setDeploymentRevision(d: Deployment, revision: string): boolean {
  const meta = (d.metadata ??= {});
  const annotations = (meta.annotations ??= {});
  if (annotations[REVISION_ANNOTATION] === revision) return false;
  annotations[REVISION_ANNOTATION] = revision;
  return true;
}

/**
 * SetDeploymentAnnotationsTo (rollback): the deployment keeps its own skipped annotations
 * (revision, last-applied …) and takes every other annotation from the set rolled back to.
 */
export function deploymentAnnotationsFrom(d: Deployment, rs: ReplicaSet): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(d.metadata?.annotations ?? {})) if (skipCopyAnnotation(k)) out[k] = v;
  for (const [k, v] of Object.entries(rs.metadata?.annotations ?? {})) if (!skipCopyAnnotation(k)) out[k] = v;
  return out;
}

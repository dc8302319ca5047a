/**
 * Server-side rollback (Kubernetes' rollback.go), for the `deprecated.deployment.rollback.to`
 * annotation that apps/v1 keeps for the old `spec.rollbackTo` field. (`kubectl rollout undo`
 * against apps/v1 rolls back client-side by copying a ReplicaSet's template; either way the
 * controller then finds that set as the new one and bumps its revision.)
 *
 * The template and annotations of the set with the requested revision (0: the previous one) are
 * copied into the deployment and the annotation is cleared, in one update; a revision that does
 * not exist, or whose template is already current, only gets a Warning event.
 */
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { SyncResult } from '../../client/workers.js';
import { clone } from '../../api/object.js';
import { DEPRECATED_ROLLBACK_TO_ANNOTATION, deploymentAnnotationsFrom, lastRevision, revisionOf } from './annotations.js';
import type { DeploymentSync, Rollout } from './deployment-sync.js';
import { equalIgnoreHash, POD_TEMPLATE_HASH_LABEL } from './templates.js';

export const RollbackReasons = {
  revisionNotFound: 'DeploymentRollbackRevisionNotFound',
  templateUnchanged: 'DeploymentRollbackTemplateUnchanged',
  done: 'DeploymentRollback',
} as const;

/** The requested revision, if the annotation holds an integer (anything else is ignored). */
export function getRollbackTo(d: Deployment): number | undefined {
  const v = d.metadata?.annotations?.[DEPRECATED_ROLLBACK_TO_ANNOTATION];
  if (!v || !/^[+-]?[0-9]+$/.test(v)) return undefined;
  return Number(v);
}

export async function rollback(s: DeploymentSync, r: Rollout): Promise<SyncResult> {
  const d = r.d;
  const { newRS, oldRSs } = await s.getAllReplicaSetsAndSyncRevision(r, true);
  const all = [...oldRSs, ...(newRS ? [newRS] : [])];
  let revision = getRollbackTo(d)!;
  if (revision === 0) {
    revision = lastRevision(all);
    if (revision === 0) {
      s.deps.recorder.event(d, 'Warning', RollbackReasons.revisionNotFound, 'Unable to find last revision.');
      return clearRollbackTo(s, d);
    }
  }
  const target = all.find((rs) => revisionOf(rs) === revision);
  if (!target) {
    s.deps.recorder.event(d, 'Warning', RollbackReasons.revisionNotFound, 'Unable to find the revision to rollback to.');
    return clearRollbackTo(s, d);
  }
  if (equalIgnoreHash(d.spec?.template, target.spec?.template)) {
    s.deps.recorder.event(d, 'Warning', RollbackReasons.templateUnchanged, `The rollback revision contains the same template as current deployment "${d.metadata!.name}"`);
    return clearRollbackTo(s, d);
  }
  copyTemplateFrom(d, target);
  await clearRollbackTo(s, d);
  s.deps.recorder.event(d, 'Normal', RollbackReasons.done, `Rolled back deployment "${d.metadata!.name}" to revision ${revision}`);
}

/** SetFromReplicaSetTemplate + SetDeploymentAnnotationsTo. */
function copyTemplateFrom(d: Deployment, rs: ReplicaSet): void {
  const template = clone(rs.spec!.template!);
  const labels = { ...(template.metadata?.labels ?? {}) };
  delete labels[POD_TEMPLATE_HASH_LABEL];
  template.metadata = { ...(template.metadata ?? {}), labels };
  d.spec!.template = template;
  d.metadata!.annotations = deploymentAnnotationsFrom(d, rs);
}

/** updateDeploymentAndClearRollbackTo: drop the annotation, writing the deployment (spec too). */
async function clearRollbackTo(s: DeploymentSync, d: Deployment): Promise<void> {
  const annotations = { ...(d.metadata?.annotations ?? {}) };
  delete annotations[DEPRECATED_ROLLBACK_TO_ANNOTATION];
  d.metadata!.annotations = annotations;
  await s.deps.client.deployments(d.metadata!.namespace!).update(d);
}

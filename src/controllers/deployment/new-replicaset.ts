/**
 * getNewReplicaSet (Kubernetes' sync.go): the ReplicaSet for the deployment's current template.
 * An existing one gets its annotations and revision brought up to date — max old revision + 1,
 * which is how a set rolled back to gets its new revision — and minReadySeconds synced, and the
 * deployment's revision annotation follows it. When asked, a missing one is created as
 * `<deployment>-<hash>` (the hash of the template and collisionCount; a name held by another
 * object bumps collisionCount), at the size the strategy allows, with Progressing
 * NewReplicaSetCreated and a ScalingReplicaSet event.
 */
import type { ReplicaSet } from 'kubernetes-types/apps/v1.js';
import { isAlreadyExists } from '../../api/errors.js';
import type { KubeObject } from '../../api/object.js';
import { clone } from '../../api/object.js';
import { newControllerRef, ownerOf } from '../lib/controller-ref.js';
import { computeHash } from '../lib/hash.js';
import { hasStatusCause } from '../replicaset/sync-replicaset.js';
import { maxRevision, REVISION_ANNOTATION, setDeploymentRevision, setNewReplicaSetAnnotations } from './annotations.js';
import { getCondition, hasProgressDeadline, newCondition, PROGRESSING, Reasons, setCondition } from './conditions.js';
import type { DeploymentSync, Rollout } from './deployment-sync.js';
import { maxSurge, newRSNewReplicas } from './replicas.js';
import { findNewReplicaSet, selectorWithHash, templateWithHash } from './templates.js';

export const DEPLOYMENT_API_VERSION = 'apps/v1';
export const DEPLOYMENT_KIND = 'Deployment';

export async function getNewReplicaSet(s: DeploymentSync, r: Rollout, oldRSs: ReplicaSet[], createIfNotExisted: boolean): Promise<ReplicaSet | undefined> {
  const d = r.d;
  const ns = d.metadata!.namespace!;
  const existing = findNewReplicaSet(d, r.rsList);
  const newRevision = maxRevision(oldRSs) + 1;

  if (existing) {
    const copy = clone(existing);
    const annotations = ((copy.metadata ??= {}).annotations ??= {});
    const annotationsUpdated = setNewReplicaSetAnnotations(d, annotations, newRevision, true, maxSurge(d));
    const minReadyChanged = (copy.spec?.minReadySeconds ?? 0) !== (d.spec?.minReadySeconds ?? 0);
    if (annotationsUpdated || minReadyChanged) {
      copy.spec!.minReadySeconds = d.spec?.minReadySeconds ?? 0;
      const updated = await s.deps.client.replicaSets(ns).update(copy);
      r.replace(updated);
      return updated;
    }
    let needsUpdate = setDeploymentRevision(d, annotations[REVISION_ANNOTATION] ?? '');
    // A deployment that never had a Progressing condition starts its deadline now.
    if (hasProgressDeadline(d) && !getCondition(d.status, PROGRESSING)) {
      setCondition((d.status ??= {}), newCondition(PROGRESSING, 'True', Reasons.foundNewReplicaSet, `Found new replica set "${copy.metadata!.name}"`, s.now()));
      needsUpdate = true;
    }
    if (needsUpdate) await s.writeStatus(d);
    return existing;
  }
  if (!createIfNotExisted) return undefined;

  const hash = computeHash(d.spec?.template, d.status?.collisionCount ?? undefined);
  const template = templateWithHash(d.spec?.template, hash);
  const rs: ReplicaSet = {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      // Deterministic name: a retried or duplicated sync cannot create a second set.
      name: `${d.metadata!.name}-${hash}`,
      namespace: ns,
      ownerReferences: [newControllerRef(ownerOf(d as KubeObject, DEPLOYMENT_API_VERSION, DEPLOYMENT_KIND))],
      labels: { ...(template.metadata?.labels ?? {}) },
    },
    spec: { replicas: 0, minReadySeconds: d.spec?.minReadySeconds ?? 0, selector: selectorWithHash(d.spec?.selector, hash), template },
  };
  const count = newRSNewReplicas(d, [...oldRSs, rs], rs);
  rs.spec!.replicas = count;
  const annotations: Record<string, string> = {};
  setNewReplicaSetAnnotations(d, annotations, newRevision, false, maxSurge(d));
  rs.metadata!.annotations = annotations;

  let created: ReplicaSet;
  let alreadyExisted = false;
  try {
    created = await s.deps.client.replicaSets(ns).create(rs);
  } catch (err) {
    if (isAlreadyExists(err)) {
      const found = s.deps.replicaSets.getByName(ns, rs.metadata!.name!);
      if (!found) throw err;
      const ref = found.metadata?.ownerReferences?.find((o) => o.controller);
      if (ref?.uid === d.metadata!.uid && findNewReplicaSet(d, [found])) {
        // A slow cache: the set this sync wants exists already.
        created = found;
        alreadyExisted = true;
      } else {
        // A different object holds the name: change the hash input and try again next sync.
        d.status = { ...(d.status ?? {}), collisionCount: (d.status?.collisionCount ?? 0) + 1 };
        await s.writeStatus(d).catch(() => undefined);
        throw err;
      }
    } else if (hasStatusCause(err, 'NamespaceTerminating')) {
      throw err;
    } else {
      const msg = `Failed to create new replica set "${rs.metadata!.name}": ${(err as Error).message}`;
      if (hasProgressDeadline(d)) {
        setCondition((d.status ??= {}), newCondition(PROGRESSING, 'False', Reasons.failedRSCreate, msg, s.now()));
        await s.writeStatus(d).catch(() => undefined);
      }
      s.deps.recorder.event(d, 'Warning', Reasons.failedRSCreate, msg);
      throw err;
    }
  }
  r.replace(created);
  if (!alreadyExisted && count > 0) s.deps.recorder.event(d, 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${created.metadata!.name} from 0 to ${count}`);
  let needsUpdate = setDeploymentRevision(d, String(newRevision));
  if (!alreadyExisted && hasProgressDeadline(d)) {
    setCondition((d.status ??= {}), newCondition(PROGRESSING, 'True', Reasons.newReplicaSet, `Created new replica set "${created.metadata!.name}"`, s.now()));
    needsUpdate = true;
  }
  if (needsUpdate) await s.writeStatus(d);
  return created;
}

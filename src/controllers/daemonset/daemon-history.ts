/**
 * A DaemonSet's revision history (Kubernetes' daemon update.go constructHistory/snapshot/
 * cleanupHistory): one ControllerRevision `<ds>-<hash>` per distinct template, labelled
 * `controller-revision-hash=<hash>`, whose data is the template patch kubectl's
 * `rollout history|undo` reads. The revision matching the live template is the current one and gets
 * the highest number; duplicates of it are merged; old revisions beyond revisionHistoryLimit that
 * no live pod uses are pruned, oldest first.
 */
import type { ControllerRevision, DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { isAlreadyExists, isNotFound } from '../../api/errors.js';
import { clone, type Mutable } from '../../api/object.js';
import type { Client } from '../../client/client.js';
import { ControllerHistory, maxRevision } from '../history/controller-history.js';
import { revisionDataEqual, templateRevisionData } from '../history/revision-data.js';
import { newControllerRef, type OwnerInfo } from '../lib/controller-ref.js';
import { computeHash } from '../lib/hash.js';
import { DAEMONSET_REVISION_HASH_LABEL } from './daemon-pod.js';

/** Default spec.revisionHistoryLimit. */
export const DEFAULT_REVISION_HISTORY_LIMIT = 10;

/** Match(): whether a revision records the DaemonSet's live template. */
export function revisionMatches(ds: DaemonSet, revision: ControllerRevision): boolean {
  return revisionDataEqual(templateRevisionData(ds.spec?.template), revision.data);
}

/** The hash a revision is known by: its label, else its name (as Kubernetes relabels it). */
export function revisionHash(revision: ControllerRevision): string {
  return revision.metadata?.labels?.[DAEMONSET_REVISION_HASH_LABEL] ?? revision.metadata?.name ?? '';
}

export interface DaemonHistory {
  current: ControllerRevision;
  old: ControllerRevision[];
}

export class DaemonSetHistory {
  private readonly history: ControllerHistory;

  constructor(
    private readonly client: Client,
    history: ControllerHistory,
  ) {
    this.history = history;
  }

  /**
   * constructHistory: splits the DaemonSet's (claimed) revisions into the current one and the old
   * ones, creating the current revision if the template is new, merging duplicates of it, and
   * renumbering it above every old revision (a rollback to an old template makes that revision the
   * newest again).
   */
  async construct(ds: DaemonSet, owner: OwnerInfo, claimed: readonly ControllerRevision[], podsOf: () => readonly Pod[]): Promise<DaemonHistory> {
    const ns = ds.metadata!.namespace!;
    const current: ControllerRevision[] = [];
    const old: ControllerRevision[] = [];
    for (let revision of claimed) {
      if (revision.metadata?.labels?.[DAEMONSET_REVISION_HASH_LABEL] === undefined) {
        // Older revisions lack the hash label: use the name, so hash collisions cannot matter.
        const toUpdate = clone(revision);
        toUpdate.metadata!.labels = { ...(toUpdate.metadata!.labels ?? {}), [DAEMONSET_REVISION_HASH_LABEL]: toUpdate.metadata!.name! };
        revision = await this.client.controllerRevisions(ns).update(toUpdate);
      }
      (revisionMatches(ds, revision) ? current : old).push(revision);
    }
    const nextNumber = maxRevision(old) + 1;
    if (current.length === 0) return { current: await this.snapshot(ds, owner, nextNumber), old };
    let cur = await this.dedup(ds, current, podsOf);
    if (cur.revision < nextNumber) cur = await this.history.updateRevisionNumber(cur, nextNumber);
    return { current: cur, old };
  }

  /**
   * Creates the revision for the live template. A name taken by a different template is a hash
   * collision: bump status.collisionCount (from a fresh read, so a stale count is never bumped
   * twice) and fail, so the next sync hashes again.
   */
  private async snapshot(ds: DaemonSet, owner: OwnerInfo, number: number): Promise<ControllerRevision> {
    const ns = ds.metadata!.namespace!;
    const hash = computeHash(ds.spec?.template, ds.status?.collisionCount);
    const name = `${ds.metadata!.name}-${hash}`;
    const revision: ControllerRevision = {
      apiVersion: 'apps/v1',
      kind: 'ControllerRevision',
      metadata: {
        name,
        namespace: ns,
        labels: { ...(ds.spec?.template?.metadata?.labels ?? {}), [DAEMONSET_REVISION_HASH_LABEL]: hash },
        ...(ds.metadata?.annotations ? { annotations: { ...ds.metadata.annotations } } : {}),
        ownerReferences: [newControllerRef(owner)],
      },
      data: templateRevisionData(ds.spec?.template) as ControllerRevision['data'],
      revision: number,
    };
    try {
      return await this.client.controllerRevisions(ns).create(revision);
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      const existing = await this.client.controllerRevisions(ns).get(name);
      if (revisionMatches(ds, existing)) return existing;
      const fresh = await this.client.daemonSets(ns).get(ds.metadata!.name!);
      if ((fresh.status?.collisionCount ?? undefined) !== (ds.status?.collisionCount ?? undefined)) {
        throw new Error(`found a stale collision count (${ds.status?.collisionCount ?? 'nil'}, expected ${fresh.status?.collisionCount ?? 'nil'}) of DaemonSet "${ds.metadata!.name}" while processing; will retry until it is updated`);
      }
      const toUpdate = clone(fresh) as Mutable<DaemonSet>;
      toUpdate.status = { ...(toUpdate.status ?? { currentNumberScheduled: 0, desiredNumberScheduled: 0, numberMisscheduled: 0, numberReady: 0 }), collisionCount: (fresh.status?.collisionCount ?? 0) + 1 };
      await this.client.daemonSets(ns).updateStatus(toUpdate);
      throw err;
    }
  }

  /** Keeps the highest-numbered current revision, relabels pods to its hash, deletes the rest. */
  private async dedup(ds: DaemonSet, current: ControllerRevision[], podsOf: () => readonly Pod[]): Promise<ControllerRevision> {
    if (current.length === 1) return current[0]!;
    let keep = current[0]!;
    for (const r of current) if (r.revision >= keep.revision) keep = r;
    const keepHash = revisionHash(keep);
    const ns = ds.metadata!.namespace!;
    for (const pod of podsOf()) {
      if (pod.metadata?.labels?.[DAEMONSET_REVISION_HASH_LABEL] === keepHash) continue;
      try {
        await this.client.pods(ns).patch(pod.metadata!.name!, 'merge', { metadata: { labels: { [DAEMONSET_REVISION_HASH_LABEL]: keepHash } } });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    for (const r of current) if (r !== keep) await this.history.delete(r);
    return keep;
  }

  /**
   * cleanupHistory: deletes old revisions beyond the limit, lowest number first, skipping any
   * revision whose hash a live pod (terminal ones included) still carries.
   */
  async cleanup(ds: DaemonSet, old: readonly ControllerRevision[], livePods: readonly Pod[]): Promise<void> {
    const limit = ds.spec?.revisionHistoryLimit ?? DEFAULT_REVISION_HISTORY_LIMIT;
    let toKill = old.length - limit;
    if (toKill <= 0) return;
    const liveHashes = new Set<string>();
    for (const pod of livePods) {
      const h = pod.metadata?.labels?.[DAEMONSET_REVISION_HASH_LABEL];
      if (h) liveHashes.add(h);
    }
    for (const r of [...old].sort((a, b) => a.revision - b.revision)) {
      if (toKill <= 0) break;
      if (liveHashes.has(revisionHash(r))) continue;
      await this.history.delete(r);
      toKill--;
    }
  }
}

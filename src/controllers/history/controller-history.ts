/**
 * ControllerRevision history shared by the DaemonSet and StatefulSet controllers (Kubernetes'
 * pkg/controller/history): naming and hashing revisions, comparing them, ordering them, and the
 * API operations on them — create (resolving hash collisions), renumber, delete, adopt.
 *
 * A revision is named `<parent>-<hash>`, where the hash is FNV-32 over the revision's data bytes,
 * mixed with the parent's collisionCount when it is set, printed in decimal and mapped into the
 * safe alphabet; the hash is also the label `controller.kubernetes.io/hash`.
 */
import type { ControllerRevision } from 'kubernetes-types/apps/v1.js';
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import { isAlreadyExists, isConflict, isNotFound } from '../../api/errors.js';
import { labelSelectorAsSelector } from '../../api/labels.js';
import { clone, controllerRef } from '../../api/object.js';
import type { Client } from '../../client/client.js';
import type { Lister } from '../../client/indexer.js';
import { newControllerRef, type OwnerInfo } from '../lib/controller-ref.js';
import { safeEncodeString } from '../lib/hash.js';
import { revisionDataEqual, sortedCopy } from './revision-data.js';

/** Label carrying a revision's hash (history.ControllerRevisionHashLabel). */
export const CONTROLLER_REVISION_HASH_LABEL = 'controller.kubernetes.io/hash';
/** Longest parent-name prefix of a revision name, so `<prefix>-<hash>` stays a valid name. */
export const MAX_REVISION_PREFIX = 223;

/**
 * The revision data as Go's encoding/json writes it: keys sorted, and `<`, `>`, `&`, U+2028 and
 * U+2029 escaped. These are the bytes Kubernetes hashes and compares.
 */
export function revisionDataBytes(data: unknown): string {
  return JSON.stringify(sortedCopy(data ?? null))
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** FNV-1 (not 1a) 32-bit, as Go's hash/fnv New32. */
function fnv32(bytes: Uint8Array, seed = 0x811c9dc5): number {
  let h = seed;
  for (let i = 0; i < bytes.length; i++) {
    h = Math.imul(h, 0x01000193) >>> 0;
    h = (h ^ bytes[i]!) >>> 0;
  }
  return h >>> 0;
}

/** history.HashControllerRevision: the hash of a revision's data, probed with `collisionCount`. */
export function hashControllerRevision(data: unknown, collisionCount?: number): string {
  let h = fnv32(Buffer.from(revisionDataBytes(data)));
  if (collisionCount !== undefined) h = fnv32(Buffer.from(String(collisionCount)), h);
  return safeEncodeString(String(h));
}

/** `<prefix>-<hash>`, with the prefix cut to MAX_REVISION_PREFIX characters. */
export function controllerRevisionName(prefix: string, hash: string): string {
  return `${prefix.length > MAX_REVISION_PREFIX ? prefix.slice(0, MAX_REVISION_PREFIX) : prefix}-${hash}`;
}

/**
 * A new (not yet created) revision of `parent` holding `data`: the template's labels plus the
 * hash label, a controller ownerReference, and the given revision number.
 */
export function newControllerRevision(parent: OwnerInfo & { namespace: string }, templateLabels: Record<string, string> | undefined, data: unknown, revision: number, collisionCount?: number): ControllerRevision {
  const hash = hashControllerRevision(data, collisionCount);
  return {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: {
      name: controllerRevisionName(parent.name, hash),
      namespace: parent.namespace,
      labels: { ...(templateLabels ?? {}), [CONTROLLER_REVISION_HASH_LABEL]: hash },
      ownerReferences: [newControllerRef(parent)],
    },
    data: data as ControllerRevision['data'],
    revision,
  };
}

/** A hash label as Kubernetes reads it: strconv.ParseInt(label, 10, 32), else no hash. */
function numericHash(label: string | undefined): number | undefined {
  if (label === undefined || !/^[+-]?\d+$/.test(label)) return undefined;
  const v = Number(label);
  return v >= -2147483648 && v <= 2147483647 ? v >>> 0 : undefined;
}

/**
 * history.EqualRevision: the same data. Kubernetes first compares the hash labels, but only when
 * both parse as 32-bit integers — safe-encoded hashes usually contain letters, so in practice the
 * data decides; this keeps the same rule.
 */
export function equalRevision(a: ControllerRevision | undefined, b: ControllerRevision | undefined): boolean {
  if (!a || !b) return a === b;
  const ha = numericHash(a.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL]);
  const hb = numericHash(b.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL]);
  if (ha !== undefined && hb !== undefined && ha !== hb) return false;
  return revisionDataEqual(a.data, b.data);
}

/** The revisions in `revisions` equal to `needle`, in their order. */
export function findEqualRevisions(revisions: readonly ControllerRevision[], needle: ControllerRevision): ControllerRevision[] {
  return revisions.filter((r) => equalRevision(r, needle));
}

/** Sorts by revision number, then creation time, then name (history.SortControllerRevisions). */
export function sortControllerRevisions(revisions: ControllerRevision[]): ControllerRevision[] {
  return revisions.sort((a, b) => {
    if (a.revision !== b.revision) return a.revision - b.revision;
    const ta = Date.parse(a.metadata?.creationTimestamp ?? '') || 0;
    const tb = Date.parse(b.metadata?.creationTimestamp ?? '') || 0;
    if (ta !== tb) return ta - tb;
    return (a.metadata?.name ?? '') < (b.metadata?.name ?? '') ? -1 : 1;
  });
}

/** One more than the highest revision number (1 for an empty, sorted history). */
export function nextRevision(sorted: readonly ControllerRevision[]): number {
  const last = sorted[sorted.length - 1];
  return last ? last.revision + 1 : 1;
}

/** The highest revision number among `revisions` (0 when empty). */
export function maxRevision(revisions: readonly ControllerRevision[]): number {
  let max = 0;
  for (const r of revisions) if (r.revision > max) max = r.revision;
  return max;
}

/** API operations on a parent's revisions; reads come from the informer cache. */
export class ControllerHistory {
  constructor(
    private readonly client: Client,
    private readonly lister: Lister<ControllerRevision>,
  ) {}

  /**
   * The revisions in `namespace` matching `selector` that `parentUid` controls, plus matching
   * orphans (which the caller may adopt). Revisions controlled by another owner are left out.
   */
  list(namespace: string, parentUid: string, selector: LabelSelector | undefined): ControllerRevision[] {
    const sel = labelSelectorAsSelector(selector);
    return this.lister.listByNamespace(namespace).filter((r) => {
      if (!sel.matches(r.metadata?.labels ?? {})) return false;
      const ref = controllerRef(r as never);
      return !ref || ref.uid === parentUid;
    });
  }

  /**
   * Creates `revision`, renaming it with a fresh hash while its name is taken by different data
   * (history.CreateControllerRevision). `collision.count` is raised on every such collision; the
   * caller stores it in the parent's status. An existing revision with the same data is returned.
   */
  async create(parentName: string, revision: ControllerRevision, collision: { count: number }): Promise<ControllerRevision> {
    const ns = revision.metadata!.namespace!;
    for (;;) {
      const hash = hashControllerRevision(revision.data, collision.count);
      const candidate = clone(revision);
      candidate.metadata!.name = controllerRevisionName(parentName, hash);
      try {
        return await this.client.controllerRevisions(ns).create(candidate);
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
        const existing = await this.client.controllerRevisions(ns).get(candidate.metadata!.name);
        if (revisionDataEqual(existing.data, candidate.data)) return existing;
        collision.count++;
      }
    }
  }

  /** Sets a revision's number (history.UpdateControllerRevision), re-reading on conflicts. */
  async updateRevisionNumber(revision: ControllerRevision, newRevision: number): Promise<ControllerRevision> {
    let current = revision;
    for (let attempt = 0; ; attempt++) {
      if (current.revision === newRevision) return current;
      const toUpdate = { ...clone(current), revision: newRevision };
      try {
        return await this.client.controllerRevisions(current.metadata!.namespace!).update(toUpdate);
      } catch (err) {
        if (!isConflict(err) || attempt >= 4) throw err;
        current = await this.client.controllerRevisions(current.metadata!.namespace!).get(current.metadata!.name!);
      }
    }
  }

  /** Deletes a revision; one already gone is fine. */
  async delete(revision: ControllerRevision): Promise<void> {
    try {
      await this.client.controllerRevisions(revision.metadata!.namespace!).delete(revision.metadata!.name!, { preconditions: { uid: revision.metadata!.uid! } });
    } catch (err) {
      if (!isNotFound(err) && !isConflict(err)) throw err;
    }
  }

  /** Makes `parent` the controller of an orphaned revision (a patch with a UID precondition). */
  async adopt(parent: OwnerInfo, revision: ControllerRevision): Promise<ControllerRevision> {
    const patch = { metadata: { ownerReferences: [newControllerRef(parent)], uid: revision.metadata!.uid } };
    return this.client.controllerRevisions(revision.metadata!.namespace!).patch(revision.metadata!.name!, 'strategic', patch);
  }
}

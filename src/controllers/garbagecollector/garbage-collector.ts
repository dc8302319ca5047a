/**
 * The garbage collector (Kubernetes' pkg/controller/garbagecollector): deletes objects whose
 * owners are all gone, and carries out the Foreground and Orphan propagation policies that the
 * API server started by adding the `foregroundDeletion` or `orphan` finalizer.
 *
 * Wiring: one informer per served resource that can own or be owned (every resource but events
 * and bindings) feeds the GraphBuilder synchronously; it queues node UIDs on two queues.
 *
 * attemptToDelete(uid) — for a dependent (or a virtual owner, or a foreground-deleting owner):
 *   uncached GET of the item; gone or replaced → virtual delete event (drops the node, queues its
 *   dependents). Foreground-deleting → if no dependent still blocks it, remove its
 *   `foregroundDeletion` finalizer, else queue the blocking dependents. Otherwise classify each
 *   ownerReference with uncached GETs of the owners — dangling (404 or other UID), waiting
 *   (foreground-deleting) or solid: any solid owner → patch out dangling and waiting references;
 *   a waiting owner and dependents of its own → delete in the foreground; no owner left →
 *   delete (Background, or the policy its own finalizers ask for).
 * attemptToOrphan(uid) — for an owner deleted with the `orphan` finalizer: strip its reference
 *   from every dependent, then remove the finalizer (the API server then deletes it).
 *
 * Nothing lives only in memory: the graph is rebuilt from the informers after a restart, and the
 * finalizers and ownerReferences in the API are the state of record.
 */
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import type { KubeObject } from '../../api/object.js';
import { groupVersion, RESOURCES, type ResourceInfo } from '../../api/resources.js';
import { isNotFound } from '../../api/errors.js';
import type { Client } from '../../client/client.js';
import type { ObjectLike } from '../../client/types.js';
import { WorkQueue } from '../../client/work-queue.js';
import { runWorkers, type SyncResult } from '../../client/workers.js';
import type { EventRecorder } from '../../client/event-recorder.js';
import { silentLogger, type Logger } from '../../client/log.js';
import type { Controller, ControllerContext } from '../controller.js';
import type { GraphNode, ObjectIdentity } from './graph.js';
import { identityOfReference } from './graph.js';
import { FINALIZER_FOREGROUND, FINALIZER_ORPHAN, GraphBuilder, type EventSource } from './graph-builder.js';
import {
  deleteObject,
  getObject,
  NamespacedOwnerOfClusterScopedError,
  RestMappingError,
  removeFinalizer,
  removeOwnerReferences,
  resolveKind,
  unblockOwnerReferences,
  type Propagation,
} from './operations.js';

/** Kubernetes' --concurrent-gc-syncs default. */
export const DEFAULT_GC_WORKERS = 20;
/** Dependents orphaned in parallel for one owner (bounded fan-out). */
export const ORPHAN_PARALLELISM = 32;
/**
 * First re-check of a virtual owner that exists but no informer has delivered yet (or of a
 * reference to a kind not served); doubles up to the cap.
 */
export const VIRTUAL_RECHECK_BASE_MS = 50;
export const VIRTUAL_RECHECK_MAX_MS = 5 * 60_000;
/** The event source Kubernetes' collector reports as. */
export const GC_COMPONENT = 'garbage-collector-controller';

/** Resources the collector does not track (Kubernetes ignores events; bindings are not stored). */
const IGNORED = new Set(['/events', 'events.k8s.io/events', '/bindings']);

/** Every served resource that can own or be owned: deletable, listable, watchable. */
export function collectableResources(): ResourceInfo[] {
  return RESOURCES.filter(
    (r) => !IGNORED.has(`${r.group}/${r.resource}`) && r.verbs.includes('delete') && r.verbs.includes('list') && r.verbs.includes('watch'),
  );
}

export interface GarbageCollectorOptions {
  workers?: number;
  /** Called after each sync of either queue (metrics, tests). */
  onSynced?: (queue: 'attemptToDelete' | 'attemptToOrphan', uid: string, outcome: 'ok' | 'requeue' | 'error' | 'terminal') => void;
}

type Outcome = 'done' | 'virtual-deleted' | 'unresolvable';

export class GarbageCollector implements Controller {
  readonly name = 'garbage-collector';
  private readonly workers: number;
  private readonly onSynced: GarbageCollectorOptions['onSynced'];
  /** Exposed for tests and diagnostics (the graph of the current run). */
  graph: GraphBuilder | undefined;

  constructor(opts: GarbageCollectorOptions = {}) {
    this.workers = opts.workers ?? DEFAULT_GC_WORKERS;
    this.onSynced = opts.onSynced;
  }

  async run(ctx: ControllerContext, signal: AbortSignal): Promise<void> {
    const logger = ctx.logger.child({ controller: this.name });
    const recorder = ctx.recorder(GC_COMPONENT);
    const attemptToDelete = new WorkQueue({ name: 'garbage_collector_attempt_to_delete', clock: ctx.clock });
    const attemptToOrphan = new WorkQueue({ name: 'garbage_collector_attempt_to_orphan', clock: ctx.clock });
    const graph = new GraphBuilder({
      attemptToDelete: (uid) => attemptToDelete.add(uid),
      attemptToDeleteRateLimited: (uid) => attemptToDelete.addRateLimited(uid),
      attemptToOrphan: (uid) => attemptToOrphan.add(uid),
      reportInvalidNamespaceOwnerRef: (dep, _ref, message) => reportInvalid(recorder, dep, message),
    });
    this.graph = graph;

    for (const info of collectableResources()) {
      const source: EventSource = { apiVersion: groupVersion(info), kind: info.kind };
      ctx.informers.informerFor<ObjectLike>(info).addEventHandler({
        onAdd: (obj) => graph.observe(source, obj),
        onUpdate: (oldObj, obj) => graph.observe(source, obj, oldObj),
        onDelete: (obj) => graph.observeDelete(source, obj),
      });
    }
    if (!(await ctx.informers.waitForCacheSync(signal))) {
      // Stopped before the caches synced: drop what the graph queued (parked keys hold timers).
      attemptToDelete.shutDown();
      attemptToOrphan.shutDown();
      return;
    }
    logger.info('dependency graph built', { nodes: graph.size });

    const collector = new Collector(ctx.client, graph, (uid) => attemptToDelete.add(uid), logger);
    await Promise.all([
      runWorkers(attemptToDelete, this.workers, (uid) => collector.attemptToDelete(uid), signal, {
        logger,
        onSynced: (uid, outcome) => this.onSynced?.('attemptToDelete', uid, outcome),
      }),
      runWorkers(attemptToOrphan, this.workers, (uid) => collector.attemptToOrphan(uid), signal, {
        logger,
        onSynced: (uid, outcome) => this.onSynced?.('attemptToOrphan', uid, outcome),
      }),
    ]);
  }
}

function reportInvalid(recorder: EventRecorder, dep: GraphNode, message: string): void {
  const id = dep.identity;
  recorder.event(
    { kind: id.kind, apiVersion: id.apiVersion, name: id.name, uid: id.uid, ...(id.namespace ? { namespace: id.namespace } : {}) },
    'Warning',
    'OwnerRefInvalidNamespace',
    message,
  );
}

/** The sync functions of both queues, over one graph. */
export class Collector {
  private readonly virtualRechecks = new Map<string, number>();

  constructor(
    private readonly client: Client,
    private readonly graph: GraphBuilder,
    private readonly enqueueAttemptToDelete: (uid: string) => void,
    private readonly logger: Logger = silentLogger,
  ) {}

  /** attemptToDeleteWorker: the key is a UID; the graph's current node for it is processed. */
  async attemptToDelete(uid: string): Promise<SyncResult> {
    const node = this.graph.node(uid);
    if (!node) {
      this.virtualRechecks.delete(uid);
      return;
    }
    let outcome: Outcome;
    try {
      outcome = await this.attemptToDeleteItem(node);
    } catch (err) {
      if (!(err instanceof RestMappingError)) throw err;
      // A reference to a kind this server does not serve (yet): Kubernetes keeps retrying, since
      // it cannot tell a mistyped kind from one that will be served later. Quietly, with back-off.
      this.logger.debug('cannot resolve a kind; will retry', { item: node.toString(), error: err.message });
      return { requeueAfterMs: this.nextRecheck(uid) };
    }
    if (outcome !== 'done' || node.observed || this.graph.node(uid) !== node) {
      this.virtualRechecks.delete(uid);
      return;
    }
    // The owner exists but no informer has shown it yet (a kind not watched, or an informer that
    // lags): look again later, or a virtual node created during a watch gap could stay forever.
    return { requeueAfterMs: this.nextRecheck(uid) };
  }

  private nextRecheck(uid: string): number {
    const n = this.virtualRechecks.get(uid) ?? 0;
    this.virtualRechecks.set(uid, n + 1);
    return Math.min(VIRTUAL_RECHECK_BASE_MS * 2 ** n, VIRTUAL_RECHECK_MAX_MS);
  }

  /** attemptToDeleteItem: decides, from live reads, whether `item` goes, loses references, or stays. */
  async attemptToDeleteItem(item: GraphNode): Promise<Outcome> {
    // Deletion is one-way: wait for it to finish, then the dependents are processed.
    if (item.beingDeleted && !item.deletingDependents) return 'done';
    const id = { ...item.identity };
    let latest: KubeObject;
    try {
      latest = await getObject(this.client, id);
    } catch (err) {
      if (err instanceof NamespacedOwnerOfClusterScopedError) return 'unresolvable';
      if (!isNotFound(err)) throw err;
      this.graph.virtualDelete(id);
      return 'virtual-deleted';
    }
    if (latest.metadata?.uid !== id.uid) {
      this.graph.virtualDelete(id);
      return 'virtual-deleted';
    }
    if (item.deletingDependents) {
      await this.processDeletingDependents(item);
      return 'done';
    }
    const refs = latest.metadata?.ownerReferences ?? [];
    if (refs.length === 0) return 'done';

    let classified;
    try {
      classified = await this.classifyReferences(item, refs);
    } catch (err) {
      // A cluster-scoped object naming a namespaced owner can never be resolved: leave it alone.
      if (err instanceof NamespacedOwnerOfClusterScopedError) return 'unresolvable';
      throw err;
    }
    const { solid, dangling, waiting } = classified;
    const rv = latest.metadata?.resourceVersion;
    if (solid.length > 0) {
      if (dangling.length === 0 && waiting.length === 0) return 'done';
      // Waiting references go too, or their owners would wait for this object forever.
      await removeOwnerReferences(this.client, id, [...dangling, ...waiting].map((r) => r.uid));
      return 'done';
    }
    if (waiting.length > 0 && item.dependents.size > 0) {
      for (const dep of item.dependents) {
        if (dep.deletingDependents) {
          // A dependent also deleting in the foreground may wait on us: break the possible cycle by
          // making our references non-blocking (Kubernetes' detection has false positives too).
          await unblockOwnerReferences(this.client, id, refs);
          break;
        }
      }
      // Our own dependents must go first: delete in the foreground.
      await deleteObject(this.client, id, rv, refs, 'Foreground');
      return 'done';
    }
    // No owner left: delete, honouring a policy already chosen through our own finalizers.
    const finalizers = latest.metadata?.finalizers ?? [];
    const policy: Propagation = finalizers.includes(FINALIZER_ORPHAN) ? 'Orphan' : finalizers.includes(FINALIZER_FOREGROUND) ? 'Foreground' : 'Background';
    await deleteObject(this.client, id, rv, refs, policy);
    return 'done';
  }

  /** A foreground-deleting owner: finish it once nothing blocks it, else push the blockers along. */
  private async processDeletingDependents(item: GraphNode): Promise<void> {
    const blocking = item.blockingDependents();
    if (blocking.length === 0) {
      await removeFinalizer(this.client, item.identity, FINALIZER_FOREGROUND);
      return;
    }
    for (const dep of blocking) {
      if (!dep.deletingDependents) this.enqueueAttemptToDelete(dep.uid);
    }
  }

  /** Sorts an item's references into solid, dangling and waiting-for-dependents (classifyReferences). */
  private async classifyReferences(item: GraphNode, refs: readonly OwnerReference[]): Promise<{ solid: OwnerReference[]; dangling: OwnerReference[]; waiting: OwnerReference[] }> {
    const solid: OwnerReference[] = [];
    const dangling: OwnerReference[] = [];
    const waiting: OwnerReference[] = [];
    for (const ref of refs) {
      const owner = await this.ownerOf(ref, item);
      if (!owner) {
        dangling.push(ref);
      } else if (owner.metadata?.deletionTimestamp && owner.metadata.finalizers?.includes(FINALIZER_FOREGROUND)) {
        waiting.push(ref);
      } else {
        solid.push(ref);
      }
    }
    return { solid, dangling, waiting };
  }

  /** The live owner a reference names, or undefined if it dangles (isDangling). */
  private async ownerOf(ref: OwnerReference, item: GraphNode): Promise<KubeObject | undefined> {
    const cache = this.graph.absentOwnerCache;
    if (cache.has(identityOfReference(ref, '')) || cache.has(identityOfReference(ref, item.identity.namespace))) return undefined;
    const resolved = resolveKind(this.client, ref.apiVersion, ref.kind, item.identity.namespace);
    const absent: ObjectIdentity = identityOfReference(ref, resolved.namespaced ? item.identity.namespace : '');
    let owner: KubeObject;
    try {
      owner = await resolved.client.get(ref.name);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      cache.add(absent);
      return undefined;
    }
    if (owner.metadata?.uid !== ref.uid) {
      cache.add(absent);
      return undefined;
    }
    return owner;
  }

  /** attemptToOrphanWorker: strip the owner's reference from its dependents, then its `orphan` finalizer. */
  async attemptToOrphan(uid: string): Promise<SyncResult> {
    const owner = this.graph.node(uid);
    if (!owner) return;
    const dependents = [...owner.dependents];
    const errors: unknown[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < dependents.length) {
        const dep = dependents[next++]!;
        try {
          // A reference that is already gone is no error: the strategic-merge delete is a no-op.
          await removeOwnerReferences(this.client, dep.identity, [owner.uid]);
        } catch (err) {
          if (!isNotFound(err)) errors.push(err);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(ORPHAN_PARALLELISM, dependents.length) }, worker));
    if (errors.length > 0) {
      throw new Error(`orphaning dependents of ${owner.toString()} failed for ${errors.length} of ${dependents.length}: ${String((errors[0] as Error).message)}`);
    }
    await removeFinalizer(this.client, owner.identity, FINALIZER_ORPHAN);
  }
}

/**
 * Removing the directories of deleted local-path volumes (the node's half of the local-path
 * provisioner; notes/agent-contract.md "local-path"). A PersistentVolume that is being deleted,
 * still carries the finalizer `skiff.dev/local-path-cleanup` and is pinned to this node has its
 * directory under the node's data dir removed, then the finalizer dropped, so the API server can
 * finish the deletion. Level-triggered: every such volume found at start-up or on a watch event
 * is handled, and a failure is retried with back-off.
 *
 * Volumes are watched cluster-wide (a volume has no field that selects by node); the local
 * agents of one process (a simulated fleet, `skiff server --nodes N`) share one watch through a
 * `PersistentVolumeSource`, dispatched by the hostname the volume is pinned to.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { PersistentVolume } from 'kubernetes-types/core/v1.js';
import { isConflict, isNotFound } from '../api/errors.js';
import { awaitsLocalCleanup, LOCAL_PATH_CLEANUP_FINALIZER, localPathOf, pinnedHostname } from '../api/local-path.js';
import type { Client } from '../client/client.js';
import type { Clock } from '../client/clock.js';
import type { SharedInformer } from '../client/informer.js';
import { SharedInformerFactory } from '../client/informer-factory.js';
import { silentLogger, type Logger } from '../client/log.js';
import { WorkQueue } from '../client/work-queue.js';
import { runWorkers } from '../client/workers.js';

const BY_HOST = 'skiff.dev/byPinnedHostname';
const byHost = (pv: PersistentVolume): string[] => {
  const h = pinnedHostname(pv);
  return h ? [h] : [];
};

/** One PersistentVolume informer, dispatching volumes to the agent of the node they are pinned to. */
export class PersistentVolumeSource {
  readonly informer: SharedInformer<PersistentVolume>;
  private readonly factory: SharedInformerFactory;
  private readonly subscribers = new Map<string, (pv: PersistentVolume) => void>();

  constructor(client: Client, opts: { logger?: Logger } = {}) {
    this.factory = new SharedInformerFactory(client, { ...(opts.logger ? { logger: opts.logger } : {}), freeze: true });
    this.informer = this.factory.informerFor<PersistentVolume>({ group: '', version: 'v1', resource: 'persistentvolumes' }, { indexers: { [BY_HOST]: byHost } });
    const dispatch = (pv: PersistentVolume): void => {
      const host = pinnedHostname(pv);
      if (host) this.subscribers.get(host)?.(pv);
    };
    this.informer.addEventHandler({ onAdd: dispatch, onUpdate: (_old, pv) => dispatch(pv) });
  }

  start(signal: AbortSignal): void {
    this.factory.start(signal);
  }

  async stopped(): Promise<void> {
    await this.factory.shutdown();
  }

  /** Calls `fn` for every volume pinned to `hostname`, now and on every change. */
  subscribe(hostname: string, fn: (pv: PersistentVolume) => void): () => void {
    this.subscribers.set(hostname, fn);
    for (const pv of this.informer.store.byIndex(BY_HOST, hostname)) fn(pv);
    return () => {
      if (this.subscribers.get(hostname) === fn) this.subscribers.delete(hostname);
    };
  }

  get(name: string): PersistentVolume | undefined {
    return this.informer.store.getByName('', name);
  }

  waitForSync(signal: AbortSignal): Promise<boolean> {
    return this.informer.waitForSync(signal);
  }
}

export interface LocalVolumeCleanerOptions {
  nodeName: string;
  /** The value of the node's `kubernetes.io/hostname` label (volumes are pinned by it). */
  hostname: string;
  /** A client authenticated as the node (the node authorizer lets it update volumes pinned to it). */
  client: Client;
  source: PersistentVolumeSource;
  /** The node's data dir: local-path directories are relative to it. */
  dataDir: string;
  clock?: Clock;
  logger?: Logger;
}

export class LocalVolumeCleaner {
  private readonly logger: Logger;
  /** Volumes cleaned by this agent (tests). */
  readonly cleaned: string[] = [];

  constructor(private readonly opts: LocalVolumeCleanerOptions) {
    this.logger = (opts.logger ?? silentLogger).child({ component: 'local-volumes' });
  }

  /** Runs until `signal` aborts (the source must be started by its owner). */
  async run(signal: AbortSignal): Promise<void> {
    const queue = new WorkQueue({ name: `local-volumes-${this.opts.nodeName}`, ...(this.opts.clock ? { clock: this.opts.clock } : {}) });
    if (!(await this.opts.source.waitForSync(signal))) return;
    const unsubscribe = this.opts.source.subscribe(this.opts.hostname, (pv) => {
      if (awaitsLocalCleanup(pv)) queue.add(pv.metadata?.name ?? '');
    });
    try {
      await runWorkers(queue, 1, (name) => this.cleanUp(name), signal, { logger: this.logger });
    } finally {
      unsubscribe();
    }
  }

  /** Removes the directory of one deleted volume, then its finalizer. */
  async cleanUp(name: string): Promise<void> {
    const pv = this.opts.source.get(name);
    if (!pv || !awaitsLocalCleanup(pv) || pinnedHostname(pv) !== this.opts.hostname) return;
    let rel: string | undefined;
    try {
      rel = localPathOf(pv);
    } catch (err) {
      // Never delete outside the data dir: there is nothing of ours to clean, let the volume go.
      this.logger.warn('not removing the directory of a deleted volume', { volume: name, error: err });
    }
    if (rel !== undefined) await rm(join(this.opts.dataDir, rel), { recursive: true, force: true, maxRetries: 3 });
    await this.dropFinalizer(pv);
    this.cleaned.push(name);
    this.logger.info('removed the directory of a deleted local volume', { volume: name, ...(rel ? { path: join(this.opts.dataDir, rel) } : {}) });
  }

  /** Update with the volume's resourceVersion; on a conflict, read it again and retry. */
  private async dropFinalizer(seen: PersistentVolume): Promise<void> {
    const pvs = this.opts.client.persistentVolumes();
    let pv = seen;
    for (let attempt = 0; ; attempt++) {
      const finalizers = pv.metadata?.finalizers ?? [];
      if (!finalizers.includes(LOCAL_PATH_CLEANUP_FINALIZER)) return;
      try {
        await pvs.update({ ...pv, metadata: { ...pv.metadata, finalizers: finalizers.filter((f) => f !== LOCAL_PATH_CLEANUP_FINALIZER) } });
        return;
      } catch (err) {
        if (isNotFound(err)) return;
        if (!isConflict(err) || attempt >= 4) throw err;
        try {
          pv = await pvs.get(pv.metadata?.name ?? '');
        } catch (e) {
          if (isNotFound(e)) return;
          throw e;
        }
      }
    }
  }
}

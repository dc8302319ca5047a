/**
 * PersistentVolume binding and local-path provisioning (Kubernetes' persistentvolume-binder
 * controller plus a k3s-style local-path provisioner, in one controller).
 *
 * Claims (sync `namespace/name`):
 * - bound or pre-bound (`spec.volumeName`): complete the binding on both sides and report the
 *   claim Bound with the volume's capacity and access modes; a claim whose volume vanished is Lost;
 * - unbound: bind the smallest matching existing volume (Immediate binding); failing that, for a
 *   provisioned class, wait for the first consumer — the node a pod using the claim is scheduled to
 *   (or the node a volume-aware scheduler put in `volume.kubernetes.io/selected-node`) — then
 *   create `pvc-<uid>` on that node, pre-bound to the claim, and bind.
 *
 * Volumes (sync `name`): Available without a claim, Bound with one; when the claim is gone the
 * volume is Released and, with reclaim policy Delete, deleted (once no pod on the node still uses
 * it). A provisioned volume keeps the cleanup finalizer until the node agent has removed its
 * directory; if the node itself is gone there is nothing to clean and the finalizer is dropped.
 */
import type { Node, PersistentVolume, PersistentVolumeClaim, PersistentVolumeClaimStatus, PersistentVolumeStatus, Pod } from 'kubernetes-types/core/v1.js';
import { isAlreadyExists, isConflict, isNotFound } from '../../api/errors.js';
import { clone, splitKey, type Mutable } from '../../api/object.js';
import type { EventRecorder } from '../../client/event-recorder.js';
import type { IndexFunc } from '../../client/indexer.js';
import type { SharedInformer } from '../../client/informer.js';
import { formatTime } from '../../client/clock.js';
import type { ObjectLike } from '../../client/types.js';
import { WorkQueue } from '../../client/work-queue.js';
import { runWorkers, type SyncResult } from '../../client/workers.js';
import type { Controller, ControllerContext } from '../controller.js';
import { isPodTerminal } from '../lib/pod-utils.js';
import {
  ANN_BETA_STORAGE_PROVISIONER,
  ANN_BIND_COMPLETED,
  ANN_BOUND_BY_CONTROLLER,
  ANN_PROVISIONED_BY,
  ANN_SELECTED_NODE,
  ANN_STORAGE_PROVISIONER,
  claimClass,
  claimKey,
  claimRefMatches,
  findBestMatch,
  HOSTNAME_LABEL,
  isProvisionable,
  LOCAL_PATH_CLEANUP_FINALIZER,
  LOCAL_PATH_PROVISIONER,
  newProvisionedVolume,
  podClaimKeys,
  provisionedVolumeName,
  requestedStorage,
  volumeHostname,
} from './volume-util.js';

export const PV_CONTROLLER_COMPONENT = 'persistentvolume-controller';
/** Index names on the shared pod and volume informers. */
export const PODS_BY_CLAIM_INDEX = 'podsByClaim';
export const VOLUMES_BY_CLAIM_INDEX = 'volumesByClaim';

export const indexPodsByClaim: IndexFunc<Pod> = (pod) => podClaimKeys(pod);
export const indexVolumesByClaim: IndexFunc<PersistentVolume> = (pv) => (pv.spec?.claimRef?.name ? [`${pv.spec.claimRef.namespace ?? ''}/${pv.spec.claimRef.name}`] : []);

const obj = (o: unknown): ObjectLike => o as ObjectLike;

export class PersistentVolumeController implements Controller {
  readonly name = 'persistentvolume-binder';

  async run(ctx: ControllerContext, signal: AbortSignal): Promise<void> {
    const claimQueue = new WorkQueue({ name: 'persistentvolumeclaims', clock: ctx.clock });
    const volumeQueue = new WorkQueue({ name: 'persistentvolumes', clock: ctx.clock });
    const claims = ctx.informers.persistentVolumeClaims();
    const volumes = ctx.informers.informerFor<PersistentVolume>({ group: '', version: 'v1', resource: 'persistentvolumes' }, { indexers: { [VOLUMES_BY_CLAIM_INDEX]: indexVolumesByClaim } });
    const pods = ctx.informers.pods({ indexers: { [PODS_BY_CLAIM_INDEX]: indexPodsByClaim } });
    const nodes = ctx.informers.nodes();
    const binder = new Binder(ctx, claims, volumes, pods, nodes, ctx.recorder(PV_CONTROLLER_COMPONENT), ctx.recorder(LOCAL_PATH_PROVISIONER));
    const logger = ctx.logger.child({ controller: this.name });

    const volumeChanged = (pv: PersistentVolume) => {
      volumeQueue.add(pv.metadata!.name!);
      const ref = pv.spec?.claimRef;
      if (ref?.name) claimQueue.add(`${ref.namespace ?? ''}/${ref.name}`);
    };
    const claimChanged = (pvc: PersistentVolumeClaim) => {
      claimQueue.add(claimKey(pvc));
      if (pvc.spec?.volumeName) volumeQueue.add(pvc.spec.volumeName);
      for (const pv of volumes.store.byIndex(VOLUMES_BY_CLAIM_INDEX, claimKey(pvc))) volumeQueue.add(pv.metadata!.name!);
    };
    claims.addEventHandler({ onAdd: claimChanged, onUpdate: (_o, c) => claimChanged(c), onDelete: claimChanged });
    volumes.addEventHandler({ onAdd: volumeChanged, onUpdate: (_o, v) => volumeChanged(v), onDelete: volumeChanged });
    const podChanged = (pod: Pod) => {
      for (const key of podClaimKeys(pod)) {
        claimQueue.add(key);
        // A volume held back from deletion by this pod may go now.
        for (const pv of volumes.store.byIndex(VOLUMES_BY_CLAIM_INDEX, key)) volumeQueue.add(pv.metadata!.name!);
      }
    };
    pods.addEventHandler({
      onAdd: podChanged,
      onUpdate: (o, p) => {
        if (o.spec?.nodeName !== p.spec?.nodeName || o.status?.phase !== p.status?.phase || !!o.metadata?.deletionTimestamp !== !!p.metadata?.deletionTimestamp) podChanged(p);
      },
      onDelete: podChanged,
    });
    nodes.addEventHandler({
      // A node that comes (back) may unblock provisioning; one that goes may free a finalizer.
      onAdd: () => {
        for (const c of claims.store.list()) if (!c.spec?.volumeName) claimQueue.add(claimKey(c));
      },
      onDelete: () => {
        for (const pv of volumes.store.list()) if (pv.metadata?.deletionTimestamp) volumeQueue.add(pv.metadata.name!);
      },
    });
    if (!(await ctx.informers.waitForCacheSync(signal))) return;
    logger.info('starting');
    await Promise.all([
      runWorkers(claimQueue, ctx.workers, (key) => binder.syncClaim(key), signal, { logger }),
      runWorkers(volumeQueue, ctx.workers, (key) => binder.syncVolume(key), signal, { logger }),
    ]);
  }
}

class Binder {
  constructor(
    private readonly ctx: ControllerContext,
    private readonly claims: SharedInformer<PersistentVolumeClaim>,
    private readonly volumes: SharedInformer<PersistentVolume>,
    private readonly pods: SharedInformer<Pod>,
    private readonly nodes: SharedInformer<Node>,
    private readonly events: EventRecorder,
    private readonly provisionerEvents: EventRecorder,
  ) {}

  async syncClaim(key: string): Promise<SyncResult> {
    const { namespace, name } = splitKey(key);
    const pvc = this.claims.store.getByName(namespace, name);
    if (!pvc || pvc.metadata?.deletionTimestamp) return;
    if (pvc.spec?.volumeName) return this.syncBoundClaim(pvc, pvc.spec.volumeName);
    const match = findBestMatch(this.volumes.store.list(), pvc);
    if (match) {
      await this.bindVolumeToClaim(match, pvc);
      await this.bindClaimToVolume(pvc, match);
      return;
    }
    if (!isProvisionable(pvc)) {
      const cls = claimClass(pvc);
      if (cls === '') this.events.event(obj(pvc), 'Normal', 'FailedBinding', 'no persistent volumes available for this claim and no storage class is set');
      else this.events.event(obj(pvc), 'Warning', 'ProvisioningFailed', `storageclass.storage.k8s.io "${cls}" not found`);
      return;
    }
    if (pvc.spec?.selector) {
      this.events.event(obj(pvc), 'Warning', 'ProvisioningFailed', 'claim.Spec.Selector is not supported for dynamic provisioning on local-path');
      return;
    }
    if (!requestedStorage(pvc)) {
      this.events.event(obj(pvc), 'Warning', 'ProvisioningFailed', 'claim.Spec.Resources.Requests.storage is required for dynamic provisioning');
      return;
    }
    const nodeName = pvc.metadata?.annotations?.[ANN_SELECTED_NODE] ?? this.firstConsumerNode(key);
    if (!nodeName) {
      // WaitForFirstConsumer: the volume goes where the first pod using the claim is scheduled.
      this.events.event(obj(pvc), 'Normal', 'WaitForFirstConsumer', 'waiting for first consumer to be created before binding');
      return;
    }
    const node = this.nodes.store.get(nodeName);
    if (!node) return; // The node is not (yet) known: a node add re-queues unbound claims.
    const pv = await this.provision(pvc, node);
    if (pv) await this.bindClaimToVolume(pvc, pv);
  }

  /** The node of the oldest scheduled, running pod that mounts the claim. */
  private firstConsumerNode(key: string): string | undefined {
    const consumers = this.pods.store
      .byIndex(PODS_BY_CLAIM_INDEX, key)
      .filter((p) => p.spec?.nodeName && !p.metadata?.deletionTimestamp && !isPodTerminal(p))
      .sort((a, b) => (a.metadata?.creationTimestamp ?? '').localeCompare(b.metadata?.creationTimestamp ?? '') || (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
    return consumers[0]?.spec?.nodeName;
  }

  /** Creates the claim's local-path volume on `node` (pre-bound to the claim). */
  private async provision(pvc: PersistentVolumeClaim, node: Node): Promise<PersistentVolume | undefined> {
    const name = provisionedVolumeName(pvc);
    const cached = this.volumes.store.get(name);
    if (cached) return claimRefMatches(cached, pvc) ? cached : undefined;
    this.provisionerEvents.event(obj(pvc), 'Normal', 'Provisioning', `External provisioner is provisioning volume for claim "${claimKey(pvc)}"`);
    try {
      const created = await this.ctx.client.persistentVolumes().create(newProvisionedVolume(pvc, node));
      this.provisionerEvents.event(obj(pvc), 'Normal', 'ProvisioningSucceeded', `Successfully provisioned volume ${name}`);
      return created;
    } catch (err) {
      if (isAlreadyExists(err)) {
        const existing = await this.ctx.client.persistentVolumes().get(name);
        return claimRefMatches(existing, pvc) ? existing : undefined;
      }
      this.provisionerEvents.event(obj(pvc), 'Warning', 'ProvisioningFailed', `failed to provision volume with StorageClass "${claimClass(pvc)}": ${(err as Error).message}`);
      throw err;
    }
  }

  private async syncBoundClaim(pvc: PersistentVolumeClaim, volumeName: string): Promise<void> {
    const pv = this.volumes.store.get(volumeName);
    if (!pv) {
      if (pvc.status?.phase === 'Bound') {
        this.events.event(obj(pvc), 'Warning', 'ClaimLost', 'Bound claim has lost its PersistentVolume. Data on the volume is lost!');
        await this.writeClaimStatus(pvc, { phase: 'Lost' });
      }
      return;
    }
    if (!pv.spec?.claimRef) {
      // The claim names a free volume (pre-bound by its author): complete the volume side.
      await this.bindVolumeToClaim(pv, pvc);
      await this.bindClaimToVolume(pvc, pv);
      return;
    }
    if (!claimRefMatches(pv, pvc)) {
      if (pvc.status?.phase === 'Bound') {
        this.events.event(obj(pvc), 'Warning', 'ClaimMisbound', 'Two claims are bound to the same volume, this one is bound incorrectly');
        await this.writeClaimStatus(pvc, { phase: 'Lost' });
      } else {
        this.events.event(obj(pvc), 'Warning', 'FailedBinding', `volume "${volumeName}" already bound to a different claim.`);
      }
      return;
    }
    await this.bindClaimToVolume(pvc, pv);
  }

  /** Sets the volume's claimRef to the claim (bindVolumeToClaim), if it is not already. */
  private async bindVolumeToClaim(pv: PersistentVolume, pvc: PersistentVolumeClaim): Promise<void> {
    const ref = pv.spec?.claimRef;
    if (ref && ref.uid === pvc.metadata?.uid && ref.name === pvc.metadata?.name && ref.namespace === pvc.metadata?.namespace) return;
    const next = clone(pv);
    next.spec!.claimRef = { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: pvc.metadata!.namespace!, name: pvc.metadata!.name!, uid: pvc.metadata!.uid!, resourceVersion: pvc.metadata!.resourceVersion! };
    next.metadata!.annotations = { ...(next.metadata!.annotations ?? {}), [ANN_BOUND_BY_CONTROLLER]: 'yes' };
    await this.ctx.client.persistentVolumes().update(next);
  }

  /**
   * Completes the claim side: `spec.volumeName` and the binding annotations, then status Bound
   * with the volume's capacity and access modes. Each write happens only if needed.
   */
  private async bindClaimToVolume(pvc: PersistentVolumeClaim, pv: PersistentVolume): Promise<void> {
    let current = pvc;
    const ann = current.metadata?.annotations ?? {};
    const provisioned = pv.metadata?.annotations?.[ANN_PROVISIONED_BY];
    const needSpec = current.spec?.volumeName !== pv.metadata!.name || ann[ANN_BIND_COMPLETED] !== 'yes' || (provisioned !== undefined && ann[ANN_STORAGE_PROVISIONER] !== provisioned);
    if (needSpec) {
      const next = clone(current);
      const wasUnbound = !next.spec!.volumeName;
      next.spec!.volumeName = pv.metadata!.name!;
      next.metadata!.annotations = {
        ...(next.metadata!.annotations ?? {}),
        [ANN_BIND_COMPLETED]: 'yes',
        ...(wasUnbound ? { [ANN_BOUND_BY_CONTROLLER]: 'yes' } : {}),
        ...(provisioned ? { [ANN_STORAGE_PROVISIONER]: provisioned, [ANN_BETA_STORAGE_PROVISIONER]: provisioned } : {}),
      };
      current = await this.ctx.client.persistentVolumeClaims(next.metadata!.namespace!).update(next);
    }
    await this.writeClaimStatus(current, { phase: 'Bound', accessModes: [...(pv.spec?.accessModes ?? [])], capacity: { ...(pv.spec?.capacity ?? {}) } });
  }

  private async writeClaimStatus(pvc: PersistentVolumeClaim, status: PersistentVolumeClaimStatus): Promise<void> {
    const s = pvc.status ?? {};
    const same = s.phase === status.phase && JSON.stringify(s.accessModes ?? []) === JSON.stringify(status.accessModes ?? s.accessModes ?? []) && JSON.stringify(s.capacity ?? {}) === JSON.stringify(status.capacity ?? s.capacity ?? {});
    if (same) return;
    const next = clone(pvc) as Mutable<PersistentVolumeClaim>;
    next.status = { ...s, ...status };
    await this.ctx.client.persistentVolumeClaims(pvc.metadata!.namespace!).updateStatus(next);
  }

  async syncVolume(name: string): Promise<SyncResult> {
    const pv = this.volumes.store.get(name);
    if (!pv) return;
    if (pv.metadata?.deletionTimestamp) return this.releaseFinalizerOfVanishedNode(pv);
    const ref = pv.spec?.claimRef;
    if (!ref?.name) {
      await this.writeVolumeStatus(pv, 'Available');
      return;
    }
    const key = `${ref.namespace ?? ''}/${ref.name}`;
    const pvc = this.claims.store.get(key);
    if (pvc && (!ref.uid || ref.uid === pvc.metadata?.uid)) {
      if (pvc.spec?.volumeName === name) await this.writeVolumeStatus(pv, 'Bound');
      else if (!pvc.spec?.volumeName) await this.writeVolumeStatus(pv, 'Available');
      else if (pv.metadata?.annotations?.[ANN_BOUND_BY_CONTROLLER] === 'yes' && !pv.metadata.annotations[ANN_PROVISIONED_BY]) {
        // The claim went to another volume; this one was bound by us: free it again.
        const next = clone(pv);
        delete next.spec!.claimRef;
        delete next.metadata!.annotations![ANN_BOUND_BY_CONTROLLER];
        await this.ctx.client.persistentVolumes().update(next);
      }
      return;
    }
    // The claim looks gone. Deleting data is destructive: confirm with the API server first.
    try {
      const fresh = await this.ctx.client.persistentVolumeClaims(ref.namespace ?? '').get(ref.name);
      if (!ref.uid || fresh.metadata?.uid === ref.uid) return; // The cache lags; its event will come.
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    await this.writeVolumeStatus(pv, 'Released');
    return this.reclaim(pv, key);
  }

  /** Applies the reclaim policy to a Released volume. */
  private async reclaim(pv: PersistentVolume, claim: string): Promise<void> {
    const policy = pv.spec?.persistentVolumeReclaimPolicy ?? 'Retain';
    if (policy === 'Retain') return;
    if (policy === 'Recycle') {
      this.events.event(obj(pv), 'Warning', 'VolumeFailedRecycle', 'Recycle for volume is not supported: use Retain or Delete');
      await this.writeVolumeStatus(pv, 'Failed', 'Recycle for volume is not supported');
      return;
    }
    if (pv.metadata?.annotations?.[ANN_PROVISIONED_BY] !== LOCAL_PATH_PROVISIONER) {
      this.events.event(obj(pv), 'Warning', 'VolumeFailedDelete', `error getting deleter volume plugin for volume "${pv.metadata?.name}": no deletable volume plugin matched`);
      await this.writeVolumeStatus(pv, 'Failed', 'error getting deleter volume plugin for volume: no deletable volume plugin matched');
      return;
    }
    // Kubernetes' pvc-protection keeps a claim while a pod uses it; Skiff's API server has no such
    // admission, so the data stays until no running pod still mounts the old claim. (Once a new
    // claim of the same name exists, pods naming it mount the new claim, not this volume.)
    if (!this.claims.store.get(claim) && this.pods.store.byIndex(PODS_BY_CLAIM_INDEX, claim).some((p) => !isPodTerminal(p))) return;
    try {
      await this.ctx.client.persistentVolumes().delete(pv.metadata!.name!, { preconditions: { uid: pv.metadata!.uid! } });
    } catch (err) {
      if (!isNotFound(err) && !isConflict(err)) throw err;
    }
  }

  /**
   * A deleted provisioned volume waits for its node agent to remove the directory. If the node is
   * gone (checked against the API server, not just the cache) there is nothing left to clean.
   */
  private async releaseFinalizerOfVanishedNode(pv: PersistentVolume): Promise<void> {
    if (!(pv.metadata?.finalizers ?? []).includes(LOCAL_PATH_CLEANUP_FINALIZER)) return;
    const hostname = volumeHostname(pv);
    if (!hostname) return;
    const known = this.nodes.store.list().some((n) => n.metadata?.name === hostname || n.metadata?.labels?.[HOSTNAME_LABEL] === hostname);
    if (known) return;
    try {
      await this.ctx.client.nodes().get(hostname);
      return;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    const next = clone(pv);
    next.metadata!.finalizers = (next.metadata!.finalizers ?? []).filter((f) => f !== LOCAL_PATH_CLEANUP_FINALIZER);
    try {
      await this.ctx.client.persistentVolumes().update(next);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  private async writeVolumeStatus(pv: PersistentVolume, phase: string, message?: string): Promise<void> {
    const s = pv.status ?? {};
    if (s.phase === phase && (s.message ?? undefined) === message) return;
    const next = clone(pv) as Mutable<PersistentVolume>;
    const status: PersistentVolumeStatus = { phase, ...(message ? { message } : {}), lastPhaseTransitionTime: s.phase === phase ? s.lastPhaseTransitionTime : formatTime(this.ctx.clock.now()) };
    next.status = status;
    try {
      await this.ctx.client.persistentVolumes().updateStatus(next);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}

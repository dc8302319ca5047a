/**
 * The scheduler (kube-scheduler's scheduleOne loop): takes pending pods whose `schedulerName` is
 * ours from the scheduling queue, picks a node for each (scheduling-algorithm.ts) and binds it
 * through `pods/binding`.
 *
 * Shape:
 * - Informers feed two things and do no I/O: pending pods go to the queue, bound pods and nodes go
 *   to the cache; node changes and bound-pod deletions move parked pods back into the queue.
 *   The pod informer excludes terminal pods (as kube-scheduler's does), so a pod finishing frees
 *   its node's resources as a delete.
 * - The decision is synchronous and reads only the cache. The chosen node is *assumed* at once
 *   (counted in the cache) and the binding is written in the background, many at a time but
 *   bounded (bindConcurrency), so the next decision does not wait for the API server.
 * - Success: event `Scheduled` "Successfully assigned <ns>/<pod> to <node>"; the API server sets
 *   PodScheduled=True. Failure: event `FailedScheduling` with the FitError message, and
 *   PodScheduled=False reason Unschedulable (or SchedulerError) written only when it changed; the
 *   pod waits in the queue. A failed binding forgets the assumption and retries with back-off.
 */
import type { Node, PersistentVolume, PersistentVolumeClaim, Pod, PodCondition } from 'kubernetes-types/core/v1.js';
import { isConflict, isNotFound } from '../api/errors.js';
import type { Client } from '../client/client.js';
import type { Clock } from '../client/clock.js';
import { formatTime, realClock } from '../client/clock.js';
import { EventRecorder } from '../client/event-recorder.js';
import type { SharedInformer } from '../client/informer.js';
import { SharedInformerFactory } from '../client/informer-factory.js';
import type { Logger } from '../client/log.js';
import { silentLogger } from '../client/log.js';
import { SchedulerCache } from './cache/scheduler-cache.js';
import { ERR_NO_NODES_AVAILABLE, fitErrorMessage, truncateMessage } from './framework/fit-error.js';
import { newPodInfo, type PodInfo } from './framework/pod-info.js';
import { evaluatePreemption } from './framework/preemption.js';
import { runFilters, SchedulingAlgorithm } from './framework/scheduling-algorithm.js';
import { nodeUpdateEvents, type ClusterEvent } from './queue/cluster-events.js';
import { SchedulingQueue, type QueuedPodInfo, type SchedulingQueueOptions } from './queue/scheduling-queue.js';
import { executePreemption } from './preempt.js';
import { preFilterVolumeBinding, type VolumeLookups } from './plugins/volume-binding.js';

export const DEFAULT_SCHEDULER_NAME = 'default-scheduler';
/** Bindings written at once; further decisions wait for a free slot (kube-scheduler is bounded by its client QPS instead). */
export const DEFAULT_BIND_CONCURRENCY = 32;
/** The scheduler yields to the event loop at least this often while the queue stays full. */
export const YIELD_EVERY_MS = 4;
/** Terminal pods hold no resources: kube-scheduler's pod informer leaves them out. */
export const POD_FIELD_SELECTOR = 'status.phase!=Succeeded,status.phase!=Failed';

export interface SchedulerOptions {
  client: Client;
  schedulerName?: string;
  clock?: Clock;
  logger?: Logger;
  /** Defaults to a recorder for component `default-scheduler` (shut down when run() ends). */
  recorder?: EventRecorder;
  /** 0 (default) = adaptive, as kube-scheduler. */
  percentageOfNodesToScore?: number;
  bindConcurrency?: number;
  random?: () => number;
  queue?: Omit<SchedulingQueueOptions, 'clock'>;
  /** Share an informer factory (tests); by default the scheduler has its own. */
  informers?: SharedInformerFactory;
}

type Failure =
  | { kind: 'unschedulable'; message: string; nominatedNodeName?: string }
  | { kind: 'error'; message: string };

export class Scheduler {
  readonly name: string;
  readonly cache = new SchedulerCache();
  readonly queue: SchedulingQueue;
  private readonly algorithm: SchedulingAlgorithm;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly recorder: EventRecorder;
  private readonly ownRecorder: boolean;
  private readonly bindConcurrency: number;
  private pods: SharedInformer<Pod> | undefined;
  private volumeLookups: VolumeLookups | undefined;
  private inFlightWrites = 0;
  private slotWaiters: Array<() => void> = [];
  private readonly writes = new Set<Promise<void>>();
  /** Pods bound by this scheduler since it started (benchmarks, tests). */
  boundCount = 0;

  constructor(private readonly opts: SchedulerOptions) {
    this.name = opts.schedulerName ?? DEFAULT_SCHEDULER_NAME;
    this.clock = opts.clock ?? realClock;
    this.logger = (opts.logger ?? silentLogger).child({ component: 'scheduler' });
    this.queue = new SchedulingQueue({ ...opts.queue, clock: this.clock });
    this.algorithm = new SchedulingAlgorithm(this.cache, {
      ...(opts.percentageOfNodesToScore !== undefined ? { percentageOfNodesToScore: opts.percentageOfNodesToScore } : {}),
      ...(opts.random ? { random: opts.random } : {}),
    });
    this.ownRecorder = !opts.recorder;
    this.recorder = opts.recorder ?? new EventRecorder({ client: opts.client, component: this.name, clock: this.clock, logger: this.logger });
    this.bindConcurrency = Math.max(1, opts.bindConcurrency ?? DEFAULT_BIND_CONCURRENCY);
  }

  /** Runs until `signal` aborts; resolves after in-flight bindings finish. */
  async run(signal: AbortSignal): Promise<void> {
    const factory = this.opts.informers ?? new SharedInformerFactory(this.opts.client, { clock: this.clock, logger: this.logger });
    const pods = (this.pods = factory.pods({ fieldSelector: POD_FIELD_SELECTOR }));
    const nodes = factory.nodes();
    const claims = factory.persistentVolumeClaims();
    const volumes = factory.informerFor<PersistentVolume>({ group: '', version: 'v1', resource: 'persistentvolumes' });
    this.wirePods(pods);
    this.wireNodes(nodes);
    this.wireVolumes(claims, volumes);
    if (!this.opts.informers) factory.start(signal);
    try {
      if (!(await factory.waitForCacheSync(signal))) return;
      this.queue.start();
      const onAbort = (): void => this.queue.close();
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        await this.loop(signal);
      } finally {
        signal.removeEventListener('abort', onAbort);
      }
    } finally {
      this.queue.close();
      await Promise.allSettled([...this.writes]);
      if (!this.opts.informers) await factory.shutdown();
      if (this.ownRecorder) await this.recorder.shutdown();
    }
  }

  private responsible(pod: Pod): boolean {
    return (pod.spec?.schedulerName ?? DEFAULT_SCHEDULER_NAME) === this.name;
  }

  private wirePods(pods: SharedInformer<Pod>): void {
    pods.addEventHandler({
      onAdd: (pod) => {
        if (pod.spec?.nodeName) this.cache.addPod(pod);
        else if (this.responsible(pod) && !pod.metadata?.deletionTimestamp) this.queue.add(newPodInfo(pod));
      },
      onUpdate: (oldPod, pod) => {
        const uid = pod.metadata?.uid ?? '';
        if (pod.spec?.nodeName) {
          if (!oldPod.spec?.nodeName) this.queue.delete(uid);
          this.cache.updatePod(pod);
          return;
        }
        if (pod.metadata?.deletionTimestamp || !this.responsible(pod)) this.queue.delete(uid);
        else this.queue.update(oldPod, newPodInfo(pod));
      },
      onDelete: (pod) => {
        const uid = pod.metadata?.uid ?? '';
        if (pod.spec?.nodeName || this.cache.hasPod(uid)) {
          this.cache.removePod(uid);
          this.queue.moveAllToActiveOrBackoff('AssignedPodDelete');
        }
        if (!pod.spec?.nodeName) this.queue.delete(uid);
      },
    });
  }

  private wireNodes(nodes: SharedInformer<Node>): void {
    nodes.addEventHandler({
      onAdd: (node) => {
        const ni = this.cache.addOrUpdateNode(node);
        this.moveForNode('NodeAdd', ni.name);
      },
      onUpdate: (oldNode, node) => {
        const ni = this.cache.addOrUpdateNode(node);
        for (const ev of nodeUpdateEvents(oldNode, node)) this.moveForNode(ev, ni.name);
      },
      onDelete: (node) => this.cache.removeNode(node.metadata?.name ?? ''),
    });
  }

  /**
   * Claims and volumes feed VolumeBinding's PreFilter; a claim getting bound or a volume
   * appearing can make a parked pod schedulable.
   */
  private wireVolumes(claims: SharedInformer<PersistentVolumeClaim>, volumes: SharedInformer<PersistentVolume>): void {
    this.volumeLookups = {
      claim: (ns, name) => claims.store.getByName(ns, name),
      volume: (name) => volumes.store.getByName('', name),
    };
    const claimChanged = (): void => void this.queue.moveAllToActiveOrBackoff('PvcAddOrUpdate');
    const volumeChanged = (): void => void this.queue.moveAllToActiveOrBackoff('PvAddOrUpdate');
    claims.addEventHandler({ onAdd: claimChanged, onUpdate: claimChanged });
    volumes.addEventHandler({ onAdd: volumeChanged, onUpdate: volumeChanged });
  }

  /** Moves parked pods that the changed node could now take (preCheckForNode). */
  private moveForNode(event: ClusterEvent, nodeName: string): void {
    this.queue.moveAllToActiveOrBackoff(event, (q) => {
      const ni = this.cache.node(nodeName);
      return !!ni && runFilters(q.info, ni) === undefined;
    });
  }

  private async loop(signal: AbortSignal): Promise<void> {
    let lastYield = performance.now();
    while (!signal.aborted) {
      const qpi = await this.queue.pop();
      if (!qpi) return;
      await this.scheduleOne(qpi, signal);
      if (performance.now() - lastYield > YIELD_EVERY_MS) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        lastYield = performance.now();
      }
    }
  }

  /** One scheduling cycle; the binding cycle continues in the background. */
  private async scheduleOne(qpi: QueuedPodInfo, signal: AbortSignal): Promise<void> {
    const cycle = this.queue.schedulingCycle;
    const pi = qpi.info;
    // skipPodSchedule: deleted meanwhile, or already counted (assumed or bound).
    if (pi.pod.metadata?.deletionTimestamp || this.cache.hasPod(pi.uid)) {
      this.queue.done(pi.uid);
      return;
    }
    // VolumeBinding PreFilter: the claims as they are now (a claim may have been bound since).
    if (pi.claimNames.length > 0 && this.volumeLookups) pi.volumes = preFilterVolumeBinding(pi, this.volumeLookups);
    const outcome = this.algorithm.schedule(pi);
    if (outcome.kind === 'no-nodes') {
      this.handleFailure(qpi, { kind: 'unschedulable', message: ERR_NO_NODES_AVAILABLE }, cycle);
      return;
    }
    if (outcome.kind === 'unschedulable') {
      const pre = evaluatePreemption(pi, outcome.numAllNodes, outcome.diagnosis);
      if (pre.message) outcome.diagnosis.postFilterMsg = pre.message;
      qpi.unschedulablePlugins = outcome.diagnosis.unschedulablePlugins;
      const message = fitErrorMessage(outcome.numAllNodes, outcome.diagnosis);
      if (pre.candidate) {
        const candidate = pre.candidate;
        this.track(executePreemption({ client: this.opts.client, recorder: this.recorder, schedulerName: this.name, logger: this.logger }, pi, candidate));
        this.handleFailure(qpi, { kind: 'unschedulable', message, nominatedNodeName: candidate.node.name }, cycle);
      } else {
        this.handleFailure(qpi, { kind: 'unschedulable', message }, cycle);
      }
      return;
    }
    const nodeName = outcome.node.name;
    this.cache.assumePod(pi, nodeName);
    await this.acquireSlot(signal);
    this.track(this.bind(qpi, nodeName, cycle));
  }

  /** The binding cycle (DefaultBinder). */
  private async bind(qpi: QueuedPodInfo, nodeName: string, cycle: number): Promise<void> {
    const pi = qpi.info;
    const pod = pi.pod;
    const ns = pod.metadata?.namespace ?? '';
    const name = pod.metadata?.name ?? '';
    try {
      await this.opts.client.pods(ns).bind(name, nodeName, { uid: pi.uid });
      this.boundCount++;
      this.queue.done(pi.uid);
      this.recorder.event(pod, 'Normal', 'Scheduled', `Successfully assigned ${ns}/${name} to ${nodeName}`);
    } catch (err) {
      this.cache.forgetPod(pi.uid);
      // The resources the assumption held are free again.
      this.queue.moveAllToActiveOrBackoff('AssignedPodDelete');
      qpi.unschedulablePlugins = new Set();
      this.handleFailure(qpi, { kind: 'error', message: `running Bind plugin "DefaultBinder": ${(err as Error).message}` }, cycle);
    } finally {
      this.releaseSlot();
    }
  }

  /** handleSchedulingFailure: requeue (unless gone or bound), event, PodScheduled=False. */
  private handleFailure(qpi: QueuedPodInfo, failure: Failure, cycle: number): void {
    const pi = qpi.info;
    const cached = this.pods?.store.get(pi.key);
    const current = cached && cached.metadata?.uid === pi.uid ? cached : undefined;
    if (failure.kind === 'error') this.logger.warn('error scheduling pod; retrying', { pod: pi.key, error: failure.message });
    else this.logger.debug('unable to schedule pod; waiting', { pod: pi.key, reason: failure.message });
    if (!current || current.spec?.nodeName) {
      // Deleted, or bound by someone else (or by a binding that timed out but landed): no retry.
      this.queue.done(pi.uid);
    } else {
      if (current !== pi.pod) qpi.info = newPodInfo(current);
      this.queue.addUnschedulableIfNotPresent(qpi, cycle);
    }
    this.recorder.event(pi.pod, 'Warning', 'FailedScheduling', truncateMessage(failure.message));
    if (current && !current.spec?.nodeName) this.track(this.updatePodScheduledCondition(current, failure));
  }

  /** updatePod: PodScheduled=False (and nominatedNodeName), written only when something changed. */
  private async updatePodScheduledCondition(pod: Pod, failure: Failure): Promise<void> {
    const reason = failure.kind === 'unschedulable' ? 'Unschedulable' : 'SchedulerError';
    const old = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
    const nominated = failure.kind === 'unschedulable' ? failure.nominatedNodeName : undefined;
    const nominationChanges = nominated !== undefined && pod.status?.nominatedNodeName !== nominated;
    if (old && old.status === 'False' && old.reason === reason && old.message === failure.message && !nominationChanges) return;
    const condition: PodCondition = {
      type: 'PodScheduled',
      status: 'False',
      reason,
      message: failure.message,
      lastTransitionTime: old?.status === 'False' && old.lastTransitionTime ? old.lastTransitionTime : formatTime(this.clock.now()),
    };
    const patch = {
      metadata: { uid: pod.metadata?.uid },
      status: { conditions: [{ ...condition, lastProbeTime: null }], ...(nominationChanges ? { nominatedNodeName: nominated } : {}) },
    };
    try {
      await this.opts.client.pods(pod.metadata?.namespace ?? '').patchStatus(pod.metadata?.name ?? '', 'strategic', patch, { readOnlyResult: true });
    } catch (err) {
      if (!isNotFound(err) && !isConflict(err)) this.logger.warn('cannot update pod condition', { pod: `${pod.metadata?.namespace}/${pod.metadata?.name}`, error: err });
    }
  }

  private track(p: Promise<void>): void {
    const tracked = p.catch((err: unknown) => this.logger.error('background write failed', { error: err }));
    this.writes.add(tracked);
    void tracked.finally(() => this.writes.delete(tracked));
  }

  private async acquireSlot(signal: AbortSignal): Promise<void> {
    while (this.inFlightWrites >= this.bindConcurrency && !signal.aborted) {
      await new Promise<void>((resolve) => this.slotWaiters.push(resolve));
    }
    this.inFlightWrites++;
  }

  private releaseSlot(): void {
    this.inFlightWrites--;
    this.slotWaiters.shift()?.();
  }

  /** Pending pods per queue (tests, diagnostics). */
  queueStats(): ReturnType<SchedulingQueue['stats']> {
    return this.queue.stats();
  }

  /** The scheduler's view of a node (tests, diagnostics). */
  nodeInfo(name: string): PodInfo[] | undefined {
    const ni = this.cache.node(name);
    return ni ? [...ni.pods.values()] : undefined;
  }
}

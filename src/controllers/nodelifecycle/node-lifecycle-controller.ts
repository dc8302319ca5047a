/**
 * The node lifecycle controller (kube-controller-manager's `nodelifecycle`, component
 * `node-controller`): watches node heartbeats and keeps the taints that describe node health.
 *
 * Keys on its queue:
 * - `monitor` — monitorNodeHealth, every --node-monitor-period (5 s): for each node, compare the
 *   latest heartbeat (Ready lastHeartbeatTime, Lease renewTime) with when it was last seen fresh on
 *   our clock; past the grace period set Ready/MemoryPressure/DiskPressure/PIDPressure Unknown
 *   ("Kubelet stopped posting node status."), record `NodeNotReady`, set the node's pods
 *   Ready=False, and queue the node for its NoExecute taint (unreachable for Unknown, not-ready for
 *   False) in its zone's rate-limited queue; a Ready node loses those taints. Zones' disruption
 *   states set the rates (zones.ts). New nodes get `RegisteredNode`, vanished ones `RemovingNode`.
 * - `noexec` — doNoExecuteTaintingPass: adds the queued NoExecute taints as the rate allows.
 * - `node:<name>` — doNoScheduleTaintingPass on every node change: NoSchedule taints mirroring the
 *   conditions (not-ready, unreachable, memory/disk/pid-pressure, network-unavailable) and cordon
 *   (unschedulable).
 * - `pod:<ns>/<name>` — a pod newly bound to a node that is not Ready gets Ready=False.
 *
 * The taint eviction controller then evicts pods that do not tolerate the NoExecute taints.
 */
import type { Node, NodeCondition, Pod } from 'kubernetes-types/core/v1.js';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import { isConflict, isNotFound } from '../../api/errors.js';
import { taintExists } from '../../api/taints.js';
import type { Clock } from '../../client/clock.js';
import { realClock } from '../../client/clock.js';
import type { EventRecorder } from '../../client/event-recorder.js';
import { indexByNodeName, keyOf } from '../../client/indexer.js';
import type { SharedInformer } from '../../client/informer.js';
import type { Logger } from '../../client/log.js';
import { WorkQueue } from '../../client/work-queue.js';
import { runWorkers, type SyncResult } from '../../client/workers.js';
import type { Controller, ControllerContext } from '../controller.js';
import { markPodsNotReady } from './mark-pods-not-ready.js';
import { updateNodeHealth, type NodeHealth } from './node-health.js';
import { desiredNoScheduleTaints, managedNoScheduleTaints, NOT_READY_TAINT, swapNodeTaints, taintSetDiff, UNREACHABLE_TAINT } from './node-taints.js';
import { RateLimitedTimedQueue } from './rate-limited-queue.js';
import { computeZoneState, LABEL_EXCLUDE_DISRUPTION, zoneKey, type ZoneState } from './zones.js';

/** kube-controller-manager defaults. */
export const DEFAULT_NODE_MONITOR_PERIOD_MS = 5_000;
export const DEFAULT_NODE_MONITOR_GRACE_PERIOD_MS = 50_000;
export const DEFAULT_NODE_STARTUP_GRACE_PERIOD_MS = 60_000;
export const DEFAULT_NODE_EVICTION_RATE = 0.1;
export const DEFAULT_SECONDARY_NODE_EVICTION_RATE = 0.01;
export const DEFAULT_LARGE_CLUSTER_SIZE_THRESHOLD = 50;
export const DEFAULT_UNHEALTHY_ZONE_THRESHOLD = 0.55;
/** Node health writes in parallel during one monitor pass (nodeUpdateWorkerSize). */
export const NODE_UPDATE_WORKERS = 8;
/** How soon a tainting attempt is retried when the node has no Ready condition yet. */
const TAINT_RETRY_MS = 50;

export const NODE_LEASE_NAMESPACE = 'kube-node-lease';
const MONITOR = 'monitor';
const NO_EXECUTE = 'noexec';
const BY_NODE = 'byNode';

export interface NodeLifecycleOptions {
  nodeMonitorPeriodMs?: number;
  nodeMonitorGracePeriodMs?: number;
  nodeStartupGracePeriodMs?: number;
  evictionLimiterQPS?: number;
  secondaryEvictionLimiterQPS?: number;
  largeClusterThreshold?: number;
  unhealthyZoneThreshold?: number;
}

export class NodeLifecycleController implements Controller {
  readonly name = 'nodelifecycle';
  private readonly monitorPeriodMs: number;
  private readonly gracePeriodMs: number;
  private readonly startupGracePeriodMs: number;
  private readonly evictionQPS: number;
  private readonly secondaryEvictionQPS: number;
  private readonly largeClusterThreshold: number;
  private readonly unhealthyZoneThreshold: number;

  private readonly health = new Map<string, NodeHealth>();
  private readonly known = new Map<string, Node>();
  private readonly zoneStates = new Map<string, ZoneState>();
  private readonly tainters = new Map<string, RateLimitedTimedQueue>();
  private readonly nodesToRetry = new Set<string>();
  /** The clock of the current run (the eviction rate limiters measure time on it). */
  private clock: Clock = realClock;

  constructor(opts: NodeLifecycleOptions = {}) {
    this.monitorPeriodMs = opts.nodeMonitorPeriodMs ?? DEFAULT_NODE_MONITOR_PERIOD_MS;
    this.gracePeriodMs = opts.nodeMonitorGracePeriodMs ?? DEFAULT_NODE_MONITOR_GRACE_PERIOD_MS;
    this.startupGracePeriodMs = opts.nodeStartupGracePeriodMs ?? DEFAULT_NODE_STARTUP_GRACE_PERIOD_MS;
    this.evictionQPS = opts.evictionLimiterQPS ?? DEFAULT_NODE_EVICTION_RATE;
    this.secondaryEvictionQPS = opts.secondaryEvictionLimiterQPS ?? DEFAULT_SECONDARY_NODE_EVICTION_RATE;
    this.largeClusterThreshold = opts.largeClusterThreshold ?? DEFAULT_LARGE_CLUSTER_SIZE_THRESHOLD;
    this.unhealthyZoneThreshold = opts.unhealthyZoneThreshold ?? DEFAULT_UNHEALTHY_ZONE_THRESHOLD;
  }

  async run(ctx: ControllerContext, signal: AbortSignal): Promise<void> {
    this.clock = ctx.clock;
    const queue = new WorkQueue({ name: this.name, clock: ctx.clock });
    const nodes = ctx.informers.nodes();
    const pods = ctx.informers.pods({ indexers: { [BY_NODE]: indexByNodeName } });
    const leases = ctx.informers.leases({ namespace: NODE_LEASE_NAMESPACE });
    const recorder = ctx.recorder('node-controller');
    const logger = ctx.logger.child({ controller: this.name });

    nodes.addEventHandler({
      onAdd: (n) => queue.add(`node:${n.metadata!.name!}`),
      onUpdate: (_o, n) => queue.add(`node:${n.metadata!.name!}`),
      onDelete: (n) => this.nodesToRetry.delete(n.metadata?.name ?? ''),
    });
    pods.addEventHandler({
      onAdd: (p) => {
        if (p.spec?.nodeName) queue.add(`pod:${keyOf(p)}`);
      },
      onUpdate: (o, p) => {
        if (p.spec?.nodeName && p.spec.nodeName !== o.spec?.nodeName) queue.add(`pod:${keyOf(p)}`);
      },
    });
    if (!(await ctx.informers.waitForCacheSync(signal))) return;
    queue.add(MONITOR);

    const env: SyncEnv = { ctx, nodes, pods, leases, recorder, logger, queue };
    const sync = async (key: string): Promise<SyncResult> => {
      if (key === MONITOR) {
        await this.monitorNodeHealth(env);
        if (this.hasQueuedTaints()) queue.add(NO_EXECUTE);
        return { requeueAfterMs: this.monitorPeriodMs };
      }
      if (key === NO_EXECUTE) return this.doNoExecuteTaintingPass(env);
      if (key.startsWith('node:')) return this.doNoScheduleTaintingPass(env, key.slice('node:'.length));
      if (key.startsWith('pod:')) return this.processPod(env, key.slice('pod:'.length));
      return undefined;
    };
    await runWorkers(queue, ctx.workers, sync, signal, { logger });
  }

  /** The zone state the controller computed last (tests, diagnostics). */
  zoneState(zone: string): ZoneState | undefined {
    return this.zoneStates.get(zone);
  }

  private async monitorNodeHealth(env: SyncEnv): Promise<void> {
    const { nodes, recorder } = env;
    const all = nodes.store.list();
    const seen = new Set<string>();
    for (const node of all) {
      const name = node.metadata?.name ?? '';
      seen.add(name);
      this.addTainterForZone(node);
      if (!this.known.has(name)) {
        recorder.event(nodeRef(node), 'Normal', 'RegisteredNode', `Node ${name} event: Registered Node ${name} in Controller`);
        this.known.set(name, node);
        await this.markNodeAsReachable(env, node);
      }
    }
    for (const [name, node] of this.known) {
      if (seen.has(name)) continue;
      recorder.event(nodeRef(node), 'Normal', 'RemovingNode', `Node ${name} event: Removing Node ${name} from Controller`);
      this.known.delete(name);
      this.health.delete(name);
    }

    const zoneConditions = new Map<string, Array<NodeCondition | undefined>>();
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < all.length) {
        const node = all[next++] as Node;
        const ready = await this.updateOneNode(env, node);
        if (ready === null) continue;
        if (node.metadata?.labels?.[LABEL_EXCLUDE_DISRUPTION] !== undefined) continue;
        const zone = zoneKey(node);
        let list = zoneConditions.get(zone);
        if (!list) zoneConditions.set(zone, (list = []));
        list.push(ready);
      }
    };
    await Promise.all(Array.from({ length: Math.min(NODE_UPDATE_WORKERS, Math.max(1, all.length)) }, worker));
    await this.handleDisruption(env, zoneConditions, all);
  }

  /**
   * Health, status, taint-queue and pod readiness for one node. Returns the current Ready
   * condition for the zone computation, or null when the node could not be updated.
   */
  private async updateOneNode(env: SyncEnv, cached: Node): Promise<NodeCondition | undefined | null> {
    const { ctx, pods, leases, recorder, logger } = env;
    const name = cached.metadata?.name ?? '';
    let node = cached;
    let update;
    for (let attempt = 0; ; attempt++) {
      const lease = leases.store.get(`${NODE_LEASE_NAMESPACE}/${name}`) as Lease | undefined;
      update = updateNodeHealth(node, this.health.get(name), lease, ctx.clock.now(), { gracePeriodMs: this.gracePeriodMs, startupGracePeriodMs: this.startupGracePeriodMs });
      if (!update.statusUpdate) break;
      try {
        node = await ctx.client.nodes().updateStatus(update.statusUpdate);
        break;
      } catch (err) {
        if (isNotFound(err)) return null;
        if (!isConflict(err) || attempt >= 4) {
          logger.warn('cannot update node health; no pods will be evicted this pass', { node: name, error: err });
          return null;
        }
        try {
          node = await ctx.client.nodes().get(name);
        } catch {
          return null;
        }
      }
    }
    this.health.set(name, update.health);
    const { observedReady, currentReady } = update;
    if (!currentReady) {
      this.nodesToRetry.delete(name);
      return currentReady;
    }
    await this.processTaintBasedEviction(env, node, observedReady);
    const onNode = pods.store.byIndex(BY_NODE, name);
    const becameNotReady = currentReady.status !== 'True' && observedReady.status === 'True';
    if (becameNotReady) recorder.event(nodeRef(node), 'Normal', 'NodeNotReady', `Node ${name} status is now: NodeNotReady`);
    if (becameNotReady || (this.nodesToRetry.has(name) && observedReady.status !== 'True')) {
      try {
        await markPodsNotReady(ctx.client, recorder, onNode, name, ctx.clock.now());
      } catch (err) {
        logger.warn('cannot mark all pods not ready; retrying next pass', { node: name, error: err });
        this.nodesToRetry.add(name);
        return currentReady;
      }
    }
    this.nodesToRetry.delete(name);
    return currentReady;
  }

  /** processTaintBaseEviction: queue (or swap at once) the NoExecute taint for the observed state. */
  private async processTaintBasedEviction(env: SyncEnv, node: Node, observed: NodeCondition): Promise<void> {
    const { ctx, logger } = env;
    const taints = node.spec?.taints;
    try {
      if (observed.status === 'False') {
        if (taintExists(taints, UNREACHABLE_TAINT)) await swapNodeTaints(ctx.client, node, [NOT_READY_TAINT], [UNREACHABLE_TAINT], ctx.clock.now());
        else this.markNodeForTainting(node, 'False');
      } else if (observed.status === 'Unknown') {
        if (taintExists(taints, NOT_READY_TAINT)) await swapNodeTaints(ctx.client, node, [UNREACHABLE_TAINT], [NOT_READY_TAINT], ctx.clock.now());
        else this.markNodeForTainting(node, 'Unknown');
      } else if (observed.status === 'True') {
        await this.markNodeAsReachable(env, node);
      }
    } catch (err) {
      logger.warn('cannot update NoExecute taints; will try again next pass', { node: node.metadata?.name, error: err });
    }
  }

  private markNodeForTainting(node: Node, status: 'False' | 'Unknown'): boolean {
    const tainter = this.addTainterForZone(node);
    const name = node.metadata?.name ?? '';
    const template = status === 'False' ? NOT_READY_TAINT : UNREACHABLE_TAINT;
    if (!taintExists(node.spec?.taints, template)) tainter.remove(name);
    return tainter.add(name, node.metadata?.uid ?? '');
  }

  /** Removes both NoExecute taints and drops the node from its zone's queue. */
  private async markNodeAsReachable(env: SyncEnv, node: Node): Promise<boolean> {
    const { ctx } = env;
    if (taintExists(node.spec?.taints, UNREACHABLE_TAINT) || taintExists(node.spec?.taints, NOT_READY_TAINT)) {
      await swapNodeTaints(ctx.client, node, [], [UNREACHABLE_TAINT, NOT_READY_TAINT], ctx.clock.now());
    }
    return this.addTainterForZone(node).remove(node.metadata?.name ?? '');
  }

  private addTainterForZone(node: Node): RateLimitedTimedQueue {
    const zone = zoneKey(node);
    let t = this.tainters.get(zone);
    if (!t) {
      this.zoneStates.set(zone, 'Initial');
      this.tainters.set(zone, (t = new RateLimitedTimedQueue(this.evictionQPS, this.clock)));
    }
    return t;
  }

  private hasQueuedTaints(): boolean {
    for (const t of this.tainters.values()) if (t.size > 0) return true;
    return false;
  }

  /** doNoExecuteTaintingPass: taint queued nodes as each zone's rate allows. */
  private async doNoExecuteTaintingPass(env: SyncEnv): Promise<SyncResult> {
    const { ctx, nodes, logger } = env;
    let nextMs: number | undefined;
    for (const tainter of this.tainters.values()) {
      await tainter.try(async (name) => {
        const node = nodes.store.get(name);
        if (!node) return { done: true };
        const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
        if (!ready) return { retryAfterMs: TAINT_RETRY_MS };
        let add;
        let remove;
        if (ready.status === 'False') [add, remove] = [NOT_READY_TAINT, UNREACHABLE_TAINT];
        else if (ready.status === 'Unknown') [add, remove] = [UNREACHABLE_TAINT, NOT_READY_TAINT];
        else return { done: true };
        try {
          await swapNodeTaints(ctx.client, node, [add], [remove], ctx.clock.now());
          logger.info('tainted unhealthy node for eviction', { node: name, taint: add.key });
          return { done: true };
        } catch (err) {
          logger.warn('cannot add NoExecute taint; retrying', { node: name, error: err });
          return { retryAfterMs: TAINT_RETRY_MS };
        }
      });
      const ms = tainter.msUntilNext();
      if (ms !== undefined) nextMs = nextMs === undefined ? ms : Math.min(nextMs, ms);
    }
    return nextMs === undefined ? undefined : { requeueAfterMs: Math.max(1, nextMs) };
  }

  /** handleDisruption: zone states and their eviction rates. */
  private async handleDisruption(env: SyncEnv, zoneConditions: Map<string, Array<NodeCondition | undefined>>, all: Node[]): Promise<void> {
    const { logger } = env;
    const newStates = new Map<string, ZoneState>();
    let allAreFullyDisrupted = true;
    for (const [zone, conds] of zoneConditions) {
      const { state } = computeZoneState(conds, this.unhealthyZoneThreshold);
      if (state !== 'FullDisruption') allAreFullyDisrupted = false;
      newStates.set(zone, state);
      if (!this.zoneStates.has(zone)) this.zoneStates.set(zone, 'Initial');
    }
    let allWasFullyDisrupted = true;
    for (const [zone, state] of [...this.zoneStates]) {
      if (!zoneConditions.has(zone)) {
        this.zoneStates.delete(zone);
        continue;
      }
      if (state !== 'FullDisruption') {
        allWasFullyDisrupted = false;
        break;
      }
    }
    if (allAreFullyDisrupted && allWasFullyDisrupted) return;
    if (allAreFullyDisrupted) {
      logger.info('every node is not Ready: entering master disruption mode, no evictions');
      for (const node of all) {
        try {
          await this.markNodeAsReachable(env, node);
        } catch (err) {
          logger.warn('cannot remove taints from node', { node: node.metadata?.name, error: err });
        }
      }
      for (const [zone, t] of this.tainters) {
        t.swapLimiter(0);
        if (this.zoneStates.has(zone)) this.zoneStates.set(zone, 'FullDisruption');
      }
      for (const zone of this.zoneStates.keys()) this.zoneStates.set(zone, 'FullDisruption');
      return;
    }
    if (allWasFullyDisrupted) {
      logger.info('some nodes are Ready again: leaving master disruption mode');
      const now = env.ctx.clock.now();
      for (const node of all) {
        const h = this.health.get(node.metadata?.name ?? '');
        if (h) this.health.set(node.metadata?.name ?? '', { ...h, probeTimestamp: now, readyTransitionTimestamp: now });
      }
      for (const zone of this.zoneStates.keys()) {
        const state = newStates.get(zone) ?? 'Normal';
        this.setLimiterInZone(zone, zoneConditions.get(zone)?.length ?? 0, state);
        this.zoneStates.set(zone, state);
      }
      return;
    }
    for (const [zone, old] of this.zoneStates) {
      const state = newStates.get(zone);
      if (!state || state === old) continue;
      logger.info('zone changed state', { zone: zone || '(none)', state });
      this.setLimiterInZone(zone, zoneConditions.get(zone)?.length ?? 0, state);
      this.zoneStates.set(zone, state);
    }
  }

  private setLimiterInZone(zone: string, size: number, state: ZoneState): void {
    const t = this.tainters.get(zone);
    if (!t) return;
    if (state === 'Normal' || state === 'FullDisruption') t.swapLimiter(this.evictionQPS);
    else if (state === 'PartialDisruption') t.swapLimiter(size > this.largeClusterThreshold ? this.secondaryEvictionQPS : 0);
  }

  /** doNoScheduleTaintingPass: NoSchedule taints follow conditions and cordon. */
  private async doNoScheduleTaintingPass(env: SyncEnv, name: string): Promise<SyncResult> {
    const node = env.nodes.store.get(name);
    if (!node) return undefined;
    const { add, remove } = taintSetDiff(desiredNoScheduleTaints(node), managedNoScheduleTaints(node));
    if (add.length === 0 && remove.length === 0) return undefined;
    await swapNodeTaints(env.ctx.client, node, add, remove, env.ctx.clock.now());
    return undefined;
  }

  /** processPod: a pod bound to a node that is not Ready is marked not Ready too. */
  private async processPod(env: SyncEnv, key: string): Promise<SyncResult> {
    const pod = env.pods.store.get(key);
    const nodeName = pod?.spec?.nodeName;
    if (!pod || !nodeName) return undefined;
    const health = this.health.get(nodeName);
    if (!health?.ready) return undefined;
    if (!env.nodes.store.get(nodeName)) throw new Error(`node ${nodeName} of pod ${key} is not in the cache yet`);
    if (health.ready.status !== 'True') await markPodsNotReady(env.ctx.client, env.recorder, [pod], nodeName, env.ctx.clock.now());
    return undefined;
  }

}

interface SyncEnv {
  ctx: ControllerContext;
  nodes: SharedInformer<Node>;
  pods: SharedInformer<Pod>;
  leases: SharedInformer<Lease>;
  recorder: EventRecorder;
  logger: Logger;
  queue: WorkQueue;
}

/** Events about nodes reference them with their UID, as RecordNodeEvent does. */
function nodeRef(node: Node): { apiVersion: string; kind: string; name: string; uid?: string } {
  return { apiVersion: 'v1', kind: 'Node', name: node.metadata?.name ?? '', ...(node.metadata?.uid ? { uid: node.metadata.uid } : {}) };
}

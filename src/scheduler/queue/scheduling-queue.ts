/**
 * The scheduling queue (pkg/scheduler/backend/queue PriorityQueue), three places a pending pod
 * can be:
 *
 * - activeQ: ready to be tried, highest priority first, then oldest;
 * - backoffQ: failed recently; waits out its back-off (1 s doubling per attempt, capped at 10 s)
 *   before returning to activeQ;
 * - unschedulable pool: no node fits; waits for a cluster event one of its rejecting plugins cares
 *   about (node added or changed, a bound pod deleted, …), and is flushed anyway after 5 minutes.
 *
 * A pod whose scheduling cycle overlapped a cluster event (moveRequestCycle ≥ its cycle), or that
 * failed for an unknown reason, goes to backoffQ instead of the pool, so an event it may have
 * missed still gets it retried. Pods with scheduling gates wait in the pool until the gates are
 * removed (SchedulingGates PreEnqueue). Pods being scheduled ("in flight") are tracked so that an
 * update or delete during their cycle is not lost.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { Clock, TimerHandle } from '../../client/clock.js';
import { realClock } from '../../client/clock.js';
import type { PodInfo } from '../framework/pod-info.js';
import type { PluginName } from '../framework/status.js';
import { eventMatchesPlugins, type ClusterEvent } from './cluster-events.js';
import { KeyedHeap } from './heap.js';

/** DefaultPodInitialBackoffDuration */
export const DEFAULT_POD_INITIAL_BACKOFF_MS = 1_000;
/** DefaultPodMaxBackoffDuration */
export const DEFAULT_POD_MAX_BACKOFF_MS = 10_000;
/** DefaultPodMaxInUnschedulablePodsDuration */
export const DEFAULT_POD_MAX_IN_UNSCHEDULABLE_MS = 5 * 60_000;
/** How often the unschedulable pool is checked for pods that waited too long. */
export const UNSCHEDULABLE_FLUSH_INTERVAL_MS = 30_000;

export interface QueuedPodInfo {
  info: PodInfo;
  /** When the pod was last added to a queue (orders activeQ; starts the back-off). */
  timestamp: number;
  /** Scheduling attempts so far. */
  attempts: number;
  initialAttemptTimestamp: number | undefined;
  /** Plugins that rejected the pod in its last attempt. */
  unschedulablePlugins: Set<PluginName>;
  /** Held by scheduling gates. */
  gated: boolean;
}

export interface SchedulingQueueOptions {
  clock?: Clock;
  podInitialBackoffMs?: number;
  podMaxBackoffMs?: number;
  podMaxInUnschedulableMs?: number;
  unschedulableFlushIntervalMs?: number;
}

interface InFlight {
  qpi: QueuedPodInfo;
  /** The pod changed in a way that may matter while it was being scheduled. */
  updated: boolean;
  deleted: boolean;
}

const isGated = (pod: Pod): boolean => (pod.spec?.schedulingGates ?? []).length > 0;

/** isPodUpdated: a change besides status, resourceVersion, generation, managedFields, finalizers. */
export function isPodUpdated(oldPod: Pod, newPod: Pod): boolean {
  const strip = (p: Pod) => JSON.stringify({ ...p, status: undefined, metadata: { ...p.metadata, resourceVersion: undefined, generation: undefined, managedFields: undefined, finalizers: undefined } });
  return strip(oldPod) !== strip(newPod);
}

export class SchedulingQueue {
  private readonly clock: Clock;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly maxInUnschedulableMs: number;
  private readonly flushIntervalMs: number;
  private readonly activeQ = new KeyedHeap<QueuedPodInfo>(
    (q) => q.info.uid,
    (a, b) => (a.info.priority !== b.info.priority ? a.info.priority > b.info.priority : a.timestamp < b.timestamp),
  );
  private readonly backoffQ = new KeyedHeap<QueuedPodInfo>(
    (q) => q.info.uid,
    (a, b) => this.backoffExpiry(a) < this.backoffExpiry(b),
  );
  private readonly unschedulable = new Map<string, QueuedPodInfo>();
  private readonly inFlight = new Map<string, InFlight>();
  private waiters: Array<(q: QueuedPodInfo | undefined) => void> = [];
  private closed = false;
  private backoffTimer: { handle: TimerHandle; at: number } | undefined;
  private flushTimer: TimerHandle | undefined;
  /** Incremented on every pop. */
  schedulingCycle = 0;
  /** The scheduling cycle when the last move request (cluster event) arrived. */
  private moveRequestCycle = -1;

  constructor(opts: SchedulingQueueOptions = {}) {
    this.clock = opts.clock ?? realClock;
    this.initialBackoffMs = opts.podInitialBackoffMs ?? DEFAULT_POD_INITIAL_BACKOFF_MS;
    this.maxBackoffMs = opts.podMaxBackoffMs ?? DEFAULT_POD_MAX_BACKOFF_MS;
    this.maxInUnschedulableMs = opts.podMaxInUnschedulableMs ?? DEFAULT_POD_MAX_IN_UNSCHEDULABLE_MS;
    this.flushIntervalMs = opts.unschedulableFlushIntervalMs ?? UNSCHEDULABLE_FLUSH_INTERVAL_MS;
  }

  /** Starts the periodic flush of the unschedulable pool. */
  start(): void {
    if (this.closed || this.flushTimer) return;
    const tick = () => {
      this.flushTimer = undefined;
      if (this.closed) return;
      this.flushUnschedulableLeftover();
      this.flushTimer = this.clock.setTimeout(tick, this.flushIntervalMs);
    };
    this.flushTimer = this.clock.setTimeout(tick, this.flushIntervalMs);
  }

  /** Stops timers; pending and future pops resolve undefined. */
  close(): void {
    this.closed = true;
    if (this.backoffTimer) this.clock.clearTimeout(this.backoffTimer.handle);
    if (this.flushTimer) this.clock.clearTimeout(this.flushTimer);
    this.backoffTimer = undefined;
    this.flushTimer = undefined;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w(undefined);
  }

  /** calculateBackoffDuration: initial × 2^(attempts−1), capped. */
  backoffDuration(attempts: number): number {
    let d = this.initialBackoffMs;
    for (let i = 1; i < attempts; i++) {
      d *= 2;
      if (d > this.maxBackoffMs) return this.maxBackoffMs;
    }
    return d;
  }

  backoffExpiry(q: QueuedPodInfo): number {
    return q.timestamp + this.backoffDuration(q.attempts);
  }

  /** A new pending pod. */
  add(info: PodInfo): void {
    if (this.closed || this.contains(info.uid)) return;
    const now = this.clock.now();
    const qpi: QueuedPodInfo = { info, timestamp: now, attempts: 0, initialAttemptTimestamp: undefined, unschedulablePlugins: new Set(), gated: false };
    this.enqueueOrGate(qpi);
  }

  /** A pending pod changed. */
  update(oldPod: Pod | undefined, info: PodInfo): void {
    if (this.closed) return;
    const uid = info.uid;
    const changed = !oldPod || isPodUpdated(oldPod, info.pod);
    const flight = this.inFlight.get(uid);
    if (flight) {
      flight.qpi.info = info;
      if (changed) flight.updated = true;
      return;
    }
    const active = this.activeQ.get(uid);
    if (active) {
      active.info = info;
      this.activeQ.push(active);
      return;
    }
    const backing = this.backoffQ.get(uid);
    if (backing) {
      backing.info = info;
      this.backoffQ.push(backing);
      return;
    }
    const parked = this.unschedulable.get(uid);
    if (parked) {
      parked.info = info;
      if (parked.gated) {
        if (!isGated(info.pod)) {
          this.unschedulable.delete(uid);
          parked.gated = false;
          parked.timestamp = this.clock.now();
          this.pushActive(parked);
        }
        return;
      }
      if (changed) {
        this.unschedulable.delete(uid);
        this.requeue(parked);
      }
      return;
    }
    this.add(info);
  }

  /** A pending pod is gone (deleted, bound by someone else, or no longer ours). */
  delete(uid: string): void {
    const flight = this.inFlight.get(uid);
    if (flight) flight.deleted = true;
    this.activeQ.delete(uid);
    this.backoffQ.delete(uid);
    this.unschedulable.delete(uid);
  }

  /** The next pod to schedule (waits for one); undefined once closed. */
  pop(): Promise<QueuedPodInfo | undefined> {
    if (this.closed) return Promise.resolve(undefined);
    const q = this.activeQ.pop();
    if (q) return Promise.resolve(this.startCycle(q));
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** The pod's cycle ended (bound, or given up); it stops being in flight. */
  done(uid: string): void {
    this.inFlight.delete(uid);
  }

  /** Whether the pod was deleted or updated while in flight. */
  inFlightState(uid: string): { updated: boolean; deleted: boolean } | undefined {
    const f = this.inFlight.get(uid);
    return f ? { updated: f.updated, deleted: f.deleted } : undefined;
  }

  /**
   * A scheduling attempt failed: park the pod in the unschedulable pool, or in backoffQ when an
   * event arrived during its cycle, the failure had no rejecting plugin, or the pod changed.
   */
  addUnschedulableIfNotPresent(qpi: QueuedPodInfo, podSchedulingCycle: number): void {
    const uid = qpi.info.uid;
    const flight = this.inFlight.get(uid);
    this.inFlight.delete(uid);
    if (this.closed || flight?.deleted) return;
    if (this.activeQ.has(uid) || this.backoffQ.has(uid) || this.unschedulable.has(uid)) return;
    qpi.timestamp = this.clock.now();
    if (this.moveRequestCycle >= podSchedulingCycle || qpi.unschedulablePlugins.size === 0 || flight?.updated) {
      this.pushBackoff(qpi);
    } else {
      this.unschedulable.set(uid, qpi);
    }
  }

  /**
   * MoveAllToActiveOrBackoffQueue: every parked pod the event may help goes back (to backoffQ if
   * still backing off). `preCheck` can veto a move (e.g. the new node cannot fit the pod anyway).
   */
  moveAllToActiveOrBackoff(event: ClusterEvent, preCheck?: (q: QueuedPodInfo) => boolean): number {
    this.moveRequestCycle = this.schedulingCycle;
    let moved = 0;
    for (const [uid, q] of this.unschedulable) {
      if (q.gated || !eventMatchesPlugins(event, q.unschedulablePlugins)) continue;
      if (preCheck && !preCheck(q)) continue;
      this.unschedulable.delete(uid);
      this.requeue(q);
      moved++;
    }
    return moved;
  }

  /** Counts per place (metrics, tests). */
  stats(): { active: number; backoff: number; unschedulable: number; gated: number; inFlight: number } {
    let gated = 0;
    for (const q of this.unschedulable.values()) if (q.gated) gated++;
    return { active: this.activeQ.size, backoff: this.backoffQ.size, unschedulable: this.unschedulable.size - gated, gated, inFlight: this.inFlight.size };
  }

  /** Where a pod is: 'active' | 'backoff' | 'unschedulable' | 'gated' | 'inFlight' | undefined. */
  placeOf(uid: string): 'active' | 'backoff' | 'unschedulable' | 'gated' | 'inFlight' | undefined {
    if (this.inFlight.has(uid)) return 'inFlight';
    if (this.activeQ.has(uid)) return 'active';
    if (this.backoffQ.has(uid)) return 'backoff';
    const u = this.unschedulable.get(uid);
    return u ? (u.gated ? 'gated' : 'unschedulable') : undefined;
  }

  private contains(uid: string): boolean {
    return this.inFlight.has(uid) || this.activeQ.has(uid) || this.backoffQ.has(uid) || this.unschedulable.has(uid);
  }

  private startCycle(q: QueuedPodInfo): QueuedPodInfo {
    q.attempts++;
    q.initialAttemptTimestamp ??= this.clock.now();
    this.schedulingCycle++;
    this.inFlight.set(q.info.uid, { qpi: q, updated: false, deleted: false });
    return q;
  }

  /** SchedulingGates PreEnqueue: gated pods wait in the pool until their gates are gone. */
  private enqueueOrGate(qpi: QueuedPodInfo): void {
    if (isGated(qpi.info.pod)) {
      qpi.gated = true;
      this.unschedulable.set(qpi.info.uid, qpi);
      return;
    }
    this.pushActive(qpi);
  }

  /** Back to activeQ, or to backoffQ while the pod's back-off lasts. */
  private requeue(q: QueuedPodInfo): void {
    if (q.attempts > 0 && this.backoffExpiry(q) > this.clock.now()) this.pushBackoff(q);
    else this.pushActive(q);
  }

  private pushActive(q: QueuedPodInfo): void {
    const waiter = this.waiters.shift();
    if (waiter) {
      waiter(this.startCycle(q));
      return;
    }
    this.activeQ.push(q);
  }

  private pushBackoff(q: QueuedPodInfo): void {
    this.backoffQ.push(q);
    this.armBackoffTimer();
  }

  /** One timer for the earliest back-off expiry (kube-scheduler polls every second instead). */
  private armBackoffTimer(): void {
    const top = this.backoffQ.peek();
    if (!top || this.closed) return;
    const at = this.backoffExpiry(top);
    if (this.backoffTimer && this.backoffTimer.at <= at) return;
    if (this.backoffTimer) this.clock.clearTimeout(this.backoffTimer.handle);
    this.backoffTimer = { at, handle: this.clock.setTimeout(() => this.flushBackoffCompleted(), Math.max(0, at - this.clock.now())) };
  }

  private flushBackoffCompleted(): void {
    this.backoffTimer = undefined;
    const now = this.clock.now();
    for (let top = this.backoffQ.peek(); top && this.backoffExpiry(top) <= now; top = this.backoffQ.peek()) {
      this.backoffQ.pop();
      this.pushActive(top);
    }
    this.armBackoffTimer();
  }

  /** Pods parked longer than the maximum go back regardless of events. */
  private flushUnschedulableLeftover(): void {
    const now = this.clock.now();
    for (const [uid, q] of this.unschedulable) {
      if (q.gated || now - q.timestamp <= this.maxInUnschedulableMs) continue;
      this.unschedulable.delete(uid);
      this.requeue(q);
    }
  }
}

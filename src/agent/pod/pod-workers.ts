/**
 * Pod workers (kubelet's podWorkers): one logical worker per pod UID, so a pod's syncs never
 * overlap, while different pods sync concurrently (bounded, so a burst of pods cannot starve the
 * event loop the API server may share). A worker runs while its pod is dirty — a new pod version,
 * a container exit, a probe result, a timer — and coalesces whatever arrives meanwhile into one
 * more sync. Failed syncs retry with per-pod exponential back-off.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { Clock, TimerHandle } from '../../client/clock.js';
import type { Logger } from '../../client/log.js';
import type { SyncOutcome } from './pod-sync.js';

/**
 * Concurrent pod syncs per node. A sync that stops containers holds its slot through the grace
 * period (as a kubelet pod worker does), so the bound is generous: it only keeps a burst of new
 * pods from flooding the event loop at once.
 */
export const MAX_CONCURRENT_SYNCS = 128;
const RETRY_BASE_MS = 500;
const RETRY_MAX_MS = 30_000;

interface Worker {
  uid: string;
  pod: Pod | undefined;
  gone: boolean;
  dirty: boolean;
  running: boolean;
  timer?: TimerHandle;
  failures: number;
}

export type SyncFunc = (uid: string, pod: Pod | undefined) => Promise<SyncOutcome>;

export class PodWorkers {
  private readonly workers = new Map<string, Worker>();
  private active = 0;
  private running = 0;
  private readonly slots: Array<() => void> = [];
  private readonly idleWaiters: Array<() => void> = [];
  private stopped = false;

  constructor(
    private readonly sync: SyncFunc,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly maxConcurrent = MAX_CONCURRENT_SYNCS,
  ) {}

  /** A new version of a pod bound to this node. */
  update(pod: Pod): void {
    const uid = pod.metadata?.uid;
    if (!uid) return;
    const w = this.worker(uid);
    w.pod = pod;
    w.gone = false;
    this.kick(w);
  }

  /** The pod is gone from the API. */
  remove(uid: string): void {
    const w = this.worker(uid);
    w.gone = true;
    this.kick(w);
  }

  /** Something about the pod changed on the node (exit, probe): sync it. */
  enqueue(uid: string): void {
    const w = this.workers.get(uid);
    if (w) this.kick(w);
  }

  /** The latest pod object a worker has, by UID. */
  pod(uid: string): Pod | undefined {
    const w = this.workers.get(uid);
    return w && !w.gone ? w.pod : undefined;
  }

  uids(): string[] {
    return [...this.workers.keys()];
  }

  /** Stops starting syncs; resolves when the running ones are done. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const w of this.workers.values()) if (w.timer) this.clock.clearTimeout(w.timer);
    await this.idle();
  }

  /** Resolves when no sync is running. */
  idle(): Promise<void> {
    if (this.running === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  private worker(uid: string): Worker {
    let w = this.workers.get(uid);
    if (!w) {
      w = { uid, pod: undefined, gone: false, dirty: false, running: false, failures: 0 };
      this.workers.set(uid, w);
    }
    return w;
  }

  private kick(w: Worker): void {
    w.dirty = true;
    if (w.timer) {
      this.clock.clearTimeout(w.timer);
      w.timer = undefined;
    }
    if (!w.running && !this.stopped) {
      this.run(w).catch((err: unknown) => this.logger.error('pod worker failed', { uid: w.uid, error: err }));
    }
  }

  private async acquire(): Promise<void> {
    if (this.active < this.maxConcurrent) {
      this.active++;
      return;
    }
    await new Promise<void>((r) => this.slots.push(r));
  }

  private release(): void {
    const next = this.slots.shift();
    if (next) next();
    else this.active--;
  }

  private async run(w: Worker): Promise<void> {
    w.running = true;
    this.running++;
    try {
      while (w.dirty && !this.stopped) {
        w.dirty = false;
        await this.acquire();
        let outcome: SyncOutcome | undefined;
        try {
          outcome = await this.sync(w.uid, w.gone ? undefined : w.pod);
          w.failures = 0;
        } catch (err) {
          w.failures++;
          const delay = Math.min(RETRY_BASE_MS * 2 ** (w.failures - 1), RETRY_MAX_MS);
          this.logger.warn('pod sync failed; retrying', { pod: `${w.pod?.metadata?.namespace}/${w.pod?.metadata?.name}`, uid: w.uid, retryInMs: delay, error: err });
          outcome = { requeueAfterMs: delay };
        } finally {
          this.release();
        }
        if (outcome.done && !w.dirty && w.gone) {
          this.workers.delete(w.uid);
          break;
        }
        if (outcome.requeueAfterMs !== undefined && !w.dirty && !this.stopped) {
          w.timer = this.clock.setTimeout(() => {
            w.timer = undefined;
            this.kick(w);
          }, outcome.requeueAfterMs);
        }
      }
    } finally {
      w.running = false;
      this.running--;
      if (this.running === 0) for (const r of this.idleWaiters.splice(0)) r();
    }
  }
}

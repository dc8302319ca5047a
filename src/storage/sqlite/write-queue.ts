/**
 * Group commit. Writes are queued and handed to `commit` together: everything issued during one
 * event-loop turn (the writes of many concurrent requests) goes into one transaction on the next
 * turn (setImmediate), at most `maxBatch` per transaction. Each write's promise is settled by
 * `commit`, after the COMMIT returned. Waiting for the next turn rather than a microtask batches
 * across requests and lets I/O run between transactions: a tight loop of awaited writes never
 * starves the event loop (see bench-store.ts for the figures behind this choice).
 *
 * Commits can be paused (writes keep queueing) for the checkpointer's WAL reset; order is kept.
 */
import type { KeyValue } from '../store.js';
import type { WriteOp } from './apply-write.js';

export interface PendingWrite {
  op: WriteOp;
  resolve(kv: KeyValue): void;
  reject(err: Error): void;
}

export class WriteQueue {
  private queue: PendingWrite[] = [];
  private flushPending = false;
  private paused = 0;
  private resumeWaiters: Array<() => void> = [];

  /**
   * @param commit commits a batch in one transaction and settles each write's promise.
   * @param grouped false: a write commits at once, in its own transaction (unless paused).
   */
  constructor(
    private readonly commit: (batch: PendingWrite[]) => void,
    private readonly maxBatch: number,
    private readonly grouped: boolean,
  ) {}

  /** Writes waiting for a commit. */
  get length(): number {
    return this.queue.length;
  }

  push(w: PendingWrite): void {
    // Without grouping a write commits at once, unless earlier writes are still queued (held back
    // by a pause): it must not overtake them.
    if (!this.grouped && this.paused === 0 && this.queue.length === 0) {
      this.commit([w]);
      return;
    }
    this.queue.push(w);
    this.schedule();
  }

  /** Holds commits back until the returned (idempotent) function is called. */
  pause(): () => void {
    this.paused++;
    let resumed = false;
    return () => {
      if (resumed) return;
      resumed = true;
      this.paused--;
      if (this.paused > 0) return;
      if (this.queue.length > 0) this.schedule();
      const waiters = this.resumeWaiters;
      this.resumeWaiters = [];
      for (const f of waiters) f();
    };
  }

  /** Resolves once commits are not paused (other writers, like compaction, wait on it too). */
  async unpaused(): Promise<void> {
    while (this.paused > 0) await new Promise<void>((resolve) => this.resumeWaiters.push(resolve));
  }

  /** Commits everything queued now, pause or not, in order (shutdown). */
  drain(): void {
    while (this.queue.length > 0) this.flush(true);
  }

  private schedule(): void {
    if (this.flushPending) return;
    this.flushPending = true;
    setImmediate(() => this.flush(false));
  }

  private flush(force: boolean): void {
    this.flushPending = false;
    if (this.queue.length === 0 || (this.paused > 0 && !force)) return;
    const batch = this.queue.length <= this.maxBatch ? this.queue : this.queue.slice(0, this.maxBatch);
    this.queue = batch === this.queue ? [] : this.queue.slice(batch.length);
    // The rest waits for the next turn, so one burst cannot hold the event loop.
    if (this.queue.length > 0) this.schedule();
    this.commit(batch);
  }
}

/**
 * WAL checkpoints, run by a worker thread so their I/O and fsyncs never block the event loop.
 *
 * The main connection turns SQLite's automatic checkpoint off (it runs inside whichever commit
 * crosses the threshold, stalling that write, and the event loop, for the copy plus two fsyncs).
 * Instead, every `intervalMs` (or sooner, once about WAL_TRIGGER_FRAMES were written) a cycle:
 *
 * 1. runs PASSIVE checkpoints on the worker, copying the WAL into the database while writes go
 *    on (up to UNPAUSED_PASSES, each copying what the previous one left behind);
 * 2. gets the WAL started over. SQLite reuses the WAL from the beginning only when a write
 *    begins with *every* frame copied; under a steady stream of writes that never happens (each
 *    checkpoint ends with a few new frames behind it) and the file grows without bound. So,
 *    at most once per RESTART_MIN_INTERVAL_MS, when the WAL is past WAL_RESTART_FRAMES, the cycle
 *    pauses commits (writes queue up; the event loop runs on) while the worker runs a RESTART
 *    checkpoint: it copies the short tail and resets the WAL. Writes then resume from the start
 *    of the file, which therefore stays about a second's worth of writes long;
 * 3. once writes have stopped, truncates a WAL file left larger than WAL_SIZE_LIMIT_BYTES by a
 *    burst (TRUNCATE checkpoint, also paused). SQLite's own `journal_size_limit` would do that
 *    truncation inside the next commit: 100+ ms for a WAL of a few hundred MB.
 *
 * RESTART and TRUNCATE checkpoints hold the write lock, so commits must not resume before they
 * return; the store holds compaction batches back while writes are paused as well.
 *
 * If the worker cannot start or dies, `onFailure` lets the store fall back to SQLite's inline
 * automatic checkpoints: slower writes now and then, but never an unbounded WAL.
 */
import { statSync } from 'node:fs';
import { Worker } from 'node:worker_threads';

/** How often a checkpoint cycle runs by default. */
export const DEFAULT_CHECKPOINT_INTERVAL_MS = 1000;
/** Estimated WAL frames (4 KiB pages) written that start a cycle before the interval is up. */
export const WAL_TRIGGER_FRAMES = 4000;
/** WAL frames above which a cycle resets the WAL (SQLite's autocheckpoint default). */
export const WAL_RESTART_FRAMES = 1000;
/** Least time between two paused WAL resets: bounds how often writes pause under load. */
export const RESTART_MIN_INTERVAL_MS = 1000;
/** A WAL file larger than this is truncated once writes stop. */
export const WAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024;
/** Checkpoints a cycle runs while writes go on, before pausing them for the tail. */
export const UNPAUSED_PASSES = 3;
/** Database page size assumed when estimating WAL growth. */
const PAGE_BYTES = 4096;

export interface CheckpointWorkerData {
  path: string;
}

export type CheckpointMode = 'PASSIVE' | 'FULL' | 'RESTART' | 'TRUNCATE';

export type CheckpointRequest = { type: 'checkpoint'; id: number; mode: CheckpointMode } | { type: 'close' };

export type CheckpointResponse =
  | { id: number; busy: number; log: number; checkpointed: number; ms: number }
  | { id: number; error: string; ms: number };

/** Outcome of one checkpoint: frames in the WAL and frames copied into the database. */
export interface CheckpointResult {
  /** 1 when the checkpoint could not finish (a reader or writer was in the way). */
  busy: number;
  log: number;
  checkpointed: number;
  ms: number;
}

/** Counters exposed through the store's stats. */
export interface CheckpointStats {
  count: number;
  failures: number;
  /** Paused checkpoints that reset the WAL. */
  restarts: number;
  lastLogFrames: number;
  lastCheckpointedFrames: number;
  /** Longest checkpoint on the worker (does not block the event loop). */
  maxMs: number;
  /** Longest time commits were held back for a tail checkpoint. */
  maxWritePauseMs: number;
  /** Set when the worker failed and inline automatic checkpoints took over. */
  fallback: boolean;
}

export interface CheckpointerHooks {
  /** Holds commits back until the returned function is called. */
  pauseWrites(): () => void;
  /** The worker failed; checkpoints must happen some other way from now on. */
  onFailure(err: Error): void;
}

export class Checkpointer {
  readonly stats: CheckpointStats = {
    count: 0,
    failures: 0,
    restarts: 0,
    lastLogFrames: 0,
    lastCheckpointedFrames: 0,
    maxMs: 0,
    maxWritePauseMs: 0,
    fallback: false,
  };
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve(r: CheckpointResult): void; reject(e: Error): void }>();
  private readonly timer: NodeJS.Timeout;
  private nextId = 1;
  private cycle: Promise<void> | undefined;
  private framesSinceCycle = 0;
  private commits = 0;
  private lastRestart = -Infinity;
  private stopping = false;
  private stopped = false;

  constructor(
    private readonly path: string,
    intervalMs: number,
    private readonly hooks: CheckpointerHooks,
  ) {
    const data: CheckpointWorkerData = { path };
    this.worker = new Worker(new URL('./checkpoint-worker.js', import.meta.url), { workerData: data });
    this.worker.unref();
    this.worker.on('message', (msg: CheckpointResponse) => this.onMessage(msg));
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', (code) => this.fail(new Error(`checkpoint worker exited with code ${code}`)));
    this.timer = setInterval(() => this.startCycle(), intervalMs);
    this.timer.unref();
  }

  /**
   * Tells the checkpointer a transaction committed `bytes` of keys and values; a cycle starts
   * early when the estimated WAL growth passes WAL_TRIGGER_FRAMES. Estimate: the pages of the
   * data (half again for the index entries) plus a few B-tree pages every commit touches.
   */
  noteWritten(bytes: number): void {
    this.commits++;
    this.framesSinceCycle += 3 + Math.ceil((bytes * 1.5) / PAGE_BYTES);
    if (this.framesSinceCycle >= WAL_TRIGGER_FRAMES) this.startCycle();
  }

  /** Runs one checkpoint now on the worker (PASSIVE: without waiting for writers). */
  checkpoint(mode: 'PASSIVE' | 'FULL' = 'PASSIVE'): Promise<CheckpointResult> {
    return this.request(mode);
  }

  private request(mode: CheckpointMode): Promise<CheckpointResult> {
    if (this.stopped) return Promise.reject(new Error('checkpointer is stopped'));
    const id = this.nextId++;
    return new Promise<CheckpointResult>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ type: 'checkpoint', id, mode } satisfies CheckpointRequest);
    });
  }

  /** Stops the timer and the worker, after the cycle in progress. */
  async stop(): Promise<void> {
    if (this.stopped || this.stopping) return;
    this.stopping = true;
    clearInterval(this.timer);
    await this.cycle;
    if (this.stopped) return; // the worker failed meanwhile
    this.stopped = true;
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    // Unref'd so an idle store never keeps the process alive; while we wait for it, it must.
    this.worker.ref();
    this.worker.postMessage({ type: 'close' } satisfies CheckpointRequest);
    await exited;
  }

  private startCycle(): void {
    if (this.cycle || this.stopping || this.stopped) return; // one at a time: skip a turn rather than queue
    this.framesSinceCycle = 0;
    this.cycle = this.runCycle()
      .catch(() => undefined) // counted in stats.failures; the next cycle tries again
      .finally(() => {
        this.cycle = undefined;
      });
  }

  private async runCycle(): Promise<void> {
    // `log` counts the frames there were when a checkpoint began: frames committed while it ran
    // are not in it, and they too must be copied before the WAL can restart.
    const restartDue = performance.now() - this.lastRestart >= RESTART_MIN_INTERVAL_MS;
    let size = 0;
    let quiet = false;
    for (let pass = 0; pass < (restartDue ? UNPAUSED_PASSES : 1); pass++) {
      const commitsBefore = this.commits;
      const r = await this.request('PASSIVE');
      size = Math.max(size, r.log);
      quiet = r.checkpointed >= r.log && this.commits === commitsBefore;
      if (quiet || size < WAL_RESTART_FRAMES) break;
    }
    if (quiet) {
      // Everything is copied and nobody is writing: the next commit restarts the WAL by itself.
      if (this.walFileBytes() > WAL_SIZE_LIMIT_BYTES) await this.paused('TRUNCATE');
      return;
    }
    if (restartDue && size >= WAL_RESTART_FRAMES) {
      this.lastRestart = performance.now();
      await this.paused('RESTART');
    }
  }

  /** Runs a checkpoint that holds the write lock, with commits held back meanwhile. */
  private async paused(mode: 'RESTART' | 'TRUNCATE'): Promise<void> {
    const resume = this.hooks.pauseWrites();
    const started = performance.now();
    try {
      const r = await this.request(mode);
      if (r.busy === 0) this.stats.restarts++;
    } finally {
      resume();
      this.stats.maxWritePauseMs = Math.max(this.stats.maxWritePauseMs, performance.now() - started);
    }
  }

  private walFileBytes(): number {
    try {
      return statSync(`${this.path}-wal`).size;
    } catch {
      return 0;
    }
  }

  private onMessage(msg: CheckpointResponse): void {
    const waiter = this.pending.get(msg.id);
    this.pending.delete(msg.id);
    this.stats.maxMs = Math.max(this.stats.maxMs, msg.ms);
    if ('error' in msg) {
      this.stats.failures++;
      waiter?.reject(new Error(`WAL checkpoint failed: ${msg.error}`));
      return;
    }
    this.stats.count++;
    this.stats.lastLogFrames = msg.log;
    this.stats.lastCheckpointedFrames = msg.checkpointed;
    waiter?.resolve({ busy: msg.busy, log: msg.log, checkpointed: msg.checkpointed, ms: msg.ms });
  }

  private fail(err: Error): void {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.timer);
    this.stats.fallback = true;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    void this.worker.terminate();
    this.hooks.onFailure(err);
  }
}

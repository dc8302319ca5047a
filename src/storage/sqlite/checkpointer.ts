/**
 * Periodic WAL checkpoints, run by a worker thread so the fsyncs never block the event loop.
 *
 * The main connection turns SQLite's automatic checkpoint off (it would run inside whichever
 * commit crossed the threshold, stalling that write by milliseconds). The worker checkpoints every
 * `intervalMs` in PASSIVE mode: it copies what it can without waiting for anyone. Once a
 * checkpoint has copied every frame, the next write starts the WAL over from the beginning, and
 * `journal_size_limit` on the main connection trims the file, so the WAL stays bounded.
 *
 * If the worker cannot start or dies, `onFailure` lets the store fall back to SQLite's inline
 * automatic checkpoints: slower writes now and then, but never an unbounded WAL.
 */
import { Worker } from 'node:worker_threads';

/** How often the worker checkpoints by default. */
export const DEFAULT_CHECKPOINT_INTERVAL_MS = 1000;

export interface CheckpointWorkerData {
  path: string;
}

export type CheckpointRequest =
  | { type: 'checkpoint'; id: number; mode: 'PASSIVE' | 'FULL' | 'RESTART' | 'TRUNCATE' }
  | { type: 'close' };

export type CheckpointResponse =
  | { id: number; busy: number; log: number; checkpointed: number; ms: number }
  | { id: number; error: string; ms: number };

/** Outcome of one checkpoint: frames in the WAL and frames copied into the database. */
export interface CheckpointResult {
  log: number;
  checkpointed: number;
  ms: number;
}

/** Counters exposed through the store's stats. */
export interface CheckpointStats {
  count: number;
  failures: number;
  lastLogFrames: number;
  lastCheckpointedFrames: number;
  maxMs: number;
  /** Set when the worker failed and inline automatic checkpoints took over. */
  fallback: boolean;
}

export class Checkpointer {
  readonly stats: CheckpointStats = {
    count: 0,
    failures: 0,
    lastLogFrames: 0,
    lastCheckpointedFrames: 0,
    maxMs: 0,
    fallback: false,
  };
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve(r: CheckpointResult): void; reject(e: Error): void }>();
  private readonly timer: NodeJS.Timeout;
  private nextId = 1;
  private inFlight = false;
  private stopped = false;

  constructor(
    path: string,
    intervalMs: number,
    private readonly onFailure: (err: Error) => void,
  ) {
    const data: CheckpointWorkerData = { path };
    this.worker = new Worker(new URL('./checkpoint-worker.js', import.meta.url), { workerData: data });
    this.worker.unref();
    this.worker.on('message', (msg: CheckpointResponse) => this.onMessage(msg));
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', (code) => {
      if (!this.stopped) this.fail(new Error(`checkpoint worker exited with code ${code}`));
    });
    this.timer = setInterval(() => {
      // Skip a turn rather than queue checkpoints behind a slow one.
      if (!this.inFlight) this.checkpoint().catch(() => undefined);
    }, intervalMs);
    this.timer.unref();
  }

  /** Runs one checkpoint now (PASSIVE unless told otherwise). */
  checkpoint(mode: 'PASSIVE' | 'FULL' = 'PASSIVE'): Promise<CheckpointResult> {
    if (this.stopped) return Promise.reject(new Error('checkpointer is stopped'));
    const id = this.nextId++;
    this.inFlight = true;
    return new Promise<CheckpointResult>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ type: 'checkpoint', id, mode } satisfies CheckpointRequest);
    });
  }

  /** Stops the timer and the worker, after any checkpoint in progress. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.timer);
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    // Unref'd so an idle store never keeps the process alive; while we wait for it, it must.
    this.worker.ref();
    this.worker.postMessage({ type: 'close' } satisfies CheckpointRequest);
    await exited;
    for (const p of this.pending.values()) p.reject(new Error('checkpointer stopped'));
    this.pending.clear();
  }

  private onMessage(msg: CheckpointResponse): void {
    const waiter = this.pending.get(msg.id);
    this.pending.delete(msg.id);
    this.inFlight = this.pending.size > 0;
    this.stats.maxMs = Math.max(this.stats.maxMs, msg.ms);
    if ('error' in msg) {
      this.stats.failures++;
      waiter?.reject(new Error(`WAL checkpoint failed: ${msg.error}`));
      return;
    }
    this.stats.count++;
    this.stats.lastLogFrames = msg.log;
    this.stats.lastCheckpointedFrames = msg.checkpointed;
    waiter?.resolve({ log: msg.log, checkpointed: msg.checkpointed, ms: msg.ms });
  }

  private fail(err: Error): void {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.timer);
    this.stats.fallback = true;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    void this.worker.terminate();
    this.onFailure(err);
  }
}

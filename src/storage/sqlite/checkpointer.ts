/**
 * WAL checkpoints, run by a worker thread so their I/O and fsyncs never block the event loop.
 *
 * The main connection turns SQLite's automatic checkpoint off (it runs inside whichever commit
 * crosses the threshold, stalling that write, and the event loop, for the copy plus two fsyncs).
 * Instead, every `intervalMs` (or sooner, once `WAL_TRIGGER_BYTES` were written) a cycle runs:
 *
 * 1. PASSIVE checkpoints on the worker copy the WAL into the database while writes go on
 *    (up to UNPAUSED_PASSES, each copying what the previous one left behind).
 * 2. SQLite starts the WAL over only when a write begins with *every* frame copied. Under a
 *    steady stream of writes that never happens (each checkpoint ends with a few new frames
 *    behind it) and the WAL file grows without bound. So when frames were left behind and the WAL
 *    is past `WAL_RESTART_FRAMES`, the cycle pauses commits (writes queue up; the event loop runs
 *    on), checkpoints the short tail, and resumes: the next commit restarts the WAL, and
 *    `journal_size_limit` trims the file. The pause is capped at `MAX_WRITE_PAUSE_MS`.
 *
 * If the worker cannot start or dies, `onFailure` lets the store fall back to SQLite's inline
 * automatic checkpoints: slower writes now and then, but never an unbounded WAL.
 */
import { Worker } from 'node:worker_threads';

/** How often a checkpoint cycle runs by default. */
export const DEFAULT_CHECKPOINT_INTERVAL_MS = 1000;
/** Bytes of values written that start a cycle before the interval is up. */
export const WAL_TRIGGER_BYTES = 16 * 1024 * 1024;
/** WAL frames (pages) above which a cycle pauses writes to let the WAL restart (SQLite's autocheckpoint default). */
export const WAL_RESTART_FRAMES = 1000;
/** Checkpoints a cycle runs while writes go on, before pausing them for the tail. */
export const UNPAUSED_PASSES = 3;
/** Longest a cycle holds commits back for the tail checkpoint. */
export const MAX_WRITE_PAUSE_MS = 100;

export interface CheckpointWorkerData {
  path: string;
}

export type CheckpointRequest = { type: 'checkpoint'; id: number; mode: 'PASSIVE' | 'FULL' } | { type: 'close' };

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
  /** Cycles that paused writes to let the WAL restart. */
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
  private bytesSinceCycle = 0;
  private commits = 0;
  private stopping = false;
  private stopped = false;

  constructor(
    path: string,
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

  /** Tells the checkpointer how much was just committed (starts a cycle early under heavy writes). */
  noteWritten(bytes: number): void {
    this.commits++;
    this.bytesSinceCycle += bytes;
    if (this.bytesSinceCycle >= WAL_TRIGGER_BYTES) this.startCycle();
  }

  /** Runs one checkpoint now on the worker, without pausing writes. */
  checkpoint(mode: 'PASSIVE' | 'FULL' = 'PASSIVE'): Promise<CheckpointResult> {
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
    this.bytesSinceCycle = 0;
    this.cycle = this.runCycle()
      .catch(() => undefined) // counted in stats.failures; the next cycle tries again
      .finally(() => {
        this.cycle = undefined;
      });
  }

  private async runCycle(): Promise<void> {
    // `log` counts the frames there were when a checkpoint began: frames committed while it ran
    // are not in it, and they too must be copied before the WAL can restart. Each pass copies
    // what the previous one left behind while writes go on, so the paused pass is short.
    let size = 0;
    for (let pass = 0; pass < UNPAUSED_PASSES; pass++) {
      const commitsBefore = this.commits;
      const r = await this.checkpoint();
      size = Math.max(size, r.log);
      if (size < WAL_RESTART_FRAMES) return;
      if (r.checkpointed >= r.log && this.commits === commitsBefore) return; // restarts on the next commit
    }
    const resume = this.hooks.pauseWrites();
    const paused = performance.now();
    const cap = setTimeout(resume, MAX_WRITE_PAUSE_MS);
    try {
      await this.checkpoint();
      this.stats.restarts++;
    } finally {
      clearTimeout(cap);
      resume();
      this.stats.maxWritePauseMs = Math.max(this.stats.maxWritePauseMs, performance.now() - paused);
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
    this.hooks.onFailure(err);
  }
}

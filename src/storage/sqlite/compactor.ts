/**
 * Compaction of the log: explicit (`Store.compact`) and automatic (a timer applying
 * CompactionPolicy, as the Kubernetes API server compacts etcd on a timer). Work runs in
 * transactions of a few milliseconds each (ChunkSizer), with a yield between them, as kine
 * compacts in batches of revisions; each transaction also records the new compacted revision, so
 * a crash mid-way leaves a consistent, partly compacted store.
 *
 * Reads that span several event-loop turns (chunked lists, counts, watch replays) pin their
 * revision: automatic compaction never passes a pinned revision. An explicit compaction does
 * (the caller asked for it); such a read then fails with CompactedError, as it would on etcd.
 */
import type { Database } from 'better-sqlite3';
import { ChunkSizer } from './chunk-sizer.js';
import { CompactionPolicy, type CompactionPolicyOptions } from './compaction-policy.js';
import { COMPACT_BATCH_TARGET_MS } from './options.js';
import { META_COMPACT_REVISION, type Statements } from './schema.js';

const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Thrown out of a compaction cut short by `stop`. */
export class CompactionStoppedError extends Error {
  constructor() {
    super('compaction stopped');
    this.name = 'CompactionStoppedError';
  }
}

export interface CompactorOptions extends CompactionPolicyOptions {
  /** Automatic compaction tick; 0 = none. */
  intervalMs: number;
  /** Most revisions per transaction. */
  maxBatchRevisions: number;
  now: () => number;
  /** The store's current revision. */
  currentRevision: () => number;
  /** Resolves when writes may run (the checkpointer may be holding them back). */
  writesAllowed: () => Promise<void>;
}

export interface CompactionStats {
  batches: number;
  rowsDeleted: number;
  maxBatchMs: number;
  lastError?: string;
}

export class Compactor {
  /** Revision at or below which history is gone. */
  compacted: number;
  readonly stats: CompactionStats = { batches: 0, rowsDeleted: 0, maxBatchMs: 0 };
  private readonly policy: CompactionPolicy;
  private readonly step: ChunkSizer;
  private readonly timer: NodeJS.Timeout | undefined;
  private readonly batch: (from: number, to: number) => number;
  private readonly pins = new Map<number, number>();
  private running: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    db: Database,
    stmts: Statements,
    private readonly opts: CompactorOptions,
  ) {
    this.compacted = (stmts.getMeta.get(META_COMPACT_REVISION) as number | undefined) ?? 0;
    this.batch = db.transaction((from: number, to: number) => {
      const deleted = stmts.compact.run({ from, to }).changes;
      stmts.setMeta.run(META_COMPACT_REVISION, to);
      return deleted;
    });
    this.step = new ChunkSizer(COMPACT_BATCH_TARGET_MS, 10, opts.maxBatchRevisions, Math.min(100, opts.maxBatchRevisions));
    this.policy = new CompactionPolicy(opts);
    this.policy.observe(opts.now(), opts.currentRevision());
    if (opts.intervalMs > 0) {
      this.timer = setInterval(() => this.tick(), opts.intervalMs);
      this.timer.unref();
    }
  }

  /**
   * Compacts to `target`, after any compaction already running. Rejects with
   * CompactionStoppedError if `stop` cut it short.
   */
  compactTo(target: number): Promise<void> {
    const run = this.running.then(async () => {
      while (this.compacted < target) {
        await this.opts.writesAllowed();
        if (this.stopped) throw new CompactionStoppedError();
        const from = this.compacted;
        const to = Math.min(target, from + this.step.next);
        const started = performance.now();
        const deleted = this.batch(from, to);
        const elapsed = performance.now() - started;
        this.compacted = to;
        this.step.observe(to - from, elapsed);
        this.stats.batches++;
        this.stats.rowsDeleted += deleted;
        this.stats.maxBatchMs = Math.max(this.stats.maxBatchMs, elapsed);
        if (this.compacted < target) await yieldToLoop();
      }
    });
    this.running = run.catch(() => undefined);
    return run;
  }

  /** Keeps automatic compaction at or below `rev` until the returned function is called. */
  pin(rev: number): () => void {
    this.pins.set(rev, (this.pins.get(rev) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const n = (this.pins.get(rev) ?? 1) - 1;
      if (n > 0) this.pins.set(rev, n);
      else this.pins.delete(rev);
    };
  }

  /** Stops the timer; a compaction in progress ends after its current batch. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  private tick(): void {
    if (this.stopped) return;
    const now = this.opts.now();
    const current = this.opts.currentRevision();
    this.policy.observe(now, current);
    let oldestPin = Infinity;
    for (const rev of this.pins.keys()) oldestPin = Math.min(oldestPin, rev);
    const target = this.policy.target(now, current, oldestPin);
    if (target <= this.compacted) return;
    this.compactTo(target).catch((err: unknown) => {
      if (!(err instanceof CompactionStoppedError)) this.stats.lastError = String(err);
    });
  }
}

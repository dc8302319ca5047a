/**
 * The embedded Store: a log-structured SQLite database in the manner of kine (see schema.ts),
 * on better-sqlite3. better-sqlite3 is synchronous, so every statement runs to completion on the
 * event loop and nothing interleaves inside one; the store keeps each synchronous step short:
 *
 * - Writes are queued and committed together (group commit): all writes issued in one
 *   event-loop turn share one transaction, each resolved only after the COMMIT returned. The
 *   batch's events are published to watchers in the same synchronous step, right after commit.
 * - Lists, counts and watch replays read in chunks at a fixed revision and yield between chunks,
 *   so a 10,000-object list neither blocks the loop nor sees writes made while it runs.
 * - Compaction deletes superseded rows in batches of revisions, yielding between batches; WAL
 *   checkpoints (with their fsyncs) run on a worker thread.
 *
 * Durability: WAL with `synchronous=NORMAL`. A COMMIT has written its frames to the WAL file
 * before it returns, so a write whose promise resolved survives the process being killed at any
 * moment (crash.test.ts proves it); only an OS crash or power loss can lose the last commits.
 */
import { mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import {
  CompactedError,
  FutureRevisionError,
  StoreClosedError,
  type KeyValue,
  type ListOptions,
  type ListResult,
  type Store,
  type StoreEvent,
  type WatchOptions,
  type WriteOptions,
} from '../store.js';
import { applyWrite, isPreconditionError, validateWrite, type Applied, type WriteOp } from './apply-write.js';
import { WriteQueue, type PendingWrite } from './write-queue.js';
import { Checkpointer, WAL_SIZE_LIMIT_BYTES, type CheckpointResult, type CheckpointStats } from './checkpointer.js';
import { ChunkSizer } from './chunk-sizer.js';
import { CompactionStoppedError, Compactor, type CompactionStats } from './compactor.js';
import { keyRange, type KeyRange } from './key-range.js';
import {
  COUNT_CHUNK_KEYS,
  LIST_CHUNK_TARGET_MS,
  REPLAY_WINDOW_REVISIONS,
  resolveOptions,
  TTL_RETRY_MS,
  type ResolvedSqliteStoreOptions,
  type SqliteStoreOptions,
} from './options.js';
import { eventFromRow, kvFromRow } from './row-codec.js';
import { migrate, prepareStatements, rangeIndex, rangeParams, type EventRow, type ListRow, type Row, type Statements } from './schema.js';
import { openStoreLock, type StoreLock } from './store-lock.js';
import { TtlScheduler } from './ttl-scheduler.js';
import { Watcher, WatchHub } from './watch-hub.js';

/** Counters for tests, benchmarks and operators. */
export interface SqliteStoreStats {
  revision: number;
  compactedRevision: number;
  writes: { committed: number; rejected: number; transactions: number; maxBatch: number; maxCommitMs: number };
  /** Longest synchronous list chunk. */
  reads: { maxChunkMs: number };
  compaction: CompactionStats;
  /** Undefined for `:memory:` or when checkpoints run inline. */
  checkpoint: CheckpointStats | undefined;
  /** Size of the `-wal` file in bytes (0 for `:memory:`). */
  walBytes: number;
  watchers: number;
  ttlKeys: number;
}

const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Opens (creating the file and its directory if needed) a SQLite store. Fails if another store
 * has the file open, in this process or another.
 */
export async function openSqliteStore(options: SqliteStoreOptions): Promise<SqliteStore> {
  const opts = resolveOptions(options);
  if (opts.path !== ':memory:') mkdirSync(dirname(opts.path), { recursive: true });
  return new SqliteStore(opts);
}

/** Use `openSqliteStore`. */
export class SqliteStore implements Store {
  private readonly db: Database.Database;
  private readonly stmts: Statements;
  private readonly lock: StoreLock | undefined;
  private readonly hub = new WatchHub();
  private readonly ttl: TtlScheduler;
  private readonly compactor: Compactor;
  private readonly checkpointer: Checkpointer | undefined;
  private readonly runBatch: (batch: PendingWrite[], firstRev: number, now: number) => Array<Applied | Error>;
  private readonly writes: WriteQueue;
  private rev: number;
  private readonly listChunk = new ChunkSizer(LIST_CHUNK_TARGET_MS, 50, 5000);
  private closing: Promise<void> | undefined;
  private readonly counters = {
    committed: 0,
    rejected: 0,
    transactions: 0,
    maxBatch: 0,
    maxCommitMs: 0,
    maxReadChunkMs: 0,
  };

  constructor(private readonly opts: ResolvedSqliteStoreOptions) {
    const memory = opts.path === ':memory:';
    this.lock = memory ? undefined : openStoreLock(opts.path);
    let db: Database.Database | undefined;
    try {
      db = new Database(opts.path);
      this.db = db;
      this.configure(memory);
      migrate(db);
      this.stmts = prepareStatements(db);
    } catch (err) {
      db?.close();
      this.lock?.release();
      throw err;
    }
    this.writes = new WriteQueue((batch) => this.commit(batch), opts.maxBatchWrites, opts.groupCommit);
    this.rev = (this.stmts.sequence.get() as number | undefined) ?? 0;

    this.runBatch = this.db.transaction((batch: PendingWrite[], firstRev: number, now: number) => {
      const out: Array<Applied | Error> = [];
      let rev = firstRev;
      for (const w of batch) {
        try {
          out.push(applyWrite(this.stmts, w.op, rev, now));
          rev++;
        } catch (err) {
          if (!isPreconditionError(err)) throw err;
          out.push(err as Error);
        }
      }
      return out;
    });

    this.ttl = new TtlScheduler((key, revision) => this.expire(key, revision), opts.now);
    for (const r of this.stmts.ttlRows.iterate() as IterableIterator<Pick<Row, 'name' | 'id' | 'expires_at'>>) {
      if (r.expires_at !== null) this.ttl.set(r.name, r.id, r.expires_at);
    }

    this.compactor = new Compactor(this.db, this.stmts, {
      retentionMs: opts.historyRetentionMs,
      minRetainRevisions: opts.minRetainRevisions,
      maxRetainRevisions: opts.maxRetainRevisions,
      intervalMs: opts.compactIntervalMs,
      maxBatchRevisions: opts.compactBatchRevisions,
      now: opts.now,
      currentRevision: () => this.rev,
      writesAllowed: () => this.writes.unpaused(),
    });
    if (!memory && opts.checkpointIntervalMs > 0) {
      this.checkpointer = new Checkpointer(opts.path, opts.checkpointIntervalMs, {
        pauseWrites: () => this.writes.pause(),
        onFailure: (err) => {
          process.emitWarning(`SQLite store: checkpoint worker failed (${err.message}); checkpointing inline`);
          if (this.db.open) this.checkpointInline();
        },
      });
    }
  }

  private configure(memory: boolean): void {
    const db = this.db;
    if (!memory) {
      const mode = db.pragma('journal_mode = WAL', { simple: true }) as string;
      if (mode.toLowerCase() !== 'wal') throw new Error(`could not switch ${this.opts.path} to WAL mode (got ${mode})`);
      db.pragma('synchronous = NORMAL');
      if (this.opts.checkpointIntervalMs > 0) {
        // The worker checkpoints and truncates: keep both (and their fsyncs) out of commits.
        db.pragma('wal_autocheckpoint = 0');
        db.pragma('journal_size_limit = -1');
      } else {
        this.checkpointInline();
      }
    }
    db.pragma(`cache_size = -${this.opts.cacheSizeKiB}`);
    db.pragma('temp_store = MEMORY');
    // The worker's checkpoint never holds a lock the writer waits for; keep any wait short.
    db.pragma('busy_timeout = 200');
  }

  /** SQLite's own checkpoints in the commit path: they stall commits, but keep the WAL bounded. */
  private checkpointInline(): void {
    this.db.pragma('wal_autocheckpoint = 1000');
    this.db.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
  }

  // ---- reads ----

  async currentRevision(): Promise<number> {
    this.assertOpen();
    return this.rev;
  }

  async compactedRevision(): Promise<number> {
    this.assertOpen();
    return this.compactor.compacted;
  }

  async get(key: string): Promise<KeyValue | undefined> {
    this.assertOpen();
    const r = this.stmts.latest.get(key) as Row | undefined;
    return r && r.deleted === 0 ? kvFromRow(r) : undefined;
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    this.assertOpen();
    const limit = opts.limit && opts.limit > 0 ? opts.limit : Infinity;
    const rev = this.readRevision(opts.revision);
    const items: KeyValue[] = [];
    let after = opts.afterKey;
    const unpin = this.compactor.pin(rev);
    try {
      for (;;) {
        // One more than the page so `more` is known without another query.
        const want = Math.min(this.listChunk.next, limit + 1 - items.length);
        const started = performance.now();
        const rows = this.listRows(keyRange(prefix, after), rev, want);
        const elapsed = performance.now() - started;
        this.listChunk.observe(rows.length, elapsed);
        this.counters.maxReadChunkMs = Math.max(this.counters.maxReadChunkMs, elapsed);
        for (const r of rows) items.push(kvFromRow(r));
        if (rows.length < want || items.length > limit) break;
        after = (rows[rows.length - 1] as ListRow).name;
        await yieldToLoop();
        this.assertReadable(rev);
      }
    } finally {
      unpin();
    }
    const more = items.length > limit;
    if (more) items.length = limit;
    return { items, revision: rev, more };
  }

  async count(prefix: string): Promise<number> {
    this.assertOpen();
    const rev = this.rev;
    const unpin = this.compactor.pin(rev);
    let total = 0;
    let after: string | undefined;
    try {
      for (;;) {
        const range = keyRange(prefix, after);
        const names = this.rangeStatements(range).names.all({ ...rangeParams(range), rev, limit: COUNT_CHUNK_KEYS }) as string[];
        total += names.length;
        if (names.length < COUNT_CHUNK_KEYS) return total;
        after = names[names.length - 1];
        await yieldToLoop();
        this.assertReadable(rev);
      }
    } finally {
      unpin();
    }
  }

  // ---- writes ----

  create(key: string, value: string, opts?: WriteOptions): Promise<KeyValue> {
    return this.enqueue({ kind: 'create', key, value, ttlSeconds: opts?.ttlSeconds });
  }

  update(key: string, value: string, expectedRevision: number, opts?: WriteOptions): Promise<KeyValue> {
    return this.enqueue({ kind: 'update', key, value, expected: expectedRevision, ttlSeconds: opts?.ttlSeconds });
  }

  delete(key: string, expectedRevision?: number): Promise<KeyValue> {
    return this.enqueue({ kind: 'delete', key, expected: expectedRevision });
  }

  private enqueue(op: WriteOp): Promise<KeyValue> {
    if (this.closing) return Promise.reject(new StoreClosedError());
    const invalid = validateWrite(op);
    if (invalid) return Promise.reject(invalid);
    return new Promise<KeyValue>((resolve, reject) => this.writes.push({ op, resolve, reject }));
  }

  /** Commits a batch in one transaction, publishes its events, then settles each write. */
  private commit(batch: PendingWrite[]): void {
    const started = performance.now();
    let outcomes: Array<Applied | Error>;
    try {
      outcomes = this.runBatch(batch, this.rev + 1, this.opts.now());
    } catch (err) {
      // Rolled back: nothing of the batch was written and no revision was used.
      const e = err instanceof Error ? err : new Error(String(err));
      for (const w of batch) w.reject(e);
      this.counters.rejected += batch.length;
      return;
    }
    const events: StoreEvent[] = [];
    let bytes = 0;
    for (const o of outcomes) {
      if (o instanceof Error) continue;
      events.push(o.event);
      bytes += o.kv.key.length + (o.event.type === 'put' ? o.kv.value.length : 0);
      this.rev = o.kv.modRevision;
      if (o.expiresAt !== null) this.ttl.set(o.kv.key, o.kv.modRevision, o.expiresAt);
      else this.ttl.clear(o.kv.key);
    }
    const c = this.counters;
    c.transactions++;
    c.committed += events.length;
    c.rejected += batch.length - events.length;
    c.maxBatch = Math.max(c.maxBatch, batch.length);
    c.maxCommitMs = Math.max(c.maxCommitMs, performance.now() - started);
    this.checkpointer?.noteWritten(bytes);
    // Watchers see the commit before any writer's continuation runs.
    this.hub.publish(events);
    batch.forEach((w, i) => {
      const o = outcomes[i] as Applied | Error;
      if (o instanceof Error) w.reject(o);
      else w.resolve(o.kv);
    });
  }

  /** The TTL timer's guarded delete: a write that raced the expiry wins. */
  private expire(key: string, revision: number): void {
    this.delete(key, revision).catch((err: unknown) => {
      if (isPreconditionError(err) || err instanceof StoreClosedError) return;
      this.ttl.retry(key, revision, TTL_RETRY_MS);
    });
  }

  // ---- watch ----

  async watch(prefix: string, opts: WatchOptions): Promise<void> {
    this.assertOpen();
    if (opts.afterRevision > 0 && opts.afterRevision < this.compactor.compacted) {
      throw new CompactedError(opts.afterRevision, this.compactor.compacted);
    }
    const start = opts.afterRevision > 0 ? opts.afterRevision : this.rev;
    const w = new Watcher(prefix, start, opts);
    if (w.done) return;
    const unpin = this.compactor.pin(start);
    try {
      // Replay history in windows; the check that history is exhausted and the attach run in one
      // synchronous step, so no commit can fall between replay and live delivery.
      let cursor = start;
      while (cursor < this.rev) {
        if (w.done) return; // aborted while we yielded
        if (this.closing) return w.close(new StoreClosedError());
        if (cursor < this.compactor.compacted) return w.close(new CompactedError(cursor, this.compactor.compacted));
        const upto = Math.min(this.rev, cursor + REPLAY_WINDOW_REVISIONS);
        w.deliver(this.readEvents(prefix, cursor, upto));
        if (w.done) return;
        w.lastRevision = Math.max(w.lastRevision, upto);
        cursor = upto;
        if (cursor < this.rev) await yieldToLoop();
      }
      if (this.closing) return w.close(new StoreClosedError());
      w.attach(this.hub);
    } finally {
      unpin();
    }
  }

  private readEvents(prefix: string, after: number, upto: number): StoreEvent[] {
    const range = keyRange(prefix);
    const rows = this.rangeStatements(range).events.all({ ...rangeParams(range), after, upto }) as EventRow[];
    return rows.map(eventFromRow);
  }

  // ---- compaction ----

  async compact(revision: number): Promise<void> {
    this.assertOpen();
    if (revision > this.rev) throw new FutureRevisionError(revision, this.rev);
    try {
      await this.compactor.compactTo(revision);
    } catch (err) {
      throw err instanceof CompactionStoppedError ? new StoreClosedError() : err;
    }
  }

  // ---- maintenance ----

  /** Runs a WAL checkpoint now (on the worker when there is one). For tests and operators. */
  async checkpoint(): Promise<CheckpointResult> {
    this.assertOpen();
    if (this.checkpointer && !this.checkpointer.stats.fallback) return this.checkpointer.checkpoint();
    const started = performance.now();
    const [row] = this.db.pragma('wal_checkpoint(PASSIVE)') as Array<{ busy: number; log: number; checkpointed: number }>;
    return { busy: row?.busy ?? 0, log: row?.log ?? 0, checkpointed: row?.checkpointed ?? 0, ms: performance.now() - started };
  }

  stats(): SqliteStoreStats {
    const c = this.counters;
    let walBytes = 0;
    if (this.opts.path !== ':memory:') {
      try {
        walBytes = statSync(`${this.opts.path}-wal`).size;
      } catch {
        walBytes = 0; // no WAL file right now (closed, or not yet written)
      }
    }
    return {
      revision: this.rev,
      compactedRevision: this.compactor.compacted,
      writes: {
        committed: c.committed,
        rejected: c.rejected,
        transactions: c.transactions,
        maxBatch: c.maxBatch,
        maxCommitMs: c.maxCommitMs,
      },
      reads: { maxChunkMs: c.maxReadChunkMs },
      compaction: { ...this.compactor.stats },
      checkpoint: this.checkpointer ? { ...this.checkpointer.stats } : undefined,
      walBytes,
      watchers: this.hub.size,
      ttlKeys: this.ttl.size,
    };
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    // No new calls from here on (assertOpen and enqueue check `closing`).
    this.ttl.stop();
    await this.compactor.stop();
    // Let a paused WAL reset finish first: committing under its write lock would fail.
    await this.checkpointer?.stop();
    // Writes already queued complete: commit them now, in order.
    this.writes.drain();
    this.hub.closeAll(new StoreClosedError());
    this.db.close();
    this.lock?.release();
  }

  // ---- helpers ----

  private assertOpen(): void {
    if (this.closing) throw new StoreClosedError();
  }

  /** Re-checked after every yield of a chunked read at `rev`. */
  private assertReadable(rev: number): void {
    this.assertOpen();
    if (rev < this.compactor.compacted) throw new CompactedError(rev, this.compactor.compacted);
  }

  private readRevision(requested: number | undefined): number {
    if (requested === undefined || requested <= 0) return this.rev;
    if (requested > this.rev) throw new FutureRevisionError(requested, this.rev);
    if (requested < this.compactor.compacted) throw new CompactedError(requested, this.compactor.compacted);
    return requested;
  }

  private rangeStatements(range: KeyRange): Statements['ranges'][number] {
    return this.stmts.ranges[rangeIndex(range.fromExclusive, range.to !== undefined)] as Statements['ranges'][number];
  }

  private listRows(range: KeyRange, rev: number, limit: number): ListRow[] {
    return this.rangeStatements(range).list.all({ ...rangeParams(range), rev, limit }) as ListRow[];
  }

}

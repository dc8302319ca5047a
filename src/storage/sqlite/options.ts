/**
 * Options and defaults of the SQLite store. Each default names the behaviour it mirrors.
 */
import {
  DEFAULT_HISTORY_RETENTION_MS,
  DEFAULT_MAX_RETAIN_REVISIONS,
  DEFAULT_MIN_RETAIN_REVISIONS,
} from './compaction-policy.js';
import { DEFAULT_CHECKPOINT_INTERVAL_MS } from './checkpointer.js';

/** How often automatic compaction looks for history to drop (it keeps `historyRetentionMs`). */
export const DEFAULT_COMPACT_INTERVAL_MS = 60_000;
/** Most revisions per compaction transaction (kine's default compact batch size). */
export const DEFAULT_COMPACT_BATCH_REVISIONS = 1000;
/** Time a compaction transaction aims for; batches shrink below the maximum to stay near it. */
export const COMPACT_BATCH_TARGET_MS = 5;
/** Most writes committed in one transaction; more wait for the next event-loop turn. */
export const DEFAULT_MAX_BATCH_WRITES = 256;
/** SQLite page cache, KiB (the default 2 MiB makes a 20 MB list re-read the file). */
export const DEFAULT_CACHE_SIZE_KIB = 64 * 1024;
/** Time a synchronous list chunk aims for before yielding to the event loop. */
export const LIST_CHUNK_TARGET_MS = 4;
/** Revisions scanned per synchronous step of a watch replay. */
export const REPLAY_WINDOW_REVISIONS = 2000;
/** Names counted per synchronous step of `count`. */
export const COUNT_CHUNK_KEYS = 5000;
/** Retry delay for a TTL delete that failed for a reason other than a racing write. */
export const TTL_RETRY_MS = 1000;

export interface SqliteStoreOptions {
  /** Database file, or `':memory:'` (no WAL, no checkpointer, gone on close). */
  path: string;
  /**
   * Commit the writes issued in one event-loop turn in one transaction, resolving each after the
   * commit. Default true.
   */
  groupCommit?: boolean;
  /** Default DEFAULT_MAX_BATCH_WRITES. */
  maxBatchWrites?: number;
  /** Keep history written in the last this-many ms. Default 5 minutes. */
  historyRetentionMs?: number;
  /** Never compact the newest this-many revisions. Default 1000. */
  minRetainRevisions?: number;
  /** Never keep more than this many revisions of history. Default 100,000. */
  maxRetainRevisions?: number;
  /** Automatic compaction tick; 0 turns automatic compaction off. Default 60 s. */
  compactIntervalMs?: number;
  /** Most revisions per compaction transaction. Default DEFAULT_COMPACT_BATCH_REVISIONS. */
  compactBatchRevisions?: number;
  /**
   * WAL checkpoint tick of the worker thread; 0 = no worker, SQLite checkpoints inline on commit.
   * Default 1 s.
   */
  checkpointIntervalMs?: number;
  /** Default DEFAULT_CACHE_SIZE_KIB. */
  cacheSizeKiB?: number;
  /** Wall clock in ms (TTL expiry times are stored as wall-clock times). Default Date.now. */
  now?: () => number;
}

/** Options with every default filled in. */
export type ResolvedSqliteStoreOptions = Required<SqliteStoreOptions>;

/** Fills in defaults and rejects nonsense early, with the expected range in the message. */
export function resolveOptions(opts: SqliteStoreOptions): ResolvedSqliteStoreOptions {
  const r: ResolvedSqliteStoreOptions = {
    path: opts.path,
    groupCommit: opts.groupCommit ?? true,
    maxBatchWrites: opts.maxBatchWrites ?? DEFAULT_MAX_BATCH_WRITES,
    historyRetentionMs: opts.historyRetentionMs ?? DEFAULT_HISTORY_RETENTION_MS,
    minRetainRevisions: opts.minRetainRevisions ?? DEFAULT_MIN_RETAIN_REVISIONS,
    maxRetainRevisions: opts.maxRetainRevisions ?? DEFAULT_MAX_RETAIN_REVISIONS,
    compactIntervalMs: opts.compactIntervalMs ?? DEFAULT_COMPACT_INTERVAL_MS,
    compactBatchRevisions: opts.compactBatchRevisions ?? DEFAULT_COMPACT_BATCH_REVISIONS,
    checkpointIntervalMs: opts.checkpointIntervalMs ?? DEFAULT_CHECKPOINT_INTERVAL_MS,
    cacheSizeKiB: opts.cacheSizeKiB ?? DEFAULT_CACHE_SIZE_KIB,
    now: opts.now ?? Date.now,
  };
  if (typeof r.path !== 'string' || r.path === '') throw new TypeError('SQLite store needs a path (or ":memory:")');
  const positive: Array<keyof ResolvedSqliteStoreOptions> = ['maxBatchWrites', 'compactBatchRevisions', 'cacheSizeKiB'];
  for (const k of positive) {
    const v = r[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new RangeError(`${k} must be an integer >= 1, got ${String(v)}`);
  }
  const nonNegative: Array<keyof ResolvedSqliteStoreOptions> = [
    'historyRetentionMs',
    'minRetainRevisions',
    'maxRetainRevisions',
    'compactIntervalMs',
    'checkpointIntervalMs',
  ];
  for (const k of nonNegative) {
    const v = r[k];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new RangeError(`${k} must be a number >= 0, got ${String(v)}`);
  }
  return r;
}

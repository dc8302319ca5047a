/**
 * The storage contract every backend implements (SQLite embedded, etcd later). It is modelled on
 * etcd's key-value API as Kubernetes uses it: one global, monotonically increasing revision;
 * every write gets a new revision; optimistic concurrency by expected revision; watches replay
 * history from a revision and then go live; compaction forgets history, after which asking for
 * it fails with CompactedError (the API server's 410 Gone).
 *
 * Values are opaque strings (the API server stores JSON without `metadata.resourceVersion`; it
 * sets that from `modRevision` when reading, as Kubernetes does with etcd).
 */

export interface KeyValue {
  key: string;
  value: string;
  /** Revision of the write that produced this value (the object's resourceVersion). */
  modRevision: number;
  /** Revision of the write that created the key. */
  createRevision: number;
}

export interface StoreEvent {
  type: 'put' | 'delete';
  /** For `put`: the new value. For `delete`: the last value, with `modRevision` = the delete's revision. */
  kv: KeyValue;
  /** The value before this event, when there was one. */
  prevKv?: KeyValue;
}

export interface ListOptions {
  /** Max items to return; 0 or absent = all. */
  limit?: number;
  /** Return keys strictly greater than this one (paging). */
  afterKey?: string;
  /**
   * List the state as of this revision; 0 or absent = latest. Fails with CompactedError if it is
   * older than the compacted revision, and with FutureRevisionError if it is newer than the
   * current revision (etcd's `ErrCompacted` / `ErrFutureRev`).
   */
  revision?: number;
}

export interface ListResult {
  items: KeyValue[];
  /** The revision the list reflects (pass it back for further pages and to start a watch). */
  revision: number;
  /** True if more keys match beyond the returned page. */
  more: boolean;
  /** How many matching keys follow this page, when cheaply known. */
  remaining?: number;
}

export interface WriteOptions {
  /** Delete the key this many seconds after the write (Kubernetes' event TTL, leases). */
  ttlSeconds?: number;
}

export interface WatchOptions {
  /** Deliver events with revision > this; 0 = only events after the watch starts. */
  afterRevision: number;
  /** Stops the watch; the store releases everything it holds for it. */
  signal: AbortSignal;
  /**
   * Called with events in revision order, in batches. Synchronous and fast: the store may call it
   * from inside its write path. A watcher that cannot keep up must buffer or drop itself.
   */
  onEvents: (events: StoreEvent[]) => void;
  /** Called once if the watch ends for a reason other than the signal (store closing, overflow). */
  onClose?: (err?: Error) => void;
}

export interface Store {
  /** The newest revision written (0 for an empty store). */
  currentRevision(): Promise<number>;
  /** Revision at or below which history has been compacted away. */
  compactedRevision(): Promise<number>;
  get(key: string): Promise<KeyValue | undefined>;
  /** Keys with this prefix, in key order. */
  list(prefix: string, opts?: ListOptions): Promise<ListResult>;
  /** Number of live keys with this prefix. */
  count(prefix: string): Promise<number>;
  /** Creates a key; throws KeyExistsError if it exists. */
  create(key: string, value: string, opts?: WriteOptions): Promise<KeyValue>;
  /** Replaces a key's value if its modRevision equals `expectedRevision`; throws RevisionConflictError or KeyNotFoundError. */
  update(key: string, value: string, expectedRevision: number, opts?: WriteOptions): Promise<KeyValue>;
  /** Deletes a key (if `expectedRevision` is given, only at that revision). Returns the deleted value with the delete's revision. */
  delete(key: string, expectedRevision?: number): Promise<KeyValue>;
  /**
   * Watches keys with a prefix. Resolves once the watch is established: history after
   * `afterRevision` has been delivered and live events follow. Rejects with CompactedError if
   * `afterRevision` is older than the compacted revision; a failure after it resolved (or while
   * replaying) is reported through `onClose`.
   */
  watch(prefix: string, opts: WatchOptions): Promise<void>;
  /**
   * Present on stores other processes write to as well (etcd, shared by several API servers):
   * reads the current revision (linearizably) and resolves with it once this store's open
   * watches have delivered every event up to it, so a cache fed by a watch then reflects every
   * write acknowledged before the call, whoever made it (Kubernetes' consistent reads from the
   * watch cache). Stores that notify watchers inside their own write path (SQLite) omit it.
   */
  syncWatches?(): Promise<number>;
  /**
   * Forgets history at or below `revision` (the latest value of every live key is kept).
   * Compacting to a revision already compacted is a no-op; a revision newer than the current one
   * fails with FutureRevisionError.
   */
  compact(revision: number): Promise<void>;
  /**
   * Flushes and closes; pending writes complete first. Open watches end with `onClose` and a
   * StoreClosedError; later calls reject with StoreClosedError.
   */
  close(): Promise<void>;
}

export class KeyExistsError extends Error {
  constructor(readonly key: string) {
    super(`key already exists: ${key}`);
    this.name = 'KeyExistsError';
  }
}

export class KeyNotFoundError extends Error {
  constructor(readonly key: string) {
    super(`key not found: ${key}`);
    this.name = 'KeyNotFoundError';
  }
}

export class RevisionConflictError extends Error {
  constructor(
    readonly key: string,
    readonly expected: number,
    readonly actual: number,
  ) {
    super(`revision conflict on ${key}: expected ${expected}, found ${actual}`);
    this.name = 'RevisionConflictError';
  }
}

export class CompactedError extends Error {
  constructor(
    readonly requested: number,
    readonly compacted: number,
  ) {
    super(`required revision ${requested} has been compacted (compacted through ${compacted})`);
    this.name = 'CompactedError';
  }
}

/** A read or compaction asked for a revision the store has not reached yet (etcd's ErrFutureRev). */
export class FutureRevisionError extends Error {
  constructor(
    readonly requested: number,
    readonly current: number,
  ) {
    super(`required revision ${requested} is a future revision (current revision is ${current})`);
    this.name = 'FutureRevisionError';
  }
}

/** The store was closed (or is closing) and takes no new calls. */
export class StoreClosedError extends Error {
  constructor() {
    super('store is closed');
    this.name = 'StoreClosedError';
  }
}

/**
 * The Store on etcd, laid out as Kubernetes lays itself out there: the API server's keys as they
 * are (`/registry/<resource>/<namespace>/<name>`), etcd's revisions as resourceVersions, values
 * as written. Each operation is the etcd request Kubernetes' etcd3 storage makes:
 *
 * - create: a transaction "create_revision(key) = 0 → put, else get";
 * - update/delete with a precondition: "mod_revision(key) = expected → write, else get", the
 *   failure branch's read telling a conflict (with the current revision) from a missing key;
 * - lists: ranges at a revision, fetched in pages so no single response is huge;
 * - TTLs: leases, reused across writes (./lease-manager.ts);
 * - watches: one etcd watch stream for the whole store (./watch-feed.ts);
 * - compaction: on request, and periodically as Kubernetes' API servers do (./compactor.ts).
 *
 * etcd's `ErrCompacted` and `ErrFutureRev` become CompactedError and FutureRevisionError; a
 * compaction to a revision already compacted is a no-op.
 */
import {
  CompactedError,
  FutureRevisionError,
  KeyExistsError,
  KeyNotFoundError,
  RevisionConflictError,
  StoreClosedError,
  type KeyValue,
  type ListOptions,
  type ListResult,
  type Store,
  type WatchOptions,
  type WriteOptions,
} from '../store.js';
import { EtcdClient, EtcdError, type EtcdEndpoint, type EtcdTlsFiles } from './etcd-client.js';
import { EtcdCompactor } from './compactor.js';
import { pageStart, prefixRange, toKeyValue } from './keys.js';
import { LeaseManager } from './lease-manager.js';
import { CMP_EQUAL, TARGET_CREATE, TARGET_MOD, type RangeResponseMsg, type TxnResponseMsg } from './proto/messages.js';
import { WatchFeed } from './watch-feed.js';

/** Keys per range request when a list asks for everything (Kubernetes pages the cacher's list too). */
export const LIST_PAGE_KEYS = 1000;
/** How long a consistent read waits for the watch to reach the current revision. */
export const SYNC_WATCH_TIMEOUT_MS = 10_000;
/** A key that never exists, read to learn the current revision. */
const PROBE_KEY = Buffer.from([0]);

export interface EtcdStoreOptions {
  endpoints: EtcdEndpoint[];
  tls?: EtcdTlsFiles;
  /** Budget of one call including failover retries. */
  requestTimeoutMs?: number;
  /**
   * Automatic compaction interval (Kubernetes' --etcd-compaction-interval, default 5 minutes);
   * 0 turns it off (for tests, and when something else compacts this etcd).
   */
  compactionIntervalMs?: number;
  log?: (msg: string) => void;
}

/** Connects to etcd (checking that it answers) and returns the store. */
export async function openEtcdStore(opts: EtcdStoreOptions): Promise<EtcdStore> {
  const store = new EtcdStore(opts);
  try {
    await store.currentRevision();
  } catch (err) {
    await store.close();
    throw new Error(`cannot reach etcd at ${opts.endpoints.map((e) => `${e.host}:${e.port}`).join(',')}: ${(err as Error).message}`);
  }
  store.startCompactor();
  return store;
}

export class EtcdStore implements Store {
  readonly client: EtcdClient;
  private readonly feed: WatchFeed;
  private readonly leases: LeaseManager;
  private readonly compactor: EtcdCompactor;
  private readonly inflight = new Set<Promise<unknown>>();
  /** Highest compacted revision this store has seen (a hint for compactedRevision). */
  private knownCompacted = 0;
  private closing: Promise<void> | undefined;
  private syncing: Promise<number> | undefined;
  private nextSync: Promise<number> | undefined;

  constructor(opts: EtcdStoreOptions) {
    const log = opts.log ?? (() => {});
    this.client = new EtcdClient({ endpoints: opts.endpoints, ...(opts.tls ? { tls: opts.tls } : {}), ...(opts.requestTimeoutMs ? { requestTimeoutMs: opts.requestTimeoutMs } : {}) });
    this.feed = new WatchFeed(this.client, () => this.readRevision(), log);
    this.leases = new LeaseManager(this.client);
    this.compactor = new EtcdCompactor(this.client, opts.compactionIntervalMs ?? 5 * 60_000, log, (rev) => this.noteCompacted(rev));
  }

  /** Starts periodic compaction (openEtcdStore does). */
  startCompactor(): void {
    this.compactor.start();
  }

  currentRevision(): Promise<number> {
    return this.op(() => this.readRevision());
  }

  compactedRevision(): Promise<number> {
    return this.op(() => this.findCompacted());
  }

  get(key: string): Promise<KeyValue | undefined> {
    return this.op(async () => {
      const res = await this.client.range({ key });
      const kv = res.kvs[0];
      return kv ? toKeyValue(kv) : undefined;
    });
  }

  list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    return this.op(async () => {
      const { rangeEnd } = prefixRange(prefix);
      let start = pageStart(prefix, opts.afterKey);
      let revision = opts.revision && opts.revision > 0 ? opts.revision : 0;
      const limit = opts.limit && opts.limit > 0 ? opts.limit : 0;
      const items: KeyValue[] = [];
      for (;;) {
        const res = await this.rangeAt({ key: start, rangeEnd, limit: limit > 0 ? limit : LIST_PAGE_KEYS, revision }, revision);
        // Later pages are read at the first page's revision, so the whole list is one snapshot.
        if (revision === 0) revision = res.header?.revision ?? 0;
        for (const kv of res.kvs) items.push(toKeyValue(kv));
        const more = res.more;
        if (limit > 0 || !more || res.kvs.length === 0) {
          return { items, revision, more, ...(limit > 0 ? { remaining: Math.max(0, res.count - res.kvs.length) } : {}) };
        }
        start = Buffer.concat([(res.kvs[res.kvs.length - 1] as { key: Buffer }).key, PROBE_KEY]);
      }
    });
  }

  count(prefix: string): Promise<number> {
    return this.op(async () => (await this.client.range({ ...prefixRange(prefix), countOnly: true })).count);
  }

  create(key: string, value: string, opts: WriteOptions = {}): Promise<KeyValue> {
    return this.op(async () => {
      const res = await this.withLease(opts, (lease) =>
        this.client.txn({
          compare: [{ result: CMP_EQUAL, target: TARGET_CREATE, key, createRevision: 0 }],
          success: [{ requestPut: { key, value, ...(lease ? { lease } : {}) } }],
          failure: [{ requestRange: { key, keysOnly: true } }],
        }),
      );
      if (!res.succeeded) throw new KeyExistsError(key);
      const rev = revisionOf(res);
      return { key, value, modRevision: rev, createRevision: rev };
    });
  }

  update(key: string, value: string, expectedRevision: number, opts: WriteOptions = {}): Promise<KeyValue> {
    return this.op(async () => {
      const res = await this.withLease(opts, (lease) =>
        this.client.txn({
          compare: [{ result: CMP_EQUAL, target: TARGET_MOD, key, modRevision: expectedRevision }],
          // The read before the put gives the key's create revision without returning its value.
          success: [{ requestRange: { key, keysOnly: true } }, { requestPut: { key, value, ...(lease ? { lease } : {}) } }],
          failure: [{ requestRange: { key, keysOnly: true } }],
        }),
      );
      if (!res.succeeded) throw preconditionFailure(key, expectedRevision, res);
      const createRevision = res.responses[0]?.responseRange?.kvs[0]?.createRevision ?? 0;
      return { key, value, modRevision: revisionOf(res), createRevision };
    });
  }

  delete(key: string, expectedRevision?: number): Promise<KeyValue> {
    return this.op(async () => {
      if (expectedRevision === undefined) {
        const res = await this.client.deleteRange({ key, prevKv: true });
        const prev = res.prevKvs[0];
        if (!prev) throw new KeyNotFoundError(key);
        return { ...toKeyValue(prev), modRevision: res.header?.revision ?? 0 };
      }
      const res = await this.client.txn({
        compare: [{ result: CMP_EQUAL, target: TARGET_MOD, key, modRevision: expectedRevision }],
        success: [{ requestDeleteRange: { key, prevKv: true } }],
        failure: [{ requestRange: { key, keysOnly: true } }],
      });
      if (!res.succeeded) throw preconditionFailure(key, expectedRevision, res);
      const prev = res.responses[0]?.responseDeleteRange?.prevKvs[0];
      if (!prev) throw new KeyNotFoundError(key);
      return { ...toKeyValue(prev), modRevision: revisionOf(res) };
    });
  }

  watch(prefix: string, opts: WatchOptions): Promise<void> {
    return this.op(() => this.feed.watch(prefix, opts), { tracked: false });
  }

  /**
   * Reads the current revision (a linearizable read) and resolves with it once this store's
   * watches have delivered every event up to it: a watch-fed cache then reflects every write
   * acknowledged before the call, whichever API server made it.
   */
  syncWatches(): Promise<number> {
    return this.op(() => this.coalescedSync(), { tracked: false });
  }

  /**
   * Concurrent consistent reads share revision reads: a caller arriving while one is in flight
   * waits for the next one, which starts after its arrival (so it still sees every write
   * acknowledged before the call) and serves everyone who arrived meanwhile.
   */
  private coalescedSync(): Promise<number> {
    if (!this.syncing) {
      this.syncing = (async () => {
        const rev = await this.readRevision();
        await this.feed.waitFor(rev, SYNC_WATCH_TIMEOUT_MS);
        return rev;
      })().finally(() => (this.syncing = undefined));
      return this.syncing;
    }
    this.nextSync ??= this.syncing
      .catch(() => 0)
      .then(() => {
        this.nextSync = undefined;
        return this.coalescedSync();
      });
    return this.nextSync;
  }

  compact(revision: number): Promise<void> {
    return this.op(async () => {
      try {
        await this.client.compact(revision);
        this.noteCompacted(revision);
      } catch (err) {
        if (err instanceof EtcdError && err.compacted) return;
        if (err instanceof EtcdError && err.futureRevision) throw new FutureRevisionError(revision, await this.readRevision());
        throw err;
      }
    });
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.compactor.stop();
      // Writes already issued complete; nothing new starts (op() checks `closing`).
      await Promise.allSettled([...this.inflight]);
      this.feed.close();
      this.client.close();
    })();
    return this.closing;
  }

  /** Runs an operation unless the store is closing; tracked operations delay close(). */
  private op<T>(fn: () => Promise<T>, o: { tracked: boolean } = { tracked: true }): Promise<T> {
    if (this.closing) return Promise.reject(new StoreClosedError());
    const p = fn();
    if (o.tracked) {
      this.inflight.add(p);
      const untrack = () => this.inflight.delete(p);
      p.then(untrack, untrack);
    }
    return p;
  }

  private async readRevision(): Promise<number> {
    const res = await this.client.range({ key: PROBE_KEY, countOnly: true });
    return res.header?.revision ?? 0;
  }

  /** A range at `revision`, with etcd's revision errors mapped to the Store's. */
  private async rangeAt(req: Parameters<EtcdClient['range']>[0], revision: number): Promise<RangeResponseMsg> {
    try {
      return await this.client.range(req);
    } catch (err) {
      if (err instanceof EtcdError && err.compacted) {
        const compacted = await this.findCompacted();
        throw new CompactedError(revision, compacted);
      }
      if (err instanceof EtcdError && err.futureRevision) throw new FutureRevisionError(revision, await this.readRevision());
      throw err;
    }
  }

  private noteCompacted(rev: number): void {
    if (rev > this.knownCompacted) this.knownCompacted = rev;
  }

  /**
   * etcd 3.4 does not report its compacted revision, but a range at revision r fails with
   * ErrCompacted exactly when r is below it: search for the smallest readable revision, starting
   * from the last one seen (usually right).
   */
  private async findCompacted(): Promise<number> {
    const readable = async (rev: number): Promise<boolean> => {
      try {
        await this.client.range({ key: PROBE_KEY, countOnly: true, revision: rev });
        return true;
      } catch (err) {
        if (err instanceof EtcdError && err.compacted) return false;
        throw err;
      }
    };
    const hint = this.knownCompacted;
    if (hint > 1 && (await readable(hint)) && !(await readable(hint - 1))) return hint;
    let lo = 1;
    let hi = await this.readRevision();
    if (await readable(lo)) return hint <= 1 ? hint : 0;
    // Invariant: lo is not readable, hi is.
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (await readable(mid)) hi = mid;
      else lo = mid;
    }
    this.noteCompacted(hi);
    return hi;
  }

  /** Runs a write with the lease its TTL needs; a lease that expired meanwhile is replaced once. */
  private async withLease<T>(opts: WriteOptions, write: (lease: bigint | undefined) => Promise<T>): Promise<T> {
    if (!opts.ttlSeconds || opts.ttlSeconds <= 0) return write(undefined);
    const ttl = Math.ceil(opts.ttlSeconds);
    const lease = await this.leases.leaseFor(ttl);
    try {
      return await write(lease);
    } catch (err) {
      if (!(err instanceof EtcdError) || !err.details.includes('requested lease not found')) throw err;
      this.leases.forget(lease);
      return write(await this.leases.leaseFor(ttl));
    }
  }
}

function revisionOf(res: TxnResponseMsg): number {
  return res.header?.revision ?? 0;
}

/** The error for a failed "mod_revision = expected" guard, from the failure branch's read. */
function preconditionFailure(key: string, expected: number, res: TxnResponseMsg): Error {
  const cur = res.responses[0]?.responseRange?.kvs[0];
  return cur ? new RevisionConflictError(key, expected, cur.modRevision) : new KeyNotFoundError(key);
}

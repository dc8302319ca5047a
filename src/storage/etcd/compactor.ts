/**
 * Periodic compaction of etcd's history, as Kubernetes' API server does it
 * (k8s.io/apiserver pkg/storage/etcd3/compact.go): every interval, compact to the revision seen
 * at the previous tick, so watchers always have at least one interval of history to resume from.
 * Several API servers share the job through the version of one key: each tick, a transaction
 * bumps `compact_rev_key` only if its version is still what this server saw last time; the one
 * server whose transaction succeeds compacts, the others learn the new version and wait.
 */
import type { EtcdClient } from './etcd-client.js';
import { CMP_EQUAL, TARGET_VERSION } from './proto/messages.js';

/** Kubernetes' default --etcd-compaction-interval. */
export const DEFAULT_ETCD_COMPACTION_INTERVAL_MS = 5 * 60_000;
/** The key Kubernetes' API servers coordinate compaction through. */
export const COMPACT_REV_KEY = 'compact_rev_key';

export class EtcdCompactor {
  private timer: NodeJS.Timeout | undefined;
  /** Version of COMPACT_REV_KEY this server last saw. */
  private version = 0;
  /** Revision seen at the previous tick: what the next tick compacts to. */
  private lastRevision = 0;
  private running: Promise<void> | undefined;

  constructor(
    private readonly client: EtcdClient,
    private readonly intervalMs: number,
    private readonly log: (msg: string) => void,
    private readonly onCompacted: (revision: number) => void = () => {},
  ) {}

  start(): void {
    if (this.timer || this.intervalMs <= 0) return;
    // The first tick only records the revision (Kubernetes does not compact on bootstrap).
    this.timer = setInterval(() => {
      this.running ??= this.tick()
        .catch((err: unknown) => this.log(`etcd compaction failed: ${(err as Error).message}`))
        .finally(() => (this.running = undefined));
    }, this.intervalMs);
    this.timer.unref();
    this.running = this.tick()
      .catch((err: unknown) => this.log(`etcd compaction failed: ${(err as Error).message}`))
      .finally(() => (this.running = undefined));
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One round: claim this interval's compaction, then compact to the previous round's revision. */
  async tick(): Promise<void> {
    const res = await this.client.txn({
      compare: [{ result: CMP_EQUAL, target: TARGET_VERSION, key: COMPACT_REV_KEY, version: this.version }],
      success: [{ requestPut: { key: COMPACT_REV_KEY, value: String(this.lastRevision) } }],
      failure: [{ requestRange: { key: COMPACT_REV_KEY } }],
    });
    const current = res.header?.revision ?? 0;
    if (!res.succeeded) {
      // Another server compacted this interval (or our view was stale): adopt its version.
      this.version = res.responses[0]?.responseRange?.kvs[0]?.version ?? 0;
      this.lastRevision = current;
      return;
    }
    this.version++;
    const target = this.lastRevision;
    this.lastRevision = current;
    if (target === 0) return;
    try {
      await this.client.compact(target);
      this.onCompacted(target);
    } catch (err) {
      // Someone compacted further already: nothing to do.
      if (!(err as { compacted?: boolean }).compacted) throw err;
    }
  }
}

/**
 * Which revision automatic compaction may compact to. Kubernetes' API server compacts etcd every
 * five minutes to the revision it saw at the previous tick (k8s.io/apiserver
 * pkg/storage/etcd3/compact.go), so clients keep at least one interval of history to resume
 * watches from; kine never compacts the newest 1000 revisions. This policy keeps:
 *
 * - every revision written in the last `retentionMs` (time window), but
 * - never more than `maxRetainRevisions` revisions (so heavy churn cannot grow the file without
 *   bound between ticks), and
 * - never fewer than `minRetainRevisions` revisions (so a quiet store keeps a useful tail).
 */

/** History kept by time: Kubernetes' default compaction interval. */
export const DEFAULT_HISTORY_RETENTION_MS = 5 * 60_000;
/** Revisions always kept (kine's compactMinRetain). */
export const DEFAULT_MIN_RETAIN_REVISIONS = 1000;
/** Revisions kept at most, whatever their age. */
export const DEFAULT_MAX_RETAIN_REVISIONS = 100_000;

export interface CompactionPolicyOptions {
  retentionMs: number;
  minRetainRevisions: number;
  maxRetainRevisions: number;
}

export class CompactionPolicy {
  /** `(time, revision)` observations, oldest first. */
  private readonly samples: Array<{ at: number; revision: number }> = [];

  constructor(private readonly opts: CompactionPolicyOptions) {
    if (opts.minRetainRevisions < 0 || opts.maxRetainRevisions < opts.minRetainRevisions) {
      throw new Error(
        `invalid compaction retention: min ${opts.minRetainRevisions} must be >= 0 and <= max ${opts.maxRetainRevisions}`,
      );
    }
  }

  /** Records the current revision at time `now` (called on every compaction tick). */
  observe(now: number, revision: number): void {
    const last = this.samples[this.samples.length - 1];
    if (last && last.revision === revision) return;
    this.samples.push({ at: now, revision });
  }

  /**
   * The revision to compact to at `now` when the store is at `current`, or 0 for none. Never above
   * `pinned` (the oldest revision an in-flight read or watch replay still needs).
   */
  target(now: number, current: number, pinned = Infinity): number {
    // The newest revision that is older than the retention window.
    // Every revision up to one observed before the window began was written before it too. Keep
    // the newest such sample (and drop older ones) so the next tick can use it again.
    const cutoff = now - this.opts.retentionMs;
    const s = this.samples;
    while (s.length > 1 && (s[1] as { at: number }).at <= cutoff) s.shift();
    const oldest = s[0];
    const byTime = oldest && oldest.at <= cutoff ? oldest.revision : 0;
    let target = Math.max(byTime, current - this.opts.maxRetainRevisions);
    target = Math.min(target, current - this.opts.minRetainRevisions, pinned);
    return Math.max(0, target);
  }
}

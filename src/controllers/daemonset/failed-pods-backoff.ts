/**
 * Per-node back-off for deleting failed daemon pods (client-go's flowcontrol.Backoff as the
 * DaemonSet controller uses it). A node agent that rejects a pod (it fails at once) would
 * otherwise make the controller delete and recreate it in a hot loop; instead, after each deletion
 * the next one on that node waits 1 s, 2 s, 4 s … up to 15 min. An entry idle for twice the
 * maximum starts over, and idle entries are forgotten.
 */
import type { Clock } from '../../client/clock.js';

/** Kubernetes' failedPodsBackoff: 1 s initial, 15 min cap. */
export const FAILED_POD_BACKOFF_INITIAL_MS = 1_000;
export const FAILED_POD_BACKOFF_MAX_MS = 15 * 60_000;

interface Entry {
  durationMs: number;
  lastUpdate: number;
}

export class FailedPodsBackoff {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly clock: Clock,
    private readonly initialMs = FAILED_POD_BACKOFF_INITIAL_MS,
    private readonly maxMs = FAILED_POD_BACKOFF_MAX_MS,
  ) {}

  /** The current delay for `key` (0 when it has none). */
  get(key: string): number {
    return this.entries.get(key)?.durationMs ?? 0;
  }

  /** Records one more deletion: the delay starts at the initial value or doubles, up to the cap. */
  next(key: string): void {
    const now = this.clock.now();
    const e = this.entries.get(key);
    if (!e || now - e.lastUpdate > 2 * this.maxMs) {
      this.entries.set(key, { durationMs: this.initialMs, lastUpdate: now });
      return;
    }
    e.durationMs = Math.min(e.durationMs * 2, this.maxMs);
    e.lastUpdate = now;
  }

  /** Whether the last deletion for `key` was less than its delay ago (IsInBackOffSinceUpdate). */
  isInBackOffSinceUpdate(key: string): boolean {
    const e = this.entries.get(key);
    if (!e) return false;
    if (this.clock.now() - e.lastUpdate > 2 * this.maxMs) return false;
    return this.clock.now() - e.lastUpdate < e.durationMs;
  }

  /** Milliseconds until `key` leaves its back-off window (0 if it is not in one). */
  remaining(key: string): number {
    const e = this.entries.get(key);
    if (!e) return 0;
    return Math.max(0, e.lastUpdate + e.durationMs - this.clock.now());
  }

  /** Forgets entries idle for more than twice the cap (flowcontrol.Backoff.GC). */
  gc(): void {
    const now = this.clock.now();
    for (const [k, e] of this.entries) if (now - e.lastUpdate > 2 * this.maxMs) this.entries.delete(k);
  }

  get size(): number {
    return this.entries.size;
  }
}

/**
 * Container restart back-off (kubelet's flowcontrol.Backoff keyed per pod container): the first
 * restart is immediate; after that a container that exits waits 10 s, 20 s, 40 s … capped at
 * 300 s before it is started again (CrashLoopBackOff). An entry whose last back-off started more
 * than twice the cap (10 min) before the exit being judged is reset — a container that ran that
 * long starts over at 10 s.
 */
import type { Clock } from '../../client/clock.js';

export const BACKOFF_INITIAL_MS = 10_000;
export const BACKOFF_MAX_MS = 300_000;

interface Entry {
  backoffMs: number;
  lastUpdate: number;
}

export class CrashBackoff {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly clock: Clock,
    private readonly initialMs = BACKOFF_INITIAL_MS,
    private readonly maxMs = BACKOFF_MAX_MS,
  ) {}

  private expired(eventTime: number, e: Entry): boolean {
    return eventTime - e.lastUpdate > 2 * this.maxMs;
  }

  /**
   * If the container that exited at `eventTime` must still wait, the ms left (and the current
   * back-off, for the message); undefined when it may restart now.
   */
  remaining(key: string, eventTime: number): { leftMs: number; backoffMs: number } | undefined {
    const e = this.entries.get(key);
    if (!e || this.expired(eventTime, e)) return undefined;
    const left = e.backoffMs - (this.clock.now() - eventTime);
    return left > 0 ? { leftMs: left, backoffMs: e.backoffMs } : undefined;
  }

  /** Records a restart of the container that exited at `eventTime` (doubles the next wait). */
  next(key: string, eventTime: number): void {
    const e = this.entries.get(key);
    if (!e || this.expired(eventTime, e)) this.entries.set(key, { backoffMs: this.initialMs, lastUpdate: this.clock.now() });
    else this.entries.set(key, { backoffMs: Math.min(e.backoffMs * 2, this.maxMs), lastUpdate: this.clock.now() });
  }

  /** Forgets every key with this prefix (a pod that is gone). */
  forgetPrefix(prefix: string): void {
    for (const k of this.entries.keys()) if (k.startsWith(prefix)) this.entries.delete(k);
  }
}

/** `1m20s`-style duration as Go prints time.Duration for back-off messages. */
export function formatGoDuration(ms: number): string {
  const total = Math.round(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h) return `${h}h${m}m${s}s`;
  if (m) return `${m}m${s}s`;
  return `${s}s`;
}

/**
 * Time, injected. Everything in the client that waits (work-queue back-off, informer reconnects,
 * leader-election renewals, event aggregation windows) reads and schedules time through a `Clock`,
 * so tests drive it with a `FakeClock` instead of sleeping.
 */

/** An opaque handle for a scheduled callback. */
export type TimerHandle = { readonly id: number };

export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Runs `fn` once after `ms` milliseconds. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** Callbacks waiting on each signal, behind the one listener `onAbort` adds to it. */
const abortWaiters = new WeakMap<AbortSignal, Set<{ fn: () => void }>>();

/**
 * Calls `fn` once when `signal` aborts (soon, if it already has); returns a function that cancels
 * the call. However many callers wait on one signal, it carries a single
 * listener: Node's EventTarget scans its listeners on every add and remove, so thousands of
 * sleepers on one shared signal (the loops of a fleet of simulated nodes) would make each sleep
 * cost time linear in their number.
 */
export function onAbort(signal: AbortSignal, fn: () => void): () => void {
  if (signal.aborted) {
    // Too late for a listener: call back soon, as an abort event would have.
    let cancelled = false;
    queueMicrotask(() => cancelled || fn());
    return () => {
      cancelled = true;
    };
  }
  let waiters = abortWaiters.get(signal);
  if (!waiters) {
    const set = new Set<{ fn: () => void }>();
    abortWaiters.set(signal, set);
    signal.addEventListener(
      'abort',
      () => {
        abortWaiters.delete(signal);
        for (const w of set) w.fn();
        set.clear();
      },
      { once: true },
    );
    waiters = set;
  }
  const entry = { fn };
  const set = waiters;
  set.add(entry);
  return () => {
    set.delete(entry);
  };
}

/** Resolves after `ms` on `clock`; rejects with the signal's reason if `signal` aborts first. */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortReason(signal));
      return;
    }
    let cancel: (() => void) | undefined;
    const handle = clock.setTimeout(() => {
      cancel?.();
      resolve();
    }, Math.max(0, ms));
    if (signal) {
      cancel = onAbort(signal, () => {
        clock.clearTimeout(handle);
        reject(abortReason(signal));
      });
    }
  });
}

/** Like `sleep` but resolves `false` instead of rejecting when `signal` aborts; `true` if the time passed. */
export async function sleepUnlessAborted(clock: Clock, ms: number, signal: AbortSignal): Promise<boolean> {
  try {
    await sleep(clock, ms, signal);
    return true;
  } catch {
    return false;
  }
}

/** An AbortSignal that aborts after `ms` on `clock` (AbortSignal.timeout only knows real time). */
export function timeoutSignal(clock: Clock, ms: number, parent?: AbortSignal): { signal: AbortSignal; cancel: () => void } {
  const ctl = new AbortController();
  const handle = clock.setTimeout(() => ctl.abort(new TimeoutError(`timed out after ${ms}ms`)), ms);
  let cancelParent: (() => void) | undefined;
  if (parent?.aborted) ctl.abort(parent.reason);
  else if (parent) cancelParent = onAbort(parent, () => ctl.abort(parent.reason));
  return {
    signal: ctl.signal,
    cancel: () => {
      clock.clearTimeout(handle);
      cancelParent?.();
    },
  };
}

/** The error a `timeoutSignal` aborts with. */
export class TimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TimeoutError';
  }
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}

let nextTimerId = 1;

class RealClock implements Clock {
  private readonly timers = new Map<number, NodeJS.Timeout>();
  now(): number {
    return Date.now();
  }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = nextTimerId++;
    const t = setTimeout(() => {
      this.timers.delete(id);
      fn();
    }, ms);
    this.timers.set(id, t);
    return { id };
  }
  clearTimeout(handle: TimerHandle): void {
    const t = this.timers.get(handle.id);
    if (t) {
      clearTimeout(t);
      this.timers.delete(handle.id);
    }
  }
}

/** Wall-clock time and real (unref'd) timers. */
export const realClock: Clock = new RealClock();

interface FakeTimer {
  id: number;
  at: number;
  seq: number;
  fn: () => void;
}

/**
 * A clock that only moves when told to. Timers fire in due-time order (ties in creation order)
 * during `advance`, each seeing `now()` equal to its due time, as a real clock would.
 */
export class FakeClock implements Clock {
  private time: number;
  private seq = 0;
  private readonly timers = new Map<number, FakeTimer>();
  private waiters: Array<{ count: number; resolve: () => void }> = [];

  /** Starts at `start` (ms since epoch; default 2024-01-01T00:00:00Z). */
  constructor(start = Date.UTC(2024, 0, 1)) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = nextTimerId++;
    this.timers.set(id, { id, at: this.time + Math.max(0, ms), seq: this.seq++, fn });
    this.notifyWaiters();
    return { id };
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers.delete(handle.id);
  }

  /** Number of scheduled, unfired timers. */
  pendingTimers(): number {
    return this.timers.size;
  }

  /** Due time of the earliest pending timer, if any. */
  nextTimerAt(): number | undefined {
    let min: number | undefined;
    for (const t of this.timers.values()) if (min === undefined || t.at < min) min = t.at;
    return min;
  }

  /**
   * Moves time forward by `ms`, firing due timers in order. Between timers it lets pending
   * promise callbacks run, so async code woken by one timer can schedule the next before time
   * moves on (as it would in real time).
   */
  async advance(ms: number): Promise<void> {
    const target = this.time + ms;
    for (;;) {
      await flushMicrotasks();
      const next = this.earliestDue(target);
      if (!next) break;
      this.timers.delete(next.id);
      this.time = Math.max(this.time, next.at);
      next.fn();
    }
    this.time = target;
    await flushMicrotasks();
  }

  /** Advances to the earliest pending timer and fires it (and any due at the same time). */
  async advanceToNextTimer(): Promise<void> {
    await flushMicrotasks();
    const at = this.nextTimerAt();
    if (at !== undefined) await this.advance(Math.max(0, at - this.time));
  }

  /** Resolves once at least `count` timers are pending (await a condition rather than sleeping). */
  waitForTimers(count = 1): Promise<void> {
    if (this.timers.size >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }

  private earliestDue(limit: number): FakeTimer | undefined {
    let best: FakeTimer | undefined;
    for (const t of this.timers.values()) {
      if (t.at > limit) continue;
      if (!best || t.at < best.at || (t.at === best.at && t.seq < best.seq)) best = t;
    }
    return best;
  }

  private notifyWaiters(): void {
    const ready = this.waiters.filter((w) => this.timers.size >= w.count);
    if (ready.length === 0) return;
    this.waiters = this.waiters.filter((w) => this.timers.size < w.count);
    for (const w of ready) w.resolve();
  }
}

/** Lets queued promise callbacks (and one macrotask turn) run. */
export function flushMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** RFC 3339 with seconds precision, as metav1.Time serialises: `2024-01-01T00:00:00Z`. */
export function formatTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** RFC 3339 with microseconds, as metav1.MicroTime serialises: `2024-01-01T00:00:00.123000Z`. */
export function formatMicroTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** Parses a metav1.Time or MicroTime string to ms since epoch (NaN if malformed). */
export function parseTime(value: string | undefined): number {
  return value ? Date.parse(value) : NaN;
}

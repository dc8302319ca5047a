/**
 * Runs a controller's sync function over its work queue, mapping the one outcome vocabulary
 * (STYLE.md §4, after controller-runtime's reconcile.Result):
 *
 * - `sync` resolves with nothing          → done; the key's back-off is forgotten;
 * - `sync` resolves `{ requeueAfterMs }`  → forget the back-off, process again at that time;
 * - `sync` throws `TerminalError`         → logged, not retried (it cannot succeed as things are);
 * - `sync` throws anything else           → logged, retried with the key's exponential back-off.
 *
 * 409 Conflicts are routine under optimistic concurrency (the cache lagged a write), so they are
 * retried like any error but logged at debug level only.
 */
import { isConflict } from '../api/errors.js';
import type { Logger } from './log.js';
import { silentLogger } from './log.js';
import type { WorkQueue } from './work-queue.js';

/** What a sync may ask for besides "done": to run again at a known future time. */
export type SyncResult = void | undefined | { requeueAfterMs: number };

/** A controller's reconcile function for one key. `signal` aborts when the controller stops. */
export type SyncFn = (key: string, signal: AbortSignal) => Promise<SyncResult>;

/** An error retrying cannot fix (invalid input, a permanent refusal): logged, never requeued. */
export class TerminalError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TerminalError';
  }
}

export interface WorkerOptions {
  logger?: Logger;
  /** Called after each sync with its outcome (metrics, tests). */
  onSynced?: (key: string, outcome: 'ok' | 'requeue' | 'error' | 'terminal', durationMs: number) => void;
}

/**
 * Runs `n` workers taking keys from `queue` until `signal` aborts. On abort the queue is shut
 * down, syncs in flight finish (their signal is aborted so they can stop early), keys still
 * queued are left alone, and the returned promise resolves.
 */
export async function runWorkers(queue: WorkQueue, n: number, sync: SyncFn, signal: AbortSignal, opts: WorkerOptions = {}): Promise<void> {
  const logger = (opts.logger ?? silentLogger).child({ queue: queue.name });
  const onAbort = (): void => queue.shutDown();
  if (signal.aborted) queue.shutDown();
  else signal.addEventListener('abort', onAbort, { once: true });
  try {
    await Promise.all(Array.from({ length: Math.max(1, n) }, () => worker(queue, sync, signal, logger, opts)));
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

async function worker(queue: WorkQueue, sync: SyncFn, signal: AbortSignal, logger: Logger, opts: WorkerOptions): Promise<void> {
  for (;;) {
    const key = await queue.get();
    if (key === undefined) return;
    if (signal.aborted) {
      // Stopping: hand the key back untouched rather than start new work.
      queue.done(key);
      return;
    }
    await processKey(queue, key, sync, signal, logger, opts);
  }
}

/** Runs one sync and applies its outcome to the queue. Exported for controllers' unit tests. */
export async function processKey(queue: WorkQueue, key: string, sync: SyncFn, signal: AbortSignal, logger: Logger = silentLogger, opts: WorkerOptions = {}): Promise<void> {
  const started = Date.now();
  let outcome: 'ok' | 'requeue' | 'error' | 'terminal';
  try {
    const result = await sync(key, signal);
    queue.forget(key);
    if (result && typeof result.requeueAfterMs === 'number') {
      outcome = 'requeue';
      queue.addAfter(key, result.requeueAfterMs);
    } else {
      outcome = 'ok';
    }
  } catch (err) {
    if (err instanceof TerminalError) {
      outcome = 'terminal';
      queue.forget(key);
      logger.error('sync failed permanently; not retrying', { key, error: err });
    } else {
      outcome = 'error';
      if (!signal.aborted) {
        const retries = queue.numRequeues(key);
        if (isConflict(err)) logger.debug('sync hit a conflict; retrying', { key, retries, error: err });
        else logger.warn('sync failed; retrying with back-off', { key, retries, error: err });
        queue.addRateLimited(key);
      }
    }
  } finally {
    queue.done(key);
  }
  opts.onSynced?.(key, outcome, Date.now() - started);
}

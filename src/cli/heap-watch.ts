/**
 * Warns before the server runs out of JavaScript heap. Node caps the heap (about 4 GiB by default
 * on 64-bit machines) whatever the machine has; a cluster of some 150,000 pods needs more, and a
 * crash with "JavaScript heap out of memory" says nothing about what to do. The warning does.
 */
import { getHeapStatistics } from 'node:v8';
import { totalmem } from 'node:os';
import type { Logger } from '../client/log.js';

/** Share of the heap limit at which the warning goes out (again after dropping below REARM). */
export const HEAP_WARN_RATIO = 0.85;
const HEAP_REARM_RATIO = 0.7;
const CHECK_MS = 10_000;

/** The advice: a heap limit of twice the current one, or three quarters of the machine's memory if that is more (MiB). */
export function heapAdvice(limitMb: number): string {
  const suggest = Math.max(Math.round(limitMb * 2), Math.round((totalmem() / 1048576) * 0.75));
  return `restart with a larger heap, e.g. NODE_OPTIONS=--max-old-space-size=${suggest} skiff server ...`;
}

/** Checks the heap every 10 s until `signal` aborts (`opts` for tests). */
export function watchHeap(logger: Pick<Logger, 'warn'>, signal: AbortSignal, opts: { intervalMs?: number; stats?: () => { used_heap_size: number; heap_size_limit: number } } = {}): void {
  let warned = false;
  const stats = opts.stats ?? getHeapStatistics;
  const timer = setInterval(() => {
    const { used_heap_size: used, heap_size_limit: limit } = stats();
    const ratio = used / limit;
    if (!warned && ratio >= HEAP_WARN_RATIO) {
      warned = true;
      const limitMb = Math.round(limit / 1048576);
      logger.warn(`the JavaScript heap is ${Math.round(ratio * 100)} % full (${Math.round(used / 1048576)} of ${limitMb} MiB, Node's limit): the server will stop when it runs out; ${heapAdvice(limitMb)}`);
    } else if (warned && ratio < HEAP_REARM_RATIO) warned = false;
  }, opts.intervalMs ?? CHECK_MS);
  timer.unref();
  signal.addEventListener('abort', () => clearInterval(timer), { once: true });
}

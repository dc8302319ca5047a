/**
 * The controller work queue, with client-go's semantics (workqueue.Type + delaying +
 * rate-limiting):
 *
 * - it holds keys, not objects; a key is queued at most once (`dirty` set);
 * - a key is processed by one worker at a time: a key added while it is being processed is
 *   queued again once, when the worker calls `done` (`processing` set);
 * - `addAfter(key, ms)` parks a key until a time on the injected Clock (one timer, a min-heap),
 *   keeping the earlier time if it is parked twice;
 * - `addRateLimited(key)` parks it for the rate limiter's delay (per-key exponential back-off and
 *   an overall token bucket); `forget(key)` resets its back-off after a success;
 * - `shutDown()` refuses new keys and wakes idle workers; keys already queued are still handed
 *   out; `shutDownWithDrain()` also waits for the keys being processed.
 */
import type { Clock, TimerHandle } from './clock.js';
import { realClock } from './clock.js';
import type { RateLimiter } from './rate-limiter.js';
import { defaultControllerRateLimiter } from './rate-limiter.js';

export interface WorkQueueOptions {
  /** For logs and metrics. */
  name?: string;
  clock?: Clock;
  /** Default: defaultControllerRateLimiter(clock). */
  rateLimiter?: RateLimiter;
}

interface Parked {
  key: string;
  at: number;
}

export class WorkQueue {
  readonly name: string;
  private readonly clock: Clock;
  private readonly limiter: RateLimiter;
  /** FIFO of keys ready to hand out (array with a moving head, compacted lazily). */
  private queue: string[] = [];
  private head = 0;
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private waiters: Array<(key: string | undefined) => void> = [];
  private shuttingDown = false;
  private drainWaiters: Array<() => void> = [];
  /** Authoritative ready time of each parked key; heap entries that disagree are stale. */
  private readonly parked = new Map<string, number>();
  private heap: Parked[] = [];
  private timer: { handle: TimerHandle; at: number } | undefined;

  constructor(opts: WorkQueueOptions = {}) {
    this.name = opts.name ?? 'queue';
    this.clock = opts.clock ?? realClock;
    this.limiter = opts.rateLimiter ?? defaultControllerRateLimiter(this.clock);
  }

  /** Queues `key` now (no-op if already queued, or after shutdown). */
  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.add(key);
    if (this.processing.has(key)) return; // re-queued by done()
    this.enqueue(key);
  }

  /** Queues `key` after `ms` milliseconds (now if `ms` <= 0). */
  addAfter(key: string, ms: number): void {
    if (this.shuttingDown) return;
    if (ms <= 0) {
      this.add(key);
      return;
    }
    const at = this.clock.now() + ms;
    const existing = this.parked.get(key);
    if (existing !== undefined && existing <= at) return;
    this.parked.set(key, at);
    heapPush(this.heap, { key, at });
    this.armTimer();
  }

  /** Queues `key` after the rate limiter's delay for it (one more failure). */
  addRateLimited(key: string): void {
    this.addAfter(key, this.limiter.when(key));
  }

  /** Resets `key`'s back-off (call after it was processed successfully). */
  forget(key: string): void {
    this.limiter.forget(key);
  }

  /** How many times `key` has been rate-limited since it was last forgotten. */
  numRequeues(key: string): number {
    return this.limiter.numRequeues(key);
  }

  /**
   * The next key to process, waiting for one if needed; `undefined` once the queue is shut down
   * and empty. The caller must call `done(key)` when finished with it.
   */
  get(): Promise<string | undefined> {
    const key = this.dequeue();
    if (key !== undefined) return Promise.resolve(key);
    if (this.shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Marks `key` finished; if it was added meanwhile, it is queued again. */
  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.has(key)) this.enqueue(key);
    else if (this.shuttingDown && this.processing.size === 0) this.resolveDrain();
  }

  /** Keys ready to be handed out. */
  len(): number {
    return this.queue.length - this.head;
  }

  /** Keys parked for later (addAfter / addRateLimited). */
  parkedCount(): number {
    return this.parked.size;
  }

  isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /** Stops accepting keys and drops parked ones; idle workers get `undefined`. */
  shutDown(): void {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    if (this.timer) this.clock.clearTimeout(this.timer.handle);
    this.timer = undefined;
    this.parked.clear();
    this.heap = [];
    if (this.len() === 0) {
      const waiters = this.waiters;
      this.waiters = [];
      for (const w of waiters) w(undefined);
    }
    if (this.processing.size === 0) this.resolveDrain();
  }

  /** Shuts down and resolves once no key is being processed. */
  shutDownWithDrain(): Promise<void> {
    this.shutDown();
    if (this.processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  private enqueue(key: string): void {
    const waiter = this.waiters.shift();
    if (waiter) {
      this.dirty.delete(key);
      this.processing.add(key);
      waiter(key);
      return;
    }
    this.queue.push(key);
  }

  private dequeue(): string | undefined {
    if (this.head >= this.queue.length) return undefined;
    const key = this.queue[this.head] as string;
    this.head++;
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    this.dirty.delete(key);
    this.processing.add(key);
    if (this.len() === 0 && this.shuttingDown) {
      // Last queued key handed out: release anyone still waiting.
      const waiters = this.waiters;
      this.waiters = [];
      for (const w of waiters) w(undefined);
    }
    return key;
  }

  private resolveDrain(): void {
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of waiters) w();
  }

  /** Keeps one timer armed for the earliest parked key. */
  private armTimer(): void {
    const top = this.peekValid();
    if (!top) {
      if (this.timer) this.clock.clearTimeout(this.timer.handle);
      this.timer = undefined;
      return;
    }
    if (this.timer && this.timer.at <= top.at) return;
    if (this.timer) this.clock.clearTimeout(this.timer.handle);
    const at = top.at;
    this.timer = { at, handle: this.clock.setTimeout(() => this.fire(), Math.max(0, at - this.clock.now())) };
  }

  private fire(): void {
    this.timer = undefined;
    const now = this.clock.now();
    for (let top = this.peekValid(); top && top.at <= now; top = this.peekValid()) {
      heapPop(this.heap);
      this.parked.delete(top.key);
      this.add(top.key);
    }
    this.armTimer();
  }

  /** The heap's top after discarding stale entries (superseded by an earlier time). */
  private peekValid(): Parked | undefined {
    for (;;) {
      const top = this.heap[0];
      if (!top) return undefined;
      if (this.parked.get(top.key) === top.at) return top;
      heapPop(this.heap);
    }
  }
}

function heapPush(heap: Parked[], item: Parked): void {
  heap.push(item);
  let i = heap.length - 1;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if ((heap[parent] as Parked).at <= item.at) break;
    heap[i] = heap[parent] as Parked;
    i = parent;
  }
  heap[i] = item;
}

function heapPop(heap: Parked[]): Parked | undefined {
  const top = heap[0];
  const last = heap.pop();
  if (heap.length === 0 || !last) return top;
  let i = 0;
  for (;;) {
    const l = 2 * i + 1;
    const r = l + 1;
    let smallest = i;
    let smallestAt = last.at;
    if (l < heap.length && (heap[l] as Parked).at < smallestAt) {
      smallest = l;
      smallestAt = (heap[l] as Parked).at;
    }
    if (r < heap.length && (heap[r] as Parked).at < smallestAt) smallest = r;
    if (smallest === i) break;
    heap[i] = heap[smallest] as Parked;
    i = smallest;
  }
  heap[i] = last;
  return top;
}

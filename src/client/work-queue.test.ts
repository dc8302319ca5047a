import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StatusError } from '../api/errors.js';
import { FakeClock } from './clock.js';
import { BucketRateLimiter, defaultControllerRateLimiter, ItemExponentialFailureRateLimiter } from './rate-limiter.js';
import { WorkQueue } from './work-queue.js';
import { runWorkers, TerminalError } from './workers.js';
import { captureLogger } from './log.js';
import { waitFor } from './testing/helpers.js';

test('a key is queued once, and re-queued once if added while being processed', async () => {
  const q = new WorkQueue({ clock: new FakeClock() });
  q.add('a');
  q.add('b');
  q.add('a');
  assert.equal(q.len(), 2);
  assert.equal(await q.get(), 'a');
  q.add('a');
  q.add('a');
  assert.equal(q.len(), 1, 'a is being processed: not handed to a second worker');
  assert.equal(await q.get(), 'b');
  q.done('a');
  assert.equal(q.len(), 1, 'a queued again once after done');
  assert.equal(await q.get(), 'a');
  q.done('a');
  q.done('b');
  assert.equal(q.len(), 0);
});

test('get waits for a key; FIFO order', async () => {
  const q = new WorkQueue({ clock: new FakeClock() });
  const first = q.get();
  const second = q.get();
  q.add('x');
  q.add('y');
  assert.equal(await first, 'x');
  assert.equal(await second, 'y');
});

test('addAfter parks keys on the clock; an earlier time wins', async () => {
  const clock = new FakeClock();
  const q = new WorkQueue({ clock });
  q.addAfter('a', 1000);
  q.addAfter('b', 500);
  q.addAfter('a', 200); // earlier: replaces 1000
  q.addAfter('b', 900); // later: ignored
  assert.equal(q.parkedCount(), 2);
  assert.equal(clock.pendingTimers(), 1, 'one timer for the earliest key');
  await clock.advance(199);
  assert.equal(q.len(), 0);
  await clock.advance(1);
  assert.equal(q.len(), 1);
  assert.equal(await q.get(), 'a');
  await clock.advance(300);
  assert.equal(await q.get(), 'b');
  await clock.advance(10_000);
  assert.equal(q.len(), 0, 'the superseded 1000 ms entry for a does not fire');
  assert.equal(clock.pendingTimers(), 0);
});

test('per-key exponential back-off: 5 ms doubling to 1000 s, reset by forget', () => {
  const l = new ItemExponentialFailureRateLimiter();
  assert.deepEqual([1, 2, 3, 4, 5].map(() => l.when('k')), [5, 10, 20, 40, 80]);
  assert.equal(l.when('other'), 5, 'keys back off independently');
  assert.equal(l.numRequeues('k'), 5);
  for (let i = 0; i < 30; i++) l.when('k');
  assert.equal(l.when('k'), 1000_000);
  l.forget('k');
  assert.equal(l.when('k'), 5);
});

test('token bucket: a burst of 100, then 10 per second', async () => {
  const clock = new FakeClock();
  const b = new BucketRateLimiter(10, 100, clock);
  for (let i = 0; i < 100; i++) assert.equal(b.when(`k${i}`), 0);
  assert.equal(b.when('k100'), 100);
  assert.equal(b.when('k101'), 200);
  await clock.advance(1000);
  assert.equal(b.when('k102'), 0, 'a second refills 10 tokens, 2 of them already owed');
  const d = defaultControllerRateLimiter(clock);
  assert.equal(d.when('x'), 5, 'max of per-key (5 ms) and bucket (0)');
});

test('rate-limited requeue goes through the clock', async () => {
  const clock = new FakeClock();
  const q = new WorkQueue({ clock });
  q.addRateLimited('k');
  q.addRateLimited('k'); // parked at +10 ms; the +5 ms entry is earlier and kept
  assert.equal(q.numRequeues('k'), 2);
  await clock.advance(5);
  assert.equal(q.len(), 1);
});

test('shutDown wakes idle workers, still hands out queued keys, drain waits for processing', async () => {
  const q = new WorkQueue({ clock: new FakeClock() });
  const idle = q.get();
  q.shutDown();
  assert.equal(await idle, undefined);

  const q2 = new WorkQueue({ clock: new FakeClock() });
  q2.add('a');
  q2.add('b');
  assert.equal(await q2.get(), 'a');
  let drained = false;
  const drain = q2.shutDownWithDrain().then(() => (drained = true));
  q2.add('c');
  assert.equal(q2.len(), 1, 'no new keys after shutdown');
  assert.equal(await q2.get(), 'b');
  assert.equal(await q2.get(), undefined);
  q2.done('a');
  await new Promise((r) => setImmediate(r));
  assert.equal(drained, false, 'b still processing');
  q2.done('b');
  await drain;
  assert.equal(drained, true);
});

test('runWorkers maps sync outcomes: ok, error with back-off, terminal, requeueAfter', async () => {
  const clock = new FakeClock();
  const q = new WorkQueue({ clock, name: 'test' });
  const logger = captureLogger();
  const calls: string[] = [];
  let failures = 2;
  const ctl = new AbortController();
  const running = runWorkers(
    q,
    2,
    async (key) => {
      calls.push(`${key}@${clock.now() - start}`);
      if (key === 'flaky' && failures-- > 0) throw new Error('transient');
      if (key === 'conflict' && calls.filter((c) => c.startsWith('conflict')).length === 1) throw new StatusError(409, 'Conflict', 'stale');
      if (key === 'bad') throw new TerminalError('spec is invalid');
      if (key === 'timer' && calls.filter((c) => c.startsWith('timer')).length === 1) return { requeueAfterMs: 60_000 };
      return undefined;
    },
    ctl.signal,
    { logger },
  );
  const start = clock.now();
  for (const k of ['ok', 'flaky', 'bad', 'timer', 'conflict']) q.add(k);
  await waitFor(() => calls.length === 5, 'first round');
  await clock.advance(5);
  await waitFor(() => calls.length === 7, 'retries after 5 ms');
  await clock.advance(10);
  await waitFor(() => calls.length === 8, 'flaky retried after 10 ms more');
  await clock.advance(60_000);
  await waitFor(() => calls.length === 9, 'timer requeued');
  assert.deepEqual(calls, ['ok@0', 'flaky@0', 'bad@0', 'timer@0', 'conflict@0', 'flaky@5', 'conflict@5', 'flaky@15', 'timer@60000']);
  assert.equal(q.numRequeues('flaky'), 0, 'back-off forgotten after success');
  assert.ok(logger.entries.some((e) => e.level === 'error' && e.fields['key'] === 'bad'));
  assert.ok(logger.entries.some((e) => e.level === 'debug' && e.fields['key'] === 'conflict'), 'conflicts are logged quietly');
  assert.equal(logger.entries.filter((e) => e.level === 'warn').length, 2, 'two transient failures');
  ctl.abort();
  await running;
  assert.equal(q.isShuttingDown(), true);
});

test('runWorkers runs at most n syncs at once and never one key twice concurrently', async () => {
  const q = new WorkQueue({ clock: new FakeClock() });
  let active = 0;
  let maxActive = 0;
  const activeKeys = new Set<string>();
  const release: Array<() => void> = [];
  const ctl = new AbortController();
  const running = runWorkers(q, 3, async (key) => {
    assert.ok(!activeKeys.has(key), `${key} processed concurrently`);
    activeKeys.add(key);
    maxActive = Math.max(maxActive, ++active);
    await new Promise<void>((r) => release.push(r));
    active--;
    activeKeys.delete(key);
  }, ctl.signal);
  for (let i = 0; i < 10; i++) q.add(`k${i % 4}`);
  q.add('k0');
  await waitFor(() => release.length === 3, 'three in flight');
  q.add('k0'); // while k0 is in flight
  while (release.length) {
    release.shift()?.();
    await new Promise((r) => setImmediate(r));
  }
  await waitFor(() => q.len() === 0 && active === 0, 'drained');
  assert.equal(maxActive, 3);
  // Abort with one sync in flight: runWorkers resolves only after it finishes.
  q.add('last');
  await waitFor(() => release.length === 1, 'last in flight');
  ctl.abort();
  let resolved = false;
  const done = running.then(() => (resolved = true));
  await new Promise((r) => setImmediate(r));
  assert.equal(resolved, false);
  release.shift()?.();
  await done;
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Backoff } from './backoff.js';
import { EventEmitter } from 'node:events';
import { FakeClock, formatMicroTime, formatTime, onAbort, realClock, sleep, timeoutSignal } from './clock.js';
import { captureLogger, createLogger, defaultLogLevel, formatLogEntry } from './log.js';

test('FakeClock fires timers in due order, each seeing its own time', async () => {
  const clock = new FakeClock(0);
  const fired: string[] = [];
  clock.setTimeout(() => fired.push(`b@${clock.now()}`), 20);
  clock.setTimeout(() => fired.push(`a@${clock.now()}`), 10);
  const c = clock.setTimeout(() => fired.push('cancelled'), 15);
  clock.clearTimeout(c);
  clock.setTimeout(() => {
    fired.push(`c@${clock.now()}`);
    clock.setTimeout(() => fired.push(`chained@${clock.now()}`), 5);
  }, 20);
  await clock.advance(30);
  assert.deepEqual(fired, ['a@10', 'b@20', 'c@20', 'chained@25']);
  assert.equal(clock.now(), 30);
});

test('sleep and timeoutSignal follow the injected clock and abort', async () => {
  const clock = new FakeClock(0);
  let woke = false;
  const s = sleep(clock, 100).then(() => (woke = true));
  await clock.advance(99);
  assert.equal(woke, false);
  await clock.advance(1);
  await s;
  const ctl = new AbortController();
  const aborted = sleep(clock, 100, ctl.signal);
  ctl.abort(new Error('stop'));
  await assert.rejects(aborted, /stop/);
  assert.equal(clock.pendingTimers(), 0, 'an aborted sleep clears its timer');
  const t = timeoutSignal(clock, 50);
  await clock.advance(50);
  assert.equal(t.signal.aborted, true);
  assert.match(String(t.signal.reason), /timed out after 50ms/);
});

test('Kubernetes time formats: Time has seconds, MicroTime has six fractional digits', () => {
  const ms = Date.UTC(2024, 1, 29, 23, 59, 58, 765);
  assert.equal(formatTime(ms), '2024-02-29T23:59:58Z');
  assert.equal(formatMicroTime(ms), '2024-02-29T23:59:58.765000Z');
});

test('Backoff doubles to its cap with jitter and resets after a quiet period', () => {
  const clock = new FakeClock(0);
  const b = new Backoff({ initialMs: 100, maxMs: 1000, factor: 2, jitter: 0.5, resetAfterMs: 5000, clock, random: () => 1 });
  assert.deepEqual([1, 2, 3, 4, 5].map(() => b.next()), [150, 300, 600, 1200, 1500]);
  clock.setTimeout(() => {}, 0);
  return clock.advance(5001).then(() => assert.equal(b.next(), 150));
});

test('logger levels, fields, children and formatting', () => {
  const log = captureLogger('info');
  log.debug('hidden');
  log.child({ component: 'scheduler' }).warn('no nodes', { pod: 'default/p', error: new Error('boom') });
  assert.equal(log.entries.length, 1);
  const line = formatLogEntry(log.entries[0]!);
  assert.match(line, /^\d{4}-\d\d-\d\dT[\d:.]+Z WARN {2}no nodes component=scheduler pod=default\/p error=boom$/);
  assert.equal(defaultLogLevel({ NODE_TEST_CONTEXT: 'child' }), 'silent');
  assert.equal(defaultLogLevel({ SKIFF_LOG_LEVEL: 'DEBUG', NODE_TEST_CONTEXT: 'child' }), 'debug');
  assert.equal(defaultLogLevel({}), 'info');
  const throwing = createLogger({ level: 'debug', sink: () => { throw new Error('sink broke'); } });
  assert.doesNotThrow(() => throwing.error('still fine'));
});

test('sleepers on one shared signal share a single abort listener, and all wake on abort', async () => {
  const shared = new AbortController();
  const sleeps = Array.from({ length: 500 }, () => sleep(realClock, 60_000, shared.signal));
  const timeouts = Array.from({ length: 100 }, () => timeoutSignal(realClock, 60_000, shared.signal));
  assert.equal(EventEmitter.getEventListeners(shared.signal, 'abort').length, 1);
  // A sleeper whose time passes stops waiting on the signal.
  await sleep(realClock, 1, shared.signal);
  timeouts[0]!.cancel();
  const calls: string[] = [];
  const cancel = onAbort(shared.signal, () => calls.push('cancelled one'));
  cancel();
  onAbort(shared.signal, () => calls.push('called'));
  shared.abort(new Error('stop'));
  const results = await Promise.allSettled(sleeps);
  assert.ok(results.every((r) => r.status === 'rejected' && (r.reason as Error).message === 'stop'));
  assert.equal(timeouts[0]!.signal.aborted, false, 'a cancelled timeoutSignal no longer follows its parent');
  assert.ok(timeouts.slice(1).every((t) => t.signal.aborted));
  assert.deepEqual(calls, ['called']);
  // After the abort: a late registration is still called (asynchronously), unless cancelled.
  const late: string[] = [];
  onAbort(shared.signal, () => late.push('late'));
  onAbort(shared.signal, () => late.push('never'))();
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(late, ['late']);
  for (const t of timeouts) t.cancel();
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TtlScheduler } from './ttl-scheduler.js';

/** Resolves when `cond` holds, polling on timers; rejects after `ms`. */
async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('TtlScheduler', () => {
  it('expires keys in expiry order, at their revision, skipping rewritten and cleared ones', async () => {
    const expired: string[] = [];
    const now = Date.now();
    const s = new TtlScheduler((key, rev) => expired.push(`${key}@${rev}`));
    s.set('late', 1, now + 60);
    s.set('early', 2, now + 20);
    s.set('rewritten', 3, now + 10);
    s.set('rewritten', 7, now + 40); // a newer write with a new TTL replaces the old one
    s.set('cleared', 4, now + 10);
    s.clear('cleared');
    await until(() => expired.length === 3);
    assert.deepEqual(expired, ['early@2', 'rewritten@7', 'late@1']);
    assert.equal(s.size, 0);
    s.stop();
  });

  it('retry puts back an expiry that failed; stop cancels everything', async () => {
    const expired: string[] = [];
    const s = new TtlScheduler((key, rev) => expired.push(`${key}@${rev}`));
    s.set('k', 5, Date.now());
    await until(() => expired.length === 1);
    s.retry('k', 5, 10);
    await until(() => expired.length === 2);
    s.set('never', 6, Date.now() + 10);
    s.stop();
    s.set('after-stop', 7, Date.now());
    await new Promise((r) => setTimeout(r, 40));
    assert.deepEqual(expired, ['k@5', 'k@5']);
  });

  it('keeps its heap bounded when keys are rewritten over and over', () => {
    const s = new TtlScheduler(() => undefined);
    for (let i = 0; i < 100_000; i++) s.set('event', i, Date.now() + 3_600_000);
    assert.equal(s.size, 1);
    assert.ok((s as unknown as { heap: unknown[] }).heap.length < 2000);
    s.stop();
  });
});

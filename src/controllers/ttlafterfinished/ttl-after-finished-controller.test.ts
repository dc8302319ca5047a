/**
 * TTL-after-finished with the Job controller and the garbage collector on a fake clock
 * (scenario 34), plus the stale-TTL re-check and the foreground/UID-precondition delete.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Job } from 'kubernetes-types/batch/v1.js';
import { GarbageCollector } from '../garbagecollector/garbage-collector.js';
import { JobController } from '../job/job-controller.js';
import { newJob, startHarness, type Harness } from '../job/testing/harness.js';
import { TTLAfterFinishedController, timeLeft } from './ttl-after-finished-controller.js';

const NS = 'default';

async function withHarness(fn: (h: Harness) => Promise<void>, withGC = true): Promise<void> {
  const h = await startHarness();
  try {
    await h.start([new JobController({ batchPeriodMs: 0 }), new TTLAfterFinishedController(), ...(withGC ? [new GarbageCollector()] : [])]);
    await fn(h);
  } finally {
    await h.stop();
  }
}

async function completeJob(h: Harness, name: string): Promise<Job> {
  const pod = await h.until(async () => (await h.pods(NS, name))[0], 'pod');
  await h.finish(pod, 0);
  return h.until(async () => {
    const j = await h.job(NS, name);
    return j.status?.conditions?.some((c) => c.type === 'Complete') ? j : undefined;
  }, 'Complete');
}

test('scenario 34: ttlSecondsAfterFinished 5 — the Job and its pods are deleted 5 s after Complete', async () => {
  await withHarness(async (h) => {
    await h.client.jobs(NS).create(newJob('short', { ttlSecondsAfterFinished: 5 }));
    const job = await completeJob(h, 'short');
    const finishedAt = Date.parse(job.status!.conditions!.find((c) => c.type === 'Complete')!.lastTransitionTime!);
    // Parked until the expiry, not polled.
    await h.until(() => h.clock.nextTimerAt() === finishedAt + 5_000, 'requeue at the expiry');
    await h.advance(finishedAt + 4_999 - h.clock.now());
    assert.ok(await h.job(NS, 'short'));
    await h.advance(1);
    await h.until(async () => (await h.client.jobs(NS).list()).items.length === 0, 'Job deleted');
    await h.until(async () => (await h.client.pods(NS).list()).items.length === 0, 'pods deleted');
  });
});

test('ttl 0 deletes right after finishing; a Failed Job expires too', async () => {
  await withHarness(async (h) => {
    await h.client.jobs(NS).create(newJob('zero', { ttlSecondsAfterFinished: 0 }));
    await h.finish(await h.until(async () => (await h.pods(NS, 'zero'))[0], 'pod'), 0);
    await h.until(async () => (await h.client.jobs(NS).list()).items.length === 0, 'deleted at once');
    await h.client.jobs(NS).create(newJob('bad', { ttlSecondsAfterFinished: 0, backoffLimit: 0 }));
    const pod = await h.until(async () => (await h.pods(NS, 'bad'))[0], 'pod');
    await h.finish(pod, 1);
    await h.until(async () => (await h.client.jobs(NS).list()).items.length === 0, 'failed Job deleted');
  });
});

test('foreground deletion with a UID precondition; a TTL raised before expiry is honoured', async () => {
  await withHarness(async (h) => {
    await h.client.jobs(NS).create(newJob('fg', { ttlSecondsAfterFinished: 10 }));
    const job = await completeJob(h, 'fg');
    await h.client.jobs(NS).patch('fg', 'merge', { spec: { ttlSecondsAfterFinished: 3600 } });
    const finishedAt = Date.parse(job.status!.conditions!.find((c) => c.type === 'Complete')!.lastTransitionTime!);
    await h.advance(finishedAt + 10_000 - h.clock.now());
    await h.until(() => h.clock.nextTimerAt() === finishedAt + 3_600_000, 'requeued for the new expiry');
    assert.equal((await h.job(NS, 'fg')).metadata?.deletionTimestamp, undefined);
    await h.advance(3_590_000);
    // Without a garbage collector the foreground finalizer keeps the Job visible: proof of the policy.
    const deleting = await h.until(async () => {
      const j = await h.job(NS, 'fg');
      return j.metadata?.deletionTimestamp ? j : undefined;
    }, 'deletion started');
    assert.deepEqual(deleting.metadata?.finalizers, ['foregroundDeletion']);
  }, false);
});

test('timeLeft: measured from the finish condition, undefined without a TTL or while unfinished', () => {
  const job = (ttl: number | undefined, cond?: string): Job => ({
    metadata: { name: 'j', namespace: NS },
    spec: { template: {}, ...(ttl !== undefined ? { ttlSecondsAfterFinished: ttl } : {}) },
    status: cond ? { conditions: [{ type: cond, status: 'True', lastTransitionTime: '2024-01-01T00:00:00Z' }] } : {},
  });
  const t0 = Date.parse('2024-01-01T00:00:00Z');
  assert.equal(timeLeft(job(100, 'Complete'), t0 + 40_000), 60_000);
  assert.equal(timeLeft(job(100, 'Failed'), t0 + 140_000), -40_000);
  assert.equal(timeLeft(job(undefined, 'Complete'), t0), undefined);
  assert.equal(timeLeft(job(100, 'SuccessCriteriaMet'), t0), undefined);
  assert.equal(timeLeft(job(100), t0), undefined);
});

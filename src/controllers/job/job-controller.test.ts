/**
 * Job controller against the in-process API server, with the test playing the node agent.
 * Scenarios 27–33 and 35 of controllers.md §15, plus accounting and restart cases.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Job } from 'kubernetes-types/batch/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { JobController } from './job-controller.js';
import { JOB_TRACKING_FINALIZER } from './job-util.js';
import { newJob, startHarness, type Harness } from './testing/harness.js';

const NS = 'default';

async function withHarness(fn: (h: Harness) => Promise<void>, opts: { batchPeriodMs?: number } = {}): Promise<void> {
  const h = await startHarness();
  try {
    await h.start([new JobController({ batchPeriodMs: opts.batchPeriodMs ?? 0 })]);
    await fn(h);
  } finally {
    await h.stop();
  }
}

const cond = (job: Job, type: string) => job.status?.conditions?.find((c) => c.type === type);
const active = (pods: Pod[]) => pods.filter((p) => !p.metadata?.deletionTimestamp && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed');

test('scenario 27: completions 3, parallelism 2 — never more than 2 pods, SuccessCriteriaMet then Complete', async () => {
  await withHarness(async (h) => {
    await h.client.jobs(NS).create(newJob('pi', { completions: 3, parallelism: 2 }));
    let maxActive = 0;
    for (let done = 0; done < 3; ) {
      const pods = await h.until(async () => {
        const all = await h.pods(NS, 'pi');
        const a = active(all);
        return a.length > 0 && a.length === Math.min(2, 3 - done) ? a : undefined;
      }, `${Math.min(2, 3 - done)} active pods`);
      maxActive = Math.max(maxActive, pods.length);
      await h.finish(pods[0]!, 0);
      done++;
      await h.until(async () => ((await h.job(NS, 'pi')).status?.succeeded ?? 0) >= done, `succeeded ${done}`);
    }
    const job = await h.until(async () => {
      const j = await h.job(NS, 'pi');
      return cond(j, 'Complete') ? j : undefined;
    }, 'Complete');
    assert.equal(maxActive, 2);
    assert.equal(job.status?.succeeded, 3);
    assert.equal(job.status?.active, 0);
    assert.equal(job.status?.ready, 0);
    assert.equal(job.status?.terminating, 0);
    assert.deepEqual(job.status?.uncountedTerminatedPods, {});
    const types = job.status!.conditions!.map((c) => c.type);
    assert.deepEqual(types, ['SuccessCriteriaMet', 'Complete']);
    for (const c of job.status!.conditions!) {
      assert.equal(c.reason, 'CompletionsReached');
      assert.equal(c.message, 'Reached expected number of succeeded pods');
    }
    assert.ok(job.status?.completionTime);
    assert.ok(job.status?.startTime);
    const pods = await h.pods(NS, 'pi');
    assert.equal(pods.length, 3);
    for (const p of pods) {
      assert.match(p.metadata!.name!, /^pi-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
      assert.ok(!p.metadata?.finalizers?.includes(JOB_TRACKING_FINALIZER), 'finalizer removed after counting');
    }
    const events = await h.until(async () => {
      const ev = await h.events(NS, 'pi');
      return ev.some((e) => e.reason === 'Completed') ? ev : undefined;
    }, 'Completed event');
    const completed = events.find((e) => e.reason === 'Completed')!;
    assert.equal(completed.message, 'Job completed');
    assert.equal(completed.source?.component, 'job-controller');
    assert.equal(events.filter((e) => e.reason === 'SuccessfulCreate').length, 3);
    assert.match(events.find((e) => e.reason === 'SuccessfulCreate')!.message!, /^Created pod: pi-/);
  });
});

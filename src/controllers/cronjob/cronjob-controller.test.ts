/**
 * CronJob controller with the Job controller and the garbage collector against the in-process API
 * server, on a fake clock: scenarios 36–42 of controllers.md §15, restarts without double runs,
 * and cascading deletion. The test plays the node agent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CronJob, Job } from 'kubernetes-types/batch/v1.js';
import { isInvalid } from '../../api/errors.js';
import { GarbageCollector } from '../garbagecollector/garbage-collector.js';
import { JobController } from '../job/job-controller.js';
import { startHarness, type Harness } from '../job/testing/harness.js';
import { CronJobController } from './cronjob-controller.js';

const NS = 'default';
const MINUTE = 60_000;

function cronJob(name: string, spec: Partial<NonNullable<CronJob['spec']>> = {}): CronJob {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name, namespace: NS },
    spec: {
      schedule: '*/1 * * * *',
      jobTemplate: {
        metadata: { labels: { app: name } },
        spec: { template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'hello', image: 'busybox', command: ['date'] }] } } },
      },
      ...spec,
    },
  };
}

const controllers = () => [new JobController({ batchPeriodMs: 0 }), new CronJobController(), new GarbageCollector()];

async function withHarness(fn: (h: Harness) => Promise<void>, opts: { start?: boolean } = {}): Promise<void> {
  const h = await startHarness();
  try {
    if (opts.start !== false) await h.start(controllers());
    await fn(h);
  } finally {
    await h.stop();
  }
}

async function jobsOf(h: Harness, cj: CronJob): Promise<Job[]> {
  const list = await h.client.jobs(NS).list();
  return list.items.filter((j) => j.metadata?.ownerReferences?.some((r) => r.uid === cj.metadata?.uid)).sort((a, b) => (a.metadata!.name! < b.metadata!.name! ? -1 : 1));
}

/** The first minute boundary strictly after the CronJob's creation. */
const firstSlot = (cj: CronJob) => (Math.floor(Date.parse(cj.metadata!.creationTimestamp!) / MINUTE) + 1) * MINUTE;
const nameFor = (cj: CronJob, slot: number) => `${cj.metadata!.name}-${slot / MINUTE}`;

/** Moves the fake clock to `slot` + 100 ms, once the controller has parked the CronJob until then. */
async function tick(h: Harness, slot: number): Promise<void> {
  await h.until(() => h.clock.nextTimerAt() !== undefined && h.clock.nextTimerAt()! <= slot + 100, `a requeue for ${new Date(slot).toISOString()}`);
  await h.advance(slot + 100 - h.clock.now());
}

async function finishJob(h: Harness, jobName: string, exitCode = 0): Promise<void> {
  const pod = await h.until(async () => (await h.pods(NS, jobName)).find((p) => !p.status?.phase || p.status.phase === 'Pending'), `pod of ${jobName}`);
  await h.finish(pod, exitCode);
  await h.until(async () => (await h.client.jobs(NS).get(jobName)).status?.conditions?.some((c) => c.type === (exitCode === 0 ? 'Complete' : 'Failed')), `${jobName} finished`);
}

async function eventsOf(h: Harness, name: string, reason: string) {
  return (await h.events(NS, name)).filter((e) => e.reason === reason);
}

test('scenario 36: */1 — a Job per minute named <cj>-<minutes>, active while running, events, lastSuccessfulTime', async () => {
  await withHarness(async (h) => {
    const cj = await h.client.cronJobs(NS).create(cronJob('hello'));
    const slot = firstSlot(cj);
    // The controller waits for the schedule instead of polling: one timer at slot + 100 ms.
    await h.until(() => h.clock.nextTimerAt() === slot + 100, 'requeue at the next minute + 100 ms');
    await h.advance(slot + 99 - h.clock.now());
    assert.equal((await jobsOf(h, cj)).length, 0);
    await h.advance(1);
    const job = await h.until(async () => (await jobsOf(h, cj))[0], 'job');
    assert.equal(job.metadata?.name, nameFor(cj, slot));
    assert.equal(job.metadata?.annotations?.['batch.kubernetes.io/cronjob-scheduled-timestamp'], new Date(slot).toISOString().replace('.000Z', 'Z'));
    assert.equal(job.metadata?.labels?.app, 'hello');
    assert.deepEqual({ ...job.metadata!.ownerReferences![0] }, { apiVersion: 'batch/v1', kind: 'CronJob', name: 'hello', uid: cj.metadata!.uid, controller: true, blockOwnerDeletion: true });
    const running = await h.until(async () => {
      const c = await h.client.cronJobs(NS).get('hello');
      return c.status?.active?.length === 1 ? c : undefined;
    }, 'active');
    assert.equal(running.status?.lastScheduleTime, new Date(slot).toISOString().replace('.000Z', 'Z'));
    assert.deepEqual({ ...running.status!.active![0] }, { apiVersion: 'batch/v1', kind: 'Job', name: job.metadata!.name, namespace: NS, resourceVersion: job.metadata!.resourceVersion, uid: job.metadata!.uid });
    await finishJob(h, job.metadata!.name!);
    const done = await h.until(async () => {
      const c = await h.client.cronJobs(NS).get('hello');
      return !c.status?.active && c.status?.lastSuccessfulTime ? c : undefined;
    }, 'lastSuccessfulTime');
    assert.equal(done.status?.lastSuccessfulTime, (await h.client.jobs(NS).get(job.metadata!.name!)).status?.completionTime);
    await h.until(async () => (await eventsOf(h, 'hello', 'SawCompletedJob')).length === 1, 'SawCompletedJob');
    assert.equal((await eventsOf(h, 'hello', 'SawCompletedJob'))[0]!.message, `Saw completed job: ${job.metadata!.name}, condition: Complete`);
    const created = await eventsOf(h, 'hello', 'SuccessfulCreate');
    assert.deepEqual(
      created.map((e) => [e.message, e.source?.component]),
      [[`Created job ${job.metadata!.name}`, 'cronjob-controller']],
    );
    // And the next minute brings the next Job.
    await tick(h, slot + MINUTE);
    await h.until(async () => (await jobsOf(h, cj)).some((j) => j.metadata!.name === nameFor(cj, slot + MINUTE)), 'second job');
  });
});

test('scenario 37: successfulJobsHistoryLimit 1 — after 3 runs only the newest Job and its pod remain', async () => {
  await withHarness(async (h) => {
    const cj = await h.client.cronJobs(NS).create(cronJob('hist', { successfulJobsHistoryLimit: 1 }));
    const slot = firstSlot(cj);
    for (let i = 0; i < 3; i++) {
      await tick(h, slot + i * MINUTE);
      const name = nameFor(cj, slot + i * MINUTE);
      await h.until(async () => (await jobsOf(h, cj)).some((j) => j.metadata!.name === name), name);
      await finishJob(h, name);
    }
    const newest = nameFor(cj, slot + 2 * MINUTE);
    await h.until(async () => {
      const jobs = await jobsOf(h, cj);
      return jobs.length === 1 && jobs[0]!.metadata!.name === newest;
    }, 'only the newest Job');
    await h.until(async () => (await h.client.pods(NS).list()).items.every((p) => p.metadata!.labels!['job-name'] === newest), 'old pods collected');
    const deleted = await h.until(async () => {
      const ev = await eventsOf(h, 'hist', 'SuccessfulDelete');
      return ev.length === 2 ? ev : undefined;
    }, '2 SuccessfulDelete events');
    assert.deepEqual(deleted.map((e) => e.message).sort(), [`Deleted job ${nameFor(cj, slot)}`, `Deleted job ${nameFor(cj, slot + MINUTE)}`]);
  });
});

test('scenario 38: Forbid — no new Job while one runs; the latest missed minute starts as soon as it ends', async () => {
  await withHarness(async (h) => {
    const cj = await h.client.cronJobs(NS).create(cronJob('forbid', { concurrencyPolicy: 'Forbid' }));
    const slot = firstSlot(cj);
    await tick(h, slot);
    const first = nameFor(cj, slot);
    await h.until(async () => (await jobsOf(h, cj)).length === 1, 'first job');
    await tick(h, slot + MINUTE);
    await h.until(async () => (await eventsOf(h, 'forbid', 'JobAlreadyActive')).length > 0, 'JobAlreadyActive');
    const ev = (await eventsOf(h, 'forbid', 'JobAlreadyActive'))[0]!;
    assert.equal(ev.message, 'Not starting job because prior execution is running and concurrency policy is Forbid');
    await tick(h, slot + 2 * MINUTE);
    await h.advance(slot + 150_000 - h.clock.now());
    assert.equal((await jobsOf(h, cj)).length, 1, 'still one Job after 150 s');
    assert.equal((await h.client.cronJobs(NS).get('forbid')).status?.lastScheduleTime, new Date(slot).toISOString().replace('.000Z', 'Z'));
    await finishJob(h, first);
    const next = nameFor(cj, slot + 2 * MINUTE);
    await h.until(async () => (await jobsOf(h, cj)).some((j) => j.metadata!.name === next), 'the latest missed minute runs at once');
    assert.equal(h.clock.now(), slot + 150_000, 'without waiting for the next tick');
    assert.equal((await jobsOf(h, cj)).length, 2);
  });
});

test('scenario 39: Replace — at the next tick the running Job is deleted and a new one created', async () => {
  await withHarness(async (h) => {
    const cj = await h.client.cronJobs(NS).create(cronJob('replace', { concurrencyPolicy: 'Replace' }));
    const slot = firstSlot(cj);
    await tick(h, slot);
    await h.until(async () => (await jobsOf(h, cj)).length === 1, 'first job');
    await tick(h, slot + MINUTE);
    const jobs = await h.until(async () => {
      const j = await jobsOf(h, cj);
      return j.length === 1 && j[0]!.metadata!.name === nameFor(cj, slot + MINUTE) ? j : undefined;
    }, 'replaced');
    const status = await h.until(async () => {
      const c = await h.client.cronJobs(NS).get('replace');
      return c.status?.active?.length === 1 && c.status.active[0]!.uid === jobs[0]!.metadata!.uid ? c : undefined;
    }, 'active is the new Job');
    assert.ok(status);
    await h.until(async () => (await eventsOf(h, 'replace', 'SuccessfulDelete')).some((e) => e.message === `Deleted job ${nameFor(cj, slot)}`), 'SuccessfulDelete');
  });
});

test('scenario 40: timeZone Asia/Tokyo 09:00 fires at 00:00 UTC; invalid zones and TZ= prefixes are refused', async () => {
  await withHarness(async (h) => {
    const cj = await h.client.cronJobs(NS).create(cronJob('tokyo', { schedule: '0 9 * * *', timeZone: 'Asia/Tokyo' }));
    const midnight = (Math.floor(Date.parse(cj.metadata!.creationTimestamp!) / 86_400_000) + 1) * 86_400_000;
    await h.until(() => h.clock.nextTimerAt() === midnight + 100, 'requeue at the next 00:00 UTC');
    await h.advance(midnight + 100 - h.clock.now());
    const job = await h.until(async () => (await jobsOf(h, cj))[0], 'job');
    assert.equal(job.metadata?.name, nameFor(cj, midnight));
    assert.match(job.metadata!.annotations!['batch.kubernetes.io/cronjob-scheduled-timestamp']!, /T09:00:00\+09:00$/);

    for (const [spec, message] of [
      [{ timeZone: 'Local' }, 'spec.timeZone: Invalid value: "Local": timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones'],
      [{ timeZone: 'Mars/Base' }, 'spec.timeZone: Invalid value: "Mars/Base": unknown time zone Mars/Base'],
      [{ schedule: 'TZ=UTC 0 * * * *' }, 'spec.schedule: Invalid value: "TZ=UTC 0 * * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead'],
    ] as const) {
      await assert.rejects(h.client.cronJobs(NS).create(cronJob('bad', spec)), (err: unknown) => isInvalid(err) && (err as Error).message.includes(message));
    }
  });
});

test('scenario 41: suspended for 3 ticks then resumed — one Job at once for the latest missed minute; with a 10 s deadline, none until the next tick', async () => {
  await withHarness(async (h) => {
    const a = await h.client.cronJobs(NS).create(cronJob('pause', { suspend: true }));
    const b = await h.client.cronJobs(NS).create(cronJob('pause-deadline', { suspend: true, startingDeadlineSeconds: 10 }));
    const slot = Math.max(firstSlot(a), firstSlot(b));
    await h.advance(slot + 2 * MINUTE + 30_000 - h.clock.now());
    assert.equal((await h.client.jobs(NS).list()).items.length, 0);
    await h.client.cronJobs(NS).patch('pause', 'merge', { spec: { suspend: false } });
    await h.client.cronJobs(NS).patch('pause-deadline', 'merge', { spec: { suspend: false } });
    const jobs = await h.until(async () => {
      const j = await jobsOf(h, a);
      return j.length === 1 ? j : undefined;
    }, 'one job');
    assert.equal(jobs[0]!.metadata!.name, nameFor(a, slot + 2 * MINUTE));
    assert.equal((await jobsOf(h, b)).length, 0);
    // Kubernetes ≥ 1.21 computes the unmet slot from max(lastScheduleTime, now − deadline), so a slot
    // past its deadline is never found and no MissSchedule event is written: it just waits.
    await tick(h, slot + 3 * MINUTE);
    await h.until(async () => (await jobsOf(h, b)).some((j) => j.metadata!.name === nameFor(b, slot + 3 * MINUTE)), 'next tick');
    assert.equal((await jobsOf(h, b)).length, 1);
    assert.equal((await jobsOf(h, a)).length, 2);
  });
});

test('scenario 42: after 3 h of controller downtime — one TooManyMissedTimes warning and exactly one Job', async () => {
  await withHarness(
    async (h) => {
      const cj = await h.client.cronJobs(NS).create(cronJob('downtime'));
      await h.advance(3 * 60 * MINUTE);
      await h.start(controllers());
      const jobs = await h.until(async () => {
        const j = await jobsOf(h, cj);
        return j.length > 0 ? j : undefined;
      }, 'a job');
      const latest = Math.floor(h.clock.now() / MINUTE) * MINUTE;
      assert.deepEqual(
        jobs.map((j) => j.metadata!.name),
        [nameFor(cj, latest)],
      );
      const warnings = await h.until(async () => {
        const ev = await eventsOf(h, 'downtime', 'TooManyMissedTimes');
        return ev.length > 0 ? ev : undefined;
      }, 'warning');
      assert.equal(warnings.length, 1);
      assert.equal(warnings[0]!.count, 1);
      assert.equal(warnings[0]!.type, 'Warning');
      assert.equal(warnings[0]!.message, 'too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew');
      await h.until(async () => (await h.client.cronJobs(NS).get('downtime')).status?.lastScheduleTime === new Date(latest).toISOString().replace('.000Z', 'Z'), 'lastScheduleTime');
      assert.equal((await jobsOf(h, cj)).length, 1);
    },
    { start: false },
  );
});

test('restarts and leader changes never fire a slot twice: the deterministic name is the lock', async () => {
  await withHarness(async (h) => {
    const cj = await h.client.cronJobs(NS).create(cronJob('once'));
    const slot = firstSlot(cj);
    await tick(h, slot);
    await h.until(async () => (await h.client.cronJobs(NS).get('once')).status?.active?.length === 1, 'active');
    // A new leader starts from the API state: nothing to do for this slot.
    await h.stopControllers();
    await h.start(controllers());
    // A crash between creating the Job and recording it: the status lost the run.
    await h.stopControllers();
    const lost = await h.client.cronJobs(NS).get('once');
    (lost as { status: CronJob['status'] }).status = {};
    await h.client.cronJobs(NS).updateStatus(lost);
    await h.start(controllers());
    const repaired = await h.until(async () => {
      const c = await h.client.cronJobs(NS).get('once');
      return c.status?.active?.length === 1 ? c : undefined;
    }, 'status repaired');
    assert.equal(repaired.status?.lastScheduleTime, new Date(slot).toISOString().replace('.000Z', 'Z'));
    assert.equal((await jobsOf(h, cj)).length, 1);
    assert.equal((await eventsOf(h, 'once', 'SuccessfulCreate')).length, 1, 'created once');
  });
});

test('deleting a CronJob removes its Jobs and their pods', async () => {
  await withHarness(async (h) => {
    const cj = await h.client.cronJobs(NS).create(cronJob('bye'));
    const slot = firstSlot(cj);
    await tick(h, slot);
    await h.until(async () => (await h.pods(NS, nameFor(cj, slot))).length === 1, 'pod');
    await h.client.cronJobs(NS).delete('bye', { propagationPolicy: 'Background' });
    await h.until(async () => (await h.client.jobs(NS).list()).items.length === 0, 'jobs gone');
    await h.until(async () => (await h.client.pods(NS).list()).items.length === 0, 'pods gone');
  });
});

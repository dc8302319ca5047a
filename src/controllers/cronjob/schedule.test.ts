import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CronJob } from 'kubernetes-types/batch/v1.js';
import {
  InvalidScheduleError,
  formatRFC1123Z,
  formatRFC3339InZone,
  formatSchedule,
  jobNameFor,
  mostRecentScheduleTime,
  nextScheduleDelay,
  parseCronJobSchedule,
} from './schedule.js';
import { newJobForSchedule } from './job-template.js';

const T = (s: string) => Date.parse(s);
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString().replace('.000Z', 'Z'));

function cronJob(schedule: string, opts: { created?: string; last?: string; tz?: string; deadline?: number } = {}): CronJob {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'hello', namespace: 'default', uid: 'u1', creationTimestamp: opts.created ?? '2016-05-19T09:00:00Z' },
    spec: {
      schedule,
      ...(opts.tz ? { timeZone: opts.tz } : {}),
      ...(opts.deadline !== undefined ? { startingDeadlineSeconds: opts.deadline } : {}),
      jobTemplate: { metadata: { labels: { a: 'b' }, annotations: { x: 'y' } }, spec: { template: { spec: { containers: [] } } } },
    },
    status: opts.last ? { lastScheduleTime: opts.last } : {},
  };
}

function mostRecent(cj: CronJob, now: string, includeDeadline = true) {
  const r = mostRecentScheduleTime(cj, T(now), parseCronJobSchedule(cj, 'UTC'), includeDeadline);
  return { earliest: iso(r.earliestMs), mostRecent: iso(r.mostRecentMs), missed: r.missed };
}

test('most recent unmet time: none before the first slot, the slot itself, then only the latest of several', () => {
  const cj = cronJob('0 * * * *', { created: '2016-05-19T09:30:00Z' });
  assert.deepEqual(mostRecent(cj, '2016-05-19T09:59:00Z'), { earliest: '2016-05-19T09:30:00Z', mostRecent: undefined, missed: 'none' });
  assert.deepEqual(mostRecent(cj, '2016-05-19T10:00:30Z'), { earliest: '2016-05-19T09:30:00Z', mostRecent: '2016-05-19T10:00:00Z', missed: 'none' });
  assert.deepEqual(mostRecent(cj, '2016-05-19T13:05:00Z'), { earliest: '2016-05-19T09:30:00Z', mostRecent: '2016-05-19T13:00:00Z', missed: 'few' });
  const after = cronJob('0 * * * *', { created: '2016-05-19T09:30:00Z', last: '2016-05-19T13:00:00Z' });
  assert.equal(mostRecent(after, '2016-05-19T13:59:59Z').mostRecent, undefined, 'a handled slot is not unmet');
});

test('more than 100 missed times: "many", and the most recent is still returned (no pre-1.21 wedge)', () => {
  const cj = cronJob('*/1 * * * *', { created: '2024-01-01T00:00:00Z' });
  const r = mostRecent(cj, '2024-01-01T03:00:30Z');
  assert.equal(r.missed, 'many');
  assert.equal(r.mostRecent, '2024-01-01T03:00:00Z');
  assert.equal(mostRecent(cj, '2024-01-01T01:40:30Z').missed, 'few', '100 missed is not too many');
  assert.equal(mostRecent(cj, '2024-01-01T01:41:30Z').missed, 'many');
});

test('startingDeadlineSeconds hides slots older than the deadline (and the warning with them)', () => {
  const cj = cronJob('*/1 * * * *', { created: '2024-01-01T00:00:00Z', deadline: 10 });
  assert.deepEqual(mostRecent(cj, '2024-01-01T03:00:05Z'), { earliest: '2024-01-01T02:59:55Z', mostRecent: '2024-01-01T03:00:00Z', missed: 'none' });
  assert.deepEqual(mostRecent(cj, '2024-01-01T03:00:30Z'), { earliest: '2024-01-01T03:00:20Z', mostRecent: undefined, missed: 'none' });
  // Without the deadline (the requeue computation) the old slots count.
  assert.equal(mostRecent(cj, '2024-01-01T03:00:30Z', false).missed, 'many');
});

test('irregular schedules: the missed-time estimate, walked as Kubernetes walks it', () => {
  const cj = cronJob('30 6-16/4 * * 1-5', { created: '2024-01-05T00:00:00Z' });
  assert.equal(mostRecent(cj, '2024-01-05T13:00:00Z').mostRecent, '2024-01-05T10:30:00Z');
  // The estimate assumes the first gap (4 h) repeats, so after a weekend it starts past Friday's
  // last slot and finds nothing unmet — Kubernetes skips that slot too.
  assert.equal(mostRecent(cj, '2024-01-08T06:00:00Z').mostRecent, undefined);
  const every = cronJob('@every 1h', { created: '2024-01-01T00:00:10Z' });
  assert.equal(mostRecent(every, '2024-01-01T05:30:00Z').mostRecent, '2024-01-01T05:00:10Z');
});

test('a schedule that never fires twice is invalid, as Kubernetes reports it', () => {
  const cj = cronJob('59 23 31 2 *');
  assert.throws(() => mostRecentScheduleTime(cj, T('2016-05-19T10:00:00Z'), parseCronJobSchedule(cj, 'UTC'), true), (e: unknown) => {
    return e instanceof InvalidScheduleError && e.message === 'time difference between two schedules is less than 1 second';
  });
});

test('requeue delay: the next schedule time plus 100 ms, from the last handled slot', () => {
  const cj = cronJob('0 * * * *', { created: '2016-05-19T09:01:00Z' });
  const sched = parseCronJobSchedule(cj, 'UTC');
  assert.equal(nextScheduleDelay(cj, T('2016-05-19T09:59:00Z'), sched), 60_000 + 100);
  const ran = cronJob('0 * * * *', { created: '2016-05-19T09:01:00Z', last: '2016-05-19T10:00:00Z' });
  assert.equal(nextScheduleDelay(ran, T('2016-05-19T10:01:00Z'), sched), 59 * 60_000 + 100);
  // Missed slots and nothing unmet at the moment: count from now.
  const stale = cronJob('0 * * * *', { created: '2016-05-19T01:01:00Z' });
  assert.equal(nextScheduleDelay(stale, T('2016-05-19T10:30:00Z'), sched), 30 * 60_000 + 100);
});

test('time zones: Asia/Tokyo 09:00 is 00:00 UTC; no timeZone means the controller default (UTC)', () => {
  const tokyo = cronJob('0 9 * * *', { created: '2024-06-01T12:00:00Z', tz: 'Asia/Tokyo' });
  assert.equal(formatSchedule(tokyo), 'TZ=Asia/Tokyo 0 9 * * *');
  assert.equal(iso(parseCronJobSchedule(tokyo, 'UTC').next(T('2024-06-01T12:00:00Z'))), '2024-06-02T00:00:00Z');
  const plain = cronJob('0 9 * * *');
  assert.equal(iso(parseCronJobSchedule(plain, 'UTC').next(T('2024-06-01T12:00:00Z'))), '2024-06-02T09:00:00Z');
  assert.equal(iso(parseCronJobSchedule(plain, 'Europe/Paris').next(T('2024-06-01T12:00:00Z'))), '2024-06-02T07:00:00Z');
  // A TZ= prefix in the schedule wins over timeZone, and is reported.
  const seen: string[] = [];
  assert.equal(formatSchedule(cronJob('TZ=UTC 0 * * * *', { tz: 'Asia/Tokyo' }), (s) => seen.push(s)), 'TZ=UTC 0 * * * *');
  assert.deepEqual(seen, ['TZ=UTC 0 * * * *']);
});

test('DST, spring forward: a time in the skipped local hour does not run that day', () => {
  // America/New_York skips 02:00–03:00 on 2024-03-10.
  const cj = cronJob('30 2 * * *', { tz: 'America/New_York', created: '2024-03-08T00:00:00Z', last: '2024-03-09T07:30:00Z' });
  const sched = parseCronJobSchedule(cj, 'UTC');
  assert.equal(mostRecent(cj, '2024-03-10T12:00:00Z').mostRecent, undefined, 'nothing ran on the 10th');
  assert.equal(nextScheduleDelay(cj, T('2024-03-10T12:00:00Z'), sched), T('2024-03-11T06:30:00Z') + 100 - T('2024-03-10T12:00:00Z'));
  assert.equal(mostRecent(cj, '2024-03-11T06:30:00Z').mostRecent, '2024-03-11T06:30:00Z', '02:30 EDT the next day');
});

test('DST, fall back: a time in the repeated local hour runs in both occurrences', () => {
  // America/New_York repeats 01:00–02:00 on 2024-11-03 (EDT, then EST).
  const cj = cronJob('30 1 * * *', { tz: 'America/New_York', created: '2024-11-01T00:00:00Z', last: '2024-11-02T05:30:00Z' });
  assert.equal(mostRecent(cj, '2024-11-03T05:30:01Z').mostRecent, '2024-11-03T05:30:00Z', '01:30 EDT');
  const ranFirst = cronJob('30 1 * * *', { tz: 'America/New_York', created: '2024-11-01T00:00:00Z', last: '2024-11-03T05:30:00Z' });
  assert.equal(mostRecent(ranFirst, '2024-11-03T06:30:01Z').mostRecent, '2024-11-03T06:30:00Z', '01:30 EST, an hour later');
  // Distinct Job names and scheduled timestamps for the two runs.
  assert.notEqual(jobNameFor('hello', T('2024-11-03T05:30:00Z')), jobNameFor('hello', T('2024-11-03T06:30:00Z')));
  assert.equal(formatRFC3339InZone(T('2024-11-03T05:30:00Z'), 'America/New_York'), '2024-11-03T01:30:00-04:00');
  assert.equal(formatRFC3339InZone(T('2024-11-03T06:30:00Z'), 'America/New_York'), '2024-11-03T01:30:00-05:00');
});

test('job names are the scheduled time in minutes since the epoch; the template is copied', () => {
  assert.equal(jobNameFor('hello', T('2017-12-14T10:24:00Z')), 'hello-25220784');
  assert.equal(jobNameFor('hello', T('2017-12-14T10:24:59.999Z')), 'hello-25220784');
  const cj = cronJob('*/1 * * * *', { tz: 'Asia/Kolkata' });
  const job = newJobForSchedule(cj, T('2024-01-01T00:01:00Z'), 'UTC');
  assert.equal(job.metadata?.name, `hello-${T('2024-01-01T00:01:00Z') / 60_000}`);
  assert.deepEqual(job.metadata?.labels, { a: 'b' });
  assert.deepEqual(job.metadata?.annotations, { x: 'y', 'batch.kubernetes.io/cronjob-scheduled-timestamp': '2024-01-01T05:31:00+05:30' });
  assert.deepEqual(job.metadata?.ownerReferences, [{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'hello', uid: 'u1', controller: true, blockOwnerDeletion: true }]);
  assert.equal(newJobForSchedule(cronJob('* * * * *'), T('2024-01-01T00:01:00Z'), 'UTC').metadata?.annotations?.['batch.kubernetes.io/cronjob-scheduled-timestamp'], '2024-01-01T00:01:00Z');
  assert.equal(formatRFC1123Z(T('2016-05-19T10:00:00Z')), 'Thu, 19 May 2016 10:00:00 +0000');
});

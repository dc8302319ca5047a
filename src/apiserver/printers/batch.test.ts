import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CronJob, Job, JobCondition } from 'kubernetes-types/batch/v1.js';
import { deepFreeze } from '../../api/object.js';
import { ago, cells, columnNames } from './testdata/helpers.js';

const template = {
  metadata: { labels: { 'batch.kubernetes.io/job-name': 'pi' } },
  spec: { restartPolicy: 'Never', containers: [{ name: 'pi', image: 'perl:5.34' }, { name: 'log', image: 'busybox' }] },
};
const selector = { matchLabels: { 'batch.kubernetes.io/controller-uid': 'c0ffee' } };

function job(spec: Partial<Job['spec']>, status: Job['status'], deleted = false): Job {
  return deepFreeze({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'pi', namespace: 'default', creationTimestamp: ago(4 * 3600), ...(deleted ? { deletionTimestamp: ago(1) } : {}) },
    spec: { completions: 1, parallelism: 1, selector, template, ...spec },
    status,
  } as Job);
}
const cond = (type: string, status = 'True'): JobCondition => ({ type, status, lastTransitionTime: ago(10) });
const WIDE = ['pi,log', 'perl:5.34,busybox', 'batch.kubernetes.io/controller-uid=c0ffee'];

// [case, job, NAME STATUS COMPLETIONS DURATION AGE] (+ wide cells checked separately)
const jobCases: Array<[string, Job, unknown[]]> = [
  ['not started yet', job({}, {}), ['pi', 'Running', '0/1', '', '4h']],
  ['running', job({}, { startTime: ago(65), active: 1 }), ['pi', 'Running', '0/1', '65s', '4h']],
  [
    'complete: duration is completion - start',
    job({}, { startTime: ago(3600), completionTime: ago(3600 - 312), succeeded: 1, conditions: [cond('SuccessCriteriaMet'), cond('Complete')] }),
    ['pi', 'Complete', '1/1', '5m12s', '4h'],
  ],
  [
    'failed: no completion time, so duration keeps counting',
    job({}, { startTime: ago(1800), failed: 7, conditions: [cond('FailureTarget'), cond('Failed')] }),
    ['pi', 'Failed', '0/1', '30m', '4h'],
  ],
  ['failure target before Failed is set', job({}, { startTime: ago(30), failed: 7, conditions: [cond('FailureTarget')] }), ['pi', 'FailureTarget', '0/1', '30s', '4h']],
  ['suspended', job({ suspend: true }, { conditions: [cond('Suspended')] }), ['pi', 'Suspended', '0/1', '', '4h']],
  ['resumed: a False Suspended condition does not count', job({}, { startTime: ago(5), conditions: [cond('Suspended', 'False')] }), ['pi', 'Running', '0/1', '5s', '4h']],
  ['terminating', job({}, { startTime: ago(20), active: 1, conditions: [cond('Suspended')] }, true), ['pi', 'Terminating', '0/1', '20s', '4h']],
  [
    'complete wins over terminating',
    job({}, { startTime: ago(20), completionTime: ago(10), succeeded: 1, conditions: [cond('Complete')] }, true),
    ['pi', 'Complete', '1/1', '10s', '4h'],
  ],
  ['completions 5', job({ completions: 5, parallelism: 2 }, { startTime: ago(10), succeeded: 3, active: 2 }), ['pi', 'Running', '3/5', '10s', '4h']],
  ['work queue: completions unset', job({ completions: undefined, parallelism: 1 }, { startTime: ago(10) }), ['pi', 'Running', '0/1', '10s', '4h']],
  ['work queue with parallelism', job({ completions: undefined, parallelism: 3 }, { startTime: ago(10), succeeded: 1 }), ['pi', 'Running', '1/1 of 3', '10s', '4h']],
];

test('job columns match Kubernetes', () => {
  assert.deepEqual(columnNames('batch/v1/jobs'), ['Name', 'Status', 'Completions', 'Duration', 'Age', 'Containers*', 'Images*', 'Selector*']);
});

for (const [name, j, want] of jobCases) {
  test(`job row: ${name}`, () => {
    assert.deepEqual(cells('batch/v1/jobs', j), [...want, ...WIDE]);
  });
}

function cronJob(spec: Partial<CronJob['spec']>, status: CronJob['status']): CronJob {
  return deepFreeze({
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'hello', namespace: 'default', creationTimestamp: ago(3 * 86400) },
    spec: { schedule: '*/1 * * * *', jobTemplate: { spec: { template } }, ...spec },
    status,
  } as CronJob);
}

test('cronjob columns match Kubernetes', () => {
  assert.deepEqual(columnNames('batch/v1/cronjobs'), [
    'Name',
    'Schedule',
    'Timezone',
    'Suspend',
    'Active',
    'Last Schedule',
    'Age',
    'Containers*',
    'Images*',
    'Selector*',
  ]);
});

test('cronjob rows: timezone, suspend, active and last schedule', () => {
  assert.deepEqual(cells('batch/v1/cronjobs', cronJob({ suspend: false }, {})), [
    'hello',
    '*/1 * * * *',
    '<none>',
    'False',
    0,
    '<none>',
    '3d',
    'pi,log',
    'perl:5.34,busybox',
    '<none>',
  ]);
  assert.deepEqual(
    cells(
      'batch/v1/cronjobs',
      cronJob(
        { timeZone: 'Europe/Paris', suspend: true, jobTemplate: { spec: { template, selector } } },
        { lastScheduleTime: ago(42), active: [{ name: 'hello-1', namespace: 'default' }] },
      ),
    ),
    ['hello', '*/1 * * * *', 'Europe/Paris', 'True', 1, '42s', '3d', 'pi,log', 'perl:5.34,busybox', 'batch.kubernetes.io/controller-uid=c0ffee'],
  );
  // An undefaulted suspend prints <unset>, as Kubernetes' printBoolPtr.
  assert.equal(cells('batch/v1/cronjobs', cronJob({}, {}))[3], '<unset>');
});

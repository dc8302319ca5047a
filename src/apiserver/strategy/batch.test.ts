import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/object.js';
import { create, resourceOf, update } from './test-helpers.js';

const JOB = resourceOf('batch', 'Job');
const CRON = resourceOf('batch', 'CronJob');

const podTemplate = (extra: Record<string, unknown> = {}) => ({ spec: { containers: [{ name: 'pi', image: 'perl' }], restartPolicy: 'Never', ...extra } });
const job = (spec: Record<string, unknown> = {}, name = 'pi'): KubeObject => ({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name, uid: 'u-123' }, spec: { template: podTemplate(), ...spec } });
const cronJob = (spec: Record<string, unknown> = {}, name = 'hello'): KubeObject => ({
  apiVersion: 'batch/v1',
  kind: 'CronJob',
  metadata: { name },
  spec: { schedule: '*/5 * * * *', jobTemplate: { spec: { template: podTemplate() } }, ...spec },
});

test('Job defaults, generated selector and labels', () => {
  const { obj, errors } = create(JOB, job());
  assert.deepEqual(errors, []);
  const spec = obj.spec as Record<string, unknown> & { template: { metadata: { labels: Record<string, string> }; spec: Record<string, unknown> } };
  assert.equal(spec.completions, 1);
  assert.equal(spec.parallelism, 1);
  assert.equal(spec.backoffLimit, 6);
  assert.equal(spec.completionMode, 'NonIndexed');
  assert.equal(spec.suspend, false);
  assert.equal(spec.podReplacementPolicy, 'TerminatingOrFailed');
  assert.equal(spec.manualSelector, false);
  const labels = { 'batch.kubernetes.io/controller-uid': 'u-123', 'batch.kubernetes.io/job-name': 'pi', 'controller-uid': 'u-123', 'job-name': 'pi' };
  assert.deepEqual(spec.selector, { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u-123' } });
  assert.deepEqual(spec.template.metadata.labels, labels);
  assert.deepEqual(obj.metadata?.labels, labels, 'the Job takes its template labels');
  assert.equal(spec.template.spec.terminationGracePeriodSeconds, 30);
  assert.deepEqual(obj.status, {});
  assert.equal(obj.metadata?.generation, 1);

  const parallel = create(JOB, job({ parallelism: 3 })).obj.spec as Record<string, unknown>;
  assert.equal(parallel.completions, undefined, 'a work queue Job keeps completions unset');
  const perIndex = create(JOB, job({ completionMode: 'Indexed', completions: 3, backoffLimitPerIndex: 1 })).obj.spec as Record<string, unknown>;
  assert.equal(perIndex.backoffLimit, 2147483647);
  const pfp = create(JOB, job({ podFailurePolicy: { rules: [{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] }] } }));
  assert.deepEqual(pfp.errors, []);
  assert.equal((pfp.obj.spec as Record<string, unknown>).podReplacementPolicy, 'Failed');
  assert.deepEqual((pfp.obj.spec as { podFailurePolicy: unknown }).podFailurePolicy, { rules: [{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] }] });

  const labelled = create(JOB, { ...job(), metadata: { name: 'pi', uid: 'u-1', labels: { team: 'a' } } }).obj;
  assert.deepEqual(labelled.metadata?.labels, { team: 'a' });
});

test('manual selectors are left alone and must match', () => {
  const ok = create(JOB, job({ manualSelector: true, selector: { matchLabels: { app: 'pi' } }, template: { metadata: { labels: { app: 'pi' } }, ...podTemplate() } }));
  assert.deepEqual(ok.errors, []);
  assert.deepEqual((ok.obj.spec as { selector: unknown }).selector, { matchLabels: { app: 'pi' } });
  const bad = create(JOB, job({ manualSelector: true, selector: { matchLabels: { app: 'pi' } } }));
  assert.deepEqual(bad.errors, ['spec.template.metadata.labels: Invalid value: map[string]string(nil): `selector` does not match template `labels`']);
  const conflicting = create(JOB, job({ template: { metadata: { labels: { 'job-name': 'other' } }, ...podTemplate() } }));
  assert.deepEqual(conflicting.errors, [
    'spec.template.metadata.labels[job-name]: Invalid value: map[string]string{"batch.kubernetes.io/controller-uid":"u-123", "batch.kubernetes.io/job-name":"pi", "controller-uid":"u-123", "job-name":"other"}: must be \'pi\'',
  ]);
  const wrongUid = create(JOB, job({ selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'other' } } }));
  assert.ok(wrongUid.errors.includes('spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"batch.kubernetes.io/controller-uid":"other"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: `selector` not auto-generated'), wrongUid.errors.join('\n'));
});

test('Job validation messages', () => {
  const cases: Array<[KubeObject, string[]]> = [
    [job({ template: podTemplate({ restartPolicy: undefined }) }), ['spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"']],
    [job({ template: podTemplate({ restartPolicy: 'Always' }) }), ['spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"']],
    [job({ parallelism: -1 }), ['spec.parallelism: Invalid value: -1: must be greater than or equal to 0']],
    [job({ backoffLimit: -2 }), ['spec.backoffLimit: Invalid value: -2: must be greater than or equal to 0']],
    [job({ completionMode: 'Random' }), ['spec.completionMode: Unsupported value: "Random": supported values: "NonIndexed", "Indexed"']],
    [job({ completionMode: 'Indexed', parallelism: 2 }), ['spec.completions: Required value: when completion mode is Indexed']],
    [job({ backoffLimitPerIndex: 1 }), ['spec.backoffLimitPerIndex: Invalid value: 1: requires indexed completion mode']],
    [
      job({ podFailurePolicy: { rules: [{ action: 'FailJob', onExitCodes: { operator: 'In', values: [0, 3, 2] } }] } }),
      ['spec.podFailurePolicy.rules[0].onExitCodes.values[0]: Invalid value: 0: must not be 0 for the In operator', 'spec.podFailurePolicy.rules[0].onExitCodes.values: Invalid value: []int32{0, 3, 2}: must be ordered'],
    ],
    [job({ podFailurePolicy: { rules: [{ action: 'Retry', onPodConditions: [{ type: 'DisruptionTarget' }] }] } }), ['spec.podFailurePolicy.rules[0].action: Unsupported value: "Retry": supported values: "Count", "FailIndex", "FailJob", "Ignore"']],
    [job({ podFailurePolicy: { rules: [{ action: 'Ignore' }] } }), ['spec.podFailurePolicy.rules[0]: Invalid value: specifying one of OnExitCodes and OnPodConditions is required']],
    [
      job({ podFailurePolicy: { rules: [{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] }] }, template: podTemplate({ restartPolicy: 'OnFailure' }) }),
      ['spec.template.spec.restartPolicy: Invalid value: "OnFailure": only "Never" is supported when podFailurePolicy is specified'],
    ],
    [job({ completionMode: 'Indexed', completions: 3 }, 'a'.repeat(62)), [`metadata.name: Invalid value: "${'a'.repeat(62)}": will not able to create pod with invalid DNS label: ${'a'.repeat(62)}-2`]],
  ];
  for (const [obj, want] of cases) assert.deepEqual(create(JOB, obj).errors, want, JSON.stringify(obj.spec));
});

test('Job updates: template immutable unless suspended and never started', () => {
  const old = create(JOB, job({ suspend: true })).obj;
  const retemplated = structuredClone(old) as KubeObject & { spec: { template: { spec: { containers: Array<{ image: string }>; nodeSelector?: Record<string, string> } }; parallelism: number } };
  retemplated.spec.template.spec.containers[0]!.image = 'perl:2';
  const [msg] = update(JOB, old, retemplated).errors;
  assert.match(msg ?? '', /^spec\.template: Invalid value: \{.*\}: field is immutable$/);

  const scheduling = structuredClone(old) as typeof retemplated;
  scheduling.spec.template.spec.nodeSelector = { disk: 'ssd' };
  assert.deepEqual(update(JOB, old, scheduling).errors, [], 'suspended, never-started Jobs may change scheduling directives');
  const started = { ...structuredClone(old), status: { startTime: '2024-01-01T00:00:00Z' } };
  assert.match(update(JOB, started, scheduling).errors[0] ?? '', /field is immutable/);

  const scaled = structuredClone(old) as typeof retemplated;
  scaled.spec.parallelism = 5;
  const r = update(JOB, old, scaled);
  assert.deepEqual(r.errors, []);
  assert.equal(r.generationBumped, true);

  const completions = structuredClone(old) as KubeObject & { spec: { completions: number } };
  completions.spec.completions = 4;
  assert.deepEqual(update(JOB, old, completions).errors, ['spec.completions: Invalid value: 4: field is immutable']);

  const indexed = create(JOB, job({ completionMode: 'Indexed', completions: 2, parallelism: 2 })).obj;
  const elastic = structuredClone(indexed) as KubeObject & { spec: { completions: number; parallelism: number } };
  elastic.spec.completions = 4;
  assert.deepEqual(update(JOB, indexed, elastic).errors, ['spec.completions: Invalid value: 4: can only be modified in tandem with spec.parallelism']);
  elastic.spec.parallelism = 4;
  assert.deepEqual(update(JOB, indexed, elastic).errors, []);

  const reselected = structuredClone(old) as KubeObject & { spec: { selector: unknown } };
  reselected.spec.selector = { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u-123', extra: 'x' } };
  assert.ok(update(JOB, old, reselected).errors.some((e) => e.startsWith('spec.selector: Invalid value: v1.LabelSelector{') && e.endsWith(': field is immutable')));
});

test('CronJob defaults', () => {
  const { obj, errors } = create(CRON, cronJob());
  assert.deepEqual(errors, []);
  const spec = obj.spec as Record<string, unknown> & { jobTemplate: { spec: Record<string, unknown> & { template: { spec: Record<string, unknown> } } } };
  assert.equal(spec.concurrencyPolicy, 'Allow');
  assert.equal(spec.suspend, false);
  assert.equal(spec.successfulJobsHistoryLimit, 3);
  assert.equal(spec.failedJobsHistoryLimit, 1);
  assert.equal(spec.jobTemplate.spec.template.spec.dnsPolicy, 'ClusterFirst');
  assert.equal(spec.jobTemplate.spec.backoffLimit, undefined, 'the job template spec itself is not defaulted');
  assert.deepEqual(obj.status, {});
  assert.equal(obj.metadata?.generation, 1);
});

test('CronJob validation: schedule, time zone, names, policies', () => {
  const cases: Array<[KubeObject, string[]]> = [
    [cronJob({ schedule: '' }), ['spec.schedule: Required value']],
    [cronJob({ schedule: 'every minute' }), ['spec.schedule: Invalid value: "every minute": expected exactly 5 fields, found 2: [every minute]']],
    [cronJob({ schedule: '61 * * * *' }), ['spec.schedule: Invalid value: "61 * * * *": end of range (61) above maximum (59): 61']],
    [cronJob({ schedule: 'TZ=UTC * * * * *' }), ['spec.schedule: Invalid value: "TZ=UTC * * * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead']],
    [cronJob({ timeZone: 'Local' }), ['spec.timeZone: Invalid value: "Local": timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones']],
    [cronJob({ timeZone: 'Mars/Olympus' }), ['spec.timeZone: Invalid value: "Mars/Olympus": unknown time zone Mars/Olympus']],
    [cronJob({ timeZone: 'Europe/Paris' }), []],
    [cronJob({ concurrencyPolicy: 'Sometimes' }), ['spec.concurrencyPolicy: Unsupported value: "Sometimes": supported values: "Allow", "Forbid", "Replace"']],
    [cronJob({ successfulJobsHistoryLimit: -1 }), ['spec.successfulJobsHistoryLimit: Invalid value: -1: must be greater than or equal to 0']],
    [
      cronJob({ jobTemplate: { spec: { selector: { matchLabels: { a: 'b' } }, template: podTemplate() } } }),
      ['spec.jobTemplate.spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"a":"b"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: `selector` will be auto-generated'],
    ],
    [cronJob({ jobTemplate: { spec: { template: podTemplate({ restartPolicy: 'Always' }) } } }), ['spec.jobTemplate.spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"']],
    [cronJob({}, 'c'.repeat(53)), [`metadata.name: Invalid value: "${'c'.repeat(53)}": must be no more than 52 characters`]],
  ];
  for (const [obj, want] of cases) assert.deepEqual(create(CRON, obj).errors, want, JSON.stringify(obj.spec));

  // An existing schedule that already used TZ= may keep it; a new one may not add it.
  const legacy = create(CRON, cronJob()).obj;
  (legacy.spec as { schedule: string }).schedule = 'TZ=UTC 0 * * * *';
  const edit = structuredClone(legacy);
  (edit.spec as { suspend: boolean }).suspend = true;
  assert.deepEqual(update(CRON, legacy, edit).errors, []);
  const longName = create(CRON, cronJob({}, 'c'.repeat(53))).obj;
  assert.deepEqual(update(CRON, longName, structuredClone(longName)).errors, [], 'the 52-character limit applies to creation only');
});

/**
 * Table tests of the Job controller's pure parts: index intervals, pod failure policy matching,
 * success policy rules, failure back-off, Indexed helpers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Job } from 'kubernetes-types/batch/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { BackoffStore, podFinishedTime, remainingBackoffMs } from './backoff.js';
import { firstPendingIndexes, podGenerateNameWithIndex, splitDuplicatedIndexPods } from './indexed.js';
import { OrderedIntervals } from './intervals.js';
import { matchPodFailurePolicy } from './pod-failure-policy.js';
import { matchSuccessPolicy } from './success-policy.js';

test('intervals: parse, format, merge, has, total', () => {
  const cases: Array<[string, number, string, number]> = [
    ['', 10, '', 0],
    ['0-2,4,6-7', 10, '0-2,4,6,7', 6],
    ['1,2,3', 10, '1-3', 3],
    ['3-5,8-12', 10, '3-5,8,9', 5],
    ['12,14', 10, '', 0],
    ['0,x,2', 10, '0,2', 2],
  ];
  for (const [input, completions, out, total] of cases) {
    const iv = OrderedIntervals.parse(input, completions);
    assert.equal(iv.toString(), out, input);
    assert.equal(iv.total(), total, input);
  }
  const merged = OrderedIntervals.parse('0,5-6', 10).withOrderedIndexes([1, 3, 4, 9]);
  assert.equal(merged.toString(), '0,1,3-6,9');
  assert.ok(merged.has(4) && merged.has(9) && !merged.has(2) && !merged.has(7) && !merged.has(10));
  assert.equal(OrderedIntervals.parse('0-1', 5).merge(OrderedIntervals.parse('2,4', 5)).toString(), '0-2,4');
});

const failedPod = (opts: { exit?: number; container?: string; init?: boolean; conditions?: Array<[string, string]> } = {}): Pod => {
  const cs = [{ name: opts.container ?? 'main', image: '', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: opts.exit ?? 1 } } }];
  return {
    metadata: { name: 'p', namespace: 'ns' },
    status: {
      phase: 'Failed',
      ...(opts.init ? { initContainerStatuses: cs } : { containerStatuses: cs }),
      conditions: (opts.conditions ?? []).map(([type, status]) => ({ type, status })),
    },
  };
};
const jobWithPolicy = (rules: NonNullable<NonNullable<Job['spec']>['podFailurePolicy']>['rules']): Job => ({ spec: { template: {}, podFailurePolicy: { rules } } });

test('pod failure policy: first matching rule wins; exit code 0 never matches; init containers count', () => {
  const job = jobWithPolicy([
    { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
    { action: 'FailJob', onExitCodes: { containerName: 'main', operator: 'In', values: [42] } },
    { action: 'Count', onExitCodes: { operator: 'NotIn', values: [0, 42, 7] } },
    { action: 'FailIndex', onExitCodes: { operator: 'In', values: [7] } },
  ]);
  assert.deepEqual(matchPodFailurePolicy(job, failedPod({ exit: 42, conditions: [['DisruptionTarget', 'True']] })), { countFailed: false, action: 'Ignore' });
  assert.deepEqual(matchPodFailurePolicy(job, failedPod({ exit: 42 })), {
    failJobMessage: 'Container main for pod ns/p failed with exit code 42 matching FailJob rule at index 1',
    countFailed: true,
    action: 'FailJob',
  });
  assert.deepEqual(matchPodFailurePolicy(job, failedPod({ exit: 42, container: 'side' })), { countFailed: true }, 'containerName restricts the rule; 42 is excluded by NotIn');
  assert.deepEqual(matchPodFailurePolicy(job, failedPod({ exit: 3 })), { countFailed: true, action: 'Count' });
  assert.deepEqual(matchPodFailurePolicy(job, failedPod({ exit: 7 })), { countFailed: true, action: 'FailIndex' });
  assert.deepEqual(matchPodFailurePolicy(job, failedPod({ exit: 0 })), { countFailed: true }, 'no rule matches exit code 0');
  assert.deepEqual(matchPodFailurePolicy(job, failedPod({ exit: 42, init: true })).action, 'FailJob');
  assert.deepEqual(matchPodFailurePolicy(job, failedPod({ exit: 1, conditions: [['DisruptionTarget', 'False']] })).action, 'Count');
  const byCondition = jobWithPolicy([{ action: 'FailJob', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] }]);
  assert.equal(matchPodFailurePolicy(byCondition, failedPod({ conditions: [['DisruptionTarget', 'True']] })).failJobMessage, 'Pod ns/p has condition DisruptionTarget matching FailJob rule at index 0');
  assert.deepEqual(matchPodFailurePolicy({ spec: { template: {} } }, failedPod()), { countFailed: true });
});

test('success policy: succeededIndexes, succeededCount, and both', () => {
  const s = (x: string) => OrderedIntervals.parse(x, 10);
  const policy = { rules: [{ succeededIndexes: '0,2-4', succeededCount: 3 }, { succeededCount: 5 }, { succeededIndexes: '9' }] };
  assert.equal(matchSuccessPolicy(policy, 10, s('0,2')), undefined);
  assert.equal(matchSuccessPolicy(policy, 10, s('2-4')), 'Matched rules at index 0');
  assert.equal(matchSuccessPolicy(policy, 10, s('5-8,1')), 'Matched rules at index 1');
  assert.equal(matchSuccessPolicy(policy, 10, s('9')), 'Matched rules at index 2');
  assert.equal(matchSuccessPolicy({ rules: [{ succeededIndexes: '1-3' }] }, 10, s('1-3')), 'Matched rules at index 0');
  assert.equal(matchSuccessPolicy({ rules: [{ succeededIndexes: '1-3' }] }, 10, s('1,3')), undefined);
  assert.equal(matchSuccessPolicy(undefined, 10, s('0-9')), undefined);
});

test('failure back-off: 10 s × 2^(n−1), capped at 10 min, from the last failure', () => {
  assert.equal(remainingBackoffMs(1_000_000, 0, undefined), 0);
  assert.equal(remainingBackoffMs(1_000_000, 1, 1_000_000), 10_000);
  assert.equal(remainingBackoffMs(1_004_000, 1, 1_000_000), 6_000);
  assert.equal(remainingBackoffMs(1_000_000, 3, 1_000_000), 40_000);
  assert.equal(remainingBackoffMs(1_000_000, 7, 1_000_000), 600_000);
  assert.equal(remainingBackoffMs(1_000_000, 30, 1_000_000), 600_000);
  assert.equal(remainingBackoffMs(2_000_000, 2, 1_000_000), 0);
});

const finished = (name: string, phase: 'Succeeded' | 'Failed', at: string): Pod => ({
  metadata: { name, uid: name, creationTimestamp: '2024-01-01T00:00:00Z' },
  status: { phase, containerStatuses: [{ name: 'c', image: '', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: phase === 'Failed' ? 1 : 0, finishedAt: at } } }] },
});

test('back-off record: failures extend the streak, a success resets it, later failures count again', () => {
  const store = new BackoffStore();
  const r1 = store.newRecord('k', [], [finished('a', 'Failed', '2024-01-01T00:00:10Z'), finished('b', 'Failed', '2024-01-01T00:00:05Z')]);
  assert.deepEqual(r1, { key: 'k', failuresAfterLastSuccess: 2, lastFailureTimeMs: Date.parse('2024-01-01T00:00:10Z') });
  store.update(r1);
  const r2 = store.newRecord('k', [finished('c', 'Succeeded', '2024-01-01T00:00:20Z')], [finished('d', 'Failed', '2024-01-01T00:00:30Z'), finished('e', 'Failed', '2024-01-01T00:00:15Z')]);
  assert.deepEqual(r2, { key: 'k', failuresAfterLastSuccess: 1, lastFailureTimeMs: Date.parse('2024-01-01T00:00:30Z') });
  // Finish time falls back to the Ready=False transition, then deletion minus grace, then creation.
  assert.equal(podFinishedTime({ metadata: { creationTimestamp: '2024-01-01T00:00:00Z', deletionTimestamp: '2024-01-01T00:01:00Z', deletionGracePeriodSeconds: 30 } }), Date.parse('2024-01-01T00:00:30Z'));
  assert.equal(podFinishedTime({ metadata: {}, status: { conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: '2024-01-01T00:02:00Z' }] } }), Date.parse('2024-01-01T00:02:00Z'));
});

const indexed = (name: string, ix: string | undefined, phase = 'Running', ready = false): Pod => ({
  metadata: { name, uid: name, creationTimestamp: '2024-01-01T00:00:00Z', ...(ix !== undefined ? { annotations: { 'batch.kubernetes.io/job-completion-index': ix } } : {}) },
  spec: { containers: [], nodeName: 'n' },
  status: { phase, conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
});

test('indexed helpers: pending indexes, duplicates and out-of-range pods, generateName length', () => {
  const job: Job = { spec: { template: {}, completions: 6, completionMode: 'Indexed' } };
  const active = [indexed('a', '1'), indexed('b', '4')];
  assert.deepEqual(
    firstPendingIndexes({ job, pods: active, activePods: active, succeeded: OrderedIntervals.parse('0,2', 6), failed: undefined, onlyReplaceFailed: false, count: 10, completions: 6 }),
    [3, 5],
  );
  assert.deepEqual(
    firstPendingIndexes({ job, pods: active, activePods: active, succeeded: OrderedIntervals.empty(), failed: OrderedIntervals.parse('3', 6), onlyReplaceFailed: false, count: 2, completions: 6 }),
    [0, 2],
  );
  const { remove, keep } = splitDuplicatedIndexPods([indexed('x', '0'), indexed('y', '0', 'Running', true), indexed('z', '9'), indexed('w', undefined), indexed('v', '1')], 6);
  assert.deepEqual(remove.map((p) => p.metadata!.name).sort(), ['w', 'x', 'z']);
  assert.deepEqual(keep.map((p) => p.metadata!.name).sort(), ['v', 'y'], 'the ready duplicate is kept');
  assert.equal(podGenerateNameWithIndex('pi', 3), 'pi-3-');
  const long = podGenerateNameWithIndex('a'.repeat(60), 12345);
  assert.equal(long.length, 58);
  assert.ok(long.endsWith('-12345-'));
});

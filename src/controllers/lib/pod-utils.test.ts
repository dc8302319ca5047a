import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { isPodAvailable, lessForDeletion, maxContainerRestarts, msUntilAvailable, podDeletionCost, rankForDeletion } from './pod-utils.js';

const NOW = Date.parse('2024-06-01T12:00:00Z');
const iso = (msAgo: number) => new Date(NOW - msAgo).toISOString().replace('.000Z', 'Z');

interface P {
  name: string;
  uid?: string;
  node?: string;
  phase?: string;
  readyAgoMs?: number;
  createdAgoMs?: number;
  restarts?: number[];
  cost?: string;
  deleting?: boolean;
}

function pod(p: P): Pod {
  return {
    metadata: {
      name: p.name,
      uid: p.uid ?? `uid-${p.name}`,
      creationTimestamp: iso(p.createdAgoMs ?? 3_600_000),
      ...(p.cost !== undefined ? { annotations: { 'controller.kubernetes.io/pod-deletion-cost': p.cost } } : {}),
      ...(p.deleting ? { deletionTimestamp: iso(0) } : {}),
    },
    spec: { containers: [{ name: 'c' }], ...(p.node ? { nodeName: p.node } : {}) },
    status: {
      phase: p.phase ?? 'Running',
      conditions: p.readyAgoMs === undefined ? [] : [{ type: 'Ready', status: 'True', lastTransitionTime: iso(p.readyAgoMs) }],
      containerStatuses: (p.restarts ?? [0]).map((n, i) => ({ name: `c${i}`, restartCount: n, ready: true, image: 'x', imageID: '' })),
    },
  } as Pod;
}

const names = (pods: Pod[]) => pods.map((p) => p.metadata!.name);

test('rankForDeletion follows ActivePodsWithRanks rule by rule', () => {
  const cases: Array<{ rule: string; first: P; second: P }> = [
    { rule: 'unscheduled before scheduled', first: { name: 'a', phase: 'Pending' }, second: { name: 'b', node: 'n1', phase: 'Pending' } },
    { rule: 'Pending before Unknown', first: { name: 'a', node: 'n1', phase: 'Pending' }, second: { name: 'b', node: 'n1', phase: 'Unknown' } },
    { rule: 'Unknown before Running', first: { name: 'a', node: 'n1', phase: 'Unknown' }, second: { name: 'b', node: 'n1', phase: 'Running' } },
    { rule: 'not ready before ready', first: { name: 'a', node: 'n1' }, second: { name: 'b', node: 'n1', readyAgoMs: 1000 } },
    { rule: 'lower deletion cost first', first: { name: 'a', node: 'n1', readyAgoMs: 1000, cost: '-5' }, second: { name: 'b', node: 'n1', readyAgoMs: 1000, cost: '10' } },
    { rule: 'ready more recently first (different log2 buckets)', first: { name: 'a', node: 'n1', readyAgoMs: 10_000 }, second: { name: 'b', node: 'n1', readyAgoMs: 600_000 } },
    { rule: 'more restarts (max, not sum) first', first: { name: 'a', node: 'n1', restarts: [0, 3] }, second: { name: 'b', node: 'n1', restarts: [2, 2] } },
    { rule: 'newer first', first: { name: 'a', node: 'n1', createdAgoMs: 10_000 }, second: { name: 'b', node: 'n1', createdAgoMs: 7_200_000 } },
  ];
  for (const c of cases) {
    const sorted = rankForDeletion([pod(c.second), pod(c.first)], { now: NOW });
    assert.deepEqual(names(sorted), ['a', 'b'], c.rule);
    const sorted2 = rankForDeletion([pod(c.first), pod(c.second)], { now: NOW });
    assert.deepEqual(names(sorted2), ['a', 'b'], `${c.rule} (input order reversed)`);
  }
});

test('doubled-up pods go first, counting active related pods on the node', () => {
  const a = pod({ name: 'a', node: 'n1', readyAgoMs: 1000 });
  const b = pod({ name: 'b', node: 'n2', readyAgoMs: 1000 });
  const sibling = pod({ name: 'sib', node: 'n2', readyAgoMs: 1000 });
  const gone = pod({ name: 'gone', node: 'n1', readyAgoMs: 1000, deleting: true });
  assert.deepEqual(names(rankForDeletion([a, b], { now: NOW, related: [a, b, sibling, gone] })), ['b', 'a']);
  // Without related pods (a ReplicaSet with no controller) every rank is 0 and no rule decides.
  assert.deepEqual(names(rankForDeletion([b, a], { now: NOW })), ['b', 'a']);
  assert.deepEqual(names(rankForDeletion([a, b], { now: NOW })), ['a', 'b']);
});

test('times in the same power-of-two bucket tie, then the UID decides', () => {
  // 40 s and 50 s ago fall in the same log2(ns) bucket (2^35 ns ≈ 34 s .. 2^36 ≈ 69 s).
  const older = pod({ name: 'older', uid: 'aaa', node: 'n1', readyAgoMs: 50_000 });
  const newer = pod({ name: 'newer', uid: 'zzz', node: 'n1', readyAgoMs: 40_000 });
  assert.equal(lessForDeletion(older, newer, 0, 0, NOW), true);
  assert.equal(lessForDeletion(newer, older, 0, 0, NOW), false);
  // Without a reference time the comparison is linear: the newer one first.
  assert.equal(lessForDeletion(newer, older, 0, 0, 0), true);
});

test('a zero creation time counts as newest', () => {
  const zero = pod({ name: 'zero', node: 'n1' });
  delete (zero.metadata as { creationTimestamp?: string }).creationTimestamp;
  const old = pod({ name: 'old', node: 'n1', createdAgoMs: 10_000 });
  assert.deepEqual(names(rankForDeletion([old, zero], { now: NOW })), ['zero', 'old']);
});

test('pod-deletion-cost parses like GetDeletionCostFromPodAnnotations', () => {
  const cost = (v: string) => podDeletionCost(pod({ name: 'x', cost: v }));
  assert.equal(cost('100'), 100);
  assert.equal(cost('-7'), -7);
  assert.equal(cost('0'), 0);
  assert.equal(cost('+10'), 0);
  assert.equal(cost('007'), 0);
  assert.equal(cost('1.5'), 0);
  assert.equal(cost('2147483648'), 0);
  assert.equal(cost('-2147483648'), -2147483648);
  assert.equal(maxContainerRestarts(pod({ name: 'x', restarts: [1, 4, 2] })), 4);
});

test('availability needs the Ready transition strictly more than minReadySeconds ago', () => {
  const p = pod({ name: 'x', readyAgoMs: 10_000 });
  assert.equal(isPodAvailable(p, 0, NOW), true);
  assert.equal(isPodAvailable(p, 9, NOW), true);
  assert.equal(isPodAvailable(p, 10, NOW), false);
  assert.equal(msUntilAvailable(p, 10, NOW), 1);
  assert.equal(msUntilAvailable(p, 15, NOW), 5001);
  assert.equal(msUntilAvailable(p, 5, NOW), undefined);
  assert.equal(isPodAvailable(p, 10, NOW + 1), true);
});

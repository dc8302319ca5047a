import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import { findActiveOrLatest, isSaturated, maxSurge, maxUnavailable, newRSNewReplicas, proportion, resolveFenceposts, scaledValue } from './replicas.js';

function deployment(replicas: number, surge?: number | string, unavailable?: number | string, type = 'RollingUpdate'): Deployment {
  return {
    metadata: { name: 'd', generation: 1 },
    spec: {
      replicas,
      selector: {},
      template: {},
      strategy: type === 'RollingUpdate' ? { type, rollingUpdate: { ...(surge !== undefined ? { maxSurge: surge } : {}), ...(unavailable !== undefined ? { maxUnavailable: unavailable } : {}) } } : { type },
    },
  };
}

function rs(name: string, replicas: number, opts: { available?: number; desired?: number; max?: number; created?: string } = {}): ReplicaSet {
  const annotations: Record<string, string> = {};
  if (opts.desired !== undefined) annotations['deployment.kubernetes.io/desired-replicas'] = String(opts.desired);
  if (opts.max !== undefined) annotations['deployment.kubernetes.io/max-replicas'] = String(opts.max);
  return {
    metadata: { name, uid: name, annotations, creationTimestamp: opts.created ?? '2024-01-01T00:00:00Z' },
    spec: { replicas, selector: {} },
    status: { replicas, availableReplicas: opts.available ?? 0 },
  };
}

test('percentages: surge rounds up, unavailable rounds down; both zero makes unavailable 1', () => {
  assert.equal(scaledValue('25%', 3, true), 1);
  assert.equal(scaledValue('25%', 3, false), 0);
  assert.equal(scaledValue('25%', 10, true), 3);
  assert.equal(scaledValue('25%', 10, false), 2);
  assert.equal(scaledValue(5, 10, false), 5);
  assert.equal(scaledValue('abc', 10, false), 0);
  assert.deepEqual(resolveFenceposts(deployment(3, '25%', '25%')), { surge: 1, unavailable: 0 });
  assert.deepEqual(resolveFenceposts(deployment(1, '10%', '10%')), { surge: 1, unavailable: 0 });
  assert.deepEqual(resolveFenceposts(deployment(3, 0, '25%')), { surge: 0, unavailable: 1 });
  assert.deepEqual(resolveFenceposts(deployment(10, '0%', '0%')), { surge: 0, unavailable: 1 });
  assert.equal(maxUnavailable(deployment(2, 0, 5)), 2, 'never more than replicas');
  assert.equal(maxUnavailable(deployment(0, 1, 1)), 0);
  assert.equal(maxSurge(deployment(3, 1, 1, 'Recreate')), 0);
  assert.equal(maxUnavailable(deployment(3, 1, 1, 'Recreate')), 0);
});

test('the new set grows within replicas + maxSurge and never past replicas', () => {
  const d = deployment(3, '25%', '25%');
  const old = rs('old', 3);
  const fresh = rs('new', 0);
  assert.equal(newRSNewReplicas(d, [old, fresh], fresh), 1);
  assert.equal(newRSNewReplicas(d, [rs('old', 2), rs('new', 2)], rs('new', 2)), 2, 'at the surge limit');
  assert.equal(newRSNewReplicas(d, [rs('old', 0), rs('new', 2)], rs('new', 2)), 3, 'capped at replicas');
  assert.equal(newRSNewReplicas(deployment(3, 1, 1, 'Recreate'), [old, fresh], fresh), 3);
});

test('proportional scaling reproduces the Kubernetes documentation example (10 → 15 replicas mid-rollout)', () => {
  // maxSurge 3, maxUnavailable 2: the stuck rollout has the old set at 8 and the new one at 5.
  const d = deployment(15, 3, 2);
  d.status = { replicas: 13 };
  const old = rs('old', 8, { max: 13, created: '2024-01-01T00:00:00Z' });
  const fresh = rs('new', 5, { max: 13, created: '2024-01-02T00:00:00Z' });
  const toAdd = 15 + 3 - 13;
  const first = proportion(old, d, toAdd, 0);
  const second = proportion(fresh, d, toAdd, first);
  assert.deepEqual([8 + first, 5 + second], [11, 7]);
});

test('scaling to zero takes each set down by its whole size; nothing beyond what is left', () => {
  const d = deployment(0, 1, 1);
  assert.equal(proportion(rs('a', 4, { max: 6 }), d, -6, 0), -4);
  assert.equal(proportion(rs('b', 2, { max: 6 }), d, -6, -4), -2);
  assert.equal(proportion(rs('c', 0), d, -6, 0), 0, 'empty sets are never scaled');
});

test('saturation and the single active set', () => {
  const d = deployment(3, 1, 0);
  assert.equal(isSaturated(d, rs('n', 3, { available: 3, desired: 3 })), true);
  assert.equal(isSaturated(d, rs('n', 3, { available: 2, desired: 3 })), false);
  assert.equal(isSaturated(d, rs('n', 3, { available: 3 })), false, 'no desired-replicas annotation');
  const older = rs('o1', 0, { created: '2024-01-01T00:00:00Z' });
  const newer = rs('o2', 0, { created: '2024-01-02T00:00:00Z' });
  assert.equal(findActiveOrLatest(undefined, [older, newer])?.metadata?.name, 'o2', 'none active: the newest old set');
  assert.equal(findActiveOrLatest(rs('n', 0), [older])?.metadata?.name, 'n', 'none active: the new set');
  assert.equal(findActiveOrLatest(rs('n', 2), [rs('o', 1)]), undefined, 'two active sets');
  assert.equal(findActiveOrLatest(rs('n', 0), [rs('o', 1)])?.metadata?.name, 'o');
});

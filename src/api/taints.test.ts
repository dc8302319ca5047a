import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { Taint, Toleration } from 'kubernetes-types/core/v1.js';
import { doNotScheduleTaint, findUntoleratedTaint, formatTaint, matchingTolerations, taintExists, toleratesTaint } from './taints.js';

describe('toleratesTaint (Toleration.ToleratesTaint)', () => {
  const taint: Taint = { key: 'gpu', value: 'true', effect: 'NoSchedule' };
  const cases: Array<[string, Toleration, boolean]> = [
    ['Equal with same key, value, effect', { key: 'gpu', operator: 'Equal', value: 'true', effect: 'NoSchedule' }, true],
    ['default operator is Equal', { key: 'gpu', value: 'true', effect: 'NoSchedule' }, true],
    ['Equal with another value', { key: 'gpu', value: 'false', effect: 'NoSchedule' }, false],
    ['Exists ignores the value', { key: 'gpu', operator: 'Exists', effect: 'NoSchedule' }, true],
    ['empty effect matches every effect', { key: 'gpu', operator: 'Exists' }, true],
    ['other effect', { key: 'gpu', operator: 'Exists', effect: 'NoExecute' }, false],
    ['empty key with Exists tolerates everything', { operator: 'Exists' }, true],
    ['other key', { key: 'disk', operator: 'Exists' }, false],
    ['unknown operator', { key: 'gpu', operator: 'Gt', value: 'true' }, false],
  ];
  for (const [name, tol, want] of cases) test(name, () => assert.equal(toleratesTaint(tol, taint), want));

  test('a taint without value is tolerated by Equal with no value', () => {
    assert.equal(toleratesTaint({ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }, { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }), true);
  });
});

describe('taint helpers', () => {
  const taints: Taint[] = [
    { key: 'soft', effect: 'PreferNoSchedule' },
    { key: 'a', value: '1', effect: 'NoSchedule' },
    { key: 'b', effect: 'NoExecute' },
  ];

  test('findUntoleratedTaint returns the first untolerated taint in node order', () => {
    assert.equal(findUntoleratedTaint(taints, [], doNotScheduleTaint)?.key, 'a');
    assert.equal(findUntoleratedTaint(taints, [{ key: 'a', operator: 'Exists' }], doNotScheduleTaint)?.key, 'b');
    assert.equal(findUntoleratedTaint(taints, [{ operator: 'Exists' }], doNotScheduleTaint), undefined);
  });

  test('matchingTolerations: all tolerated, and which tolerations did it', () => {
    const noExec: Taint[] = [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }, { key: 'b', effect: 'NoExecute' }];
    const tols: Toleration[] = [
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      { key: 'b', operator: 'Exists' },
    ];
    assert.deepEqual(matchingTolerations(noExec, tols), { allTolerated: true, used: tols });
    assert.deepEqual(matchingTolerations(noExec, tols.slice(0, 1)), { allTolerated: false, used: [] });
    assert.deepEqual(matchingTolerations([], undefined), { allTolerated: true, used: [] });
  });

  test('taintExists matches by key and effect only; formatTaint', () => {
    assert.equal(taintExists(taints, { key: 'a', value: 'other', effect: 'NoSchedule' }), true);
    assert.equal(taintExists(taints, { key: 'a', effect: 'NoExecute' }), false);
    assert.equal(formatTaint(taints[1]!), 'a=1:NoSchedule');
    assert.equal(formatTaint(taints[2]!), 'b:NoExecute');
  });
});

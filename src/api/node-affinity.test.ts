import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { NodeSelectorRequirement, PodSpec } from 'kubernetes-types/core/v1.js';
import { compilePreferredNodeAffinity, compileRequiredNodeAffinity, nodeSelectorMatches, requiredNodeNames } from './node-affinity.js';

const labels = { zone: 'a', size: '8', disk: 'ssd' };
const term = (...matchExpressions: NodeSelectorRequirement[]) => ({ nodeSelectorTerms: [{ matchExpressions }] });

describe('node selector requirements', () => {
  const cases: Array<[string, NodeSelectorRequirement, boolean]> = [
    ['In matches', { key: 'zone', operator: 'In', values: ['a', 'b'] }, true],
    ['In misses', { key: 'zone', operator: 'In', values: ['b'] }, false],
    ['In on a missing label', { key: 'rack', operator: 'In', values: ['1'] }, false],
    ['NotIn with other value', { key: 'zone', operator: 'NotIn', values: ['b'] }, true],
    ['NotIn with same value', { key: 'zone', operator: 'NotIn', values: ['a'] }, false],
    ['NotIn on a missing label matches', { key: 'rack', operator: 'NotIn', values: ['1'] }, true],
    ['Exists', { key: 'disk', operator: 'Exists' }, true],
    ['Exists missing', { key: 'gpu', operator: 'Exists' }, false],
    ['DoesNotExist', { key: 'gpu', operator: 'DoesNotExist' }, true],
    ['DoesNotExist present', { key: 'disk', operator: 'DoesNotExist' }, false],
    ['Gt true', { key: 'size', operator: 'Gt', values: ['4'] }, true],
    ['Gt equal is false', { key: 'size', operator: 'Gt', values: ['8'] }, false],
    ['Lt true', { key: 'size', operator: 'Lt', values: ['16'] }, true],
    ['Gt on non-integer label', { key: 'zone', operator: 'Gt', values: ['1'] }, false],
    ['Gt with two values does not parse', { key: 'size', operator: 'Gt', values: ['1', '2'] }, false],
    ['Gt with a non-integer value does not parse', { key: 'size', operator: 'Gt', values: ['x'] }, false],
    ['In without values does not parse', { key: 'zone', operator: 'In', values: [] }, false],
    ['Exists with values does not parse', { key: 'zone', operator: 'Exists', values: ['a'] }, false],
    ['unknown operator', { key: 'zone', operator: 'Like', values: ['a'] }, false],
  ];
  for (const [name, req, want] of cases) {
    test(name, () => assert.equal(nodeSelectorMatches(term(req), labels, 'node-1'), want));
  }

  test('terms are ORed, expressions ANDed; empty and unparsable terms select nothing', () => {
    const ns = {
      nodeSelectorTerms: [
        {},
        { matchExpressions: [{ key: 'zone', operator: 'Bogus' }] },
        { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }, { key: 'disk', operator: 'In', values: ['hdd'] }] },
        { matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] },
      ],
    };
    assert.equal(nodeSelectorMatches(ns, labels, 'n'), true);
    assert.equal(nodeSelectorMatches({ nodeSelectorTerms: [{}] }, labels, 'n'), false);
    assert.equal(nodeSelectorMatches({ nodeSelectorTerms: [] }, labels, 'n'), false);
  });

  test('matchFields metadata.name In/NotIn with exactly one value', () => {
    const f = (operator: string, values: string[], key = 'metadata.name') => ({ nodeSelectorTerms: [{ matchFields: [{ key, operator, values }] }] });
    assert.equal(nodeSelectorMatches(f('In', ['node-1']), labels, 'node-1'), true);
    assert.equal(nodeSelectorMatches(f('In', ['node-1']), labels, 'node-2'), false);
    assert.equal(nodeSelectorMatches(f('NotIn', ['node-1']), labels, 'node-2'), true);
    assert.equal(nodeSelectorMatches(f('In', ['node-1', 'node-2']), labels, 'node-1'), false);
    assert.equal(nodeSelectorMatches(f('In', ['node-1'], 'metadata.uid'), labels, 'node-1'), false);
  });
});

describe('pod node affinity', () => {
  test('nodeSelector AND required affinity; none means any node', () => {
    const spec: PodSpec = { containers: [], nodeSelector: { disk: 'ssd' }, affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: term({ key: 'zone', operator: 'In', values: ['a'] }) } } };
    const m = compileRequiredNodeAffinity(spec)!;
    assert.equal(m(labels, 'n'), true);
    assert.equal(m({ ...labels, disk: 'hdd' }, 'n'), false);
    assert.equal(m({ ...labels, zone: 'b' }, 'n'), false);
    assert.equal(m(undefined, 'n'), false);
    assert.equal(compileRequiredNodeAffinity({ containers: [] }), undefined);
  });

  test('preferred terms add their weights; empty or weightless terms are skipped', () => {
    const score = compilePreferredNodeAffinity([
      { weight: 5, preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] } },
      { weight: 3, preference: { matchExpressions: [{ key: 'disk', operator: 'Exists' }] } },
      { weight: 7, preference: {} },
      { weight: 0, preference: { matchExpressions: [{ key: 'zone', operator: 'Exists' }] } },
    ])!;
    assert.equal(score(labels, 'n'), 8);
    assert.equal(score({ zone: 'b' }, 'n'), 0);
    assert.equal(compilePreferredNodeAffinity([{ weight: 1, preference: {} }]), undefined);
  });

  test('requiredNodeNames: the DaemonSet pin, union over terms, undefined when a term is free', () => {
    const pin = (...names: string[][]): PodSpec => ({
      containers: [],
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: names.map((values) => ({ matchFields: [{ key: 'metadata.name', operator: 'In', values }] })) } } },
    });
    assert.deepEqual([...requiredNodeNames(pin(['a']))!], ['a']);
    assert.deepEqual([...requiredNodeNames(pin(['a'], ['b']))!].sort(), ['a', 'b']);
    const free: PodSpec = { containers: [], affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['a'] }] }, { matchExpressions: [{ key: 'x', operator: 'Exists' }] }] } } } };
    assert.equal(requiredNodeNames(free), undefined);
    const conflict: PodSpec = {
      containers: [],
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['a'] }, { key: 'metadata.name', operator: 'In', values: ['b'] }] }] } } },
    };
    assert.equal(requiredNodeNames(conflict)!.size, 0);
    assert.equal(requiredNodeNames({ containers: [] }), undefined);
  });
});

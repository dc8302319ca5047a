/** The scheduling algorithm on a hand-built cache: sampling, rotation, scoring and failure diagnosis. */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { SchedulerCache } from '../cache/scheduler-cache.js';
import { makeNode, makePod } from '../testing.js';
import { fitErrorMessage, reasonHistogram, truncateMessage } from './fit-error.js';
import { newPodInfo } from './pod-info.js';
import { evaluatePreemption } from './preemption.js';
import { numFeasibleNodesToFind, SchedulingAlgorithm } from './scheduling-algorithm.js';
import { scoreBalancedAllocation } from '../plugins/balanced-allocation.js';
import { scoreNodeAffinity } from '../plugins/node-affinity.js';
import { scoreLeastAllocated } from '../plugins/node-resources-fit.js';
import { normalizedTopologySpread, preScoreTopologySpread, scoreTopologySpread } from '../plugins/pod-topology-spread.js';
import { countIntolerablePreferTaints, preferNoScheduleTolerations } from '../plugins/taint-toleration.js';
import { unresolvable, unschedulable } from './status.js';

function cacheWith(n: number, cpu = '4'): SchedulerCache {
  const cache = new SchedulerCache();
  for (let i = 0; i < n; i++) cache.addOrUpdateNode(makeNode(`node-${i}`, { cpu }));
  return cache;
}

let uid = 0;
const pi = (...args: Parameters<typeof makePod>) => {
  const p = makePod(...args);
  return newPodInfo({ ...p, metadata: { ...p.metadata, uid: `uid-${uid++}` } });
};

describe('numFeasibleNodesToFind (adaptive percentageOfNodesToScore)', () => {
  const cases: Array<[number, number, number]> = [
    [50, 0, 50],
    [100, 0, 100],
    [250, 0, 120],
    [1000, 0, 420],
    [5000, 0, 500],
    [6000, 0, 300],
    [100_000, 0, 5000],
    [1000, 30, 300],
    [200, 30, 100],
  ];
  for (const [nodes, pct, want] of cases) test(`${nodes} nodes, percentage ${pct} → ${want}`, () => assert.equal(numFeasibleNodesToFind(nodes, pct), want));
});

describe('SchedulingAlgorithm', () => {
  test('looks at about 10% of 5,000 nodes and starts the next search where this one stopped', () => {
    const cache = cacheWith(5000);
    const algo = new SchedulingAlgorithm(cache, { random: () => 0 });
    const first = algo.schedule(pi('a', { cpu: '100m' }));
    assert.equal(first.kind, 'scheduled');
    if (first.kind !== 'scheduled') return;
    assert.equal(first.feasibleNodes, 500);
    assert.equal(first.evaluatedNodes, 500);
    const second = algo.schedule(pi('b', { cpu: '100m' }));
    assert.equal(second.kind, 'scheduled');
    if (second.kind !== 'scheduled') return;
    const index = (name: string) => Number(name.slice('node-'.length));
    assert.ok(index(first.node.name) < 500, first.node.name);
    assert.ok(index(second.node.name) >= 500 && index(second.node.name) < 1000, second.node.name);
  });

  test('prefers the least allocated node', () => {
    const cache = cacheWith(3);
    cache.addPod({ ...makePod('busy-0', { cpu: '3', spec: { nodeName: 'node-0' } }), metadata: { name: 'busy-0', namespace: 'default', uid: 'busy-0' } });
    cache.addPod({ ...makePod('busy-1', { cpu: '2', spec: { nodeName: 'node-1' } }), metadata: { name: 'busy-1', namespace: 'default', uid: 'busy-1' } });
    const algo = new SchedulingAlgorithm(cache);
    const out = algo.schedule(pi('p', { cpu: '500m', memory: '100Mi' }));
    assert.equal(out.kind === 'scheduled' && out.node.name, 'node-2');
  });

  test('preferred node affinity and PreferNoSchedule taints steer the choice', () => {
    const cache = new SchedulerCache();
    cache.addOrUpdateNode(makeNode('plain'));
    cache.addOrUpdateNode(makeNode('fast', { labels: { disk: 'ssd' } }));
    cache.addOrUpdateNode(makeNode('soft-tainted', { labels: { disk: 'ssd' }, taints: [{ key: 'spot', effect: 'PreferNoSchedule' }] }));
    const algo = new SchedulingAlgorithm(cache);
    const pod = pi('p', { spec: { affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 50, preference: { matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] } }] } } } });
    for (let i = 0; i < 20; i++) {
      const out = algo.schedule(pod);
      assert.equal(out.kind === 'scheduled' && out.node.name, 'fast');
    }
  });

  test('ties are broken at random among the best nodes', () => {
    const cache = cacheWith(3);
    const seen = new Set<string>();
    let r = 0;
    const algo = new SchedulingAlgorithm(cache, { random: () => [0.1, 0.6, 0.95][r++ % 3]! });
    for (let i = 0; i < 12; i++) {
      const out = algo.schedule(pi('p'));
      if (out.kind === 'scheduled') seen.add(out.node.name);
    }
    assert.equal(seen.size, 3);
  });

  test('the fused column scoring equals the plugins composed on NodeInfo', () => {
    let seed = 42;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const cache = new SchedulerCache();
    const owner = { kind: 'ReplicaSet', name: 'rs', uid: 'rs-uid' };
    for (let i = 0; i < 60; i++) {
      const labels: Record<string, string> = {};
      if (rnd() < 0.7) labels['topology.kubernetes.io/zone'] = `z${Math.floor(rnd() * 3)}`;
      if (rnd() < 0.5) labels.disk = rnd() < 0.5 ? 'ssd' : 'hdd';
      const taints = rnd() < 0.3 ? [{ key: rnd() < 0.5 ? 'spot' : 'old', effect: 'PreferNoSchedule' }] : [];
      const node = makeNode(`n${i}`, { cpu: `${1 + Math.floor(rnd() * 16)}`, memory: `${1 + Math.floor(rnd() * 64)}Gi`, labels, taints });
      if (rnd() < 0.2) delete node.metadata!.labels!['kubernetes.io/hostname'];
      cache.addOrUpdateNode(node);
      for (let j = Math.floor(rnd() * 4); j > 0; j--) {
        const p = makePod(`p${i}-${j}`, { cpu: rnd() < 0.5 ? `${Math.floor(rnd() * 900) + 100}m` : undefined, memory: rnd() < 0.5 ? `${Math.floor(rnd() * 900) + 100}Mi` : undefined, ...(rnd() < 0.6 ? { owner } : {}), spec: { nodeName: `n${i}` } });
        cache.addPod({ ...p, metadata: { ...p.metadata, uid: `u${i}-${j}` } });
      }
    }
    // A node removed and another re-slotted keep columns and spread counts consistent.
    cache.removeNode('n7');
    const pod = pi('new', {
      cpu: '250m',
      owner,
      spec: {
        tolerations: [{ key: 'spot', operator: 'Exists' }],
        affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 20, preference: { matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] } }, { weight: 5, preference: { matchExpressions: [{ key: 'disk', operator: 'Exists' }] } }] } },
      },
    });
    const nodes = cache.nodes();
    const algo = new SchedulingAlgorithm(cache);
    const fused = [...algo.scoreNodes(pod, nodes).slice(0, nodes.length)];
    const tols = preferNoScheduleTolerations(pod.tolerations);
    const taints = nodes.map((ni) => countIntolerablePreferTaints(tols, ni));
    const aff = nodes.map((ni) => scoreNodeAffinity(pod, ni));
    const st = preScoreTopologySpread(pod, nodes.length, cache, [])!;
    const spread = nodes.map((ni) => scoreTopologySpread(st, ni));
    const maxT = Math.max(...taints);
    const maxA = Math.max(...aff);
    const [minS, maxS] = [Math.min(...spread), Math.max(...spread)];
    const expected = nodes.map(
      (ni, i) =>
        scoreLeastAllocated(pod, ni) +
        scoreBalancedAllocation(pod, ni) +
        3 * (maxT === 0 ? 100 : 100 - Math.trunc((100 * taints[i]!) / maxT)) +
        (maxA > 0 ? 2 * Math.trunc((100 * aff[i]!) / maxA) : 0) +
        2 * normalizedTopologySpread(spread[i]!, minS, maxS),
    );
    assert.deepEqual(fused, expected);
  });

  test('unschedulable: every node evaluated, first failing plugin per node, plugins recorded', () => {
    const cache = new SchedulerCache();
    cache.addOrUpdateNode(makeNode('tainted', { taints: [{ key: 'gpu', value: 'true', effect: 'NoSchedule' }] }));
    for (let i = 0; i < 250; i++) cache.addOrUpdateNode(makeNode(`small-${i}`, { cpu: '1' }));
    const algo = new SchedulingAlgorithm(cache);
    const out = algo.schedule(pi('p', { cpu: '2' }));
    assert.equal(out.kind, 'unschedulable');
    if (out.kind !== 'unschedulable') return;
    assert.equal(out.diagnosis.failed.length, 251);
    assert.deepEqual([...out.diagnosis.unschedulablePlugins].sort(), ['NodeResourcesFit', 'TaintToleration']);
    const pre = evaluatePreemption(pi('p', { cpu: '2' }), out.numAllNodes, out.diagnosis);
    out.diagnosis.postFilterMsg = pre.message!;
    assert.equal(
      fitErrorMessage(out.numAllNodes, out.diagnosis),
      '0/251 nodes are available: 1 node(s) had untolerated taint {gpu: true}, 250 Insufficient cpu. preemption: 0/251 nodes are available: 251 Preemption is not helpful for scheduling.',
    );
  });

  test('conflicting name pins fail in PreFilter', () => {
    const cache = cacheWith(2);
    const algo = new SchedulingAlgorithm(cache);
    const pod = pi('p', {
      spec: { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['node-0'] }, { key: 'metadata.name', operator: 'In', values: ['node-1'] }] }] } } } },
    });
    const out = algo.schedule(pod);
    assert.equal(out.kind, 'unschedulable');
    if (out.kind !== 'unschedulable') return;
    out.diagnosis.postFilterMsg = evaluatePreemption(pod, out.numAllNodes, out.diagnosis).message!;
    assert.equal(fitErrorMessage(out.numAllNodes, out.diagnosis), '0/2 nodes are available: pod affinity terms conflict. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.');
  });

  test('preemptionPolicy Never', () => {
    const cache = cacheWith(1, '1');
    const algo = new SchedulingAlgorithm(cache);
    const pod = pi('p', { cpu: '2', spec: { preemptionPolicy: 'Never' } });
    const out = algo.schedule(pod);
    if (out.kind !== 'unschedulable') return assert.fail('expected unschedulable');
    out.diagnosis.postFilterMsg = evaluatePreemption(pod, out.numAllNodes, out.diagnosis).message!;
    assert.equal(fitErrorMessage(out.numAllNodes, out.diagnosis), '0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never.');
  });
});

describe('FitError message', () => {
  test('entries are "<count> <reason>" sorted as strings, so 10 sorts before 2', () => {
    const node = cacheWith(1).nodes()[0]!;
    const failed = [
      ...Array.from({ length: 10 }, () => ({ node, status: unschedulable('NodeResourcesFit', 'Insufficient memory') })),
      ...Array.from({ length: 2 }, () => ({ node, status: unschedulable('NodeResourcesFit', 'Insufficient cpu', 'Insufficient memory') })),
      { node, status: unresolvable('NodeAffinity', "node(s) didn't match Pod's node affinity/selector") },
    ];
    assert.deepEqual(reasonHistogram({ failed }), ['1 node(s) didn\'t match Pod\'s node affinity/selector', '12 Insufficient memory', '2 Insufficient cpu']);
    assert.equal(fitErrorMessage(13, { failed, unschedulablePlugins: new Set() }), "0/13 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 12 Insufficient memory, 2 Insufficient cpu.");
  });

  test('long messages are cut to 1024 characters for events', () => {
    const long = 'x'.repeat(2000);
    assert.equal(truncateMessage(long).length, 1024);
    assert.ok(truncateMessage(long).endsWith(' ...'));
    assert.equal(truncateMessage('short'), 'short');
  });
});

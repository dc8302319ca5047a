/** The scheduler cache: assumed pods, confirmation, forgetting, ghost nodes and spread counts. */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { newPodInfo } from '../framework/pod-info.js';
import { makeNode, makePod } from '../testing.js';
import { SchedulerCache } from './scheduler-cache.js';

const owner = { kind: 'ReplicaSet', name: 'rs', uid: 'rs-1' };
function pod(name: string, node?: string, extra: { generation?: number; deleting?: boolean; cpu?: string } = {}): Pod {
  const p = makePod(name, { cpu: extra.cpu ?? '500m', owner, ...(node ? { spec: { nodeName: node } } : {}) });
  return { ...p, metadata: { ...p.metadata, uid: `uid-${name}`, generation: extra.generation ?? 1, ...(extra.deleting ? { deletionTimestamp: '2024-01-01T00:00:00Z' } : {}) } };
}

describe('SchedulerCache', () => {
  test('an assumed pod counts at once, is confirmed by the informer, and a failed one is forgotten', () => {
    const cache = new SchedulerCache();
    cache.addOrUpdateNode(makeNode('a', { labels: { 'topology.kubernetes.io/zone': 'z1' } }));
    const pi = newPodInfo(pod('p'));
    cache.assumePod(pi, 'a');
    const ni = cache.node('a')!;
    assert.equal(ni.requested.milliCPU, 500);
    assert.equal(cache.isAssumed('uid-p'), true);
    assert.equal(cache.zoneSpreadCount('z1', 'rs-1'), 1);
    assert.throws(() => cache.assumePod(pi, 'a'), /already in the cache/);
    cache.addPod(pod('p', 'a'));
    assert.equal(cache.isAssumed('uid-p'), false);
    assert.equal(ni.requested.milliCPU, 500, 'confirmation does not double count');
    cache.forgetPod('uid-p');
    assert.equal(ni.requested.milliCPU, 500, 'a confirmed pod is not forgotten');

    const q = newPodInfo(pod('q'));
    cache.assumePod(q, 'a');
    assert.equal(ni.requested.milliCPU, 1000);
    cache.forgetPod('uid-q');
    assert.equal(ni.requested.milliCPU, 500);
    assert.equal(cache.hasPod('uid-q'), false);
  });

  test('status-only updates keep the pod info; spec changes and deletion recompute it', () => {
    const cache = new SchedulerCache();
    cache.addOrUpdateNode(makeNode('a'));
    cache.addPod(pod('p', 'a'));
    const ni = cache.node('a')!;
    const before = ni.generation;
    cache.updatePod(pod('p', 'a'));
    assert.equal(ni.generation, before, 'same generation: nothing recomputed');
    cache.updatePod(pod('p', 'a', { generation: 2, cpu: '1' }));
    assert.equal(ni.requested.milliCPU, 1000);
    cache.updatePod(pod('p', 'a', { generation: 2, cpu: '1', deleting: true }));
    assert.equal(ni.spreadCounts.size, 0, 'terminating pods do not count for spreading');
    assert.equal(ni.requested.milliCPU, 1000, 'but still hold their resources');
    cache.removePod('uid-p');
    assert.equal(ni.requested.milliCPU, 0);
    assert.equal(ni.podCount, 0);
  });

  test('a deleted node stops being a candidate but keeps its pods until they go', () => {
    const cache = new SchedulerCache();
    for (const n of ['a', 'b', 'c']) cache.addOrUpdateNode(makeNode(n));
    cache.addPod(pod('p', 'b'));
    cache.removeNode('b');
    assert.deepEqual(cache.nodes().map((n) => n.name).sort(), ['a', 'c']);
    assert.equal(cache.node('b'), undefined);
    cache.addOrUpdateNode(makeNode('b'));
    assert.equal(cache.node('b')!.podCount, 1, 'the re-created node starts with its pods');
    cache.removeNode('b');
    cache.removePod('uid-p');
    cache.addOrUpdateNode(makeNode('b'));
    assert.equal(cache.node('b')!.podCount, 0);
  });

  test('zone topology size and counts follow node labels', () => {
    const cache = new SchedulerCache();
    cache.addOrUpdateNode(makeNode('a', { labels: { 'topology.kubernetes.io/zone': 'z1' } }));
    cache.addOrUpdateNode(makeNode('b', { labels: { 'topology.kubernetes.io/zone': 'z2' } }));
    cache.addOrUpdateNode(makeNode('c'));
    assert.equal(cache.zoneTopologySize(), 3, 'two zones and the unzoned domain');
    cache.addPod(pod('p', 'a'));
    assert.equal(cache.zoneSpreadCount('z1', 'rs-1'), 1);
    cache.addOrUpdateNode(makeNode('a', { labels: { 'topology.kubernetes.io/zone': 'z2' } }));
    assert.equal(cache.zoneSpreadCount('z1', 'rs-1'), 0, 'moving a node moves its pods');
    assert.equal(cache.zoneSpreadCount('z2', 'rs-1'), 1);
    assert.equal(cache.zoneTopologySize(), 2);
  });
});

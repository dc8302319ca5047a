import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { admitPod, podRequest } from './admission.js';

const pod = (cpu?: string, mem?: string, init?: string): Pod => ({
  metadata: { name: 'p', uid: Math.random().toString() },
  spec: {
    containers: [{ name: 'a', resources: { requests: { ...(cpu ? { cpu } : {}), ...(mem ? { memory: mem } : {}) } } }, { name: 'b', resources: { requests: { cpu: '100m' } } }],
    ...(init ? { initContainers: [{ name: 'i', resources: { requests: { cpu: init } } }] } : {}),
  },
});

test('effective request: max(init, sum of containers)', () => {
  assert.equal(podRequest(pod('400m'), 'cpu'), 500);
  assert.equal(podRequest(pod('400m', undefined, '2'), 'cpu'), 2000);
  assert.equal(podRequest(pod(undefined, '1Gi'), 'memory'), 1024 ** 3);
});

test('rejections are worded as kubelet words them', () => {
  const alloc = { cpu: '2', memory: '1Gi', pods: '3' };
  assert.equal(admitPod(pod('1'), [pod('400m')], alloc), undefined);
  assert.deepEqual(admitPod(pod('2'), [pod('400m')], alloc), { reason: 'OutOfcpu', message: "Node didn't have enough resource: cpu, requested: 2100, used: 500, capacity: 2000" });
  assert.deepEqual(admitPod(pod(undefined, '2Gi'), [], alloc), { reason: 'OutOfmemory', message: `Node didn't have enough resource: memory, requested: ${2 * 1024 ** 3}, used: 0, capacity: ${1024 ** 3}` });
  assert.deepEqual(admitPod(pod(), [pod(), pod(), pod()], alloc), { reason: 'OutOfpods', message: "Node didn't have enough resource: pods, requested: 1, used: 3, capacity: 3" });
});

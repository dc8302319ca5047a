/** Pod GC on a fake clock against a real in-process API server. */
import { test, describe, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { makeNode, makePod } from '../../scheduler/testing.js';
import { startNodeHarness, type NodeHarness } from '../nodelifecycle/test-harness.js';
import { PodGCController } from './pod-gc-controller.js';

describe('PodGCController', () => {
  let h: NodeHarness;
  beforeEach(async () => {
    h = await startNodeHarness();
  });
  afterEach(async () => {
    await h.stop();
  });

  test('pods of a deleted node are failed and deleted after the quarantine', async () => {
    await h.addNode(makeNode('node-a'));
    await h.addNode(makeNode('node-b'));
    await h.runPod(makePod('web'), 'node-a');
    await h.runPod(makePod('keep'), 'node-b');
    await h.start([new PodGCController()]);
    // Watch the pod so the Failed phase written before the deletion is seen.
    const seen: Pod[] = [];
    const stop = new AbortController();
    const watching = (async () => {
      try {
        for await (const ev of h.client.pods('default').watch({ fieldSelector: 'metadata.name=web', signal: stop.signal })) seen.push(ev.object);
      } catch {
        // aborted
      }
    })();
    await h.client.nodes().delete('node-a');
    await h.advance(30_000);
    assert.ok(await h.pod('default', 'web'), 'still quarantined');
    await h.advance(15_000);
    await h.until(async () => !(await h.pod('default', 'web')), 'web deleted');
    stop.abort();
    await watching;
    const failed = seen.find((p) => p.status?.phase === 'Failed');
    assert.ok(failed, 'moved to Failed before deletion');
    const cond = failed.status?.conditions?.find((c) => c.type === 'DisruptionTarget');
    assert.equal(cond?.reason, 'DeletionByPodGC');
    assert.equal(cond?.message, 'PodGC: node no longer exists');
    assert.ok(failed.metadata?.managedFields?.some((m) => m.manager === 'PodGC'), 'written by field manager PodGC');
    assert.ok(await h.pod('default', 'keep'));
  });

  test('a node re-created within the quarantine keeps its pods', async () => {
    await h.addNode(makeNode('node-a'));
    await h.runPod(makePod('web'), 'node-a');
    await h.start([new PodGCController()]);
    await h.client.nodes().delete('node-a');
    await h.advance(10_000);
    await h.addNode(makeNode('node-a'));
    await h.advance(60_000);
    assert.equal((await h.pod('default', 'web'))?.status?.phase, 'Running');
  });

  test('terminated pods beyond the threshold are deleted, oldest first', async () => {
    await h.addNode(makeNode('node-a'));
    for (const name of ['done-1', 'done-2', 'done-3', 'done-4']) {
      const p = await h.runPod(makePod(name), 'node-a');
      await h.client.pods('default').updateStatus({ ...p, status: { ...p.status, phase: 'Succeeded' } });
      // creationTimestamp has one-second resolution: space the pods out.
      await new Promise((r) => setTimeout(r, 1_050));
    }
    await h.runPod(makePod('running'), 'node-a');
    await h.start([new PodGCController({ terminatedPodThreshold: 2 })]);
    await h.until(async () => !(await h.pod('default', 'done-2')), 'two oldest deleted');
    assert.equal(await h.pod('default', 'done-1'), undefined);
    assert.ok(await h.pod('default', 'done-3'));
    assert.ok(await h.pod('default', 'done-4'));
    assert.ok(await h.pod('default', 'running'));
  });
});

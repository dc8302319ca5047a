/**
 * Node lifecycle and taint eviction on a fake clock against a real in-process API server: a node
 * whose Lease stops being renewed goes Unknown after the grace period, its pods go not Ready, it is
 * tainted unreachable, and 300 s later (the default toleration) its pods are deleted — except
 * DaemonSet-style pods tolerating forever. A node that comes back is untainted.
 */
import { test, describe, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Taint } from 'kubernetes-types/core/v1.js';
import { makeNode, makePod } from '../../scheduler/testing.js';
import { TaintEvictionController } from '../tainteviction/taint-eviction-controller.js';
import { NodeLifecycleController } from './node-lifecycle-controller.js';
import { DAEMONSET_TOLERATIONS, startNodeHarness, type NodeHarness } from './test-harness.js';

const taintKeys = (n: Node) => (n.spec?.taints ?? []).map((t: Taint) => `${t.key}:${t.effect}`).sort();

describe('node lifecycle controller', () => {
  let h: NodeHarness;
  beforeEach(async () => {
    h = await startNodeHarness();
  });
  afterEach(async () => {
    await h.stop();
  });

  test('lease stops → Unknown, NodeNotReady, pods not Ready, unreachable taints → evictions after 300 s; DaemonSet pods stay; recovery removes taints', async () => {
    await h.addNode(makeNode('node-a'));
    await h.addNode(makeNode('node-b'));
    await h.runPod(makePod('web'), 'node-a');
    await h.runPod(makePod('agent', { spec: { tolerations: DAEMONSET_TOLERATIONS } }), 'node-a');
    await h.runPod(makePod('other'), 'node-b');
    await h.start([new NodeLifecycleController(), new TaintEvictionController()]);
    await h.until(async () => (await h.events('default', 'node-a', 'RegisteredNode')).length === 1, 'RegisteredNode event');

    // 45 s: still within the 50 s grace period.
    await h.advance(45_000, ['node-b']);
    assert.equal((await h.node('node-a')).status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True');

    // Past the grace period: Unknown on the next monitor pass.
    await h.advance(10_000, ['node-b']);
    const lost = await h.until(async () => {
      const n = await h.node('node-a');
      return n.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'Unknown' ? n : undefined;
    }, 'node-a Ready=Unknown');
    for (const type of ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure']) {
      const c = lost.status?.conditions?.find((x) => x.type === type);
      assert.equal(c?.status, 'Unknown', type);
      if (type === 'Ready') {
        assert.equal(c?.reason, 'NodeStatusUnknown');
        assert.equal(c?.message, 'Kubelet stopped posting node status.');
      } else {
        assert.equal(c?.reason, 'NodeStatusNeverUpdated', `${type} was never posted`);
      }
    }
    assert.equal((await h.node('node-b')).status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
    const notReady = await h.until(async () => (await h.events('default', 'node-a', 'NodeNotReady'))[0], 'NodeNotReady event');
    assert.equal(notReady.message, 'Node node-a status is now: NodeNotReady');
    const web = await h.until(async () => {
      const p = await h.pod('default', 'web');
      return p?.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'False' ? p : undefined;
    }, 'web Ready=False');
    assert.equal(web.status?.phase, 'Running');
    const podEvent = await h.until(async () => (await h.events('default', 'web', 'NodeNotReady'))[0], 'NodeNotReady event on the pod');
    assert.equal(podEvent.message, 'Node is not ready');
    assert.equal(podEvent.type, 'Warning');
    assert.equal((await h.pod('default', 'other'))?.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True');

    // The NoSchedule taint follows the condition; the NoExecute one comes on the next pass.
    await h.advance(6_000, ['node-b']);
    const tainted = await h.until(async () => {
      const n = await h.node('node-a');
      return taintKeys(n).length === 2 ? n : undefined;
    }, 'unreachable taints');
    assert.deepEqual(taintKeys(tainted), ['node.kubernetes.io/unreachable:NoExecute', 'node.kubernetes.io/unreachable:NoSchedule']);
    assert.ok(tainted.spec?.taints?.every((t) => t.timeAdded), 'taints carry timeAdded');

    // Within the 300 s toleration nothing is evicted.
    await h.advance(280_000, ['node-b']);
    assert.equal((await h.pod('default', 'web'))?.metadata?.deletionTimestamp, undefined);
    await h.advance(30_000, ['node-b']);
    const evicted = await h.until(async () => {
      const p = await h.pod('default', 'web');
      return p?.metadata?.deletionTimestamp ? p : undefined;
    }, 'web marked for deletion');
    const target = evicted.status?.conditions?.find((c) => c.type === 'DisruptionTarget');
    assert.equal(target?.reason, 'DeletionByTaintManager');
    assert.equal(target?.message, 'Taint manager: deleting due to NoExecute taint');
    const marking = await h.until(async () => (await h.events('default', 'web', 'TaintManagerEviction'))[0], 'TaintManagerEviction event');
    assert.equal(marking.message, 'Marking for deletion Pod default/web');
    assert.equal(marking.source?.component, 'taint-eviction-controller');
    // DaemonSet-style pod tolerates forever; pods on the healthy node are untouched.
    assert.equal((await h.pod('default', 'agent'))?.metadata?.deletionTimestamp, undefined);
    assert.equal((await h.pod('default', 'other'))?.metadata?.deletionTimestamp, undefined);

    // The agent comes back: fresh lease and a Ready status.
    const fresh = await h.node('node-a');
    await h.client.nodes().updateStatus({
      ...fresh,
      status: { ...fresh.status, conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: new Date(h.clock.now()).toISOString().replace(/\.\d+Z$/, 'Z') }] },
    });
    await h.advance(10_000, ['node-a', 'node-b']);
    await h.until(async () => taintKeys(await h.node('node-a')).length === 0, 'taints removed after recovery');
  });

  test('a node whose agent reports NotReady gets the not-ready taints; cordoning adds unschedulable', async () => {
    await h.addNode(makeNode('node-a'));
    await h.addNode(makeNode('node-b', { ready: 'False' }));
    await h.start([new NodeLifecycleController()]);
    await h.advance(6_000, ['node-a', 'node-b']);
    await h.until(async () => JSON.stringify(taintKeys(await h.node('node-b'))) === JSON.stringify(['node.kubernetes.io/not-ready:NoExecute', 'node.kubernetes.io/not-ready:NoSchedule']), 'not-ready taints');
    await h.client.nodes().patch('node-a', 'merge', { spec: { unschedulable: true } });
    await h.until(async () => taintKeys(await h.node('node-a')).includes('node.kubernetes.io/unschedulable:NoSchedule'), 'unschedulable taint');
    await h.client.nodes().patch('node-a', 'merge', { spec: { unschedulable: null } });
    await h.until(async () => taintKeys(await h.node('node-a')).length === 0, 'unschedulable taint removed on uncordon');
  });

  test('memory pressure maps to a NoSchedule taint', async () => {
    const node = makeNode('node-a');
    node.status!.conditions!.push({ type: 'MemoryPressure', status: 'True', reason: 'KubeletHasInsufficientMemory', message: 'kubelet has insufficient memory available' });
    await h.addNode(node);
    await h.start([new NodeLifecycleController()]);
    await h.until(async () => taintKeys(await h.node('node-a')).includes('node.kubernetes.io/memory-pressure:NoSchedule'), 'memory-pressure taint');
  });

  test('a single lost node is never tainted NoExecute: full disruption of every zone stops evictions', async () => {
    await h.addNode(makeNode('only'));
    await h.runPod(makePod('web'), 'only');
    await h.start([new NodeLifecycleController(), new TaintEvictionController()]);
    await h.advance(70_000);
    await h.until(async () => (await h.node('only')).status?.conditions?.find((c) => c.type === 'Ready')?.status === 'Unknown', 'Unknown');
    await h.advance(400_000);
    const n = await h.node('only');
    assert.deepEqual(taintKeys(n), ['node.kubernetes.io/unreachable:NoSchedule']);
    assert.equal((await h.pod('default', 'web'))?.metadata?.deletionTimestamp, undefined);
  });

  test('a node that never posted status is Unknown with NodeStatusNeverUpdated after the startup grace', async () => {
    await h.addNode(makeNode('healthy'));
    const bare: Node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'silent' } };
    await h.client.nodes().create(bare);
    await h.start([new NodeLifecycleController()]);
    await h.advance(55_000, ['healthy']);
    assert.equal((await h.node('silent')).status?.conditions, undefined, 'still within the 60 s startup grace');
    await h.advance(10_000, ['healthy']);
    const n = await h.until(async () => {
      const x = await h.node('silent');
      return x.status?.conditions?.length ? x : undefined;
    }, 'conditions added');
    const ready = n.status?.conditions?.find((c) => c.type === 'Ready');
    assert.equal(ready?.status, 'Unknown');
    assert.equal(ready?.reason, 'NodeStatusNeverUpdated');
    assert.equal(ready?.message, 'Kubelet never posted node status.');
  });
});

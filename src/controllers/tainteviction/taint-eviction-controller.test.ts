/** Taint-based eviction: the deadline rules (table-driven) and the controller against a real API server. */
import { test, describe, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod, Taint, Toleration } from 'kubernetes-types/core/v1.js';
import { formatTime } from '../../client/clock.js';
import { makeNode, makePod } from '../../scheduler/testing.js';
import { startNodeHarness, type NodeHarness } from '../nodelifecycle/test-harness.js';
import { evictionDeadline, TaintEvictionController } from './taint-eviction-controller.js';

const T0 = Date.UTC(2024, 0, 1);
const at = (s: number) => formatTime(T0 + s * 1000);

describe('evictionDeadline', () => {
  const unreachable: Taint = { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: at(0) };
  const custom: Taint = { key: 'maintenance', value: 'true', effect: 'NoExecute', timeAdded: at(100) };
  const tol = (key: string, seconds?: number): Toleration => ({ key, operator: 'Exists', effect: 'NoExecute', ...(seconds !== undefined ? { tolerationSeconds: seconds } : {}) });
  const pod = (tolerations: Toleration[], scheduledAtS?: number): Pod => {
    const p = makePod('p', { spec: { tolerations } });
    if (scheduledAtS === undefined) return p;
    return { ...p, status: { conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: at(scheduledAtS) }] } };
  };
  const now = T0 + 50_000;
  const never = () => NaN;
  const cases: Array<[string, Pod, Taint[], number | undefined]> = [
    ['no NoExecute taints: never', pod([]), [], undefined],
    ['untolerated: now', pod([]), [unreachable], now],
    ['tolerated 300 s from timeAdded', pod([tol(unreachable.key, 300)]), [unreachable], T0 + 300_000],
    ['tolerated forever', pod([tol(unreachable.key)]), [unreachable], undefined],
    ['tolerationSeconds 0 or less: now', pod([tol(unreachable.key, 0)]), [unreachable], now],
    ['the smallest deadline over taints', pod([tol(unreachable.key, 300), tol('maintenance', 60)]), [unreachable, custom], T0 + 160_000],
    ['one taint tolerated forever, the other for a while', pod([tol(unreachable.key), tol('maintenance', 60)]), [unreachable, custom], T0 + 160_000],
    ['one of two taints untolerated: now', pod([tol(unreachable.key, 300)]), [unreachable, custom], now],
    ['a pod bound after the taint counts from its binding', pod([tol(unreachable.key, 300)], 200), [unreachable], T0 + 500_000],
    ['an empty-key Exists toleration covers everything', pod([{ operator: 'Exists' }]), [unreachable, custom], undefined],
  ];
  for (const [name, p, taints, want] of cases) test(name, () => assert.equal(evictionDeadline(p, taints, now, never), want));

  test('a taint without timeAdded counts from when the controller first saw it', () => {
    const bare: Taint = { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' };
    assert.equal(evictionDeadline(pod([tol(bare.key, 30)]), [bare], now, () => T0 + 40_000), T0 + 70_000);
  });
});

describe('TaintEvictionController', () => {
  let h: NodeHarness;
  beforeEach(async () => {
    h = await startNodeHarness();
  });
  afterEach(async () => {
    await h.stop();
  });

  const taint = async (node: string, taints: Taint[] | null) => h.client.nodes().patch(node, 'merge', { spec: { taints } });

  test('untolerated NoExecute taint deletes at once; a tolerated one after tolerationSeconds; removing the taint cancels', async () => {
    await h.addNode(makeNode('node-a'));
    await h.runPod(makePod('plain', { spec: { tolerations: [] } }), 'node-a');
    await h.runPod(makePod('patient', { spec: { tolerations: [{ key: 'maintenance', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 60 }] } }), 'node-a');
    await h.runPod(makePod('forever', { spec: { tolerations: [{ key: 'maintenance', operator: 'Exists', effect: 'NoExecute' }] } }), 'node-a');
    await h.start([new TaintEvictionController()]);

    await taint('node-a', [{ key: 'maintenance', value: 'true', effect: 'NoExecute', timeAdded: formatTime(h.clock.now()) }]);
    const plain = await h.until(async () => {
      const p = await h.pod('default', 'plain');
      return p?.metadata?.deletionTimestamp ? p : undefined;
    }, 'plain deleted at once');
    assert.equal(plain.status?.conditions?.find((c) => c.type === 'DisruptionTarget')?.reason, 'DeletionByTaintManager');
    assert.equal((await h.pod('default', 'patient'))?.metadata?.deletionTimestamp, undefined);

    // Remove the taint before the 60 s run out: the deletion is cancelled.
    await h.advance(30_000);
    await taint('node-a', null);
    const cancel = await h.until(async () => (await h.events('default', 'patient', 'TaintManagerEviction'))[0], 'cancel event');
    assert.equal(cancel.message, 'Cancelling deletion of Pod default/patient');
    await h.advance(60_000);
    assert.equal((await h.pod('default', 'patient'))?.metadata?.deletionTimestamp, undefined);

    // Taint again: 60 s from the new timeAdded.
    await taint('node-a', [{ key: 'maintenance', value: 'true', effect: 'NoExecute', timeAdded: formatTime(h.clock.now()) }]);
    await h.advance(59_000);
    assert.equal((await h.pod('default', 'patient'))?.metadata?.deletionTimestamp, undefined);
    await h.advance(2_000);
    await h.until(async () => (await h.pod('default', 'patient'))?.metadata?.deletionTimestamp, 'patient deleted after 60 s');
    assert.equal((await h.pod('default', 'forever'))?.metadata?.deletionTimestamp, undefined);
  });
});

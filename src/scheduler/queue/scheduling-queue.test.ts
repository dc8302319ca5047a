/** The scheduling queue on a fake clock: ordering, back-off, parking and the events that unpark. */
import { test, describe, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { FakeClock } from '../../client/clock.js';
import { newPodInfo } from '../framework/pod-info.js';
import type { PluginName } from '../framework/status.js';
import { makePod } from '../testing.js';
import { isPodUpdated, SchedulingQueue, type QueuedPodInfo } from './scheduling-queue.js';

function pod(name: string, extra: Partial<Pod['spec']> = {}): Pod {
  const p = makePod(name, { spec: extra });
  return { ...p, metadata: { ...p.metadata, uid: `uid-${name}`, resourceVersion: '1' } };
}

describe('SchedulingQueue', () => {
  let clock: FakeClock;
  let q: SchedulingQueue;

  beforeEach(() => {
    clock = new FakeClock();
    q = new SchedulingQueue({ clock });
    q.start();
  });
  afterEach(() => q.close());

  const popName = async () => (await q.pop())?.info.pod.metadata?.name;
  /** Pops a pod and fails it as rejected by `plugins`. */
  const fail = async (plugins: PluginName[]): Promise<QueuedPodInfo> => {
    const qpi = (await q.pop())!;
    const cycle = q.schedulingCycle;
    qpi.unschedulablePlugins = new Set(plugins);
    q.addUnschedulableIfNotPresent(qpi, cycle);
    return qpi;
  };

  test('activeQ: higher priority first, then first come', async () => {
    q.add(newPodInfo(pod('a')));
    clock.setTimeout(() => {}, 0);
    await clock.advance(1);
    q.add(newPodInfo(pod('b', { priority: 100 })));
    await clock.advance(1);
    q.add(newPodInfo(pod('c')));
    assert.equal(await popName(), 'b');
    assert.equal(await popName(), 'a');
    assert.equal(await popName(), 'c');
  });

  test('back-off doubles from 1 s and is capped at 10 s', () => {
    assert.deepEqual([1, 2, 3, 4, 5, 6].map((n) => q.backoffDuration(n)), [1000, 2000, 4000, 8000, 10000, 10000]);
  });

  test('a rejected pod parks until an event its plugin cares about, then waits out its back-off', async () => {
    q.add(newPodInfo(pod('p')));
    await fail(['NodeAffinity']);
    assert.equal(q.placeOf('uid-p'), 'unschedulable');
    assert.equal(q.moveAllToActiveOrBackoff('AssignedPodDelete'), 0, 'NodeAffinity does not care about pod deletions');
    assert.equal(q.placeOf('uid-p'), 'unschedulable');
    assert.equal(q.moveAllToActiveOrBackoff('NodeLabelChange'), 1);
    assert.equal(q.placeOf('uid-p'), 'backoff', 'still within its 1 s back-off');
    await clock.advance(999);
    assert.equal(q.placeOf('uid-p'), 'backoff');
    await clock.advance(1);
    assert.equal(q.placeOf('uid-p'), 'active');
    assert.equal(await popName(), 'p');
  });

  test('an event after the back-off moves the pod straight to activeQ; preCheck can veto', async () => {
    q.add(newPodInfo(pod('p')));
    await fail(['NodeResourcesFit']);
    await clock.advance(5_000);
    assert.equal(q.moveAllToActiveOrBackoff('NodeAdd', () => false), 0);
    assert.equal(q.moveAllToActiveOrBackoff('NodeAdd', () => true), 1);
    assert.equal(q.placeOf('uid-p'), 'active');
  });

  test('an event during the scheduling cycle sends the failed pod to backoffQ, not the pool', async () => {
    q.add(newPodInfo(pod('p')));
    const qpi = (await q.pop())!;
    const cycle = q.schedulingCycle;
    q.moveAllToActiveOrBackoff('NodeAdd');
    qpi.unschedulablePlugins = new Set(['NodeResourcesFit']);
    q.addUnschedulableIfNotPresent(qpi, cycle);
    assert.equal(q.placeOf('uid-p'), 'backoff');
  });

  test('failures without a rejecting plugin (errors) retry with back-off', async () => {
    q.add(newPodInfo(pod('p')));
    await fail([]);
    assert.equal(q.placeOf('uid-p'), 'backoff');
    await clock.advance(1000);
    assert.equal(q.placeOf('uid-p'), 'active');
  });

  test('parked pods are flushed after 5 minutes without events', async () => {
    q.add(newPodInfo(pod('p')));
    await fail(['NodeAffinity']);
    await clock.advance(5 * 60_000);
    assert.equal(q.placeOf('uid-p'), 'unschedulable', 'flushed only once it waited longer than 5 minutes');
    await clock.advance(30_000);
    assert.equal(q.placeOf('uid-p'), 'active');
  });

  test('scheduling gates: the pod waits until every gate is removed', async () => {
    const gated = pod('g', { schedulingGates: [{ name: 'a' }] });
    q.add(newPodInfo(gated));
    assert.equal(q.placeOf('uid-g'), 'gated');
    assert.equal(q.moveAllToActiveOrBackoff('UnschedulableTimeout'), 0, 'cluster events never release gated pods');
    const ungated: Pod = { ...gated, spec: { ...gated.spec!, schedulingGates: [] }, metadata: { ...gated.metadata, resourceVersion: '2' } };
    q.update(gated, newPodInfo(ungated));
    assert.equal(q.placeOf('uid-g'), 'active');
    assert.equal(q.stats().gated, 0);
  });

  test('updates: a spec change requeues a parked pod; a status change does not', async () => {
    const p = pod('p');
    q.add(newPodInfo(p));
    await fail(['TaintToleration']);
    const statusOnly: Pod = { ...p, metadata: { ...p.metadata, resourceVersion: '2' }, status: { conditions: [{ type: 'PodScheduled', status: 'False' }] } };
    q.update(p, newPodInfo(statusOnly));
    assert.equal(q.placeOf('uid-p'), 'unschedulable');
    const tolerating: Pod = { ...statusOnly, spec: { ...p.spec!, tolerations: [{ operator: 'Exists' }] }, metadata: { ...p.metadata, resourceVersion: '3' } };
    q.update(statusOnly, newPodInfo(tolerating));
    assert.equal(q.placeOf('uid-p'), 'backoff');
    assert.equal(isPodUpdated(p, statusOnly), false);
    assert.equal(isPodUpdated(statusOnly, tolerating), true);
  });

  test('deletes: removed from every place; a pod deleted while in flight is not parked', async () => {
    q.add(newPodInfo(pod('a')));
    q.add(newPodInfo(pod('b')));
    q.delete('uid-b');
    assert.equal(q.placeOf('uid-b'), undefined);
    const qpi = (await q.pop())!;
    assert.equal(q.placeOf('uid-a'), 'inFlight');
    q.delete('uid-a');
    qpi.unschedulablePlugins = new Set(['NodeAffinity']);
    q.addUnschedulableIfNotPresent(qpi, q.schedulingCycle);
    assert.equal(q.placeOf('uid-a'), undefined);
    assert.deepEqual(q.stats(), { active: 0, backoff: 0, unschedulable: 0, gated: 0, inFlight: 0 });
  });

  test('pop waits for a pod; close releases waiters', async () => {
    const waiting = q.pop();
    q.add(newPodInfo(pod('late')));
    assert.equal((await waiting)?.info.pod.metadata?.name, 'late');
    const never = q.pop();
    q.close();
    assert.equal(await never, undefined);
  });

  test('attempts count per pop', async () => {
    q.add(newPodInfo(pod('p')));
    const first = await fail(['NodeAffinity']);
    assert.equal(first.attempts, 1);
    q.moveAllToActiveOrBackoff('NodeAdd');
    await clock.advance(1000);
    const second = (await q.pop())!;
    assert.equal(second.attempts, 2);
    assert.equal(q.backoffExpiry(second) - second.timestamp, 2000);
  });
});

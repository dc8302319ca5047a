/** Two schedulers share a cluster: one leads and binds; when it stops, the other takes over. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import { startInProcessApi, waitFor } from '../../test/helpers/in-process.js';
import { runLeaderElectedScheduler, SCHEDULER_LEASE_NAME, SCHEDULER_LEASE_NAMESPACE } from './leader-elected-scheduler.js';
import type { Scheduler } from './scheduler.js';
import { makeNode, makePod } from './testing.js';

test('leader election on kube-system/skiff-scheduler: one scheduler binds, the standby takes over', async () => {
  const api = await startInProcessApi();
  const client = api.client('test');
  const timing = { leaseDurationMs: 1_000, renewDeadlineMs: 600, retryPeriodMs: 100 };
  const started: Record<string, Scheduler[]> = { one: [], two: [] };
  const first = new AbortController();
  const second = new AbortController();
  try {
    await client.nodes().create(makeNode('node-a'));
    const runOne = runLeaderElectedScheduler({ client: api.client('kube-scheduler'), identity: 'one', ...timing }, first.signal, (s) => started.one!.push(s));
    await waitFor(() => started.one!.length === 1, 5_000, 'first scheduler leading');
    const runTwo = runLeaderElectedScheduler({ client: api.client('kube-scheduler'), identity: 'two', ...timing }, second.signal, (s) => started.two!.push(s));

    await client.pods('default').create(makePod('p1'));
    await waitFor(async () => (await client.pods('default').get('p1')).spec?.nodeName, 5_000, 'p1 bound');
    const lease = await client.leases(SCHEDULER_LEASE_NAMESPACE).get(SCHEDULER_LEASE_NAME);
    assert.equal((lease as Lease).spec?.holderIdentity, 'one');
    assert.equal(started.two!.length, 0, 'the standby does not schedule');

    first.abort();
    await runOne;
    await waitFor(() => started.two!.length === 1, 5_000, 'second scheduler takes over');
    await client.pods('default').create(makePod('p2'));
    await waitFor(async () => (await client.pods('default').get('p2')).spec?.nodeName, 5_000, 'p2 bound by the new leader');
    assert.equal(started.two![0]!.boundCount, 1);
    second.abort();
    await runTwo;
  } finally {
    first.abort();
    second.abort();
    await api.stop();
  }
});

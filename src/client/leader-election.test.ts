import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import { FakeClock } from './clock.js';
import { LeaderElector } from './leader-election.js';
import { fakeCluster, waitFor } from './testing/helpers.js';
import type { FakeApiServer } from './testing/fake-api-server.js';

const LEASE = '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/skiff-controller-manager';

function candidate(server: FakeApiServer, client: ReturnType<typeof fakeCluster>['client'], clock: FakeClock, identity: string, extra: { releaseOnCancel?: boolean } = {}) {
  const elector = new LeaderElector({ client, namespace: 'kube-system', name: 'skiff-controller-manager', identity, clock, random: () => 0.5, ...extra });
  const events: string[] = [];
  const ctl = new AbortController();
  let leaderSignal: AbortSignal | undefined;
  const done = elector.run(ctl.signal, {
    onStartedLeading: async (sig) => {
      events.push('started');
      leaderSignal = sig;
      await new Promise<void>((resolve) => sig.addEventListener('abort', () => resolve(), { once: true }));
      events.push('work drained');
    },
    onStoppedLeading: () => events.push('stopped'),
    onNewLeader: (id) => events.push(`leader ${id}`),
  });
  return { elector, events, ctl, done, leaderSignal: () => leaderSignal, lease: () => server.get(LEASE) as unknown as Lease | undefined };
}

/** Fires timers until `cond()` holds. */
async function advanceUntil(clock: FakeClock, cond: () => boolean, what: string, maxMs = 120_000): Promise<void> {
  const end = clock.now() + maxMs;
  while (!cond()) {
    if (clock.now() > end) assert.fail(`timed out (fake time) waiting for ${what}`);
    await waitFor(() => cond() || clock.pendingTimers() > 0, what);
    if (cond()) break;
    await clock.advanceToNextTimer();
  }
}

test('a lone candidate creates the Lease, renews it every retry period and releases it on shutdown', async () => {
  const clock = new FakeClock(Date.UTC(2024, 0, 1, 0, 0, 0, 123));
  const { server, client } = fakeCluster();
  const a = candidate(server, client, clock, 'node-a_1');
  await waitFor(() => a.events.includes('started'), 'leading');
  assert.deepEqual(a.events, ['leader node-a_1', 'started']);
  const lease = a.lease();
  assert.deepEqual(lease?.spec, {
    holderIdentity: 'node-a_1',
    leaseDurationSeconds: 15,
    acquireTime: '2024-01-01T00:00:00.123000Z',
    renewTime: '2024-01-01T00:00:00.123000Z',
    leaseTransitions: 0,
  });
  const rv1 = lease?.metadata?.resourceVersion;
  await clock.waitForTimers(1);
  await clock.advance(2000);
  await waitFor(() => a.lease()?.metadata?.resourceVersion !== rv1, 'renewal');
  assert.equal(a.lease()?.spec?.renewTime, '2024-01-01T00:00:02.123000Z');
  assert.equal(a.lease()?.spec?.acquireTime, '2024-01-01T00:00:00.123000Z', 'acquireTime kept on renewal');
  const put = server.requests.filter((r) => r.method === 'PUT').at(-1);
  assert.equal(JSON.parse(Buffer.from(put?.body ?? []).toString()).metadata.resourceVersion, rv1, 'renewal is conditional on the resourceVersion');
  a.ctl.abort();
  await a.done;
  assert.deepEqual(a.events, ['leader node-a_1', 'started', 'work drained', 'stopped']);
  assert.equal(a.leaderSignal()?.aborted, true);
  assert.equal(a.lease()?.spec?.holderIdentity, '');
  assert.equal(a.lease()?.spec?.leaseDurationSeconds, 1);
  assert.equal(a.elector.isLeader(), false);
});

test('a second candidate waits while the leader renews, and takes over at once after a release', async () => {
  const clock = new FakeClock();
  const { server, client } = fakeCluster();
  const a = candidate(server, client, clock, 'a');
  await waitFor(() => a.events.includes('started'), 'a leading');
  const b = candidate(server, client, clock, 'b');
  await waitFor(() => b.events.includes('leader a'), 'b observes a');
  await clock.advance(30_000); // two lease durations: a keeps renewing, b keeps failing
  assert.equal(b.events.includes('started'), false);
  assert.equal(a.lease()?.spec?.holderIdentity, 'a');
  a.ctl.abort();
  await a.done;
  await advanceUntil(clock, () => b.events.includes('started'), 'b leading', 5000);
  assert.equal(b.lease()?.spec?.holderIdentity, 'b');
  assert.equal(b.lease()?.spec?.leaseTransitions, 1);
  b.ctl.abort();
  await b.done;
});

test('a leader that vanishes without releasing is replaced once its lease expires on the observer\'s clock', async () => {
  const clock = new FakeClock();
  const { server, client } = fakeCluster();
  const a = candidate(server, client, clock, 'a', { releaseOnCancel: false });
  await waitFor(() => a.events.includes('started'), 'a leading');
  a.ctl.abort();
  await a.done;
  assert.equal(a.lease()?.spec?.holderIdentity, 'a', 'not released');
  const b = candidate(server, client, clock, 'b');
  await waitFor(() => b.events.includes('leader a'), 'b observes a');
  const observedAt = clock.now();
  await advanceUntil(clock, () => b.events.includes('started'), 'b leading', 30_000);
  assert.ok(clock.now() - observedAt >= 15_000, `took over after ${clock.now() - observedAt} ms, not before the 15 s lease`);
  assert.equal(b.lease()?.spec?.leaseTransitions, 1);
  b.ctl.abort();
  await b.done;
});

test('a leader that cannot renew within the renew deadline steps down', async () => {
  const clock = new FakeClock();
  const { server, client } = fakeCluster();
  const a = candidate(server, client, clock, 'a');
  await waitFor(() => a.events.includes('started'), 'a leading');
  for (let i = 0; i < 100; i++) server.injectFault({ match: (r) => r.path.includes('/leases'), status: 500 });
  const failingSince = clock.now();
  await advanceUntil(clock, () => a.events.includes('stopped'), 'step down', 30_000);
  const steppedDownAfter = clock.now() - failingSince;
  assert.ok(steppedDownAfter >= 10_000 && steppedDownAfter < 15_000, `stepped down after ${steppedDownAfter} ms: after the renew deadline, before the lease expires`);
  await a.done;
  assert.deepEqual(a.events, ['leader a', 'started', 'work drained', 'stopped']);
});

test('of two candidates racing for a missing Lease exactly one wins', async () => {
  const clock = new FakeClock();
  const { server, client } = fakeCluster();
  const a = candidate(server, client, clock, 'a');
  const b = candidate(server, client, clock, 'b');
  await waitFor(() => a.events.includes('started') || b.events.includes('started'), 'someone leads');
  await clock.advance(20_000);
  const leaders = [a, b].filter((c) => c.events.includes('started') && !c.events.includes('stopped'));
  assert.equal(leaders.length, 1);
  assert.equal(server.list('/apis/coordination.k8s.io/v1/namespaces/kube-system/leases').length, 1);
  a.ctl.abort();
  b.ctl.abort();
  await Promise.all([a.done, b.done]);
});

test('invalid timing is refused as client-go does', () => {
  const { client } = fakeCluster();
  assert.throws(() => new LeaderElector({ client, namespace: 'n', name: 'l', identity: 'x', leaseDurationMs: 10_000, renewDeadlineMs: 10_000 }), /leaseDuration must be greater/);
  assert.throws(() => new LeaderElector({ client, namespace: 'n', name: 'l', identity: 'x', renewDeadlineMs: 2_000, retryPeriodMs: 2_000 }), /renewDeadline must be greater/);
});

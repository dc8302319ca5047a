/**
 * Two controller managers on one API server: never both acting; when the leader stops, the other
 * takes over within the lease duration, and a manager restarted with its old identity takes its
 * lease back at once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startInProcessApi, waitFor } from '../../test/helpers/in-process.js';
import { ControllerManager } from './manager.js';
import { Client } from '../client/client.js';
import { inProcessTransport } from '../client/in-process-transport.js';
import type { Controller, ControllerContext } from './controller.js';

/** A controller that records when it runs, and fails the test if two instances overlap. */
class ProbeController implements Controller {
  readonly name = 'probe';
  static active = 0;
  static maxActive = 0;
  runs = 0;

  constructor(readonly id: string) {}

  async run(ctx: ControllerContext, signal: AbortSignal): Promise<void> {
    ctx.informers.namespaces();
    if (!(await ctx.informers.waitForCacheSync(signal))) return;
    this.runs++;
    ProbeController.active++;
    ProbeController.maxActive = Math.max(ProbeController.maxActive, ProbeController.active);
    try {
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    } finally {
      ProbeController.active--;
    }
  }
}

test('two managers: exactly one leads; the other takes over when it stops', async (t) => {
  const api = await startInProcessApi();
  t.after(() => api.stop());
  const leaseMs = 1500;
  const timing = { leaseDurationMs: leaseMs, renewDeadlineMs: 1000, retryPeriodMs: 200 };
  const a = new ProbeController('a');
  const b = new ProbeController('b');
  const ma = new ControllerManager({ client: api.client('manager-a'), controllers: [a], identity: 'manager-a', ...timing });
  const mb = new ControllerManager({ client: api.client('manager-b'), controllers: [b], identity: 'manager-b', ...timing });
  const stopA = new AbortController();
  const stopB = new AbortController();
  const runA = ma.run(stopA.signal);
  const runB = mb.run(stopB.signal);
  try {
    await waitFor(() => ma.isLeader() || mb.isLeader(), 10_000, 'a leader');
    await waitFor(() => a.runs + b.runs === 1, 10_000, 'the leader to start its controllers');
    // Hold for a few lease periods: the follower must never start.
    await new Promise((r) => setTimeout(r, 3 * leaseMs));
    assert.equal(a.runs + b.runs, 1);
    assert.equal(ProbeController.maxActive, 1, 'two managers acted at once');

    const [leader, follower, stopLeader, followerProbe] = ma.isLeader() ? [ma, mb, stopA, b] : [mb, ma, stopB, a];
    // A graceful stop releases the lease, so the follower need not wait for it to expire.
    const stoppedAt = Date.now();
    stopLeader.abort();
    await waitFor(() => follower.isLeader() && followerProbe.runs === 1, 10_000, 'the follower to take over');
    assert.ok(Date.now() - stoppedAt <= leaseMs + 2000, `takeover took ${Date.now() - stoppedAt} ms`);
    assert.equal(leader.isLeader(), false);
    assert.equal(ProbeController.maxActive, 1, 'two managers acted at once');
  } finally {
    stopA.abort();
    stopB.abort();
    await Promise.all([runA, runB]);
  }
});

test('a leader cut off from the API stops acting before its lease expires; the other takes over', async (t) => {
  const api = await startInProcessApi();
  t.after(() => api.stop());
  ProbeController.active = 0;
  ProbeController.maxActive = 0;
  const timing = { leaseDurationMs: 1500, renewDeadlineMs: 1000, retryPeriodMs: 200 };
  let cut = false;
  // The first manager's connection can be severed, as when its process hangs or the network fails:
  // it cannot renew, and it cannot release the lease either.
  const severable = new Client({
    transport: inProcessTransport((req) => (cut ? Promise.reject(new Error('connection lost')) : api.handler(req)), { name: 'admin', groups: ['system:masters'] }),
    fieldManager: 'manager-a',
  });
  const a = new ProbeController('a');
  const b = new ProbeController('b');
  const ma = new ControllerManager({ client: severable, controllers: [a], identity: 'manager-a', ...timing });
  const stopA = new AbortController();
  const runA = ma.run(stopA.signal);
  await waitFor(() => ma.isLeader() && a.runs === 1, 10_000, 'the first manager to lead');
  const mb = new ControllerManager({ client: api.client('manager-b'), controllers: [b], identity: 'manager-b', ...timing });
  const stopB = new AbortController();
  const runB = mb.run(stopB.signal);
  try {
    const cutAt = Date.now();
    cut = true;
    await waitFor(() => mb.isLeader() && b.runs === 1, 15_000, 'the second manager to take over');
    const took = Date.now() - cutAt;
    assert.ok(took >= timing.leaseDurationMs - 200, `took over after ${took} ms, before the lease could have expired`);
    assert.equal(ProbeController.maxActive, 1, 'two managers acted at once');
  } finally {
    stopA.abort();
    stopB.abort();
    await Promise.all([runA, runB]);
  }
});

/**
 * Probe workers on a fake clock with a stub runtime: defaults (period 10 s, threshold 3),
 * initialDelaySeconds, startup gating liveness/readiness, readiness flipping both ways, liveness
 * failure reported once for a restart, Unhealthy event text; and a real httpGet/tcpSocket probe.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import { FakeClock } from '../../client/clock.js';
import type { ContainerRecord, ContainerRuntime } from '../runtime/runtime.js';
import { ProbeManager } from './prober.js';
import { runHandler } from './probes.js';

function setup(results: Map<string, number>) {
  const clock = new FakeClock();
  const calls: string[] = [];
  const runtime = {
    exec: async (_id: string, cmd: string[]) => {
      calls.push(cmd[0]!);
      return { exitCode: results.get(cmd[0]!) ?? 0, output: `${cmd[0]} said no`, timedOut: false };
    },
  } as unknown as ContainerRuntime;
  const events: string[] = [];
  const changes: string[] = [];
  const prober = new ProbeManager({ clock, runtime, events: { unhealthy: (_p, _c, m) => events.push(m) }, onChange: (uid) => changes.push(uid), podIP: () => '127.0.0.1' });
  const rec: ContainerRecord = { id: 'c1', podUid: 'u1', podNamespace: 'ns', podName: 'p', name: 'c', attempt: 0, init: false, specHash: 'h', image: 'i', state: 'running', createdAt: 0, startedAt: 0, logPath: '' };
  const pod: Pod = { metadata: { name: 'p', namespace: 'ns', uid: 'u1' } };
  const settle = async (ms: number): Promise<void> => {
    await clock.advance(ms);
    for (let i = 0; i < 3; i++) await clock.advance(0);
  };
  return { clock, prober, rec, pod, events, changes, calls, settle };
}

test('readiness: not ready until the first success; unready after failureThreshold failures; ready again after a success', async () => {
  const results = new Map<string, number>();
  const h = setup(results);
  const c: Container = { name: 'c', readinessProbe: { exec: { command: ['ready'] }, initialDelaySeconds: 5 } };
  h.prober.add(h.pod, c, h.rec);
  assert.equal(h.prober.ready(h.rec), false);
  await h.settle(4_999);
  assert.deepEqual(h.calls, [], 'initialDelaySeconds respected');
  await h.settle(1);
  assert.equal(h.prober.ready(h.rec), true);
  results.set('ready', 1);
  await h.settle(10_000);
  await h.settle(10_000);
  assert.equal(h.prober.ready(h.rec), true, 'two failures are below the default threshold of 3');
  await h.settle(10_000);
  assert.equal(h.prober.ready(h.rec), false);
  assert.deepEqual(h.events, ['Readiness probe failed: ready said no', 'Readiness probe failed: ready said no', 'Readiness probe failed: ready said no']);
  results.set('ready', 0);
  await h.settle(10_000);
  assert.equal(h.prober.ready(h.rec), true);
  assert.equal(h.changes.length, 3);
  assert.equal(h.prober.takeFailure('c1'), undefined, 'readiness never restarts');
});

test('startup gates liveness; a liveness failure past its threshold is handed out once', async () => {
  const results = new Map<string, number>([['start', 1]]);
  const h = setup(results);
  const c: Container = { name: 'c', startupProbe: { exec: { command: ['start'] }, periodSeconds: 1, failureThreshold: 30 }, livenessProbe: { exec: { command: ['live'] }, periodSeconds: 2, failureThreshold: 2 } };
  h.prober.add(h.pod, c, h.rec);
  await h.settle(0);
  await h.settle(3_000);
  assert.equal(h.prober.started(h.rec), false);
  assert.ok(!h.calls.includes('live'), 'liveness waits for startup');
  results.set('start', 0);
  await h.settle(1_000);
  assert.equal(h.prober.started(h.rec), true);
  results.set('live', 1);
  await h.settle(2_000);
  await h.settle(2_000);
  await h.settle(2_000);
  assert.equal(h.prober.takeFailure('c1'), 'liveness');
  assert.equal(h.prober.takeFailure('c1'), undefined);
  const before = h.calls.length;
  await h.settle(10_000);
  assert.equal(h.calls.length, before, 'no more probing of a container that will be restarted');
});

test('httpGet succeeds on 2xx/3xx and reports the status code otherwise; tcpSocket reports a refused dial', async (t) => {
  let code = 200;
  const server = createServer((req, res) => {
    res.writeHead(req.headers['x-check'] === 'yes' ? code : 400).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  const port = (server.address() as AddressInfo).port;
  const ctx = { runtime: {} as ContainerRuntime, containerId: 'x', container: { name: 'c', ports: [{ name: 'http', containerPort: port }] }, podIP: '127.0.0.1', timeoutMs: 1000 };
  const get = { httpGet: { port: 'http', path: 'healthz', httpHeaders: [{ name: 'X-Check', value: 'yes' }] } };
  assert.deepEqual(await runHandler(get, ctx), { ok: true, message: '' });
  code = 503;
  assert.deepEqual(await runHandler(get, ctx), { ok: false, message: 'HTTP probe failed with statuscode: 503' });
  assert.equal((await runHandler({ tcpSocket: { port } }, ctx)).ok, true);
  const closed = await runHandler({ tcpSocket: { port: 1 } }, ctx);
  assert.deepEqual(closed, { ok: false, message: 'dial tcp 127.0.0.1:1: connect: connection refused' });
});

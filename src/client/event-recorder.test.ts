import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Event } from 'kubernetes-types/core/v1.js';
import { FakeClock } from './clock.js';
import { Client } from './client.js';
import { COMBINED_PREFIX } from './event-correlator.js';
import { EventRecorder } from './event-recorder.js';
import { captureLogger } from './log.js';
import type { Transport } from './transport.js';
import { TransportError } from './transport.js';
import { fakeCluster, pod } from './testing/helpers.js';

const EVENTS = '/api/v1/namespaces/default/events';

function setup() {
  const clock = new FakeClock(Date.UTC(2024, 4, 1, 12, 0, 0));
  const { server, client } = fakeCluster();
  const logger = captureLogger();
  const recorder = new EventRecorder({ client, component: 'replicaset-controller', clock, logger });
  const rs = server.seed('/apis/apps/v1/namespaces/default/replicasets', { metadata: { name: 'web' }, spec: {} });
  return { clock, server, client, recorder, rs, logger, events: () => server.list(EVENTS) as unknown as Event[] };
}

test('an event is a core/v1 Event with the fields kubectl describe reads', async () => {
  const t = setup();
  t.recorder.event(t.rs, 'Normal', 'SuccessfulCreate', 'Created pod: web-abcde');
  await t.recorder.flush();
  const [ev] = t.events();
  assert.ok(ev);
  assert.match(ev.metadata.name ?? '', /^web\.[0-9a-f]+$/);
  assert.equal(ev.metadata.namespace, 'default');
  assert.deepEqual(ev.involvedObject, { kind: 'ReplicaSet', apiVersion: 'apps/v1', name: 'web', namespace: 'default', uid: t.rs.metadata?.uid, resourceVersion: t.rs.metadata?.resourceVersion });
  assert.equal(ev.reason, 'SuccessfulCreate');
  assert.equal(ev.message, 'Created pod: web-abcde');
  assert.equal(ev.type, 'Normal');
  assert.deepEqual(ev.source, { component: 'replicaset-controller' });
  assert.equal(ev.reportingComponent, 'replicaset-controller');
  assert.equal(ev.count, 1);
  assert.equal(ev.firstTimestamp, '2024-05-01T12:00:00Z');
  assert.equal(ev.lastTimestamp, '2024-05-01T12:00:00Z');
  // The hex suffix is the recording time in Unix nanoseconds.
  const nanos = BigInt(`0x${(ev.metadata.name ?? '').split('.')[1]}`);
  assert.equal(nanos / 1_000_000n, BigInt(t.clock.now()));
});

test('identical events within 10 minutes bump count and lastTimestamp by PATCH', async () => {
  const t = setup();
  t.recorder.event(t.rs, 'Warning', 'FailedCreate', 'quota exceeded');
  await t.clock.advance(60_000);
  t.recorder.event(t.rs, 'Warning', 'FailedCreate', 'quota exceeded');
  await t.clock.advance(9 * 60_000);
  t.recorder.event(t.rs, 'Warning', 'FailedCreate', 'quota exceeded');
  await t.recorder.flush();
  const evs = t.events();
  assert.equal(evs.length, 1);
  assert.equal(evs[0]?.count, 3);
  assert.equal(evs[0]?.firstTimestamp, '2024-05-01T12:00:00Z');
  assert.equal(evs[0]?.lastTimestamp, '2024-05-01T12:10:00Z');
  const patches = t.server.requests.filter((r) => r.method === 'PATCH');
  assert.equal(patches.length, 2);
  assert.equal(patches[0]?.headers['content-type'], 'application/strategic-merge-patch+json');
  assert.deepEqual(JSON.parse(Buffer.from(patches[0]?.body ?? []).toString()), { count: 2, lastTimestamp: '2024-05-01T12:01:00Z', message: 'quota exceeded' });
  // After a quiet period longer than the window, a recurrence is a new Event.
  await t.clock.advance(10 * 60_000 + 1);
  t.recorder.event(t.rs, 'Warning', 'FailedCreate', 'quota exceeded');
  await t.recorder.flush();
  assert.equal(t.events().length, 2);
});

test('the 10th similar event in 10 minutes is combined; later ones count on the combined event', async () => {
  const t = setup();
  for (let i = 1; i <= 12; i++) {
    t.recorder.event(t.rs, 'Warning', 'FailedCreate', `Error creating: pod ${i} rejected`);
    await t.clock.advance(1000);
  }
  await t.recorder.flush();
  const evs = t.events();
  const plain = evs.filter((e) => !e.message?.startsWith(COMBINED_PREFIX));
  const combined = evs.filter((e) => e.message?.startsWith(COMBINED_PREFIX));
  assert.equal(plain.length, 9);
  assert.equal(combined.length, 1);
  assert.equal(combined[0]?.count, 3, '10th, 11th and 12th');
  assert.equal(combined[0]?.message, `${COMBINED_PREFIX}Error creating: pod 12 rejected`);
});

test('the spam filter allows a burst of 25 per object, then one per 5 minutes', async () => {
  const t = setup();
  for (let i = 0; i < 30; i++) t.recorder.event(t.rs, 'Normal', `Reason${i}`, 'm');
  await t.recorder.flush();
  assert.equal(t.events().length, 25);
  await t.clock.advance(300_000);
  t.recorder.event(t.rs, 'Normal', 'Later', 'm');
  t.recorder.event(t.rs, 'Normal', 'TooSoon', 'm');
  await t.recorder.flush();
  assert.equal(t.events().length, 26);
  // Another object has its own budget.
  const p = t.server.seed('/api/v1/namespaces/default/pods', pod('p'));
  t.recorder.event(p, 'Normal', 'Scheduled', 'ok');
  await t.recorder.flush();
  assert.equal(t.events().length, 27);
});

test('events about cluster-scoped objects go to the default namespace, with the host', async () => {
  const clock = new FakeClock();
  const { server, client } = fakeCluster();
  const node = server.seed('/api/v1/nodes', { metadata: { name: 'node-1' } });
  const recorder = new EventRecorder({ client, component: 'kubelet', host: 'node-1', clock });
  recorder.event(node, 'Normal', 'NodeReady', 'Node node-1 status is now: NodeReady');
  await recorder.flush();
  const [ev] = server.list(EVENTS) as unknown as Event[];
  assert.equal(ev?.involvedObject.kind, 'Node');
  assert.equal(ev?.involvedObject.namespace, undefined);
  assert.deepEqual(ev?.source, { component: 'kubelet', host: 'node-1' });
  assert.equal(ev?.reportingInstance, 'node-1');
});

test('recording never throws or waits; server rejections are logged, a vanished Event is re-created', async () => {
  const t = setup();
  t.server.injectFault({ status: 403 });
  t.recorder.event(t.rs, 'Normal', 'A', 'a');
  t.recorder.event({ metadata: { name: 'x' } }, 'Normal', 'NoKind', 'object without TypeMeta');
  await t.recorder.flush();
  assert.equal(t.events().length, 0);
  assert.ok(t.logger.entries.some((e) => e.level === 'error' && /rejected event/.test(e.msg)));
  assert.ok(t.logger.entries.some((e) => e.level === 'error' && /no reference/.test(e.msg)));
  assert.equal(t.server.requests.filter((r) => r.method === 'POST').length, 1, 'a rejected write is not retried');

  t.recorder.event(t.rs, 'Normal', 'B', 'b');
  await t.recorder.flush();
  const [first] = t.events();
  t.server.remove(`${EVENTS}/${first?.metadata.name}`);
  t.recorder.event(t.rs, 'Normal', 'B', 'b');
  await t.recorder.flush();
  const evs = t.events();
  assert.equal(evs.length, 1);
  assert.equal(evs[0]?.count, 2, 'recreated with the running count');
  assert.equal(evs[0]?.metadata.name, first?.metadata.name);
});

test('connection failures are retried every 10 s; shutdown abandons the queue when aborted', async () => {
  const clock = new FakeClock();
  const { server } = fakeCluster();
  let failures = 2;
  const flaky: Transport = {
    description: 'flaky',
    request: (async (req: Parameters<Transport['request']>[0]) => {
      if (req.method === 'POST' && failures-- > 0) throw new TransportError('connect ECONNRESET', 'ECONNRESET', true);
      const { inProcessTransport } = await import('./in-process-transport.js');
      return inProcessTransport(server.handler, { name: 't', groups: [] }).request(req);
    }) as Transport['request'],
    close: () => {},
  };
  const client = new Client({ transport: flaky, clock });
  const recorder = new EventRecorder({ client, component: 'c', clock });
  const rs = server.seed('/apis/apps/v1/namespaces/default/replicasets', { metadata: { name: 'web' } });
  recorder.event(rs, 'Normal', 'R', 'm');
  await clock.waitForTimers(1);
  assert.equal(server.list(EVENTS).length, 0);
  await clock.advanceToNextTimer();
  await clock.waitForTimers(1);
  assert.equal(clock.nextTimerAt()! - clock.now(), 10_000);
  await clock.advanceToNextTimer();
  await recorder.flush();
  assert.equal(server.list(EVENTS).length, 1);

  failures = 100;
  recorder.event(rs, 'Normal', 'Other', 'm');
  await clock.waitForTimers(1);
  const ctl = new AbortController();
  const stopping = recorder.shutdown(ctl.signal);
  ctl.abort();
  await stopping;
  recorder.event(rs, 'Normal', 'AfterShutdown', 'm');
  await recorder.flush();
  assert.equal(server.list(EVENTS).length, 1);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { FakeClock } from './clock.js';
import { indexByNodeName } from './indexer.js';
import type { EventHandlers } from './informer.js';
import { SharedInformer } from './informer.js';
import { SharedInformerFactory } from './informer-factory.js';
import { captureLogger } from './log.js';
import type { FakeApiServer } from './testing/fake-api-server.js';
import { fakeCluster, pod, waitFor } from './testing/helpers.js';

const PODS = '/api/v1/namespaces/default/pods';

/** Records handler calls as strings, checking each time that the cache already reflects the event. */
function recorder(inf: SharedInformer<Pod>): { log: string[]; handlers: EventHandlers<Pod> } {
  const log: string[] = [];
  const key = (p: Pod): string => `${p.metadata?.namespace}/${p.metadata?.name}`;
  return {
    log,
    handlers: {
      onAdd: (p, initial) => {
        assert.equal(inf.store.get(key(p)), p, 'cache holds the added object');
        log.push(`add ${p.metadata?.name}@${p.metadata?.resourceVersion}${initial ? ' initial' : ''}`);
      },
      onUpdate: (o, n) => {
        assert.equal(inf.store.get(key(n)), n, 'cache holds the new object');
        log.push(`update ${n.metadata?.name}@${o.metadata?.resourceVersion}->${n.metadata?.resourceVersion}`);
      },
      onDelete: (p, info) => {
        assert.equal(inf.store.get(key(p)), undefined, 'cache no longer holds the deleted object');
        log.push(`delete ${p.metadata?.name}@${p.metadata?.resourceVersion}${info.finalStateUnknown ? ' unknown' : ''}`);
      },
    },
  };
}

/** Fires timers one by one until `cond()` holds (the informer may back off more than once). */
async function advanceUntil(clock: FakeClock, cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 20 && !cond(); i++) {
    await clock.advanceToNextTimer();
    await waitFor(() => cond() || clock.pendingTimers() > 0, what);
  }
  assert.ok(cond(), `timed out waiting for ${what}`);
}

function watchRequests(server: FakeApiServer): URLSearchParams[] {
  return server.requests.filter((r) => r.query.get('watch') === 'true').map((r) => r.query);
}
function listRequests(server: FakeApiServer): URLSearchParams[] {
  return server.requests.filter((r) => r.method === 'GET' && r.query.get('watch') !== 'true').map((r) => r.query);
}

async function startInformer(opts: { pageSize?: number } = {}) {
  const clock = new FakeClock();
  const { server, client } = fakeCluster();
  const logger = captureLogger('debug');
  const inf = new SharedInformer<Pod>(client.pods('default'), { clock, logger, ...opts });
  const rec = recorder(inf);
  inf.addEventHandler(rec.handlers);
  const ctl = new AbortController();
  return { clock, server, client, inf, rec, ctl, logger, run: () => inf.run(ctl.signal) };
}

test('initial list is paged, applied at once, then watched from its resourceVersion with bookmarks', async () => {
  const t = await startInformer({ pageSize: 2 });
  for (let i = 0; i < 5; i++) t.server.seed(PODS, pod(`p${i}`));
  const listRV = String(t.server.resourceVersion);
  const running = t.run();
  assert.equal(await t.inf.waitForSync(), true);
  assert.deepEqual(t.rec.log, ['add p0@2 initial', 'add p1@3 initial', 'add p2@4 initial', 'add p3@5 initial', 'add p4@6 initial']);
  const lists = listRequests(t.server);
  assert.equal(lists.length, 3);
  assert.ok(lists.every((q) => q.get('limit') === '2'));
  assert.equal(lists[0]?.has('resourceVersion'), false, 'initial list is a consistent read');
  await waitFor(() => t.server.openWatches === 1, 'watch');
  const w = watchRequests(t.server)[0];
  assert.equal(w?.get('resourceVersion'), listRV);
  assert.equal(w?.get('allowWatchBookmarks'), 'true');
  const timeout = Number(w?.get('timeoutSeconds'));
  assert.ok(timeout >= 300 && timeout < 600, `timeoutSeconds ${timeout} in [300, 600)`);
  const cached = t.inf.store.get('default/p0');
  assert.ok(cached && Object.isFrozen(cached) && Object.isFrozen(cached.metadata) && Object.isFrozen(cached.spec?.containers), 'cached objects are deep-frozen');
  assert.equal(cached.kind, 'Pod', 'list items get TypeMeta');
  t.ctl.abort();
  await running;
});

test('watch events are applied in order and handlers see the cache updated', async () => {
  const t = await startInformer();
  t.server.seed(PODS, pod('a'));
  const running = t.run();
  await t.inf.waitForSync();
  await waitFor(() => t.server.openWatches === 1, 'watch');
  t.server.seed(PODS, pod('b'));
  const a = t.server.get(`${PODS}/a`);
  t.server.put(`${PODS}/a`, { ...a, metadata: { ...a?.metadata, labels: { x: 'y' } } });
  t.server.remove(`${PODS}/b`);
  await waitFor(() => t.rec.log.length === 4, 'four events');
  assert.deepEqual(t.rec.log, ['add a@2 initial', 'add b@3', 'update a@2->4', 'delete b@5']);
  assert.equal(t.inf.lastSyncResourceVersion(), '5');
  assert.deepEqual(t.inf.store.keys(), ['default/a']);
  t.ctl.abort();
  await running;
});

test('a dropped watch resumes from the last resourceVersion without duplicates or gaps', async () => {
  const t = await startInformer();
  t.server.seed(PODS, pod('a'));
  const running = t.run();
  await t.inf.waitForSync();
  await waitFor(() => t.server.openWatches === 1, 'watch');
  t.server.seed(PODS, pod('b'));
  await waitFor(() => t.rec.log.length === 2, 'b added');
  // Bookmarks move the resume point without events.
  t.server.bookmark();
  await waitFor(() => t.inf.lastSyncResourceVersion() === String(t.server.resourceVersion), 'bookmark applied');

  // The next watch attempt fails (server unavailable); changes made meanwhile must all arrive once.
  t.server.injectFault({ match: (r) => r.query.get('watch') === 'true', status: 500 });
  t.server.dropWatches();
  await t.clock.waitForTimers(1); // back-off scheduled after the failed watch
  t.server.seed(PODS, pod('c'));
  t.server.remove(`${PODS}/a`);
  await t.clock.advanceToNextTimer();
  await waitFor(() => t.rec.log.length === 4, 'missed events replayed');
  assert.deepEqual(t.rec.log, ['add a@2 initial', 'add b@3', 'add c@4', 'delete a@5']);
  const watches = watchRequests(t.server);
  assert.deepEqual(watches.map((q) => q.get('resourceVersion')), ['2', '3', '3']);
  assert.equal(listRequests(t.server).length, 1, 'no relist for a resumable watch');
  assert.ok(t.logger.entries.some((e) => e.level === 'warn' && /watch failed; resuming/.test(e.msg)));
  t.ctl.abort();
  await running;
});

test('410 Expired relists and delivers the difference as add, update and delete', async () => {
  const t = await startInformer();
  for (const n of ['keep', 'change', 'gone']) t.server.seed(PODS, pod(n));
  const running = t.run();
  await t.inf.waitForSync();
  await waitFor(() => t.server.openWatches === 1, 'watch');
  t.rec.log.length = 0;

  // Watch down; while it is, things change and history is compacted past our resourceVersion.
  t.server.injectFault({ match: (r) => r.query.get('watch') === 'true', status: 503 });
  t.server.dropWatches();
  await t.clock.waitForTimers(1);
  const change = t.server.get(`${PODS}/change`);
  t.server.put(`${PODS}/change`, { ...change, metadata: { ...change?.metadata, labels: { v: '2' } } });
  t.server.remove(`${PODS}/gone`);
  t.server.seed(PODS, pod('new'));
  t.server.compact();
  await advanceUntil(t.clock, () => t.rec.log.length === 3, 'relist diff');
  assert.deepEqual(t.rec.log, ['update change@3->5', 'add new@7', 'delete gone@4 unknown']);
  assert.deepEqual(t.inf.store.keys().sort(), ['default/change', 'default/keep', 'default/new']);
  assert.equal(listRequests(t.server).length, 2);
  assert.equal(listRequests(t.server)[1]?.has('resourceVersion'), false, 'relist after 410 is a consistent read');
  await waitFor(() => t.server.openWatches === 1, 'watching again');
  assert.equal(watchRequests(t.server).at(-1)?.get('resourceVersion'), '7');
  t.ctl.abort();
  await running;
});

test('an undecodable watch stream is logged and followed by a relist', async () => {
  const t = await startInformer();
  t.server.seed(PODS, pod('a'));
  const running = t.run();
  await t.inf.waitForSync();
  await waitFor(() => t.server.openWatches === 1, 'watch');
  t.server.injectIntoWatches('{"type":"ADDED","object":{');
  t.server.injectIntoWatches('not json');
  await t.clock.waitForTimers(1);
  assert.ok(t.logger.entries.some((e) => e.level === 'error' && /could not decode watch stream/.test(e.msg)), 'decode error logged');
  t.server.seed(PODS, pod('b'));
  await t.clock.advanceToNextTimer();
  await waitFor(() => t.rec.log.length === 2, 'relist picks up b');
  assert.deepEqual(t.rec.log, ['add a@2 initial', 'add b@3']);
  assert.equal(listRequests(t.server).length, 2);
  t.ctl.abort();
  await running;
});

test('the informer keeps retrying a failing list with back-off and never gives up', async () => {
  const t = await startInformer();
  for (let i = 0; i < 3; i++) t.server.injectFault({ match: (r) => r.query.get('watch') !== 'true', status: 403 });
  const running = t.run();
  const delays: number[] = [];
  for (let i = 0; i < 3; i++) {
    await t.clock.waitForTimers(1);
    const at = t.clock.nextTimerAt() as number;
    delays.push(at - t.clock.now());
    await t.clock.advanceToNextTimer();
  }
  await t.inf.waitForSync();
  assert.equal(listRequests(t.server).length, 4);
  // 0.8 s doubling, each with up to 100% jitter.
  assert.ok(delays[0]! >= 800 && delays[0]! <= 1600, `first delay ${delays[0]}`);
  assert.ok(delays[1]! >= 1600 && delays[1]! <= 3200, `second delay ${delays[1]}`);
  assert.ok(delays[2]! >= 3200 && delays[2]! <= 6400, `third delay ${delays[2]}`);
  t.ctl.abort();
  await running;
});

test('handlers run in registration order; a throwing handler does not starve the others', async () => {
  const t = await startInformer();
  const order: string[] = [];
  t.inf.addEventHandler({ onAdd: () => { order.push('second'); throw new Error('handler bug'); } });
  t.inf.addEventHandler({ onAdd: () => order.push('third') });
  const running = t.run();
  await t.inf.waitForSync();
  await waitFor(() => t.server.openWatches === 1, 'watch');
  t.server.seed(PODS, pod('a'));
  await waitFor(() => order.length === 2, 'both handlers');
  assert.deepEqual(order, ['second', 'third']);
  assert.deepEqual(t.rec.log, ['add a@2']);
  assert.ok(t.logger.entries.some((e) => e.level === 'error' && /handler threw/.test(e.msg)));
  // A handler added later is told about every cached object first.
  const late: string[] = [];
  const reg = t.inf.addEventHandler({ onAdd: (p, initial) => late.push(`${p.metadata?.name} ${initial}`) });
  assert.deepEqual(late, ['a true']);
  assert.equal(reg.hasSynced(), true);
  reg.remove();
  t.server.seed(PODS, pod('b'));
  await waitFor(() => t.rec.log.length === 2, 'b');
  assert.deepEqual(late, ['a true']);
  t.ctl.abort();
  await running;
});

test('a field-selected informer sees objects enter and leave its selection', async () => {
  const clock = new FakeClock();
  const { server, client } = fakeCluster();
  server.seed(PODS, pod('mine', { nodeName: 'node-1' }));
  server.seed(PODS, pod('other', { nodeName: 'node-2' }));
  server.seed(PODS, pod('pending'));
  const factory = new SharedInformerFactory(client, { clock });
  const inf = factory.pods({ fieldSelector: { 'spec.nodeName': 'node-1' } });
  const rec = recorder(inf);
  inf.addEventHandler(rec.handlers);
  const ctl = new AbortController();
  factory.start(ctl.signal);
  assert.equal(await factory.waitForCacheSync(ctl.signal), true);
  await waitFor(() => server.openWatches === 1, 'watch');
  assert.equal(server.requests.at(-1)?.query.get('fieldSelector'), 'spec.nodeName=node-1');
  await client.pods('default').bind('pending', 'node-1');
  await waitFor(() => rec.log.length === 2, 'bound pod appears');
  const mine = server.get(`${PODS}/mine`);
  server.put(`${PODS}/mine`, { ...mine, spec: { ...(mine?.['spec'] as object), nodeName: 'node-3' } });
  await waitFor(() => rec.log.length === 3, 'moved pod leaves');
  assert.deepEqual(rec.log, ['add mine@2 initial', 'add pending@5', 'delete mine@6']);
  ctl.abort();
  await factory.shutdown();
});

test('the factory shares one informer per resource and selector, with custom indexes', async () => {
  const clock = new FakeClock();
  const { server, client } = fakeCluster();
  server.seed(PODS, pod('a', { nodeName: 'n1' }));
  server.seed(PODS, pod('b', { nodeName: 'n1' }));
  server.seed('/api/v1/namespaces/kube-system/pods', pod('c', { nodeName: 'n2', namespace: 'kube-system' }));
  const factory = new SharedInformerFactory(client, { clock });
  const pods = factory.pods({ indexers: { byNode: indexByNodeName } });
  assert.equal(factory.pods(), pods, 'same informer for the same resource and selector');
  assert.notEqual(factory.pods({ labelSelector: 'app=x' }), pods);
  const ctl = new AbortController();
  factory.start(ctl.signal);
  const nodes = factory.nodes(); // created after start: started too
  await factory.waitForCacheSync(ctl.signal);
  assert.equal(nodes.hasSynced(), true);
  assert.deepEqual(pods.store.byIndex('byNode', 'n1').map((p) => p.metadata?.name).sort(), ['a', 'b']);
  assert.deepEqual(pods.store.listByNamespace('kube-system').map((p) => p.metadata?.name), ['c']);
  server.remove(`${PODS}/a`);
  await waitFor(() => pods.store.byIndex('byNode', 'n1').length === 1, 'index updated on delete');
  assert.deepEqual(pods.store.indexValues('byNode').sort(), ['n1', 'n2']);
  ctl.abort();
  await factory.shutdown();
  assert.equal(server.openWatches, 0);
});

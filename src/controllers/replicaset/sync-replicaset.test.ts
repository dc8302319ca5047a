/**
 * Sync tests: one ReplicaSetSync driven by hand over real informer caches of an in-process API
 * server, with the controller's requests recorded (and refused where a test says so). No event
 * handlers lower expectations here, so each test decides what the controller has "observed".
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { ApiRequest } from '../../api/http.js';
import { EventRecorder } from '../../client/event-recorder.js';
import { SharedInformerFactory } from '../../client/informer-factory.js';
import { realClock } from '../../client/clock.js';
import { silentLogger } from '../../client/log.js';
import { Expectations } from '../lib/expectations.js';
import { OWNER_INDEXERS } from '../lib/owner-indexes.js';
import { startInProcessApi } from '../../../test/helpers/in-process.js';
import { ReplicaSetSync } from './sync-replicaset.js';
import { eventually, interceptedClient, type Interceptor } from './test-support.js';

const NS = 'default';

function replicaSet(name: string, replicas: number): ReplicaSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name, namespace: NS },
    spec: { replicas, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'x' }] } } },
  };
}

async function setup(burstReplicas?: number) {
  const api = await startInProcessApi();
  const requests: ApiRequest[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  let refuse: Interceptor | undefined;
  const recorded: Interceptor = (req) => {
    if (req.method !== 'GET') requests.push(req);
    return refuse?.(req);
  };
  const client = interceptedClient(
    async (req) => {
      // Pod creations in flight at once: the slow-start batch size.
      const isCreate = req.method === 'POST' && req.path.endsWith('/pods');
      if (isCreate) maxInFlight = Math.max(maxInFlight, ++inFlight);
      try {
        return await api.handler(req);
      } finally {
        if (isCreate) inFlight--;
      }
    },
    () => recorded,
  );
  const factory = new SharedInformerFactory(client);
  const rsInformer = factory.replicaSets({ indexers: OWNER_INDEXERS });
  const podInformer = factory.pods({ indexers: OWNER_INDEXERS });
  const ac = new AbortController();
  factory.start(ac.signal);
  await factory.waitForCacheSync(ac.signal);
  const recorder = new EventRecorder({ client, component: 'replicaset-controller' });
  const expectations = new Expectations();
  const rsSync = new ReplicaSetSync({
    client,
    recorder,
    clock: realClock,
    logger: silentLogger,
    replicaSets: rsInformer.store,
    pods: podInformer.store,
    expectations,
    ...(burstReplicas !== undefined ? { burstReplicas } : {}),
  });
  const test = api.client('test');
  return {
    test,
    rsSync,
    expectations,
    rsInformer,
    podInformer,
    posts: () => requests.filter((r) => r.method === 'POST' && r.path.endsWith('/pods')).length,
    deletes: () => requests.filter((r) => r.method === 'DELETE').length,
    statusWrites: () => requests.filter((r) => r.path.endsWith('/status')).length,
    resetCounters: () => {
      requests.length = 0;
      maxInFlight = 0;
    },
    maxInFlight: () => maxInFlight,
    refuse: (fn: Interceptor | undefined) => {
      refuse = fn;
    },
    async stop() {
      ac.abort();
      await factory.shutdown();
      await recorder.shutdown();
      await api.stop();
    },
  };
}

test('a sync creates at most burstReplicas pods in slow-start batches, then waits for its expectations', async () => {
  const s = await setup(10);
  try {
    await s.test.replicaSets(NS).create(replicaSet('web', 30));
    await eventually(() => s.rsInformer.store.getByName(NS, 'web'), 'the set in the cache');
    await s.rsSync.sync(`${NS}/web`);
    assert.equal(s.posts(), 10, 'capped at burstReplicas');
    assert.equal(s.maxInFlight(), 4, 'batches of 1, 2, 4, then the remaining 3');
    assert.equal(s.expectations.satisfied(`${NS}/web`), false);

    s.resetCounters();
    await s.rsSync.sync(`${NS}/web`);
    assert.equal(s.posts(), 0, 'no creates while expectations are pending');

    for (let i = 0; i < 10; i++) s.expectations.creationObserved(`${NS}/web`);
    await eventually(() => s.podInformer.store.size === 10, 'the ten pods in the cache');
    s.resetCounters();
    await s.rsSync.sync(`${NS}/web`);
    assert.equal(s.posts(), 10);
  } finally {
    await s.stop();
  }
});

test('a refused first batch stops the sync after one create and lowers the expectations', async () => {
  const s = await setup();
  try {
    s.refuse((req) => (req.method === 'POST' && req.path.endsWith('/pods') ? { code: 403, reason: 'Forbidden', message: 'pods "web-" is forbidden: exceeded quota: q' } : undefined));
    await s.test.replicaSets(NS).create(replicaSet('web', 5));
    await eventually(() => s.rsInformer.store.getByName(NS, 'web'), 'the set in the cache');
    await assert.rejects(s.rsSync.sync(`${NS}/web`), /exceeded quota/);
    assert.equal(s.posts(), 1);
    assert.equal(s.expectations.satisfied(`${NS}/web`), true, 'creations that never happened are not expected');
    const rs = await s.test.replicaSets(NS).get('web');
    assert.deepEqual(
      rs.status?.conditions?.map((c) => [c.type, c.status, c.reason, c.message]),
      [['ReplicaFailure', 'True', 'FailedCreate', 'pods "web-" is forbidden: exceeded quota: q']],
    );
  } finally {
    await s.stop();
  }
});

test('status is written once, and not again when nothing changed', async () => {
  const s = await setup();
  try {
    await s.test.replicaSets(NS).create(replicaSet('web', 0));
    await eventually(() => s.rsInformer.store.getByName(NS, 'web'), 'the set in the cache');
    await s.rsSync.sync(`${NS}/web`);
    assert.equal(s.statusWrites(), 1, 'observedGeneration recorded');
    await eventually(() => s.rsInformer.store.getByName(NS, 'web')?.status?.observedGeneration === 1, 'status in the cache');
    s.resetCounters();
    await s.rsSync.sync(`${NS}/web`);
    assert.equal(s.statusWrites(), 0);
    assert.equal(s.posts() + s.deletes(), 0);
  } finally {
    await s.stop();
  }
});

test('a pod already gone when deleted lowers the deletion expectations', async () => {
  const s = await setup();
  try {
    await s.test.replicaSets(NS).create(replicaSet('web', 2));
    await eventually(() => s.rsInformer.store.getByName(NS, 'web'), 'the set in the cache');
    await s.rsSync.sync(`${NS}/web`);
    await eventually(() => s.podInformer.store.size === 2, 'two pods in the cache');
    s.expectations.delete(`${NS}/web`);
    await s.test.replicaSets(NS).patch('web', 'merge', { spec: { replicas: 0 } });
    await eventually(() => s.rsInformer.store.getByName(NS, 'web')?.spec?.replicas === 0, 'scaled to 0 in the cache');
    s.refuse((req) => (req.method === 'DELETE' ? { code: 404, reason: 'NotFound', message: 'pods "x" not found' } : undefined));
    await s.rsSync.sync(`${NS}/web`);
    assert.equal(s.deletes(), 2);
    assert.equal(s.expectations.satisfied(`${NS}/web`), true);
  } finally {
    await s.stop();
  }
});

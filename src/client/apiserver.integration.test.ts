/**
 * The client against the real Skiff API server (in-process: registry with the real strategies,
 * watch cache and handler over an in-memory SQLite store). Only tests import the server; the
 * client itself never does.
 */
import { test } from 'node:test';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import { isAlreadyExists, isConflict, isGone, isNotFound, isStatus } from '../api/errors.js';
import { clone } from '../api/object.js';
import { findResource } from '../api/resources.js';
import type { Store } from '../storage/store.js';
import { openSqliteStore } from '../storage/sqlite/sqlite-store.js';
import { ObjectCache } from '../apiserver/registry/object-cache.js';
import { Registry } from '../apiserver/registry/registry.js';
import { strategyFor } from '../apiserver/strategy/index.js';
import { managedFieldsHook } from '../apiserver/managed-fields.js';
import { createApiHandler } from '../apiserver/handler.js';
import { startApiServer } from '../apiserver/api-server.js';
import { loadOrCreateCredentials } from '../apiserver/auth/credentials.js';
import { Client } from './client.js';
import { FakeClock } from './clock.js';
import { EventRecorder } from './event-recorder.js';
import { httpTransport } from './http-transport.js';
import { inProcessTransport } from './in-process-transport.js';
import { SharedInformer } from './informer.js';
import { LeaderElector } from './leader-election.js';
import { retryOnConflict } from './retry-on-conflict.js';
import { SwitchableHandler } from './testing/switchable-handler.js';
import { instantClock, pod, waitFor } from './testing/helpers.js';

const ADMIN = { name: 'admin', groups: ['system:masters'] };

async function startServer(store?: Store) {
  const s = store ?? (await openSqliteStore({ path: ':memory:' }));
  const cache = new ObjectCache(s);
  await cache.start();
  const registry = new Registry({ store: s, cache, strategyFor, managedFields: managedFieldsHook });
  for (const name of ['default', 'kube-system']) {
    try {
      await registry.create(findResource('', 'v1', 'namespaces')!, '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
  }
  const handler = createApiHandler({ registry, version: 'test', serverAddress: '127.0.0.1:6443' });
  return { store: s, handler, stop: () => cache.stop() };
}

function clientFor(handler: Parameters<typeof inProcessTransport>[0], clock = instantClock): Client {
  return new Client({ transport: inProcessTransport(handler, ADMIN), fieldManager: 'client-test', clock });
}

test('real server: CRUD, conflicts, paging, patches and subresources', async (t) => {
  const srv = await startServer();
  t.after(async () => {
    srv.stop();
    await srv.store.close();
  });
  const client = clientFor(srv.handler);
  const pods = client.pods('default');
  for (let i = 0; i < 7; i++) await pods.create(pod(`p${i}`, { labels: { app: i % 2 ? 'odd' : 'even' } }));
  const list = await pods.list({ limit: 3 });
  assert.deepEqual(list.items.map((p) => p.metadata?.name), ['p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6']);
  assert.ok(list.items.every((p) => p.kind === 'Pod'));
  assert.equal((await pods.list({ labelSelector: { app: 'odd' } })).items.length, 3);

  const p0 = await pods.get('p0');
  const edited = clone(p0);
  edited.metadata!.labels = { app: 'changed' };
  await pods.update(edited);
  await assert.rejects(pods.update(edited), isConflict);

  const updated = await retryOnConflict(async () => {
    const cur = clone(await pods.get('p0'));
    cur.metadata!.annotations = { touched: 'yes' };
    return pods.update(cur);
  });
  assert.equal(updated.metadata?.annotations?.['touched'], 'yes');

  const merged = await pods.patch('p1', 'merge', { metadata: { labels: { extra: '1' } } });
  assert.equal(merged.metadata?.labels?.['extra'], '1');
  const jsonPatched = await pods.patch('p1', 'json', [{ op: 'add', path: '/metadata/annotations', value: { a: 'b' } }]);
  assert.equal(jsonPatched.metadata?.annotations?.['a'], 'b');

  await pods.bind('p2', 'node-1');
  assert.equal((await pods.get('p2')).spec?.nodeName, 'node-1');

  const withStatus = clone(await pods.get('p3'));
  Object.assign(withStatus, { status: { phase: 'Running' } });
  withStatus.spec!.nodeName = 'ignored-by-status';
  const afterStatus = await pods.updateStatus(withStatus);
  assert.equal(afterStatus.status?.phase, 'Running');
  assert.equal(afterStatus.spec?.nodeName, undefined, '/status leaves spec alone');

  await pods.delete('p6', { gracePeriodSeconds: 0 });
  await assert.rejects(pods.get('nope'), (err: unknown) => isNotFound(err) && (err as Error).message === 'pods "nope" not found');
});

test('real server: watch from a resourceVersion, and 410 for one older than the watch cache', async (t) => {
  const srv = await startServer();
  t.after(async () => {
    srv.stop();
    await srv.store.close();
  });
  const client = clientFor(srv.handler);
  const cms = client.configMaps('default');
  const first = await cms.create({ metadata: { name: 'a' }, data: { v: '1' } });
  const seen: string[] = [];
  const ctl = new AbortController();
  const watching = (async () => {
    for await (const ev of cms.watch({ resourceVersion: first.metadata?.resourceVersion, signal: ctl.signal })) {
      seen.push(`${ev.type} ${ev.object.metadata?.name} ${ev.object.kind}`);
      if (seen.length === 3) ctl.abort();
    }
  })();
  await cms.create({ metadata: { name: 'b' } });
  await cms.patch('a', 'merge', { data: { v: '2' } });
  await cms.delete('b');
  await watching;
  assert.deepEqual(seen, ['ADDED b ConfigMap', 'MODIFIED a ConfigMap', 'DELETED b ConfigMap']);

  // A new server over the same store starts its watch cache at the current revision.
  const srv2 = await startServer(srv.store);
  t.after(() => srv2.stop());
  const iterate = async (): Promise<void> => {
    for await (const _ of clientFor(srv2.handler).configMaps('default').watch({ resourceVersion: first.metadata?.resourceVersion })) assert.fail('no event expected');
  };
  await assert.rejects(iterate(), isGone);
});

test('real server: an informer survives an API server restart, relisting after 410 with a correct diff', async (t) => {
  const srv1 = await startServer();
  const sw = new SwitchableHandler(srv1.handler);
  const clock = new FakeClock();
  const client = clientFor(sw.handler);
  const direct = clientFor(srv1.handler);
  const pods = direct.pods('default');
  for (const n of ['keep', 'change', 'gone']) await pods.create(pod(n));

  const inf = new SharedInformer<Pod>(client.pods('default'), { clock });
  const log: string[] = [];
  inf.addEventHandler({
    onAdd: (p, initial) => log.push(`add ${p.metadata?.name}${initial ? ' initial' : ''}`),
    onUpdate: (o, n) => log.push(`update ${n.metadata?.name} ${o.metadata?.labels?.['v'] ?? '-'}->${n.metadata?.labels?.['v'] ?? '-'}`),
    onDelete: (p, info) => log.push(`delete ${p.metadata?.name}${info.finalStateUnknown ? ' unknown' : ''}`),
  });
  const ctl = new AbortController();
  const running = inf.run(ctl.signal);
  t.after(async () => {
    ctl.abort();
    await running;
  });
  await inf.waitForSync();
  await waitFor(() => sw.openStreams === 1, 'watch open');
  await pods.create(pod('live'));
  await waitFor(() => log.length === 4, 'live event');
  assert.deepEqual(log, ['add change initial', 'add gone initial', 'add keep initial', 'add live']);
  log.length = 0;

  // The server goes down; while it is, the cluster changes; it comes back with a fresh cache.
  sw.target = undefined;
  sw.cutStreams();
  await pods.patch('change', 'merge', { metadata: { labels: { v: '2' } } });
  await pods.delete('gone');
  await pods.create(pod('new'));
  srv1.stop();
  const srv2 = await startServer(srv1.store);
  t.after(async () => {
    srv2.stop();
    await srv1.store.close();
  });
  sw.target = srv2.handler;
  for (let i = 0; i < 20 && log.length < 3; i++) {
    await waitFor(() => log.length >= 3 || clock.pendingTimers() > 0, 'back-off or relist');
    if (log.length < 3) await clock.advanceToNextTimer();
  }
  assert.deepEqual(log, ['update change -->2', 'add new', 'delete gone unknown']);
  assert.deepEqual(inf.store.keys().sort(), ['default/change', 'default/keep', 'default/live', 'default/new']);
  await waitFor(() => sw.openStreams === 1, 'watching again');
  await clientFor(srv2.handler).pods('default').delete('keep');
  await waitFor(() => log.length === 4, 'live after restart');
  assert.equal(log[3], 'delete keep');
});

test('real server: event recorder and leader election', async (t) => {
  const srv = await startServer();
  t.after(async () => {
    srv.stop();
    await srv.store.close();
  });
  const clock = new FakeClock();
  const client = clientFor(srv.handler);
  const rs = await client.replicaSets('default').create({
    metadata: { name: 'web' },
    spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'] }] } } },
  });
  const recorder = new EventRecorder({ client, component: 'replicaset-controller', clock });
  recorder.event(rs, 'Normal', 'SuccessfulCreate', 'Created pod: web-1');
  recorder.event(rs, 'Normal', 'SuccessfulCreate', 'Created pod: web-1');
  await recorder.flush();
  const events = await client.events('default').list({ fieldSelector: { 'involvedObject.name': 'web' } });
  assert.equal(events.items.length, 1);
  assert.equal(events.items[0]?.count, 2);
  assert.equal(events.items[0]?.involvedObject.uid, rs.metadata?.uid);

  const started: string[] = [];
  const ctl = new AbortController();
  const elector = new LeaderElector({ client, namespace: 'kube-system', name: 'skiff-scheduler', identity: 'me', clock });
  const done = elector.run(ctl.signal, { onStartedLeading: () => void started.push('me') });
  await waitFor(() => started.length === 1, 'leading');
  const lease = await client.leases('kube-system').get('skiff-scheduler');
  assert.equal(lease.spec?.holderIdentity, 'me');
  assert.match(lease.spec?.renewTime ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  ctl.abort();
  await done;
  const released: Lease = await client.leases('kube-system').get('skiff-scheduler');
  assert.equal(released.spec?.holderIdentity, '');
});

test('real server over HTTPS: pinned cluster CA, admin bearer token, informer over the wire, 401 for a bad token', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-client-https-'));
  const store = await openSqliteStore({ path: ':memory:' });
  const credentials = await loadOrCreateCredentials(dir, '127.0.0.1');
  const server = await startApiServer({ store, credentials, bindAddress: '127.0.0.1', port: 0, version: 'test', strategyFor, managedFields: managedFieldsHook, log: () => {} });
  t.after(async () => {
    await server.stop();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });
  const client = new Client({ transport: httpTransport({ server: server.url, caData: credentials.ca.certPem, token: credentials.adminToken }), fieldManager: 'client-test' });
  t.after(() => client.close());

  const cms = client.configMaps('default');
  await cms.create({ metadata: { name: 'over-tls' }, data: { a: '1' } });
  const applied = await cms.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'applied' }, data: { b: '2' } });
  assert.equal(applied.data?.['b'], '2');
  assert.ok(applied.metadata?.managedFields?.some((f) => f.manager === 'client-test' && f.operation === 'Apply'));

  const inf = new SharedInformer(cms);
  const names: string[] = [];
  inf.addEventHandler({ onAdd: (o) => names.push(o.metadata?.name ?? '') });
  const ctl = new AbortController();
  const running = inf.run(ctl.signal);
  await inf.waitForSync();
  await cms.create({ metadata: { name: 'watched' } });
  await waitFor(() => names.includes('watched'), 'watch event over HTTPS');
  assert.deepEqual(names.slice(0, 2).sort(), ['applied', 'over-tls']);
  ctl.abort();
  await running;

  const stranger = new Client({ transport: httpTransport({ server: server.url, caData: credentials.ca.certPem, token: 'wrong' }) });
  await assert.rejects(stranger.configMaps('default').get('over-tls'), (err: unknown) => isStatus(err, 401));
  stranger.close();
});

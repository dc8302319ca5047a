/**
 * The in-process transport carries JSON as values (no encode/parse on either side) while keeping
 * the client's contract: callers own what they get unless they asked to share (informers), the
 * server owns what it was given, and over HTTP nothing changes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConfigMap, Pod } from 'kubernetes-types/core/v1.js';
import type { ApiHandler, ApiRequest } from '../api/http.js';
import { isStreamResponse } from '../api/http.js';
import { Client } from './client.js';
import { inProcessTransport } from './in-process-transport.js';
import { SharedInformer } from './informer.js';
import { findResource } from '../api/resources.js';
import { startInProcessApi, waitFor } from '../../test/helpers/in-process.js';

const admin = { name: 'admin', groups: ['system:masters', 'system:authenticated'] };

function recording(inner: ApiHandler, seen: ApiRequest[]): ApiHandler {
  return (req) => {
    seen.push(req);
    return inner(req);
  };
}

test('a body given as an object reaches the server as a copy of it, with no bytes parsed', async (t) => {
  const api = await startInProcessApi();
  t.after(() => api.stop());
  const seen: ApiRequest[] = [];
  const client = new Client({ transport: inProcessTransport(recording(api.handler, seen), admin), fieldManager: 'test' });
  const cm: ConfigMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'default' }, data: { a: '1' } };
  const created = await client.configMaps('default').create(cm);
  const req = seen.at(-1)!;
  assert.equal(req.acceptsValues, true);
  assert.deepEqual(req.bodyValue, cm);
  assert.notEqual(req.bodyValue, cm, 'the server got its own copy');
  // The bytes are still there for a reader that wants them.
  assert.deepEqual(JSON.parse(Buffer.from(req.body!).toString()), cm);
  assert.equal(created.data?.a, '1');
  // Patches and apply travel as values too.
  await client.configMaps('default').patch('c', 'merge', { data: { b: '2' } });
  assert.deepEqual(seen.at(-1)!.bodyValue, { data: { b: '2' } });
  const applied = await client.configMaps('default').apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'default' }, data: { z: '9' } }, { fieldManager: 'applier' });
  assert.equal(applied.data?.z, '9');
});

test('what a caller gets is its own: editing it changes nothing on the server', async (t) => {
  const api = await startInProcessApi();
  t.after(() => api.stop());
  const client = api.client();
  const pods = client.pods('default');
  const created = await pods.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', labels: { a: '1' } }, spec: { containers: [{ name: 'c', image: 'i' }] } });
  created.metadata!.labels!['a'] = 'changed';
  const got = await pods.get('p');
  assert.equal(got.metadata?.labels?.['a'], '1');
  assert.equal(Object.isFrozen(got), false);
  got.metadata!.labels!['a'] = 'mine';
  const list = await pods.list();
  assert.equal(list.items[0]?.metadata?.labels?.['a'], '1');
  list.items[0]!.metadata!.labels!['a'] = 'also mine';
  const cached = api.registry.peek(findResource('', 'v1', 'pods')!, 'default', 'p')!.obj;
  assert.equal(cached.metadata.labels?.['a'], '1');
  assert.notEqual(list.items[0], cached);
});

test('a plain watch yields objects of its own; an informer shares the server cache, frozen', async (t) => {
  const api = await startInProcessApi();
  const stop = new AbortController();
  t.after(async () => {
    stop.abort();
    await api.stop();
  });
  const client = api.client();
  const pods = client.pods('default');
  const inf = new SharedInformer<Pod>(pods, {});
  const running = inf.run(stop.signal);
  await inf.waitForSync();
  const watched: Pod[] = [];
  const watching = (async () => {
    for await (const ev of pods.watch({ resourceVersion: '0', signal: stop.signal })) if (ev.type === 'ADDED') watched.push(ev.object);
  })();
  await pods.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'w' }, spec: { containers: [{ name: 'c', image: 'i' }] } });
  await waitFor(() => inf.store.get('default/w') && watched.length === 1);
  const cached = api.registry.peek(findResource('', 'v1', 'pods')!, 'default', 'w')!.obj;
  const inInformer = inf.store.get('default/w')!;
  assert.equal(inInformer, cached, 'the informer holds the API server cache object itself');
  assert.ok(Object.isFrozen(inInformer) && Object.isFrozen(inInformer.spec));
  const mine = watched[0]!;
  assert.notEqual(mine, cached);
  assert.equal(Object.isFrozen(mine), false);
  mine.metadata!.name = 'edited';
  assert.equal(cached.metadata.name, 'w');
  stop.abort();
  await Promise.all([running, watching]);
});

test('over a handler without values (the HTTPS path) responses still carry their JSON text', async (t) => {
  const api = await startInProcessApi();
  t.after(() => api.stop());
  await api.client().configMaps('default').create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'h' }, data: { k: 'v' } });
  const res = await api.handler({ method: 'GET', path: '/api/v1/namespaces/default/configmaps/h', query: new URLSearchParams(), headers: { accept: 'application/json' }, user: admin, signal: new AbortController().signal });
  assert.ok(!isStreamResponse(res));
  assert.equal(JSON.parse(String(res.body)).data.k, 'v');
  const list = await api.handler({ method: 'GET', path: '/api/v1/namespaces/default/configmaps', query: new URLSearchParams(), headers: {}, user: admin, signal: new AbortController().signal });
  assert.ok(!isStreamResponse(list));
  assert.equal(list.value, undefined, 'a list for a caller that takes no values is assembled as text');
  assert.equal(JSON.parse(String(list.body)).items[0].metadata.name, 'h');
  const ctl = new AbortController();
  const watch = await api.handler({ method: 'GET', path: '/api/v1/namespaces/default/configmaps', query: new URLSearchParams('watch=true&resourceVersion=0'), headers: {}, user: admin, signal: ctl.signal });
  assert.ok(isStreamResponse(watch));
  assert.equal(watch.values, undefined);
  for await (const chunk of watch.stream) {
    assert.equal(JSON.parse(String(chunk)).object.metadata.name, 'h');
    break;
  }
  ctl.abort();
});

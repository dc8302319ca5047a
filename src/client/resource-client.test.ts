import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { isConflict, isGone, isNotFound, StatusError } from '../api/errors.js';
import { clone } from '../api/object.js';
import { retryOnConflict } from './retry-on-conflict.js';
import { fakeCluster, pod, waitFor } from './testing/helpers.js';

test('create, get, update, patch and delete speak the Kubernetes REST protocol', async () => {
  const { server, client } = fakeCluster();
  const pods = client.pods('default');
  const created = await pods.create({ ...pod(''), metadata: { generateName: 'web-', namespace: 'default' } });
  assert.match(created.metadata?.name ?? '', /^web-/);
  assert.equal(created.metadata?.uid, 'uid-1');
  const post = server.requests.at(-1);
  assert.equal(post?.method, 'POST');
  assert.equal(post?.path, '/api/v1/namespaces/default/pods');
  assert.equal(post?.query.get('fieldManager'), 'test-manager');
  assert.equal(post?.headers['content-type'], 'application/json');

  const name = created.metadata?.name as string;
  const got = await pods.get(name);
  assert.equal(got.metadata?.resourceVersion, created.metadata?.resourceVersion);

  const edited = clone(got);
  edited.metadata = { ...edited.metadata, labels: { tier: 'web' } };
  const updated = await pods.update(edited);
  assert.equal(updated.metadata?.labels?.['tier'], 'web');
  assert.equal(server.requests.at(-1)?.method, 'PUT');

  // A write with the old resourceVersion loses the optimistic-concurrency race.
  await assert.rejects(pods.update(edited), (err: unknown) => isConflict(err) && /has been modified/.test((err as Error).message));

  const patched = await pods.patch(name, 'merge', { metadata: { labels: { tier: null, app: 'a' } } });
  assert.deepEqual(patched.metadata?.labels, { app: 'a' });
  assert.equal(server.requests.at(-1)?.headers['content-type'], 'application/merge-patch+json');

  await pods.delete(name, { propagationPolicy: 'Background', gracePeriodSeconds: 0 });
  const del = server.requests.at(-1);
  assert.equal(del?.method, 'DELETE');
  assert.deepEqual(JSON.parse(Buffer.from(del?.body ?? []).toString()), { kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: 0, propagationPolicy: 'Background' });
  await assert.rejects(pods.get(name), (err: unknown) => isNotFound(err) && (err as Error).message === `pods "${name}" not found`);
});

test('list follows continue tokens and stamps TypeMeta on items', async () => {
  const { server, client } = fakeCluster();
  for (let i = 0; i < 7; i++) server.seed('/api/v1/namespaces/default/pods', pod(`p${i}`));
  server.seed('/api/v1/namespaces/other/pods', pod('x', { namespace: 'other' }));
  const before = server.requests.length;
  const list = await client.pods('default').list({ limit: 3 });
  assert.equal(server.requests.length - before, 3, 'three pages of 3, 3 and 1');
  assert.deepEqual(list.items.map((p) => p.metadata?.name), ['p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6']);
  assert.equal(list.metadata.continue, undefined);
  assert.equal(list.metadata.resourceVersion, String(server.resourceVersion));
  assert.ok(list.items.every((p) => p.kind === 'Pod' && p.apiVersion === 'v1'));
  assert.equal(server.requests.at(-1)?.query.get('limit'), '3');
  const all = await client.pods().list();
  assert.equal(all.items.length, 8, 'unscoped pods client lists all namespaces');
  assert.equal(server.requests.at(-1)?.path, '/api/v1/pods');
});

test('a continue token that expired mid-list restarts as one full list', async () => {
  const { server, client } = fakeCluster();
  for (let i = 0; i < 5; i++) server.seed('/api/v1/namespaces/default/pods', pod(`p${i}`));
  const pages = client.pods('default').pages({ limit: 2 });
  const first = await pages.next();
  assert.equal(first.value?.items.length, 2);
  server.remove('/api/v1/namespaces/default/pods/p4');
  server.compact();
  const rest = [];
  for await (const page of pages) rest.push(page);
  assert.equal(rest.length, 1);
  assert.deepEqual(rest[0]?.items.map((p) => p.metadata?.name), ['p0', 'p1', 'p2', 'p3']);
  assert.equal(server.requests.at(-1)?.query.has('continue'), false);
});

test('selectors and write options are encoded as Kubernetes query parameters', async () => {
  const { server, client } = fakeCluster();
  await client.pods().list({
    labelSelector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['b', 'a'] }, { key: 'canary', operator: 'DoesNotExist' }] },
    fieldSelector: { 'spec.nodeName': 'node-1', 'metadata.name': 'a,b' },
  });
  const q = server.requests.at(-1)?.query;
  assert.equal(q?.get('labelSelector'), 'app=web,tier in (a,b),!canary');
  assert.equal(q?.get('fieldSelector'), 'spec.nodeName=node-1,metadata.name=a\\,b');
  await client.configMaps('default').create({ metadata: { name: 'c' }, data: {} }, { dryRun: true, fieldValidation: 'Strict', fieldManager: 'kubectl' });
  const w = server.requests.at(-1)?.query;
  assert.equal(w?.get('dryRun'), 'All');
  assert.equal(w?.get('fieldValidation'), 'Strict');
  assert.equal(w?.get('fieldManager'), 'kubectl');
});

test('server-side apply sends apply-patch+yaml with the field manager and force', async () => {
  const { server, client } = fakeCluster();
  const cm = await client.configMaps('default').apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' }, data: { a: '1' } }, { force: true });
  assert.equal(cm.data?.['a'], '1');
  const req = server.requests.at(-1);
  assert.equal(req?.method, 'PATCH');
  assert.equal(req?.path, '/api/v1/namespaces/default/configmaps/cfg');
  assert.equal(req?.headers['content-type'], 'application/apply-patch+yaml');
  assert.equal(req?.query.get('fieldManager'), 'test-manager');
  assert.equal(req?.query.get('force'), 'true');
  await assert.rejects(client.withFieldManager('').configMaps('default').apply({ metadata: { name: 'cfg' } }), /fieldManager/);
});

test('writes need a namespace and refuse a mismatched one', async () => {
  const { client } = fakeCluster();
  await assert.rejects(client.pods().create(pod('a', { namespace: '' })), /namespace is required/);
  await assert.rejects(client.pods('a').create(pod('x', { namespace: 'b' })), /is in namespace "b", not "a"/);
  const created = await client.pods().create(pod('x', { namespace: 'ns1' }));
  assert.equal(created.metadata?.namespace, 'ns1');
  assert.throws(() => client.nodes().namespace('x'), /cluster-scoped/);
});

test('watch streams events from a resourceVersion and ends when aborted', async () => {
  const { server, client } = fakeCluster();
  const p0 = server.seed('/api/v1/namespaces/default/pods', pod('p0'));
  server.seed('/api/v1/namespaces/default/pods', pod('p1'));
  const ctl = new AbortController();
  const seen: string[] = [];
  const done = (async () => {
    for await (const ev of client.pods('default').watch({ resourceVersion: p0.metadata?.resourceVersion, signal: ctl.signal })) {
      seen.push(`${ev.type} ${ev.object.metadata?.name} ${ev.object.kind}`);
      if (seen.length === 3) ctl.abort();
    }
  })();
  await waitFor(() => seen.length === 1, 'replayed event');
  server.remove('/api/v1/namespaces/default/pods/p0');
  server.seed('/api/v1/namespaces/default/pods', pod('p2'));
  await done;
  assert.deepEqual(seen, ['ADDED p1 Pod', 'DELETED p0 Pod', 'ADDED p2 Pod']);
  await waitFor(() => server.openWatches === 0, 'server to release the watch');
  const q = server.requests.at(-1)?.query;
  assert.equal(q?.get('watch'), 'true');
  assert.equal(q?.get('resourceVersion'), p0.metadata?.resourceVersion);
});

test('breaking out of a watch closes it on the server', async () => {
  const { server, client } = fakeCluster();
  server.seed('/api/v1/namespaces/default/pods', pod('p0'));
  for await (const ev of client.pods().watch({ resourceVersion: '0' })) {
    assert.equal(ev.type, 'ADDED');
    break;
  }
  await waitFor(() => server.openWatches === 0, 'server to release the watch');
});

test('a 410 ERROR event ends a watch with a Gone StatusError', async () => {
  const { server, client } = fakeCluster();
  const p = server.seed('/api/v1/namespaces/default/pods', pod('p0'));
  server.seed('/api/v1/namespaces/default/pods', pod('p1'));
  server.compact();
  const iterate = async (): Promise<void> => {
    for await (const _ of client.pods().watch({ resourceVersion: p.metadata?.resourceVersion })) assert.fail('no event expected');
  };
  await assert.rejects(iterate(), (err: unknown) => isGone(err) && (err as StatusError).reason === 'Expired' && /too old resource version/.test((err as Error).message));
  server.expiredWatchAsHttpError = true;
  await assert.rejects(iterate(), (err: unknown) => isGone(err));
});

test('errors without a Status body get apimachinery generic reasons and messages', async () => {
  const { server, client } = fakeCluster();
  server.injectFault({ status: 500, body: 'boom' });
  await assert.rejects(client.pods('default').get('x'), (err: unknown) => {
    assert.ok(err instanceof StatusError);
    assert.equal(err.code, 500);
    assert.equal(err.reason, 'InternalError');
    assert.equal(err.message, 'an error on the server ("boom") has prevented the request from succeeding (get pods x)');
    return true;
  });
  server.injectFault({ status: 404, body: '404 page not found' });
  await assert.rejects(client.replicaSets('default').get('nginx'), (err: unknown) => isNotFound(err) && (err as Error).message === 'the server could not find the requested resource (get replicasets.apps nginx)');
});

test('Retry-After responses are retried for every verb; other failures of writes are not', async () => {
  const { server, client } = fakeCluster();
  server.injectFault({ status: 429, headers: { 'retry-after': '0' } });
  server.injectFault({ status: 503, headers: { 'retry-after': '0' } });
  const before = server.requests.length;
  await client.configMaps('default').create({ metadata: { name: 'a' } });
  assert.equal(server.requests.length - before, 3, '429, 503, then success');
  server.injectFault({ status: 500 });
  await assert.rejects(client.configMaps('default').create({ metadata: { name: 'b' } }), (err: unknown) => isStatus500(err));
  assert.equal(server.list('/api/v1/namespaces/default/configmaps').length, 1);
});

function isStatus500(err: unknown): boolean {
  return err instanceof StatusError && err.code === 500;
}

test('retryOnConflict re-runs the read-modify-write after a conflict', async () => {
  const { server, client } = fakeCluster();
  server.seed('/api/v1/namespaces/default/configmaps', { metadata: { name: 'c' }, data: { n: '0' } });
  let attempts = 0;
  const cms = client.configMaps('default');
  const result = await retryOnConflict(async () => {
    attempts++;
    const cm = clone(await cms.get('c'));
    // Someone else writes between our read and our write, the first time only.
    if (attempts === 1) server.put('/api/v1/namespaces/default/configmaps/c', { ...cm, data: { n: '5' } });
    cm.data = { n: String(Number(cm.data?.['n']) + 1) };
    return cms.update(cm);
  });
  assert.equal(attempts, 2);
  assert.equal(result.data?.['n'], '6');
  // Non-conflict errors surface at once; conflicts stop after the configured steps.
  let tries = 0;
  await assert.rejects(retryOnConflict(async () => {
    tries++;
    throw new StatusError(409, 'Conflict', 'always');
  }, { backoff: { steps: 3, durationMs: 0, factor: 1, jitter: 0 } }), /always/);
  assert.equal(tries, 3);
});

test('pods: bind, logs and the scale subresource path', async () => {
  const { server, client } = fakeCluster();
  server.seed('/api/v1/namespaces/default/pods', pod('p'));
  await client.pods('default').bind('p', 'node-1');
  const bindReq = server.requests.at(-1);
  assert.equal(bindReq?.path, '/api/v1/namespaces/default/pods/p/binding');
  assert.deepEqual(JSON.parse(Buffer.from(bindReq?.body ?? []).toString()).target, { apiVersion: 'v1', kind: 'Node', name: 'node-1' });
  assert.equal(((await client.pods('default').get('p')) as Pod).spec?.nodeName, 'node-1');
  assert.equal(await client.pods('default').logs('p', { container: 'c', tailLines: 5 }), 'log of p\n');
  assert.equal(server.requests.at(-1)?.query.toString(), 'container=c&tailLines=5');
  let streamed = '';
  for await (const chunk of client.pods('default').streamLogs('p')) streamed += chunk;
  assert.equal(streamed, 'log of p\n');
  assert.equal(server.requests.at(-1)?.query.get('follow'), 'true');
  assert.equal(client.deployments('web').objectPath('d', 'scale'), '/apis/apps/v1/namespaces/web/deployments/d/scale');
});

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { openSqliteStore } from '../../storage/sqlite/sqlite-store.js';
import type { Store } from '../../storage/store.js';
import { startApiServer, type RunningApiServer } from '../api-server.js';
import { loadOrCreateCredentials, type ClusterCredentials } from '../auth/credentials.js';
import { strategyFor } from '../strategy/index.js';
import { findResource } from '../../api/resources.js';
import { KUBELET_CERT_ANNOTATION } from '../../api/streams/kubelet-auth.js';
import { KubeletServer } from '../../agent/kubelet-server.js';
import { loadOrCreateServingCert } from '../../agent/serving-cert.js';
import { createStreamsHandler } from '../../agent/streams/streams-handler.js';
import { FakeStreamsBackend, runningPod } from '../../agent/streams/testing/fake-backend.js';
import { spdyUpgrade, webSocketSession, readAll } from '../../agent/streams/testing/clients.js';
import { PodStreamProxy } from './pod-stream-proxy.js';
import { waitFor } from '../../../test/helpers/in-process.js';
import { validateContainer } from './pod-target.js';
import { kubeletEndpoint } from './kubelet-dialer.js';

function get(port: number, path: string, token: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, rejectUnauthorized: false, headers: { authorization: `Bearer ${token}` } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('validateContainer picks the only container and words errors as Kubernetes', () => {
  const one = runningPod('p');
  assert.equal(validateContainer('', one), 'c');
  assert.equal(validateContainer('c', one), 'c');
  assert.throws(() => validateContainer('x', one), /^StatusError: container x is not valid for pod p$/);
  const two = runningPod('q', { initContainers: [{ name: 'init' }], containers: [{ name: 'a' }, { name: 'b' }] });
  assert.throws(() => validateContainer('', two), /a container name must be specified for pod q, choose one of: \[init a b\]/);
  assert.equal(validateContainer('init', two), 'init');
});

test('kubeletEndpoint: InternalIP, published port and fingerprint; Kubernetes errors otherwise', () => {
  assert.throws(() => kubeletEndpoint('gone', undefined), /nodes "gone" not found/);
  assert.throws(() => kubeletEndpoint('n', { metadata: { name: 'n' }, status: { addresses: [] } }), /no preferred addresses found/);
  const ep = kubeletEndpoint('n', {
    metadata: { name: 'n', annotations: { [KUBELET_CERT_ANNOTATION]: 'AB:CD' } },
    status: { addresses: [{ type: 'Hostname', address: 'n' }, { type: 'InternalIP', address: '10.1.2.3' }], daemonEndpoints: { kubeletEndpoint: { Port: 12345 } } },
  });
  assert.deepEqual(ep, { nodeName: 'n', host: '10.1.2.3', port: 12345, fingerprint: 'abcd' });
});

describe('API server pods/log, exec and portforward through an agent', () => {
  let dir: string;
  let store: Store;
  let creds: ClusterCredentials;
  let api: RunningApiServer;
  let kubelet: KubeletServer;
  let backend: FakeStreamsBackend;
  let apiPort: number;
  let handler: ReturnType<typeof createStreamsHandler>;
  const pods = findResource('', 'v1', 'pods')!;
  const nodes = findResource('', 'v1', 'nodes')!;

  async function putPod(pod: Pod): Promise<void> {
    const created = await api.registry.create(pods, 'default', { ...pod, metadata: { name: pod.metadata!.name! } } as never, { fieldManager: 'test' });
    backend.addPod({ ...pod, metadata: { ...pod.metadata, uid: created.metadata.uid } } as Pod);
    if (pod.spec?.nodeName) {
      // The pod is bound and running as far as its agent and the API know.
      const cur = api.registry.get(pods, 'default', pod.metadata!.name!).obj;
      await api.registry.update(pods, 'default', pod.metadata!.name!, { ...cur, status: pod.status } as never, { fieldManager: 'kubelet', subresource: 'status' });
      backend.setState(created.metadata.uid!, 'c', 'running');
    }
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'skiff-podstreams-'));
    creds = await loadOrCreateCredentials(dir, '127.0.0.1');
    store = await openSqliteStore({ path: ':memory:' });
    const proxy = new PodStreamProxy({ joinSecret: creds.nodeSecret });
    api = await startApiServer({ store, credentials: creds, bindAddress: '127.0.0.1', port: 0, version: 'test', strategyFor, podStreams: proxy, log: () => undefined });
    proxy.useRegistry(api.registry);
    apiPort = api.port;
    const cert = await loadOrCreateServingCert(join(dir, 'node'), 'node-1', ['127.0.0.1']);
    kubelet = new KubeletServer({ certPem: cert.certPem, keyPem: cert.keyPem, joinSecret: creds.nodeSecret });
    backend = new FakeStreamsBackend();
    handler = createStreamsHandler(backend);
    kubelet.setStreams(handler);
    const kport = await kubelet.listen(0, '127.0.0.1');
    await api.registry.create(
      nodes,
      '',
      { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-1', annotations: { [KUBELET_CERT_ANNOTATION]: cert.sha256 } } } as never,
      { fieldManager: 'test' },
    );
    const node = api.registry.get(nodes, '', 'node-1').obj;
    await api.registry.update(nodes, '', 'node-1', { ...node, status: { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }], daemonEndpoints: { kubeletEndpoint: { Port: kport } } } } as never, { fieldManager: 'test', subresource: 'status' });
    // A second node whose published fingerprint is not the agent's.
    await api.registry.create(nodes, '', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'imposter', annotations: { [KUBELET_CERT_ANNOTATION]: '00'.repeat(32) } } } as never, { fieldManager: 'test' });
    const imp = api.registry.get(nodes, '', 'imposter').obj;
    await api.registry.update(nodes, '', 'imposter', { ...imp, status: { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }], daemonEndpoints: { kubeletEndpoint: { Port: kport } } } } as never, { fieldManager: 'test', subresource: 'status' });
    await putPod(runningPod('p'));
    await putPod({ ...runningPod('fake'), spec: { ...runningPod('fake').spec!, nodeName: 'imposter' } });
    await putPod({ ...runningPod('pending'), spec: { containers: [{ name: 'c', image: 'busybox' }] }, status: {} });
    const log = join(dir, 'p.log');
    await writeFile(log, '2024-01-01T00:00:00Z stdout F hello\n2024-01-01T00:00:01Z stderr F world\n');
    backend.setFiles(api.registry.get(pods, 'default', 'p').obj.metadata.uid!, 'c', false, [log]);
  });

  after(async () => {
    handler.close();
    await kubelet.close();
    await api.stop();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('pods/log streams the agent log; options are validated; an unscheduled pod has an empty log', async () => {
    assert.deepEqual(await get(apiPort, '/api/v1/namespaces/default/pods/p/log', creds.adminToken), { status: 200, body: 'hello\nworld\n' });
    assert.equal((await get(apiPort, '/api/v1/namespaces/default/pods/p/log?container=c&tailLines=1', creds.adminToken)).body, 'world\n');
    const bad = await get(apiPort, '/api/v1/namespaces/default/pods/p/log?tailLines=-2&limitBytes=0', creds.adminToken);
    assert.equal(bad.status, 422);
    assert.equal(JSON.parse(bad.body).message, 'PodLogOptions "p" is invalid: [tailLines: Invalid value: -2: must be greater than or equal to 0, limitBytes: Invalid value: 0: must be greater than 0]');
    const wrong = await get(apiPort, '/api/v1/namespaces/default/pods/p/log?container=zz', creds.adminToken);
    assert.equal(wrong.status, 400);
    assert.equal(JSON.parse(wrong.body).message, 'container zz is not valid for pod p');
    const prev = await get(apiPort, '/api/v1/namespaces/default/pods/p/log?previous=true', creds.adminToken);
    assert.equal(prev.status, 400);
    assert.equal(JSON.parse(prev.body).message, 'previous terminated container "c" in pod "p" not found');
    assert.deepEqual(await get(apiPort, '/api/v1/namespaces/default/pods/pending/log', creds.adminToken), { status: 200, body: '' });
    assert.equal((await get(apiPort, '/api/v1/namespaces/default/pods/p/log', 'not-a-token')).status, 401);
  });

  test('pods/log?follow=true streams new lines and stops reading on the agent when the client leaves', async () => {
    const uid = api.registry.get(pods, 'default', 'p').obj.metadata.uid!;
    const log = backend.logFiles(uid, 'c', false)[0]!;
    const watchers = () => backend.followers(uid, 'c');
    const got = await new Promise<string>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: apiPort, path: '/api/v1/namespaces/default/pods/p/log?follow=true&tailLines=0', rejectUnauthorized: false, headers: { authorization: `Bearer ${creds.adminToken}` } },
        (res) => {
          res.setEncoding('utf8');
          res.on('data', (d: string) => {
            req.destroy();
            resolve(d);
          });
        },
      );
      req.on('error', (err) => (err.message.includes('socket hang up') ? undefined : reject(err)));
      req.end();
      // Written once the follow is in place (the agent subscribed to the container's stop).
      void waitFor(() => watchers() === 1, 5_000, 'the agent to follow').then(() => appendFile(log, '2024-01-01T00:00:02Z stdout F later\n'));
    });
    assert.equal(got, 'later\n');
    await waitFor(() => watchers() === 0, 5_000, 'the agent to stop following');
  });

  test('the agent certificate is pinned: a node publishing another fingerprint is not trusted', async () => {
    const r = await get(apiPort, '/api/v1/namespaces/default/pods/fake/log', creds.adminToken);
    assert.equal(r.status, 500);
    assert.match(JSON.parse(r.body).message, /does not match the pinned fingerprint/);
  });

  test('exec: the WebSocket upgrade is proxied to the agent unchanged', async () => {
    const url = `wss://127.0.0.1:${apiPort}/api/v1/namespaces/default/pods/p/exec?command=sh&command=-c&command=${encodeURIComponent('cat; exit 2')}&stdin=true&stdout=true&stderr=true`;
    const r = await webSocketSession(url, ['v5.channel.k8s.io'], `Bearer ${creds.adminToken}`, [Buffer.from([0, ...Buffer.from('through the api\n')]), Buffer.from([255, 0])]);
    assert.equal(r.protocol, 'v5.channel.k8s.io');
    assert.equal(r.stdout, 'through the api\n');
    assert.deepEqual(JSON.parse(r.error).details.causes, [{ reason: 'ExitCode', message: '2' }]);
    assert.equal(r.closeCode, 1000);
  });

  test('exec over SPDY through the API server (POST upgrade, as kubectl 1.27 sends it)', async () => {
    const path = '/api/v1/namespaces/default/pods/p/exec?command=echo&command=spdy&container=c&stdout=true&stderr=true';
    const up = await spdyUpgrade(apiPort, path, ['v4.channel.k8s.io', 'v3.channel.k8s.io', 'v2.channel.k8s.io', 'channel.k8s.io'], { authorization: `Bearer ${creds.adminToken}` });
    assert.equal(up.status, 101);
    const s = up.session!;
    const error = await s.createStream({ streamType: 'error' });
    const stdout = await s.createStream({ streamType: 'stdout' });
    const stderr = await s.createStream({ streamType: 'stderr' });
    const [out, , status] = await Promise.all([readAll(stdout), readAll(stderr), readAll(error)]);
    assert.equal(out, 'spdy\n');
    assert.equal(JSON.parse(status).status, 'Success');
    s.destroy();
  });

  test('refusals reach the client as Kubernetes answers them', async () => {
    const spdy = (path: string, token = creds.adminToken) => spdyUpgrade(apiPort, path, ['v4.channel.k8s.io'], { authorization: `Bearer ${token}` });
    const pending = await spdy('/api/v1/namespaces/default/pods/pending/exec?command=true&stdout=true');
    assert.equal(pending.status, 400);
    assert.equal(JSON.parse(pending.body).message, 'pod pending does not have a host assigned');
    const missing = await spdy('/api/v1/namespaces/default/pods/nope/exec?command=true&stdout=true');
    assert.equal(missing.status, 404);
    assert.equal(JSON.parse(missing.body).message, 'pods "nope" not found');
    const anon = await spdy('/api/v1/namespaces/default/pods/p/exec?command=true&stdout=true', 'bogus');
    assert.equal(anon.status, 401);
    // The agent's own refusal (plain text) is passed through: kubectl prints "unable to upgrade connection: …".
    const uid = api.registry.get(pods, 'default', 'p').obj.metadata.uid!;
    backend.setState(uid, 'c', 'terminated');
    try {
      const stopped = await spdy('/api/v1/namespaces/default/pods/p/exec?command=true&stdout=true');
      assert.equal(stopped.status, 500);
      assert.equal(stopped.body, 'container not found ("c")');
    } finally {
      backend.setState(uid, 'c', 'running');
    }
  });
});

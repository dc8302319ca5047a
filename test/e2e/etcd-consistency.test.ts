/**
 * Two API servers (in this process, each with its own watch cache) on one etcd: what a client
 * sees when consecutive requests land on different servers, as behind a load balancer. Reads
 * without a resourceVersion reflect writes made through the other server (consistent reads from
 * the watch cache), an update carrying a resourceVersion the client got from the other server is
 * not a spurious conflict, concurrent patches through both servers all apply, and a watch started
 * on one server from a resourceVersion the other returned neither misses nor repeats events.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ConfigMap } from 'kubernetes-types/core/v1.js';
import { ObjectCache } from '../../src/apiserver/registry/object-cache.js';
import { Registry } from '../../src/apiserver/registry/registry.js';
import { strategyFor } from '../../src/apiserver/strategy/index.js';
import { managedFieldsHook } from '../../src/apiserver/managed-fields.js';
import { createApiHandler } from '../../src/apiserver/handler.js';
import { findResource } from '../../src/api/resources.js';
import { isAlreadyExists } from '../../src/api/errors.js';
import { Client } from '../../src/client/client.js';
import { inProcessTransport } from '../../src/client/in-process-transport.js';
import { openEtcdStore, type EtcdStore } from '../../src/storage/etcd/etcd-store.js';
import { etcdSkipReason, startEtcd, type TestEtcd } from '../../src/storage/etcd/testing/etcd-server.js';
import { startTcpProxy } from '../../src/storage/etcd/testing/tcp-proxy.js';
import { waitFor } from '../helpers/in-process.js';

const skip = etcdSkipReason();

interface Server {
  store: EtcdStore;
  cache: ObjectCache;
  client: Client;
}

async function startServer(etcd: TestEtcd, port = etcd.endpoint.port): Promise<Server> {
  const store = await openEtcdStore({ endpoints: [{ ...etcd.endpoint, port }], compactionIntervalMs: 0 });
  const cache = new ObjectCache(store);
  await cache.start();
  const registry = new Registry({ store, cache, strategyFor, managedFields: managedFieldsHook });
  try {
    await registry.create(findResource('', 'v1', 'namespaces')!, '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
  }
  const handler = createApiHandler({ registry, version: 'test', serverAddress: '127.0.0.1:6443' });
  const client = new Client({ transport: inProcessTransport(handler, { name: 'admin', groups: ['system:masters', 'system:authenticated'] }), fieldManager: 'test' });
  return { store, cache, client };
}

describe('two API servers on one etcd', { skip }, () => {
  let etcd: TestEtcd;
  let a: Server;
  let b: Server;

  before(async () => {
    etcd = await startEtcd();
    a = await startServer(etcd);
    b = await startServer(etcd);
  });
  after(async () => {
    for (const s of [a, b]) {
      if (!s) continue;
      s.cache.stop();
      await s.store.close();
    }
    await etcd?.stop();
  });

  const cm = (name: string, data: Record<string, string> = {}): ConfigMap => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data });

  test('a read through one server sees what was just written through the other', async () => {
    for (let i = 0; i < 100; i++) {
      const [writer, reader] = i % 2 === 0 ? [a, b] : [b, a];
      const created = await writer.client.configMaps('default').create(cm(`read-${i}`, { i: String(i) }));
      const got = await reader.client.configMaps('default').get(`read-${i}`);
      assert.equal(got.metadata?.resourceVersion, created.metadata?.resourceVersion);
      const listed = await reader.client.configMaps('default').list();
      assert.ok(listed.items.some((x) => x.metadata?.name === `read-${i}`), `list through the other server has read-${i}`);
      assert.ok(Number(listed.metadata.resourceVersion) >= Number(created.metadata?.resourceVersion));
    }
  });

  test('an update with a resourceVersion from the other server is not a conflict', async () => {
    let obj = await a.client.configMaps('default').create(cm('ping-pong', { n: '0' }));
    for (let i = 1; i <= 100; i++) {
      const via = i % 2 === 0 ? a : b;
      obj = await via.client.configMaps('default').update({ ...obj, data: { n: String(i) } });
    }
    assert.equal((await b.client.configMaps('default').get('ping-pong')).data?.n, '100');
  });

  test('concurrent patches through both servers all apply', async () => {
    // As many writers as the registry retries a conflicting update (each round one of them wins).
    const writers = 16;
    await a.client.configMaps('default').create(cm('shared'));
    await Promise.all(
      Array.from({ length: writers }, (_, i) => (i % 2 === 0 ? a : b).client.configMaps('default').patch('shared', 'merge', { data: { [`k${i}`]: String(i) } })),
    );
    const final = await a.client.configMaps('default').get('shared');
    assert.equal(Object.keys(final.data ?? {}).length, writers);
  });

  test('a watch on one server from a resourceVersion of the other misses nothing and repeats nothing', async () => {
    const first = await a.client.configMaps('default').create(cm('watched', { v: '1' }));
    const ac = new AbortController();
    const seen: string[] = [];
    const watching = (async () => {
      for await (const ev of b.client.configMaps('default').watch({ resourceVersion: first.metadata?.resourceVersion ?? '', signal: ac.signal })) {
        if (ev.type === 'BOOKMARK') continue;
        const o = ev.object as ConfigMap;
        if (o.metadata?.name?.startsWith('watched')) seen.push(`${ev.type} ${o.metadata.name} ${o.data?.v ?? ''}`);
        if (seen.length === 3) ac.abort();
      }
    })().catch((err: unknown) => {
      if (!ac.signal.aborted) throw err;
    });
    await a.client.configMaps('default').update({ ...first, data: { v: '2' } });
    await b.client.configMaps('default').create(cm('watched-2', { v: 'x' }));
    await a.client.configMaps('default').delete('watched');
    await watching;
    assert.deepEqual(seen, ['MODIFIED watched 2', 'ADDED watched-2 x', 'DELETED watched 2']);
  });

  test('a server cut off from etcd while history was compacted relists and serves the current state', async () => {
    const proxy = await startTcpProxy(etcd.endpoint.host, etcd.endpoint.port);
    const cut = await startServer(etcd, proxy.port);
    try {
      await a.client.configMaps('default').create(cm('before-cut'));
      await cut.client.configMaps('default').get('before-cut');
      proxy.cut();
      await a.client.configMaps('default').create(cm('during-cut'));
      await a.client.configMaps('default').delete('before-cut');
      await a.store.compact(await a.store.currentRevision());
      proxy.restore();
      // Its store watch cannot resume (compacted): the cache starts over from a fresh list.
      await waitFor(async () => (await cut.client.configMaps('default').list()).items.some((x) => x.metadata?.name === 'during-cut'), 30_000, 'the relisted cache');
      const names = (await cut.client.configMaps('default').list()).items.map((x) => x.metadata?.name);
      assert.ok(!names.includes('before-cut'), 'a delete made while cut off is reflected');
      // And it follows the store again.
      await a.client.configMaps('default').create(cm('after-cut'));
      await cut.client.configMaps('default').get('after-cut');
    } finally {
      cut.cache.stop();
      await cut.store.close();
      await proxy.close();
    }
  });

  test('a server whose watch cache fell behind catches up before answering', async () => {
    // Writes outside /registry/ (another tenant of etcd, the compaction key) move etcd's revision
    // without any event for the cache; consistent reads must not wait for one.
    await a.store.create('/other-tenant/key', 'x');
    const started = performance.now();
    const list = await b.client.configMaps('default').list();
    assert.ok(performance.now() - started < 2000, 'no wait for an event that never comes');
    assert.ok(list.items.length > 0);
  });
});

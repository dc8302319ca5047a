import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openSqliteStore } from '../../storage/sqlite/sqlite-store.js';
import { findResource } from '../../api/resources.js';
import { StatusError } from '../../api/errors.js';
import type { KubeObject } from '../../api/object.js';
import { ObjectCache } from './object-cache.js';
import { Registry } from './registry.js';
import type { Strategy } from './strategy-contract.js';
import { deleteObject } from './deletion.js';
import { listObjects } from './list.js';

// The generic registry's rules are independent of any kind's own: exercise them with a strategy
// that does nothing but bump generation on spec changes.
const plainStrategy: Strategy = {
  applyDefaults() {},
  prepareForCreate(obj) {
    if ('spec' in obj) obj.metadata!.generation = 1;
  },
  prepareForUpdate(n, o) {
    if ('status' in o) n.status = o.status;
  },
  prepareForStatusUpdate(n, o) {
    n.spec = o.spec;
  },
  validateCreate: () => [],
  validateUpdate: () => [],
  validateStatusUpdate: () => [],
  generationChanged: (n, o) => JSON.stringify(n.spec) !== JSON.stringify(o.spec),
};

async function setup() {
  const store = await openSqliteStore({ path: ':memory:' });
  const cache = new ObjectCache(store);
  await cache.start();
  const registry = new Registry({ store, cache, strategyFor: () => plainStrategy });
  const ns = findResource('', 'v1', 'namespaces')!;
  await registry.create(ns, '', { metadata: { name: 'default' } });
  return {
    registry,
    async close() {
      cache.stop();
      await store.close();
    },
  };
}

const cm = findResource('', 'v1', 'configmaps')!;
const rs = findResource('apps', 'v1', 'replicasets')!;
const pods = findResource('', 'v1', 'pods')!;

test('create fills system fields and generateName uses the safe alphabet', async () => {
  const { registry, close } = await setup();
  try {
    const obj = await registry.create(cm, 'default', { metadata: { generateName: 'web-' }, data: { a: '1' } });
    assert.match(obj.metadata.name, /^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    assert.match(obj.metadata.uid, /^[0-9a-f-]{36}$/);
    assert.match(obj.metadata.creationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(obj.apiVersion, 'v1');
    assert.equal(obj.kind, 'ConfigMap');
    assert.ok(Number(obj.metadata.resourceVersion) > 0);
    await assert.rejects(registry.create(cm, 'default', { metadata: { name: obj.metadata.name } }), (e: StatusError) => e.code === 409 && e.reason === 'AlreadyExists');
    await assert.rejects(registry.create(cm, 'nope', { metadata: { name: 'x' } }), (e: StatusError) => e.code === 404 && e.message === 'namespaces "nope" not found');
  } finally {
    await close();
  }
});

test('update with a stale resourceVersion is a 409 Conflict; an identical update writes nothing', async () => {
  const { registry, close } = await setup();
  try {
    const a = await registry.create(cm, 'default', { metadata: { name: 'c' }, data: { v: '1' } });
    const b = (await registry.update(cm, 'default', 'c', { ...a, data: { v: '2' } })).obj;
    assert.notEqual(b.metadata.resourceVersion, a.metadata.resourceVersion);
    await assert.rejects(registry.update(cm, 'default', 'c', { ...a, data: { v: '3' } }), (e: StatusError) => e.code === 409 && e.reason === 'Conflict');
    const same = (await registry.update(cm, 'default', 'c', b)).obj;
    assert.equal(same.metadata.resourceVersion, b.metadata.resourceVersion, 'no-op update keeps the resourceVersion');
  } finally {
    await close();
  }
});

test('ten concurrent read-modify-write loops lose no update', async () => {
  const { registry, close } = await setup();
  try {
    await registry.create(cm, 'default', { metadata: { name: 'counter' }, data: { n: '0' } });
    const writer = async () => {
      for (let i = 0; i < 10; i++) {
        for (;;) {
          const cur = registry.get(cm, 'default', 'counter').obj as KubeObject & { data: { n: string } };
          try {
            await registry.update(cm, 'default', 'counter', { ...cur, data: { n: String(Number(cur.data.n) + 1) } });
            break;
          } catch (e) {
            if (!(e instanceof StatusError && e.code === 409)) throw e;
          }
        }
      }
    };
    await Promise.all(Array.from({ length: 10 }, writer));
    const final = registry.get(cm, 'default', 'counter').obj as KubeObject & { data: { n: string } };
    assert.equal(final.data.n, '100');
  } finally {
    await close();
  }
});

test('generation bumps on spec changes only; status writes keep spec', async () => {
  const { registry, close } = await setup();
  try {
    const a = await registry.create(rs, 'default', { metadata: { name: 'r' }, spec: { replicas: 1 } });
    assert.equal(a.metadata.generation, 1);
    const b = (await registry.update(rs, 'default', 'r', { ...a, spec: { replicas: 2 } })).obj;
    assert.equal(b.metadata.generation, 2);
    const c = (await registry.update(rs, 'default', 'r', { ...b, spec: { replicas: 9 }, status: { replicas: 2 } }, { subresource: 'status' })).obj;
    assert.equal(c.metadata.generation, 2);
    assert.deepEqual(c.spec, { replicas: 2 });
    assert.deepEqual(c.status, { replicas: 2 });
  } finally {
    await close();
  }
});

test('finalizers hold a deleted object until they are removed', async () => {
  const { registry, close } = await setup();
  try {
    await registry.create(cm, 'default', { metadata: { name: 'f', finalizers: ['example.com/hold'] } });
    const r = await deleteObject(registry, cm, 'default', 'f', {});
    assert.equal(r.deleted, false);
    assert.ok(r.obj.metadata.deletionTimestamp);
    const held = registry.get(cm, 'default', 'f').obj;
    await assert.rejects(
      registry.update(cm, 'default', 'f', { ...held, metadata: { ...held.metadata, finalizers: ['example.com/hold', 'new'] } }),
      (e: StatusError) => e.code === 422,
    );
    await registry.update(cm, 'default', 'f', { ...held, metadata: { ...held.metadata, finalizers: [] } });
    assert.equal(registry.peek(cm, 'default', 'f'), undefined);
  } finally {
    await close();
  }
});

test('pods bound to a node are deleted gracefully; unscheduled pods at once', async () => {
  const { registry, close } = await setup();
  try {
    await registry.create(pods, 'default', { metadata: { name: 'bound' }, spec: { nodeName: 'n1', terminationGracePeriodSeconds: 30 } });
    await registry.create(pods, 'default', { metadata: { name: 'pending' }, spec: {} });
    const b = await deleteObject(registry, pods, 'default', 'bound', {});
    assert.equal(b.deleted, false);
    assert.equal(b.obj.metadata.deletionGracePeriodSeconds, 30);
    const p = await deleteObject(registry, pods, 'default', 'pending', {});
    assert.equal(p.deleted, true);
    const forced = await deleteObject(registry, pods, 'default', 'bound', { gracePeriodSeconds: 0 });
    assert.equal(forced.deleted, true);
    assert.equal(registry.peek(pods, 'default', 'bound'), undefined);
  } finally {
    await close();
  }
});

test('paged lists are consistent at the first page revision', async () => {
  const { registry, close } = await setup();
  try {
    for (let i = 0; i < 5; i++) await registry.create(cm, 'default', { metadata: { name: `c${i}` } });
    const all = () => true;
    const p1 = await listObjects(registry, cm, { namespace: 'default', filter: all, filtered: false, limit: 2 });
    assert.deepEqual(p1.items.map((e) => e.obj.metadata.name), ['c0', 'c1']);
    assert.equal(p1.remainingItemCount, 3);
    await registry.create(cm, 'default', { metadata: { name: 'c2a' } });
    await deleteObject(registry, cm, 'default', 'c4', {});
    const p2 = await listObjects(registry, cm, { namespace: 'default', filter: all, filtered: false, limit: 10, continueToken: p1.continueToken! });
    assert.deepEqual(p2.items.map((e) => e.obj.metadata.name), ['c2', 'c3', 'c4'], 'later pages show the state at the first page revision');
    assert.equal(p2.continueToken, undefined);
  } finally {
    await close();
  }
});

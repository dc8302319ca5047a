import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { watchInto } from '../conformance/helpers.js';
import { openSqliteStore } from '../sqlite/sqlite-store.js';
import type { Store } from '../store.js';
import { openEtcdStore } from '../etcd/etcd-store.js';
import { etcdSkipReason, startEtcd, type TestEtcd } from '../etcd/testing/etcd-server.js';
import { migrateStore, TargetNotEmptyError } from './migrate.js';

const stores: Store[] = [];
const etcds: TestEtcd[] = [];
after(async () => {
  for (const s of stores) await s.close();
  for (const e of etcds) await e.stop();
});

async function sqlite(): Promise<Store> {
  const s = await openSqliteStore({ path: ':memory:' });
  stores.push(s);
  return s;
}

async function etcd(): Promise<Store> {
  const e = await startEtcd();
  etcds.push(e);
  const s = await openEtcdStore({ endpoints: [e.endpoint], compactionIntervalMs: 0 });
  stores.push(s);
  return s;
}

/** A small cluster's worth of state: objects with history, a deleted one, more than one page. */
async function seed(s: Store): Promise<void> {
  for (let i = 0; i < 1200; i++) await s.create(`/registry/configmaps/default/cm-${String(i).padStart(4, '0')}`, JSON.stringify({ data: { i } }));
  const pod = await s.create('/registry/pods/default/web', '{"spec":{"nodeName":"node-1"}}');
  await s.update('/registry/pods/default/web', '{"spec":{"nodeName":"node-1"},"status":{"phase":"Running"}}', pod.modRevision);
  await s.create('/registry/pods/default/gone', '{}');
  await s.delete('/registry/pods/default/gone');
  await s.create('/registry/namespaces/default', '{"metadata":{"name":"default"}}');
}

/** key → value of every key. */
async function content(s: Store): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let afterKey: string | undefined;
  for (;;) {
    const page = await s.list('', { limit: 1000, ...(afterKey ? { afterKey } : {}) });
    for (const kv of page.items) out.set(kv.key, kv.value);
    if (!page.more) return out;
    afterKey = page.items[page.items.length - 1]?.key;
  }
}

describe('datastore migration', () => {
  it('copies every live key with its latest value; refuses a non-empty target; --force replaces it', async () => {
    const src = await sqlite();
    await seed(src);
    const dst = await sqlite();
    const res = await migrateStore(src, dst);
    assert.equal(res.copied, 1202);
    assert.equal(res.sourceRevision, await src.currentRevision());
    assert.deepEqual(await content(dst), await content(src));
    assert.equal(await dst.get('/registry/pods/default/gone'), undefined);

    await assert.rejects(migrateStore(src, dst), (err: unknown) => err instanceof TargetNotEmptyError && err.keys === 1202);

    await dst.create('/registry/secrets/default/only-in-target', 'x');
    await src.update('/registry/namespaces/default', '{"metadata":{"name":"default","labels":{"a":"b"}}}', (await src.get('/registry/namespaces/default'))!.modRevision);
    const forced = await migrateStore(src, dst, { force: true });
    assert.equal(forced.deleted, 1);
    assert.deepEqual(await content(dst), await content(src));
  });

  it('gives keys the TTL the caller asks for', async () => {
    const src = await sqlite();
    await src.create('/registry/events/default/e1', 'event');
    await src.create('/registry/pods/default/p', 'pod');
    const dst = await sqlite();
    const w = await watchInto(dst, '/registry/', 0);
    await migrateStore(src, dst, { ttlFor: (k) => (k.startsWith('/registry/events/') ? 1 : undefined) });
    await w.until(() => w.events.some((e) => e.type === 'delete'), 'the event to expire');
    w.abort();
    assert.equal(await dst.get('/registry/events/default/e1'), undefined);
    assert.equal((await dst.get('/registry/pods/default/p'))?.value, 'pod');
  });

  const skip = etcdSkipReason();
  it('SQLite → etcd → SQLite keeps every object; revisions are the target’s own', { skip }, async () => {
    const src = await sqlite();
    await seed(src);
    const mid = await etcd();
    // Kubernetes' compaction key is backend bookkeeping: never copied.
    await mid.create('compact_rev_key', '7');
    const there = await migrateStore(src, mid);
    assert.equal(there.copied, 1202);
    const want = await content(src);
    const inEtcd = await content(mid);
    inEtcd.delete('compact_rev_key');
    assert.deepEqual(inEtcd, want);
    const srcPod = await src.get('/registry/pods/default/web');
    const etcdPod = await mid.get('/registry/pods/default/web');
    assert.equal(etcdPod?.value, srcPod?.value);
    assert.notEqual(etcdPod?.modRevision, srcPod?.modRevision, 'resourceVersions are renumbered by the target');

    const back = await sqlite();
    const res = await migrateStore(mid, back);
    assert.equal(res.copied, 1202);
    assert.deepEqual(await content(back), want);
  });
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openSqliteStore } from '../../storage/sqlite/sqlite-store.js';
import { ObjectCache, type CacheWatcher, type WatchDelivery } from './object-cache.js';

const pod = (name: string, nodeName?: string) => JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { ...(nodeName ? { nodeName } : {}), containers: [] } });

function recorder(trigger: string | undefined, matches: (o: { spec?: { nodeName?: string } }) => boolean) {
  const got: string[] = [];
  const w: CacheWatcher = {
    namespace: '',
    ...(trigger !== undefined ? { trigger } : {}),
    matches: (o) => matches(o as { spec?: { nodeName?: string } }),
    deliver: (evs: WatchDelivery[]) => got.push(...evs.map((e) => `${e.type} ${e.entry.obj.metadata.name}`)),
    close() {},
  };
  return { w, got };
}

test('pod watchers pinned to a node (spec.nodeName) see exactly the events a full filter would, from the trigger index', async () => {
  const store = await openSqliteStore({ path: ':memory:' });
  const cache = new ObjectCache(store);
  await cache.start();
  try {
    const onNode = (n: string) => (o: { spec?: { nodeName?: string } }) => (o.spec?.nodeName ?? '') === n;
    const a = recorder('node-a', onNode('node-a'));
    const aUnindexed = recorder(undefined, onNode('node-a'));
    const pending = recorder('', onNode(''));
    for (const r of [a, aUnindexed, pending]) cache.addWatcher('pods', r.w, undefined);

    const p1 = await store.create('/registry/pods/default/p1', pod('p1'));
    const b1 = await store.update('/registry/pods/default/p1', pod('p1', 'node-a'), p1.modRevision);
    await store.create('/registry/pods/default/p2', pod('p2', 'node-b'));
    const m1 = await store.update('/registry/pods/default/p1', pod('p1', 'node-a'), b1.modRevision);
    await store.delete('/registry/pods/default/p1', m1.modRevision);

    assert.deepEqual(a.got, ['ADDED p1', 'MODIFIED p1', 'DELETED p1'], 'binding shows as ADDED on the node');
    assert.deepEqual(a.got, aUnindexed.got, 'the index changes nothing the watcher sees');
    assert.deepEqual(pending.got, ['ADDED p1', 'DELETED p1'], 'leaving the unscheduled set is a DELETED');

    assert.deepEqual(cache.scanTrigger('pods', '', 'node-b')?.map((e) => e.obj.metadata.name), ['p2']);
    assert.deepEqual(cache.scanTrigger('pods', 'other', 'node-b'), []);
    assert.deepEqual(cache.scanTrigger('pods', '', 'node-a'), []);
    assert.equal(cache.scanTrigger('configmaps', '', 'x'), undefined, 'no trigger field: the caller scans');
  } finally {
    cache.stop();
    await store.close();
  }
});

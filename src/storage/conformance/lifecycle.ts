/** Storage conformance, part of runStoreConformance (../conformance.ts). */
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { EventCollector, watchInto, type StoreTest } from './helpers.js';
import { CompactedError, FutureRevisionError, StoreClosedError, type KeyValue } from '../store.js';

/** Registers the lifecycle tests: compaction (410 Gone), TTL expiry, and close. */
export function registerLifecycleTests(test: StoreTest): void {
  describe('compaction', () => {
    test('list and watch below the compacted revision fail with CompactedError; at it they work', async (s, p) => {
      const a = await s.create(`${p}a`, '1');
      const old = await s.currentRevision();
      await s.update(`${p}a`, '2', a.modRevision);
      await s.create(`${p}b`, '1');
      const at = await s.currentRevision();
      await s.update(`${p}b`, '2', at);
      await s.compact(at);
      assert.ok((await s.compactedRevision()) >= at);

      await assert.rejects(s.list(p, { revision: old }), (err: unknown) => err instanceof CompactedError && err.requested === old);
      const c = new EventCollector();
      await assert.rejects(
        s.watch(p, { afterRevision: old, signal: c.controller.signal, onEvents: c.onEvents }),
        CompactedError,
      );

      const listed = await s.list(p, { revision: at });
      assert.deepEqual(
        listed.items.map((kv) => kv.value),
        ['2', '1'],
      );
      const w = await watchInto(s, p, at);
      try {
        await w.untilCount(1);
        assert.equal(w.events[0]?.type, 'put');
        assert.equal(w.events[0]?.kv.value, '2');
        assert.equal(w.events[0]?.prevKv?.value, '1', 'the event after the compacted revision keeps its prevKv');
      } finally {
        w.abort();
      }
    });

    test('keeps the latest value of every live key and forgets deleted ones', async (s, p) => {
      const latest = new Map<string, KeyValue>();
      for (let i = 0; i < 40; i++) latest.set(`${p}${String(i).padStart(2, '0')}`, await s.create(`${p}${String(i).padStart(2, '0')}`, 'v0'));
      for (let round = 1; round <= 3; round++) {
        for (const [k, kv] of [...latest].filter((_, i) => i % 2 === 0)) latest.set(k, await s.update(k, `v${round}`, kv.modRevision));
      }
      for (const k of [...latest.keys()].filter((_, i) => i % 5 === 0)) {
        await s.delete(k);
        latest.delete(k);
      }
      const rev = await s.currentRevision();
      await s.compact(rev);

      const listed = await s.list(p);
      assert.deepEqual(listed.items, [...latest.values()].sort((x, y) => (x.key < y.key ? -1 : 1)));
      assert.equal(await s.count(p), latest.size);
      for (const kv of latest.values()) assert.deepEqual(await s.get(kv.key), kv);

      // Everything still works on top: updates at the kept revision, re-creating a deleted key.
      const [k0, kv0] = [...latest][0] as [string, KeyValue];
      await s.update(k0, 'after', kv0.modRevision);
      await s.create(`${p}00`, 'recreated');
      const w = await watchInto(s, p, rev);
      try {
        await w.untilCount(2);
        assert.deepEqual(
          w.events.map((e) => e.kv.value),
          ['after', 'recreated'],
        );
      } finally {
        w.abort();
      }
    });

    test('compacting to an already compacted revision is a no-op; a future revision fails', async (s, p) => {
      await s.create(`${p}a`, '1');
      const rev = await s.currentRevision();
      await s.compact(rev);
      await s.compact(rev);
      await s.compact(rev - 1);
      assert.equal(await s.compactedRevision(), rev);
      await assert.rejects(s.compact(rev + 1000), FutureRevisionError);
    });
  });

  describe('ttl', () => {
    test('an expired key is deleted and watchers get a delete event', async (s, p) => {
      const w = await watchInto(s, p, await s.currentRevision());
      try {
        const kv = await s.create(`${p}lease`, 'temporary', { ttlSeconds: 1 });
        await s.create(`${p}keep`, 'permanent');
        await w.until(() => w.events.some((e) => e.type === 'delete'), 'the TTL delete event');
        const del = w.events.find((e) => e.type === 'delete');
        assert.equal(del?.kv.key, kv.key);
        assert.equal(del?.prevKv?.value, 'temporary');
        assert.equal(await s.get(kv.key), undefined);
        assert.equal((await s.get(`${p}keep`))?.value, 'permanent');
      } finally {
        w.abort();
      }
    });

    test('rewriting a key without a TTL cancels its expiry; with a TTL renews it', async (s, p) => {
      const w = await watchInto(s, p, await s.currentRevision());
      try {
        const a = await s.create(`${p}a`, '1', { ttlSeconds: 1 });
        await s.update(`${p}a`, '2', a.modRevision);
        const b = await s.create(`${p}b`, '1', { ttlSeconds: 1 });
        await s.update(`${p}b`, '2', b.modRevision, { ttlSeconds: 1 });
        // `c` is written last with the same TTL: when it is gone, `a` would be gone too had
        // its TTL survived the rewrite.
        await s.create(`${p}c`, '1', { ttlSeconds: 1 });
        await w.until(() => w.events.some((e) => e.type === 'delete' && e.kv.key === `${p}c`), 'expiry of c');
        await w.until(() => w.events.some((e) => e.type === 'delete' && e.kv.key === `${p}b`), 'expiry of b');
        assert.equal((await s.get(`${p}a`))?.value, '2');
        assert.ok(!w.events.some((e) => e.type === 'delete' && e.kv.key === `${p}a`));
      } finally {
        w.abort();
      }
    });
  });

  describe('close', () => {
    test('finishes pending writes, ends watches with onClose, rejects later calls', async (s, p) => {
      const w = await watchInto(s, p, 0);
      const pending = Array.from({ length: 50 }, (_, i) => s.create(`${p}${i}`, `${i}`));
      await s.close();
      const results = await Promise.allSettled(pending);
      assert.deepEqual(
        results.map((r) => r.status),
        Array(50).fill('fulfilled'),
      );
      assert.equal(w.closed, true);
      assert.ok(w.closeError instanceof StoreClosedError);
      await assert.rejects(s.get(`${p}0`), StoreClosedError);
      await assert.rejects(s.create(`${p}late`, 'x'), StoreClosedError);
      await assert.rejects(s.list(p), StoreClosedError);
      await s.close(); // idempotent
    });
  });
}

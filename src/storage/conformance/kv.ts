/** Storage conformance, part of runStoreConformance (../conformance.ts). */
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { StoreTest } from './helpers.js';
import { KeyExistsError, KeyNotFoundError, RevisionConflictError, type KeyValue, type Store } from '../store.js';

/** Registers the key-value tests: get, create, update and delete with their preconditions, and the one global revision. */
export function registerKeyValueTests(test: StoreTest): void {
  describe('get and create', () => {
    test('get returns undefined for a missing key and the stored value after create', async (s, p) => {
      assert.equal(await s.get(`${p}a`), undefined);
      const kv = await s.create(`${p}a`, '{"v":1}');
      assert.equal(kv.key, `${p}a`);
      assert.equal(kv.value, '{"v":1}');
      assert.equal(kv.createRevision, kv.modRevision);
      assert.deepEqual(await s.get(`${p}a`), kv);
    });

    test('create fails with KeyExistsError on a live key and succeeds again after delete', async (s, p) => {
      const first = await s.create(`${p}a`, 'one');
      await assert.rejects(s.create(`${p}a`, 'two'), (err: unknown) => err instanceof KeyExistsError && err.key === `${p}a`);
      assert.equal((await s.get(`${p}a`))?.value, 'one');
      await s.delete(`${p}a`);
      const again = await s.create(`${p}a`, 'three');
      assert.ok(again.createRevision > first.createRevision, 'a re-created key gets a new createRevision');
      assert.equal(again.createRevision, again.modRevision);
    });

    test('values round-trip byte for byte', async (s, p) => {
      const values = ['', 'plain', '{"a":"ünïcödé ✓ 𝄞"}', 'line\nbreaks\tand\u0000nul', 'x'.repeat(256 * 1024)];
      for (const [i, v] of values.entries()) await s.create(`${p}${i}`, v);
      for (const [i, v] of values.entries()) assert.equal((await s.get(`${p}${i}`))?.value, v);
      const listed = await s.list(p);
      assert.deepEqual(
        listed.items.map((kv) => kv.value),
        values,
      );
    });
  });

  describe('update and delete preconditions', () => {
    interface Case {
      title: string;
      /** Prepares the key; returns the expected revision to pass. */
      setup: (s: Store, key: string) => Promise<number>;
      error?: (err: unknown, key: string) => boolean;
    }
    const cases: Case[] = [
      { title: 'matching revision succeeds', setup: async (s, k) => (await s.create(k, 'v1')).modRevision },
      {
        title: 'stale revision fails with RevisionConflictError',
        setup: async (s, k) => {
          const kv = await s.create(k, 'v1');
          await s.update(k, 'v2', kv.modRevision);
          return kv.modRevision;
        },
        error: (err, k) => err instanceof RevisionConflictError && err.key === k && err.actual > err.expected,
      },
      {
        title: 'missing key fails with KeyNotFoundError',
        setup: async () => 1,
        error: (err, k) => err instanceof KeyNotFoundError && err.key === k,
      },
      {
        title: 'deleted key fails with KeyNotFoundError',
        setup: async (s, k) => {
          const kv = await s.create(k, 'v1');
          await s.delete(k);
          return kv.modRevision;
        },
        error: (err, k) => err instanceof KeyNotFoundError && err.key === k,
      },
    ];
    for (const c of cases) {
      test(`update: ${c.title}`, async (s, p) => {
        const key = `${p}k`;
        const expected = await c.setup(s, key);
        const before = await s.get(key);
        if (c.error) {
          await assert.rejects(s.update(key, 'new', expected), (err) => c.error?.(err, key) === true);
          assert.deepEqual(await s.get(key), before, 'a failed update changes nothing');
          return;
        }
        const kv = await s.update(key, 'new', expected);
        assert.ok(kv.modRevision > expected);
        assert.equal(kv.createRevision, before?.createRevision, 'update keeps createRevision');
        assert.deepEqual(await s.get(key), kv);
      });
      test(`delete: ${c.title}`, async (s, p) => {
        const key = `${p}k`;
        const expected = await c.setup(s, key);
        const before = await s.get(key);
        if (c.error) {
          await assert.rejects(s.delete(key, expected), (err) => c.error?.(err, key) === true);
          assert.deepEqual(await s.get(key), before, 'a failed delete changes nothing');
          return;
        }
        const kv = await s.delete(key, expected);
        assert.equal(kv.value, before?.value, 'delete returns the last value');
        assert.equal(kv.createRevision, before?.createRevision);
        assert.ok(kv.modRevision > expected, 'with the revision of the delete');
        assert.equal(await s.get(key), undefined);
      });
    }

    test('delete without a revision deletes whatever is there; a missing key fails', async (s, p) => {
      await s.create(`${p}a`, 'v1');
      await s.update(`${p}a`, 'v2', (await s.get(`${p}a`))?.modRevision ?? 0);
      const kv = await s.delete(`${p}a`);
      assert.equal(kv.value, 'v2');
      assert.equal(kv.modRevision, await s.currentRevision());
      await assert.rejects(s.delete(`${p}a`), KeyNotFoundError);
    });
  });

  describe('revisions', () => {
    test('one global revision, strictly increasing across keys, reported by currentRevision', async (s, p) => {
      const start = await s.currentRevision();
      const revs: number[] = [];
      const a = await s.create(`${p}a`, '1');
      revs.push(a.modRevision);
      revs.push((await s.create(`${p}b`, '1')).modRevision);
      revs.push((await s.update(`${p}a`, '2', a.modRevision)).modRevision);
      revs.push((await s.delete(`${p}b`)).modRevision);
      revs.push((await s.create(`${p}c`, '1')).modRevision);
      assert.ok((revs[0] as number) > start);
      for (let i = 1; i < revs.length; i++) assert.ok((revs[i] as number) > (revs[i - 1] as number), `revisions increase: ${revs.join(',')}`);
      assert.equal(await s.currentRevision(), revs[revs.length - 1]);
      const listed = await s.list(p);
      assert.equal(listed.revision, revs[revs.length - 1], 'a list reports the revision it reflects');
    });

    test('concurrent writes to different keys all succeed with distinct revisions', async (s, p) => {
      const kvs = await Promise.all(Array.from({ length: 200 }, (_, i) => s.create(`${p}${String(i).padStart(3, '0')}`, `${i}`)));
      const revs = new Set(kvs.map((kv) => kv.modRevision));
      assert.equal(revs.size, 200);
      assert.equal(await s.count(p), 200);
      assert.equal(await s.currentRevision(), Math.max(...revs));
    });

    test('racing writers: exactly one of concurrent creates, updates and deletes at a revision wins', async (s, p) => {
      const creates = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => s.create(`${p}c`, `${i}`)));
      assert.equal(creates.filter((r) => r.status === 'fulfilled').length, 1);
      assert.ok(creates.every((r) => r.status === 'fulfilled' || r.reason instanceof KeyExistsError));

      const base = (await s.get(`${p}c`)) as KeyValue;
      const updates = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => s.update(`${p}c`, `u${i}`, base.modRevision)));
      const won = updates.filter((r): r is PromiseFulfilledResult<KeyValue> => r.status === 'fulfilled');
      assert.equal(won.length, 1);
      assert.ok(updates.every((r) => r.status === 'fulfilled' || r.reason instanceof RevisionConflictError));
      assert.deepEqual(await s.get(`${p}c`), won[0]?.value);

      const current = (await s.get(`${p}c`)) as KeyValue;
      const deletes = await Promise.allSettled([
        s.delete(`${p}c`, current.modRevision),
        s.update(`${p}c`, 'late', current.modRevision),
        s.delete(`${p}c`, current.modRevision),
      ]);
      assert.equal(deletes.filter((r) => r.status === 'fulfilled').length, 1);
    });
  });
}

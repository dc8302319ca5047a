/** Storage conformance, part of runStoreConformance (../conformance.ts). */
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { StoreTest } from './helpers.js';
import { FutureRevisionError, type KeyValue } from '../store.js';

/** Registers the list tests: prefix lists in key order, paging at one revision, lists at an older revision, count. */
export function registerListTests(test: StoreTest): void {
  describe('list', () => {
    const keys = ['b', 'a', 'a/x', 'a/y', 'ab', 'a0', 'c/d/e', 'c/d', 'b/'];
    const cases: Array<{ prefix: string; want: string[] }> = [
      { prefix: '', want: ['a', 'a/x', 'a/y', 'a0', 'ab', 'b', 'b/', 'c/d', 'c/d/e'] },
      { prefix: 'a/', want: ['a/x', 'a/y'] },
      { prefix: 'a', want: ['a', 'a/x', 'a/y', 'a0', 'ab'] },
      { prefix: 'b/', want: ['b/'] },
      { prefix: 'c/d/', want: ['c/d/e'] },
      { prefix: 'zz', want: [] },
    ];
    for (const c of cases) {
      test(`prefix "${c.prefix}" lists ${c.want.length} keys in key order`, async (s, p) => {
        for (const k of keys) await s.create(`${p}${k}`, `v-${k}`);
        await s.create(`${p.slice(0, -1)}-sibling`, 'outside the prefix');
        const r = await s.list(`${p}${c.prefix}`);
        assert.deepEqual(
          r.items.map((kv) => kv.key.slice(p.length)),
          c.want,
        );
        for (const kv of r.items) assert.equal(kv.value, `v-${kv.key.slice(p.length)}`);
        assert.equal(r.more, false);
        assert.equal(await s.count(`${p}${c.prefix}`), c.want.length);
      });
    }

    test('paging with limit/afterKey reads every page at the first page\'s revision', async (s, p) => {
      const name = (i: number) => `${p}k${String(i).padStart(2, '0')}`;
      for (let i = 0; i < 25; i++) await s.create(name(i), `v${i}`);
      const original = await s.list(p);
      const page1 = await s.list(p, { limit: 10 });
      assert.equal(page1.items.length, 10);
      assert.equal(page1.more, true);
      assert.deepEqual(page1.items, original.items.slice(0, 10));

      // Writes between pages that would show up in later pages if they were read at latest.
      await s.create(`${p}k15a`, 'new');
      const k20 = (await s.get(name(20))) as KeyValue;
      await s.update(name(20), 'changed', k20.modRevision);
      await s.delete(name(22));

      const afterKey = page1.items[page1.items.length - 1]?.key;
      const page2 = await s.list(p, { limit: 10, afterKey, revision: page1.revision });
      const page3 = await s.list(p, { limit: 10, afterKey: page2.items[page2.items.length - 1]?.key, revision: page1.revision });
      assert.equal(page2.revision, page1.revision);
      assert.equal(page3.revision, page1.revision);
      assert.equal(page2.more, true);
      assert.equal(page3.more, false);
      assert.deepEqual([...page1.items, ...page2.items, ...page3.items], original.items);

      const fresh = await s.list(p);
      assert.ok(fresh.revision > page1.revision);
      const byKey = new Map(fresh.items.map((kv) => [kv.key, kv.value]));
      assert.equal(byKey.get(`${p}k15a`), 'new');
      assert.equal(byKey.get(name(20)), 'changed');
      assert.equal(byKey.has(name(22)), false);
    });

    test('paging at the latest revision: limit equal to the remaining keys reports no more', async (s, p) => {
      for (let i = 0; i < 6; i++) await s.create(`${p}${i}`, `${i}`);
      const first = await s.list(p, { limit: 3 });
      assert.equal(first.more, true);
      const rest = await s.list(p, { limit: 3, afterKey: first.items[2]?.key, revision: first.revision });
      assert.equal(rest.items.length, 3);
      assert.equal(rest.more, false);
      const all = await s.list(p, { limit: 100 });
      assert.equal(all.items.length, 6);
      assert.equal(all.more, false);
    });

    test('list at an older revision returns the state as of that revision', async (s, p) => {
      const a1 = await s.create(`${p}a`, 'a1');
      await s.create(`${p}b`, 'b1');
      const then = await s.currentRevision();
      await s.update(`${p}a`, 'a2', a1.modRevision);
      await s.delete(`${p}b`);
      await s.create(`${p}c`, 'c1');
      const old = await s.list(p, { revision: then });
      assert.equal(old.revision, then);
      assert.deepEqual(
        old.items.map((kv) => [kv.key.slice(p.length), kv.value, kv.modRevision]),
        [
          ['a', 'a1', a1.modRevision],
          ['b', 'b1', then],
        ],
      );
      const now = await s.list(p);
      assert.deepEqual(
        now.items.map((kv) => [kv.key.slice(p.length), kv.value]),
        [
          ['a', 'a2'],
          ['c', 'c1'],
        ],
      );
    });

    test('list at a future revision fails with FutureRevisionError', async (s, p) => {
      await s.create(`${p}a`, '1');
      const rev = await s.currentRevision();
      await assert.rejects(s.list(p, { revision: rev + 1000 }), FutureRevisionError);
    });

    test('count follows creates and deletes', async (s, p) => {
      assert.equal(await s.count(p), 0);
      for (let i = 0; i < 30; i++) await s.create(`${p}${String(i).padStart(2, '0')}`, 'v');
      await s.create(`${p.slice(0, -1)}x`, 'sibling outside the prefix');
      assert.equal(await s.count(p), 30);
      for (let i = 0; i < 30; i += 3) await s.delete(`${p}${String(i).padStart(2, '0')}`);
      assert.equal(await s.count(p), 20);
    });
  });
}

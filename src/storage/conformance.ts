/**
 * The storage contract as tests: every Store backend (SQLite now, etcd later) registers this
 * suite from its own `*.test.ts` and must pass it unchanged, the way hono runs one router test
 * suite against every router. It pins down the etcd semantics the API server relies on: one
 * global revision, optimistic concurrency by revision, consistent paged lists at a revision,
 * watches that replay history then go live, compaction (410 Gone) and TTLs.
 *
 * Tests only touch keys under their own unique prefix and compare revisions relative to the
 * store's current revision, so a backend may be shared between tests (an etcd cluster) as long as
 * nothing else writes to it while the suite runs.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeEvent, EventCollector, uniquePrefix, watchInto } from './conformance-helpers.js';
import {
  CompactedError,
  FutureRevisionError,
  KeyExistsError,
  KeyNotFoundError,
  RevisionConflictError,
  StoreClosedError,
  type KeyValue,
  type Store,
} from './store.js';

/** What `open` returns: a store and how to dispose of it (called even if the test closed it). */
export interface OpenedStore {
  store: Store;
  cleanup(): Promise<void>;
}

const TEST_TIMEOUT_MS = 30_000;

/** Registers the conformance tests for one backend under `describe(name)`. */
export function runStoreConformance(name: string, open: () => Promise<OpenedStore>): void {
  /** Runs `fn` against a fresh store and a key prefix of its own. */
  const withStore = (fn: (store: Store, p: string) => Promise<void>) => async () => {
    const { store, cleanup } = await open();
    try {
      await fn(store, uniquePrefix());
    } finally {
      await cleanup();
    }
  };
  const test = (title: string, fn: (store: Store, p: string) => Promise<void>): void => {
    // `it` inside `describe` only registers the test; the runner awaits it.
    void it(title, { timeout: TEST_TIMEOUT_MS }, withStore(fn));
  };

  describe(name, () => {
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

    describe('watch', () => {
      test('replays history from a revision (puts, deletes, prevKv) in order, then goes live', async (s, p) => {
        await s.create(`${p}before`, 'not replayed');
        const from = await s.currentRevision();
        const a1 = await s.create(`${p}a`, 'a1');
        const a2 = await s.update(`${p}a`, 'a2', a1.modRevision);
        const b1 = await s.create(`${p}b`, 'b1');
        const delA = await s.delete(`${p}a`);
        const a3 = await s.create(`${p}a`, 'a3');

        const w = await watchInto(s, p, from);
        try {
          await w.untilCount(5);
          assert.deepEqual(w.events.map(describeEvent), [
            `put ${p}a=a1@${a1.modRevision}/${a1.modRevision}`,
            `put ${p}a=a2@${a2.modRevision}/${a1.modRevision} prev=a1@${a1.modRevision}/${a1.modRevision}`,
            `put ${p}b=b1@${b1.modRevision}/${b1.modRevision}`,
            `delete ${p}a=a2@${delA.modRevision}/${a1.modRevision} prev=a2@${a2.modRevision}/${a1.modRevision}`,
            `put ${p}a=a3@${a3.modRevision}/${a3.modRevision}`,
          ]);
          const b2 = await s.update(`${p}b`, 'b2', b1.modRevision);
          const delB = await s.delete(`${p}b`);
          await w.untilCount(7);
          assert.deepEqual(w.events.slice(5).map(describeEvent), [
            `put ${p}b=b2@${b2.modRevision}/${b1.modRevision} prev=b1@${b1.modRevision}/${b1.modRevision}`,
            `delete ${p}b=b2@${delB.modRevision}/${b1.modRevision} prev=b2@${b2.modRevision}/${b1.modRevision}`,
          ]);
          assert.equal(w.closed, false);
        } finally {
          w.abort();
        }
      });

      test('afterRevision 0 delivers only events after the watch starts', async (s, p) => {
        await s.create(`${p}old`, 'old');
        const w = await watchInto(s, p, 0);
        try {
          const kv = await s.create(`${p}new`, 'new');
          await w.untilCount(1);
          assert.deepEqual(w.events.map(describeEvent), [`put ${p}new=new@${kv.modRevision}/${kv.modRevision}`]);
        } finally {
          w.abort();
        }
      });

      test('watch from the current revision of a list misses nothing and repeats nothing', async (s, p) => {
        for (let i = 0; i < 5; i++) await s.create(`${p}${i}`, `${i}`);
        const listed = await s.list(p);
        const w = await watchInto(s, p, listed.revision);
        try {
          const kv = await s.update(`${p}0`, 'x', listed.items[0]?.modRevision ?? 0);
          await w.untilCount(1);
          assert.deepEqual(w.revisions(), [kv.modRevision]);
        } finally {
          w.abort();
        }
      });

      test('filters by key prefix', async (s, p) => {
        const w = await watchInto(s, `${p}a/`, await s.currentRevision());
        try {
          await s.create(`${p}a`, 'no: the prefix itself without the slash');
          await s.create(`${p}ab/x`, 'no: sibling prefix');
          const yes1 = await s.create(`${p}a/x`, 'yes');
          await s.create(`${p}b/x`, 'no');
          const yes2 = await s.create(`${p}a/y/z`, 'yes');
          await w.untilCount(2);
          // A later write proves nothing else was queued for this watcher.
          const marker = await s.create(`${p}a/zz`, 'marker');
          await w.untilCount(3);
          assert.deepEqual(w.revisions(), [yes1.modRevision, yes2.modRevision, marker.modRevision]);
        } finally {
          w.abort();
        }
      });

      test('stops delivering once its signal aborts, without calling onClose', async (s, p) => {
        const w = await watchInto(s, p, 0);
        await s.create(`${p}1`, '1');
        await w.untilCount(1);
        w.abort();
        await s.create(`${p}2`, '2');
        // A second watch that sees the later write proves the first had its chance to get it.
        const probe = await watchInto(s, p, (await s.currentRevision()) - 1);
        await probe.untilCount(1);
        probe.abort();
        assert.equal(w.events.length, 1);
        assert.equal(w.closed, false);
      });

      test('an already-aborted signal starts nothing', async (s, p) => {
        const c = new EventCollector();
        c.abort();
        const first = await s.create(`${p}1`, '1');
        await s.watch(p, { afterRevision: first.modRevision - 1, signal: c.controller.signal, onEvents: c.onEvents, onClose: c.onClose });
        await s.create(`${p}2`, '2');
        const probe = await watchInto(s, p, (await s.currentRevision()) - 1);
        await probe.untilCount(1);
        probe.abort();
        assert.equal(c.events.length, 0);
      });

      test('no gaps and no duplicates when writes race the replay', async (s, p) => {
        // A revision > 0: afterRevision 0 would mean "from now" rather than "replay from here".
        const from = (await s.create(`${p.slice(0, -1)}-marker`, 'outside the prefix')).modRevision;
        const written: number[] = [];
        for (let i = 0; i < 300; i++) written.push((await s.create(`${p}pre${i}`, `${i}`)).modRevision);
        // Writers keep going while the watch replays and switches to live.
        const writer = (async () => {
          for (let i = 0; i < 300; i++) written.push((await s.create(`${p}during${i}`, `${i}`)).modRevision);
        })();
        const w = await watchInto(s, p, from);
        try {
          await writer;
          await w.untilCount(600);
          assert.deepEqual(w.revisions(), written);
        } finally {
          w.abort();
        }
      });

      test('many watchers each get exactly the events under their prefix', async (s, p) => {
        const groups = ['a/', 'b/', 'c/', 'a/x/', ''];
        const watchers = await Promise.all(
          Array.from({ length: 100 }, async (_, i) => {
            const prefix = `${p}${groups[i % groups.length]}`;
            return { prefix, w: await watchInto(s, prefix, await s.currentRevision()) };
          }),
        );
        try {
          const writes: KeyValue[] = [];
          for (const k of ['a/1', 'b/1', 'a/x/1', 'c/1', 'd/1', 'a/x/2', 'b/2']) writes.push(await s.create(`${p}${k}`, k));
          for (const { prefix, w } of watchers) {
            const want = writes.filter((kv) => kv.key.startsWith(prefix)).map((kv) => kv.modRevision);
            await w.untilCount(want.length);
            assert.deepEqual(w.revisions(), want, `watcher on ${prefix}`);
          }
          // Batches are in revision order too.
          for (const { w } of watchers) {
            for (const batch of w.batches) {
              for (let i = 1; i < batch.length; i++) assert.ok((batch[i]?.kv.modRevision ?? 0) > (batch[i - 1]?.kv.modRevision ?? 0));
            }
          }
        } finally {
          for (const { w } of watchers) w.abort();
        }
      });
    });

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
  });
}

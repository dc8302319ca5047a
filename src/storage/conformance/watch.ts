/** Storage conformance, part of runStoreConformance (../conformance.ts). */
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { EventCollector, describeEvent, watchInto, type StoreTest } from './helpers.js';
import type { KeyValue } from '../store.js';

/** Registers the watch tests: replay from a revision then live delivery, prefix filtering, cancellation, no gaps or duplicates. */
export function registerWatchTests(test: StoreTest): void {
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
}

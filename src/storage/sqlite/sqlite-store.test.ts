import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { runStoreConformance } from '../conformance.js';
import { watchInto } from '../conformance/helpers.js';
import { CompactedError, KeyNotFoundError, type KeyValue } from '../store.js';
import { openSqliteStore, type SqliteStore } from './sqlite-store.js';
import type { SqliteStoreOptions } from './options.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-sqlite-'));
  dirs.push(dir);
  return join(dir, 'state.db');
}

/** Opens a store and returns a cleanup that closes it and removes its files. */
async function openTemp(opts: Partial<SqliteStoreOptions> = {}): Promise<{ store: SqliteStore; path: string; cleanup(): Promise<void> }> {
  const path = opts.path ?? tempPath();
  const store = await openSqliteStore({ ...opts, path });
  return {
    store,
    path,
    cleanup: async () => {
      await store.close();
      if (path !== ':memory:') rmSync(join(path, '..'), { recursive: true, force: true });
    },
  };
}

runStoreConformance('sqlite store (file)', () => openTemp());
runStoreConformance('sqlite store (:memory:)', () => openTemp({ path: ':memory:' }));
runStoreConformance('sqlite store (file, no group commit)', () => openTemp({ groupCommit: false }));

/** Rows in the log table, read through a second connection. */
function rowCount(path: string): number {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare('SELECT COUNT(*) FROM kv').pluck().get() as number;
  } finally {
    db.close();
  }
}

describe('sqlite store specifics', () => {
  it('reopening keeps data, revisions, the compacted revision and pending TTLs', async () => {
    const path = tempPath();
    let store = await openSqliteStore({ path });
    const a = await store.create('/r/a', 'a1');
    await store.update('/r/a', 'a2', a.modRevision);
    await store.create('/r/b', 'b1');
    await store.delete('/r/b');
    await store.create('/r/ttl', 'short-lived', { ttlSeconds: 1 });
    await store.compact(a.modRevision + 1);
    const rev = await store.currentRevision();
    await store.close();

    store = await openSqliteStore({ path });
    try {
      assert.equal(await store.currentRevision(), rev);
      assert.equal(await store.compactedRevision(), a.modRevision + 1);
      assert.equal((await store.get('/r/a'))?.value, 'a2');
      assert.equal(await store.get('/r/b'), undefined);
      const next = await store.create('/r/c', 'c1');
      assert.equal(next.modRevision, rev + 1, 'revisions continue where they stopped');
      // The TTL written before the restart still fires.
      const w = await watchInto(store, '/r/ttl', rev);
      await w.until(() => w.events.some((e) => e.type === 'delete'), 'the TTL delete after reopen');
      w.abort();
    } finally {
      await store.close();
    }
  });

  it('revisions stay monotonic after the newest rows are compacted away', async () => {
    const path = tempPath();
    let store = await openSqliteStore({ path });
    await store.create('/m/a', '1');
    const del = await store.delete('/m/a');
    await store.compact(del.modRevision); // removes both rows: the table is empty
    await store.close();
    assert.equal(rowCount(path), 0);
    store = await openSqliteStore({ path });
    try {
      assert.equal(await store.currentRevision(), del.modRevision);
      assert.equal((await store.create('/m/a', '2')).modRevision, del.modRevision + 1);
    } finally {
      await store.close();
    }
  });

  it('refuses a second open of the same file while the first is open', async () => {
    const { store, path, cleanup } = await openTemp();
    try {
      await assert.rejects(openSqliteStore({ path }), /already open/);
      await store.close();
      const again = await openSqliteStore({ path });
      await again.close();
    } finally {
      await cleanup();
    }
  });

  it('group commit: writes issued together share a transaction and each resolves after commit', async () => {
    const { store, path, cleanup } = await openTemp();
    try {
      const reader = new Database(path, { readonly: true });
      const exists = reader.prepare('SELECT 1 FROM kv WHERE name = ?').pluck();
      const seenOnResolve: boolean[] = [];
      await Promise.all(
        Array.from({ length: 500 }, (_, i) =>
          store.create(`/g/${i}`, `${i}`).then((kv) => {
            // Another connection sees the row as soon as the promise resolved: it was committed.
            seenOnResolve.push(exists.get(kv.key) === 1);
          }),
        ),
      );
      reader.close();
      assert.equal(seenOnResolve.length, 500);
      assert.ok(seenOnResolve.every(Boolean));
      const s = store.stats();
      assert.equal(s.writes.committed, 500);
      assert.ok(s.writes.transactions < 10, `500 writes took ${s.writes.transactions} transactions`);
      assert.ok(s.writes.maxBatch <= 256);
    } finally {
      await cleanup();
    }
  });

  it('a failed precondition fails only its own write in a batch', async () => {
    const { store, cleanup } = await openTemp({ path: ':memory:' });
    try {
      await store.create('/p/taken', 'x');
      const results = await Promise.allSettled([
        store.create('/p/a', '1'),
        store.create('/p/taken', 'y'),
        store.update('/p/missing', 'z', 1),
        store.create('/p/b', '2'),
      ]);
      assert.deepEqual(
        results.map((r) => r.status),
        ['fulfilled', 'rejected', 'rejected', 'fulfilled'],
      );
      const [a, , , b] = results as [PromiseFulfilledResult<KeyValue>, unknown, unknown, PromiseFulfilledResult<KeyValue>];
      assert.equal(b.value.modRevision, a.value.modRevision + 1, 'failed writes use no revision');
    } finally {
      await cleanup();
    }
  });

  it('rejects invalid arguments with a message saying what was expected', async () => {
    const { store, cleanup } = await openTemp({ path: ':memory:' });
    try {
      await assert.rejects(store.create('', 'x'), /non-empty string/);
      await assert.rejects(store.create('/k', 'x', { ttlSeconds: 0 }), /ttlSeconds of \/k must be a positive number/);
      await assert.rejects(store.update('/k', 'x', 1.5), /positive integer/);
      await assert.rejects(store.delete('/k'), KeyNotFoundError);
      await assert.rejects(openSqliteStore({ path: ':memory:', maxBatchWrites: 0 }), /maxBatchWrites must be an integer >= 1/);
    } finally {
      await cleanup();
    }
  });

  it('a watcher whose onEvents throws is closed with that error; others carry on', async () => {
    const { store, cleanup } = await openTemp({ path: ':memory:' });
    try {
      let closedWith: Error | undefined;
      const controller = new AbortController();
      await store.watch('/w/', {
        afterRevision: 0,
        signal: controller.signal,
        onEvents: () => {
          throw new Error('consumer broke');
        },
        onClose: (err) => {
          closedWith = err;
        },
      });
      const healthy = await watchInto(store, '/w/', 0);
      await store.create('/w/1', '1');
      await store.create('/w/2', '2');
      await healthy.untilCount(2);
      assert.equal(closedWith?.message, 'consumer broke');
      assert.equal(store.stats().watchers, 1);
      healthy.abort();
      assert.equal(store.stats().watchers, 0);
    } finally {
      await cleanup();
    }
  });

  it('a 10,000-object list is read in chunks, yielding to the event loop, at one revision', async () => {
    const { store, cleanup } = await openTemp();
    try {
      const value = JSON.stringify({ spec: 'x'.repeat(2000) });
      for (let i = 0; i < 10_000; i += 500) {
        await Promise.all(Array.from({ length: 500 }, (_, j) => store.create(`/big/${String(i + j).padStart(5, '0')}`, value)));
      }
      const rev = await store.currentRevision();
      let turns = 0;
      let spinning = true;
      const spin = (): void => {
        turns++;
        if (spinning) setImmediate(spin);
      };
      setImmediate(spin);
      // A write racing the list must not show up in it.
      const racing = store.create('/big/00000a', 'racer');
      const result = await store.list('/big/');
      spinning = false;
      await racing;
      assert.equal(result.items.length, 10_000);
      assert.equal(result.revision, rev);
      assert.ok(!result.items.some((kv) => kv.key === '/big/00000a'));
      assert.ok(turns > 2, `the event loop ran ${turns} times during the list`);
    } finally {
      await cleanup();
    }
  });

  it('a long watch replay yields to the event loop and still hands over to live without a gap', async () => {
    const { store, cleanup } = await openTemp({ path: ':memory:' });
    try {
      const first = await store.create('/replay/0', '0');
      for (let i = 1; i < 6000; i += 500) {
        await Promise.all(Array.from({ length: 500 }, (_, j) => store.create(`/replay/${i + j}`, `${i + j}`)));
      }
      let turns = 0;
      let spinning = true;
      const spin = (): void => {
        turns++;
        if (spinning) setImmediate(spin);
      };
      setImmediate(spin);
      const racing = store.create('/replay/racer', 'live');
      const w = await watchInto(store, '/replay/', first.modRevision);
      spinning = false;
      await racing;
      // 6000 replayed creates after the first, then the racing one (replayed or live).
      await w.untilCount(6001);
      const revs = w.revisions();
      assert.equal(revs.length, 6001);
      revs.forEach((r, i) => assert.equal(r, first.modRevision + 1 + i));
      assert.equal(w.events[w.events.length - 1]?.kv.key, '/replay/racer');
      assert.ok(turns > 1, `the event loop ran ${turns} times during the replay`);
      w.abort();
    } finally {
      await cleanup();
    }
  });

  it('automatic compaction bounds history under churn', async () => {
    const { store, path, cleanup } = await openTemp({
      compactIntervalMs: 20,
      historyRetentionMs: 0,
      minRetainRevisions: 50,
      maxRetainRevisions: 200,
      compactBatchRevisions: 100,
    });
    try {
      const keys = Array.from({ length: 20 }, (_, i) => `/churn/${i}`);
      const revs = new Map<string, number>();
      for (const k of keys) revs.set(k, (await store.create(k, 'v')).modRevision);
      for (let round = 0; round < 150; round++) {
        await Promise.all(keys.map(async (k) => revs.set(k, (await store.update(k, `v${round}`, revs.get(k) ?? 0)).modRevision)));
      }
      const current = await store.currentRevision();
      // Wait (on the store's own timer) until compaction caught up with the retention bound.
      const deadline = Date.now() + 10_000;
      while ((await store.compactedRevision()) < current - 200) {
        assert.ok(Date.now() < deadline, `compaction stuck at ${await store.compactedRevision()} of ${current}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      const compacted = await store.compactedRevision();
      assert.ok(compacted <= current - 50, 'the newest minRetainRevisions are kept');
      // Live keys plus at most the retained window of history.
      assert.ok(rowCount(path) <= keys.length + (current - compacted), `rows: ${rowCount(path)}`);
      const listed = await store.list('/churn/');
      assert.deepEqual(
        listed.items.map((kv) => kv.value),
        keys.map(() => 'v149'),
      );
      await assert.rejects(store.list('/churn/', { revision: compacted - 1 }), CompactedError);
      assert.ok(store.stats().compaction.batches > 1, 'compaction ran in batches');
    } finally {
      await cleanup();
    }
  });

  it('the checkpoint worker copies the WAL on its own, so the next write restarts the WAL', async () => {
    const { store, cleanup } = await openTemp({ checkpointIntervalMs: 10 });
    try {
      const value = 'x'.repeat(4000);
      for (let i = 0; i < 2000; i += 100) {
        await Promise.all(Array.from({ length: 100 }, (_, j) => store.create(`/wal/${i + j}`, value)));
      }
      // Writes have stopped: wait for periodic checkpoints (none asked for) to copy every frame.
      const after = store.stats().checkpoint?.count ?? 0;
      const deadline = Date.now() + 10_000;
      for (;;) {
        const cp = store.stats().checkpoint;
        if (cp && cp.count >= after + 2 && cp.lastCheckpointedFrames === cp.lastLogFrames) break;
        assert.ok(Date.now() < deadline, `no complete checkpoint: ${JSON.stringify(cp)}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await store.create('/wal/after', 'small');
      const next = await store.checkpoint();
      assert.ok(next.log <= 10, `the write after a complete checkpoint started the WAL over (${next.log} frames)`);
      assert.equal(store.stats().checkpoint?.fallback, false);
    } finally {
      await cleanup();
    }
  });

  it('under a steady stream of writes the checkpointer still resets the WAL', async () => {
    const { store, cleanup } = await openTemp({ checkpointIntervalMs: 50 });
    try {
      const value = 'x'.repeat(2000);
      let commits = 0;
      const deadline = Date.now() + 10_000;
      // Never a quiet moment: a write every millisecond or so, so no checkpoint ends with
      // every frame copied and SQLite alone would never start the WAL over.
      while ((store.stats().checkpoint?.restarts ?? 0) < 2) {
        assert.ok(Date.now() < deadline, `no WAL reset: ${JSON.stringify(store.stats().checkpoint)}`);
        await store.create(`/steady/${commits++}`, value);
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      // A reset takes effect at the next write, which starts the WAL over from its beginning.
      await store.create(`/steady/${commits++}`, value);
      const now = await store.checkpoint();
      // Every commit appends at least three frames: a WAL holding fewer than that has restarted.
      assert.ok(now.log < 3 * commits, `WAL holds ${now.log} frames after ${commits} commits`);
      assert.equal(store.stats().checkpoint?.fallback, false);
    } finally {
      await cleanup();
    }
  });

  it('refuses a database written by a newer schema version', async () => {
    const path = tempPath();
    const db = new Database(path);
    db.pragma('user_version = 99');
    db.close();
    await assert.rejects(openSqliteStore({ path }), /schema version 99 is newer/);
    // The failed open released its lock: fixing the version lets the store open.
    const fixed = new Database(path);
    fixed.pragma('user_version = 0');
    fixed.close();
    const store = await openSqliteStore({ path });
    await store.close();
  });
});

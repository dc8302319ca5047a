/**
 * Figures for the SQLite store (a report, not a test): create latency at a steady 500/s, peak
 * create throughput, a 10,000 × 2 KB list, watch delivery latency, and how long the event loop
 * was held during each, with group commit on and off.
 *
 * Usage: npm run build && node dist/src/storage/sqlite/bench-store.js [--quick]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { openSqliteStore, type SqliteStore } from './sqlite-store.js';

const QUICK = process.argv.includes('--quick');
const STEADY_RATE = 500;
const STEADY_SECONDS = QUICK ? 3 : 10;
const PEAK_WRITES = QUICK ? 10_000 : 50_000;
const LIST_OBJECTS = 10_000;
/** A value about the size of a small Pod in JSON. */
const VALUE = JSON.stringify({ kind: 'Pod', spec: { containers: [{ name: 'c', command: ['sleep', '3600'] }] }, pad: 'x'.repeat(1900) });

interface Row {
  [column: string]: string | number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

const ms = (n: number): number => Math.round(n * 1000) / 1000;

/** Tracks the longest the event loop was held while `fn` ran. */
async function withLoopDelay<T>(fn: () => Promise<T>): Promise<{ result: T; loopMaxMs: number }> {
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  try {
    const result = await fn();
    return { result, loopMaxMs: h.max / 1e6 };
  } finally {
    h.disable();
  }
}

async function withStore<T>(groupCommit: boolean, fn: (s: SqliteStore) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-bench-'));
  const store = await openSqliteStore({ path: join(dir, 'state.db'), groupCommit });
  try {
    return await fn(store);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Creates at a fixed rate; each create's latency, plus watch delivery latency for the same writes. */
async function steady(store: SqliteStore): Promise<Row> {
  const total = STEADY_RATE * STEADY_SECONDS;
  const issued = new Map<string, number>();
  const watchLat: number[] = [];
  const controller = new AbortController();
  await store.watch('/steady/', {
    afterRevision: 0,
    signal: controller.signal,
    onEvents: (events) => {
      const now = performance.now();
      for (const e of events) {
        const t = issued.get(e.kv.key);
        if (t !== undefined) watchLat.push(now - t);
      }
    },
  });
  const lat: number[] = [];
  const pending: Array<Promise<void>> = [];
  const { loopMaxMs } = await withLoopDelay(async () => {
    const start = performance.now();
    for (let i = 0; i < total; i++) {
      const due = start + (i * 1000) / STEADY_RATE;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const key = `/steady/${i}`;
      const t0 = performance.now();
      issued.set(key, t0);
      pending.push(store.create(key, VALUE).then(() => void lat.push(performance.now() - t0)));
    }
    await Promise.all(pending);
  });
  controller.abort();
  const st = store.stats();
  lat.sort((a, b) => a - b);
  watchLat.sort((a, b) => a - b);
  return {
    'create p50 ms': ms(percentile(lat, 50)),
    'create p99 ms': ms(percentile(lat, 99)),
    'create max ms': ms(lat[lat.length - 1] ?? NaN),
    'watch p50 ms': ms(percentile(watchLat, 50)),
    'watch p99 ms': ms(percentile(watchLat, 99)),
    'loop max ms': ms(loopMaxMs),
    'max commit ms': ms(st.writes.maxCommitMs),
    'max ckpt pause ms': ms(st.checkpoint?.maxWritePauseMs ?? 0),
    'WAL restarts': st.checkpoint?.restarts ?? 0,
  };
}

/** Peak throughput with `concurrency` writers each awaiting its own creates. */
async function peak(store: SqliteStore, concurrency: number): Promise<Row> {
  let next = 0;
  const t0 = performance.now();
  const { loopMaxMs } = await withLoopDelay(() =>
    Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < PEAK_WRITES) {
          const i = next++;
          await store.create(`/peak/${concurrency}/${i}`, VALUE);
        }
      }),
    ),
  );
  const seconds = (performance.now() - t0) / 1000;
  const st = store.stats();
  return {
    concurrency,
    'creates/s': Math.round(PEAK_WRITES / seconds),
    'writes/txn': Math.round((st.writes.committed / st.writes.transactions) * 10) / 10,
    'max commit ms': ms(st.writes.maxCommitMs),
    // 0 when the loop never turned: every write ran in the same macrotask (a starved loop).
    'loop max ms': ms(loopMaxMs),
  };
}

/** Lists 10,000 ~2 KB objects; reports total time and the longest event-loop stall. */
async function list(store: SqliteStore): Promise<Row> {
  for (let i = 0; i < LIST_OBJECTS; i += 500) {
    await Promise.all(Array.from({ length: 500 }, (_, j) => store.create(`/list/${String(i + j).padStart(5, '0')}`, VALUE)));
  }
  const runs: number[] = [];
  let loopMax = 0;
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    const { result, loopMaxMs } = await withLoopDelay(() => store.list('/list/'));
    runs.push(performance.now() - t0);
    loopMax = Math.max(loopMax, loopMaxMs);
    if (result.items.length !== LIST_OBJECTS) throw new Error(`listed ${result.items.length} objects`);
  }
  const pages: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    await store.list('/list/', { limit: 500, afterKey: `/list/${String(r * 2000).padStart(5, '0')}` });
    pages.push(performance.now() - t0);
  }
  pages.sort((a, b) => a - b);
  const pageMs = percentile(pages, 50);
  runs.sort((a, b) => a - b);
  return {
    'list 10k median ms': ms(percentile(runs, 50)),
    'list 10k max ms': ms(runs[runs.length - 1] ?? NaN),
    'loop max ms': ms(loopMax),
    'page of 500 median ms': ms(pageMs),
  };
}

async function main(): Promise<void> {
  for (const groupCommit of [true, false]) {
    console.log(`\n== group commit ${groupCommit ? 'on' : 'off'} ==`);
    console.log('steady 500 creates/s:');
    console.table([await withStore(groupCommit, steady)]);
    console.log('peak creates:');
    const peaks: Row[] = [];
    for (const c of [1, 16, 128]) peaks.push(await withStore(groupCommit, (s) => peak(s, c)));
    console.table(peaks);
  }
  console.log('\nlist of 10,000 ~2 KB values:');
  const listRow = await withStore(true, async (s) => {
    const row = await list(s);
    const st = s.stats();
    return { ...row, 'max list chunk ms': ms(st.reads.maxChunkMs) };
  });
  console.table([listRow]);
  console.log('\ncompaction of 50,000 revisions of churn:');
  console.table([
    await withStore(true, async (s) => {
      const keys = Array.from({ length: 500 }, (_, i) => `/churn/${i}`);
      const revs = await Promise.all(keys.map((k) => s.create(k, VALUE).then((kv) => kv.modRevision)));
      for (let round = 0; round < 100; round++) {
        await Promise.all(keys.map(async (k, i) => (revs[i] = (await s.update(k, VALUE, revs[i] ?? 0)).modRevision)));
      }
      const target = await s.currentRevision();
      const t0 = performance.now();
      const { loopMaxMs } = await withLoopDelay(() => s.compact(target));
      const st = s.stats();
      return {
        revisions: target,
        'rows deleted': st.compaction.rowsDeleted,
        'total ms': ms(performance.now() - t0),
        batches: st.compaction.batches,
        'max batch ms': ms(st.compaction.maxBatchMs),
        'loop max ms': ms(loopMaxMs),
      };
    }),
  ]);
}

await main();

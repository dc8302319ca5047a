/**
 * SQLite and etcd side by side (a report, not a test): create latency (p50/p99, one create at a
 * time) and create throughput (many in flight), first on the Store itself, then through a real
 * `skiff server` over HTTPS (POST pods), plus watch delivery latency on the Store. Both stores
 * sit on the same disk; etcd is Debian's etcd-server with its defaults, started fresh.
 *
 * Durability differs and explains much of the gap: etcd fsyncs its WAL before acknowledging a
 * write, SQLite in WAL mode with synchronous=NORMAL survives a crash of the process (and of the
 * server, through the OS) but not of the machine's power.
 *
 *   npm run build && node dist/bench/datastore-figures.js [--quick]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '../src/storage/sqlite/sqlite-store.js';
import { openEtcdStore } from '../src/storage/etcd/etcd-store.js';
import { startEtcd, type TestEtcd } from '../src/storage/etcd/testing/etcd-server.js';
import type { Store } from '../src/storage/store.js';
import { startCluster } from '../test/helpers/cluster.js';

const QUICK = process.argv.includes('--quick');
const SEQUENTIAL = QUICK ? 500 : 2000;
const CONCURRENT = QUICK ? 5000 : 20_000;
const IN_FLIGHT = 128;
const API_SEQUENTIAL = QUICK ? 300 : 1000;
const API_CONCURRENT = QUICK ? 2000 : 5000;
const API_IN_FLIGHT = 64;
/** About the size of a small Pod in JSON. */
const VALUE = JSON.stringify({ kind: 'Pod', spec: { containers: [{ name: 'c', command: ['sleep', '3600'] }] }, pad: 'x'.repeat(1900) });

type Row = Record<string, string | number>;

function pct(sorted: number[], p: number): number {
  return sorted.length === 0 ? NaN : (sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number);
}
const r2 = (n: number) => Math.round(n * 100) / 100;

/** Runs `fn(i)` for i < total with `limit` in flight; returns the wall time in ms. */
async function inFlight(total: number, limit: number, fn: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < total) await fn(next++);
    }),
  );
  return performance.now() - started;
}

async function storeFigures(name: string, store: Store): Promise<Row> {
  const prefix = `/registry/pods/bench-${Date.now()}/`;
  // Watch delivery: from the create being issued to its event reaching a watcher.
  const issued = new Map<string, number>();
  const delivery: number[] = [];
  const ac = new AbortController();
  await store.watch(prefix, {
    afterRevision: 0,
    signal: ac.signal,
    onEvents: (evs) => {
      const now = performance.now();
      for (const e of evs) {
        const t = issued.get(e.kv.key);
        if (t !== undefined) delivery.push(now - t);
      }
    },
  });
  for (let i = 0; i < 200; i++) await store.create(`${prefix}warm-${i}`, VALUE);
  const lat: number[] = [];
  for (let i = 0; i < SEQUENTIAL; i++) {
    const key = `${prefix}seq-${i}`;
    const t = performance.now();
    issued.set(key, t);
    await store.create(key, VALUE);
    lat.push(performance.now() - t);
  }
  const wall = await inFlight(CONCURRENT, IN_FLIGHT, (i) => store.create(`${prefix}par-${i}`, VALUE));
  ac.abort();
  lat.sort((a, b) => a - b);
  delivery.sort((a, b) => a - b);
  return {
    datastore: name,
    'create p50 ms': r2(pct(lat, 50)),
    'create p99 ms': r2(pct(lat, 99)),
    [`creates/s (${IN_FLIGHT} in flight)`]: Math.round((CONCURRENT / wall) * 1000),
    'watch delivery p50 ms': r2(pct(delivery, 50)),
    'watch delivery p99 ms': r2(pct(delivery, 99)),
  };
}

function post(url: string, ca: string, token: string, agent: Agent, path: string, body: unknown): Promise<number> {
  return new Promise((resolve, reject) => {
    const payload = Buffer.from(JSON.stringify(body));
    const req = request(
      `${url}${path}`,
      { method: 'POST', ca, agent, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': String(payload.length) } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

function pod(name: string) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app: 'bench' } },
    spec: { containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'], resources: { requests: { cpu: '10m', memory: '16Mi' } } }] },
  };
}

async function apiFigures(name: string, args: string[]): Promise<Row> {
  const cluster = await startCluster({ args: ['--nodes', '0', ...args] });
  try {
    const ca = await readFile(join(cluster.dataDir, 'tls', 'ca.crt'), 'utf8');
    const token = (await readFile(join(cluster.dataDir, 'admin-token'), 'utf8')).trim();
    const agent = new Agent({ keepAlive: true, maxSockets: API_IN_FLIGHT });
    const path = '/api/v1/namespaces/default/pods';
    await inFlight(200, 16, (i) => post(cluster.url, ca, token, agent, path, pod(`warm-${i}`)));
    const lat: number[] = [];
    for (let i = 0; i < API_SEQUENTIAL; i++) {
      const t = performance.now();
      const status = await post(cluster.url, ca, token, agent, path, pod(`seq-${i}`));
      if (status !== 201) throw new Error(`create returned ${status}`);
      lat.push(performance.now() - t);
    }
    const wall = await inFlight(API_CONCURRENT, API_IN_FLIGHT, async (i) => {
      const status = await post(cluster.url, ca, token, agent, path, pod(`par-${i}`));
      if (status !== 201) throw new Error(`create returned ${status}`);
    });
    agent.destroy();
    lat.sort((a, b) => a - b);
    return {
      datastore: name,
      'POST pod p50 ms': r2(pct(lat, 50)),
      'POST pod p99 ms': r2(pct(lat, 99)),
      [`pods/s (${API_IN_FLIGHT} in flight)`]: Math.round((API_CONCURRENT / wall) * 1000),
    };
  } finally {
    await cluster.stop();
  }
}

async function main(): Promise<void> {
  const storeRows: Row[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'skiff-bench-sqlite-'));
  const sqlite = await openSqliteStore({ path: join(dir, 'state.db') });
  try {
    storeRows.push(await storeFigures('SQLite (file, group commit)', sqlite));
  } finally {
    await sqlite.close();
    rmSync(dir, { recursive: true, force: true });
  }
  let etcd: TestEtcd | undefined = await startEtcd();
  try {
    const store = await openEtcdStore({ endpoints: [etcd.endpoint], compactionIntervalMs: 0 });
    try {
      storeRows.push(await storeFigures('etcd 3.4 (one member, loopback)', store));
    } finally {
      await store.close();
    }
    await etcd.stop();
    etcd = undefined;
    console.log(`Store level (values of ${VALUE.length} bytes, ${SEQUENTIAL} sequential creates, ${CONCURRENT} concurrent):`);
    console.table(storeRows);

    const apiRows: Row[] = [];
    apiRows.push(await apiFigures('SQLite', []));
    etcd = await startEtcd();
    apiRows.push(await apiFigures('etcd', ['--datastore-endpoint', etcd.url, '--token', 'bench']));
    console.log(`Through skiff server over HTTPS (${API_SEQUENTIAL} sequential POSTs, ${API_CONCURRENT} concurrent):`);
    console.table(apiRows);
  } finally {
    await etcd?.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

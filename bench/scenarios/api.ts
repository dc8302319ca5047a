/**
 * api and watch: the API server's own figures over HTTPS against a server with 100 simulated
 * nodes (whose heartbeats are the background load of a small live cluster).
 *
 * - creates at a steady 1,000/s (ConfigMaps: the API path alone, no controller reacts), p50/p99
 *   from request sent to response complete; then the maximum sustained create rate with 64
 *   clients in flight;
 * - 10,000 pods created and Running (full status, as a real cluster's), then listed whole as
 *   JSON, as a Table (what `kubectl get` asks for), and as kubectl pages it (Table, limit=500).
 *   The pods name their node (spec.nodeName, as a DaemonSet's do), spread over the 100 nodes:
 *   scheduling is the scheduler scenario's business, not this one's;
 * - watch delivery: 100 concurrent watch streams; a write's latency to each of them, from the
 *   create being sent to the event line arriving.
 * The anchor is Kubernetes' API call latency SLO (single object p99 ≤ 1 s; namespaced LIST ≤ 5 s).
 */
import { startBenchServer, waitForReadyNodes, type BenchServer } from '../lib/bench-server.js';
import { TABLE_ACCEPT } from '../lib/raw-api.js';
import type { Scenario } from '../lib/scenario.js';
import { delay, median, percentile, pool, withTimeout } from '../lib/stats.js';
import { cpuSeconds } from '../lib/proc.js';

export const API_RATE = 1000;
export const LIST_PODS = 10_000;
export const WATCHERS = 100;
const CM = '/api/v1/namespaces/default/configmaps';
const PODS = '/api/v1/namespaces/default/pods';

export const api: Scenario = {
  name: 'api',
  description: `creates at ${API_RATE}/s and at most, list ${LIST_PODS} pods (JSON, Table), watch delivery at ${WATCHERS} watchers`,
  runs: (ctx) => (ctx.quick ? 1 : 3),
  async run(ctx) {
    const server = await startBenchServer({ nodes: 100, runtime: 'simulated' });
    try {
      await waitForReadyNodes(server.client, 100, 120_000);
      // Warm up: keep-alive connections open, lazily built paths compiled.
      await pool(1000, 64, (i) => server.raw.must('POST', CM, configMap(`warm-${i}`), 201));
      const figures: Record<string, number> = {};
      Object.assign(figures, await steadyCreates(server, ctx.quick ? 4 : 15));
      const burst = ctx.quick ? 4000 : 20_000;
      const cpu0 = cpuSeconds(server.pid);
      const wall = await pool(burst, 64, (i) => server.raw.must('POST', CM, configMap(`burst-${i}`), 201));
      figures['api.createsPerSecond'] = (burst * 1000) / wall;
      figures['api.serverCpuMsPerCreate'] = ((cpuSeconds(server.pid) - cpu0) * 1000) / burst;
      Object.assign(figures, await listPods(server, ctx.quick ? 3 : 7, ctx.log));
      Object.assign(figures, await watchDelivery(server, ctx.quick ? 100 : 300));
      return { figures };
    } finally {
      await server.stop();
    }
  },
};

function configMap(name: string, labels?: Record<string, string>): object {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, ...(labels ? { labels } : {}) }, data: { key: 'value' } };
}

async function steadyCreates(server: BenchServer, seconds: number): Promise<Record<string, number>> {
  const lat: number[] = [];
  const total = API_RATE * seconds;
  const inflight: Array<Promise<unknown>> = [];
  const t0 = performance.now();
  for (let i = 0; i < total; i++) {
    const wait = t0 + (i * 1000) / API_RATE - performance.now();
    if (wait >= 1) await delay(wait);
    inflight.push(server.raw.must('POST', CM, configMap(`steady-${i}`), 201).then((r) => lat.push(r.ms)));
  }
  await Promise.all(inflight);
  const achieved = (total * 1000) / (performance.now() - t0);
  return { 'api.createP50Ms': percentile(lat, 50), 'api.createP99Ms': percentile(lat, 99), 'api.steadyRatePerSecond': achieved };
}

async function listPods(server: BenchServer, repeats: number, log: (m: string) => void): Promise<Record<string, number>> {
  let running = 0;
  const seen = new Set<string>();
  let allRunning: () => void = () => undefined;
  const done = new Promise<void>((r) => (allRunning = r));
  await server.raw.watchLines(`${PODS}?watch=true&labelSelector=bench%3Dlist`, (line) => {
    if (!line.includes('"phase":"Running"')) return;
    const name = /"name":"([^"]+)"/.exec(line)?.[1] ?? '';
    if (seen.has(name)) return;
    seen.add(name);
    if (++running === LIST_PODS) allRunning();
  });
  const t0 = performance.now();
  await pool(LIST_PODS, 64, (i) => server.raw.must('POST', PODS, listPod(i), 201));
  await withTimeout(done, 300_000, () => `${LIST_PODS} pods Running (${running} are)`);
  log(`api: ${LIST_PODS} pods created and Running in ${Math.round(performance.now() - t0)} ms`);
  const json: number[] = [];
  const table: number[] = [];
  const paged: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const j = await server.raw.must('GET', PODS, undefined, 200);
    if (!j.body.includes(`"name":"list-${LIST_PODS - 1}"`)) throw new Error('the JSON list misses pods');
    json.push(j.ms);
    const t = await server.raw.call('GET', PODS, undefined, TABLE_ACCEPT);
    if (t.status !== 200 || !t.body.includes('"kind":"Table"')) throw new Error(`Table list: ${t.status}`);
    table.push(t.ms);
    // kubectl get pods: Table pages of 500 following continue tokens.
    const p0 = performance.now();
    let cont = '';
    do {
      const r = await server.raw.call('GET', `${PODS}?limit=500${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`, undefined, TABLE_ACCEPT);
      if (r.status !== 200) throw new Error(`paged Table list: ${r.status}`);
      cont = (JSON.parse(r.body) as { metadata?: { continue?: string } }).metadata?.continue ?? '';
    } while (cont);
    paged.push(performance.now() - p0);
  }
  return { 'api.list10kPodsMs': median(json), 'api.list10kPodsTableMs': median(table), 'api.list10kPodsPagedTableMs': median(paged) };
}

function listPod(i: number): object {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `list-${i}`, labels: { bench: 'list', app: `app-${i % 50}` } },
    spec: { nodeName: `node-${(i % 100) + 1}`, terminationGracePeriodSeconds: 0, containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'], resources: { requests: { cpu: '10m', memory: '16Mi' } } }] },
  };
}

async function watchDelivery(server: BenchServer, writes: number): Promise<Record<string, number>> {
  const sent = new Map<string, number>();
  const delays: number[] = [];
  await Promise.all(
    Array.from({ length: WATCHERS }, () =>
      server.raw.watchLines(`${CM}?watch=true&labelSelector=watch%3Dyes`, (line, at) => {
        const name = /"name":"([^"]+)"/.exec(line)?.[1];
        const t = name === undefined ? undefined : sent.get(name);
        if (t !== undefined) delays.push(at - t);
      }),
    ),
  );
  for (let i = 0; i < writes; i++) {
    const name = `w-${i}`;
    sent.set(name, performance.now());
    await server.raw.must('POST', CM, configMap(name, { watch: 'yes' }), 201);
    await delay(5);
  }
  const expected = writes * WATCHERS;
  const deadline = performance.now() + 10_000;
  while (delays.length < expected && performance.now() < deadline) await delay(20);
  if (delays.length < expected) throw new Error(`watch delivered ${delays.length} of ${expected} events`);
  return { 'watch.deliveryP50Ms': percentile(delays, 50), 'watch.deliveryP99Ms': percentile(delays, 99) };
}

/**
 * API figures against a fresh `skiff server` process over HTTPS: single-object create latency at a
 * steady rate, the maximum sustained create rate, list of 10,000 pods (JSON and Table), and watch
 * delivery latency with many concurrent watchers. Prints figures; asserts nothing.
 *
 *   node dist/bench/api-figures.js [--rate 500] [--seconds 10] [--pods 10000] [--watchers 100]
 */
import { parseArgs } from 'node:util';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { request, Agent } from 'node:https';
import { startCluster } from '../test/helpers/cluster.js';

interface Conn {
  url: string;
  ca: string;
  token: string;
  agent: Agent;
}

function call(c: Conn, method: string, path: string, body?: unknown, accept = 'application/json'): Promise<{ status: number; body: string; ms: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = request(
      `${c.url}${path}`,
      {
        method,
        ca: c.ca,
        agent: c.agent,
        headers: {
          authorization: `Bearer ${c.token}`,
          accept,
          ...(payload ? { 'content-type': 'application/json', 'content-length': String(payload.length) } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), ms: performance.now() - started }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function pod(name: string) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app: 'bench', tier: 'x' } },
    spec: { containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'], resources: { requests: { cpu: '10m', memory: '16Mi' } } }] },
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { rate: { type: 'string' }, seconds: { type: 'string' }, pods: { type: 'string' }, watchers: { type: 'string' } },
  });
  const rate = Number(values.rate ?? 500);
  const seconds = Number(values.seconds ?? 10);
  const podCount = Number(values.pods ?? 10_000);
  const watchers = Number(values.watchers ?? 100);
  const cluster = await startCluster({ args: ['--nodes', '0'] });
  try {
    const conn: Conn = {
      url: cluster.url,
      ca: await readFile(join(cluster.dataDir, 'tls', 'ca.crt'), 'utf8'),
      token: (await readFile(join(cluster.dataDir, 'admin-token'), 'utf8')).trim(),
      agent: new Agent({ keepAlive: true, maxSockets: 64 }),
    };

    // Warm up: open keep-alive connections, let lazy tables load and the JIT settle.
    await Promise.all(
      Array.from({ length: 64 }, (_, w) =>
        (async () => {
          for (let i = 0; i < 10; i++) await call(conn, 'POST', '/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `warm-${w}-${i}` } });
        })(),
      ),
    );

    // 1. Steady-rate creates.
    const lat: number[] = [];
    const total = rate * seconds;
    const interval = 1000 / rate;
    const t0 = performance.now();
    const inflight: Promise<void>[] = [];
    for (let i = 0; i < total; i++) {
      const due = t0 + i * interval;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      inflight.push(
        call(conn, 'POST', '/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `steady-${i}` }, data: { i: String(i) } }).then((r) => {
          if (r.status !== 201) throw new Error(`create failed: ${r.status} ${r.body}`);
          lat.push(r.ms);
          if (process.env.BENCH_DEBUG && r.ms > 50) console.log(`slow create #${i} at ${(performance.now() - t0).toFixed(0)} ms: ${r.ms.toFixed(1)} ms`);
        }),
      );
    }
    await Promise.all(inflight);
    lat.sort((a, b) => a - b);
    console.log(`creates at ${rate}/s for ${seconds}s: p50 ${pct(lat, 50).toFixed(2)} ms, p99 ${pct(lat, 99).toFixed(2)} ms, max ${lat.at(-1)!.toFixed(2)} ms`);

    // 2. Max sustained create rate with 32 concurrent clients.
    const burstN = 5000;
    let next = 0;
    const b0 = performance.now();
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        for (;;) {
          const i = next++;
          if (i >= burstN) return;
          const r = await call(conn, 'POST', '/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `burst-${i}` } });
          if (r.status !== 201) throw new Error(`create failed: ${r.status} ${r.body}`);
        }
      }),
    );
    console.log(`max sustained creates: ${Math.round(burstN / ((performance.now() - b0) / 1000))}/s (32 concurrent clients)`);

    // 3. List 10,000 pods.
    next = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        for (;;) {
          const i = next++;
          if (i >= podCount) return;
          const r = await call(conn, 'POST', '/api/v1/namespaces/default/pods', pod(`p-${i}`));
          if (r.status !== 201) throw new Error(`pod create failed: ${r.status} ${r.body}`);
        }
      }),
    );
    const jsonTimes: number[] = [];
    const tableTimes: number[] = [];
    for (let i = 0; i < 5; i++) {
      const j = await call(conn, 'GET', '/api/v1/namespaces/default/pods');
      jsonTimes.push(j.ms);
      const t = await call(conn, 'GET', '/api/v1/namespaces/default/pods', undefined, 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json');
      tableTimes.push(t.ms);
    }
    jsonTimes.sort((a, b) => a - b);
    tableTimes.sort((a, b) => a - b);
    console.log(`list ${podCount} pods: JSON median ${pct(jsonTimes, 50).toFixed(0)} ms, Table median ${pct(tableTimes, 50).toFixed(0)} ms`);

    // 4. Watch delivery latency at N watchers.
    const delays: number[] = [];
    const sent = new Map<string, number>();
    const streams = await Promise.all(
      Array.from(
        { length: watchers },
        () =>
          new Promise<import('node:http').ClientRequest>((resolve) => {
            const req = request(
              `${conn.url}/api/v1/namespaces/default/configmaps?watch=true&labelSelector=watch%3Dyes&resourceVersion=0`,
              { ca: conn.ca, headers: { authorization: `Bearer ${conn.token}` } },
              (res) => {
                let buf = '';
                res.on('data', (d: Buffer) => {
                  buf += d.toString();
                  let nl;
                  while ((nl = buf.indexOf('\n')) >= 0) {
                    const line = buf.slice(0, nl);
                    buf = buf.slice(nl + 1);
                    const ev = JSON.parse(line) as { object: { metadata: { name: string } } };
                    const at = sent.get(ev.object.metadata.name);
                    if (at !== undefined) delays.push(performance.now() - at);
                  }
                });
                resolve(req);
              },
            );
            req.end();
          }),
      ),
    );
    for (let i = 0; i < 200; i++) {
      const name = `w-${i}`;
      sent.set(name, performance.now());
      await call(conn, 'POST', '/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels: { watch: 'yes' } } });
      await new Promise((r) => setTimeout(r, 5));
    }
    await new Promise((r) => setTimeout(r, 500));
    for (const s of streams) s.destroy();
    delays.sort((a, b) => a - b);
    console.log(`watch delivery (${watchers} watchers, ${delays.length} events): p50 ${pct(delays, 50).toFixed(2)} ms, p99 ${pct(delays, 99).toFixed(2)} ms`);
    conn.agent.destroy();
  } finally {
    await cluster.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

/**
 * scale (full run only): the largest cluster of simulated nodes and pods this machine holds with
 * the API's single-object p99 under 1 s (Kubernetes' SLO). The cluster grows in steps; each step
 * restarts `skiff server` on the same data dir with more nodes (so restarting a big cluster is
 * part of the test), creates pods up to the step's count, waits until none is Pending, then
 * probes API latency and reads the server's RSS. It stops at the first step that breaks the SLO,
 * exceeds the memory limit, or does not settle; the figure is the last step that held. The goal
 * is Kubernetes' published scalability limits: 5,000 nodes and 150,000 pods (in under 8 GB).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { startBenchServer, waitForReadyNodes, type BenchServer } from '../lib/bench-server.js';
import { probeApi } from '../lib/api-probe.js';
import { treeRssMb } from '../lib/proc.js';
import type { Scenario } from '../lib/scenario.js';
import { pool, until } from '../lib/stats.js';

/** (nodes, pods) per step. */
export const SCALE_STEPS: Array<[number, number]> = [
  [1000, 25_000],
  [2000, 50_000],
  [3500, 100_000],
  [5000, 150_000],
];
/** Kubernetes' API latency SLO for single-object calls. */
export const SCALE_P99_LIMIT_MS = 1000;
/** Stop before the machine swaps: 8 GB (the goal) or 75 % of RAM, whichever is lower. */
export const SCALE_RSS_LIMIT_MB = Math.min(8192, (totalmem() / (1024 * 1024)) * 0.75);
const NAMESPACES = 10;

export const scale: Scenario = {
  name: 'scale',
  description: 'grow simulated nodes and pods until API p99 > 1 s or memory runs out (full run only)',
  runs: () => 1,
  async run(ctx) {
    const dataDir = await mkdtemp(join(tmpdir(), 'skiff-bench-scale-'));
    let held: { nodes: number; pods: number; rssMb: number; p99Ms: number } | undefined;
    const notes: string[] = [];
    let created = 0;
    try {
      for (const [nodes, pods] of SCALE_STEPS) {
        const t0 = performance.now();
        const server = await startBenchServer({ nodes, runtime: 'simulated', dataDir, keepDataDir: true });
        try {
          await waitForReadyNodes(server.client, nodes, 600_000);
          const startMs = performance.now() - t0;
          if (created === 0) for (let n = 0; n < NAMESPACES; n++) await server.raw.must('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: `scale-${n}` } }, 201);
          const from = created;
          await pool(pods - from, 64, async (i) => {
            const k = from + i;
            await server.raw.must('POST', `/api/v1/namespaces/scale-${k % NAMESPACES}/pods`, scalePod(k), 201);
          });
          created = pods;
          await until('no pod Pending', async () => (await noPending(server)) ? true : undefined, 600_000, 1000);
          const probe = await probeApi(server, 300, '/api/v1/namespaces/scale-0/pods/scale-0');
          const rssMb = treeRssMb(server.pid);
          const line = `scale: ${nodes} nodes, ${pods} pods: restart to Ready ${Math.round(startMs)} ms, API p50 ${probe.p50Ms.toFixed(1)} ms p99 ${probe.p99Ms.toFixed(1)} ms, RSS ${Math.round(rssMb)} MiB`;
          ctx.log(line);
          notes.push(line);
          if (probe.p99Ms > SCALE_P99_LIMIT_MS) {
            notes.push(`scale: stopped at ${nodes} nodes / ${pods} pods: API p99 ${Math.round(probe.p99Ms)} ms > ${SCALE_P99_LIMIT_MS} ms`);
            break;
          }
          if (rssMb > SCALE_RSS_LIMIT_MB) {
            notes.push(`scale: stopped at ${nodes} nodes / ${pods} pods: RSS ${Math.round(rssMb)} MiB > ${Math.round(SCALE_RSS_LIMIT_MB)} MiB`);
            break;
          }
          held = { nodes, pods, rssMb, p99Ms: probe.p99Ms };
        } catch (err) {
          // Say why: a server that died (out of heap, say) shows it in its last lines.
          const proc = server.cluster.process;
          const died = proc.exitCode !== null || proc.signalCode !== null ? `; the server exited (${proc.exitCode ?? proc.signalCode}): ${server.cluster.logs().trim().split('\n').slice(-3).join(' | ')}` : '';
          notes.push(`scale: step ${nodes} nodes / ${pods} pods failed: ${(err as Error).message}${died}`);
          break;
        } finally {
          await server.stop();
        }
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
    const figures: Record<string, number> = held
      ? { 'scale.nodes': held.nodes, 'scale.pods': held.pods, 'scale.rssMb': held.rssMb, 'scale.apiP99Ms': held.p99Ms }
      : { 'scale.nodes': 0, 'scale.pods': 0, 'scale.rssMb': NaN };
    return { figures, notes };
  },
};

async function noPending(server: BenchServer): Promise<boolean> {
  const r = await server.raw.must('GET', '/api/v1/pods?fieldSelector=status.phase%3DPending&limit=1', undefined, 200);
  return (JSON.parse(r.body) as { items: unknown[] }).items.length === 0;
}

function scalePod(k: number): object {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `scale-${k}`, labels: { bench: 'scale', app: `app-${k % 100}` } },
    spec: { terminationGracePeriodSeconds: 0, containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'], resources: { requests: { cpu: '1m', memory: '1Mi' } } }] },
  };
}

/**
 * podStartup: one node with the process runtime; pods created one after another at a steady
 * rate, each timed from its create request being sent to the watch event that shows it Running
 * (the moment `kubectl get pods -w` would show it). The anchor is Kubernetes' pod startup SLO
 * (5 s at p99, for pods with pre-pulled images); Skiff's floor is a process spawn and a few
 * store writes (create, bind, status). Every pod stays running, so the node's config raises its
 * pod capacity above kubelet's default 110 (`capacity.pods` in the node config file).
 */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { startBenchServer, waitForReadyNodes, type BenchServer } from '../lib/bench-server.js';
import type { Scenario } from '../lib/scenario.js';
import { delay, percentile, withTimeout } from '../lib/stats.js';
import { treeCpuSeconds } from '../lib/proc.js';

/** Pods per run (issue 8). */
export const POD_STARTUP_PODS = 200;
/**
 * Creates per second: steady, under what one node sustains, so queueing is not what is measured.
 * Each container costs ~100 ms of CPU (its Node shim boots in ~50–80 ms; the pod's network set-up
 * and API writes the rest): 20/s would keep two cores busy, and latency would only measure the
 * backlog. podStartup.serverCpuMsPerPod reports that cost.
 */
export const POD_STARTUP_RATE = 5;

export const podStartup: Scenario = {
  name: 'podStartup',
  description: `${POD_STARTUP_PODS} pods on one process-runtime node at ${POD_STARTUP_RATE}/s: create → Running through a watch`,
  runs: (ctx) => (ctx.quick ? 1 : 3),
  async run() {
    const dataDir = await mkdtemp(join(tmpdir(), 'skiff-bench-'));
    await mkdir(join(dataDir, 'nodes', 'node-1'), { recursive: true });
    await writeFile(join(dataDir, 'nodes', 'node-1', 'config.yaml'), `capacity: { pods: "${POD_STARTUP_PODS + 50}" }\n`);
    const server = await startBenchServer({ nodes: 1, runtime: 'process', dataDir });
    try {
      await waitForReadyNodes(server.client, 1, 30_000);
      const sent = new Map<string, number>();
      const latencies = new Map<string, number>();
      // Where the time goes: create → bound (scheduler) is part of create → Running.
      const bound = new Map<string, number>();
      let failed: (err: unknown) => void = () => undefined;
      const failure = new Promise<never>((_, reject) => (failed = reject));
      let allRunning: () => void = () => undefined;
      const done = new Promise<void>((r) => (allRunning = r));
      let warmedUp: () => void = () => undefined;
      const warm = new Promise<void>((r) => (warmedUp = r));
      await server.raw.watchLines(`/api/v1/namespaces/default/pods?watch=true&labelSelector=bench%3Dpod-startup&resourceVersion=0`, (line, at) => {
        const ev = JSON.parse(line) as { type: string; object: Pod };
        const name = ev.object.metadata?.name ?? '';
        const t0 = sent.get(name);
        if (t0 !== undefined && ev.object.spec?.nodeName && !bound.has(name)) bound.set(name, at - t0);
        if (ev.object.status?.phase !== 'Running') return;
        if (name === 'warm-up') return warmedUp();
        const t = sent.get(name);
        if (t === undefined || latencies.has(name)) return;
        latencies.set(name, at - t);
        if (latencies.size === POD_STARTUP_PODS) allRunning();
      });
      // One warm-up pod: the first spawn pays for loading the runtime's code paths.
      await createPod(server, 'warm-up');
      await withTimeout(Promise.race([warm, failure]), 30_000, () => 'the warm-up pod to be Running');
      const cpu0 = treeCpuSeconds(server.pid);
      const t0 = performance.now();
      for (let i = 0; i < POD_STARTUP_PODS; i++) {
        const due = t0 + (i * 1000) / POD_STARTUP_RATE;
        const wait = due - performance.now();
        if (wait > 0) await delay(wait);
        const name = `start-${i}`;
        sent.set(name, performance.now());
        createPod(server, name).catch(failed);
      }
      await withTimeout(Promise.race([done, failure]), 60_000, () => `all pods Running (${latencies.size} of ${POD_STARTUP_PODS} are)`);
      const cpu = treeCpuSeconds(server.pid) - cpu0;
      const all = [...latencies.values()];
      return {
        figures: {
          'podStartup.p50Ms': percentile(all, 50),
          'podStartup.p99Ms': percentile(all, 99),
          'podStartup.maxMs': Math.max(...all),
          'podStartup.boundP50Ms': percentile([...bound.values()], 50),
          'podStartup.boundP99Ms': percentile([...bound.values()], 99),
          // CPU of the server and its pods' shims per pod started (containers sleep: ~0).
          'podStartup.serverCpuMsPerPod': (cpu * 1000) / POD_STARTUP_PODS,
        },
        notes: [`podStartup: ${POD_STARTUP_PODS} pods (sleep 3600) at ${POD_STARTUP_RATE}/s on 1 process-runtime node`],
      };
    } finally {
      await server.stop();
    }
  },
};

async function createPod(server: BenchServer, name: string): Promise<void> {
  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { bench: 'pod-startup' } },
    spec: {
      terminationGracePeriodSeconds: 0,
      containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'], resources: { requests: { cpu: '1m', memory: '1Mi' } } }],
    },
  };
  await server.raw.must('POST', '/api/v1/namespaces/default/pods', pod, 201);
}

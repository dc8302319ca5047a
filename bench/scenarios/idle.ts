/**
 * idle: `skiff server --nodes 1` (process runtime) left alone for 30 s after it is ready: RSS of
 * the server and everything it started, from /proc/<pid>/status, at the end; CPU as the share of
 * one core used over the 30 s, from /proc/<pid>/stat deltas (as `top` computes it). The anchors
 * are k3s' memory with a workload and the idle CPU k3s users report.
 */
import { startBenchServer, waitForReadyNodes } from '../lib/bench-server.js';
import { rssBytes, treeCpuSeconds, treeRssMb } from '../lib/proc.js';
import type { Scenario } from '../lib/scenario.js';
import { delay } from '../lib/stats.js';

export const IDLE_SECONDS = 30;

export const idle: Scenario = {
  name: 'idle',
  description: `server + 1 node idle for ${IDLE_SECONDS} s after start: RSS and CPU`,
  runs: () => 1,
  async run() {
    const server = await startBenchServer({ nodes: 1, runtime: 'process' });
    try {
      await waitForReadyNodes(server.client, 1, 30_000);
      // The bench's own client goes quiet too: nothing but the cluster itself runs from here.
      server.client.close();
      server.raw.close();
      const cpu0 = treeCpuSeconds(server.pid);
      const t0 = performance.now();
      await delay(IDLE_SECONDS * 1000);
      const cpu = treeCpuSeconds(server.pid) - cpu0;
      const wall = (performance.now() - t0) / 1000;
      return {
        figures: {
          'idle.rssMb': treeRssMb(server.pid),
          'idle.serverRssMb': rssBytes(server.pid) / (1024 * 1024),
          'idle.cpuPercent': (cpu / wall) * 100,
        },
      };
    } finally {
      await server.stop();
    }
  },
};

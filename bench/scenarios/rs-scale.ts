/**
 * rsScale: a ReplicaSet scaled from 0 to 1,000 replicas on 100 simulated nodes, timed from the
 * scale request until a watch has seen every pod Running — the ReplicaSet controller's
 * slow-start batches, the scheduler and 100 agents all in the one server process. The anchor is
 * kwok's published figure (1,000 pods on simulated nodes within 120 s).
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { ReplicaSet } from 'kubernetes-types/apps/v1.js';
import { startBenchServer, waitForReadyNodes } from '../lib/bench-server.js';
import type { Scenario } from '../lib/scenario.js';
import { withTimeout } from '../lib/stats.js';
import { treeCpuSeconds } from '../lib/proc.js';

export const RS_NODES = 100;
export const RS_REPLICAS = 1000;

export const rsScale: Scenario = {
  name: 'rsScale',
  description: `ReplicaSet 0 → ${RS_REPLICAS} on ${RS_NODES} simulated nodes until all Running`,
  runs: (ctx) => (ctx.quick ? 1 : 3),
  async run() {
    const server = await startBenchServer({ nodes: RS_NODES, runtime: 'simulated' });
    try {
      await waitForReadyNodes(server.client, RS_NODES, 120_000);
      const rs: ReplicaSet = {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: { name: 'bench', namespace: 'default' },
        spec: {
          replicas: 0,
          selector: { matchLabels: { app: 'rs-scale' } },
          template: { metadata: { labels: { app: 'rs-scale' } }, spec: { terminationGracePeriodSeconds: 0, containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'] }] } },
        },
      };
      await server.client.replicaSets('default').create(rs);
      const seen = new Map<string, { bound: boolean; running: boolean }>();
      const counts = { created: 0, bound: 0, running: 0 };
      const marks: Record<string, number> = {};
      let t0 = 0;
      let allRunning: () => void = () => undefined;
      const done = new Promise<void>((r) => (allRunning = r));
      const list = await server.raw.must('GET', '/api/v1/namespaces/default/pods?labelSelector=app%3Drs-scale', undefined, 200);
      const rv = (JSON.parse(list.body) as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
      await server.raw.watchLines(`/api/v1/namespaces/default/pods?watch=true&labelSelector=app%3Drs-scale&resourceVersion=${rv}`, (line, at) => {
        const p = (JSON.parse(line) as { object: Pod }).object;
        const uid = p.metadata?.uid ?? '';
        let s = seen.get(uid);
        if (!s) {
          seen.set(uid, (s = { bound: false, running: false }));
          if (++counts.created === RS_REPLICAS) marks['created'] = at - t0;
        }
        if (!s.bound && p.spec?.nodeName) {
          s.bound = true;
          if (++counts.bound === RS_REPLICAS) marks['bound'] = at - t0;
        }
        if (!s.running && p.status?.phase === 'Running') {
          s.running = true;
          if (++counts.running === RS_REPLICAS) {
            marks['running'] = at - t0;
            allRunning();
          }
        }
      });
      const cpu0 = treeCpuSeconds(server.pid);
      t0 = performance.now();
      await server.client.replicaSets('default').patch('bench', 'merge', { spec: { replicas: RS_REPLICAS } });
      await withTimeout(done, 120_000, () => `all ${RS_REPLICAS} pods Running (created ${counts.created}, bound ${counts.bound}, Running ${counts.running})`);
      return {
        figures: {
          'rsScale.allCreatedMs': marks['created'] ?? NaN,
          'rsScale.allBoundMs': marks['bound'] ?? NaN,
          'rsScale.allRunningMs': marks['running'] ?? NaN,
          // CPU the server spent: steadier than wall time on a shared machine, for before/after.
          'rsScale.serverCpuS': treeCpuSeconds(server.pid) - cpu0,
        },
      };
    } finally {
      await server.stop();
    }
  },
};

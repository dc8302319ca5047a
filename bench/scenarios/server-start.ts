/**
 * serverStart: `skiff server --nodes 1` (process runtime, a fresh data dir: the first start also
 * creates the CA, certificates and tokens) from spawning the process until its node is Ready and
 * a kubectl-style list (`kubectl get pods -A`: a Table) succeeds — the moment a user could start
 * working. The anchors are the times k3d, kind and minikube take to give a usable cluster.
 */
import type { NodeList } from 'kubernetes-types/core/v1.js';
import { isNodeReady, startBenchServer } from '../lib/bench-server.js';
import { TABLE_ACCEPT } from '../lib/raw-api.js';
import type { Scenario } from '../lib/scenario.js';
import { until } from '../lib/stats.js';

export const serverStart: Scenario = {
  name: 'serverStart',
  description: 'skiff server --nodes 1 from spawn to node Ready and a kubectl-style list',
  runs: (ctx) => (ctx.quick ? 3 : 7),
  async run() {
    const t0 = performance.now();
    const server = await startBenchServer({ nodes: 1, runtime: 'process' });
    try {
      // Poll as `kubectl wait --for=condition=Ready node/node-1` does (it watches; a 10 ms poll
      // costs the server less than establishing a watch and is as prompt).
      await until(
        'node-1 Ready',
        async () => {
          const r = await server.raw.call('GET', '/api/v1/nodes');
          return r.status === 200 && (JSON.parse(r.body) as NodeList).items.some(isNodeReady) ? true : undefined;
        },
        30_000,
        10,
      );
      const list = await server.raw.call('GET', '/api/v1/pods', undefined, TABLE_ACCEPT);
      if (list.status !== 200) throw new Error(`list pods: ${list.status} ${list.body}`);
      const readyMs = performance.now() - t0;
      return { figures: { 'serverStart.readyMs': readyMs, 'serverStart.servingMs': server.servingMs } };
    } finally {
      await server.stop();
    }
  },
};

/**
 * scheduler: N simulated nodes (5,000; 1,000 with --quick) and 10,000 pending pods; pods bound
 * per second, measured from the binding events (a pod's watch event first showing
 * spec.nodeName), from the first binding to the last. The backlog is built while the scheduler
 * is held off through its Lease (../lib/scheduler-lease.ts), as kube-scheduler's perf tests
 * create pods and then measure throughput. The anchor is kube-scheduler's CI thresholds at 5,000
 * nodes (scheduler_perf SchedulingBasic, 680–810 pods/s); the API server, the agents of 5,000
 * nodes and the store all run in the same process here, so every binding's write is included.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import { startBenchServer, waitForReadyNodes } from '../lib/bench-server.js';
import { holdScheduler, releaseScheduler } from '../lib/scheduler-lease.js';
import type { Scenario } from '../lib/scenario.js';
import { pool, withTimeout } from '../lib/stats.js';
import { probeApi } from '../lib/api-probe.js';
import { treeCpuSeconds, treeRssMb } from '../lib/proc.js';

export const SCHEDULER_PODS = 10_000;

export const scheduler: Scenario = {
  name: 'scheduler',
  description: `${SCHEDULER_PODS.toLocaleString('en-US')} pending pods on 5,000 simulated nodes (1,000 quick): pods bound per second`,
  runs: (ctx) => (ctx.quick ? 1 : 3),
  async run(ctx) {
    const nodes = ctx.quick ? 1000 : 5000;
    const t0 = performance.now();
    const server = await startBenchServer({ nodes, runtime: 'simulated' });
    try {
      await waitForReadyNodes(server.client, nodes, 300_000);
      ctx.log(`scheduler: ${nodes} nodes Ready in ${Math.round(performance.now() - t0)} ms`);
      await holdScheduler(server);
      const createMs = await pool(SCHEDULER_PODS, 64, (i) => server.raw.must('POST', '/api/v1/namespaces/default/pods', pendingPod(i), 201));
      ctx.log(`scheduler: ${SCHEDULER_PODS} pending pods created in ${Math.round(createMs)} ms`);

      const bound = new Set<string>();
      let first = 0;
      let last = 0;
      let allBound: () => void = () => undefined;
      const done = new Promise<void>((r) => (allBound = r));
      const list = await server.raw.must('GET', '/api/v1/namespaces/default/pods?labelSelector=bench%3Dscheduler&limit=1', undefined, 200);
      const rv = (JSON.parse(list.body) as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
      await server.raw.watchLines(`/api/v1/namespaces/default/pods?watch=true&labelSelector=bench%3Dscheduler&resourceVersion=${rv}`, (line, at) => {
        // Only bound pods matter; skip parsing the rest.
        if (!line.includes('"nodeName"')) return;
        const ev = JSON.parse(line) as { object: Pod };
        const name = ev.object.metadata?.name ?? '';
        if (!ev.object.spec?.nodeName || bound.has(name)) return;
        bound.add(name);
        if (bound.size === 1) first = at;
        last = at;
        if (bound.size === SCHEDULER_PODS) allBound();
      });
      const cpu0 = treeCpuSeconds(server.pid);
      await releaseScheduler(server);
      await withTimeout(done, 600_000, () => `all pods bound (${bound.size} of ${SCHEDULER_PODS} are)`);
      const podsPerSecond = ((SCHEDULER_PODS - 1) * 1000) / (last - first);
      const cpu = treeCpuSeconds(server.pid) - cpu0;
      ctx.log(`scheduler: ${SCHEDULER_PODS} bound in ${Math.round(last - first)} ms`);
      // What a user would see of this cluster now: API latency and the server's memory.
      const probe = await probeApi(server, ctx.quick ? 200 : 500);
      return {
        figures: {
          'scheduler.podsPerSecond': podsPerSecond,
          'scheduler.nodes': nodes,
          // Server CPU per pod bound (the whole process: scheduler, API, agents' status writes).
          'scheduler.serverCpuMsPerPod': (cpu * 1000) / SCHEDULER_PODS,
          'scheduler.apiP99Ms': probe.p99Ms,
          'scheduler.rssMb': treeRssMb(server.pid),
        },
        notes: [`scheduler: ${nodes.toLocaleString('en-US')} simulated nodes, ${SCHEDULER_PODS.toLocaleString('en-US')} pods (100m CPU, 128Mi each), API server, agents and scheduler in one process`],
      };
    } finally {
      await server.stop();
    }
  },
};

function pendingPod(i: number): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `sched-${i}`, labels: { bench: 'scheduler', group: `g-${i % 100}` } },
    spec: {
      terminationGracePeriodSeconds: 0,
      containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'], resources: { requests: { cpu: '100m', memory: '128Mi' } } }],
    },
  };
}

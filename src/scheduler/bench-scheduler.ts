/**
 * Scheduler throughput (a report, not a test): N pending pods on M fake nodes in an in-process
 * API server (real registry, SQLite in memory, watch cache), then the scheduler binds them all.
 * Reports pods bound per second from the first binding to the last, and the time to sync.
 *
 * Usage: npm run build && node dist/src/scheduler/bench-scheduler.js [--nodes 5000] [--pods 10000]
 *        [--owners 100] [--bind-concurrency 32] [--percentage 0]
 *
 * The API server runs in the same process and on the same core as the scheduler, as in
 * `skiff server`, so the figure includes the cost of the bindings and events it writes.
 */
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { parseArgs } from 'node:util';
import { startInProcessApi } from '../../test/helpers/in-process.js';
import { Scheduler } from './scheduler.js';

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '5000' },
    pods: { type: 'string', default: '10000' },
    owners: { type: 'string', default: '100' },
    'bind-concurrency': { type: 'string', default: '32' },
    percentage: { type: 'string', default: '0' },
  },
});
const NODES = Number(values.nodes);
const PODS = Number(values.pods);
const OWNERS = Number(values.owners);

async function pool(n: number, width: number, fn: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < n) await fn(next++);
  }));
}

function node(i: number): Node {
  const name = `node-${String(i).padStart(5, '0')}`;
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'topology.kubernetes.io/zone': `zone-${i % 3}` } },
    status: {
      capacity: { cpu: '32', memory: '128Gi', pods: '110' },
      allocatable: { cpu: '32', memory: '128Gi', pods: '110' },
      conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' }],
    },
  };
}

function pod(i: number): Pod {
  const owner = i % OWNERS;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `bench-${owner}-${i}`,
      namespace: 'default',
      labels: { app: `bench-${owner}` },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `bench-${owner}`, uid: `00000000-0000-0000-0000-${String(owner).padStart(12, '0')}`, controller: true }],
    },
    spec: { containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu: '100m', memory: '64Mi' } } }] },
  };
}

async function main(): Promise<void> {
  const api = await startInProcessApi();
  const client = api.client('bench');
  let t = performance.now();
  await pool(NODES, 32, (i) => client.nodes().create(node(i)));
  await pool(PODS, 32, (i) => client.pods('default').create(pod(i)));
  console.log(`setup: ${NODES} nodes, ${PODS} pending pods in ${Math.round(performance.now() - t)} ms`);

  const scheduler = new Scheduler({
    client: api.client('default-scheduler'),
    bindConcurrency: Number(values['bind-concurrency']),
    percentageOfNodesToScore: Number(values.percentage),
  });
  const ac = new AbortController();
  t = performance.now();
  const running = scheduler.run(ac.signal);
  let firstBindAt = 0;
  const cpuStart = process.cpuUsage();
  await new Promise<void>((resolve) => {
    const check = (): void => {
      if (scheduler.boundCount > 0 && !firstBindAt) firstBindAt = performance.now();
      if (scheduler.boundCount >= PODS) resolve();
      else setTimeout(check, 5);
    };
    check();
  });
  const done = performance.now();
  const cpu = process.cpuUsage(cpuStart);
  const rate = PODS / ((done - firstBindAt) / 1000);
  console.log(`sync + first binding after ${Math.round(firstBindAt - t)} ms`);
  console.log(`bound ${PODS} pods on ${NODES} nodes in ${Math.round(done - firstBindAt)} ms: ${Math.round(rate)} pods/s (cpu ${Math.round((cpu.user + cpu.system) / 1000)} ms)`);

  // Spread check: pods per node.
  const counts = new Map<string, number>();
  for (const p of (await client.pods('default').list()).items) counts.set(p.spec?.nodeName ?? '', (counts.get(p.spec?.nodeName ?? '') ?? 0) + 1);
  const perNode = [...counts.values()];
  console.log(`nodes used: ${counts.size}, pods per node min ${Math.min(...perNode)} max ${Math.max(...perNode)}`);
  ac.abort();
  await running;
  await api.stop();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

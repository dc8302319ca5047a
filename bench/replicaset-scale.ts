/**
 * ReplicaSet scale-up figure (a report, not a test): one process holding an in-process API server
 * (SQLite in memory, watch cache), the controller manager, the scheduler and N simulated node
 * agents — `skiff server --nodes N --runtime simulated` without the HTTPS front end. A ReplicaSet
 * is scaled from 0 to R replicas; reported: time until every pod exists, is bound, and is Running
 * (and Ready), plus the ReplicaSet's status catching up; `--verbose` adds the writes made, by whom.
 *
 *   node dist/bench/replicaset-scale.js [--nodes 100] [--replicas 1000] [--controllers all|replicaset] [--runs 3] [--verbose]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { startLocalNodes } from '../src/cli/agent.js';
import { Client } from '../src/client/client.js';
import { inProcessTransport } from '../src/client/in-process-transport.js';
import { SharedInformerFactory } from '../src/client/informer-factory.js';
import { silentLogger } from '../src/client/log.js';
import { allControllers } from '../src/controllers/index.js';
import { ControllerManager } from '../src/controllers/manager.js';
import { ReplicaSetController } from '../src/controllers/replicaset/replicaset-controller.js';
import { Scheduler } from '../src/scheduler/scheduler.js';
import { startInProcessApi } from '../test/helpers/in-process.js';

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '100' },
    replicas: { type: 'string', default: '1000' },
    controllers: { type: 'string', default: 'all' },
    runs: { type: 'string', default: '3' },
    verbose: { type: 'boolean', default: false },
  },
});
const NODES = Number(values.nodes);
const REPLICAS = Number(values.replicas);

async function once(run: number): Promise<void> {
  const api = await startInProcessApi();
  // Count writes by who made them and what they wrote: the scale-up's cost in API calls.
  const writes = new Map<string, number>();
  const inner = api.handler;
  const handler: typeof inner = (req) => {
    if (req.method !== 'GET') {
      const m = /\/(?:namespaces\/[^/]+\/)?([a-z]+)(?:\/[^/]+(?:\/([a-z]+))?)?$/.exec(req.path);
      const key = `${req.user.name.replace(/^system:node:.*/, 'node agents')} ${req.method} ${m?.[1] ?? req.path}${m?.[2] ? '/' + m[2] : ''}`;
      writes.set(key, (writes.get(key) ?? 0) + 1);
    }
    return inner(req);
  };
  const dataDir = await mkdtemp(join(tmpdir(), 'skiff-bench-rs-'));
  const system = (name: string) => new Client({ transport: inProcessTransport(handler, { name: `system:${name}`, groups: ['system:masters'] }), fieldManager: name });
  const stop = new AbortController();
  const controllers = values.controllers === 'replicaset' ? [new ReplicaSetController()] : allControllers();
  const manager = new ControllerManager({ client: system('kube-controller-manager'), controllers, leaderElection: false }).run(stop.signal);
  const scheduler = new Scheduler({ client: system('kube-scheduler') }).run(stop.signal);
  const nodes = await startLocalNodes({ handler, count: NODES, runtime: 'simulated', dataDir, joinSecret: 'bench', logger: silentLogger });

  const client = system('bench');
  // Wait for every node to be registered and Ready, so the scheduler sees them all.
  for (;;) {
    const list = await client.nodes().list();
    if (list.items.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length === NODES) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const rs: ReplicaSet = {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name: 'bench', namespace: 'default' },
    spec: { replicas: 0, selector: { matchLabels: { app: 'bench' } }, template: { metadata: { labels: { app: 'bench' } }, spec: { containers: [{ name: 'c', image: 'bench', command: ['true'] }] } } },
  };
  await client.replicaSets('default').create(rs);

  // Observe through an informer, as a watcher (kubectl get -w) would.
  const factory = new SharedInformerFactory(client);
  const pods = factory.pods();
  const sets = factory.replicaSets();
  let t0 = 0;
  const marks: Record<string, number> = {};
  const mark = (what: string) => {
    marks[what] ??= performance.now() - t0;
  };
  let created = 0;
  let bound = 0;
  let running = 0;
  const seen = new Map<string, { bound: boolean; running: boolean }>();
  const onPod = (p: Pod) => {
    const uid = p.metadata!.uid!;
    let s = seen.get(uid);
    if (!s) {
      seen.set(uid, (s = { bound: false, running: false }));
      if (++created === REPLICAS) mark('all created');
    }
    if (!s.bound && p.spec?.nodeName) {
      s.bound = true;
      if (++bound === REPLICAS) mark('all bound');
    }
    if (!s.running && p.status?.phase === 'Running' && p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) {
      s.running = true;
      if (++running === REPLICAS) mark('all Running+Ready');
    }
  };
  pods.addEventHandler({ onAdd: onPod, onUpdate: (_o, p) => onPod(p) });
  sets.addEventHandler({
    onUpdate: (_o, cur) => {
      if (cur.metadata?.name === 'bench' && cur.status?.availableReplicas === REPLICAS) mark('status available');
    },
  });
  factory.start(stop.signal);
  await factory.waitForCacheSync(stop.signal);

  writes.clear();
  const cpu0 = process.cpuUsage();
  t0 = performance.now();
  await client.replicaSets('default').patch('bench', 'merge', { spec: { replicas: REPLICAS } });
  const deadline = Date.now() + 120_000;
  while (!(marks['all Running+Ready'] !== undefined && marks['status available'] !== undefined) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  const cpu = process.cpuUsage(cpu0);
  const fmt = (k: string) => (marks[k] === undefined ? 'n/a' : `${(marks[k] / 1000).toFixed(2)} s`);
  console.log(
    `run ${run}: ${REPLICAS} pods on ${NODES} simulated nodes (${values.controllers} controllers): created ${fmt('all created')}, bound ${fmt('all bound')}, Running+Ready ${fmt('all Running+Ready')}, RS status ${fmt('status available')}; CPU ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s, ${[...writes.values()].reduce((a, b) => a + b, 0)} writes`,
  );

  if (values.verbose) for (const [k, n] of [...writes].sort((a, b) => b[1] - a[1])) console.log(`  ${String(n).padStart(6)} ${k}`);
  stop.abort();
  await nodes.stop();
  await Promise.allSettled([manager, scheduler, factory.shutdown()]);
  await api.stop();
  await rm(dataDir, { recursive: true, force: true });
}

for (let i = 1; i <= Number(values.runs); i++) await once(i);

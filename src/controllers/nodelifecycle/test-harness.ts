/**
 * Test harness for the node controllers (node lifecycle, taint eviction, pod GC): a real in-process
 * API server, the controllers on a FakeClock as the controller manager runs them, and a stand-in
 * for node agents — Nodes and their Leases in kube-node-lease, pods set Running and Ready through
 * /status. Test-only.
 */
import type { Event, Node, Pod } from 'kubernetes-types/core/v1.js';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import { startInProcessApi, waitFor, type InProcessApi } from '../../../test/helpers/in-process.js';
import { isAlreadyExists } from '../../api/errors.js';
import type { Client } from '../../client/client.js';
import { FakeClock, formatMicroTime, formatTime, realClock } from '../../client/clock.js';
import { EventRecorder } from '../../client/event-recorder.js';
import { SharedInformerFactory } from '../../client/informer-factory.js';
import { silentLogger } from '../../client/log.js';
import type { Controller, ControllerContext } from '../controller.js';

export interface NodeHarness {
  api: InProcessApi;
  client: Client;
  clock: FakeClock;
  start(controllers: Controller[]): Promise<void>;
  stop(): Promise<void>;
  until<T>(check: () => T | Promise<T>, what?: string, timeoutMs?: number): Promise<NonNullable<T>>;
  /** Advances the fake clock in steps, renewing the leases of `alive` nodes every 10 s as agents do. */
  advance(ms: number, alive?: string[]): Promise<void>;
  addNode(node: Node): Promise<Node>;
  renewLease(nodeName: string): Promise<void>;
  /** Creates a pod bound to `nodeName`, Running and Ready. */
  runPod(pod: Pod, nodeName: string): Promise<Pod>;
  node(name: string): Promise<Node>;
  pod(namespace: string, name: string): Promise<Pod | undefined>;
  events(namespace: string, name: string, reason?: string): Promise<Event[]>;
}

/** How often the agent stand-in renews leases (the kubelet: a quarter of the 40 s duration). */
export const LEASE_RENEW_MS = 10_000;

export async function startNodeHarness(): Promise<NodeHarness> {
  const api = await startInProcessApi();
  const client = api.client('test');
  const clock = new FakeClock(Math.floor(Date.now() / 1000) * 1000);
  let running: { abort: AbortController; done: Promise<void> } | undefined;

  const h: NodeHarness = {
    api,
    client,
    clock,
    async start(controllers) {
      const abort = new AbortController();
      const sys = api.client('kube-controller-manager');
      const informers = new SharedInformerFactory(sys, { clock: realClock });
      const recorders = new Map<string, EventRecorder>();
      const ctx: ControllerContext = {
        client: sys,
        informers,
        clock,
        logger: silentLogger,
        workers: 2,
        recorder: (component) => {
          let r = recorders.get(component);
          if (!r) recorders.set(component, (r = new EventRecorder({ client: sys, component, clock })));
          return r;
        },
      };
      const runs = controllers.map((c) => c.run(ctx, abort.signal));
      informers.start(abort.signal);
      await informers.waitForCacheSync(abort.signal);
      running = {
        abort,
        done: (async () => {
          await Promise.all(runs);
          await informers.shutdown();
          await Promise.all([...recorders.values()].map((r) => r.shutdown()));
        })(),
      };
    },
    async stop() {
      if (running) {
        running.abort.abort();
        await running.done;
      }
      await api.stop();
    },
    until: (check, what = 'condition', timeoutMs = 10_000) => waitFor(check, timeoutMs, what),
    async advance(ms, alive = []) {
      let left = ms;
      while (left > 0) {
        const step = Math.min(left, 1_000);
        await clock.advance(step);
        left -= step;
        if (alive.length && clock.now() % LEASE_RENEW_MS < step) for (const n of alive) await h.renewLease(n);
        // Let the controllers' API calls for this step land before time moves on.
        await new Promise((r) => setTimeout(r, 5));
      }
    },
    async addNode(node) {
      const created = await client.nodes().create(node);
      await h.renewLease(node.metadata!.name!);
      return created;
    },
    async renewLease(nodeName) {
      const leases = client.leases('kube-node-lease');
      const spec = { holderIdentity: nodeName, leaseDurationSeconds: 40, renewTime: formatMicroTime(clock.now()) };
      try {
        const lease: Lease = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: nodeName, namespace: 'kube-node-lease' }, spec };
        await leases.create(lease);
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
        await leases.patch(nodeName, 'merge', { spec });
      }
    },
    async runPod(pod, nodeName) {
      const ns = pod.metadata!.namespace ?? 'default';
      const created = await client.pods(ns).create({ ...pod, spec: { ...pod.spec!, nodeName } });
      const now = formatTime(clock.now());
      return client.pods(ns).updateStatus({
        ...created,
        status: {
          ...created.status,
          phase: 'Running',
          startTime: now,
          conditions: [
            { type: 'PodScheduled', status: 'True', lastTransitionTime: now },
            { type: 'Initialized', status: 'True', lastTransitionTime: now },
            { type: 'ContainersReady', status: 'True', lastTransitionTime: now },
            { type: 'Ready', status: 'True', lastTransitionTime: now },
          ],
        },
      });
    },
    node: (name) => client.nodes().get(name),
    async pod(namespace, name) {
      return (await client.pods(namespace).list()).items.find((p) => p.metadata?.name === name);
    },
    async events(namespace, name, reason) {
      return (await client.events(namespace).list()).items.filter((e) => e.involvedObject.name === name && (!reason || e.reason === reason));
    },
  };
  return h;
}

export const DAEMONSET_TOLERATIONS = [
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
];

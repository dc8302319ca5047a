/**
 * Test support for workload controllers: a real API server in the test process, the controllers
 * under test run by the real ControllerManager, and a simulator playing the scheduler and the
 * node agents — it registers Ready nodes, binds pending pods (to the node a DaemonSet pod is pinned
 * to, else to a node chosen by `place`), reports bound pods Running and Ready when `autoReady`
 * allows, and finishes graceful deletions at once as a node agent would after the kill.
 */
import { setMaxListeners } from 'node:events';
import type { Node, Pod, PodCondition, Taint } from 'kubernetes-types/core/v1.js';
import { isConflict, isNotFound } from '../../../api/errors.js';
import { splitKey } from '../../../api/object.js';
import type { Client } from '../../../client/client.js';
import { SharedInformerFactory } from '../../../client/informer-factory.js';
import { keyOf } from '../../../client/indexer.js';
import type { SharedInformer } from '../../../client/informer.js';
import { WorkQueue } from '../../../client/work-queue.js';
import { runWorkers } from '../../../client/workers.js';
import type { Controller } from '../../controller.js';
import { ControllerManager } from '../../manager.js';
import { startInProcessApi, waitFor, type InProcessApi } from '../../../../test/helpers/in-process.js';
import { targetNodeName } from '../daemon-pod.js';

export { waitFor };

export interface SimOptions {
  /** Whether a bound pod is reported Running and Ready (default: always). */
  autoReady?: (pod: Pod) => boolean;
  /** Node for a pending pod that is not pinned to one (default: first Ready node, round-robin). */
  place?: (pod: Pod, nodes: Node[]) => string | undefined | Promise<string | undefined>;
  /** Finish graceful deletions at once (default: every pod); held pods wait for `terminate`. */
  autoTerminate?: (pod: Pod) => boolean;
}

export interface ClusterSim {
  api: InProcessApi;
  /** A client for the test's own reads and writes. */
  client: Client;
  pods: SharedInformer<Pod>;
  addNode(name: string, opts?: { labels?: Record<string, string>; taints?: Taint[]; unschedulable?: boolean }): Promise<Node>;
  /** Reports the pod Running and (not) Ready now. */
  setReady(namespace: string, name: string, ready: boolean): Promise<void>;
  /** Ends the pod with the given phase (its containers exited). */
  finish(namespace: string, name: string, phase: 'Succeeded' | 'Failed'): Promise<void>;
  /** Finishes the graceful deletion of a pod the simulator was told to hold. */
  terminate(namespace: string, name: string): Promise<void>;
  /** Pods of `namespace` as the simulator's cache sees them. */
  podsIn(namespace: string): Pod[];
  stop(): Promise<void>;
}

function condition(type: string, status: 'True' | 'False', now: string): PodCondition {
  return { type, status, lastTransitionTime: now };
}

export async function startClusterSim(controllers: Controller[], opts: SimOptions = {}): Promise<ClusterSim> {
  const api = await startInProcessApi();
  const client = api.client('test');
  const simClient = api.client('cluster-sim');
  const ac = new AbortController();
  // Every informer, watch and worker of the manager and the simulator listens on this signal.
  setMaxListeners(100, ac.signal);
  const manager = new ControllerManager({ client: api.client('controller-manager'), controllers, leaderElection: false, workers: 2 });
  const managerRun = manager.run(ac.signal);

  const factory = new SharedInformerFactory(simClient);
  const pods = factory.pods();
  const nodes = factory.nodes();
  const queue = new WorkQueue({ name: 'cluster-sim' });
  pods.addEventHandler({ onAdd: (p) => queue.add(keyOf(p)), onUpdate: (_o, p) => queue.add(keyOf(p)) });
  factory.start(ac.signal);
  await factory.waitForCacheSync(ac.signal);
  let rr = 0;
  const place =
    opts.place ??
    ((_pod: Pod, ns: Node[]) => {
      if (ns.length === 0) return undefined;
      return ns[rr++ % ns.length]!.metadata!.name!;
    });
  const autoReady = opts.autoReady ?? (() => true);
  const autoTerminate = opts.autoTerminate ?? (() => true);
  const terminate = async (namespace: string, name: string, uid?: string): Promise<void> => {
    try {
      await simClient.pods(namespace).delete(name, { gracePeriodSeconds: 0, ...(uid ? { preconditions: { uid } } : {}) });
    } catch (err) {
      if (!isNotFound(err) && !isConflict(err)) throw err;
    }
  };

  const setStatus = async (namespace: string, name: string, mutate: (p: Pod) => Pod['status']): Promise<void> => {
    for (let attempt = 0; attempt < 10; attempt++) {
      let pod: Pod;
      try {
        pod = await simClient.pods(namespace).get(name);
      } catch (err) {
        if (isNotFound(err)) return;
        throw err;
      }
      try {
        await simClient.pods(namespace).updateStatus({ ...pod, status: mutate(pod) });
        return;
      } catch (err) {
        if (isNotFound(err)) return;
        if (!isConflict(err)) throw err;
      }
    }
  };
  const running = (ready: boolean) => (p: Pod) => {
    const now = new Date().toISOString();
    const prevReady = p.status?.conditions?.find((c) => c.type === 'Ready');
    const readyCond = prevReady && prevReady.status === (ready ? 'True' : 'False') ? prevReady : condition('Ready', ready ? 'True' : 'False', now);
    return {
      ...(p.status ?? {}),
      phase: 'Running',
      startTime: p.status?.startTime ?? now,
      conditions: [condition('Initialized', 'True', now), readyCond, { ...readyCond, type: 'ContainersReady' }, condition('PodScheduled', 'True', now)],
      containerStatuses: (p.spec?.containers ?? []).map((c) => ({ name: c.name, image: c.image ?? '', imageID: '', ready, restartCount: 0, started: true, state: { running: { startedAt: now } } })),
    };
  };

  const sync = async (key: string): Promise<void> => {
    const pod = pods.store.get(key);
    if (!pod) return;
    const { namespace, name } = splitKey(key);
    if (pod.metadata?.deletionTimestamp) {
      if (pod.spec?.nodeName && autoTerminate(pod)) await terminate(namespace, name, pod.metadata.uid!);
      return;
    }
    if (!pod.spec?.nodeName) {
      const ready = nodes.store.list().filter((n) => !n.spec?.unschedulable);
      const target = targetNodeName(pod) ?? (await place(pod, ready));
      if (!target || !nodes.store.get(target)) return;
      try {
        await simClient.pods(namespace).bind(name, target);
      } catch (err) {
        if (!isNotFound(err) && !isConflict(err)) throw err;
      }
      return;
    }
    const phase = pod.status?.phase;
    if ((phase === 'Pending' || phase === undefined) && autoReady(pod)) await setStatus(namespace, name, running(true));
  };
  const workers = runWorkers(queue, 4, sync, ac.signal);

  return {
    api,
    client,
    pods,
    async addNode(name, o = {}) {
      const now = new Date().toISOString();
      const node = await simClient.nodes().create({
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name, labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', ...(o.labels ?? {}) } },
        spec: { ...(o.taints ? { taints: o.taints } : {}), ...(o.unschedulable ? { unschedulable: true } : {}) },
      });
      await simClient.nodes().updateStatus({
        ...node,
        status: {
          conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: now, lastTransitionTime: now }],
          capacity: { cpu: '4', memory: '8Gi', pods: '110' },
          allocatable: { cpu: '4', memory: '8Gi', pods: '110' },
        },
      });
      await waitFor(() => nodes.store.get(name));
      // Pods pinned to this node may have been waiting for it.
      for (const p of pods.store.list()) if (!p.spec?.nodeName) queue.add(keyOf(p));
      return node;
    },
    setReady: (namespace, name, ready) => setStatus(namespace, name, running(ready)),
    finish: (namespace, name, phase) =>
      setStatus(namespace, name, (p) => ({
        ...(p.status ?? {}),
        phase,
        conditions: [condition('Ready', 'False', new Date().toISOString())],
        containerStatuses: (p.spec?.containers ?? []).map((c) => ({ name: c.name, image: c.image ?? '', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: phase === 'Succeeded' ? 0 : 1, reason: phase === 'Succeeded' ? 'Completed' : 'Error' } } })),
      })),
    terminate: (namespace, name) => terminate(namespace, name),
    podsIn: (namespace) => pods.store.listByNamespace(namespace),
    async stop() {
      ac.abort();
      await Promise.all([managerRun, workers]);
      await factory.shutdown();
      client.close();
      simClient.close();
      await api.stop();
    },
  };
}

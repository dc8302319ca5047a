/**
 * Test support for the workload-controller tests: a real API server in the process, a controller
 * manager running the controllers under test (no leader election), and a stand-in for the
 * scheduler and node agents — it binds new pods to nodes round-robin, marks them Running and
 * (when asked) Ready, and finishes graceful deletions — so sync logic is tested against real API
 * semantics without node processes. Not used by production code.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { ApiHandler, ApiRequest } from '../../api/http.js';
import { Client } from '../../client/client.js';
import { formatTime } from '../../client/clock.js';
import { inProcessTransport } from '../../client/in-process-transport.js';
import { SharedInformerFactory } from '../../client/informer-factory.js';
import type { Controller } from '../controller.js';
import { ControllerManager } from '../manager.js';
import { startInProcessApi, type InProcessApi } from '../../../test/helpers/in-process.js';

/** Lets a test refuse requests the controllers make: return a status code to fail with. */
export type Interceptor = (req: ApiRequest) => { code: number; reason: string; message: string } | undefined;

export interface Harness {
  api: InProcessApi;
  /** The test's own client (writes as `test`). */
  client: Client;
  /** Replaces the interceptor applied to the controllers' requests. */
  intercept(fn: Interceptor | undefined): void;
  stop(): Promise<void>;
}

/** A client on `handler` whose requests pass through `interceptor()` (re-read on every request). */
export function interceptedClient(handler: ApiHandler, interceptor: () => Interceptor | undefined, fieldManager = 'kube-controller-manager'): Client {
  const wrapped: ApiHandler = async (req) => {
    const refusal = interceptor()?.(req);
    if (!refusal) return handler(req);
    const status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: refusal.message, reason: refusal.reason, code: refusal.code };
    return { status: refusal.code, headers: { 'content-type': 'application/json' }, body: JSON.stringify(status) };
  };
  return new Client({ transport: inProcessTransport(wrapped, { name: 'controller-manager', groups: ['system:masters'] }), fieldManager });
}

/** Starts an API server and a controller manager running `controllers`. */
export async function startHarness(controllers: Controller[], opts: { workers?: number } = {}): Promise<Harness> {
  const api = await startInProcessApi();
  let interceptor: Interceptor | undefined;
  const managerClient = interceptedClient(api.handler, () => interceptor);
  const manager = new ControllerManager({ client: managerClient, controllers, leaderElection: false, workers: opts.workers ?? 5 });
  const ac = new AbortController();
  const running = manager.run(ac.signal);
  return {
    api,
    client: api.client('test'),
    intercept: (fn) => {
      interceptor = fn;
    },
    async stop() {
      ac.abort();
      await running;
      await api.stop();
    },
  };
}

export interface KubeletOptions {
  /** Node names to bind unscheduled pods to, round-robin (the Nodes are created). Empty: never bind. */
  nodes: string[];
  /** Whether a running pod should report Ready (default: all). Evaluated once per pod. */
  ready?: (pod: Pod) => boolean;
  /** Pods to leave Pending and unbound (an unschedulable pod). */
  unschedulable?: (pod: Pod) => boolean;
  /** Finish graceful deletions right away (default true); false leaves pods Terminating. */
  finishDeletions?: boolean;
}

/**
 * Plays scheduler and kubelet for the pods of the cluster until `stop()`: binds, starts (Running,
 * Ready with a lastTransitionTime), and completes deletions. Returns after the cache synced.
 */
export async function startFakeKubelet(client: Client, opts: KubeletOptions): Promise<{ stop(): Promise<void>; setReady(pod: Pod, ready: boolean): Promise<void> }> {
  for (const name of opts.nodes) {
    await client.nodes().create({ apiVersion: 'v1', kind: 'Node', metadata: { name }, status: { conditions: [{ type: 'Ready', status: 'True' }] } }).catch(() => undefined);
  }
  const ac = new AbortController();
  const factory = new SharedInformerFactory(client);
  const pods = factory.pods();
  let next = 0;
  let chain: Promise<void> = Promise.resolve();
  // One step per pod at a time; an event arriving meanwhile re-runs the step on the newest copy.
  const latest = new Map<string, Pod>();
  const inFlight = new Set<string>();
  const work = (pod: Pod) => {
    const uid = pod.metadata?.uid ?? '';
    latest.set(uid, pod);
    if (inFlight.has(uid)) return;
    inFlight.add(uid);
    chain = chain.then(async () => {
      try {
        for (;;) {
          const cur = latest.get(uid)!;
          latest.delete(uid);
          try {
            await step(cur);
          } catch (err) {
            if (process.env.DEBUG_KUBELET) console.error('kubelet step failed', err);
            // The pod changed or went away meanwhile; the next event brings it back.
          }
          if (!latest.has(uid)) break;
        }
      } finally {
        inFlight.delete(uid);
      }
    });
  };
  const setReady = async (pod: Pod, ready: boolean) => {
    const now = formatTime(Date.now());
    await client.pods(pod.metadata!.namespace!).patchStatus(pod.metadata!.name!, 'merge', {
      status: {
        phase: 'Running',
        conditions: [
          { type: 'PodScheduled', status: 'True', lastTransitionTime: now },
          { type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: now },
        ],
        containerStatuses: (pod.spec?.containers ?? []).map((c) => ({ name: c.name, image: c.image ?? '', imageID: '', ready, restartCount: 0, started: true, state: { running: { startedAt: now } } })),
      },
    });
  };
  const step = async (pod: Pod) => {
    const ns = pod.metadata!.namespace!;
    const name = pod.metadata!.name!;
    if (pod.metadata?.deletionTimestamp) {
      if (opts.finishDeletions !== false) await client.pods(ns).delete(name, { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid! } });
      return;
    }
    if (!pod.spec?.nodeName) {
      if (opts.nodes.length === 0 || opts.unschedulable?.(pod)) return;
      await client.pods(ns).bind(name, opts.nodes[next++ % opts.nodes.length]!, { uid: pod.metadata!.uid! });
      return;
    }
    if (pod.status?.phase === 'Pending' || !pod.status?.phase) await setReady(pod, opts.ready ? opts.ready(pod) : true);
  };
  pods.addEventHandler({ onAdd: work, onUpdate: (_o, n) => work(n) });
  factory.start(ac.signal);
  await factory.waitForCacheSync(ac.signal);
  return {
    setReady,
    async stop() {
      ac.abort();
      await factory.shutdown();
      await chain;
    },
  };
}

/** Polls until `check` returns a truthy value, or fails after `timeoutMs` with `what`. */
export async function eventually<T>(check: () => T | Promise<T>, what: string, timeoutMs = 10_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 15));
  }
}

/** Events recorded about `name` in `namespace`, oldest first. */
export async function eventsFor(client: Client, namespace: string, name: string): Promise<Array<{ reason: string; message: string; type: string; count: number }>> {
  const list = await client.events(namespace).list();
  return list.items
    .filter((e) => e.involvedObject?.name === name)
    .sort((a, b) => String(a.firstTimestamp ?? '').localeCompare(String(b.firstTimestamp ?? '')) || String(a.metadata?.name).localeCompare(String(b.metadata?.name)))
    .map((e) => ({ reason: e.reason ?? '', message: e.message ?? '', type: e.type ?? '', count: e.count ?? 1 }));
}

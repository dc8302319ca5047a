/**
 * Test harness for the batch controllers: a real in-process API server, controllers running on a
 * FakeClock as the controller manager would run them, and a stand-in for the node agent that
 * moves pods through their lifecycle via the /status subresource (Running, Succeeded, Failed with
 * exit codes). Nothing the controllers should remove is removed by the harness.
 */
import type { Event, Pod } from 'kubernetes-types/core/v1.js';
import type { Job } from 'kubernetes-types/batch/v1.js';
import { startInProcessApi, waitFor, type InProcessApi } from '../../../../test/helpers/in-process.js';
import type { Client } from '../../../client/client.js';
import { FakeClock, formatTime, realClock } from '../../../client/clock.js';
import { EventRecorder } from '../../../client/event-recorder.js';
import { SharedInformerFactory } from '../../../client/informer-factory.js';
import { silentLogger } from '../../../client/log.js';
import type { Controller, ControllerContext } from '../../controller.js';

export interface ContainerExit {
  name?: string;
  exitCode: number;
  init?: boolean;
}

export interface Harness {
  api: InProcessApi;
  /** A client for the test itself (user, node agent). */
  client: Client;
  clock: FakeClock;
  /** Starts controllers with a fresh informer factory (a controller-manager (re)start). */
  start(controllers: Controller[]): Promise<void>;
  /** Stops the running controllers, draining their work. */
  stopControllers(): Promise<void>;
  stop(): Promise<void>;
  /** Waits (in real time) until `check` returns a truthy value. */
  until<T>(check: () => T | Promise<T>, what?: string, timeoutMs?: number): Promise<NonNullable<T>>;
  /** Moves the fake clock forward by `ms`, firing due requeues. */
  advance(ms: number): Promise<void>;
  /** Pods (of one Job), by creation time then name. */
  pods(namespace: string, jobName?: string): Promise<Pod[]>;
  job(namespace: string, name: string): Promise<Job>;
  events(namespace: string, name?: string): Promise<Event[]>;
  /** Node agent stand-in: the pod runs (and is Ready unless `ready: false`). */
  run(pod: Pod, opts?: { ready?: boolean; restarts?: number }): Promise<Pod>;
  /** Node agent stand-in: all containers exited with `exitCode`; phase Succeeded or Failed. */
  finish(pod: Pod, exitCode: number, opts?: { containers?: ContainerExit[]; conditions?: Array<{ type: string; status: string }> }): Promise<Pod>;
}

export async function startHarness(opts: { startMs?: number } = {}): Promise<Harness> {
  const api = await startInProcessApi();
  const client = api.client('test');
  // Near real time, so server-set timestamps (creation, deletion) and controller time agree.
  const clock = new FakeClock(opts.startMs ?? Math.floor(Date.now() / 1000) * 1000);
  let running: { abort: AbortController; done: Promise<void> } | undefined;

  const harness: Harness = {
    api,
    client,
    clock,
    async start(controllers) {
      if (running) throw new Error('controllers already running');
      const abort = new AbortController();
      const sysClient = api.client('kube-controller-manager');
      // Informers reconnect on real time; the controllers' notion of time is the fake clock.
      const informers = new SharedInformerFactory(sysClient, { clock: realClock });
      const recorders = new Map<string, EventRecorder>();
      const ctx: ControllerContext = {
        client: sysClient,
        informers,
        clock,
        logger: silentLogger,
        workers: 2,
        recorder: (component) => {
          let r = recorders.get(component);
          if (!r) recorders.set(component, (r = new EventRecorder({ client: sysClient, component, clock })));
          return r;
        },
      };
      const runs = controllers.map((c) => c.run(ctx, abort.signal));
      informers.start(abort.signal);
      await informers.waitForCacheSync(abort.signal);
      const done = (async () => {
        await Promise.all(runs);
        await informers.shutdown();
        await Promise.all([...recorders.values()].map((r) => r.shutdown()));
      })();
      running = { abort, done };
    },
    async stopControllers() {
      if (!running) return;
      running.abort.abort();
      await running.done;
      running = undefined;
    },
    async stop() {
      await harness.stopControllers();
      await api.stop();
    },
    until: (check, what = 'condition', timeoutMs = 10_000) => waitFor(check, timeoutMs, what),
    advance: (ms) => clock.advance(ms),
    async pods(namespace, jobName) {
      const list = await client.pods(namespace).list(jobName ? { labelSelector: `batch.kubernetes.io/job-name=${jobName}` } : {});
      const rank = (p: Pod) => `${p.metadata!.creationTimestamp!} ${p.metadata!.name!}`;
      return list.items.sort((a, b) => (rank(a) < rank(b) ? -1 : rank(a) > rank(b) ? 1 : 0));
    },
    job: (namespace, name) => client.jobs(namespace).get(name),
    async events(namespace, name) {
      const list = await client.events(namespace).list();
      return list.items.filter((e) => !name || e.involvedObject.name === name).sort((a, b) => (a.metadata!.resourceVersion! < b.metadata!.resourceVersion! ? -1 : 1));
    },
    async run(pod, o = {}) {
      const now = formatTime(clock.now());
      const fresh = await client.pods(pod.metadata!.namespace!).get(pod.metadata!.name!);
      const ready = o.ready !== false;
      (fresh as { status: Pod['status'] }).status = {
        ...fresh.status,
        phase: 'Running',
        startTime: now,
        conditions: [
          { type: 'Initialized', status: 'True', lastTransitionTime: now },
          { type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: now },
          { type: 'ContainersReady', status: ready ? 'True' : 'False', lastTransitionTime: now },
          { type: 'PodScheduled', status: 'True', lastTransitionTime: now },
        ],
        containerStatuses: (fresh.spec?.containers ?? []).map((c) => ({
          name: c.name,
          image: c.image ?? '',
          imageID: '',
          ready,
          started: true,
          restartCount: o.restarts ?? 0,
          state: { running: { startedAt: now } },
        })),
      };
      return client.pods(fresh.metadata!.namespace!).updateStatus(fresh);
    },
    async finish(pod, exitCode, o = {}) {
      const now = formatTime(clock.now());
      const fresh = await client.pods(pod.metadata!.namespace!).get(pod.metadata!.name!);
      const exits: ContainerExit[] = o.containers ?? (fresh.spec?.containers ?? []).map((c) => ({ name: c.name, exitCode }));
      const terminated = (name: string, code: number) => ({
        name,
        image: '',
        imageID: '',
        ready: false,
        started: false,
        restartCount: 0,
        state: { terminated: { exitCode: code, reason: code === 0 ? 'Completed' : 'Error', startedAt: now, finishedAt: now } },
      });
      const failed = exits.some((e) => e.exitCode !== 0);
      (fresh as { status: Pod['status'] }).status = {
        ...fresh.status,
        phase: failed ? 'Failed' : 'Succeeded',
        conditions: [
          { type: 'Ready', status: 'False', reason: 'PodCompleted', lastTransitionTime: now },
          ...(o.conditions ?? []).map((c) => ({ ...c, lastTransitionTime: now })),
        ],
        containerStatuses: exits.filter((e) => !e.init).map((e) => terminated(e.name ?? fresh.spec!.containers[0]!.name, e.exitCode)),
        ...(exits.some((e) => e.init) ? { initContainerStatuses: exits.filter((e) => e.init).map((e) => terminated(e.name ?? 'init', e.exitCode)) } : {}),
      };
      return client.pods(fresh.metadata!.namespace!).updateStatus(fresh);
    },
  };
  return harness;
}

/** A minimal Job manifest; `spec` fields override the defaults. */
export function newJob(name: string, spec: Partial<NonNullable<Job['spec']>> = {}, namespace = 'default'): Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace },
    spec: {
      template: {
        metadata: { labels: { app: name } },
        spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', 'true'] }] },
      },
      ...spec,
    },
  };
}

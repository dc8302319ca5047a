/**
 * The pod worker state machine with the simulated runtime on a fake clock: restart policies,
 * CrashLoopBackOff timing, init containers in order, graceful deletion confirmed by DELETE,
 * status phases and conditions, and the kubelet events.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { FakeClock } from '../../client/clock.js';
import { silentLogger } from '../../client/log.js';
import { SimulatedRuntime } from '../runtime/simulated-runtime.js';
import { CrashBackoff } from './crash-backoff.js';
import { PodSyncer, SIMULATE_DURATION_ANNOTATION, SIMULATE_EXIT_CODE_ANNOTATION } from './pod-sync.js';
import { PodWorkers } from './pod-workers.js';
import { ProbeManager } from './prober.js';
import type { NodePodStatus } from './pod-status.js';

function harness(opts: { reject?: boolean } = {}) {
  const clock = new FakeClock();
  const runtime = new SimulatedRuntime('test', clock);
  const statuses = new Map<string, NodePodStatus>();
  const events: string[] = [];
  const deleted: string[] = [];
  const box: { workers?: PodWorkers } = {};
  const prober = new ProbeManager({ clock, runtime, events: { unhealthy: () => undefined }, onChange: (uid) => box.workers?.enqueue(uid), podIP: () => '10.0.0.1' });
  const syncer = new PodSyncer({
    nodeName: 'n1',
    runtime,
    clock,
    events: { event: (_pod, fp, type, reason, message) => events.push(`${type} ${reason} ${fp ?? ''} ${message}`) },
    objects: { configMap: async () => undefined, secret: async () => undefined, persistentVolumeClaim: async () => undefined, persistentVolume: async () => undefined },
    nodeConfig: { path: '', images: new Map(), capacity: {} },
    allocatable: {},
    hostIP: '10.0.0.1',
    podsDir: '/nonexistent',
    sandboxesDir: '/nonexistent',
    dataDir: '/nonexistent',
    prober,
    backoff: new CrashBackoff(clock),
    status: { write: async (pod, s) => void statuses.set(pod.metadata!.name!, s) },
    deletePod: async (pod) => void deleted.push(pod.metadata!.name!),
    baseEnv: [],
    logger: silentLogger,
    ...(opts.reject ? { admit: () => ({ reason: 'OutOfcpu', message: "Node didn't have enough resource: cpu, requested: 3000, used: 0, capacity: 2000" }) } : {}),
  });
  const workers = new PodWorkers((uid, pod) => syncer.sync(uid, pod), clock, silentLogger);
  box.workers = workers;
  runtime.onExit((rec) => workers.enqueue(rec.podUid));
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 5; i++) {
      await clock.advance(0);
      await workers.idle();
    }
  };
  const advance = async (ms: number): Promise<void> => {
    await clock.advance(ms);
    await settle();
  };
  return { clock, runtime, statuses, events, deleted, workers, settle, advance };
}

function pod(name: string, spec: Partial<Pod['spec']> = {}, annotations: Record<string, string> = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', uid: `uid-${name}`, annotations },
    spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'busybox' }], ...spec },
  };
}

test('a pod that runs forever goes Running and Ready with the kubelet events', async () => {
  const h = harness();
  h.workers.update(pod('web'));
  await h.settle();
  const s = h.statuses.get('web')!;
  assert.equal(s.phase, 'Running');
  assert.equal(s.containerStatuses![0]!.ready, true);
  assert.equal(s.containerStatuses![0]!.started, true);
  assert.match(s.containerStatuses![0]!.containerID!, /^skiff-simulated:\/\//);
  assert.deepEqual(
    s.conditions!.map((c) => `${c.type}=${c.status}`),
    ['PodReadyToStartContainers=True', 'Initialized=True', 'ContainersReady=True', 'Ready=True'],
  );
  assert.deepEqual(h.events, [
    'Normal Pulled spec.containers{c} Container image "busybox" already present on machine',
    'Normal Created spec.containers{c} Created container: c',
    'Normal Started spec.containers{c} Started container c',
  ]);
});

test('restartPolicy Never: exit 0 → Succeeded (Completed); exit 3 → Failed (Error), no restart', async () => {
  const h = harness();
  h.workers.update(pod('ok', { restartPolicy: 'Never' }, { [SIMULATE_DURATION_ANNOTATION]: '1s' }));
  h.workers.update(pod('bad', { restartPolicy: 'Never' }, { [SIMULATE_DURATION_ANNOTATION]: '1s', [SIMULATE_EXIT_CODE_ANNOTATION]: '3' }));
  await h.settle();
  assert.equal(h.statuses.get('ok')!.phase, 'Running');
  await h.advance(1000);
  const ok = h.statuses.get('ok')!;
  assert.equal(ok.phase, 'Succeeded');
  assert.equal(ok.containerStatuses![0]!.state!.terminated!.reason, 'Completed');
  assert.equal(ok.conditions!.find((c) => c.type === 'Ready')!.reason, 'PodCompleted');
  const bad = h.statuses.get('bad')!;
  assert.equal(bad.phase, 'Failed');
  assert.equal(bad.containerStatuses![0]!.state!.terminated!.exitCode, 3);
  assert.equal(bad.containerStatuses![0]!.state!.terminated!.reason, 'Error');
  await h.advance(60_000);
  assert.equal(h.runtime.containers('uid-bad').length, 1, 'never restarted');
});

test('restartPolicy OnFailure: success ends the pod, failure restarts it', async () => {
  const h = harness();
  h.workers.update(pod('job', { restartPolicy: 'OnFailure' }, { [SIMULATE_DURATION_ANNOTATION]: '1s', [SIMULATE_EXIT_CODE_ANNOTATION]: '1' }));
  await h.settle();
  await h.advance(1000);
  const s = h.statuses.get('job')!;
  assert.equal(s.phase, 'Running');
  assert.equal(s.containerStatuses![0]!.restartCount, 1, 'first restart is immediate');
  assert.equal(s.containerStatuses![0]!.lastState!.terminated!.exitCode, 1);
});

test('CrashLoopBackOff: restarts at once, then after 10 s, 20 s, 40 s; waiting message and BackOff event as kubelet words them', async () => {
  const h = harness();
  h.workers.update(pod('crash', {}, { [SIMULATE_DURATION_ANNOTATION]: '100ms', [SIMULATE_EXIT_CODE_ANNOTATION]: '1' }));
  await h.settle();
  const restarts = (): number => h.statuses.get('crash')!.containerStatuses![0]!.restartCount;
  await h.advance(100); // exit 1 → immediate restart
  assert.equal(restarts(), 1);
  await h.advance(100); // exit again → back-off 10 s
  const st = h.statuses.get('crash')!.containerStatuses![0]!;
  assert.equal(st.state!.waiting!.reason, 'CrashLoopBackOff');
  assert.equal(st.state!.waiting!.message, 'back-off 10s restarting failed container=c pod=crash_default(uid-crash)');
  assert.equal(st.lastState!.terminated!.reason, 'Error');
  assert.ok(h.events.includes('Warning BackOff spec.containers{c} Back-off restarting failed container c in pod crash_default(uid-crash)'));
  await h.advance(9_800);
  assert.equal(restarts(), 1, 'still backing off before 10 s');
  await h.advance(200);
  assert.equal(restarts(), 2, 'restarted after 10 s');
  await h.advance(100); // crash → 20 s
  await h.advance(19_800);
  assert.equal(restarts(), 2);
  await h.advance(200);
  assert.equal(restarts(), 3);
  await h.advance(100);
  assert.match(h.statuses.get('crash')!.containerStatuses![0]!.state!.waiting!.message!, /^back-off 40s /);
  assert.equal(h.statuses.get('crash')!.phase, 'Running', 'a crash-looping Always pod stays Running');
});

test('init containers run in order before the app containers; Initialized explains what is pending', async () => {
  const h = harness();
  const p = pod('init', { initContainers: [{ name: 'i1', image: 'busybox' }, { name: 'i2', image: 'busybox' }] }, {});
  h.workers.update(p);
  await h.settle();
  // Simulated init containers complete at once (duration 0), one after the other.
  await h.advance(0);
  await h.advance(0);
  const s = h.statuses.get('init')!;
  assert.deepEqual(s.initContainerStatuses!.map((c) => c.state!.terminated?.reason), ['Completed', 'Completed']);
  assert.equal(s.phase, 'Running');
  const order = h.events.filter((e) => e.includes('Started')).map((e) => e.split(' ')[2]);
  assert.deepEqual(order, ['spec.initContainers{i1}', 'spec.initContainers{i2}', 'spec.containers{c}']);
});

test('a failing init container with restartPolicy Never fails the pod; app containers never start', async () => {
  const h = harness();
  const p = pod('initfail', { restartPolicy: 'Never', initContainers: [{ name: 'i1', image: 'busybox' }] }, { [SIMULATE_DURATION_ANNOTATION]: '1s', [SIMULATE_EXIT_CODE_ANNOTATION]: '2' });
  h.workers.update(p);
  await h.settle();
  const pending = h.statuses.get('initfail')!;
  assert.equal(pending.phase, 'Pending');
  assert.equal(pending.conditions!.find((c) => c.type === 'Initialized')!.message, 'containers with incomplete status: [i1]');
  assert.equal(pending.containerStatuses![0]!.state!.waiting!.reason, 'PodInitializing');
  await h.advance(1000);
  assert.equal(h.statuses.get('initfail')!.phase, 'Failed');
  assert.equal(h.runtime.containers('uid-initfail').filter((r) => r.name === 'c').length, 0);
});

test('graceful deletion: containers are stopped with Killing events, a terminal status is written, then the pod is deleted; removal cleans up', async () => {
  const h = harness();
  const p = pod('gone');
  h.workers.update(p);
  await h.settle();
  h.workers.update({ ...p, metadata: { ...p.metadata, deletionTimestamp: '2024-01-01T00:00:30Z', deletionGracePeriodSeconds: 30 } });
  await h.settle();
  assert.ok(h.events.includes('Normal Killing spec.containers{c} Stopping container c'));
  assert.deepEqual(h.deleted, ['gone']);
  const s = h.statuses.get('gone')!;
  assert.equal(s.phase, 'Failed', 'killed by SIGTERM (143) as kubelet reports a deleted Always pod');
  assert.equal(s.containerStatuses![0]!.state!.terminated!.exitCode, 143);
  h.workers.remove('uid-gone');
  await h.settle();
  assert.deepEqual(h.runtime.podUids(), []);
  assert.deepEqual(h.workers.uids(), []);
});

test('activeDeadlineSeconds ends the pod with DeadlineExceeded', async () => {
  const h = harness();
  const p: Pod = { ...pod('deadline', { activeDeadlineSeconds: 5 }), status: { startTime: new Date(h.clock.now()).toISOString() } };
  h.workers.update(p);
  await h.settle();
  assert.equal(h.statuses.get('deadline')!.phase, 'Running');
  await h.advance(5000);
  assert.ok(h.events.some((e) => e.includes('DeadlineExceeded')));
  assert.equal(h.statuses.get('deadline')!.containerStatuses![0]!.state!.terminated!.exitCode, 143);
});

test('a pod the node cannot admit is Failed with kubelet\'s reason and message, and never started', async () => {
  const h = harness({ reject: true });
  h.workers.update(pod('big'));
  await h.settle();
  const s = h.statuses.get('big')!;
  assert.equal(s.phase, 'Failed');
  assert.equal(s.reason, 'OutOfcpu');
  assert.equal(s.message, "Pod was rejected: Node didn't have enough resource: cpu, requested: 3000, used: 0, capacity: 2000");
  assert.deepEqual(h.runtime.containers('uid-big'), []);
  assert.ok(h.events.includes("Warning OutOfcpu  Node didn't have enough resource: cpu, requested: 3000, used: 0, capacity: 2000"));
});

/**
 * The DaemonSet sync's decisions as pure functions: manage (create/delete per node), the rolling
 * update budgets, status counts, node fit and the daemon pod's shape.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { Node, Pod, Taint } from 'kubernetes-types/core/v1.js';
import { FakeClock } from '../../client/clock.js';
import { computeDaemonCounts, groupByNode, planManage, planRollingUpdate, type PlanInput } from './daemon-plan.js';
import { daemonNodeFitter, daemonPodTemplate, DAEMONSET_REVISION_HASH_LABEL, pinToNode, targetNodeName } from './daemon-pod.js';
import { FailedPodsBackoff } from './failed-pods-backoff.js';
import { scaledValue } from './update-budget.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');

function ds(spec: Partial<NonNullable<DaemonSet['spec']>> = {}): DaemonSet {
  return {
    metadata: { name: 'agent', namespace: 'default', uid: 'ds-uid', generation: 1 },
    spec: {
      selector: { matchLabels: { app: 'agent' } },
      template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'c', image: 'i' }] } },
      ...spec,
    },
  };
}

function node(name: string, labels: Record<string, string> = {}, taints?: Taint[]): Node {
  return { metadata: { name, labels }, spec: taints ? { taints } : {} };
}

let seq = 0;
function pod(nodeName: string, opts: { hash?: string; phase?: string; ready?: boolean; createdMs?: number; bound?: boolean; deleting?: boolean; readySinceMs?: number } = {}): Pod {
  const name = `agent-${++seq}`;
  const ready = opts.ready ?? true;
  return {
    metadata: {
      name,
      namespace: 'default',
      uid: `uid-${name}`,
      labels: { app: 'agent', [DAEMONSET_REVISION_HASH_LABEL]: opts.hash ?? 'new' },
      creationTimestamp: new Date(opts.createdMs ?? T0).toISOString(),
      ...(opts.deleting ? { deletionTimestamp: new Date(T0).toISOString() } : {}),
    },
    spec: { containers: [], ...(opts.bound === false ? {} : { nodeName }), affinity: pinToNode(undefined, nodeName) },
    status: { phase: opts.phase ?? 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: new Date(opts.readySinceMs ?? T0 - 60_000).toISOString() }] },
  };
}

function input(d: DaemonSet, nodes: Node[], pods: Pod[], hash = 'new'): PlanInput {
  return { ds: d, nodes, nodeToPods: groupByNode(pods, targetNodeName, false), hash, generation: undefined, fit: daemonNodeFitter(d), nowMs: T0 };
}

const names = (pods: Pod[]) => pods.map((p) => p.metadata!.name).sort();

test('manage: creates on fitting nodes without a pod, leaves healthy nodes alone', () => {
  const d = ds();
  const p1 = pod('n1');
  const plan = planManage(input(d, [node('n1'), node('n2'), node('n3', {}, [{ key: 'k', effect: 'NoSchedule' }])], [p1]), new FailedPodsBackoff(new FakeClock(T0)));
  assert.deepEqual(plan.createOn, ['n2']);
  assert.deepEqual(plan.deletePods, []);
});

test('manage: failed pods are deleted once per back-off window per node', async () => {
  const clock = new FakeClock(T0);
  const backoff = new FailedPodsBackoff(clock);
  const d = ds();
  const failed = pod('n1', { phase: 'Failed' });
  const first = planManage(input(d, [node('n1')], [failed]), backoff);
  assert.deepEqual(names(first.deletePods), [failed.metadata!.name]);
  assert.equal(first.events[0]?.reason, 'FailedDaemonPod');
  assert.equal(first.events[0]?.type, 'Warning');
  const again = pod('n1', { phase: 'Failed' });
  await clock.advance(400);
  const held = planManage(input(d, [node('n1')], [again]), backoff);
  assert.deepEqual(held.deletePods, []);
  assert.equal(held.requeueAfterMs, 600);
  await clock.advance(700);
  const next = planManage(input(d, [node('n1')], [again]), backoff);
  assert.deepEqual(names(next.deletePods), [again.metadata!.name]);
  // The window doubled: 2 s now.
  assert.equal(backoff.get('ds-uid/0/n1'), 2000);
});

test('manage: succeeded pods go with a Normal event; duplicates keep the oldest, scheduled first', () => {
  const d = ds();
  const done = pod('n1', { phase: 'Succeeded' });
  const plan = planManage(input(d, [node('n1')], [done]), new FailedPodsBackoff(new FakeClock(T0)));
  assert.equal(plan.events[0]?.reason, 'SucceededDaemonPod');
  assert.equal(plan.events[0]?.type, 'Normal');
  assert.deepEqual(names(plan.deletePods), [done.metadata!.name]);

  const older = pod('n2', { createdMs: T0 - 1000 });
  const newer = pod('n2', { createdMs: T0 });
  const unbound = pod('n2', { createdMs: T0 - 5000, bound: false });
  const dup = planManage(input(d, [node('n2')], [newer, unbound, older]), new FailedPodsBackoff(new FakeClock(T0)));
  assert.deepEqual(names(dup.deletePods), names([newer, unbound]));
  assert.deepEqual(dup.createOn, []);
});

test('manage: NoSchedule keeps a running pod, NoExecute evicts it, unscheduled pods of missing nodes go', () => {
  const d = ds();
  const stays = pod('n1');
  const evicted = pod('n2');
  const orphanedUnbound = pod('gone', { bound: false });
  const orphanedBound = pod('gone2');
  const plan = planManage(
    input(d, [node('n1', {}, [{ key: 'a', effect: 'NoSchedule' }]), node('n2', {}, [{ key: 'b', effect: 'NoExecute' }])], [stays, evicted, orphanedUnbound, orphanedBound]),
    new FailedPodsBackoff(new FakeClock(T0)),
  );
  assert.deepEqual(names(plan.deletePods), names([evicted, orphanedUnbound]));
  assert.deepEqual(plan.createOn, []);
});

test('manage with surge: old and new pod coexist until the new one is available', () => {
  const d = ds({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } } });
  const old = pod('n1', { hash: 'old', createdMs: T0 - 10_000 });
  const fresh = pod('n1', { hash: 'new', ready: false });
  const wait = planManage(input(d, [node('n1')], [old, fresh]), new FailedPodsBackoff(new FakeClock(T0)));
  assert.deepEqual(wait.deletePods, []);
  const ready = pod('n1', { hash: 'new', ready: true });
  const swap = planManage(input(d, [node('n1')], [old, ready]), new FailedPodsBackoff(new FakeClock(T0)));
  assert.deepEqual(names(swap.deletePods), [old.metadata!.name]);
});

test('rolling update without surge: deletes within maxUnavailable, replaces unavailable old pods for free', () => {
  const nodes = [node('a'), node('b'), node('c'), node('d')];
  const d = ds({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } } });
  const pods = nodes.map((n) => pod(n.metadata!.name!, { hash: 'old' }));
  assert.deepEqual(names(planRollingUpdate(input(d, nodes, pods)).deletePods), [pods[0]!.metadata!.name]);
  // One node already updating (new pod not ready): the budget is used up.
  const busy = [pod('a', { hash: 'new', ready: false }), ...pods.slice(1)];
  assert.deepEqual(planRollingUpdate(input(d, nodes, busy)).deletePods, []);
  // An old pod that is not ready is replaced regardless of the budget.
  const broken = [pod('a', { hash: 'new', ready: false }), pod('b', { hash: 'old', ready: false }), ...pods.slice(2)];
  assert.deepEqual(names(planRollingUpdate(input(d, nodes, broken)).deletePods), [broken[1]!.metadata!.name]);
  // 50% of 4 nodes: two at a time.
  const half = ds({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '50%' } } });
  assert.equal(planRollingUpdate(input(half, nodes, pods)).deletePods.length, 2);
});

test('rolling update with surge: creates next to old pods, up to maxSurge nodes', () => {
  const nodes = [node('a'), node('b'), node('c')];
  const d = ds({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } } });
  const pods = nodes.map((n) => pod(n.metadata!.name!, { hash: 'old' }));
  const plan = planRollingUpdate(input(d, nodes, pods));
  assert.deepEqual(plan.createOn, ['a']);
  assert.deepEqual(plan.deletePods, []);
  const surged = [...pods, pod('a', { hash: 'new', ready: false })];
  assert.deepEqual(planRollingUpdate(input(d, nodes, surged)).createOn, []);
  const available = [...pods, pod('a', { hash: 'new' })];
  const next = planRollingUpdate(input(d, nodes, available));
  assert.deepEqual(names(next.deletePods), [pods[0]!.metadata!.name]);
  assert.deepEqual(next.createOn, ['b']);
});

test('status counts: desired, current, ready, available (minReadySeconds), updated, misscheduled', () => {
  const d = ds({ minReadySeconds: 30, template: { metadata: { labels: { app: 'agent' } }, spec: { nodeSelector: { role: 'edge' }, containers: [{ name: 'c', image: 'i' }] } } });
  const nodes = [node('a', { role: 'edge' }), node('b', { role: 'edge' }), node('c', { role: 'edge' }), node('x')];
  const pods = [pod('a', { hash: 'new' }), pod('b', { hash: 'old', readySinceMs: T0 - 5_000 }), pod('x')];
  assert.deepEqual(computeDaemonCounts(input(d, nodes, pods)), {
    desiredNumberScheduled: 3,
    currentNumberScheduled: 2,
    numberMisscheduled: 1,
    numberReady: 2,
    numberAvailable: 1,
    numberUnavailable: 2,
    updatedNumberScheduled: 1,
  });
});

test('node fit: nodeName, affinity terms, hostNetwork toleration, cordon', () => {
  const pinned = daemonNodeFitter(ds({ template: { metadata: { labels: { app: 'agent' } }, spec: { nodeName: 'a', containers: [] } } }));
  assert.equal(pinned(node('b')).shouldRun, false);
  assert.equal(pinned(node('a')).shouldRun, true);
  const gt = daemonNodeFitter(ds({ template: { metadata: { labels: { app: 'agent' } }, spec: { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'cores', operator: 'Gt', values: ['4'] }] }, { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['special'] }] }] } } }, containers: [] } } }));
  assert.equal(gt(node('a', { cores: '8' })).shouldRun, true);
  assert.equal(gt(node('a', { cores: '4' })).shouldRun, false);
  assert.equal(gt(node('a', { cores: 'many' })).shouldRun, false);
  assert.equal(gt(node('special')).shouldRun, true);
  const net: Taint = { key: 'node.kubernetes.io/network-unavailable', effect: 'NoSchedule' };
  assert.equal(daemonNodeFitter(ds())(node('a', {}, [net])).shouldRun, false);
  const hostNet = ds({ template: { metadata: { labels: { app: 'agent' } }, spec: { hostNetwork: true, containers: [] } } });
  assert.equal(daemonNodeFitter(hostNet)(node('a', {}, [net])).shouldRun, true);
  const cordon: Taint = { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' };
  assert.deepEqual(daemonNodeFitter(ds())(node('a', {}, [cordon])), { shouldRun: true, shouldContinueRunning: true });
});

test('daemon pod template: tolerations replace same-identity ones, labels added, affinity pinned', () => {
  const t = daemonPodTemplate(
    { metadata: { labels: { app: 'agent' } }, spec: { containers: [], tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 }, { key: 'x', operator: 'Exists' }] } },
    3,
    'abc',
  );
  assert.deepEqual(t.metadata?.labels, { app: 'agent', 'pod-template-generation': '3', 'controller-revision-hash': 'abc' });
  const notReady = t.spec!.tolerations!.filter((x) => x.key === 'node.kubernetes.io/not-ready');
  assert.deepEqual(notReady, [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' }]);
  assert.ok(t.spec!.tolerations!.some((x) => x.key === 'x'));
  const a = pinToNode({ nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'role', operator: 'In', values: ['edge'] }] }] }, preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, preference: { matchExpressions: [{ key: 'z', operator: 'Exists' }] } }] } }, 'n7');
  assert.deepEqual(a.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution, { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n7'] }] }] });
  assert.equal(a.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution?.length, 1);
  assert.equal(targetNodeName({ spec: { containers: [], affinity: a } }), 'n7');
});

test('percentages round up; integers pass through', () => {
  assert.equal(scaledValue('10%', 3, true), 1);
  assert.equal(scaledValue('34%', 3, true), 2);
  assert.equal(scaledValue('34%', 3, false), 1);
  assert.equal(scaledValue(2, 100, true), 2);
  assert.throws(() => scaledValue('abc', 3, true));
});

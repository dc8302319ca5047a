/**
 * The scheduler against a real in-process API server: pods get bound, spread, and unschedulable
 * pods get Kubernetes' exact FailedScheduling message and PodScheduled condition, then schedule
 * when the cluster changes.
 */
import { test, describe, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import type { Event, Pod } from 'kubernetes-types/core/v1.js';
import { startInProcessApi, waitFor, type InProcessApi } from '../../test/helpers/in-process.js';
import type { Client } from '../client/client.js';
import { Scheduler } from './scheduler.js';
import { makeNode, makePod } from './testing.js';

const PREEMPTION_NOT_HELPFUL = (n: number) => `preemption: 0/${n} nodes are available: ${n} Preemption is not helpful for scheduling.`;

describe('scheduler (in-process API server)', () => {
  let api: InProcessApi;
  let client: Client;
  let stop: AbortController;
  let running: Promise<void>;
  let scheduler: Scheduler;

  beforeEach(async () => {
    api = await startInProcessApi();
    client = api.client('test');
    stop = new AbortController();
    scheduler = new Scheduler({ client: api.client('default-scheduler'), queue: { podInitialBackoffMs: 50, podMaxBackoffMs: 200 } });
    running = scheduler.run(stop.signal);
  });

  afterEach(async () => {
    stop.abort();
    await running;
    await api.stop();
  });

  const pod = (name: string) => client.pods('default').get(name);
  const boundTo = async (name: string) => (await pod(name)).spec?.nodeName;
  const events = async (name: string, reason: string): Promise<Event[]> =>
    (await client.events('default').list()).items.filter((e) => e.involvedObject.name === name && e.reason === reason);
  const failedScheduling = async (name: string): Promise<string> => {
    const evs = await waitFor(async () => {
      const e = await events(name, 'FailedScheduling');
      return e.length ? e : undefined;
    }, 10_000, `FailedScheduling event for ${name}`);
    return evs[evs.length - 1]?.message ?? '';
  };
  const podScheduledCondition = async (name: string) =>
    waitFor(async () => (await pod(name)).status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False'), 10_000, `PodScheduled=False on ${name}`);

  test('binds pending pods, spreads a ReplicaSet over the nodes, records Scheduled', async () => {
    for (const n of ['node-a', 'node-b', 'node-c']) await client.nodes().create(makeNode(n));
    const owner = { kind: 'ReplicaSet', name: 'web-5d4f', uid: '11111111-2222-3333-4444-555555555555' };
    for (let i = 0; i < 6; i++) await client.pods('default').create(makePod(`web-${i}`, { cpu: '100m', memory: '64Mi', owner }));
    const placed = await waitFor(async () => {
      const pods = (await client.pods('default').list()).items;
      return pods.every((p) => p.spec?.nodeName) ? pods : undefined;
    }, 10_000, 'all pods bound');
    const perNode = new Map<string, number>();
    for (const p of placed) perNode.set(p.spec!.nodeName!, (perNode.get(p.spec!.nodeName!) ?? 0) + 1);
    assert.deepEqual([...perNode.values()].sort(), [2, 2, 2], `spread: ${JSON.stringify([...perNode])}`);
    for (const p of placed) {
      assert.equal(p.status?.conditions?.find((c) => c.type === 'PodScheduled')?.status, 'True');
    }
    const scheduled = await waitFor(async () => (await events('web-0', 'Scheduled'))[0], 10_000, 'Scheduled event');
    assert.equal(scheduled.message, `Successfully assigned default/web-0 to ${placed.find((p) => p.metadata?.name === 'web-0')!.spec!.nodeName}`);
    assert.equal(scheduled.source?.component, 'default-scheduler');
    assert.equal(scheduled.type, 'Normal');
  });

  test('Insufficient cpu: exact message, PodScheduled=False Unschedulable; schedules when a big node joins', async () => {
    for (const n of ['node-a', 'node-b', 'node-c']) await client.nodes().create(makeNode(n, { cpu: '4' }));
    await client.pods('default').create(makePod('big', { cpu: '64' }));
    const expected = `0/3 nodes are available: 3 Insufficient cpu. ${PREEMPTION_NOT_HELPFUL(3)}`;
    assert.equal(await failedScheduling('big'), expected);
    const cond = await podScheduledCondition('big');
    assert.equal(cond.reason, 'Unschedulable');
    assert.equal(cond.message, expected);
    assert.equal((await pod('big')).status?.phase, 'Pending');
    await client.nodes().create(makeNode('node-huge', { cpu: '96' }));
    assert.equal(await waitFor(() => boundTo('big'), 10_000, 'big bound'), 'node-huge');
  });

  test('node selector mismatch, then labelling a node binds the pod to it', async () => {
    for (const n of ['node-a', 'node-b', 'node-c']) await client.nodes().create(makeNode(n));
    await client.pods('default').create(makePod('ssd', { spec: { nodeSelector: { disktype: 'ssd' } } }));
    assert.equal(await failedScheduling('ssd'), `0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. ${PREEMPTION_NOT_HELPFUL(3)}`);
    await client.nodes().patch('node-b', 'merge', { metadata: { labels: { disktype: 'ssd' } } });
    assert.equal(await waitFor(() => boundTo('ssd'), 10_000, 'ssd bound'), 'node-b');
  });

  test('untolerated taint; a tolerating pod may land on the tainted node', async () => {
    const taint = { key: 'gpu', value: 'true', effect: 'NoSchedule' };
    for (const n of ['node-a', 'node-b', 'node-c']) await client.nodes().create(makeNode(n, { taints: [taint] }));
    await client.pods('default').create(makePod('plain'));
    assert.equal(await failedScheduling('plain'), `0/3 nodes are available: 3 node(s) had untolerated taint {gpu: true}. ${PREEMPTION_NOT_HELPFUL(3)}`);
    await client.pods('default').create(makePod('tolerant', { spec: { tolerations: [{ key: 'gpu', operator: 'Exists', effect: 'NoSchedule' }] } }));
    assert.ok(await waitFor(() => boundTo('tolerant'), 10_000, 'tolerant bound'));
  });

  test('cordoned nodes: "were unschedulable"; mixed reasons are counted and sorted as Kubernetes does', async () => {
    await client.nodes().create(makeNode('node-a', { unschedulable: true }));
    await client.nodes().create(makeNode('node-b', { cpu: '1' }));
    await client.nodes().create(makeNode('node-c', { cpu: '1' }));
    await client.pods('default').create(makePod('filler-b', { spec: { nodeName: 'node-b' }, cpu: '800m' }));
    await client.pods('default').create(makePod('filler-c', { spec: { nodeName: 'node-c' }, cpu: '800m' }));
    await client.pods('default').create(makePod('wants-half', { cpu: '500m' }));
    assert.equal(
      await failedScheduling('wants-half'),
      '0/3 nodes are available: 1 node(s) were unschedulable, 2 Insufficient cpu. ' +
        'preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.',
    );
    // Deleting a bound pod frees its cpu: the pending pod is retried and bound there.
    await client.pods('default').delete('filler-c', { gracePeriodSeconds: 0 });
    assert.equal(await waitFor(() => boundTo('wants-half'), 10_000, 'bound after delete'), 'node-c');
  });

  test('all nodes cordoned', async () => {
    for (const n of ['node-a', 'node-b', 'node-c']) await client.nodes().create(makeNode(n, { unschedulable: true }));
    await client.pods('default').create(makePod('cordoned'));
    assert.equal(await failedScheduling('cordoned'), `0/3 nodes are available: 3 node(s) were unschedulable. ${PREEMPTION_NOT_HELPFUL(3)}`);
    await client.nodes().patch('node-c', 'merge', { spec: { unschedulable: null } });
    assert.equal(await waitFor(() => boundTo('cordoned'), 10_000, 'bound after uncordon'), 'node-c');
  });

  test('no nodes at all', async () => {
    await client.pods('default').create(makePod('lonely'));
    assert.equal(await failedScheduling('lonely'), 'no nodes available to schedule pods');
    await client.nodes().create(makeNode('node-a'));
    assert.equal(await waitFor(() => boundTo('lonely'), 10_000, 'bound after a node joins'), 'node-a');
  });

  test('DaemonSet-style pod pinned by matchFields metadata.name', async () => {
    for (const n of ['node-a', 'node-b']) await client.nodes().create(makeNode(n, { pods: '1' }));
    await client.pods('default').create(makePod('occupant', { spec: { nodeName: 'node-b' } }));
    const pinned = (name: string, node: string): Pod =>
      makePod(name, {
        spec: {
          affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [node] }] }] } } },
          tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }],
        },
      });
    await client.pods('default').create(pinned('ds-a', 'node-a'));
    assert.equal(await waitFor(() => boundTo('ds-a'), 10_000, 'ds-a bound'), 'node-a');
    await client.pods('default').create(pinned('ds-b', 'node-b'));
    assert.equal(
      await failedScheduling('ds-b'),
      "0/2 nodes are available: 1 Too many pods, 1 node(s) didn't satisfy plugin(s) [NodeAffinity]. " +
        'preemption: 0/2 nodes are available: 1 No preemption victims found for incoming pod, 1 Preemption is not helpful for scheduling.',
    );
  });

  test('scheduling gates hold a pod until removed', async () => {
    await client.nodes().create(makeNode('node-a'));
    await client.pods('default').create(makePod('gated', { spec: { schedulingGates: [{ name: 'example.com/wait' }] } }));
    await waitFor(() => scheduler.queueStats().gated === 1, 5_000, 'pod gated in the queue');
    assert.equal(await boundTo('gated'), undefined);
    const gatedCond = (await pod('gated')).status?.conditions?.find((c) => c.type === 'PodScheduled');
    assert.deepEqual(
      { status: gatedCond?.status, reason: gatedCond?.reason, message: gatedCond?.message },
      { status: 'False', reason: 'SchedulingGated', message: 'Scheduling is blocked due to non-empty scheduling gates' },
    );
    assert.equal((await events('gated', 'FailedScheduling')).length, 0, 'gated pods are not attempted');
    await client.pods('default').patch('gated', 'json', [{ op: 'remove', path: '/spec/schedulingGates' }]);
    assert.equal(await waitFor(() => boundTo('gated'), 10_000, 'bound after the gate is removed'), 'node-a');
    const scheduled = (await pod('gated')).status?.conditions?.filter((c) => c.type === 'PodScheduled');
    assert.deepEqual(scheduled?.map((c) => c.status), ['True']);
  });

  test('host ports conflict on a node', async () => {
    await client.nodes().create(makeNode('node-a'));
    const withPort = (name: string) => makePod(name, { spec: { containers: [{ name: 'web', image: 'nginx', ports: [{ containerPort: 80, hostPort: 8080 }] }] } });
    await client.pods('default').create(withPort('port-1'));
    assert.equal(await waitFor(() => boundTo('port-1'), 10_000, 'port-1 bound'), 'node-a');
    await client.pods('default').create(withPort('port-2'));
    assert.equal(
      await failedScheduling('port-2'),
      "0/1 nodes are available: 1 node(s) didn't have free ports for the requested pod ports. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.",
    );
  });

  test('preemption: a higher-priority pod evicts a lower-priority one and takes its place', async () => {
    await client.nodes().create(makeNode('node-a', { cpu: '1' }));
    await client.pods('default').create(makePod('low', { cpu: '800m', spec: { priority: 10 } }));
    assert.equal(await waitFor(() => boundTo('low'), 10_000, 'low bound'), 'node-a');
    await client.pods('default').create(makePod('high', { cpu: '800m', spec: { priority: 1000 } }));
    // The victim gets DisruptionTarget and is deleted; with no kubelet it stays Terminating, so
    // play the kubelet and finish the deletion.
    const victim = await waitFor(async () => {
      const p = await pod('low');
      return p.metadata?.deletionTimestamp ? p : undefined;
    }, 10_000, 'low being deleted');
    assert.equal(victim.status?.conditions?.find((c) => c.type === 'DisruptionTarget')?.reason, 'PreemptionByScheduler');
    assert.equal((await pod('high')).status?.nominatedNodeName, 'node-a');
    await client.pods('default').delete('low', { gracePeriodSeconds: 0 });
    assert.equal(await waitFor(() => boundTo('high'), 10_000, 'high bound'), 'node-a');
    const preempted = await waitFor(async () => (await events('low', 'Preempted'))[0], 10_000, 'Preempted event');
    assert.match(preempted.message ?? '', /^Preempted by pod [0-9a-f-]+ on node node-a$/);
  });

  test('pods of another scheduler and pods being deleted are left alone', async () => {
    await client.nodes().create(makeNode('node-a'));
    await client.pods('default').create(makePod('other', { spec: { schedulerName: 'my-scheduler' } }));
    await client.pods('default').create(makePod('mine'));
    assert.equal(await waitFor(() => boundTo('mine'), 10_000, 'mine bound'), 'node-a');
    assert.equal(await boundTo('other'), undefined);
    assert.equal((await events('other', 'FailedScheduling')).length, 0);
  });
  test('volumes: a bound claim pins the pod to its volume\u2019s node or zone; unbound claims wait or restrict as Kubernetes does', async () => {
    await client.nodes().create(makeNode('node-a', { labels: { 'topology.kubernetes.io/zone': 'z1' } }));
    await client.nodes().create(makeNode('node-b', { labels: { 'topology.kubernetes.io/zone': 'z2' } }));
    await client.nodes().create(makeNode('node-c', { labels: { 'topology.kubernetes.io/zone': 'z1' } }));
    const pv = (name: string, o: { host?: string; zone?: string }) =>
      client.persistentVolumes().create({
        apiVersion: 'v1',
        kind: 'PersistentVolume',
        metadata: { name, ...(o.zone ? { labels: { 'topology.kubernetes.io/zone': o.zone } } : {}) },
        spec: {
          capacity: { storage: '1Gi' },
          accessModes: ['ReadWriteOnce'],
          hostPath: { path: '/tmp' },
          ...(o.host ? { nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [o.host] }] }] } } } : {}),
        },
      });
    const claim = (name: string, o: { volume?: string; storageClassName?: string } = {}) =>
      client.persistentVolumeClaims('default').create({
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: { name },
        spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, ...(o.volume ? { volumeName: o.volume } : {}), ...(o.storageClassName !== undefined ? { storageClassName: o.storageClassName } : {}) },
      });
    const withClaim = (name: string, claimName: string) => makePod(name, { spec: { volumes: [{ name: 'data', persistentVolumeClaim: { claimName } }] } });

    // Bound to a volume on node-b: every pod of the claim goes there.
    await pv('pv-b', { host: 'node-b' });
    await claim('data-b', { volume: 'pv-b' });
    for (const n of ['b-0', 'b-1', 'b-2']) await client.pods('default').create(withClaim(n, 'data-b'));
    for (const n of ['b-0', 'b-1', 'b-2']) assert.equal(await waitFor(() => boundTo(n), 10_000, `${n} bound`), 'node-b');
    // A zone-labelled volume: only nodes of its zone.
    await pv('pv-z2', { zone: 'z2' });
    await claim('data-z', { volume: 'pv-z2' });
    await client.pods('default').create(withClaim('z-0', 'data-z'));
    assert.equal(await waitFor(() => boundTo('z-0'), 10_000, 'z-0 bound'), 'node-b');
    // Unbound, default class (WaitForFirstConsumer): schedules anywhere.
    await claim('fresh');
    await client.pods('default').create(withClaim('fresh-0', 'fresh'));
    assert.ok(await waitFor(() => boundTo('fresh-0'), 10_000, 'fresh-0 bound'));

    // A volume pinned to a node that does not exist: no node fits, in Kubernetes' words.
    await pv('pv-gone', { host: 'node-x' });
    await claim('data-gone', { volume: 'pv-gone' });
    await client.pods('default').create(withClaim('stuck', 'data-gone'));
    assert.equal(await failedScheduling('stuck'), `0/3 nodes are available: 3 node(s) had volume node affinity conflict. ${PREEMPTION_NOT_HELPFUL(3)}`);
    assert.equal((await podScheduledCondition('stuck')).reason, 'Unschedulable');
    // Claims that are missing, or unbound with Immediate binding ("" = no class), stop the pod before any node is looked at.
    await client.pods('default').create(withClaim('no-claim', 'nope'));
    assert.equal(await failedScheduling('no-claim'), `0/3 nodes are available: persistentvolumeclaim "nope" not found. ${PREEMPTION_NOT_HELPFUL(3)}`);
    await claim('static', { storageClassName: '' });
    await client.pods('default').create(withClaim('waits', 'static'));
    assert.equal(await failedScheduling('waits'), `0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims. ${PREEMPTION_NOT_HELPFUL(3)}`);
    // Once the volume controller binds it (here: by hand), the claim update retries the pod.
    await pv('pv-a', { host: 'node-a' });
    const st = await client.persistentVolumeClaims('default').get('static');
    await client.persistentVolumeClaims('default').update({ ...st, spec: { ...st.spec, volumeName: 'pv-a' } });
    assert.equal(await waitFor(() => boundTo('waits'), 10_000, 'waits bound after its claim was'), 'node-a');
  });
});

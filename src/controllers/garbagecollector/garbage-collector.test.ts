/**
 * The garbage collector against a real in-process API server: background, foreground and orphan
 * propagation, several owners, a restart over garbage left while it was down, invalid references,
 * and the legacy Orphan default of Jobs. The test plays the kubelet where pods need graceful
 * deletion (it confirms their deletion with grace period 0).
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Namespace, Pod } from 'kubernetes-types/core/v1.js';
import type { ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { Job } from 'kubernetes-types/batch/v1.js';
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import { startInProcessApi, waitFor, type InProcessApi } from '../../../test/helpers/in-process.js';
import type { Client } from '../../client/client.js';
import { isNotFound } from '../../api/errors.js';
import { ControllerManager } from '../manager.js';
import { GarbageCollector } from './garbage-collector.js';

interface Running {
  gc: GarbageCollector;
  synced: Array<{ queue: string; uid: string; outcome: string }>;
  stop(): Promise<void>;
}

function startGc(api: InProcessApi): Running {
  const synced: Running['synced'] = [];
  const gc = new GarbageCollector({ onSynced: (queue, uid, outcome) => synced.push({ queue, uid, outcome }) });
  const stop = new AbortController();
  const run = new ControllerManager({ client: api.client('garbage-collector'), controllers: [gc], leaderElection: false }).run(stop.signal);
  return {
    gc,
    synced,
    async stop() {
      stop.abort();
      await run;
    },
  };
}

function ownerRef(obj: { apiVersion?: string; kind?: string; metadata?: { name?: string; uid?: string } }, extra: Partial<OwnerReference> = {}): OwnerReference {
  return { apiVersion: obj.apiVersion!, kind: obj.kind!, name: obj.metadata!.name!, uid: obj.metadata!.uid!, ...extra };
}

const controllerOf = (o: Parameters<typeof ownerRef>[0]) => ownerRef(o, { controller: true, blockOwnerDeletion: true });

function podSpec(name: string, owners: OwnerReference[], opts: { namespace?: string; nodeName?: string; labels?: Record<string, string> } = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: opts.namespace ?? 'default', ownerReferences: owners, labels: opts.labels ?? { app: 'web' } },
    spec: { containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'] }], ...(opts.nodeName ? { nodeName: opts.nodeName } : {}) },
  };
}

function replicaSet(name: string, owners: OwnerReference[] = []): ReplicaSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name, namespace: 'default', ownerReferences: owners },
    spec: {
      replicas: 0,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } },
    },
  };
}

async function gone(get: () => Promise<unknown>): Promise<boolean> {
  try {
    await get();
    return false;
  } catch (err) {
    if (isNotFound(err)) return true;
    throw err;
  }
}

/** Acts as the kubelet for pods on a fake node: confirms every pending graceful deletion. */
async function confirmTerminatingPods(client: Client, namespace: string): Promise<number> {
  const pods = await client.pods(namespace).list();
  let n = 0;
  for (const p of pods.items) {
    if (!p.metadata?.deletionTimestamp) continue;
    await client.pods(namespace).delete(p.metadata.name!, { gracePeriodSeconds: 0, preconditions: { uid: p.metadata.uid! } }).catch((err: unknown) => {
      if (!isNotFound(err)) throw err;
    });
    n++;
  }
  return n;
}

describe('garbage collector', () => {
  let api: InProcessApi;
  let client: Client;
  let running: Running;

  before(async () => {
    api = await startInProcessApi();
    client = api.client('test');
    running = startGc(api);
  });
  after(async () => {
    await running?.stop();
    await api?.stop();
  });

  test('background: deleting a Deployment removes its ReplicaSet and their pods afterwards', async () => {
    const deploy = await client.deployments('default').create({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'bg' },
      spec: { replicas: 0, selector: { matchLabels: { app: 'bg' } }, template: { metadata: { labels: { app: 'bg' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
    });
    const rs = await client.replicaSets('default').create(replicaSet('bg-1', [controllerOf(deploy)]));
    for (let i = 0; i < 3; i++) await client.pods('default').create(podSpec(`bg-1-${i}`, [controllerOf(rs)]));

    await client.deployments('default').delete('bg', { propagationPolicy: 'Background' });
    assert.ok(await gone(() => client.deployments('default').get('bg')), 'the owner goes at once');
    await waitFor(async () => gone(() => client.replicaSets('default').get('bg-1')), 10_000, 'ReplicaSet collected');
    await waitFor(async () => (await client.pods('default').list({ labelSelector: 'app=web' })).items.filter((p) => p.metadata!.name!.startsWith('bg-1-')).length === 0, 10_000, 'pods collected');
  });

  test('foreground: the owner stays with foregroundDeletion until blocking dependents are gone', async () => {
    const deploy = await client.deployments('default').create({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'fg' },
      spec: { replicas: 0, selector: { matchLabels: { app: 'fg' } }, template: { metadata: { labels: { app: 'fg' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
    });
    const rs = await client.replicaSets('default').create(replicaSet('fg-1', [controllerOf(deploy)]));
    // Pods bound to a node need graceful deletion, which only the (fake) kubelet can finish.
    for (let i = 0; i < 2; i++) await client.pods('default').create(podSpec(`fg-1-${i}`, [controllerOf(rs)], { nodeName: 'fake-node', labels: { app: 'fg' } }));

    await client.deployments('default').delete('fg', { propagationPolicy: 'Foreground' });
    const marked = await client.deployments('default').get('fg');
    assert.ok(marked.metadata?.deletionTimestamp);
    assert.deepEqual(marked.metadata?.finalizers, ['foregroundDeletion']);

    // The GC deletes the ReplicaSet in the foreground too (it has dependents), then the pods.
    await waitFor(async () => (await client.pods('default').list({ labelSelector: 'app=fg' })).items.every((p) => p.metadata?.deletionTimestamp), 10_000, 'pods terminating');
    const rsNow = await client.replicaSets('default').get('fg-1');
    assert.ok(rsNow.metadata?.deletionTimestamp, 'ReplicaSet is being deleted');
    assert.deepEqual(rsNow.metadata?.finalizers, ['foregroundDeletion']);
    assert.ok((await client.deployments('default').get('fg')).metadata?.deletionTimestamp, 'Deployment still there while pods terminate');

    assert.equal(await confirmTerminatingPods(client, 'default'), 2);
    await waitFor(async () => gone(() => client.replicaSets('default').get('fg-1')), 10_000, 'ReplicaSet removed');
    await waitFor(async () => gone(() => client.deployments('default').get('fg')), 10_000, 'Deployment removed');
  });

  test('orphan: dependents lose their ownerReference, then the owner goes', async () => {
    const rs = await client.replicaSets('default').create(replicaSet('orph'));
    for (let i = 0; i < 3; i++) await client.pods('default').create(podSpec(`orph-${i}`, [controllerOf(rs)], { labels: { app: 'orph' } }));
    await client.replicaSets('default').delete('orph', { propagationPolicy: 'Orphan' });
    await waitFor(async () => gone(() => client.replicaSets('default').get('orph')), 10_000, 'ReplicaSet removed');
    const pods = (await client.pods('default').list({ labelSelector: 'app=orph' })).items;
    assert.equal(pods.length, 3);
    for (const p of pods) {
      assert.equal(p.metadata?.ownerReferences, undefined, `${p.metadata?.name} keeps no ownerReference`);
      assert.equal(p.metadata?.deletionTimestamp, undefined);
    }
  });

  test('several owners: a dependent survives while one owner exists; the dangling reference is removed', async () => {
    const cms = client.configMaps('default');
    const a = await cms.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'owner-a' } });
    const b = await cms.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'owner-b' } });
    await cms.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'shared', ownerReferences: [ownerRef(a), ownerRef(b)] } });
    await cms.delete('owner-a');
    await waitFor(async () => {
      const cm = await cms.get('shared');
      return cm.metadata?.ownerReferences?.length === 1 && cm.metadata.ownerReferences[0]!.uid === b.metadata!.uid;
    }, 10_000, 'dangling reference removed');
    assert.equal((await cms.get('shared')).metadata?.deletionTimestamp, undefined);
    await cms.delete('owner-b');
    await waitFor(async () => gone(() => cms.get('shared')), 10_000, 'dependent collected with its last owner');
  });

  test('a reference to an owner with the same name but another UID dangles', async () => {
    const cms = client.configMaps('default');
    const old = await cms.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'reborn' } });
    await cms.delete('reborn');
    await cms.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'reborn' } });
    await cms.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'child-of-old', ownerReferences: [ownerRef(old)] } });
    await waitFor(async () => gone(() => cms.get('child-of-old')), 10_000, 'child of the old incarnation collected');
    await cms.get('reborn');
  });

  test('a reference to a kind the server does not serve keeps the dependent (retried quietly)', async () => {
    const cms = client.configMaps('default');
    await cms.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'widget-child', ownerReferences: [{ apiVersion: 'example.com/v1', kind: 'Widget', name: 'w', uid: 'widget-uid-1' }] },
    });
    await waitFor(() => running.synced.some((s) => s.uid === 'widget-uid-1' && s.outcome === 'requeue'), 10_000, 'unknown owner kind retried');
    assert.equal((await cms.get('widget-child')).metadata?.deletionTimestamp, undefined);
  });

  test('a Job deleted without a policy orphans its pods (legacy default)', async () => {
    const job = await client.jobs('default').create({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'legacy' },
      spec: { manualSelector: true, selector: { matchLabels: { job: 'legacy' } }, template: { metadata: { labels: { job: 'legacy' } }, spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } },
    } as Job);
    await client.pods('default').create(podSpec('legacy-pod', [controllerOf(job)], { labels: { job: 'legacy' } }));
    await client.jobs('default').delete('legacy');
    await waitFor(async () => gone(() => client.jobs('default').get('legacy')), 10_000, 'Job removed');
    const p = await client.pods('default').get('legacy-pod');
    assert.equal(p.metadata?.ownerReferences, undefined);
  });

  test('invalid references: cross-namespace owner is absent (and reported); cluster-scoped child of a namespaced owner is left alone', async () => {
    await client.namespaces().create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'other' } });
    const owner = await client.configMaps('default').create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ns-owner' } });
    // Let the collector observe the owner first, as in a live cluster, so the mismatch is detected.
    await waitFor(() => running.gc.graph?.node(owner.metadata!.uid!)?.observed, 10_000, 'owner observed');
    const dep = await client.configMaps('other').create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cross', ownerReferences: [ownerRef(owner)] } });
    const clusterChild = (await client.namespaces().create({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'cluster-child', ownerReferences: [ownerRef(owner)] },
    })) as Namespace;

    await waitFor(async () => gone(() => client.configMaps('other').get('cross')), 10_000, 'cross-namespace dependent collected');
    const events = await waitFor(async () => {
      const evs = (await client.events('').list({ fieldSelector: 'reason=OwnerRefInvalidNamespace' })).items;
      return evs.length >= 2 ? evs : undefined;
    }, 10_000, 'OwnerRefInvalidNamespace events');
    const forDep = events.find((e) => e.involvedObject.uid === dep.metadata!.uid);
    assert.ok(forDep, 'event about the cross-namespace dependent');
    assert.equal(forDep.type, 'Warning');
    assert.equal(forDep.source?.component, 'garbage-collector-controller');
    assert.equal(forDep.message, `ownerRef [v1/ConfigMap, namespace: other, name: ns-owner, uid: ${owner.metadata!.uid}] does not exist in namespace "other"`);
    assert.ok(events.find((e) => e.involvedObject.uid === clusterChild.metadata!.uid && e.involvedObject.kind === 'Namespace'));

    // The cluster-scoped child is processed once and forgotten, never deleted.
    await waitFor(() => running.synced.some((s) => s.queue === 'attemptToDelete' && s.uid === clusterChild.metadata!.uid && s.outcome === 'ok'), 10_000, 'cluster-scoped child processed');
    const still = await client.namespaces().get('cluster-child');
    assert.equal(still.metadata?.deletionTimestamp, undefined);
    await client.configMaps('default').get('ns-owner');
  });
});

describe('garbage collector across a restart', () => {
  test('a new collector cleans up what happened while none was running', async () => {
    const api = await startInProcessApi();
    const client = api.client('test');
    try {
      // First run: build a graph, then stop.
      let running = startGc(api);
      const rsBg = await client.replicaSets('default').create(replicaSet('down-bg'));
      const rsOrphan = await client.replicaSets('default').create(replicaSet('down-orphan'));
      const cms = client.configMaps('default');
      const owner = await cms.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'down-owner' } });
      await cms.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'down-child', ownerReferences: [ownerRef(owner)] } });
      await waitFor(() => running.gc.graph?.node(owner.metadata!.uid!)?.dependents.size === 1, 10_000, 'graph built');
      await running.stop();

      // While no collector runs: orphans appear, deletions start.
      for (let i = 0; i < 3; i++) await client.pods('default').create(podSpec(`down-bg-${i}`, [controllerOf(rsBg)], { labels: { app: 'down-bg' } }));
      for (let i = 0; i < 2; i++) await client.pods('default').create(podSpec(`down-orphan-${i}`, [controllerOf(rsOrphan)], { labels: { app: 'down-orphan' } }));
      await client.replicaSets('default').delete('down-bg', { propagationPolicy: 'Background' });
      await client.replicaSets('default').delete('down-orphan', { propagationPolicy: 'Orphan' });
      await cms.delete('down-owner');
      assert.deepEqual((await client.replicaSets('default').get('down-orphan')).metadata?.finalizers, ['orphan']);

      running = startGc(api);
      await waitFor(async () => (await client.pods('default').list({ labelSelector: 'app=down-bg' })).items.length === 0, 10_000, 'orphaned pods collected');
      await waitFor(async () => gone(() => cms.get('down-child')), 10_000, 'child of a deleted owner collected');
      await waitFor(async () => gone(() => client.replicaSets('default').get('down-orphan')), 10_000, 'orphaning finished');
      const kept = (await client.pods('default').list({ labelSelector: 'app=down-orphan' })).items;
      assert.equal(kept.length, 2);
      assert.ok(kept.every((p) => p.metadata?.ownerReferences === undefined));
      await running.stop();
    } finally {
      await api.stop();
    }
  });
});


/**
 * The StatefulSet controller against the real API server (in process), with a simulator playing
 * the scheduler and node agents: controllers.md §15 scenarios 13–18, plus recreation of ended
 * pods, claim retention policies (with the real garbage collector), start ordinals,
 * minReadySeconds and rollbacks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ControllerRevision, StatefulSet } from 'kubernetes-types/apps/v1.js';
import type { Event, PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1.js';
import type { Controller } from '../controller.js';
import { GarbageCollector } from '../garbagecollector/garbage-collector.js';
import { startClusterSim, waitFor, type ClusterSim, type SimOptions } from '../daemonset/testing/cluster-sim.js';
import { StatefulSetController } from './statefulset-controller.js';

const NS = 'default';

function sts(name: string, spec: Partial<NonNullable<StatefulSet['spec']>> = {}, image = 'db:1'): StatefulSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name, namespace: NS },
    spec: {
      replicas: 3,
      serviceName: name,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'main', image, command: ['sleep', '3600'] }] } },
      ...spec,
    },
  };
}

const dataTemplate = [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }];

async function withSim(fn: (sim: ClusterSim) => Promise<void>, opts: SimOptions = {}, extra: Controller[] = []): Promise<void> {
  const sim = await startClusterSim([new StatefulSetController(), ...extra], opts);
  try {
    for (const n of ['node-1', 'node-2', 'node-3']) await sim.addNode(n);
    await fn(sim);
  } finally {
    await sim.stop();
  }
}

const podNamed = (sim: ClusterSim, name: string): Pod | undefined => sim.podsIn(NS).find((p) => p.metadata?.name === name);
const liveNames = (sim: ClusterSim, app: string) =>
  sim
    .podsIn(NS)
    .filter((p) => p.metadata?.labels?.app === app && !p.metadata?.deletionTimestamp)
    .map((p) => p.metadata!.name!)
    .sort();
const getSts = (sim: ClusterSim, name: string) => sim.client.statefulSets(NS).get(name);
async function events(sim: ClusterSim, name: string): Promise<Event[]> {
  return (await sim.client.events(NS).list()).items.filter((e) => e.involvedObject.name === name);
}
async function claims(sim: ClusterSim): Promise<PersistentVolumeClaim[]> {
  return (await sim.client.persistentVolumeClaims(NS).list()).items.sort((a, b) => (a.metadata!.name! < b.metadata!.name! ? -1 : 1));
}
async function revisions(sim: ClusterSim, app: string): Promise<ControllerRevision[]> {
  return (await sim.client.controllerRevisions(NS).list({ labelSelector: `app=${app}` })).items.sort((a, b) => a.revision - b.revision);
}
async function statusWhere(sim: ClusterSim, name: string, pred: (s: NonNullable<StatefulSet['status']>, set: StatefulSet) => boolean, what: string): Promise<StatefulSet> {
  return waitFor(
    async () => {
      const s = await getSts(sim, name);
      return s.status && s.status.observedGeneration === s.metadata?.generation && pred(s.status, s) ? s : undefined;
    },
    15_000,
    what,
  );
}
const allReady = (sim: ClusterSim, name: string, n: number) => statusWhere(sim, name, (s) => s.readyReplicas === n && s.replicas === n && s.currentRevision === s.updateRevision, `${name} has ${n} ready replicas`);

test('scenario 13: OrderedReady starts db-1 only after db-0 is Running and Ready; identity', async () => {
  await withSim(
    async (sim) => {
      await sim.client.statefulSets(NS).create(sts('db'));
      await waitFor(() => podNamed(sim, 'db-0'));
      await statusWhere(sim, 'db', (s) => s.replicas === 1, 'db-0 counted');
      assert.deepEqual(liveNames(sim, 'db'), ['db-0'], 'db-1 waits for db-0');
      await sim.setReady(NS, 'db-0', true);
      await waitFor(() => podNamed(sim, 'db-1'));
      await statusWhere(sim, 'db', (s) => s.replicas === 2 && s.readyReplicas === 1, 'db-1 counted');
      assert.deepEqual(liveNames(sim, 'db'), ['db-0', 'db-1'], 'db-2 waits for db-1');
      await sim.setReady(NS, 'db-1', true);
      await waitFor(() => podNamed(sim, 'db-2'));
      await sim.setReady(NS, 'db-2', true);
      const set = await allReady(sim, 'db', 3);
      assert.equal(set.status?.availableReplicas, 3);
      assert.equal(set.status?.currentReplicas, 3);
      assert.equal(set.status?.updatedReplicas, 3);
      assert.match(set.status!.currentRevision!, /^db-[bcdfghjklmnpqrstvwxz2456789]+$/);
      for (const i of [0, 1, 2]) {
        const p = podNamed(sim, `db-${i}`)!;
        assert.equal(p.spec?.hostname, `db-${i}`);
        assert.equal(p.spec?.subdomain, 'db');
        assert.equal(p.metadata?.labels?.['statefulset.kubernetes.io/pod-name'], `db-${i}`);
        assert.equal(p.metadata?.labels?.['apps.kubernetes.io/pod-index'], String(i));
        assert.equal(p.metadata?.labels?.['controller-revision-hash'], set.status!.currentRevision);
        assert.equal(p.metadata?.ownerReferences?.[0]?.kind, 'StatefulSet');
        assert.equal(p.metadata?.generateName, undefined);
      }
      const created = (await events(sim, 'db')).filter((e) => e.reason === 'SuccessfulCreate').map((e) => e.message);
      assert.deepEqual(created.sort(), ['create Pod db-0 in StatefulSet db successful', 'create Pod db-1 in StatefulSet db successful', 'create Pod db-2 in StatefulSet db successful']);
    },
    { autoReady: () => false },
  );
});

test('scenario 14: scale down deletes the highest ordinal first, one at a time', async () => {
  const held = new Set<string>();
  await withSim(
    async (sim) => {
      await sim.client.statefulSets(NS).create(sts('db'));
      await allReady(sim, 'db', 3);
      ['db-1', 'db-2'].forEach((n) => held.add(n));
      await sim.client.statefulSets(NS).patch('db', 'merge', { spec: { replicas: 1 } });
      await waitFor(() => podNamed(sim, 'db-2')?.metadata?.deletionTimestamp, 10_000, 'db-2 terminating');
      // The sync that saw db-2 terminating has written its status (db-2 no longer current).
      await statusWhere(sim, 'db', (s) => s.currentReplicas === 2, 'status after db-2 terminating');
      assert.equal(podNamed(sim, 'db-1')?.metadata?.deletionTimestamp, undefined, 'db-1 waits while db-2 is terminating');
      await sim.terminate(NS, 'db-2');
      await waitFor(() => podNamed(sim, 'db-1')?.metadata?.deletionTimestamp, 10_000, 'db-1 terminating after db-2 is gone');
      await sim.terminate(NS, 'db-1');
      const set = await statusWhere(sim, 'db', (s) => s.replicas === 1 && s.readyReplicas === 1, 'scaled to 1');
      assert.equal(set.status?.currentReplicas, 1);
      assert.deepEqual(liveNames(sim, 'db'), ['db-0']);
      const deletes = (await events(sim, 'db')).filter((e) => e.reason === 'SuccessfulDelete').map((e) => e.message);
      assert.deepEqual(deletes.sort(), ['delete Pod db-1 in StatefulSet db successful', 'delete Pod db-2 in StatefulSet db successful']);
    },
    { autoTerminate: (p) => !held.has(p.metadata!.name!) },
  );
});

test('scenario 15: Parallel creates every pod at once', async () => {
  await withSim(
    async (sim) => {
      await sim.client.statefulSets(NS).create(sts('db', { podManagementPolicy: 'Parallel' }));
      await waitFor(() => liveNames(sim, 'db').length === 3, 10_000, 'three pods without readiness');
      assert.deepEqual(liveNames(sim, 'db'), ['db-0', 'db-1', 'db-2']);
      assert.ok(sim.podsIn(NS).every((p) => !p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')));
      // And scales down all at once too.
      await sim.client.statefulSets(NS).patch('db', 'merge', { spec: { replicas: 0 } });
      await waitFor(() => liveNames(sim, 'db').length === 0, 10_000, 'all deleted');
    },
    { autoReady: () => false },
  );
});

test('scenario 16: claims are created before their pods, kept on scale-down and reused', async () => {
  await withSim(async (sim) => {
    const podAddedAt = new Map<string, number>();
    sim.pods.addEventHandler({ onAdd: (p) => void (podAddedAt.has(p.metadata!.name!) || podAddedAt.set(p.metadata!.name!, Number(p.metadata!.resourceVersion))) });
    await sim.client.statefulSets(NS).create(sts('db', { volumeClaimTemplates: dataTemplate }));
    await allReady(sim, 'db', 3);
    const before = await claims(sim);
    assert.deepEqual(before.map((c) => c.metadata!.name), ['data-db-0', 'data-db-1', 'data-db-2']);
    for (const c of before) {
      const pod = c.metadata!.name!.slice('data-'.length);
      assert.ok(Number(c.metadata!.resourceVersion) < podAddedAt.get(pod)!, `${c.metadata!.name} created before ${pod}`);
      assert.deepEqual(c.metadata?.labels, { app: 'db' });
      assert.equal(c.spec?.resources?.requests?.storage, '1Gi');
      assert.equal(c.metadata?.ownerReferences, undefined, 'Retain policy: no owner');
      const p = podNamed(sim, pod)!;
      assert.deepEqual(p.spec?.volumes?.find((v) => v.name === 'data')?.persistentVolumeClaim, { claimName: c.metadata!.name });
    }
    const claimEvents = (await events(sim, 'db')).filter((e) => e.message?.startsWith('create Claim')).map((e) => e.message);
    assert.ok(claimEvents.includes('create Claim data-db-0 Pod db-0 in StatefulSet db success'));
    await sim.client.statefulSets(NS).patch('db', 'merge', { spec: { replicas: 1 } });
    await statusWhere(sim, 'db', (s) => s.replicas === 1, 'scaled to 1');
    assert.deepEqual((await claims(sim)).map((c) => c.metadata!.uid), before.map((c) => c.metadata!.uid), 'claims kept');
    await sim.client.statefulSets(NS).patch('db', 'merge', { spec: { replicas: 3 } });
    await allReady(sim, 'db', 3);
    assert.deepEqual((await claims(sim)).map((c) => c.metadata!.uid), before.map((c) => c.metadata!.uid), 'claims reused');
  });
});

async function setImage(sim: ClusterSim, name: string, image: string): Promise<void> {
  await sim.client.statefulSets(NS).patch(name, 'strategic', { spec: { template: { spec: { containers: [{ name: 'main', image }] } } } });
}

test('scenario 17: a partition limits the rolling update to ordinals at or above it', async () => {
  await withSim(async (sim) => {
    await sim.client.statefulSets(NS).create(sts('db', { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 2 } } }));
    const first = await allReady(sim, 'db', 3);
    const uids = new Map(sim.podsIn(NS).map((p) => [p.metadata!.name!, p.metadata!.uid!]));
    await setImage(sim, 'db', 'db:2');
    const partial = await statusWhere(sim, 'db', (s) => s.updatedReplicas === 1 && s.readyReplicas === 3, 'db-2 updated');
    assert.notEqual(partial.status?.updateRevision, partial.status?.currentRevision);
    assert.equal(partial.status?.currentRevision, first.status?.currentRevision);
    assert.equal(partial.status?.currentReplicas, 2);
    assert.equal(podNamed(sim, 'db-2')?.spec?.containers[0]?.image, 'db:2');
    assert.equal(podNamed(sim, 'db-1')?.metadata?.uid, uids.get('db-1'));
    assert.equal(podNamed(sim, 'db-0')?.metadata?.uid, uids.get('db-0'));
    // A pod below the partition that is deleted comes back at the current revision.
    await sim.client.pods(NS).delete('db-0');
    await waitFor(() => {
      const p = podNamed(sim, 'db-0');
      return p && p.metadata?.uid !== uids.get('db-0') && p.status?.phase === 'Running';
    });
    assert.equal(podNamed(sim, 'db-0')?.spec?.containers[0]?.image, 'db:1');
    await sim.client.statefulSets(NS).patch('db', 'merge', { spec: { updateStrategy: { rollingUpdate: { partition: 0 } } } });
    const done = await allReady(sim, 'db', 3);
    assert.equal(done.status?.updatedReplicas, 3);
    assert.equal(done.status?.currentRevision, partial.status?.updateRevision);
    for (const p of sim.podsIn(NS)) assert.equal(p.spec?.containers[0]?.image, 'db:2');
  });
});

test('scenario 18: a deleted pod comes back with its name and claim', async () => {
  await withSim(async (sim) => {
    await sim.client.statefulSets(NS).create(sts('db', { volumeClaimTemplates: dataTemplate }));
    await allReady(sim, 'db', 3);
    const old = podNamed(sim, 'db-1')!;
    const claim = (await claims(sim)).find((c) => c.metadata!.name === 'data-db-1')!;
    await sim.client.pods(NS).delete('db-1');
    const back = await waitFor(() => {
      const p = podNamed(sim, 'db-1');
      return p && p.metadata?.uid !== old.metadata?.uid && p.status?.phase === 'Running' ? p : undefined;
    });
    assert.equal(back.spec?.hostname, 'db-1');
    assert.deepEqual(back.spec?.volumes?.find((v) => v.name === 'data')?.persistentVolumeClaim, { claimName: 'data-db-1' });
    assert.equal((await claims(sim)).find((c) => c.metadata!.name === 'data-db-1')?.metadata?.uid, claim.metadata!.uid);
  });
});

test('rolling update walks from the highest ordinal down, one Ready pod at a time', async () => {
  await withSim(async (sim) => {
    await sim.client.statefulSets(NS).create(sts('db'));
    await allReady(sim, 'db', 3);
    const order: string[] = [];
    sim.pods.addEventHandler({ onAdd: (p, initial) => void (!initial && p.spec?.containers[0]?.image === 'db:2' && order.push(p.metadata!.name!)) });
    await setImage(sim, 'db', 'db:2');
    const done = await statusWhere(sim, 'db', (s) => s.updatedReplicas === 3 && s.readyReplicas === 3 && s.currentRevision === s.updateRevision, 'rolled out');
    assert.deepEqual(order, ['db-2', 'db-1', 'db-0']);
    assert.deepEqual((await revisions(sim, 'db')).map((r) => r.revision), [1, 2]);
    assert.equal(done.status?.currentReplicas, 3);
  });
});

test('OnDelete: only deleted pods move to the update revision', async () => {
  await withSim(async (sim) => {
    await sim.client.statefulSets(NS).create(sts('db', { updateStrategy: { type: 'OnDelete' } }));
    await allReady(sim, 'db', 3);
    await setImage(sim, 'db', 'db:2');
    await statusWhere(sim, 'db', (s) => s.updatedReplicas === 0 && s.currentRevision !== s.updateRevision, 'update revision recorded');
    await sim.client.pods(NS).delete('db-1');
    await statusWhere(sim, 'db', (s) => s.updatedReplicas === 1 && s.readyReplicas === 3, 'db-1 updated');
    assert.equal(podNamed(sim, 'db-1')?.spec?.containers[0]?.image, 'db:2');
    assert.equal(podNamed(sim, 'db-2')?.spec?.containers[0]?.image, 'db:1');
  });
});

test('failed and succeeded pods are deleted and recreated under the same name', async () => {
  await withSim(async (sim) => {
    await sim.client.statefulSets(NS).create(sts('db', { replicas: 2 }));
    await allReady(sim, 'db', 2);
    const uid = podNamed(sim, 'db-1')!.metadata!.uid;
    await sim.finish(NS, 'db-1', 'Failed');
    await waitFor(() => {
      const p = podNamed(sim, 'db-1');
      return p && p.metadata?.uid !== uid && p.status?.phase === 'Running';
    });
    const uid0 = podNamed(sim, 'db-0')!.metadata!.uid;
    await sim.finish(NS, 'db-0', 'Succeeded');
    await waitFor(() => {
      const p = podNamed(sim, 'db-0');
      return p && p.metadata?.uid !== uid0 && p.status?.phase === 'Running';
    });
    const evs = await events(sim, 'db');
    const failed = evs.find((e) => e.reason === 'RecreatingFailedPod');
    assert.equal(failed?.type, 'Warning');
    assert.equal(failed?.message, 'StatefulSet default/db is recreating failed Pod db-1');
    assert.equal(evs.find((e) => e.reason === 'RecreatingTerminatedPod')?.message, 'StatefulSet default/db is recreating terminated Pod db-0');
  });
});

test('retention policy Delete/Delete: claims owned by the set, then by scaled-away pods, removed by the GC', async () => {
  await withSim(
    async (sim) => {
      await sim.client.statefulSets(NS).create(sts('db', { volumeClaimTemplates: dataTemplate, persistentVolumeClaimRetentionPolicy: { whenScaled: 'Delete', whenDeleted: 'Delete' } }));
      const set = await allReady(sim, 'db', 3);
      await waitFor(async () => (await claims(sim)).every((c) => c.metadata?.ownerReferences?.[0]?.uid === set.metadata!.uid), 10_000, 'claims owned by the set');
      await sim.client.statefulSets(NS).patch('db', 'merge', { spec: { replicas: 1 } });
      await waitFor(async () => (await claims(sim)).map((c) => c.metadata!.name).join() === 'data-db-0', 15_000, 'scaled-away claims deleted');
      // Scaling up again makes fresh claims.
      await sim.client.statefulSets(NS).patch('db', 'merge', { spec: { replicas: 2 } });
      await allReady(sim, 'db', 2);
      assert.deepEqual((await claims(sim)).map((c) => c.metadata!.name), ['data-db-0', 'data-db-1']);
      await sim.client.statefulSets(NS).delete('db');
      await waitFor(async () => (await claims(sim)).length === 0, 15_000, 'claims deleted with the set');
    },
    {},
    [new GarbageCollector()],
  );
});

test('retention policy whenDeleted Retain, whenScaled Delete: only scaled-away claims go', async () => {
  await withSim(
    async (sim) => {
      await sim.client.statefulSets(NS).create(sts('db', { replicas: 2, volumeClaimTemplates: dataTemplate, persistentVolumeClaimRetentionPolicy: { whenScaled: 'Delete', whenDeleted: 'Retain' } }));
      await allReady(sim, 'db', 2);
      assert.ok((await claims(sim)).every((c) => !c.metadata?.ownerReferences));
      await sim.client.statefulSets(NS).patch('db', 'merge', { spec: { replicas: 1 } });
      await waitFor(async () => (await claims(sim)).map((c) => c.metadata!.name).join() === 'data-db-0', 15_000, 'data-db-1 deleted');
      await sim.client.statefulSets(NS).delete('db');
      await waitFor(() => liveNames(sim, 'db').length === 0, 15_000, 'pods gone with the set');
      assert.deepEqual((await claims(sim)).map((c) => c.metadata!.name), ['data-db-0']);
    },
    {},
    [new GarbageCollector()],
  );
});

test('ordinals.start and minReadySeconds', async () => {
  await withSim(async (sim) => {
    await sim.client.statefulSets(NS).create(sts('db', { replicas: 2, ordinals: { start: 5 }, minReadySeconds: 1 }));
    const ready = await statusWhere(sim, 'db', (s) => s.readyReplicas === 2, 'two ready');
    assert.deepEqual(liveNames(sim, 'db'), ['db-5', 'db-6']);
    assert.equal(podNamed(sim, 'db-5')?.metadata?.labels?.['apps.kubernetes.io/pod-index'], '5');
    assert.ok((ready.status?.availableReplicas ?? 0) <= 2);
    await statusWhere(sim, 'db', (s) => s.availableReplicas === 2, 'available after minReadySeconds');
  });
});

test('rolling back to an earlier template renumbers its revision instead of creating one', async () => {
  await withSim(async (sim) => {
    await sim.client.statefulSets(NS).create(sts('db', { replicas: 1 }));
    await allReady(sim, 'db', 1);
    await setImage(sim, 'db', 'db:2');
    await statusWhere(sim, 'db', (s) => s.updatedReplicas === 1 && s.currentRevision === s.updateRevision && s.readyReplicas === 1, 'revision 2 rolled out');
    const [r1] = await revisions(sim, 'db');
    await setImage(sim, 'db', 'db:1');
    const back = await statusWhere(sim, 'db', (s) => s.updatedReplicas === 1 && s.currentRevision === s.updateRevision && s.readyReplicas === 1, 'rolled back');
    assert.equal(back.status?.updateRevision, r1!.metadata!.name);
    const revs = await revisions(sim, 'db');
    assert.deepEqual(revs.map((r) => r.revision), [2, 3]);
    assert.equal(revs[1]!.metadata!.name, r1!.metadata!.name);
    assert.equal(revs[1]!.metadata!.labels!['controller.kubernetes.io/hash'], r1!.metadata!.name!.slice('db-'.length));
  });
});

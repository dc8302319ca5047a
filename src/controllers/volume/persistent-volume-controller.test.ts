/**
 * Binding and local-path provisioning against the real API server (in process), with the cluster
 * simulator as scheduler and node agents — and with the StatefulSet controller for claims that
 * must follow their pods.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, PersistentVolume, PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1.js';
import type { Controller } from '../controller.js';
import { startClusterSim, waitFor, type ClusterSim, type SimOptions } from '../daemonset/testing/cluster-sim.js';
import { StatefulSetController } from '../statefulset/statefulset-controller.js';
import { PersistentVolumeController } from './persistent-volume-controller.js';
import { LOCAL_PATH_ANNOTATION, LOCAL_PATH_CLEANUP_FINALIZER, volumeHostname } from './volume-util.js';

const NS = 'default';

async function withSim(fn: (sim: ClusterSim) => Promise<void>, opts: SimOptions = {}, extra: Controller[] = []): Promise<void> {
  const holder: { sim?: ClusterSim } = {};
  const sim = await startClusterSim([new PersistentVolumeController(), ...extra], { place: volumeAwarePlacement(() => holder.sim!), ...opts });
  holder.sim = sim;
  try {
    for (const n of ['node-1', 'node-2', 'node-3']) await sim.addNode(n);
    await fn(sim);
  } finally {
    await sim.stop();
  }
}

function claim(name: string, storage = '1Gi', storageClassName?: string): PersistentVolumeClaim {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name, namespace: NS },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage } }, ...(storageClassName !== undefined ? { storageClassName } : {}) },
  };
}

function podUsing(name: string, claimName: string): Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: NS }, spec: { containers: [{ name: 'main', image: 'x', command: ['sleep', '1'] }], volumes: [{ name: 'data', persistentVolumeClaim: { claimName } }] } };
}

function staticVolume(name: string, storage: string, storageClassName = '', reclaim: 'Retain' | 'Delete' = 'Retain'): PersistentVolume {
  return { apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name }, spec: { capacity: { storage }, accessModes: ['ReadWriteOnce'], persistentVolumeReclaimPolicy: reclaim, storageClassName, hostPath: { path: `/srv/${name}` } } };
}

const getClaim = (sim: ClusterSim, name: string) => sim.client.persistentVolumeClaims(NS).get(name);
const getVolume = (sim: ClusterSim, name: string) => sim.client.persistentVolumes().get(name);
async function volumeGone(sim: ClusterSim, name: string): Promise<boolean> {
  try {
    await getVolume(sim, name);
    return false;
  } catch {
    return true;
  }
}
async function claimEvents(sim: ClusterSim, name: string): Promise<Array<{ reason?: string; message?: string; component?: string }>> {
  return (await sim.client.events(NS).list()).items.filter((e) => e.involvedObject.name === name).map((e) => ({ reason: e.reason, message: e.message, component: e.source?.component }));
}
const bound = (sim: ClusterSim, name: string) => waitFor(async () => {
  const c = await getClaim(sim, name);
  return c.status?.phase === 'Bound' ? c : undefined;
}, 10_000, `claim ${name} bound`);

test('local-path: waits for the first consumer, provisions on its node, binds both sides', async () => {
  await withSim(
    async (sim) => {
      const created = await sim.client.persistentVolumeClaims(NS).create(claim('data', '2Gi'));
      await waitFor(async () => (await claimEvents(sim, 'data')).some((e) => e.reason === 'WaitForFirstConsumer'), 10_000, 'WaitForFirstConsumer');
      assert.equal((await getClaim(sim, 'data')).status?.phase, 'Pending');
      assert.equal((await sim.client.persistentVolumes().list()).items.length, 0);
      await sim.client.pods(NS).create(podUsing('user', 'data'));
      const pvc = await bound(sim, 'data');
      const pvName = `pvc-${created.metadata!.uid}`;
      assert.equal(pvc.spec?.volumeName, pvName);
      assert.deepEqual(pvc.status?.capacity, { storage: '2Gi' });
      assert.deepEqual(pvc.status?.accessModes, ['ReadWriteOnce']);
      assert.equal(pvc.metadata?.annotations?.['pv.kubernetes.io/bind-completed'], 'yes');
      assert.equal(pvc.metadata?.annotations?.['volume.kubernetes.io/storage-provisioner'], 'skiff.dev/local-path');
      const pv = await waitFor(async () => {
        const v = await getVolume(sim, pvName);
        return v.status?.phase === 'Bound' ? v : undefined;
      });
      assert.equal(volumeHostname(pv), 'node-2');
      assert.equal(pv.metadata?.annotations?.[LOCAL_PATH_ANNOTATION], `volumes/${pvName}`);
      assert.equal(pv.spec?.local?.path, `volumes/${pvName}`);
      assert.deepEqual(pv.metadata?.finalizers, [LOCAL_PATH_CLEANUP_FINALIZER]);
      assert.equal(pv.spec?.persistentVolumeReclaimPolicy, 'Delete');
      assert.equal(pv.spec?.storageClassName, 'local-path');
      assert.deepEqual(pv.spec?.capacity, { storage: '2Gi' });
      assert.equal(pv.spec?.claimRef?.uid, created.metadata!.uid);
      const evs = await claimEvents(sim, 'data');
      assert.ok(evs.some((e) => e.reason === 'ProvisioningSucceeded' && e.message === `Successfully provisioned volume ${pvName}` && e.component === 'skiff.dev/local-path'));

      // The claim goes while its pod still runs: the volume is Released but its data stays.
      await sim.client.persistentVolumeClaims(NS).delete('data');
      await waitFor(async () => (await getVolume(sim, pvName)).status?.phase === 'Released', 10_000, 'volume Released');
      assert.equal((await getVolume(sim, pvName)).metadata?.deletionTimestamp, undefined);
      await sim.client.pods(NS).delete('user');
      // Then it is deleted, and waits for the node agent to remove the directory.
      const terminating = await waitFor(async () => {
        const v = await getVolume(sim, pvName);
        return v.metadata?.deletionTimestamp ? v : undefined;
      }, 10_000, 'volume deleted');
      assert.deepEqual(terminating.metadata?.finalizers, [LOCAL_PATH_CLEANUP_FINALIZER]);
      // Playing the node agent: directory removed, finalizer dropped.
      await sim.client.persistentVolumes().patch(pvName, 'merge', { metadata: { finalizers: null } });
      await waitFor(() => volumeGone(sim, pvName), 10_000, 'volume gone');
    },
    { place: (_p: Pod, nodes: Node[]) => nodes.find((n) => n.metadata?.name === 'node-2')?.metadata?.name },
  );
});

test('a deleted volume on a node that no longer exists loses its cleanup finalizer', async () => {
  await withSim(async (sim) => {
    const c = await sim.client.persistentVolumeClaims(NS).create(claim('scratch'));
    await sim.client.pods(NS).create(podUsing('user', 'scratch'));
    await bound(sim, 'scratch');
    const pvName = `pvc-${c.metadata!.uid}`;
    const host = volumeHostname(await getVolume(sim, pvName))!;
    await sim.client.pods(NS).delete('user', { gracePeriodSeconds: 0 });
    await sim.client.persistentVolumeClaims(NS).delete('scratch');
    await waitFor(async () => !!(await getVolume(sim, pvName)).metadata?.deletionTimestamp, 10_000, 'volume deleted');
    await sim.client.nodes().delete(host);
    await waitFor(() => volumeGone(sim, pvName), 10_000, 'finalizer released once the node is gone');
  });
});

test('static volumes: class "" binds the smallest fitting volume; Retain keeps it Released', async () => {
  await withSim(async (sim) => {
    await sim.client.persistentVolumes().create(staticVolume('big', '10Gi'));
    await sim.client.persistentVolumes().create(staticVolume('small', '1Gi'));
    await sim.client.persistentVolumes().create(staticVolume('mid', '5Gi'));
    await sim.client.persistentVolumes().create(staticVolume('other-class', '3Gi', 'fast'));
    await waitFor(async () => (await sim.client.persistentVolumes().list()).items.every((v) => v.status?.phase === 'Available'), 10_000, 'volumes Available');
    await sim.client.persistentVolumeClaims(NS).create(claim('want3', '3Gi', ''));
    const pvc = await bound(sim, 'want3');
    assert.equal(pvc.spec?.volumeName, 'mid');
    assert.deepEqual(pvc.status?.capacity, { storage: '5Gi' });
    const mid = await waitFor(async () => {
      const v = await getVolume(sim, 'mid');
      return v.status?.phase === 'Bound' ? v : undefined;
    });
    assert.equal(mid.spec?.claimRef?.name, 'want3');
    assert.equal(mid.metadata?.annotations?.['pv.kubernetes.io/bound-by-controller'], 'yes');
    // Nothing fits 20Gi without a class: the claim waits.
    await sim.client.persistentVolumeClaims(NS).create(claim('huge', '20Gi', ''));
    await waitFor(async () => (await claimEvents(sim, 'huge')).some((e) => e.reason === 'FailedBinding' && e.message === 'no persistent volumes available for this claim and no storage class is set'));
    assert.equal((await getClaim(sim, 'huge')).status?.phase, 'Pending');
    await sim.client.persistentVolumeClaims(NS).delete('want3');
    await waitFor(async () => (await getVolume(sim, 'mid')).status?.phase === 'Released', 10_000, 'Released');
    assert.equal((await getVolume(sim, 'mid')).metadata?.deletionTimestamp, undefined, 'Retain keeps the volume');
  });
});

test('a claim pre-bound to a volume by name is bound to it; a bound claim whose volume vanishes is Lost', async () => {
  await withSim(async (sim) => {
    await sim.client.persistentVolumes().create(staticVolume('chosen', '1Gi', 'manual'));
    await sim.client.persistentVolumes().create(staticVolume('decoy', '1Gi', 'manual'));
    const c = claim('pinned', '1Gi', 'manual');
    c.spec!.volumeName = 'chosen';
    await sim.client.persistentVolumeClaims(NS).create(c);
    await bound(sim, 'pinned');
    await waitFor(async () => (await getVolume(sim, 'chosen')).spec?.claimRef?.name === 'pinned');
    assert.equal((await getVolume(sim, 'decoy')).spec?.claimRef, undefined);
    await sim.client.persistentVolumes().delete('chosen');
    await waitFor(async () => (await getClaim(sim, 'pinned')).status?.phase === 'Lost', 10_000, 'claim Lost');
    assert.ok((await claimEvents(sim, 'pinned')).some((e) => e.reason === 'ClaimLost'));
  });
});

/**
 * Places pods like a volume-aware scheduler: onto the node of a bound claim's volume, otherwise
 * round-robin.
 */
function volumeAwarePlacement(sim: () => ClusterSim): SimOptions['place'] {
  let rr = 0;
  return async (pod, nodes) => {
    for (const v of pod.spec?.volumes ?? []) {
      const claimName = v.persistentVolumeClaim?.claimName;
      if (!claimName) continue;
      try {
        const pvc = await sim().client.persistentVolumeClaims(pod.metadata!.namespace!).get(claimName);
        if (pvc.spec?.volumeName) return volumeHostname(await sim().client.persistentVolumes().get(pvc.spec.volumeName));
      } catch {
        // Not there yet: any node will do (WaitForFirstConsumer).
      }
    }
    return nodes[rr++ % nodes.length]?.metadata?.name;
  };
}

test('StatefulSet claims are provisioned where their pods run and stay with the identity', async () => {
  await withSim(
    async (sim) => {
      await sim.client.statefulSets(NS).create({
        apiVersion: 'apps/v1',
        kind: 'StatefulSet',
        metadata: { name: 'web', namespace: NS },
        spec: {
          replicas: 3,
          serviceName: 'web',
          selector: { matchLabels: { app: 'web' } },
          template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'main', image: 'web', command: ['sleep', '3600'] }] } },
          volumeClaimTemplates: [{ metadata: { name: 'www' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
        },
      });
      const claims = await waitFor(async () => {
        const items = (await sim.client.persistentVolumeClaims(NS).list()).items;
        return items.length === 3 && items.every((c) => c.status?.phase === 'Bound') ? items : undefined;
      }, 15_000, 'three bound claims');
      for (const c of claims) {
        const pod = sim.podsIn(NS).find((p) => p.metadata?.name === c.metadata!.name!.slice('www-'.length))!;
        const pv = await getVolume(sim, c.spec!.volumeName!);
        assert.equal(volumeHostname(pv), pod.spec?.nodeName, `${c.metadata!.name} lives on ${pod.metadata!.name}'s node`);
      }
      const before = (await getClaim(sim, 'www-web-1')).spec?.volumeName;
      await sim.client.pods(NS).delete('web-1');
      const back = await waitFor(() => sim.podsIn(NS).find((p) => p.metadata?.name === 'web-1' && p.status?.phase === 'Running' && !p.metadata.deletionTimestamp));
      assert.equal((await getClaim(sim, 'www-web-1')).spec?.volumeName, before, 'same claim, same volume');
      assert.equal(back.spec?.nodeName, volumeHostname(await getVolume(sim, before!)), 'back on the volume\'s node');
    },
    {},
    [new StatefulSetController()],
  );
});

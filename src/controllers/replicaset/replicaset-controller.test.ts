import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { Client } from '../../client/client.js';
import { ReplicaSetController } from './replicaset-controller.js';
import { eventsFor, eventually, startFakeKubelet, startHarness, type Harness } from './test-support.js';

const NS = 'default';
const SUFFIX = /^[bcdfghjklmnpqrstvwxz2456789]{5}$/;

function replicaSet(name: string, replicas: number, extra: Partial<NonNullable<ReplicaSet['spec']>> = {}, labels: Record<string, string> = { app: name }): ReplicaSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name, namespace: NS },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: { containers: [{ name: 'web', image: 'nginx', command: ['sleep', '3600'] }] } },
      ...extra,
    },
  };
}

async function podsOf(client: Client, rs: ReplicaSet | string): Promise<Pod[]> {
  const name = typeof rs === 'string' ? rs : rs.metadata!.name!;
  const uid = typeof rs === 'string' ? (await client.replicaSets(NS).get(name)).metadata!.uid : rs.metadata!.uid;
  const list = await client.pods(NS).list();
  return list.items.filter((p) => p.metadata?.ownerReferences?.some((r) => r.controller && r.uid === uid));
}

const active = (pods: Pod[]) => pods.filter((p) => !p.metadata?.deletionTimestamp && p.status?.phase !== 'Failed' && p.status?.phase !== 'Succeeded');

async function withCluster(fn: (h: Harness) => Promise<void>): Promise<void> {
  const h = await startHarness([new ReplicaSetController()]);
  try {
    await fn(h);
  } finally {
    await h.stop();
  }
}

test('scenario 1: three pods named <rs>-xxxxx with a controller ownerReference, events and status', async () => {
  await withCluster(async (h) => {
    const kubelet = await startFakeKubelet(h.client, { nodes: ['n1', 'n2', 'n3'] });
    try {
      const rs = await h.client.replicaSets(NS).create(replicaSet('web', 3));
      const status = await eventually(async () => {
        const cur = await h.client.replicaSets(NS).get('web');
        return cur.status?.readyReplicas === 3 && cur.status.availableReplicas === 3 ? cur.status : undefined;
      }, 'three ready replicas');
      assert.equal(status.replicas, 3);
      assert.equal(status.fullyLabeledReplicas, 3);
      assert.equal(status.observedGeneration, 1);
      assert.equal(status.conditions, undefined);

      const pods = await podsOf(h.client, rs);
      assert.equal(pods.length, 3);
      for (const p of pods) {
        assert.match(p.metadata!.name!, /^web-/);
        assert.match(p.metadata!.name!.slice(4), SUFFIX);
        assert.deepEqual(p.metadata!.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: rs.metadata!.uid, controller: true, blockOwnerDeletion: true }]);
        assert.deepEqual(p.metadata!.labels, { app: 'web' });
      }
      const events = await eventually(async () => {
        const ev = (await eventsFor(h.client, NS, 'web')).filter((e) => e.reason === 'SuccessfulCreate');
        return ev.length === 3 ? ev : undefined;
      }, 'three SuccessfulCreate events');
      assert.deepEqual(events.map((e) => e.message).sort(), pods.map((p) => `Created pod: ${p.metadata!.name}`).sort());
      assert.ok(events.every((e) => e.type === 'Normal'));
    } finally {
      await kubelet.stop();
    }
  });
});

test('scenario 2: a deleted pod is replaced at once, while it is still terminating', async () => {
  await withCluster(async (h) => {
    const kubelet = await startFakeKubelet(h.client, { nodes: ['n1'], finishDeletions: false });
    try {
      const rs = await h.client.replicaSets(NS).create(replicaSet('web', 3));
      await eventually(async () => (await h.client.replicaSets(NS).get('web')).status?.readyReplicas === 3, 'ready');
      const [victim] = await podsOf(h.client, rs);
      await h.client.pods(NS).delete(victim!.metadata!.name!);
      const terminating = await h.client.pods(NS).get(victim!.metadata!.name!);
      assert.ok(terminating.metadata?.deletionTimestamp, 'a bound pod is deleted gracefully');
      const pods = await eventually(async () => {
        const all = await podsOf(h.client, rs);
        return active(all).length === 3 && all.length === 4 ? all : undefined;
      }, 'a replacement next to the terminating pod');
      assert.ok(pods.some((p) => p.metadata!.name === victim!.metadata!.name && p.metadata?.deletionTimestamp));
      const status = await eventually(async () => {
        const s = (await h.client.replicaSets(NS).get('web')).status;
        return s?.readyReplicas === 3 ? s : undefined;
      }, 'status back to 3 ready');
      assert.equal(status.replicas, 3, 'the terminating pod is not counted');
    } finally {
      await kubelet.stop();
    }
  });
});

test('scenario 3: scaling down deletes the unschedulable Pending pod first', async () => {
  await withCluster(async (h) => {
    let schedulerStuck = false;
    const kubelet = await startFakeKubelet(h.client, { nodes: ['n1', 'n2'], unschedulable: () => schedulerStuck });
    try {
      const rs = await h.client.replicaSets(NS).create(replicaSet('web', 2));
      await eventually(async () => (await h.client.replicaSets(NS).get('web')).status?.readyReplicas === 2, 'two ready');
      const before = new Set((await podsOf(h.client, rs)).map((p) => p.metadata!.name));
      // From now on new pods stay Pending and unbound, as if no node fitted them.
      schedulerStuck = true;
      await h.client.replicaSets(NS).patch('web', 'merge', { spec: { replicas: 3 } });
      const pending = await eventually(async () => (await podsOf(h.client, rs)).find((p) => !before.has(p.metadata!.name)), 'a third pod');
      assert.equal(pending.spec?.nodeName, undefined);
      await h.client.replicaSets(NS).patch('web', 'merge', { spec: { replicas: 1 } });
      await eventually(async () => active(await podsOf(h.client, rs)).length === 1, 'one pod left');
      const left = active(await podsOf(h.client, rs));
      assert.ok(before.has(left[0]!.metadata!.name), 'a running pod is kept');
      const deletes = await eventually(async () => {
        const ev = (await eventsFor(h.client, NS, 'web')).filter((e) => e.reason === 'SuccessfulDelete');
        return ev.length === 2 ? ev : undefined;
      }, 'two SuccessfulDelete events');
      assert.ok(deletes.some((e) => e.message === `Deleted pod: ${pending.metadata!.name}`));
    } finally {
      await kubelet.stop();
    }
  });
});

test('scenario 4: a matching bare pod is adopted and only the missing pods are created', async () => {
  await withCluster(async (h) => {
    const bare = await h.client.pods(NS).create({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'stray', namespace: NS, labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'x' }] } });
    const rs = await h.client.replicaSets(NS).create(replicaSet('web', 2));
    const pods = await eventually(async () => {
      const owned = await podsOf(h.client, rs);
      return owned.length === 2 ? owned : undefined;
    }, 'two owned pods');
    const adopted = pods.find((p) => p.metadata!.name === 'stray');
    assert.ok(adopted, 'the bare pod is adopted');
    assert.equal(adopted.metadata!.uid, bare.metadata!.uid);
    assert.deepEqual(adopted.metadata!.ownerReferences?.[0], { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: rs.metadata!.uid, controller: true, blockOwnerDeletion: true });
    // Events are written asynchronously: wait for the one create to be recorded.
    const creates = await eventually(async () => {
      const ev = (await eventsFor(h.client, NS, 'web')).filter((e) => e.reason === 'SuccessfulCreate');
      return ev.length > 0 ? ev : undefined;
    }, 'the SuccessfulCreate event');
    assert.equal(creates.length, 1);
    assert.equal((await h.client.pods(NS).list()).items.length, 2);
  });
});

test('scenario 5: a relabelled pod is released and replaced', async () => {
  await withCluster(async (h) => {
    const rs = await h.client.replicaSets(NS).create(replicaSet('web', 2));
    const [first] = await eventually(async () => {
      const owned = await podsOf(h.client, rs);
      return owned.length === 2 ? owned : undefined;
    }, 'two pods');
    await h.client.pods(NS).patch(first!.metadata!.name!, 'merge', { metadata: { labels: { app: 'other' } } });
    await eventually(async () => {
      const released = await h.client.pods(NS).get(first!.metadata!.name!);
      return (released.metadata?.ownerReferences ?? []).length === 0;
    }, 'the ownerReference removed');
    const owned = await eventually(async () => {
      const o = await podsOf(h.client, rs);
      return o.length === 2 && !o.some((p) => p.metadata!.name === first!.metadata!.name) ? o : undefined;
    }, 'a replacement');
    assert.equal(owned.length, 2);
    assert.equal((await h.client.pods(NS).list()).items.length, 3);
  });
});

test('terminal pods are neither counted nor deleted; a replacement is created', async () => {
  await withCluster(async (h) => {
    const rs = await h.client.replicaSets(NS).create(replicaSet('web', 2));
    const [first] = await eventually(async () => {
      const owned = await podsOf(h.client, rs);
      return owned.length === 2 ? owned : undefined;
    }, 'two pods');
    await h.client.pods(NS).patchStatus(first!.metadata!.name!, 'merge', { status: { phase: 'Failed', reason: 'Evicted' } });
    await eventually(async () => (await podsOf(h.client, rs)).length === 3, 'a replacement beside the failed pod');
    await eventually(async () => (await h.client.replicaSets(NS).get('web')).status?.replicas === 2, 'replicas counts active pods');
    // Scaling down to 1 deletes an active pod, never the failed one.
    await h.client.replicaSets(NS).patch('web', 'merge', { spec: { replicas: 1 } });
    await eventually(async () => {
      const owned = await podsOf(h.client, rs);
      return owned.length === 2 && owned.some((p) => p.metadata!.name === first!.metadata!.name);
    }, 'one active pod and the failed one');
  });
});

test('availableReplicas waits out minReadySeconds and rises without further pod events', async () => {
  await withCluster(async (h) => {
    const kubelet = await startFakeKubelet(h.client, { nodes: ['n1'] });
    try {
      await h.client.replicaSets(NS).create(replicaSet('web', 2, { minReadySeconds: 2 }));
      const early = await eventually(async () => {
        const s = (await h.client.replicaSets(NS).get('web')).status;
        return s?.readyReplicas === 2 ? s : undefined;
      }, 'two ready');
      assert.equal(early.availableReplicas ?? 0, 0, 'ready pods are not available before minReadySeconds');
      const started = Date.now();
      await eventually(async () => (await h.client.replicaSets(NS).get('web')).status?.availableReplicas === 2, 'two available', 6000);
      assert.ok(Date.now() - started <= 4000, 'noticed at the requeue, not by polling');
    } finally {
      await kubelet.stop();
    }
  });
});

test('a refused create sets ReplicaFailure FailedCreate and a FailedCreate warning; success clears it', async () => {
  await withCluster(async (h) => {
    h.intercept((req) =>
      req.method === 'POST' && req.path === `/api/v1/namespaces/${NS}/pods`
        ? { code: 403, reason: 'Forbidden', message: 'pods "web-" is forbidden: exceeded quota: compute, requested: pods=1, used: pods=0, limited: pods=0' }
        : undefined,
    );
    await h.client.replicaSets(NS).create(replicaSet('web', 3));
    const cond = await eventually(async () => (await h.client.replicaSets(NS).get('web')).status?.conditions?.find((c) => c.type === 'ReplicaFailure'), 'ReplicaFailure');
    assert.equal(cond.status, 'True');
    assert.equal(cond.reason, 'FailedCreate');
    assert.match(cond.message ?? '', /exceeded quota/);
    const warnings = await eventually(async () => {
      const ev = (await eventsFor(h.client, NS, 'web')).filter((e) => e.reason === 'FailedCreate');
      return ev.length > 0 ? ev : undefined;
    }, 'FailedCreate event');
    assert.equal(warnings[0]!.type, 'Warning');
    assert.match(warnings[0]!.message, /^Error creating: pods "web-" is forbidden: exceeded quota/);
    h.intercept(undefined);
    await eventually(async () => {
      const s = (await h.client.replicaSets(NS).get('web')).status;
      return s?.replicas === 3 && !s.conditions?.some((c) => c.type === 'ReplicaFailure');
    }, 'condition cleared after the pods are created', 20_000);
  });
});

/**
 * The Deployment controller with the ReplicaSet controller against an in-process API server,
 * the test playing scheduler and kubelet: controllers.md §15 scenarios 6–12, proportional
 * scaling, and the rolling-update invariants watched on every change.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { Client } from '../../client/client.js';
import { SharedInformerFactory } from '../../client/informer-factory.js';
import { computeHash } from '../lib/hash.js';
import { ReplicaSetController } from '../replicaset/replicaset-controller.js';
import { eventsFor, eventually, startFakeKubelet, startHarness, type Harness, type KubeletOptions } from '../replicaset/test-support.js';
import { DeploymentController } from './deployment-controller.js';

const NS = 'default';
const HASH = /^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/;

function deployment(name: string, replicas: number, spec: Partial<NonNullable<Deployment['spec']>> = {}, image = 'nginx:1.14.2'): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: NS },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'web', image, command: ['sleep', '3600'] }] } },
      ...spec,
    },
  };
}

async function setImage(client: Client, name: string, image: string): Promise<void> {
  await client.deployments(NS).patch(name, 'strategic', { spec: { template: { spec: { containers: [{ name: 'web', image }] } } } });
}

async function setsOf(client: Client, name: string): Promise<ReplicaSet[]> {
  const d = await client.deployments(NS).get(name);
  const list = await client.replicaSets(NS).list();
  return list.items.filter((rs) => rs.metadata?.ownerReferences?.some((r) => r.controller && r.uid === d.metadata!.uid));
}

const rev = (o: { metadata?: { annotations?: Record<string, string> } }) => o.metadata?.annotations?.['deployment.kubernetes.io/revision'];
const cond = (d: Deployment, type: string) => d.status?.conditions?.find((c) => c.type === type);

/** Waits until the rollout is complete as `kubectl rollout status` judges it. */
async function rolledOut(client: Client, name: string, timeoutMs = 15_000): Promise<Deployment> {
  return eventually(
    async () => {
      const d = await client.deployments(NS).get(name);
      const s = d.status ?? {};
      const replicas = d.spec?.replicas ?? 1;
      const done = (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0) && s.updatedReplicas === replicas && s.replicas === replicas && s.availableReplicas === replicas && cond(d, 'Progressing')?.reason === 'NewReplicaSetAvailable';
      return done ? d : undefined;
    },
    `deployment ${name} rolled out`,
    timeoutMs,
  );
}

async function withCluster(kubelet: KubeletOptions, fn: (h: Harness) => Promise<void>): Promise<void> {
  const h = await startHarness([new ReplicaSetController(), new DeploymentController()]);
  const k = await startFakeKubelet(h.client, kubelet);
  try {
    await fn(h);
  } finally {
    await k.stop();
    await h.stop();
  }
}

test('scenario 6: a new deployment gets <name>-<hash> at revision 1, events, conditions and 3/3', async () => {
  await withCluster({ nodes: ['n1', 'n2', 'n3'] }, async (h) => {
    await h.client.deployments(NS).create(deployment('api', 3));
    const d = await rolledOut(h.client, 'api');
    const [rs, ...others] = await setsOf(h.client, 'api');
    assert.equal(others.length, 0);
    const hash = rs!.metadata!.labels!['pod-template-hash']!;
    assert.match(hash, HASH);
    assert.equal(rs!.metadata!.name, `api-${hash}`);
    assert.deepEqual(rs!.spec!.selector, { matchLabels: { app: 'api', 'pod-template-hash': hash } });
    assert.equal(rs!.spec!.template!.metadata!.labels!['pod-template-hash'], hash);
    assert.equal(rev(rs!), '1');
    assert.equal(rs!.metadata!.annotations!['deployment.kubernetes.io/desired-replicas'], '3');
    assert.equal(rs!.metadata!.annotations!['deployment.kubernetes.io/max-replicas'], '4');
    assert.equal(rev(d), '1');
    const pods = (await h.client.pods(NS).list()).items;
    assert.equal(pods.length, 3);
    for (const p of pods) assert.match(p.metadata!.name!, new RegExp(`^api-${hash}-[bcdfghjklmnpqrstvwxz2456789]{5}$`));
    assert.deepEqual(
      d.status?.conditions?.map((c) => [c.type, c.status, c.reason, c.message]),
      [
        ['Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.'],
        ['Progressing', 'True', 'NewReplicaSetAvailable', `ReplicaSet "api-${hash}" has successfully progressed.`],
      ],
    );
    assert.deepEqual(
      { replicas: d.status?.replicas, updated: d.status?.updatedReplicas, ready: d.status?.readyReplicas, available: d.status?.availableReplicas, unavailable: d.status?.unavailableReplicas ?? 0 },
      { replicas: 3, updated: 3, ready: 3, available: 3, unavailable: 0 },
    );
    const events = await eventually(async () => {
      const ev = await eventsFor(h.client, NS, 'api');
      return ev.length > 0 ? ev : undefined;
    }, 'the scaling event');
    assert.deepEqual(events.map((e) => [e.type, e.reason, e.message]), [['Normal', 'ScalingReplicaSet', `Scaled up replica set api-${hash} from 0 to 3`]]);
  });
});

test('scenario 7: a rolling update never exceeds replicas + surge nor drops below replicas − unavailable', async () => {
  await withCluster({ nodes: ['n1', 'n2', 'n3'] }, async (h) => {
    await h.client.deployments(NS).create(deployment('api', 3));
    await rolledOut(h.client, 'api');
    const uid = (await h.client.deployments(NS).get('api')).metadata!.uid!;

    // Watch every ReplicaSet and pod change from here on.
    const violations: string[] = [];
    let maxSpecSum = 0;
    let minAvailable = Infinity;
    const factory = new SharedInformerFactory(h.client);
    const sets = factory.replicaSets();
    const pods = factory.pods();
    let live = false;
    const check = () => {
      // The cache fills one object at a time during the initial list: judge only live changes.
      if (!live) return;
      const owned = sets.store.list().filter((rs) => rs.metadata?.ownerReferences?.some((r) => r.uid === uid));
      const specSum = owned.reduce((n, rs) => n + (rs.spec?.replicas ?? 0), 0);
      const available = pods.store.list().filter((p) => !p.metadata?.deletionTimestamp && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length;
      maxSpecSum = Math.max(maxSpecSum, specSum);
      minAvailable = Math.min(minAvailable, available);
      if (specSum > 4) violations.push(`Σ spec.replicas = ${specSum}`);
      if (available < 3) violations.push(`available pods = ${available}`);
    };
    sets.addEventHandler({ onAdd: check, onUpdate: check, onDelete: check });
    pods.addEventHandler({ onAdd: check, onUpdate: check, onDelete: check });
    const ac = new AbortController();
    factory.start(ac.signal);
    await factory.waitForCacheSync(ac.signal);
    live = true;
    try {
      await setImage(h.client, 'api', 'nginx:1.16.1');
      const d = await rolledOut(h.client, 'api');
      await eventually(async () => (await h.client.pods(NS).list()).items.length === 3, 'old pods gone');
      assert.deepEqual(violations, []);
      assert.equal(maxSpecSum, 4, 'the surge was used');
      assert.equal(minAvailable, 3);
      assert.equal(rev(d), '2');
      const all = await setsOf(h.client, 'api');
      assert.equal(all.length, 2);
      const byRev = Object.fromEntries(all.map((rs) => [rev(rs), rs]));
      assert.equal(byRev['1']!.spec!.replicas, 0, 'the old set remains at 0');
      assert.equal(byRev['2']!.spec!.replicas, 3);
      assert.equal(byRev['2']!.spec!.template!.spec!.containers[0]!.image, 'nginx:1.16.1');
      const scaling = await eventually(async () => {
        const ev = (await eventsFor(h.client, NS, 'api')).filter((e) => e.reason === 'ScalingReplicaSet').map((e) => e.message);
        return ev.length >= 7 ? ev : undefined;
      }, 'seven scaling events');
      const oldName = byRev['1']!.metadata!.name!;
      const newName = byRev['2']!.metadata!.name!;
      assert.deepEqual(scaling, [
        `Scaled up replica set ${oldName} from 0 to 3`,
        `Scaled up replica set ${newName} from 0 to 1`,
        `Scaled down replica set ${oldName} from 3 to 2`,
        `Scaled up replica set ${newName} from 1 to 2`,
        `Scaled down replica set ${oldName} from 2 to 1`,
        `Scaled up replica set ${newName} from 2 to 3`,
        `Scaled down replica set ${oldName} from 1 to 0`,
      ]);
    } finally {
      ac.abort();
      await factory.shutdown();
    }
  });
});

test('scenario 8: Recreate removes every old pod before the first new pod is created', async () => {
  await withCluster({ nodes: ['n1', 'n2'] }, async (h) => {
    await h.client.deployments(NS).create(deployment('api', 3, { strategy: { type: 'Recreate' } }));
    await rolledOut(h.client, 'api');
    const oldPods = new Set((await h.client.pods(NS).list()).items.map((p) => p.metadata!.uid!));
    const log: string[] = [];
    const factory = new SharedInformerFactory(h.client);
    const pods = factory.pods();
    pods.addEventHandler({
      onAdd: (p: Pod, initial) => {
        if (!initial && !oldPods.has(p.metadata!.uid!)) log.push('new-added');
      },
      onDelete: (p: Pod) => {
        if (oldPods.has(p.metadata!.uid!)) log.push('old-deleted');
      },
    });
    const ac = new AbortController();
    factory.start(ac.signal);
    await factory.waitForCacheSync(ac.signal);
    try {
      await setImage(h.client, 'api', 'nginx:1.16.1');
      const d = await rolledOut(h.client, 'api');
      assert.equal(rev(d), '2');
      assert.deepEqual(log, ['old-deleted', 'old-deleted', 'old-deleted', 'new-added', 'new-added', 'new-added']);
      const msgs = await eventually(async () => {
        const ev = (await eventsFor(h.client, NS, 'api')).filter((e) => e.reason === 'ScalingReplicaSet').map((e) => e.message);
        return ev.length >= 3 ? ev : undefined;
      }, 'three scaling events');
      assert.equal(msgs.length, 3);
      assert.match(msgs[1]!, /^Scaled down replica set api-\w+ from 3 to 0$/);
      assert.match(msgs[2]!, /^Scaled up replica set api-\w+ from 0 to 3$/);
    } finally {
      ac.abort();
      await factory.shutdown();
    }
  });
});

test('scenario 9: revisionHistoryLimit 1 keeps exactly the current and one old set', async () => {
  await withCluster({ nodes: ['n1'] }, async (h) => {
    await h.client.deployments(NS).create(deployment('api', 2, { revisionHistoryLimit: 1 }));
    await rolledOut(h.client, 'api');
    for (const image of ['nginx:1', 'nginx:2', 'nginx:3']) {
      await setImage(h.client, 'api', image);
      await rolledOut(h.client, 'api');
    }
    const sets = await eventually(async () => {
      const s = await setsOf(h.client, 'api');
      return s.length === 2 ? s : undefined;
    }, 'two sets left');
    assert.deepEqual(sets.map(rev).sort(), ['3', '4']);
  });
});

test('scenario 10: a paused deployment rolls nothing out; resuming starts the rollout', async () => {
  await withCluster({ nodes: ['n1'] }, async (h) => {
    await h.client.deployments(NS).create(deployment('api', 2));
    await rolledOut(h.client, 'api');
    const reasons: string[] = [];
    const factory = new SharedInformerFactory(h.client);
    const deployments = factory.deployments();
    const note = (d: Deployment) => {
      const r = cond(d, 'Progressing')?.reason;
      if (r && reasons[reasons.length - 1] !== r) reasons.push(r);
    };
    deployments.addEventHandler({ onAdd: note, onUpdate: (_o, d) => note(d) });
    const ac = new AbortController();
    factory.start(ac.signal);
    await factory.waitForCacheSync(ac.signal);
    try {
      await h.client.deployments(NS).patch('api', 'merge', { spec: { paused: true } });
      await setImage(h.client, 'api', 'nginx:1.16.1');
      const paused = await eventually(async () => {
        const d = await h.client.deployments(NS).get('api');
        return d.status?.observedGeneration === d.metadata?.generation ? d : undefined;
      }, 'the template change observed');
      assert.deepEqual([cond(paused, 'Progressing')?.status, cond(paused, 'Progressing')?.reason, cond(paused, 'Progressing')?.message], ['Unknown', 'DeploymentPaused', 'Deployment is paused']);
      assert.equal((await setsOf(h.client, 'api')).length, 1, 'no new set while paused');
      // Scaling still applies while paused.
      await h.client.deployments(NS).patch('api', 'merge', { spec: { replicas: 3 } });
      await eventually(async () => (await setsOf(h.client, 'api'))[0]?.spec?.replicas === 3, 'scaled while paused');
      assert.equal((await setsOf(h.client, 'api')).length, 1);

      await h.client.deployments(NS).patch('api', 'merge', { spec: { paused: false } });
      const d = await rolledOut(h.client, 'api');
      assert.equal(rev(d), '2');
      assert.ok(reasons.includes('DeploymentPaused'), reasons.join(','));
      assert.ok(reasons.indexOf('DeploymentResumed') > reasons.indexOf('DeploymentPaused'), reasons.join(','));
    } finally {
      ac.abort();
      await factory.shutdown();
    }
  });
});

test('scenario 11: a rollout that makes no progress times out at progressDeadlineSeconds; pods stay', async () => {
  await withCluster({ nodes: ['n1'], ready: (p) => p.spec?.containers[0]?.image !== 'broken' }, async (h) => {
    await h.client.deployments(NS).create(deployment('api', 2, { progressDeadlineSeconds: 2 }));
    await rolledOut(h.client, 'api');
    await setImage(h.client, 'api', 'broken');
    const started = Date.now();
    const d = await eventually(async () => {
      const cur = await h.client.deployments(NS).get('api');
      return cond(cur, 'Progressing')?.status === 'False' ? cur : undefined;
    }, 'Progressing=False', 10_000);
    const elapsed = Date.now() - started;
    const c = cond(d, 'Progressing')!;
    assert.equal(c.reason, 'ProgressDeadlineExceeded');
    const newName = (await setsOf(h.client, 'api')).find((rs) => rev(rs) === '2')!.metadata!.name;
    assert.equal(c.message, `ReplicaSet "${newName}" has timed out progressing.`);
    assert.ok(elapsed >= 1500 && elapsed < 6000, `timed out after ${elapsed} ms`);
    // The deadline only reports: the new pod is still there, the old ones still serve.
    assert.equal(d.status?.availableReplicas, 2);
    assert.equal(d.status?.updatedReplicas, 1);
  });
});

test('scenario 12: rolling back by copying the revision-1 template reuses that set as revision 3', async () => {
  await withCluster({ nodes: ['n1'] }, async (h) => {
    await h.client.deployments(NS).create(deployment('api', 2));
    await rolledOut(h.client, 'api');
    await setImage(h.client, 'api', 'nginx:1.16.1');
    await rolledOut(h.client, 'api');
    const first = (await setsOf(h.client, 'api')).find((rs) => rev(rs) === '1')!;
    const template = structuredClone(first.spec!.template!);
    delete template.metadata!.labels!['pod-template-hash'];
    await h.client.deployments(NS).patch('api', 'json', [{ op: 'replace', path: '/spec/template', value: template }]);
    const d = await rolledOut(h.client, 'api');
    assert.equal(rev(d), '3');
    const sets = await setsOf(h.client, 'api');
    assert.equal(sets.length, 2, 'no third set');
    const back = sets.find((rs) => rs.metadata!.uid === first.metadata!.uid)!;
    assert.equal(rev(back), '3');
    assert.equal(back.metadata!.annotations!['deployment.kubernetes.io/revision-history'], '1');
    assert.equal(back.spec!.replicas, 2);
  });
});

test('the deprecated rollbackTo annotation rolls back server-side and records DeploymentRollback', async () => {
  await withCluster({ nodes: ['n1'] }, async (h) => {
    await h.client.deployments(NS).create(deployment('api', 1));
    await rolledOut(h.client, 'api');
    await setImage(h.client, 'api', 'nginx:1.16.1');
    await rolledOut(h.client, 'api');
    await h.client.deployments(NS).patch('api', 'merge', { metadata: { annotations: { 'deprecated.deployment.rollback.to': '0' } } });
    const d = await eventually(async () => {
      const cur = await h.client.deployments(NS).get('api');
      return rev(cur) === '3' && !cur.metadata?.annotations?.['deprecated.deployment.rollback.to'] ? cur : undefined;
    }, 'rolled back to the previous revision');
    assert.equal(d.spec!.template!.spec!.containers[0]!.image, 'nginx:1.14.2');
    const ev = await eventually(async () => (await eventsFor(h.client, NS, 'api')).find((e) => e.reason === 'DeploymentRollback'), 'the event');
    assert.equal(ev.message, 'Rolled back deployment "api" to revision 1');
  });
});

test('proportional scaling during a stuck rollout (10 → 15 replicas, maxSurge 3, maxUnavailable 2)', async () => {
  await withCluster({ nodes: ['n1', 'n2'], ready: (p) => p.spec?.containers[0]?.image !== 'nginx:sometag' }, async (h) => {
    await h.client.deployments(NS).create(deployment('nginx', 10, { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 3, maxUnavailable: 2 } } }));
    await rolledOut(h.client, 'nginx');
    await setImage(h.client, 'nginx', 'nginx:sometag');
    const sizes = async () => Object.fromEntries((await setsOf(h.client, 'nginx')).map((rs) => [rev(rs), rs.spec?.replicas]));
    await eventually(async () => {
      const s = await sizes();
      return s['1'] === 8 && s['2'] === 5;
    }, 'the rollout stuck at 8 old + 5 new');
    await h.client.deployments(NS).patch('nginx', 'merge', { spec: { replicas: 15 } });
    await eventually(async () => {
      const s = await sizes();
      return s['1'] === 11 && s['2'] === 7;
    }, 'the 5 extra replicas shared 3 old / 2 new');
  });
});

test('a name taken by a foreign ReplicaSet bumps collisionCount and the set gets the next hash', async () => {
  await withCluster({ nodes: ['n1'] }, async (h) => {
    // Paused and new: no set is created yet, so the hash the controller will use can be computed.
    const created = await h.client.deployments(NS).create(deployment('api', 1, { paused: true }));
    const hash = computeHash(created.spec!.template, undefined);
    await h.client.replicaSets(NS).create({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: `api-${hash}`, namespace: NS },
      spec: { replicas: 0, selector: { matchLabels: { other: 'x' } }, template: { metadata: { labels: { other: 'x' } }, spec: { containers: [{ name: 'c', image: 'other' }] } } },
    });
    await h.client.deployments(NS).patch('api', 'merge', { spec: { paused: false } });
    const d = await rolledOut(h.client, 'api');
    assert.equal(d.status?.collisionCount, 1);
    const [rs] = await setsOf(h.client, 'api');
    assert.equal(rs!.metadata!.name, `api-${computeHash(created.spec!.template, 1)}`);
    assert.equal((await h.client.replicaSets(NS).get(`api-${hash}`)).metadata?.ownerReferences, undefined, 'the foreign set is left alone');
  });
});

test('a ReplicaSet failing to create pods surfaces as the deployment ReplicaFailure condition', async () => {
  await withCluster({ nodes: ['n1'] }, async (h) => {
    h.intercept((req) =>
      req.method === 'POST' && req.path === `/api/v1/namespaces/${NS}/pods` ? { code: 403, reason: 'Forbidden', message: 'pods "api-" is forbidden: exceeded quota: q' } : undefined,
    );
    await h.client.deployments(NS).create(deployment('api', 2));
    const failure = await eventually(async () => cond(await h.client.deployments(NS).get('api'), 'ReplicaFailure'), 'ReplicaFailure on the deployment');
    assert.deepEqual([failure.status, failure.reason, failure.message], ['True', 'FailedCreate', 'pods "api-" is forbidden: exceeded quota: q']);
    assert.equal(failure.lastUpdateTime, failure.lastTransitionTime);
    h.intercept(undefined);
    const d = await rolledOut(h.client, 'api', 30_000);
    assert.equal(cond(d, 'ReplicaFailure'), undefined);
  });
});

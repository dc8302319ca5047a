/**
 * The DaemonSet controller against the real API server (in process), with a simulator playing the
 * scheduler and the node agents: controllers.md §15 scenarios 19–26, plus failed/succeeded pods,
 * revision history and status.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ControllerRevision, DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { Event } from 'kubernetes-types/core/v1.js';
import { isPodReady } from '../lib/pod-utils.js';
import { DaemonSetController } from './daemonset-controller.js';
import { DAEMONSET_REVISION_HASH_LABEL, POD_TEMPLATE_GENERATION_LABEL, targetNodeName } from './daemon-pod.js';
import { startClusterSim, waitFor, type ClusterSim } from './testing/cluster-sim.js';

const NS = 'default';

function daemonSet(name: string, extra: Partial<NonNullable<DaemonSet['spec']>> = {}, image = 'agent:1'): DaemonSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name, namespace: NS },
    spec: {
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'main', image, command: ['sleep', '3600'] }] } },
      ...extra,
    },
  };
}

async function withSim(nodes: string[], fn: (sim: ClusterSim) => Promise<void>, opts?: Parameters<typeof startClusterSim>[1]): Promise<void> {
  const sim = await startClusterSim([new DaemonSetController()], opts);
  try {
    for (const n of nodes) await sim.addNode(n);
    await fn(sim);
  } finally {
    await sim.stop();
  }
}

const live = (sim: ClusterSim, app: string) => sim.podsIn(NS).filter((p) => p.metadata?.labels?.app === app && !p.metadata?.deletionTimestamp);
const getDs = (sim: ClusterSim, name: string) => sim.client.daemonSets(NS).get(name);
async function events(sim: ClusterSim, name: string): Promise<Event[]> {
  return (await sim.client.events(NS).list()).items.filter((e) => e.involvedObject.name === name);
}
async function revisions(sim: ClusterSim, app: string): Promise<ControllerRevision[]> {
  return (await sim.client.controllerRevisions(NS).list({ labelSelector: `app=${app}` })).items.sort((a, b) => a.revision - b.revision);
}

/** Waits until the DaemonSet's status reports every desired node ready and updated. */
async function rolledOut(sim: ClusterSim, name: string, desired: number): Promise<DaemonSet> {
  return waitFor(
    async () => {
      const ds = await getDs(sim, name);
      const s = ds.status;
      const done = s && s.observedGeneration === ds.metadata?.generation && s.desiredNumberScheduled === desired && s.updatedNumberScheduled === desired && s.numberAvailable === desired && s.currentNumberScheduled === desired;
      return done ? ds : undefined;
    },
    15_000,
    `daemon set ${name} rolled out on ${desired} nodes`,
  );
}

test('scenario 19: one pod per node, pinned by node affinity and bound, full status', async () => {
  await withSim(['node-1', 'node-2', 'node-3'], async (sim) => {
    await sim.client.daemonSets(NS).create(daemonSet('agent'));
    const ds = await rolledOut(sim, 'agent', 3);
    assert.deepEqual(
      { ...ds.status, observedGeneration: undefined },
      { observedGeneration: undefined, currentNumberScheduled: 3, desiredNumberScheduled: 3, numberMisscheduled: 0, numberReady: 3, numberAvailable: 3, numberUnavailable: 0, updatedNumberScheduled: 3 },
    );
    const pods = live(sim, 'agent');
    assert.equal(pods.length, 3);
    assert.deepEqual(pods.map((p) => p.spec?.nodeName).sort(), ['node-1', 'node-2', 'node-3']);
    const [rev] = await revisions(sim, 'agent');
    assert.ok(rev, 'a ControllerRevision exists');
    assert.equal(rev.revision, 1);
    const hash = rev.metadata!.labels![DAEMONSET_REVISION_HASH_LABEL]!;
    assert.equal(rev.metadata!.name, `agent-${hash}`);
    for (const p of pods) {
      assert.match(p.metadata!.name!, /^agent-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
      assert.deepEqual(p.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms, [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [p.spec?.nodeName] }] }]);
      assert.equal(p.metadata?.labels?.[DAEMONSET_REVISION_HASH_LABEL], hash);
      assert.equal(p.metadata?.labels?.[POD_TEMPLATE_GENERATION_LABEL], '1');
      const ref = p.metadata?.ownerReferences?.[0];
      assert.equal(ref?.kind, 'DaemonSet');
      assert.equal(ref?.controller, true);
      assert.equal(ref?.blockOwnerDeletion, true);
      const tolerated = (p.spec?.tolerations ?? []).map((t) => `${t.key}:${t.effect}`).sort();
      assert.deepEqual(tolerated, [
        'node.kubernetes.io/disk-pressure:NoSchedule',
        'node.kubernetes.io/memory-pressure:NoSchedule',
        'node.kubernetes.io/not-ready:NoExecute',
        'node.kubernetes.io/pid-pressure:NoSchedule',
        'node.kubernetes.io/unreachable:NoExecute',
        'node.kubernetes.io/unschedulable:NoSchedule',
      ]);
    }
    const created = await waitFor(async () => {
      const evs = (await events(sim, 'agent')).filter((e) => e.reason === 'SuccessfulCreate');
      return evs.length === 3 ? evs : undefined;
    });
    for (const e of created) {
      assert.match(e.message!, /^Created pod: agent-/);
      assert.equal(e.source?.component, 'daemonset-controller');
    }
  });
});

test('scenario 20: an untolerated NoSchedule taint keeps the pod off a node', async () => {
  await withSim(['node-1', 'node-2'], async (sim) => {
    await sim.addNode('node-3', { taints: [{ key: 'dedicated', value: 'x', effect: 'NoSchedule' }] });
    await sim.client.daemonSets(NS).create(daemonSet('agent'));
    const ds = await rolledOut(sim, 'agent', 2);
    assert.equal(ds.status?.numberMisscheduled, 0);
    assert.deepEqual(live(sim, 'agent').map((p) => targetNodeName(p)).sort(), ['node-1', 'node-2']);
    // Tolerating it puts a pod there too.
    await sim.client.daemonSets(NS).patch('agent', 'strategic', { spec: { template: { spec: { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'x', effect: 'NoSchedule' }] } } } });
    await rolledOut(sim, 'agent', 3);
  });
});

test('scenario 21: nodeSelector follows node labels both ways', async () => {
  await withSim(['node-1', 'node-2'], async (sim) => {
    await sim.client.daemonSets(NS).create(daemonSet('edge', { template: { metadata: { labels: { app: 'edge' } }, spec: { nodeSelector: { role: 'edge' }, containers: [{ name: 'main', image: 'edge:1', command: ['sleep', '3600'] }] } } }));
    await waitFor(async () => (await getDs(sim, 'edge')).status?.observedGeneration === 1);
    assert.equal((await getDs(sim, 'edge')).status?.desiredNumberScheduled, 0);
    assert.equal(live(sim, 'edge').length, 0);
    await sim.client.nodes().patch('node-2', 'merge', { metadata: { labels: { role: 'edge' } } });
    await rolledOut(sim, 'edge', 1);
    assert.deepEqual(live(sim, 'edge').map((p) => p.spec?.nodeName), ['node-2']);
    await sim.client.nodes().patch('node-2', 'merge', { metadata: { labels: { role: null } } });
    await waitFor(() => live(sim, 'edge').length === 0, 10_000, 'the pod on the unlabelled node deleted');
    await waitFor(async () => (await getDs(sim, 'edge')).status?.desiredNumberScheduled === 0);
  });
});

test('scenario 22: a cordoned node still gets a daemon pod', async () => {
  await withSim(['node-1'], async (sim) => {
    await sim.addNode('node-2', { unschedulable: true });
    await sim.client.daemonSets(NS).create(daemonSet('agent'));
    await rolledOut(sim, 'agent', 2);
    assert.deepEqual(live(sim, 'agent').map((p) => p.spec?.nodeName).sort(), ['node-1', 'node-2']);
  });
});

/** Records, for every pod change, how many nodes had no ready, non-terminating pod. */
function watchAvailability(sim: ClusterSim, app: string, nodes: string[]): { maxDown: () => number; stop: () => void } {
  let maxDown = 0;
  const check = () => {
    const pods = live(sim, app);
    const down = nodes.filter((n) => !pods.some((p) => p.spec?.nodeName === n && isPodReady(p))).length;
    maxDown = Math.max(maxDown, down);
  };
  const reg = sim.pods.addEventHandler({ onAdd: check, onUpdate: check, onDelete: check });
  return { maxDown: () => maxDown, stop: () => reg.remove() };
}

async function updateImage(sim: ClusterSim, name: string, image: string): Promise<void> {
  await sim.client.daemonSets(NS).patch(name, 'strategic', { spec: { template: { spec: { containers: [{ name: 'main', image }] } } } });
}

test('scenario 23: rolling update with maxUnavailable 1 replaces one node at a time', async () => {
  const nodes = ['node-1', 'node-2', 'node-3'];
  await withSim(nodes, async (sim) => {
    await sim.client.daemonSets(NS).create(daemonSet('agent'));
    await rolledOut(sim, 'agent', 3);
    const updated: number[] = [];
    const statusWatch = sim.client.daemonSets(NS).watch({ fieldSelector: 'metadata.name=agent', resourceVersion: (await getDs(sim, 'agent')).metadata!.resourceVersion! });
    const collecting = (async () => {
      for await (const ev of statusWatch) {
        if (ev.object.status?.observedGeneration !== 2) continue;
        const n = ev.object.status.updatedNumberScheduled;
        if (n !== undefined && updated[updated.length - 1] !== n) updated.push(n);
        if (n === 3 && ev.object.status.numberAvailable === 3) return;
      }
    })();
    const avail = watchAvailability(sim, 'agent', nodes);
    await updateImage(sim, 'agent', 'agent:2');
    await rolledOut(sim, 'agent', 3);
    await collecting;
    avail.stop();
    assert.ok(avail.maxDown() <= 1, `at most one node without a ready pod at a time (saw ${avail.maxDown()})`);
    assert.deepEqual(updated.filter((n) => n > 0), [1, 2, 3]);
    const revs = await revisions(sim, 'agent');
    assert.deepEqual(revs.map((r) => r.revision), [1, 2]);
    const newHash = revs[1]!.metadata!.labels![DAEMONSET_REVISION_HASH_LABEL];
    const pods = live(sim, 'agent');
    assert.equal(pods.length, 3);
    for (const p of pods) {
      assert.equal(p.metadata?.labels?.[DAEMONSET_REVISION_HASH_LABEL], newHash);
      assert.equal(p.metadata?.labels?.[POD_TEMPLATE_GENERATION_LABEL], '2');
      assert.equal(p.spec?.containers[0]?.image, 'agent:2');
    }
  });
});

test('scenario 24: maxSurge 1, maxUnavailable 0 starts the new pod before deleting the old one', async () => {
  const nodes = ['node-1', 'node-2', 'node-3'];
  await withSim(nodes, async (sim) => {
    await sim.client.daemonSets(NS).create(daemonSet('agent', { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } } }));
    await rolledOut(sim, 'agent', 3);
    let maxPerNode = 0;
    const reg = sim.pods.addEventHandler({
      onAdd: () => {
        for (const n of nodes) maxPerNode = Math.max(maxPerNode, live(sim, 'agent').filter((p) => targetNodeName(p) === n).length);
      },
    });
    const avail = watchAvailability(sim, 'agent', nodes);
    await updateImage(sim, 'agent', 'agent:2');
    await rolledOut(sim, 'agent', 3);
    await waitFor(() => live(sim, 'agent').length === 3);
    avail.stop();
    reg.remove();
    assert.equal(avail.maxDown(), 0, 'every node kept a ready pod throughout');
    assert.equal(maxPerNode, 2, 'old and new pod ran side by side');
    for (const p of live(sim, 'agent')) assert.equal(p.spec?.containers[0]?.image, 'agent:2');
  });
});

test('scenario 25: OnDelete replaces only pods the user deletes', async () => {
  await withSim(['node-1', 'node-2', 'node-3'], async (sim) => {
    await sim.client.daemonSets(NS).create(daemonSet('agent', { updateStrategy: { type: 'OnDelete' } }));
    await rolledOut(sim, 'agent', 3);
    const before = new Map(live(sim, 'agent').map((p) => [p.spec!.nodeName!, p.metadata!.name!]));
    await updateImage(sim, 'agent', 'agent:2');
    await waitFor(async () => {
      const ds = await getDs(sim, 'agent');
      return ds.status?.observedGeneration === 2 && ds.status.updatedNumberScheduled === 0;
    });
    assert.deepEqual(new Map(live(sim, 'agent').map((p) => [p.spec!.nodeName!, p.metadata!.name!])), before);
    await sim.client.pods(NS).delete(before.get('node-2')!);
    await waitFor(() => live(sim, 'agent').some((p) => p.spec?.nodeName === 'node-2' && p.metadata?.name !== before.get('node-2') && isPodReady(p)), 10_000, 'replacement on node-2');
    const ds = await waitFor(async () => {
      const d = await getDs(sim, 'agent');
      return d.status?.updatedNumberScheduled === 1 ? d : undefined;
    });
    assert.equal(ds.status?.desiredNumberScheduled, 3);
    const [rev1, rev2] = await revisions(sim, 'agent');
    for (const p of live(sim, 'agent')) {
      const want = p.spec?.nodeName === 'node-2' ? rev2 : rev1;
      assert.equal(p.metadata?.labels?.[DAEMONSET_REVISION_HASH_LABEL], want!.metadata!.labels![DAEMONSET_REVISION_HASH_LABEL]);
    }
  });
});

test('scenario 26: a joining node gets a pod; a deleted node loses it without replacement', async () => {
  await withSim(['node-1', 'node-2'], async (sim) => {
    await sim.client.daemonSets(NS).create(daemonSet('agent'));
    await rolledOut(sim, 'agent', 2);
    await sim.addNode('node-3');
    await rolledOut(sim, 'agent', 3);
    assert.ok(live(sim, 'agent').some((p) => p.spec?.nodeName === 'node-3'));
    const onNode2 = live(sim, 'agent').find((p) => p.spec?.nodeName === 'node-2')!;
    await sim.client.nodes().delete('node-2');
    const ds = await rolledOut(sim, 'agent', 2);
    assert.equal(ds.status?.numberMisscheduled, 0);
    // Pod GC removes pods bound to deleted nodes; the DaemonSet controller neither deletes nor replaces it.
    await sim.client.pods(NS).delete(onNode2.metadata!.name!, { gracePeriodSeconds: 0 });
    await waitFor(async () => (await getDs(sim, 'agent')).status?.currentNumberScheduled === 2);
    const pods = live(sim, 'agent');
    assert.deepEqual(pods.map((p) => p.spec?.nodeName).sort(), ['node-1', 'node-3']);
  });
});

test('failed pods are deleted with a per-node back-off; succeeded pods are replaced', async () => {
  await withSim(['node-1'], async (sim) => {
    await sim.client.daemonSets(NS).create(daemonSet('agent'));
    await rolledOut(sim, 'agent', 1);
    const first = live(sim, 'agent')[0]!;
    await sim.finish(NS, first.metadata!.name!, 'Failed');
    const second = await waitFor(() => live(sim, 'agent').find((p) => p.metadata?.name !== first.metadata?.name && isPodReady(p)));
    const failedEvent = (await events(sim, 'agent')).find((e) => e.reason === 'FailedDaemonPod');
    assert.equal(failedEvent?.type, 'Warning');
    assert.equal(failedEvent?.message, `Found failed daemon pod default/${first.metadata!.name} on node node-1, will try to kill it`);
    // A second failure right away is held back for the node's back-off (1 s after the first kill).
    const failedAt = Date.now();
    await sim.finish(NS, second.metadata!.name!, 'Failed');
    await waitFor(() => !sim.podsIn(NS).some((p) => p.metadata?.name === second.metadata?.name), 10_000, 'second failed pod deleted');
    const heldMs = Date.now() - failedAt;
    assert.ok(heldMs >= 500, `second deletion waited for the back-off (${heldMs} ms)`);
    const third = await waitFor(() => live(sim, 'agent').find((p) => p.metadata?.name !== second.metadata?.name && isPodReady(p)));
    await sim.finish(NS, third.metadata!.name!, 'Succeeded');
    await waitFor(() => live(sim, 'agent').find((p) => p.metadata?.name !== third.metadata?.name && p.status?.phase === 'Running'));
    const succeeded = (await events(sim, 'agent')).find((e) => e.reason === 'SucceededDaemonPod');
    assert.equal(succeeded?.message, `Found succeeded daemon pod default/${third.metadata!.name} on node node-1, will try to delete it`);
  });
});

test('duplicates on a node: the oldest pod stays', async () => {
  await withSim(['node-1'], async (sim) => {
    await sim.client.daemonSets(NS).create(daemonSet('agent'));
    await rolledOut(sim, 'agent', 1);
    const [orig] = live(sim, 'agent');
    // An orphan with the DaemonSet's labels on the same node is adopted, then pruned as a duplicate.
    const stray = await sim.client.pods(NS).create({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'stray', namespace: NS, labels: { app: 'agent' } }, spec: { nodeName: 'node-1', containers: [{ name: 'main', image: 'agent:1' }] } });
    await waitFor(async () => (await sim.client.events(NS).list()).items.some((e) => e.reason === 'SuccessfulDelete' && e.message === `Deleted pod: ${stray.metadata!.name}`), 10_000, 'SuccessfulDelete for the duplicate');
    await waitFor(() => !sim.podsIn(NS).some((p) => p.metadata?.name === 'stray'), 10_000, 'duplicate deleted');
    assert.deepEqual(live(sim, 'agent').map((p) => p.metadata?.name), [orig!.metadata!.name]);
  });
});

test('history: revisions renumbered on rollback, pruned beyond revisionHistoryLimit', async () => {
  await withSim(['node-1', 'node-2'], async (sim) => {
    await sim.client.daemonSets(NS).create(daemonSet('agent', { revisionHistoryLimit: 1 }));
    await rolledOut(sim, 'agent', 2);
    await updateImage(sim, 'agent', 'agent:2');
    await rolledOut(sim, 'agent', 2);
    await updateImage(sim, 'agent', 'agent:3');
    await rolledOut(sim, 'agent', 2);
    // Current (3) plus one old revision (2); revision 1 is pruned once no pod uses it.
    await waitFor(async () => (await revisions(sim, 'agent')).map((r) => r.revision).join() === '2,3', 10_000, 'revision 1 pruned');
    // Going back to the template of revision 2 makes that revision the newest (4).
    const rev2 = (await revisions(sim, 'agent'))[0]!;
    await updateImage(sim, 'agent', 'agent:2');
    await rolledOut(sim, 'agent', 2);
    const revs = await waitFor(async () => {
      const r = await revisions(sim, 'agent');
      return r.map((x) => x.revision).join() === '3,4' ? r : undefined;
    });
    assert.equal(revs[1]!.metadata!.name, rev2.metadata!.name);
    const data = revs[1]!.data as { spec: { template: { $patch: string; spec: { containers: Array<{ image: string }> } } } };
    assert.equal(data.spec.template.$patch, 'replace');
    assert.equal(data.spec.template.spec.containers[0]!.image, 'agent:2');
  });
});

test('a relabelled pod is released and replaced on its node', async () => {
  await withSim(['node-1'], async (sim) => {
    await sim.client.daemonSets(NS).create(daemonSet('agent'));
    await rolledOut(sim, 'agent', 1);
    const [orig] = live(sim, 'agent');
    await sim.client.pods(NS).patch(orig!.metadata!.name!, 'merge', { metadata: { labels: { app: 'debug' } } });
    const released = await waitFor(async () => {
      const p = await sim.client.pods(NS).get(orig!.metadata!.name!);
      return (p.metadata?.ownerReferences ?? []).length === 0 ? p : undefined;
    });
    assert.equal(released.spec?.nodeName, 'node-1');
    await waitFor(() => live(sim, 'agent').some((p) => p.spec?.nodeName === 'node-1' && isPodReady(p)), 10_000, 'replacement');
  });
});

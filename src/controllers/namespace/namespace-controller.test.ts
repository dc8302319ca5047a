/**
 * The namespace controller against a real in-process API server (with the garbage collector and
 * the root CA publisher running beside it, as in `skiff server`): deleting a namespace empties it,
 * reports progress in status.conditions while pods terminate gracefully (the test confirms their
 * deletion as a kubelet would), then finalizes it and the API server removes it.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Namespace, NamespaceCondition } from 'kubernetes-types/core/v1.js';
import { startInProcessApi, waitFor, type InProcessApi } from '../../../test/helpers/in-process.js';
import type { Client } from '../../client/client.js';
import { isConflict, isNotFound } from '../../api/errors.js';
import { ControllerManager } from '../manager.js';
import { GarbageCollector } from '../garbagecollector/garbage-collector.js';
import { RootCACertPublisher } from '../rootcacert/root-ca-cert-publisher.js';
import { NamespaceController } from './namespace-controller.js';

const condition = (ns: Namespace, type: string): NamespaceCondition | undefined => ns.status?.conditions?.find((c) => c.type === type);

async function gone(get: () => Promise<unknown>): Promise<boolean> {
  try {
    await get();
    return false;
  } catch (err) {
    if (isNotFound(err)) return true;
    throw err;
  }
}

describe('namespace controller', () => {
  let api: InProcessApi;
  let client: Client;
  const stop = new AbortController();
  let run: Promise<void>;

  before(async () => {
    api = await startInProcessApi();
    client = api.client('test');
    run = new ControllerManager({
      client: api.client('kube-controller-manager'),
      controllers: [new NamespaceController({ deletionGraceMs: 0 }), new GarbageCollector(), new RootCACertPublisher('-----BEGIN CERTIFICATE-----\ntest\n-----END CERTIFICATE-----\n')],
      leaderElection: false,
    }).run(stop.signal);
  });
  after(async () => {
    stop.abort();
    await run;
    await api?.stop();
  });

  test('deleting a namespace removes its content, waits for terminating pods, then the namespace', async () => {
    await client.namespaces().create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'demo' } });
    await waitFor(async () => gone(() => client.configMaps('demo').get('kube-root-ca.crt')).then((g) => !g), 10_000, 'root CA published');
    for (const name of ['one', 'two']) await client.configMaps('demo').create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { k: 'v' } });
    await client.secrets('demo').create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, stringData: { a: 'b' } });
    for (const name of ['p1', 'p2']) {
      await client.pods('demo').create({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name },
        spec: { nodeName: 'fake-node', containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'] }] },
      });
    }
    await client.deployments('demo').create({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: { replicas: 1, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
    });

    await client.namespaces().delete('demo', { propagationPolicy: 'Background' });
    const marked = await client.namespaces().get('demo');
    assert.equal(marked.status?.phase, 'Terminating');
    assert.ok(marked.metadata?.deletionTimestamp);
    assert.equal(marked.metadata?.deletionGracePeriodSeconds, undefined);
    assert.deepEqual(marked.spec?.finalizers, ['kubernetes']);

    const waiting = await waitFor(async () => {
      const ns = await client.namespaces().get('demo');
      return condition(ns, 'NamespaceContentRemaining')?.status === 'True' ? ns : undefined;
    }, 10_000, 'content-remaining condition');
    assert.equal(condition(waiting, 'NamespaceContentRemaining')?.message, 'Some resources are remaining: pods. has 2 resource instances');
    assert.equal(condition(waiting, 'NamespaceContentRemaining')?.reason, 'SomeResourcesRemain');
    for (const [type, reason, message] of [
      ['NamespaceDeletionDiscoveryFailure', 'ResourcesDiscovered', 'All resources successfully discovered'],
      ['NamespaceDeletionGroupVersionParsingFailure', 'ParsedGroupVersions', 'All legacy kube types successfully parsed'],
      ['NamespaceDeletionContentFailure', 'ContentDeleted', 'All content successfully deleted, may be waiting on finalization'],
      ['NamespaceFinalizersRemaining', 'ContentHasNoFinalizers', 'All content-preserving finalizers finished'],
    ] as const) {
      const c = condition(waiting, type);
      assert.equal(c?.status, 'False', type);
      assert.equal(c?.reason, reason);
      assert.equal(c?.message, message);
    }
    assert.equal((await client.configMaps('demo').list()).items.length, 0, 'configmaps deleted at once');
    assert.equal((await client.secrets('demo').list()).items.length, 0);
    assert.equal((await client.deployments('demo').list()).items.length, 0);
    const pods = (await client.pods('demo').list()).items;
    assert.equal(pods.length, 2);
    assert.ok(pods.every((p) => p.metadata?.deletionTimestamp), 'pods are terminating, not gone');
    // New content is refused while the namespace terminates.
    await assert.rejects(client.configMaps('demo').create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'late' } }), /being terminated/);

    // The kubelet confirms the pods' termination.
    for (const p of pods) await client.pods('demo').delete(p.metadata!.name!, { gracePeriodSeconds: 0 });
    await waitFor(async () => gone(() => client.namespaces().get('demo')), 10_000, 'namespace removed');
  });

  test('content held by a finalizer is reported, and the namespace waits for it', async () => {
    await client.namespaces().create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'held' } });
    await client.configMaps('held').create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'pinned', finalizers: ['example.com/hold'] } });
    await client.namespaces().delete('held');
    const ns = await waitFor(async () => {
      const n = await client.namespaces().get('held');
      return condition(n, 'NamespaceFinalizersRemaining')?.status === 'True' ? n : undefined;
    }, 10_000, 'finalizers-remaining condition');
    assert.equal(condition(ns, 'NamespaceFinalizersRemaining')?.message, 'Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances');
    assert.equal(condition(ns, 'NamespaceFinalizersRemaining')?.reason, 'SomeFinalizersRemain');
    assert.equal(condition(ns, 'NamespaceContentRemaining')?.message, 'Some resources are remaining: configmaps. has 1 resource instances');
    assert.equal(condition(ns, 'NamespaceDeletionContentFailure')?.status, 'False');

    // Whoever owns the finalizer removes it; any namespace update then brings the controller back.
    await client.configMaps('held').patch('pinned', 'merge', { metadata: { finalizers: null } });
    await client.namespaces().patch('held', 'merge', { metadata: { labels: { nudge: 'yes' } } });
    await waitFor(async () => gone(() => client.namespaces().get('held')), 10_000, 'namespace removed');
  });

  test('a namespace deleted in the foreground goes once emptied and its metadata finalizer is released', async () => {
    await client.namespaces().create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'fg' } });
    await client.configMaps('fg').create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } });
    await client.namespaces().delete('fg', { propagationPolicy: 'Foreground' });
    const marked = await client.namespaces().get('fg');
    assert.deepEqual(marked.metadata?.finalizers, ['foregroundDeletion']);
    await waitFor(async () => gone(() => client.namespaces().get('fg')), 10_000, 'namespace removed');
  });

  test('finalize: an update of everything but status, with resourceVersion preconditions', async () => {
    const ns = await client.namespaces().create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'fin' } });
    const stale = { ...ns, metadata: { ...ns.metadata, resourceVersion: '1' } };
    await assert.rejects(client.namespaces().updateSubresource('fin', 'finalize', { ...stale, spec: { finalizers: [] } }), (err: unknown) => isConflict(err));
    await assert.rejects(client.namespaces().updateSubresource('fin', 'finalize', { ...ns, spec: { finalizers: ['not a/valid/name'] } }), /spec\.finalizers\[0\]/);

    // An active namespace can drop its finalizer; status stays as the server has it.
    const done = await client.namespaces().updateSubresource<Namespace>('fin', 'finalize', { ...ns, spec: { finalizers: [] }, status: { phase: 'Terminating' } });
    assert.equal(done.spec?.finalizers, undefined);
    assert.equal(done.status?.phase, 'Active');
    // A plain update cannot bring the finalizer back (it is kept as stored).
    const updated = await client.namespaces().update({ ...done, spec: { finalizers: ['kubernetes'] } });
    assert.equal(updated.spec?.finalizers, undefined);
  });
});

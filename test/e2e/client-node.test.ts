/**
 * The official JavaScript client (@kubernetes/client-node 1.x) works unchanged against Skiff:
 * kubeconfig loading (CA, bearer token), typed list/create, and a watch that sees a change.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CoreV1Api, KubeConfig, Watch } from '@kubernetes/client-node';
import { startCluster } from '../helpers/cluster.js';

test('@kubernetes/client-node lists, creates and watches', async (t) => {
  const c = await startCluster();
  t.after(() => c.stop());
  const kc = new KubeConfig();
  kc.loadFromFile(c.kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);

  const namespaces = await core.listNamespace();
  assert.deepEqual(
    namespaces.items.map((n) => n.metadata?.name).sort(),
    ['default', 'kube-node-lease', 'kube-public', 'kube-system'],
  );

  const seen: string[] = [];
  const watch = new Watch(kc);
  let resolveSeen: () => void;
  const gotIt = new Promise<void>((r) => (resolveSeen = r));
  const req = await watch.watch(
    '/api/v1/namespaces/default/configmaps',
    {},
    (type, obj: { metadata?: { name?: string } }) => {
      seen.push(`${type} ${obj.metadata?.name}`);
      if (obj.metadata?.name === 'from-client-node' && type === 'ADDED') resolveSeen();
    },
    () => {},
  );
  try {
    const created = await core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: 'from-client-node' }, data: { hello: 'world' } },
    });
    assert.ok(created.metadata?.uid);
    assert.ok(created.metadata?.resourceVersion);
    await Promise.race([gotIt, new Promise((_, reject) => setTimeout(() => reject(new Error(`no watch event; saw ${seen.join(', ')}`)), 10_000))]);
    const listed = await core.listNamespacedConfigMap({ namespace: 'default', labelSelector: '' });
    assert.ok(listed.items.some((cm) => cm.metadata?.name === 'from-client-node'));
    const read = await core.readNamespacedConfigMap({ name: 'from-client-node', namespace: 'default' });
    assert.equal(read.data?.hello, 'world');
    await assert.rejects(core.readNamespacedConfigMap({ name: 'missing', namespace: 'default' }), (err: { code?: number }) => err.code === 404);
  } finally {
    req.abort();
  }
});

/**
 * Namespaces as a user meets them: the real kubectl against `skiff server`. A new namespace gets
 * the cluster CA as ConfigMap kube-root-ca.crt; `kubectl delete ns` empties it and completes.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { kubectlUnavailable } from '../helpers/kubectl.js';
import { waitFor } from '../helpers/in-process.js';

describe('namespaces with kubectl', { skip: kubectlUnavailable() }, () => {
  let c: TestCluster;
  const k = (args: string[]) => c.k(args);

  before(async () => {
    c = await startCluster();
  });
  after(async () => {
    await c?.stop();
  });

  test('a new namespace gets kube-root-ca.crt with the cluster CA', async () => {
    assert.match(await k(['create', 'ns', 'demo']), /namespace\/demo created/);
    const ca = await readFile(join(c.dataDir, 'tls', 'ca.crt'), 'utf8');
    const published = await waitFor(async () => {
      const r = await c.kubectl(['get', 'cm', 'kube-root-ca.crt', '-n', 'demo', '-o', 'jsonpath={.data.ca\\.crt}']);
      return r.code === 0 ? r.stdout : undefined;
    }, 20_000, 'kube-root-ca.crt in demo');
    assert.equal(published, ca);
    assert.match(await k(['get', 'cm', 'kube-root-ca.crt', '-n', 'demo']), /^NAME\s+DATA\s+AGE\nkube-root-ca\.crt\s+1\s+/);
  });

  test('kubectl delete ns completes once the content is gone; get ns is then NotFound', async () => {
    await k(['create', 'ns', 'doomed']);
    await k(['create', 'configmap', 'settings', '-n', 'doomed', '--from-literal=a=b']);
    await k(['create', 'deployment', 'web', '-n', 'doomed', '--image=busybox']);
    await k(['create', 'secret', 'generic', 'creds', '-n', 'doomed', '--from-literal=p=q']);
    assert.match(await k(['delete', 'ns', 'doomed']), /namespace "doomed" deleted/);
    const r = await c.kubectl(['get', 'ns', 'doomed']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Error from server \(NotFound\): namespaces "doomed" not found/);
  });

  test('the namespaces Kubernetes protects cannot be deleted', async () => {
    const r = await c.kubectl(['delete', 'ns', 'kube-system']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /forbidden: this namespace may not be deleted/);
  });
});
